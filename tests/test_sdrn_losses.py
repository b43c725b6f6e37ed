"""SDRN losses (values, subgradients) and the convex solvers (fast dual LP vs primal reference)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize

from selfdistill.sdrn import margin_loss, margin_subgradient, residual_loss, residual_subgradient
from selfdistill.sdrn._solvers import (
    fit_hinge_lp,
    fit_hinge_lp_primal,
    fit_lp,
    fit_lp_primal,
    fit_ridge,
    fit_smooth,
)

finite = st.floats(-50, 50, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def test_loss_values_at_known_points():
    r = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert residual_loss("squared", r).tolist() == [4.0, 0.25, 0.0, 0.25, 4.0]
    assert residual_loss("absolute", r).tolist() == [2.0, 0.5, 0.0, 0.5, 2.0]
    np.testing.assert_allclose(residual_loss("quantile", r, tau=0.25), [1.5, 0.375, 0, 0.125, 0.5])
    np.testing.assert_allclose(residual_loss("huber", r, delta=1.0), [1.5, 0.125, 0, 0.125, 1.5])
    m = np.array([-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(margin_loss("hinge", m), [2, 1, 0, 0])
    np.testing.assert_allclose(margin_loss("logistic", m), np.log1p(np.exp(-m)))
    assert np.isfinite(margin_loss("logistic", np.array([-800.0]))).all()  # no overflow


@pytest.mark.parametrize(("call", "match"), [
    (lambda: residual_loss("hinge", [0.0]), "residual_loss: loss must be one of 'squared'"),
    (lambda: residual_subgradient("quantile", [0.0], tau=1.0), r"tau must be a finite number in \(0, 1\)"),
    (lambda: residual_loss("huber", [0.0], delta=0.0), "delta must be a finite number > 0"),
    (lambda: margin_subgradient("squared", [0.0]), "margin_subgradient: loss must be one of 'logistic', 'hinge'"),
])
def test_loss_functions_refuse_bad_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(finite, st.floats(0.01, 0.99), st.floats(0.05, 5.0))
def test_subgradients_match_finite_differences_away_from_kinks(r, tau, delta):
    h = 1e-6
    for loss in ("squared", "absolute", "quantile", "huber"):
        fd = (residual_loss(loss, r + h, tau, delta) - residual_loss(loss, r - h, tau, delta)) / (2 * h)
        np.testing.assert_allclose(residual_subgradient(loss, r, tau, delta), fd, rtol=1e-5, atol=1e-5)
    for loss in ("hinge", "logistic"):
        if abs(r - 1.0) > 1e-3:
            fd = (margin_loss(loss, r + h) - margin_loss(loss, r - h)) / (2 * h)
            np.testing.assert_allclose(margin_subgradient(loss, r), fd, rtol=1e-5, atol=1e-6)


@given(st.floats(0.01, 0.99))
def test_subgradients_at_kinks_lie_in_the_subdifferential(tau):
    assert residual_subgradient("absolute", 0.0) == 0.0
    assert tau - 1.0 <= residual_subgradient("quantile", 0.0, tau) <= tau
    assert -1.0 <= margin_subgradient("hinge", 1.0) <= 0.0


@given(st.floats(0.05, 10.0))
def test_huber_is_continuous_with_a_continuous_derivative_at_delta(delta):
    eps = 1e-9
    for side in (delta, -delta):
        lo, hi = side - eps, side + eps
        assert abs(residual_loss("huber", lo, delta=delta) - residual_loss("huber", hi, delta=delta)) < 1e-7
        assert abs(residual_subgradient("huber", lo, delta=delta)
                   - residual_subgradient("huber", hi, delta=delta)) < 1e-6
    # quadratic inside, linear with slope delta outside, 1-Lipschitz scaled by delta
    assert residual_loss("huber", 3 * delta, delta=delta) == pytest.approx(2.5 * delta**2)


@given(st.floats(0.01, 0.99))
def test_check_loss_is_the_tau_weighted_absolute_value(tau):
    r = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(residual_loss("quantile", r, tau),
                               0.5 * np.abs(r) + (tau - 0.5) * r, atol=1e-14)
    np.testing.assert_allclose(residual_loss("quantile", r, 0.5), 0.5 * residual_loss("absolute", r))


def _problem(rng, n=120, p=12):
    Phi = rng.uniform(size=(n, p))
    y = Phi @ rng.normal(size=p) + rng.standard_t(2, size=n)
    return Phi, y


def _lp_objective(Phi, terms, coef, b, cp, cn, alpha):
    total = alpha * np.abs(coef).sum()
    for t, w in terms:
        r = t - Phi @ coef - b
        total += w @ (cp * np.maximum(r, 0) + cn * np.maximum(-r, 0))
    return total


@pytest.mark.parametrize(("cost_pos", "cost_neg"), [(1.0, 1.0), (0.2, 0.8), (0.9, 0.1)])
def test_dual_lp_equals_the_primal_lp_reference(rng, cost_pos, cost_neg):
    Phi, y = _problem(rng)
    teacher = y + rng.normal(size=y.size)
    terms = [(teacher, np.full(y.size, 0.3)), (y, np.full(y.size, 0.7))]
    fast = fit_lp(Phi, terms, cost_pos, cost_neg, 0.5)
    slow = fit_lp_primal(Phi, terms, cost_pos, cost_neg, 0.5)
    f_fast = _lp_objective(Phi, terms, fast[0], fast[1], cost_pos, cost_neg, 0.5)
    f_slow = _lp_objective(Phi, terms, slow[0], slow[1], cost_pos, cost_neg, 0.5)
    assert f_fast == pytest.approx(f_slow, rel=1e-9)
    # the LP optimum beats a generic optimiser started at it (local optimality check)
    res = minimize(lambda th: _lp_objective(Phi, terms, th[:-1], th[-1], cost_pos, cost_neg, 0.5),
                   np.r_[fast[0], fast[1]], method="Powell", options={"maxiter": 2000})
    assert f_fast <= res.fun + 1e-9


def test_dual_hinge_lp_equals_the_primal_reference(rng):
    Phi, y = _problem(rng)
    sign = np.where(y > np.median(y), 1.0, -1.0)
    w = rng.uniform(0.5, 2.0, size=y.size)

    def objective(c, b):
        return w @ np.maximum(0, 1 - sign * (Phi @ c + b)) + 0.3 * np.abs(c).sum()

    fast, slow = fit_hinge_lp(Phi, sign, w, 0.3), fit_hinge_lp_primal(Phi, sign, w, 0.3)
    assert objective(fast[0], fast[1]) == pytest.approx(objective(slow[0], slow[1]), rel=1e-9)


def test_ridge_solve_matches_lbfgs_and_the_normal_equations(rng):
    Phi, y = _problem(rng)
    w = rng.uniform(0.5, 2.0, size=y.size)
    coef, b, _ = fit_ridge(Phi, y, w, 2.0)
    # reference: the full normal equations with an unpenalised intercept column
    A = np.c_[Phi, np.ones(len(y))]
    D = np.diag(np.r_[np.full(Phi.shape[1], 2.0), 0.0])
    ref = np.linalg.solve(A.T @ (w[:, None] * A) + D, A.T @ (w * y))
    np.testing.assert_allclose(np.r_[coef, b], ref, rtol=1e-9, atol=1e-10)

    def value_grad(F):
        r = y[:, None] - F
        return float(w @ r[:, 0] ** 2), -2.0 * w[:, None] * r

    B, b2, ok, _ = fit_smooth(Phi, value_grad, 1, 2.0, "l2", 5000, 1e-14)
    assert ok
    np.testing.assert_allclose(np.r_[B[:, 0], b2], ref, rtol=1e-5, atol=1e-6)


def test_l1_smooth_solver_satisfies_the_kkt_conditions(rng):
    """Squared loss + l1 by L-BFGS-B on the split variables: check KKT conditions."""
    Phi, y = _problem(rng)
    alpha = 30.0

    def value_grad(F):
        r = y[:, None] - F
        return float(np.sum(r**2)), -2.0 * r

    B, b, ok, _ = fit_smooth(Phi, value_grad, 1, alpha, "l1", 5000, 1e-14)
    coef = B[:, 0]
    grad = -2.0 * Phi.T @ (y - Phi @ coef - b)
    active = np.abs(coef) > 1e-6
    assert active.any() and (~active).any()  # the l1 penalty zeroes some coefficients
    np.testing.assert_allclose(grad[active], -alpha * np.sign(coef[active]), atol=1e-3)
    assert np.all(np.abs(grad[~active]) <= alpha + 1e-3)
