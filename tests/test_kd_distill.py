"""Hinton KD: loss algebra, temperature, students with and without fit_kd, teachers, regression."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_iris, make_regression
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from selfdistill import sd_coef
from selfdistill.kd import (
    KnowledgeDistillationClassifier,
    KnowledgeDistillationRegressor,
    SoftTargetLogisticRegression,
    distillation_loss,
    soften,
)
from selfdistill.kd._objective import SoftTerm, objective, soft_cross_entropy


@pytest.fixture(scope="module")
def teacher(iris):
    return SoftTargetLogisticRegression(alpha=1e-2).fit(*iris)


def _centre(a):
    return a - a.mean(axis=1, keepdims=True)


# ------------------------------------------------------------------------------- loss algebra
@given(
    seed=st.integers(0, 2**32 - 1),
    xi=st.floats(-1.0, 2.0),
    n=st.integers(1, 8),
    k=st.integers(2, 6),
)
def test_xi_mixture_equals_loss_at_mixed_target_at_t1(seed, xi, n, k):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=(n, k))
    p_teacher = rng.dirichlet(np.ones(k), size=n)
    onehot = np.eye(k)[rng.integers(0, k, n)]
    mixed = xi * p_teacher + (1 - xi) * onehot
    by_terms = distillation_loss(z, p_teacher, onehot, xi, 1.0)
    at_mixed = float(np.mean(soft_cross_entropy(mixed, z, 1.0)[0]))
    assert by_terms == pytest.approx(at_mixed, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("xi", [-0.5, 0.3, 1.7])
def test_objective_terms_merge_at_t1(rng, xi):
    n, p, k = 25, 3, 4
    X = rng.normal(size=(n, p))
    Q = rng.dirichlet(np.ones(k), size=n)
    Y = np.eye(k)[rng.integers(0, k, n)]
    theta = rng.normal(size=p * k + k)
    sw = rng.uniform(0.5, 2, n)
    terms_two = [SoftTerm(xi, 1.0, Q), SoftTerm(1 - xi, 1.0, Y)]
    terms_one = [SoftTerm(1.0, 1.0, xi * Q + (1 - xi) * Y)]
    two = objective(theta, X, terms_two, sw, 0.1, True)
    one = objective(theta, X, terms_one, sw, 0.1, True)
    # equal up to the KL-form constants (which do not depend on theta)
    s = sw / sw.sum()
    shift = sum(t.weight * s @ t.neg_entropy for t in terms_two) - s @ terms_one[0].neg_entropy
    assert two[0] - shift == pytest.approx(one[0], rel=1e-12)
    np.testing.assert_allclose(two[1], one[1], rtol=1e-10, atol=1e-12)


def test_fit_kd_at_t1_is_the_fit_at_the_mixed_target(iris, teacher):
    X, y = iris
    P = teacher.predict_proba(X)
    kd = SoftTargetLogisticRegression(tol=1e-10).fit_kd(X, y, P, xi=0.6, temperature=1.0)
    mixed = SoftTargetLogisticRegression(tol=1e-10).fit(X, 0.6 * P + 0.4 * np.eye(3)[y])
    np.testing.assert_allclose(kd.coef_, mixed.coef_, rtol=1e-8, atol=1e-10)


def test_xi_zero_is_plain_training(iris, teacher):
    X, y = iris
    plain = SoftTargetLogisticRegression().fit(X, y)
    kd = KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), xi=0.0).fit(X, y)
    np.testing.assert_array_equal(kd.student_.coef_, plain.coef_)
    generic = KnowledgeDistillationClassifier(teacher, LogisticRegression(), xi=0.0, temperature=1.0)
    np.testing.assert_array_equal(
        generic.fit(X, y).student_.coef_, LogisticRegression().fit(X, y).coef_
    )


def test_xi_one_ignores_the_labels(iris, teacher, rng):
    X, y = iris
    P = teacher.predict_proba(X)
    a = SoftTargetLogisticRegression().fit_kd(X, y, P, xi=1.0, temperature=3.0)
    b = SoftTargetLogisticRegression().fit_kd(X, rng.permutation(y), P, xi=1.0, temperature=3.0)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_objective_value_is_hintons_loss(iris, teacher, rng):
    # the fitted objective (without penalty) equals distillation_loss on the same logits
    X, y = iris
    P = teacher.predict_proba(X)
    theta = rng.normal(size=4 * 3 + 3)
    W, b = theta[:12].reshape(4, 3), theta[12:]
    terms = [SoftTerm(0.8, 4.0, soften(P, 4.0)), SoftTerm(0.2, 1.0, np.eye(3)[y])]
    value = objective(theta, X, terms, np.ones(len(y)), 0.0, True)[0]
    # KL form: Hinton's loss minus the targets' T^2-weighted entropy, a constant in theta
    constant = sum(t.weight * t.neg_entropy.mean() for t in terms)
    assert value - constant == pytest.approx(
        distillation_loss(X @ W + b, P, np.eye(3)[y], 0.8, 4.0)
    )


@pytest.mark.parametrize("T", [1.0, 10.0, 50.0])
def test_objective_is_in_kl_form(rng, T):
    """Issue 17: the value is T^2 KL (0 at a perfect fit), not T^2 CE, whose T^2 log K constant
    dwarfs the per-iteration decrease at large T and trips L-BFGS's relative ftol test."""
    X = rng.normal(size=(30, 3))
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    P = softmax((X @ W + b) / T, axis=1)  # targets that the student's logits at (W, b) match exactly
    theta = np.concatenate([W.ravel(), b])
    value, grad = objective(theta, X, [SoftTerm(1.0, T, P)], np.ones(30), 0.0, True)
    assert value == pytest.approx(0.0, abs=1e-10 * T**2)
    np.testing.assert_allclose(grad, 0.0, atol=1e-10 * T)
    moved = theta + rng.normal(scale=0.3, size=theta.shape)
    other = objective(moved, X, [SoftTerm(1.0, T, P)], np.ones(30), 0.0, True)[0]
    assert other > 0


def test_fit_kd_converges_at_large_temperature(iris, teacher):
    X, y = iris
    P = teacher.predict_proba(X)
    model = SoftTargetLogisticRegression(tol=1e-8).fit_kd(X, y, P, xi=1.0, temperature=30.0)
    theta = np.concatenate([model.coef_.T.ravel(), model.intercept_])
    terms = [SoftTerm(1.0, 30.0, soften(P, 30.0))]
    grad = objective(theta, X, terms, np.ones(len(y)), float(model.alpha), True)[1]
    assert np.max(np.abs(grad)) < 1e-5


# -------------------------------------------------------------------------------- temperature
def test_soften_is_the_tempered_softmax_of_the_teacher_logits(rng):
    v = rng.normal(scale=2.0, size=(20, 5))
    for T in (0.5, 1.0, 4.0):
        np.testing.assert_allclose(soften(softmax(v, axis=1), T), softmax(v / T, axis=1), atol=1e-12)
    p = np.array([[0.0, 0.3, 0.7]])
    assert soften(p, 4.0)[0, 0] == 0.0


def test_t_squared_keeps_the_soft_gradient_size_independent_of_t(rng):
    z, v = rng.normal(scale=2.0, size=(2, 50, 10))
    norms, unscaled = [], []
    for T in (2.0, 4.0, 8.0):
        _, grad = soft_cross_entropy(softmax(v / T, axis=1), z, T)  # gradient of T^2 CE(q(v;T), q(z;T))
        norms.append(np.linalg.norm(grad))
        unscaled.append(np.linalg.norm(grad) / T**2)
    assert max(norms) / min(norms) < 2.0
    assert max(unscaled) / min(unscaled) > 10.0  # without T^2 the soft term would fade as 1/T^2


def test_high_temperature_gradient_is_logit_matching(rng):
    z, v = rng.normal(scale=2.0, size=(2, 50, 10))
    _, grad = soft_cross_entropy(softmax(v / 50.0, axis=1), z, 50.0)
    limit = (_centre(z) - _centre(v)) / z.shape[1]
    assert np.linalg.norm(grad - limit) < 0.05 * np.linalg.norm(limit)


def test_high_temperature_student_is_ridge_on_centred_teacher_logits(iris, teacher):
    # T^2 CE(q(v;T), q(z;T)) -> ||centred (z - v)||^2 / (2K) + const, so with xi = 1 the student
    # tends to ridge regression of the centred teacher logits with penalty alpha * K * n.
    X, y = iris
    P = teacher.predict_proba(X)
    alpha, k, n = 0.05, 3, len(y)
    kd = SoftTargetLogisticRegression(alpha=alpha, tol=1e-12, max_iter=10_000)
    kd.fit_kd(X, y, P, xi=1.0, temperature=100.0)
    ridge = Ridge(alpha=alpha * k * n).fit(X, _centre(np.log(P)))
    assert np.abs(kd.coef_ - ridge.coef_).max() < 0.01 * np.abs(ridge.coef_).max()
    np.testing.assert_allclose(kd.intercept_, ridge.intercept_, atol=0.02)


# ---------------------------------------------------------------------------------- students
def test_generic_student_at_t1_fits_the_same_objective(iris, teacher):
    X, y = iris
    C = 2.0
    generic = KnowledgeDistillationClassifier(
        teacher, LogisticRegression(C=C, tol=1e-12, max_iter=10_000), xi=0.7, temperature=1.0
    ).fit(X, y)
    exact = KnowledgeDistillationClassifier(
        teacher, SoftTargetLogisticRegression(alpha=1 / (C * len(y)), tol=1e-10), xi=0.7,
        temperature=1.0,
    ).fit(X, y)
    np.testing.assert_allclose(generic.predict_proba(X), exact.predict_proba(X), atol=1e-6)


def test_generic_student_refuses_other_temperatures(iris, teacher):
    X, y = iris
    kd = KnowledgeDistillationClassifier(teacher, LogisticRegression(), temperature=4.0)
    with pytest.raises(ValueError, match="no fit_kd method.*temperature=1.0"):
        kd.fit(X, y)


def test_generic_student_needs_sample_weights(iris, teacher):
    X, y = iris
    kd = KnowledgeDistillationClassifier(teacher, KNeighborsClassifier(), xi=0.5, temperature=1.0)
    with pytest.raises(ValueError, match="sample_weight"):
        kd.fit(X, y)
    assert kd.set_params(xi=0.0).fit(X, y).score(X, y) > 0.9  # labels only: no weights needed


def test_xi_outside_unit_interval(iris, teacher):
    X, y = iris
    with pytest.raises(ValueError, match=r"xi must lie in \[0, 1\]"):
        KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), xi=1.5).fit(X, y)
    with pytest.raises(ValueError, match="negative mixed-target weights"):
        KnowledgeDistillationClassifier(teacher, LogisticRegression(), xi=1.5, temperature=1.0).fit(
            X, y
        )
    # at T = 1 a fit_kd student accepts it: the objective is a CE at a signed target, still convex
    kd = KnowledgeDistillationClassifier(
        teacher, SoftTargetLogisticRegression(), xi=1.5, temperature=1.0
    ).fit(X, y)
    assert kd.score(X, y) > 0.8


@pytest.mark.parametrize("xi", [np.nan, np.inf, "0.5", None])
def test_bad_xi(iris, teacher, xi):
    X, y = iris
    with pytest.raises(ValueError, match="xi must be a finite number"):
        KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), xi=xi).fit(X, y)


@pytest.mark.parametrize("temperature", [0.0, -1.0, np.nan])
def test_bad_temperature(iris, teacher, temperature):
    X, y = iris
    kd = KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), temperature=temperature)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        kd.fit(X, y)


# ---------------------------------------------------------------------------------- teachers
def test_prefit_teacher_is_used_as_is(iris, teacher):
    X, y = iris
    before = teacher.coef_.copy()
    kd = KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression()).fit(X[:60], y[:60])
    assert kd.teacher_ is teacher and kd.teacher_prefit_
    np.testing.assert_array_equal(teacher.coef_, before)


def test_unfitted_teacher_is_cloned_and_fitted(iris):
    X, y = iris
    raw = SoftTargetLogisticRegression(alpha=1e-2)
    kd = KnowledgeDistillationClassifier(raw, SoftTargetLogisticRegression()).fit(X, y)
    assert kd.teacher_ is not raw and not kd.teacher_prefit_
    assert not hasattr(raw, "coef_")
    np.testing.assert_array_equal(kd.teacher_.coef_, clone(raw).fit(X, y).coef_)


def test_frozen_teacher_survives_clone(iris, teacher):
    X, y = iris
    kd = clone(KnowledgeDistillationClassifier(FrozenEstimator(teacher), SoftTargetLogisticRegression()))
    kd.fit(X[:50], y[:50])  # the frozen teacher is not refitted on this subset
    np.testing.assert_allclose(kd.teacher_.predict_proba(X), teacher.predict_proba(X))


def test_teacher_without_predict_proba(iris):
    X, y = iris
    with pytest.raises(ValueError, match="predict_proba"):
        KnowledgeDistillationClassifier(LinearSVC(), SoftTargetLogisticRegression()).fit(X, y)


def test_labels_unknown_to_a_prefit_teacher(iris):
    X, y = iris
    two_class = SoftTargetLogisticRegression().fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match=r"labels \[2\] that are not among the classes"):
        KnowledgeDistillationClassifier(two_class, SoftTargetLogisticRegression()).fit(X, y)


def test_student_learns_a_class_it_never_sees(iris, teacher):
    # omitted-class mechanics: the classes come from the teacher, soft targets carry class 2
    X, y = iris
    keep = y != 2
    kd = KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), xi=1.0,
                                         temperature=2.0).fit(X[keep], y[keep])
    assert kd.classes_.tolist() == [0, 1, 2]
    assert kd.predict_proba(X).shape == (150, 3)
    hard = KnowledgeDistillationClassifier(teacher, SoftTargetLogisticRegression(), xi=0.0)
    hard.fit(X[keep], y[keep])
    assert np.mean(hard.predict(X[~keep]) == 2) == 0.0
    assert np.mean(kd.predict(X[~keep]) == 2) > 0.6  # measured 0.94 (deterministic fit)


# -------------------------------------------------------------------------------- regression
class _ColumnTeacher(RegressorMixin, BaseEstimator):
    """A prefit teacher whose prediction for a row is the row's first feature."""

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64)[:, 0]


class _RecordingStudent(RegressorMixin, BaseEstimator):
    """Remembers the target it was fitted on."""

    def fit(self, X, y):
        self.target_ = np.array(y, dtype=np.float64)
        return self

    def predict(self, X):
        return np.zeros(np.shape(X)[0])


_values = st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3)


@given(f=_values, t=_values, y=_values, xi=st.floats(-3, 3))
def test_squared_loss_mixture_identity(f, t, y, xi):
    # The target KnowledgeDistillationRegressor hands its student turns the KD loss into the
    # student's squared loss plus a constant: xi (f - t)^2 + (1 - xi)(f - y)^2
    # = (f - target)^2 + xi (1 - xi)(t - y)^2 for every prediction f.
    f, t, y = np.array(f), np.array(t), np.array(y)
    teacher = _ColumnTeacher().fit(t[:, None], y)
    kd = KnowledgeDistillationRegressor(teacher, _RecordingStudent(), xi=xi).fit(t[:, None], y)
    assert kd.teacher_prefit_
    target = kd.student_.target_
    lhs = xi * (f - t) ** 2 + (1 - xi) * (f - y) ** 2
    rhs = (f - target) ** 2 + xi * (1 - xi) * (t - y) ** 2
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("xi", [-0.5, 0.5, 2.0])
def test_ridge_student_matches_closed_form_self_distillation(xi):
    X, y = make_regression(80, 6, noise=5.0, random_state=0)
    ridge = Ridge(alpha=3.0, fit_intercept=False)
    kd = KnowledgeDistillationRegressor(ridge, ridge, xi=xi).fit(X, y)
    np.testing.assert_allclose(kd.student_.coef_, sd_coef(X, y, 3.0, [xi]), rtol=1e-8)


def test_regression_student_minimises_the_mixture_loss(rng):
    X, y = make_regression(60, 4, noise=3.0, random_state=1)
    teacher = Ridge(alpha=50.0).fit(X, y)
    xi = 0.3
    kd = KnowledgeDistillationRegressor(teacher, LinearRegression(fit_intercept=False), xi=xi)
    kd.fit(X, y)
    # independent solution: stacked least squares of sqrt(xi) (Xw - t) and sqrt(1 - xi) (Xw - y)
    A = np.vstack([np.sqrt(xi) * X, np.sqrt(1 - xi) * X])
    b = np.concatenate([np.sqrt(xi) * teacher.predict(X), np.sqrt(1 - xi) * y])
    np.testing.assert_allclose(kd.student_.coef_, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-8)


def test_regression_xi_zero_is_plain_training():
    X, y = make_regression(50, 3, noise=1.0, random_state=2)
    kd = KnowledgeDistillationRegressor(Ridge(alpha=10.0), Ridge(), xi=0.0).fit(X, y)
    np.testing.assert_array_equal(kd.student_.coef_, Ridge().fit(X, y).coef_)


def test_regression_multi_output():
    X, Y = make_regression(50, 3, n_targets=2, noise=1.0, random_state=3)
    kd = KnowledgeDistillationRegressor(Ridge(alpha=5.0), Ridge(alpha=5.0), xi=0.5).fit(X, Y)
    assert kd.predict(X).shape == (50, 2)
    np.testing.assert_allclose(kd.student_.coef_.T, sd_coef(X - X.mean(0), Y - Y.mean(0), 5.0, [0.5]),
                               rtol=1e-8)


def test_regression_bad_input():
    X, y = make_regression(20, 3, random_state=0)
    with pytest.raises(ValueError, match="xi must be a finite number"):
        KnowledgeDistillationRegressor(Ridge(), Ridge(), xi=np.nan).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        KnowledgeDistillationRegressor(Ridge(), Ridge()).fit(X, np.where(y > 0, np.nan, y))


@parametrize_with_checks(
    [
        # alpha = 0.01 keeps the toy problems well conditioned, so weighted and repeated fits
        # agree to the check's rtol = 1e-7 through two chained L-BFGS solves.
        KnowledgeDistillationClassifier(
            SoftTargetLogisticRegression(alpha=1e-2), SoftTargetLogisticRegression(alpha=1e-2)
        ),
        KnowledgeDistillationClassifier(LogisticRegression(), LogisticRegression(), temperature=1.0),
        KnowledgeDistillationRegressor(Ridge(), Ridge()),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_dataframe_reaches_a_prefit_teacher_with_its_column_names():
    import warnings

    X, y = load_iris(return_X_y=True, as_frame=True)
    teacher = LogisticRegression(max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "X does not have valid feature names" would fail here
        kd = KnowledgeDistillationClassifier(teacher, LogisticRegression(max_iter=1000), xi=0.5,
                                             temperature=1.0).fit(X, y)
        kd.predict(X)
    assert kd.feature_names_in_.tolist() == list(X.columns)
    assert kd.student_.feature_names_in_.tolist() == list(X.columns)


# ------------------------------------------------------------------ bad input (issue 10)


@pytest.mark.parametrize("temperature", [0, -1, 0.0, float("nan"), float("inf")])
def test_soften_and_distillation_loss_refuse_bad_temperatures(temperature):
    P = np.array([[0.7, 0.3], [0.1, 0.9]])
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        soften(P, temperature)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        distillation_loss(np.zeros((2, 2)), P, np.eye(2), 0.5, temperature)


def test_soften_and_distillation_loss_refuse_nan_inputs():
    P = np.array([[0.7, 0.3], [0.1, 0.9]])
    with pytest.raises(ValueError, match="NaN predictions"):
        soften(np.array([[np.nan, 1.0], [0.5, 0.5]]), 2.0)
    with pytest.raises(ValueError, match="2-D"):
        soften(np.array([0.5, 0.5]), 2.0)
    logits = np.array([[np.nan, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="1 NaN/infinite.*lower its learning rate"):
        distillation_loss(logits, P, np.eye(2), 0.5, 2.0)
