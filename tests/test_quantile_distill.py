"""Quantile self-distillation: two-term loss, fixed points, censoring imputation, kernel QR."""

import numpy as np
import pytest
from scipy import stats

from selfdistill.quantile import (
    JointQuantileRegressor,
    QuantileSelfDistillation,
    RearrangedQuantileRegressor,
    SelfDistilledKernelQuantileRegressor,
)
from selfdistill.quantile._lp import check_loss
from selfdistill.quantile.distill import fit_kernel_quantile


def _data(rng, n=200):
    X = rng.uniform(size=(n, 1))
    y = 1 + 2 * X[:, 0] + (1 + X[:, 0]) * rng.normal(size=n)
    return X, y


def _per_tau(tau):
    return RearrangedQuantileRegressor(quantiles=(0.05, tau, 0.95))


def test_xi_zero_is_the_plain_fit_and_xi_one_reproduces_a_linear_teacher(rng):
    X, y = _data(rng)
    tau = 0.7
    plain = _per_tau(tau).fit(X, y)
    zero = QuantileSelfDistillation(teacher=JointQuantileRegressor(method="map"), quantile=tau, xi=0.0).fit(X, y)
    np.testing.assert_allclose([zero.intercept_, *zero.coef_], plain.coef_at([tau])[0], atol=1e-7)
    one = QuantileSelfDistillation(teacher=JointQuantileRegressor(method="map"), quantile=tau, xi=1.0).fit(X, y)
    teacher_plane = one.teacher_.coef_at([tau])[0]
    np.testing.assert_allclose(one.predict(X), one.teacher_.predict(X, quantiles=tau), atol=1e-6)
    np.testing.assert_allclose([one.intercept_, *one.coef_], teacher_plane, atol=1e-6)


def test_true_quantile_teacher_is_a_fixed_point(rng):
    """The tau-quantile of xi delta_{Q(tau|x)} + (1 - xi) P(Y|x) is Q(tau|x): a student distilled from the
    true quantile at any xi lands (up to sampling) on it, and closer than the plain fit."""

    class Oracle:
        def fit(self, X, y, **kw):
            return self

        def predict(self, X, quantiles):
            q = np.atleast_1d(quantiles)
            return 1 + 2 * X + (1 + X) * stats.norm.ppf(q)[None, :]

        def get_params(self, deep=False):
            return {}

    X, y = _data(rng, n=300)
    tau = 0.8
    truth = np.array([1 + stats.norm.ppf(tau), 2 + stats.norm.ppf(tau)])
    plain = _per_tau(tau).fit(X, y).coef_at([tau])[0]
    for xi in (0.3, 0.7):
        sd = QuantileSelfDistillation(teacher=Oracle(), quantile=tau, xi=xi).fit(X, y)
        err = np.abs(np.r_[sd.intercept_, sd.coef_] - truth).max()
        assert err <= np.abs(plain - truth).max() + 1e-9


def test_distributional_mode_uses_the_teachers_predictive_law(rng):
    X, y = _data(rng)
    teacher = JointQuantileRegressor(method="map")
    sd = QuantileSelfDistillation(teacher=teacher, quantile=0.9, xi=1.0, mode="distributional", n_pseudo=39).fit(X, y)
    # with xi = 1 the student fits the teacher's pseudo-responses: its 0.9-quantile of the teacher's law
    direct = sd.teacher_.predict(X, quantiles=0.9)
    assert np.abs(sd.predict(X) - direct).max() < 0.15


def test_teacher_imputation_of_right_censored_responses(rng):
    n = 400
    X = rng.uniform(size=(n, 1))
    ylat = 1 + 2 * X[:, 0] + (1 + X[:, 0]) * rng.normal(size=n)
    c = 1 + 2 * X[:, 0] + 1.5 * rng.normal(size=n) + 1.5
    y, cens = np.minimum(ylat, c), (ylat > c).astype(int)
    tau = 0.8
    xs = np.linspace(0, 1, 11)[:, None]
    truth = 1 + 2 * xs[:, 0] + (1 + xs[:, 0]) * stats.norm.ppf(tau)
    sd = QuantileSelfDistillation(teacher=JointQuantileRegressor(method="map"), quantile=tau, xi=0.0).fit(
        X, y, censoring=cens)
    naive = _per_tau(tau).fit(X, y)
    err_sd = np.abs(sd.predict(xs) - truth).mean()
    err_naive = np.abs(naive.predict(xs, quantiles=tau) - truth).mean()
    assert err_sd <= 0.5 * err_naive


def test_kernel_quantile_regression_is_optimal(rng):
    X, y = _data(rng, n=60)
    K = np.exp(-((X - X.T) ** 2) / 0.1)
    alpha, tau = 0.3, 0.75
    a, b = fit_kernel_quantile(K, y, np.ones(60), tau, alpha)
    c = a / (2 * alpha)

    def primal(cc, bb):
        return check_loss(y - bb - K @ cc, tau).sum() + alpha * cc @ K @ cc

    best = primal(c, b)
    assert abs(a.sum()) < 1e-6  # the intercept's optimality condition
    for _ in range(100):
        assert primal(c + 1e-3 * rng.normal(size=60), b + 1e-3 * rng.normal()) >= best - 1e-9


def test_repeated_kernel_sd_with_the_same_penalty_is_a_fixed_point(rng):
    X, y = _data(rng, n=80)
    model = SelfDistilledKernelQuantileRegressor(quantile=0.7, alpha=0.5, xi=(0.3, 0.6, 0.9)).fit(X, y)
    teacher = model.predict(X, step=0)
    for k in range(1, 4):
        np.testing.assert_allclose(model.predict(X, step=k), teacher, atol=2e-4)
    changed = SelfDistilledKernelQuantileRegressor(quantile=0.7, alpha=0.5, xi=(0.6,), student_alpha=5.0).fit(X, y)
    assert np.abs(changed.predict(X) - teacher).max() > 1e-2


def test_kernel_sd_chooses_xi_by_cross_validation(rng):
    X, y = _data(rng, n=60)
    model = SelfDistilledKernelQuantileRegressor(quantile=0.5, alpha=0.5, xi="cv", xi_grid=(0.0, 0.5), cv=3,
                                                 student_alpha=2.0, random_state=0).fit(X, y)
    losses = model.cv_results_["mean_check_loss"]
    assert model.xi_[0] == model.cv_results_["xi"][int(np.argmin(losses))]
    assert model.predict(X).shape == (60,)


@pytest.mark.parametrize("kwargs, match", [
    ({"xi": 1.5}, r"\[0, 1\]"), ({"xi": -0.1}, "non-convex"),
    ({"quantile": 1.0}, r"quantile must be a finite number in \(0, 1\)"),
    ({"mode": "soft"}, "mode must be"), ({"xi": [0.2, 0.5]}, "single number"), ({"n_pseudo": 0}, "n_pseudo"),
])
def test_bad_input(kwargs, match, rng):
    X, y = _data(rng, n=30)
    with pytest.raises(ValueError, match=match):
        QuantileSelfDistillation(teacher=_per_tau(0.5), **kwargs).fit(X, y)
    with pytest.raises(ValueError, match="alpha must be"):
        SelfDistilledKernelQuantileRegressor(alpha=0.0).fit(X, y)
    with pytest.raises(ValueError, match="censoring codes"):
        QuantileSelfDistillation(teacher=_per_tau(0.5)).fit(X, y, censoring=np.full(30, 5))


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel": "gaussian"}, "kernel must be one of"), ({"cv": 1}, "cv must be an integer >= 2"),
    ({"xi": "cv", "xi_grid": ()}, "xi_grid is empty"), ({"xi": "loo"}, "or 'cv'"),
    ({"xi": (0.5, 1.2)}, "non-convex"), ({"student_alpha": -1.0}, "student_alpha must be None or"),
])
def test_kernel_sd_refuses_bad_parameters(kwargs, match, rng):
    X, y = _data(rng, n=20)
    with pytest.raises(ValueError, match=match):
        SelfDistilledKernelQuantileRegressor(**kwargs).fit(X, y)
