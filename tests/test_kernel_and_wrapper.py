"""Kernel ridge self-distillation and the generic wrapper."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.tree import DecisionTreeRegressor

from selfdistill import (
    SelfDistillationRegressor,
    SelfDistilledKernelRidge,
    SelfDistilledKernelRidgeCV,
    SelfDistilledRidge,
    SelfDistilledRidgeCV,
)

pytestmark = pytest.mark.filterwarnings("ignore::selfdistill.exceptions.GridBoundaryWarning")


@pytest.fixture
def wave(rng):
    X = rng.uniform(size=(40, 2))
    y = np.sin(4 * X[:, 0]) + 0.1 * rng.normal(size=40)
    return X, y


def test_kernel_teacher_is_sklearn_kernel_ridge(wave):
    X, y = wave
    for kernel, params in [("rbf", {"gamma": 2.0}), ("poly", {"degree": 2, "coef0": 1.0}), ("linear", {})]:
        ours = SelfDistilledKernelRidge(alpha=0.1, xi=[], kernel=kernel, **params).fit(X, y)
        theirs = KernelRidge(alpha=0.1, kernel=kernel, **params).fit(X, y)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-10)


def test_kernel_steps_equal_sequential_kernel_ridge_refits(wave):
    X, y = wave
    xi = [0.5, -1.0, 2.0]
    ours = SelfDistilledKernelRidge(alpha=0.05, xi=xi, gamma=2.0).fit(X, y)
    model = KernelRidge(alpha=0.05, kernel="rbf", gamma=2.0).fit(X, y)
    for k, value in enumerate(xi, start=1):
        model = KernelRidge(alpha=0.05, kernel="rbf", gamma=2.0).fit(X, value * model.predict(X) + (1 - value) * y)
        np.testing.assert_allclose(ours.step_dual_coefs_[k], model.dual_coef_, rtol=1e-6, atol=1e-8)


def test_borup_andersen_limit_and_mobahi_pure_distillation(wave):
    X, y = wave
    # constant xi in [0, 1), k -> infinity: kernel ridge with alpha / (1 - xi)
    sd = SelfDistilledKernelRidge(alpha=0.1, xi=np.full(400, 0.6), gamma=2.0).fit(X, y)
    kr = KernelRidge(alpha=0.1 / 0.4, kernel="rbf", gamma=2.0).fit(X, y)
    np.testing.assert_allclose(sd.predict(X), kr.predict(X), atol=1e-10)
    # pure SD (xi = 1, Mobahi et al. penalised form): filter a^(k+1), shrinking predictions
    norms = [np.linalg.norm(SelfDistilledKernelRidge(alpha=0.1, xi=np.ones(k), gamma=2.0).fit(X, y).predict(X))
             for k in range(5)]
    assert np.all(np.diff(norms) < 0)


def test_linear_kernel_equals_linear_sd_without_intercept(wave):
    X, y = wave
    a = SelfDistilledKernelRidge(alpha=0.3, xi=[0.5, 2.0], kernel="linear").fit(X, y)
    b = SelfDistilledRidge(alpha=0.3, xi=[0.5, 2.0], fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-10)


def test_kernel_sample_weight_is_duplication(wave, rng):
    X, y = wave
    w = rng.integers(1, 3, size=40).astype(float)
    rows = np.repeat(np.arange(40), w.astype(int))
    a = SelfDistilledKernelRidge(alpha=0.1, xi=[0.5, 2.0], gamma=2.0).fit(X, y, sample_weight=w)
    b = SelfDistilledKernelRidge(alpha=0.1, xi=[0.5, 2.0], gamma=2.0).fit(X[rows], y[rows])
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-10)


@pytest.mark.parametrize("tuning", ["gcv", "loo", "cp", "validation"])
def test_kernel_cv_equals_linear_cv_with_a_linear_kernel(wave, tuning):
    X, y = wave
    kw = {"alphas": np.logspace(-3, 1, 9), "n_steps": (0, 1, 2), "tuning": tuning, "noise_var": 0.01, "random_state": 0}
    a = SelfDistilledKernelRidgeCV(kernel="linear", **kw).fit(X, y)
    b = SelfDistilledRidgeCV(fit_intercept=False, **kw).fit(X, y)
    assert (a.alpha_, a.n_steps_) == (b.alpha_, b.n_steps_)
    np.testing.assert_allclose(a.cv_results_["mse"], b.cv_results_["mse"], rtol=1e-8)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-8)


def test_kernel_cv_loo_is_exact(wave):
    X, y = wave
    cv = SelfDistilledKernelRidgeCV(alphas=[0.05], n_steps=(2,), tuning="loo", gamma=2.0).fit(X[:15], y[:15])
    sse = 0.0
    for i in range(15):
        keep = np.arange(15) != i
        model = SelfDistilledKernelRidge(alpha=0.05, xi=cv.xi_, gamma=2.0).fit(X[:15][keep], y[:15][keep])
        sse += (y[i] - model.predict(X[i : i + 1])[0]) ** 2
    assert -cv.best_score_ == pytest.approx(sse / 15, rel=1e-8)


def test_wrapper_with_ridge_equals_the_closed_form(wave):
    X, y = wave
    xi = [0.5, -1.0, 2.5]
    wrapped = SelfDistillationRegressor(Ridge(alpha=0.4), xi=xi).fit(X, y)
    closed = SelfDistilledRidge(alpha=0.4, xi=xi).fit(X, y)
    np.testing.assert_allclose(wrapped.predict(X), closed.predict(X), atol=1e-10)
    assert len(wrapped.estimators_) == 4
    assert all(est is not wrapped.estimators_[0] for est in wrapped.estimators_[1:])


def test_wrapper_cross_validates_xi_honestly(wave):
    X, y = wave
    grid = (-1.0, 0.0, 0.5, 1.5)
    model = SelfDistillationRegressor(Ridge(alpha=5.0), xi="cv", n_steps=1, xi_grid=grid, cv=4).fit(X, y)
    assert model.cv_scores_.shape == (1, 4) and model.xi_[0] in grid
    assert model.xi_[0] == grid[int(np.argmin(model.cv_scores_[0]))]
    # recompute one score by hand: the teacher is refitted on each fold's training rows
    from sklearn.model_selection import KFold

    scores = []
    for train, test in KFold(4).split(X):
        teacher = Ridge(alpha=5.0).fit(X[train], y[train])
        student = Ridge(alpha=5.0).fit(X[train], -1.0 * teacher.predict(X[train]) + 2.0 * y[train])
        scores.append(np.mean((y[test] - student.predict(X[test])) ** 2))
    assert model.cv_scores_[0, 0] == pytest.approx(np.mean(scores), rel=1e-12)
    # with an over-regularised teacher the sign rule favours xi < 0
    assert model.xi_[0] < 0


def test_wrapper_with_a_tree_and_bad_inputs(wave):
    X, y = wave
    tree = DecisionTreeRegressor(max_depth=3, random_state=0)
    model = SelfDistillationRegressor(tree, xi=[0.3, 0.3]).fit(X, y)
    assert model.predict(X).shape == (40,)
    assert clone(model).get_params()["estimator"] is not tree
    with pytest.raises(ValueError, match="'cv'"):
        SelfDistillationRegressor(xi="auto").fit(X, y)
    with pytest.raises(ValueError, match="empty"):
        SelfDistillationRegressor(xi="cv", xi_grid=()).fit(X, y)

    class NoWeights(Ridge):
        def fit(self, X, y):  # noqa: D102 - deliberately without sample_weight
            return super().fit(X, y)

    with pytest.raises(ValueError, match="sample_weight"):
        SelfDistillationRegressor(NoWeights()).fit(X, y, sample_weight=np.ones(40))


@pytest.mark.parametrize("base", [Ridge(alpha=0.3), KNeighborsRegressor(n_neighbors=4)], ids=["ridge", "knn"])
def test_the_refit_estimators_run_one_engine(wave, base):
    # SelfDistillationRegressor, BornAgainRegressor and KnowledgeDistillationRegressor all refit
    # on xi f_prev(X) + (1 - xi) y through selfdistill._refit_chain: the same chain, bit for bit.
    from selfdistill.kd import BornAgainRegressor, KnowledgeDistillationRegressor

    X, y = wave
    weights = None if isinstance(base, KNeighborsRegressor) else np.linspace(0.5, 2.0, len(y))
    wrapped = SelfDistillationRegressor(base, xi=[0.7, 0.7]).fit(X, y, sample_weight=weights)
    ban = BornAgainRegressor(base, n_generations=3, xi=0.7, ensemble=False).fit(X, y, sample_weight=weights)
    kd = KnowledgeDistillationRegressor(wrapped.estimators_[1], base, xi=0.7).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(ban.predict(X), wrapped.predict(X))
    np.testing.assert_array_equal(kd.predict(X), wrapped.predict(X))
    expected = 0.7 * wrapped.estimators_[0].predict(X) + 0.3 * y
    np.testing.assert_allclose(ban.training_targets_[1], expected, rtol=1e-12)
