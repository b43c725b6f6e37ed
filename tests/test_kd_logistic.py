"""SoftTargetLogisticRegression: gradient, agreement with scikit-learn, soft targets, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import softmax
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from selfdistill.kd import SoftTargetLogisticRegression
from selfdistill.kd._objective import SoftTerm, objective


def _dirichlet_targets(rng, n, k):
    return rng.dirichlet(np.ones(k), size=n)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_matches_finite_differences(rng, fit_intercept):
    n, p, k = 40, 5, 4
    X = rng.normal(size=(n, p))
    terms = [
        SoftTerm(0.7, 3.0, _dirichlet_targets(rng, n, k)),
        SoftTerm(0.3, 1.0, np.eye(k)[rng.integers(0, k, n)]),
    ]
    sw = rng.uniform(0.5, 2.0, n)
    theta = rng.normal(size=p * k + (k if fit_intercept else 0))
    args = (X, terms, sw, 0.3, fit_intercept)
    grad = objective(theta, *args)[1]
    error = check_grad(lambda t: objective(t, *args)[0], lambda t: objective(t, *args)[1], theta)
    assert error < 1e-6 * np.linalg.norm(grad)


def test_hard_labels_match_sklearn_multiclass(iris):
    X, y = iris
    C, n = 0.7, len(y)
    ours = SoftTargetLogisticRegression(alpha=1.0 / (C * n), tol=1e-10).fit(X, y)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_ - ref.intercept_.mean(), atol=2e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_sample_weight_mapping_matches_sklearn(iris, rng):
    X, y = iris
    sw = rng.uniform(0.2, 3.0, len(y))
    C = 2.0
    ours = SoftTargetLogisticRegression(alpha=1.0 / (C * sw.sum()), tol=1e-10).fit(X, y, sw)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_binary_alpha_mapping_matches_sklearn():
    X, y = make_classification(200, 6, n_informative=4, flip_y=0.2, random_state=0)
    C, n = 0.5, len(y)
    ours = SoftTargetLogisticRegression(alpha=2.0 / (C * n), tol=1e-10).fit(X, y)
    ref = LogisticRegression(C=C, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_[1] - ours.coef_[0], ref.coef_[0], atol=1e-5)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-5)
    assert ours.decision_function(X).shape == (n,)


def test_soft_targets_equal_weighted_replication_in_sklearn(rng, iris):
    # An independent implementation of the same objective: CE(p, q) = sum_k p_k * (-log q_k) is
    # LogisticRegression on every row repeated once per class with sample weight p_ik.
    X, _ = iris
    n, k = len(X), 3
    P = _dirichlet_targets(rng, n, k)
    C = 1.5
    ours = SoftTargetLogisticRegression(alpha=1.0 / (C * n), tol=1e-10).fit(X, P)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(
        np.repeat(X, k, axis=0), np.tile(np.arange(k), n), sample_weight=P.ravel()
    )
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_soft_target_solution_is_stationary(rng):
    n, p, k = 60, 4, 5
    X = rng.normal(size=(n, p))
    P = _dirichlet_targets(rng, n, k)
    alpha = 0.05
    model = SoftTargetLogisticRegression(alpha=alpha, tol=1e-10).fit(X, P)
    residual = softmax(model.decision_function(X), axis=1) - P
    # first-order conditions written out by hand: X^T r / n + alpha W = 0 and sum_i r_i = 0
    np.testing.assert_allclose(X.T @ residual / n + alpha * model.coef_.T, 0.0, atol=1e-8)
    np.testing.assert_allclose(residual.sum(axis=0), 0.0, atol=1e-7)


def test_one_hot_matrix_is_the_same_fit_as_labels(iris):
    X, y = iris
    labels = SoftTargetLogisticRegression().fit(X, y)
    matrix = SoftTargetLogisticRegression().fit(X, np.eye(3)[y])
    np.testing.assert_array_equal(labels.coef_, matrix.coef_)
    np.testing.assert_array_equal(labels.classes_, matrix.classes_)


def test_probability_matrix_columns_follow_given_classes(rng):
    X = rng.normal(size=(30, 3))
    P = _dirichlet_targets(rng, 30, 3)
    model = SoftTargetLogisticRegression().fit(X, P, classes=["cat", "dog", "emu"])
    assert model.classes_.tolist() == ["cat", "dog", "emu"]
    assert set(model.predict(X)) <= {"cat", "dog", "emu"}
    np.testing.assert_array_equal(
        model.predict(X), model.classes_[np.argmax(model.predict_proba(X), axis=1)]
    )


def test_classes_absent_from_y_get_a_column_that_is_never_predicted(iris):
    X, y = iris
    keep = y != 1
    model = SoftTargetLogisticRegression(alpha=1e-3).fit(X[keep], y[keep], classes=[0, 1, 2])
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert proba[:, 1].max() < 1e-3
    assert 1 not in model.predict(X)


def test_predictions_are_consistent(iris):
    X, y = iris
    model = SoftTargetLogisticRegression(alpha=1e-2).fit(X, y)
    Z = model.decision_function(X)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)))
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), np.argmax(Z, axis=1))
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-10)
    assert model.score(X, y) > 0.9


def test_non_convergence_warns(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        SoftTargetLogisticRegression(max_iter=2).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": np.nan}, "alpha"),
        ({"alpha": np.inf}, "alpha"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"tol": 0.0}, "tol"),
    ],
)
def test_bad_hyper_parameters(iris, params, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        SoftTargetLogisticRegression(**params).fit(X, y)


def test_bad_targets(iris):
    X, y = iris
    P = np.full((len(y), 3), 1 / 3)
    bad_sum = P.copy()
    bad_sum[0] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="sum to 1"):
        SoftTargetLogisticRegression().fit(X, bad_sum)
    negative = P.copy()
    negative[0] = [1.2, -0.1, -0.1]
    with pytest.raises(ValueError, match="negative"):
        SoftTargetLogisticRegression().fit(X, negative)
    with pytest.raises(ValueError, match="3 columns but 2 classes"):
        SoftTargetLogisticRegression().fit(X, P, classes=[0, 1])
    with pytest.raises(ValueError, match="not among the classes"):
        SoftTargetLogisticRegression().fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="distinct"):
        SoftTargetLogisticRegression().fit(X, y, classes=[0, 1, 1, 2])
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftTargetLogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="NaN"):
        SoftTargetLogisticRegression().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="negative"):
        SoftTargetLogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))


def test_fit_kd_bad_teacher_matrix(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"teacher_proba must have shape \(150, 3\)"):
        SoftTargetLogisticRegression().fit_kd(X, y, np.full((150, 2), 0.5))
    with pytest.raises(ValueError, match="temperature"):
        SoftTargetLogisticRegression().fit_kd(X, y, np.full((150, 3), 1 / 3), temperature=0.0)
    with pytest.raises(ValueError, match=r"xi must lie in \[0, 1\]"):
        SoftTargetLogisticRegression().fit_kd(X, y, np.full((150, 3), 1 / 3), xi=1.5)


@parametrize_with_checks([SoftTargetLogisticRegression()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_signed_targets_that_make_the_loss_unbounded_are_refused(rng):
    X = rng.normal(size=(40, 3))
    y = np.zeros(40, dtype=int)
    y[:10] = 1
    y[10:20] = 2
    # a teacher that gives class 0 (half of the labels) a mean probability of only 0.1
    Q = np.tile([0.1, 0.45, 0.45], (40, 1))
    with pytest.raises(ValueError, match=r"negative for classes \[0\]"):
        SoftTargetLogisticRegression().fit_kd(X, y, Q, xi=3.0, temperature=1.0)
    with pytest.raises(ValueError, match="alpha > 0"):
        SoftTargetLogisticRegression(alpha=0.0).fit_kd(X, y, Q, xi=3.0, temperature=1.0)
    # without an intercept only the penalised weights remain: bounded, and the fit converges
    model = SoftTargetLogisticRegression(fit_intercept=False, alpha=0.1)
    assert model.fit_kd(X, y, Q, xi=3.0, temperature=1.0).n_iter_ > 0
    # a self-distillation teacher with an intercept matches the label frequencies: accepted
    teacher = SoftTargetLogisticRegression(alpha=0.1).fit(X, y)
    SoftTargetLogisticRegression().fit_kd(X, y, teacher.predict_proba(X), xi=3.0, temperature=1.0)
