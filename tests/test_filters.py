"""Parametrisations of k-step SD: xi <-> xibar <-> ridge-path weights, and the filter recursion."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfdistill import (
    ridge_path_to_xibar,
    xi_to_polynomial,
    xi_to_xibar,
    xibar_to_ridge_path,
    xibar_to_xi,
)
from selfdistill._filters import (
    deviation_from_xi,
    deviation_from_xibar,
    filter_from_deviation,
    shrinkage,
)

xi_vectors = st.lists(
    st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3), min_size=0, max_size=6
)


def test_worked_example_from_theory_md():
    # theory.md section 7: xi = (0.3, -1.2, 2.5) gives xi-tilde = (-1.5, 5.5, -2.1, -0.9)
    np.testing.assert_allclose(xi_to_polynomial([0.3, -1.2, 2.5]), [-1.5, 5.5, -2.1, -0.9], atol=1e-14)


def test_golden_two_step_conversion():
    # theory.md section 4.1, panel (a), lambda = 1: xibar* = [10.759, -8.261] <-> xi* = [-3.307, 2.498]
    np.testing.assert_allclose(xibar_to_xi([10.759, -8.261]), [-3.30704564, 2.498], rtol=1e-8)


@given(xi_vectors)
def test_polynomial_sums_to_one_and_round_trip(xi):
    poly = xi_to_polynomial(xi)
    assert poly.sum() == pytest.approx(1.0, abs=1e-9 * max(1, np.abs(poly).max()))
    np.testing.assert_allclose(xibar_to_xi(xi_to_xibar(xi)), xi, rtol=1e-9, atol=1e-12)


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=6))
def test_ridge_path_round_trip(xibar):
    back = ridge_path_to_xibar(xibar_to_ridge_path(xibar))
    np.testing.assert_allclose(back, xibar, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(xibar).max()))


def test_one_step_ridge_path_weight_is_xi():
    assert xibar_to_ridge_path(xi_to_xibar([0.7])) == pytest.approx([0.7])


def test_ridge_path_weights_are_derivative_weights():
    """theta_k = theta(l) + sum_i w_i l^i d^i theta / dl^i, with derivatives from finite differences."""
    s = np.array([1.3, 0.7, 0.2])
    z = np.array([0.4, -1.1, 0.8])
    lam = 0.6
    xi = [0.4, -1.3, 2.0]
    ridge = lambda l: s / (s**2 + l) * z  # noqa: E731  coefficients in the V basis
    a, t = shrinkage(s, lam)
    h, _ = filter_from_deviation(a, t, deviation_from_xi(a, t, xi))
    target = h / s * z
    # analytic derivatives d^i/dl^i [s/(s^2+l)] = (-1)^i i! s / (s^2+l)^{i+1}
    w = xibar_to_ridge_path(xi_to_xibar(xi))
    series = ridge(lam).copy()
    for i, wi in enumerate(w, start=1):
        deriv = (-1) ** i * math.factorial(i) * s / (s**2 + lam) ** (i + 1) * z
        series += wi * lam**i * deriv
    np.testing.assert_allclose(series, target, rtol=1e-12)


def test_unreachable_xibar_is_a_clear_error():
    # S_1 = 0 but S_2 != 0: needs xi_2 = 0 and an infinite xi_1
    with pytest.raises(ValueError, match="no finite per-step xi"):
        xibar_to_xi([1.0, -1.0])


def test_reachable_zero_tail_sums_give_noop_steps():
    # xibar with vanishing leading tail sums: the first steps are no-ops (xi = 0)
    xi = xibar_to_xi([0.0, 0.0, 0.5])  # S = (0.5, 0.5, 0.5) -> xi = (1, 1, 0.5)
    np.testing.assert_allclose(xi, [1.0, 1.0, 0.5])
    np.testing.assert_allclose(xibar_to_xi([0.5, 0.0, 0.0]), [0.0, 0.0, 0.5])


def test_non_finite_xi_rejected():
    with pytest.raises(ValueError, match="finite"):
        xi_to_xibar([0.5, np.nan])
    with pytest.raises(ValueError, match="finite"):
        xibar_to_xi([np.inf])
    with pytest.raises(ValueError, match="1-D"):
        xi_to_xibar(np.ones((2, 2)))


@given(xi_vectors)
def test_deviation_forms_agree(xi):
    s = np.linspace(0.1, 2.0, 9)
    a, t = shrinkage(s, 0.3)
    d_seq = deviation_from_xi(a, t, np.asarray(xi))
    d_bar = deviation_from_xibar(a, t, xi_to_xibar(xi))
    np.testing.assert_allclose(d_seq, d_bar, rtol=1e-9, atol=1e-9)
    # and the polynomial m(a) itself
    m_poly = np.polyval(xi_to_polynomial(xi)[::-1], a)
    np.testing.assert_allclose(1 - d_seq, m_poly, rtol=1e-8, atol=1e-8)


def test_first_step_zero_is_a_noop():
    s = np.array([2.0, 1.0, 0.3])
    a, t = shrinkage(s, 0.5)
    np.testing.assert_allclose(
        deviation_from_xi(a, t, np.array([0.0, 0.4, -2.0])),
        deviation_from_xi(a, t, np.array([0.4, -2.0])),
    )


def test_huge_k_underflows_without_nan():
    a, t = shrinkage(np.array([1.0, 0.5, 1e-3]), 1.0)
    d = deviation_from_xi(a, t, np.ones(10_000))
    h, one_minus_h = filter_from_deviation(a, t, d)
    assert np.all(np.isfinite(h))
    np.testing.assert_allclose(h, 0.0, atol=1e-300)  # pure SD: h = a^(k+1) underflows to 0
    np.testing.assert_allclose(one_minus_h, 1.0)


def test_complement_is_accurate_at_extreme_penalties():
    s = np.array([1.0, 1e-3])
    a, t = shrinkage(s, 1e-20)
    assert t[0] == pytest.approx(1e-20, rel=1e-12)  # 1 - a would be exactly 0
    a, t = shrinkage(s, 1e20)
    assert a[0] == pytest.approx(1e-20, rel=1e-12)
