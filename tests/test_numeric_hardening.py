"""Optimal xi that realise their risk (issue 9) and the core numeric defects of issue 10."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfdistill import _filters
from selfdistill.theory import FixedDesignProblem, excess_risk, optimal_xi, sd_coef

ROUND_TRIP_RTOL = 1e-9


def test_issue_9_example_no_longer_reports_an_unrealisable_xi():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 10))
    th = rng.normal(size=10)
    best = optimal_xi(X, th, 1.0, 1e4, 8)
    assert best.risk == pytest.approx(0.14764788541300802, rel=1e-8)
    # Per-step xi (and xibar) would give 4.95e5, so they are withheld, with the reason ...
    assert best.xi is None and best.xibar is None
    assert "cancellation" in best.unrepresentable_reason and "spectral_filter" in best.unrepresentable_reason
    # ... and the exact optimum is usable through its filter, in the risk and in the coefficients.
    assert excess_risk(X, th, 1.0, 1e4, spectral_filter=best.filter) == pytest.approx(best.risk, rel=1e-12)
    y = X @ th + rng.normal(size=50)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(
        sd_coef(X, y, 1e4, spectral_filter=best.filter), Vt.T @ (best.filter / s * (U.T @ y)), rtol=1e-10
    )
    # Fewer steps at the same alpha are representable and realise their risk.
    three = optimal_xi(X, th, 1.0, 1e4, 3)
    assert three.unrepresentable_reason is None
    assert excess_risk(X, th, 1.0, 1e4, three.xi) == pytest.approx(three.risk, rel=ROUND_TRIP_RTOL)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_features=st.integers(1, 12),
    n_steps=st.integers(0, 10),
    log_alpha=st.floats(-4, 5),
    log_noise=st.floats(-4, 1),
)
def test_reported_xi_and_xibar_realise_the_reported_risk(seed, n_features, n_steps, log_alpha, log_noise):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_features + 5, n_features)) * rng.uniform(0.1, 3.0, size=n_features)
    theta = rng.normal(size=n_features)
    alpha, noise = 10.0**log_alpha, 10.0**log_noise
    best = optimal_xi(X, theta, noise, alpha, n_steps)
    if best.xi is None:
        assert best.unrepresentable_reason
    if best.xi is not None:
        assert excess_risk(X, theta, noise, alpha, best.xi) == pytest.approx(best.risk, rel=ROUND_TRIP_RTOL)
    if best.xibar is not None:
        assert excess_risk(X, theta, noise, alpha, xibar=best.xibar) == pytest.approx(
            best.risk, rel=ROUND_TRIP_RTOL
        )
    else:
        assert best.unrepresentable_reason
    assert excess_risk(X, theta, noise, alpha, spectral_filter=best.filter) == pytest.approx(best.risk, rel=1e-8)


def test_spectral_filter_is_checked():
    X = np.random.default_rng(0).normal(size=(6, 3))
    with pytest.raises(ValueError, match="one value per nonzero singular value"):
        excess_risk(X, np.ones(3), 1.0, 1.0, spectral_filter=np.ones(2))
    with pytest.raises(ValueError, match="NaN or infinite"):
        sd_coef(X, np.ones(6), 1.0, spectral_filter=[np.nan, 0.0, 0.0])
    with pytest.raises(ValueError, match="not both xi and spectral_filter"):
        sd_coef(X, np.ones(6), 1.0, [0.5], spectral_filter=np.ones(3))


def _exact_ridge_path(xibar) -> list[Fraction]:
    poly = [1 - sum(Fraction(v) for v in xibar), *map(Fraction, xibar)]
    k = len(xibar)
    return [
        sum(c * math.comb(i, ell) for i, c in enumerate(poly) if i >= ell) / math.factorial(ell)
        for ell in range(1, k + 1)
    ]


@pytest.mark.parametrize("k", [3, 171, 250])
def test_ridge_path_weights_for_many_steps(k):
    """k >= 171 used to raise OverflowError (171! does not fit a float64)."""
    xibar = np.random.default_rng(k).normal(size=k) / np.arange(1, k + 1)
    w = _filters.xibar_to_ridge_path(xibar)
    expected = np.array([float(v) for v in _exact_ridge_path(xibar)])
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=1e-300)
    # The inverse runs too; for a one-step polynomial it is exact at any k.
    single = np.zeros(k)
    single[0] = 0.7
    np.testing.assert_allclose(_filters.ridge_path_to_xibar(_filters.xibar_to_ridge_path(single)), single, atol=1e-15)


def test_ridge_path_inverse_matches_the_exact_polynomial_for_many_steps():
    k = 200
    w = np.zeros(k)
    w[[0, 1, 199]] = [0.5, -0.25, 1e-300]
    xibar = _filters.ridge_path_to_xibar(w)
    # p(a) = 1 + 0.5 (a - 1) - 0.25 * 2! (a - 1)^2 + 1e-300 * 200! (a - 1)^200
    top = Fraction(1e-300) * math.factorial(200)
    assert np.isfinite(xibar).all()
    assert xibar[-1] == pytest.approx(float(top), rel=1e-12)
    assert xibar[0] == pytest.approx(float(Fraction(1, 2) + 1 - 200 * top), rel=1e-12)


def test_ridge_path_overflow_is_a_clear_error():
    with pytest.raises(ValueError, match="exceed"):
        _filters.ridge_path_to_xibar(np.full(200, 1e10))


def test_xi_whose_xibar_overflows_raises():
    """[1e200, 1e200] used to give xibar = [-inf, inf]."""
    with pytest.raises(ValueError, match="beyond float64"):
        _filters.xi_to_xibar([1e200, 1e200])
    with pytest.raises(ValueError, match="beyond float64"):
        _filters.xi_to_polynomial([1e200, 1e200])
    np.testing.assert_allclose(_filters.xi_to_xibar([1e100, 1e100]), [-1e200 + 1e100, 1e200])


@pytest.mark.parametrize("s", [[1e200, 1.0], [1.0, 1e-200]])
def test_fixed_design_problem_refuses_singular_values_whose_squares_overflow(s):
    """s = 1e200 used to give a NaN risk."""
    with pytest.raises(ValueError, match="Rescale"):
        FixedDesignProblem.from_spectrum(s, [1.0, 1.0], 1.0)


def test_the_suggested_rescaling_gives_the_same_risk():
    s, theta, alpha, c = np.array([1e150, 3e149]), np.array([2e-150, 1e-150]), 1e299, 1e150
    direct = FixedDesignProblem.from_spectrum(s, theta, 0.5).risk(alpha, [0.3]).total
    scaled = FixedDesignProblem.from_spectrum(s / c, theta * c, 0.5).risk(alpha / c**2, [0.3]).total
    assert np.isfinite(direct) and direct == pytest.approx(scaled, rel=1e-12)
    with pytest.raises(ValueError, match="signal energy"):
        FixedDesignProblem.from_spectrum([1e100], [1e100], 1.0)
