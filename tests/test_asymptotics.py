"""Deterministic equivalents of ridge and k-step SD under a random design (selfdistill.asymptotics).

Oracles: the golden table of followups.md section 2.5 (Corollary 3.2), the isotropic closed forms
(in float64 and, at extreme penalties, in 50-digit mpmath), Dang et al.'s fourth-order formulas,
finite differences of an independently written cross-risk DE, the core fixed-design engine, and
Monte Carlo over Gaussian designs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfdistill import (
    RandomDesignSD,
    ar1_eigenvalues,
    excess_risk,
    one_step_optimal_xi,
    optimal_xi,
)
from selfdistill.asymptotics import _simulation
from selfdistill.exceptions import GridBoundaryWarning

GAMMA, SIGMA2, R2 = 0.5, 1.0, 2.0
#: followups.md section 2.5: lambda -> (kappa, R - sigma^2, D, xi*), printed to these digits.
GOLDEN = {
    0.05: (0.09221, 0.746115, 0.034661, 2.25965),
    0.25: (0.39039, 0.561553, 0.114134, 0.0),
    1.0: (1.28078, 0.804088, 0.127562, -1.34211),
    5.0: (5.42214, 1.455414, 0.045606, -4.07867),
}
DIGITS = (5, 6, 6, 5)


def isotropic(gamma=GAMMA, sigma2=SIGMA2, r2=R2) -> RandomDesignSD:
    return RandomDesignSD([1.0], None, gamma, sigma2, signal_energy=r2)


def top_aligned_signal(p: int, energy: float = R2, fraction: float = 0.1) -> np.ndarray:
    """Signal spread evenly over the top ``fraction`` of Sigma's eigenvectors (descending order)."""
    b = np.zeros(p)
    top = max(1, int(round(fraction * p)))
    b[:top] = np.sqrt(energy / top)
    return b


def closed_form(lam, gamma=GAMMA, sigma2=SIGMA2, r2=R2, lib=np):
    """Corollary 3.2 (followups.md section 2.5) for Sigma = I: kappa, R - sigma^2, R', D, xi*."""
    sqrt = lib.sqrt
    kappa = (lam + gamma - 1 + sqrt((lam + gamma - 1) ** 2 + 4 * lam)) / 2
    kprime = (1 + kappa) ** 2 / ((1 + kappa) ** 2 - gamma)
    N = kappa**2 * r2 + gamma * sigma2
    Q = (1 + kappa) ** 2 - gamma
    deriv = 2 * kprime * (1 + kappa) * (lam * r2 - gamma * sigma2) / Q**2
    D = lam**2 * kprime**2 * ((r2 * Q - N) / Q**2 - 2 * (1 + kappa) ** 2 * (lam * r2 - gamma * sigma2) / Q**3)
    return kappa, N / Q, deriv, D, -lam * deriv / (2 * D)


# --------------------------------------------------------------------------- golden values
def test_golden_table_isotropic():
    model = isotropic()
    lams = np.array(list(GOLDEN))
    ridge, best = model.ridge(lams), model.optimal(lams)
    got = np.column_stack([ridge.kappa, ridge.excess_risk, best.curvature, best.xibar])
    expected = np.array(list(GOLDEN.values()))
    for col, digits in enumerate(DIGITS):
        np.testing.assert_array_equal(np.round(got[:, col], digits), expected[:, col], err_msg=f"column {col}")


def test_deterministic_signal_on_one_eigenvalue_equals_the_random_signal_variant():
    a = RandomDesignSD([1.0], [math.sqrt(R2)], GAMMA, SIGMA2)
    b = RandomDesignSD(np.ones(50), None, GAMMA, SIGMA2, signal_energy=R2)
    lams = np.geomspace(1e-3, 1e3, 13)
    np.testing.assert_allclose(a.optimal(lams).excess_risk, b.optimal(lams).excess_risk, rtol=1e-12)
    np.testing.assert_allclose(a.optimal(lams).xibar, b.optimal(lams).xibar, rtol=1e-10)


@pytest.mark.parametrize("gamma", [0.2, 0.5, 1.0, 2.0, 7.0])
def test_isotropic_closed_forms_over_a_grid(gamma):
    lams = np.geomspace(1e-2, 1e2, 21)
    model = isotropic(gamma=gamma)
    kappa, excess, deriv, D, xi = closed_form(lams, gamma=gamma)
    ridge, best = model.ridge(lams), model.optimal(lams)
    np.testing.assert_allclose(ridge.kappa, kappa, rtol=1e-12)
    np.testing.assert_allclose(ridge.excess_risk, excess, rtol=1e-11)
    np.testing.assert_allclose(ridge.derivative, deriv, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(best.curvature, D, rtol=1e-8)
    np.testing.assert_allclose(best.xibar, xi, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(best.gain_over_ridge, lams**2 * deriv**2 / (4 * D), rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("lam", [1e-3, 1e6])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_extreme_penalties_against_50_digit_closed_form(lam, gamma):
    """Dang et al.'s Fig. 6 evaluates lam = 1e-3 and 1e6, where forming D by subtraction fails."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    ref = closed_form(mpmath.mpf(lam), gamma=mpmath.mpf(gamma), lib=mpmath)
    best = isotropic(gamma=gamma).optimal(lam)
    D, xi = float(ref[3]), float(ref[4])
    risk_sd = float(ref[1] - mpmath.mpf(lam) ** 2 * ref[2] ** 2 / (4 * ref[3]))
    assert best.curvature == pytest.approx(D, rel=1e-9)
    assert best.xibar == pytest.approx(xi, rel=1e-9)
    assert best.excess_risk == pytest.approx(risk_sd, rel=1e-11)


# --------------------------------------------------------------------------- fourth-order route
def test_fourth_order_formulas_agree_with_the_cross_ridge_route_on_ar1():
    p = 2000
    model = RandomDesignSD(ar1_eigenvalues(p, 0.5), top_aligned_signal(p), GAMMA, SIGMA2)
    lams = np.array([0.05, 0.3, 1.0, 5.0])
    four = model.fourth_order(lams)
    best = model.optimal(lams)
    ridge = model.ridge(lams)
    lam_dR1 = lams * ridge.derivative / 2  # lam d_1 Rx(lam, lam)
    np.testing.assert_allclose(four["A"], ridge.excess_risk, rtol=1e-8)
    np.testing.assert_allclose(four["C"], ridge.excess_risk + lam_dR1, rtol=1e-8)
    np.testing.assert_allclose(four["B"], ridge.excess_risk + 2 * lam_dR1 + best.curvature, rtol=1e-8)
    np.testing.assert_allclose(four["D"], best.curvature, rtol=1e-8)
    np.testing.assert_allclose(four["xi"], best.xibar, rtol=1e-8)
    np.testing.assert_allclose(four["kappa"], ridge.kappa, rtol=1e-13)
    risk_sd = four["A"] - (four["A"] - four["C"]) ** 2 / four["D"]
    np.testing.assert_allclose(risk_sd, best.excess_risk, rtol=1e-8)


# --------------------------------------------------------------------------- k-step (our extension)
def _cross_risk(s, b2, gamma, sigma2, lam, mu):
    """Second-order cross-ridge DE, written directly (independent of the series code)."""
    def kappa(x):
        lo, hi = x, x + gamma * s.mean()
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if mid * (1 - gamma * np.mean(s / (s + mid))) < x else (lo, mid)
        return 0.5 * (lo + hi)

    kl, km = kappa(lam), kappa(mu)
    t = gamma * np.mean(s**2 / ((s + kl) * (s + km)))
    signal = kl * km * np.sum(b2 * s / ((s + kl) * (s + km)))
    return (signal + sigma2 * t) / (1 - t)


def test_two_step_hessian_matches_finite_differences_of_the_cross_risk():
    s = ar1_eigenvalues(60, 0.5)
    b = top_aligned_signal(60)
    model = RandomDesignSD(s, b, 0.7, 0.8)
    lam, h = 0.6, 1e-3
    best = model.optimal(lam, n_steps=2)

    def R(i, j):  # relative steps: lam (1 + i h), lam (1 + j h)
        return _cross_risk(s, b**2, 0.7, 0.8, lam * (1 + i * h), lam * (1 + j * h))

    d11 = (R(1, 1) - R(1, -1) - R(-1, 1) + R(-1, -1)) / (4 * h * h)
    d22 = (R(1, 2) - 2 * R(1, 0) + R(1, -2) - R(-1, 2) + 2 * R(-1, 0) - R(-1, -2)) / (2 * h * 4 * h * h)
    d2 = (R(0, 1) - 2 * R(0, 0) + R(0, -1)) / (h * h)
    d1 = (R(0, 1) - R(0, -1)) / (2 * h)
    np.testing.assert_allclose(best.hessian[0, 0], d11, rtol=1e-5)
    np.testing.assert_allclose(best.hessian[1, 1], (R(2, 2) - 2 * R(2, 0) + R(2, -2) - 2 * R(0, 2) + 4 * R(0, 0)
                               - 2 * R(0, -2) + R(-2, 2) - 2 * R(-2, 0) + R(-2, -2)) / (16 * h**4), rtol=2e-3)
    np.testing.assert_allclose(best.hessian[0, 1], d22, rtol=1e-4)
    g = np.array([d1, d2])
    w = -np.linalg.solve(best.hessian, g)
    np.testing.assert_allclose(best.ridge_path_weights, w, rtol=2e-3)
    assert best.gain_over_ridge == pytest.approx(g @ np.linalg.solve(best.hessian, g), rel=2e-3)


def test_isotropic_k_step_sd_gains_nothing_over_tuned_ridge():
    """followups.md section 3.2: 1.5615528 at lambda = 0.25 for every k (Lecoiu et al.'s claim 4)."""
    model = isotropic()
    lam_star = GAMMA * SIGMA2 / R2
    best_ridge = model.optimal_ridge()
    assert best_ridge.lam == pytest.approx(lam_star, rel=1e-14)
    assert best_ridge.risk == pytest.approx(1.5615528, abs=5e-8)
    lams = np.geomspace(1e-3, 30, 61)  # beyond, 3 steps warn of ill-conditioning (tested elsewhere)
    for k in (1, 2, 3):
        assert model.optimal(lam_star, k).excess_risk == pytest.approx(best_ridge.excess_risk, rel=1e-10)
        assert np.all(model.optimal(lams, k).excess_risk >= best_ridge.excess_risk * (1 - 1e-12))


def test_k_step_risk_is_monotone_in_k_and_xibar_is_consistent():
    p = 300
    model = RandomDesignSD(ar1_eigenvalues(p, 0.5), top_aligned_signal(p), GAMMA, SIGMA2)
    lams = np.geomspace(0.01, 10, 7)
    risks = np.array([model.optimal(lams, k).excess_risk for k in range(1, 5)])
    assert np.all(np.diff(risks, axis=0) <= 1e-12)
    with pytest.warns(RuntimeWarning, match="ill-conditioned"):  # lam >> spectrum: said, not hidden
        model.optimal(100.0, 4)
    assert np.all(model.ridge(lams).excess_risk - risks[0] >= -1e-14)
    two = model.optimal(lams, 2)
    from selfdistill import xibar_to_ridge_path

    for xb, w in zip(two.xibar, two.ridge_path_weights, strict=True):
        np.testing.assert_allclose(xibar_to_ridge_path(xb), w, rtol=1e-10)


# --------------------------------------------------------------------------- bridge to the exact engine
@pytest.mark.parametrize(("n", "p"), [(120, 50), (60, 50), (40, 50)])
def test_simulation_kernel_matches_the_core_fixed_design_engine(rng, n, p):
    """One drawn design: our vectorised conditional risks = selfdistill's exact engine (alpha = n lam).

    Covers the eigh path (n >= 2p), the SVD path and p > n (where part of beta is unseen).
    """
    s = ar1_eigenvalues(p, 0.5)
    b = rng.normal(size=p) / np.sqrt(p)
    X = rng.normal(size=(n, p)) * np.sqrt(s)
    lams = np.array([0.03, 0.3, 3.0])
    ours = _simulation.conditional_risks(X, s, b, 0.7, lams)
    sigma = np.diag(s)
    for i, lam in enumerate(lams):
        alpha = n * lam
        ridge = excess_risk(X, b, 0.7, alpha, kind="population", covariance=sigma)
        one = one_step_optimal_xi(X, b, 0.7, alpha, kind="population", covariance=sigma)
        assert ours["ridge"][i] == pytest.approx(ridge, rel=1e-10)
        assert ours["xi"][i] == pytest.approx(one.xi, rel=1e-8)
        assert ours["sd"][i] == pytest.approx(one.risk, rel=1e-10)
        assert ours["curvature"][i] == pytest.approx(one.curvature, rel=1e-8)


def test_two_step_equivalent_is_close_to_the_exact_engine_on_one_large_design(rng):
    """Our k = 2 extension vs the exact 2-step optimum of the core engine on one p = 400 design."""
    n, p = 800, 400
    s = ar1_eigenvalues(p, 0.5)
    b = top_aligned_signal(p)
    X = rng.normal(size=(n, p)) * np.sqrt(s)
    model = RandomDesignSD(s, b, p / n, SIGMA2)
    for lam in (0.2, 2.0):
        exact = optimal_xi(X, b, SIGMA2, n * lam, 2, kind="population", covariance=np.diag(s))
        assert exact.risk == pytest.approx(model.optimal(lam, 2).excess_risk, rel=0.03)


# --------------------------------------------------------------------------- Monte Carlo
@pytest.mark.slow
@pytest.mark.parametrize("spectrum", ["ar1", "two-level"])
def test_monte_carlo_within_three_standard_errors(spectrum):
    """p = 400, n = 800, 200 Gaussian designs per spectrum; exact risks given X vs the DE."""
    p = 400
    if spectrum == "ar1":
        model = RandomDesignSD(ar1_eigenvalues(p, 0.5), top_aligned_signal(p), GAMMA, SIGMA2)
    else:  # half the eigenvalues 4, half 0.5; signal on the small ones
        s = np.r_[np.full(p // 2, 4.0), np.full(p // 2, 0.5)]
        b = np.r_[np.zeros(p // 2), np.full(p // 2, np.sqrt(R2 / (p // 2)))]
        model = RandomDesignSD(s, b, GAMMA, SIGMA2)
    lams = np.array([0.05, 0.3, 1.0, 5.0])
    sim = model.simulate(lams, n_draws=200, random_state=7)
    de = model.optimal(lams)
    for name, expected in (("ridge_excess_risk", de.ridge_excess_risk), ("sd_excess_risk", de.excess_risk)):
        mean, se = sim.summary(name)
        z = (mean - expected) / se
        assert np.all(np.abs(z) <= 3), (name, z)


# --------------------------------------------------------------------------- properties
spectra = st.lists(st.floats(0.05, 20.0), min_size=1, max_size=25)


@st.composite
def models(draw, random_signal=None):
    s = np.array(draw(spectra))
    gamma = draw(st.floats(0.1, 10.0))
    sigma2 = draw(st.one_of(st.just(0.0), st.floats(1e-4, 3.0)))
    use_random = draw(st.booleans()) if random_signal is None else random_signal
    if use_random:
        return RandomDesignSD(s, None, gamma, sigma2, signal_energy=draw(st.floats(0.01, 10.0)))
    b = np.array(draw(st.lists(st.floats(-2.0, 2.0), min_size=s.size, max_size=s.size)))
    return RandomDesignSD(s, b, gamma, sigma2)


lams = st.floats(1e-3, 1e3)


@given(models(), lams)
def test_property_kappa_solves_its_fixed_point(model, lam):
    kappa = model.ridge(lam).kappa
    s, gamma = model.eigenvalues, model.aspect_ratio
    assert kappa >= lam
    assert kappa * (1 - gamma * np.mean(s / (s + kappa))) == pytest.approx(lam, rel=1e-11)


@given(models(random_signal=True), lams, st.integers(1, 3))
def test_property_no_sd_beats_the_bayes_oracle(model, lam, k):
    """Random signal, Gaussian prior: ridge at gamma sigma^2 / r^2 is the Bayes rule, for any Sigma."""
    if model.noise_var == 0:
        return
    oracle = model.ridge(model.aspect_ratio * model.noise_var / model.signal_energy).excess_risk
    best = model.optimal(lam, k)
    assert best.excess_risk >= oracle * (1 - 1e-9) - 1e-13
    assert model.ridge(lam).excess_risk >= oracle * (1 - 1e-12)


@given(models(), lams)
def test_property_sign_rule_and_nonnegative_gain(model, lam):
    best = model.optimal(lam)
    ridge = model.ridge(lam)
    h = 1e-5
    fd = (model.ridge(lam * (1 + h)).excess_risk - model.ridge(lam * (1 - h)).excess_risk) / (2 * h * lam)
    assert best.gain_over_ridge >= 0
    assert best.curvature >= 0
    assert best.excess_risk >= -1e-12
    assert ridge.derivative == pytest.approx(fd, rel=1e-4, abs=1e-9 * (1 + abs(ridge.excess_risk) / lam))
    if abs(ridge.derivative) * lam > 1e-9 * (1 + ridge.excess_risk) and best.curvature > 0:
        assert np.sign(best.xibar) == -np.sign(ridge.derivative)
        assert np.sign(best.xibar) == -np.sign(fd)


def test_sign_transition_is_the_ridge_optimum():
    model = isotropic()
    np.testing.assert_allclose(model.sign_transition(), [GAMMA * SIGMA2 / R2], rtol=1e-12)
    p = 500
    ar1 = RandomDesignSD(ar1_eigenvalues(p, 0.5), top_aligned_signal(p), GAMMA, SIGMA2)
    (root,) = ar1.sign_transition()
    assert ar1.optimal_ridge().lam == pytest.approx(root, rel=1e-12)
    xi = ar1.optimal(root * np.array([0.9, 1.1])).xibar
    assert xi[0] > 0 > xi[1]


def test_optimal_ridge_search_matches_the_bayes_closed_form():
    det = RandomDesignSD(np.ones(10), np.full(10, np.sqrt(R2 / 10)), GAMMA, SIGMA2)
    assert det.optimal_ridge().lam == pytest.approx(GAMMA * SIGMA2 / R2, rel=1e-10)
    s = ar1_eigenvalues(200, 0.5)
    rand = RandomDesignSD(s, None, 1.5, 0.7, signal_energy=3.0)
    flat = RandomDesignSD(s, np.full(200, np.sqrt(3.0 / 200)), 1.5, 0.7)
    assert flat.optimal_ridge().lam == pytest.approx(rand.optimal_ridge().lam, rel=1e-9)


def test_noiseless_optimal_ridge_warns_on_the_boundary():
    model = RandomDesignSD([1.0, 2.0], [1.0, 0.5], 0.5, 0.0)
    with pytest.warns(GridBoundaryWarning):
        best = model.optimal_ridge(lam_range=(1e-4, 1e2))
    assert best.lam == pytest.approx(1e-4)


def test_vectorised_over_any_lambda_shape():
    model = RandomDesignSD(ar1_eigenvalues(40, 0.3), top_aligned_signal(40), 2.0, 0.5)
    grid = np.geomspace(0.01, 10, 6).reshape(2, 3)
    best = model.optimal(grid)
    assert best.xibar.shape == (2, 3) and best.hessian.shape == (2, 3, 1, 1)
    assert model.optimal(grid, 3).xibar.shape == (2, 3, 3)
    for idx in np.ndindex(grid.shape):
        assert best.excess_risk[idx] == pytest.approx(model.optimal(grid[idx]).excess_risk, rel=1e-13)
    assert isinstance(model.ridge(0.5).kappa, float)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"aspect_ratio": 0.0}, "aspect_ratio"),
        ({"aspect_ratio": -1.0}, "aspect_ratio"),
        ({"aspect_ratio": np.nan}, "aspect_ratio"),
        ({"eigenvalues": [1.0, -0.5]}, "eigenvalues must be >= 0"),
        ({"eigenvalues": [0.0, 0.0]}, "all zero"),
        ({"eigenvalues": []}, "non-empty"),
        ({"eigenvalues": [1.0, np.inf]}, "NaN or infinite"),
        ({"signal": [1.0, 2.0, 3.0]}, "one coordinate per eigenvalue"),
        ({"signal": [1.0, np.nan]}, "signal contains NaN"),
        ({"noise_var": -1.0}, "noise_var"),
        ({"signal_energy": 1.0}, "exactly one"),
        ({"signal": None}, "exactly one"),
        ({"signal": None, "signal_energy": -2.0}, "signal_energy"),
    ],
)
def test_bad_model_input_is_rejected(kwargs, match):
    args = {"eigenvalues": [1.0, 2.0], "signal": [0.5, 0.5], "aspect_ratio": 0.5, "noise_var": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        RandomDesignSD(**args)


@pytest.mark.parametrize("lam", [0.0, -1.0, [0.5, -0.1], np.nan, np.inf, [], "a"])
def test_bad_lambda_is_rejected(lam):
    model = isotropic()
    for method in (model.ridge, model.optimal, model.fourth_order):
        with pytest.raises(ValueError, match="lam"):
            method(lam)


@pytest.mark.parametrize("n_steps", [0, -1, 9, 1.5, True])
def test_bad_n_steps_is_rejected(n_steps):
    with pytest.raises(ValueError, match="n_steps"):
        isotropic().optimal(1.0, n_steps)


def test_bad_search_and_simulation_settings_are_rejected():
    model = isotropic()
    with pytest.raises(ValueError, match="lam_range"):
        model.sign_transition(lam_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="n_draws"):
        model.simulate(1.0, n_draws=1)
    with pytest.raises(ValueError, match="rho"):
        ar1_eigenvalues(10, 1.0)


def test_doctests():
    import doctest

    from selfdistill.asymptotics import random_design

    assert doctest.testmod(random_design).failed == 0


def test_random_signal_simulation_matches_the_equivalent():
    """signal_energy variant: a fresh beta ~ N(0, r^2/p I) with every design (p = 100, 100 draws)."""
    model = RandomDesignSD(ar1_eigenvalues(100, 0.5), None, GAMMA, SIGMA2, signal_energy=R2)
    lams = np.array([0.1, 0.25, 2.0])
    sim = model.simulate(lams, n_draws=100, random_state=3)
    de = model.optimal(lams)
    assert sim.n_samples == 200 and sim.ridge_excess_risk.shape == (100, 3)
    for name, expected in (("ridge_excess_risk", de.ridge_excess_risk), ("sd_excess_risk", de.excess_risk)):
        mean, se = sim.summary(name)
        assert np.all(np.abs(mean - expected) <= 3 * se), (name, (mean - expected) / se)
