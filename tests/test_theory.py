"""Exact risks, optimal xi, bounds and assumptions of k-step SD (theory.md checklist and golden values)."""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import selfdistill as sd
from selfdistill.exceptions import GridBoundaryWarning

GAMMA2 = 0.1
S_A = [1, 1 / 2, 1 / 3, 1 / 4]
S_B = [1, 1, 1 / 2, 1 / 3]
U1 = [1, 0, 0, 0]
EQUAL = [0.5, 0.5, 0.5, 0.5]

# theory.md section 4.1: optimal n * risk for k = 0..4 (gamma^2 = 0.1, n = 1); these are the
# toolkit's reference numbers, not the paper's.
GOLDEN = {
    ("a", 0.125): [0.1690589090, 0.1314600940, 0.1146600284, 0.0949215745, 0.0909090909],
    ("a", 1.0): [0.2803460208, 0.1190782532, 0.0918594564, 0.0909135324, 0.0909090909],
    ("b", 0.125): [0.2369601435, 0.1889463752, 0.1779239664, 0.1666666667, 0.1666666667],
    ("b", 1.0): [0.3050000000, 0.1876488452, 0.1671846688, 0.1666666667, 0.1666666667],
    ("c", 0.125): [0.1814740057, 0.1470710240, 0.1452344189, 0.1451448574, 0.1451427538],
}
PANELS = {"a": (S_A, U1), "b": (S_B, U1), "c": (S_A, EQUAL)}


def panel(name):
    s, theta = PANELS[name]
    return sd.FixedDesignProblem.from_spectrum(s, theta, GAMMA2)


def random_problem(rng, n=30, d=5, noise=0.3):
    X = rng.normal(size=(n, d))
    return X, rng.normal(size=d), noise


# ----------------------------------------------------------------------------- golden values
@pytest.mark.parametrize(("key", "expected"), GOLDEN.items(), ids=lambda v: str(v))
def test_golden_fig3_table(key, expected):
    problem = panel(key[0])
    got = [problem.optimal(key[1], k).risk for k in range(5)]
    np.testing.assert_allclose(got, expected, atol=6e-11)


def test_golden_fig3_bounds_and_panel_c_ridge_optimum():
    assert panel("a").oracle_risk() == pytest.approx(0.0909090909, abs=1e-10)
    assert panel("b").oracle_risk() == pytest.approx(0.0909090909, abs=1e-10)  # same LB as (a)
    assert panel("b").grouped_oracle_risk() == pytest.approx(1 / 6, abs=1e-12)  # 2 g/(1 + 2 g)
    c = panel("c")
    # equal energies: ridge at lambda = gamma^2 / theta_j^2 = 0.4 already attains the bound
    assert c.risk(0.4).total == pytest.approx(c.oracle_risk(), rel=1e-12)
    assert c.oracle_risk() == pytest.approx(0.1451427538, abs=1e-10)
    for k in range(1, 5):
        assert c.optimal(0.4, k).risk == pytest.approx(c.risk(0.4).total, rel=1e-12)


def test_golden_optimal_parameters():
    a = panel("a")
    assert a.one_step(1.0).xi == pytest.approx(-1.4921930352, abs=1e-9)
    assert a.optimal(1.0, 1).xi[0] == pytest.approx(-1.4921930352, abs=1e-9)
    np.testing.assert_allclose(a.optimal(1.0, 2).xibar, [10.759, -8.261], atol=2e-3)
    np.testing.assert_allclose(a.optimal(1.0, 2).xi, [-3.307, 2.498], atol=2e-3)
    assert a.one_step(0.125).xi == pytest.approx(1.1841612212, abs=1e-9)
    np.testing.assert_allclose(a.optimal(0.125, 2).xi, [-1.021, 3.509], atol=2e-3)


def test_public_functions_with_a_design_matrix():
    X = np.diag(S_A)  # n = 4, so risks are (golden n * risk) / 4
    assert 4 * sd.excess_risk(X, U1, GAMMA2, 0.125) == pytest.approx(GOLDEN[("a", 0.125)][0], abs=1e-10)
    best = sd.optimal_xi(X, U1, GAMMA2, 1.0, 2)
    assert 4 * best.risk == pytest.approx(GOLDEN[("a", 1.0)][2], abs=1e-10)
    assert 4 * sd.excess_risk(X, U1, GAMMA2, 1.0, best.xi) == pytest.approx(4 * best.risk, rel=1e-9)
    assert 4 * sd.oracle_risk(X, U1, GAMMA2) == pytest.approx(1 / 11, rel=1e-12)
    assert 4 * sd.grouped_oracle_risk(np.diag(S_B), U1, GAMMA2) == pytest.approx(1 / 6, rel=1e-12)


@pytest.mark.parametrize(
    ("eps", "xi2", "xi3"),
    [(0.2, [-0.98, 6.79], [-0.71, -3.06, -66.2]), (0.01, [-1.12, 1.56e3], [-0.57, -2.26, -4.49e5])],
)
def test_golden_remark_4_2(eps, xi2, xi3):
    problem = sd.FixedDesignProblem.from_spectrum([1 - j * eps for j in range(4)], U1, GAMMA2)
    np.testing.assert_allclose(problem.optimal(0.125, 2).xi, xi2, rtol=1e-2)  # doc gives 2-3 digits
    np.testing.assert_allclose(problem.optimal(0.125, 3).xi, xi3, rtol=1e-2)


@pytest.mark.parametrize("k", [2, 3])
def test_xi_magnitude_grows_as_the_gap_shrinks(k):
    sizes = []
    for eps in [0.2, 0.1, 0.05, 0.02, 0.01]:
        problem = sd.FixedDesignProblem.from_spectrum([1 - j * eps for j in range(4)], U1, GAMMA2)
        sizes.append(np.abs(problem.optimal(0.125, k).xi).max())
    assert np.all(np.diff(sizes) > 0)


@pytest.mark.parametrize(
    ("gamma2", "s_last", "r", "ratio", "ratio_one_step"),
    [(0.01, 0.8, 10, 8.6, 5.5), (0.01, 0.5, 20, 11.3, 3.9), (0.1, 0.8, 40, 7.8, 5.3), (0.001, 0.8, 20, 19.3, None)],
)
def test_golden_fig2_separation(gamma2, s_last, r, ratio, ratio_one_step):
    alpha = np.log(1 / s_last) / np.log(r)
    s = np.arange(1, r + 1) ** (-alpha)
    report = sd.FixedDesignProblem.from_spectrum(s, np.r_[1.0, np.zeros(r - 1)], gamma2).separation(r)
    assert report.ratio == pytest.approx(ratio, abs=0.051)
    if ratio_one_step is not None:
        assert report.ratio_one_step == pytest.approx(ratio_one_step, abs=0.1)


# ----------------------------------------------------------------------------- risk formula
@pytest.mark.parametrize("kind", ["in_sample", "parameter", "population"])
def test_risk_matches_monte_carlo(rng, kind):
    X, theta, noise = random_problem(rng)
    cov = np.cov(rng.normal(size=(50, 5)).T) if kind == "population" else None
    exact = sd.risk_decomposition(X, theta, noise, 2.0, [0.5, 1.3], kind=kind, covariance=cov)
    mc = sd.simulate_risk(X, theta, noise, 2.0, [0.5, 1.3], n_draws=20_000, random_state=1, kind=kind, covariance=cov)
    assert abs(exact.total - mc.mean) < 4 * mc.std_error
    assert exact.bias == pytest.approx(mc.bias, rel=0.02)
    assert exact.variance == pytest.approx(mc.variance, rel=0.03)


def test_monte_carlo_standard_error_is_honest(rng):
    X, theta, noise = random_problem(rng)
    exact = sd.excess_risk(X, theta, noise, 1.0, [2.0])
    z = [(sd.simulate_risk(X, theta, noise, 1.0, [2.0], n_draws=2000, random_state=seed).mean - exact)
         / sd.simulate_risk(X, theta, noise, 1.0, [2.0], n_draws=2000, random_state=seed).std_error
         for seed in range(20)]
    assert 0.4 < np.std(z) < 1.8 and abs(np.mean(z)) < 1.0


def test_risk_is_exactly_quadratic_in_xibar(rng):
    X, theta, noise = random_problem(rng)
    problem = sd.FixedDesignProblem.from_X(X, theta, noise)
    form = problem.quadratic_form(1.3, 3)
    assert np.linalg.eigvalsh(form.M).min() > -1e-12 * np.abs(form.M).max()
    for _ in range(5):
        xibar = rng.uniform(-3, 3, size=3)
        assert form(xibar) == pytest.approx(problem.risk(1.3, xibar=xibar).total, rel=1e-10)
    # third finite difference along a line vanishes
    x0, direction = rng.normal(size=3), rng.normal(size=3)
    values = [problem.risk(1.3, xibar=x0 + j * direction).total for j in range(4)]
    third = values[3] - 3 * values[2] + 3 * values[1] - values[0]
    assert abs(third) < 1e-9 * max(map(abs, values))
    assert form.c0 == pytest.approx(problem.risk(1.3).total, rel=1e-12)


def test_optimum_beats_the_quadratic_minimiser_and_matches_it(rng):
    X, theta, noise = random_problem(rng)
    problem = sd.FixedDesignProblem.from_X(X, theta, noise)
    form = problem.quadratic_form(0.7, 2)
    naive = np.linalg.solve(form.M, form.mu)
    best = problem.optimal(0.7, 2)
    np.testing.assert_allclose(best.xibar, naive, rtol=1e-8)
    assert best.risk == pytest.approx(form(naive), rel=1e-12)
    for _ in range(200):  # no random point does better
        assert form(naive + rng.normal(scale=0.5, size=2)) >= best.risk


def test_optimal_matches_high_precision(rng):
    """Small cases against a 60-digit mpmath solve of the monomial normal equations."""
    mp.mp.dps = 60
    for r, k, lam in [(8, 5, 0.1), (10, 9, 0.01), (6, 3, 1.0)]:
        s = np.sort(rng.uniform(0.1, 1, r))[::-1]
        theta = rng.normal(size=r)
        S = [mp.mpf(float(v)) for v in s]
        T = [mp.mpf(float(v)) for v in theta]
        L, g2 = mp.mpf(lam), mp.mpf(GAMMA2)
        M, mu, c0 = mp.zeros(k, k), mp.zeros(k, 1), mp.mpf(0)
        for sj, tj in zip(S, T, strict=True):
            a = sj**2 / (sj**2 + L)
            P = sj**2 * tj**2
            b = [1 - a ** (i + 1) for i in range(k)]
            for i in range(k):
                mu[i] += a * (g2 * a - P * (1 - a)) * b[i]
                for j in range(k):
                    M[i, j] += a**2 * (P + g2) * b[i] * b[j]
            c0 += P * (1 - a) ** 2 + g2 * a**2
        x = mp.lu_solve(M, mu)
        ref = float(c0 - (mu.T * x)[0])
        problem = sd.FixedDesignProblem.from_spectrum(s, theta, GAMMA2)
        best = problem.optimal(lam, k)
        assert best.risk == pytest.approx(ref, rel=1e-12)
        exact_xibar = np.array([float(v) for v in x])
        if best.xibar is not None:
            np.testing.assert_allclose(best.xibar, exact_xibar, rtol=1e-9, atol=1e-9 * float(mp.norm(x)))
        else:
            # Withheld only where even the 60-digit xibar, rounded to float64, misses the optimum.
            assert best.unrepresentable_reason and "cancellation" in best.unrepresentable_reason
            assert problem.risk(lam, xibar=exact_xibar).total != pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("r", [5, 10, 20, 30])
@pytest.mark.parametrize("lam", [0.01, 0.125, 1.0, 10.0])
def test_r_steps_reach_the_oracle_bound(r, lam):
    s = np.linspace(1.0, 0.1, r)
    problem = sd.FixedDesignProblem.from_spectrum(s, np.r_[1.0, np.zeros(r - 1)], GAMMA2)
    bound = problem.oracle_risk()
    assert problem.optimal(lam, r).risk == pytest.approx(bound, rel=1e-8)
    # and r - 1 steps cannot (theta* = u_1 needs r - 1 roots plus a prescribed value)
    if r <= 10 and lam <= 1.0:  # elsewhere the (real) gap is below double precision
        assert problem.optimal(lam, r - 1).risk > bound * (1 + 1e-8)


def test_more_steps_than_rank_is_harmless():
    problem = panel("a")
    best = problem.optimal(0.5, 9)
    assert best.risk == pytest.approx(problem.oracle_risk(), rel=1e-10)
    assert best.dimension == 4 and best.xi.shape == (9,)
    np.testing.assert_allclose(best.xi[:5], 0.0)  # leading no-op steps
    assert problem.risk(0.5, best.xi).total == pytest.approx(best.risk, rel=1e-6)


@given(
    s=st.lists(st.floats(0.05, 3.0), min_size=1, max_size=6),
    theta=st.lists(st.floats(-2, 2), min_size=6, max_size=6),
    log_lam=st.floats(-3, 2),
    noise=st.floats(0.01, 2.0),
)
def test_optimal_risk_nonincreasing_in_k_and_above_the_bound(s, theta, log_lam, noise):
    problem = sd.FixedDesignProblem.from_spectrum(s, theta[: len(s)], noise)
    risks = [problem.optimal(10.0**log_lam, k).risk for k in range(6)]
    bound = problem.oracle_risk()
    scale = max(risks[0], 1e-300)
    assert np.all(np.diff(risks) <= 1e-10 * scale)
    assert min(risks) >= bound - 1e-10 * scale
    assert risks[0] == pytest.approx(problem.risk(10.0**log_lam).total, rel=1e-12)


# ----------------------------------------------------------------------------- 1-step closed form
def test_one_step_closed_form_and_sign_rule(rng):
    signs = set()
    for _ in range(30):
        X, theta, noise = random_problem(rng, d=4, noise=rng.uniform(0.05, 2))
        lam = 10.0 ** rng.uniform(-2, 2)
        problem = sd.FixedDesignProblem.from_X(X, theta, noise)
        one = problem.one_step(lam)
        step = lam * 1e-5
        derivative = (problem.risk(lam + step).total - problem.risk(lam - step).total) / (2 * step)
        assert one.ridge_risk_derivative == pytest.approx(derivative, rel=1e-5, abs=1e-12)
        assert one.xi == pytest.approx(problem.optimal(lam, 1).xi[0], rel=1e-9)
        assert np.sign(one.xi) == -np.sign(one.ridge_risk_derivative)
        assert one.gain == pytest.approx(lam**2 * derivative**2 / (4 * one.curvature), rel=1e-4)
        grid = np.linspace(one.xi - 2, one.xi + 2, 401)
        assert one.risk <= min(problem.risk(lam, [x]).total for x in grid) + 1e-15
        signs.add(np.sign(one.xi))
    assert signs == {-1.0, 1.0}  # both regimes occurred


def test_one_step_is_zero_at_the_ridge_optimum():
    problem = panel("a")
    best_ridge = problem.optimal_over_alpha(0)
    one = problem.one_step(best_ridge.alpha)
    assert abs(one.xi) < 1e-5 and one.gain < 1e-12


def test_das_sanghavi_parameter_error_closed_form(rng):
    # followups.md section 6: xi*_DS for the parameter error E||theta_hat - theta*||^2
    X, theta, noise = random_problem(rng, d=4)
    lam = 1.7
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    z = Vt @ theta
    a, b = s**2 / (s**2 + lam), lam / (s**2 + lam)
    num = np.sum(a * b * (noise - lam * z**2) / (s**2 + lam))
    den = np.sum(a**2 * b**2 * (z**2 + noise / s**2))
    assert sd.one_step_optimal_xi(X, theta, noise, lam, kind="parameter").xi == pytest.approx(num / den, rel=1e-10)


# ----------------------------------------------------------------------------- alpha, bounds, invariances
def test_optimal_over_alpha_matches_a_fine_grid():
    problem = panel("a")
    grid = np.exp(np.linspace(np.log(1e-4 / 16), np.log(1e4), 3001))  # the searched range
    for k in (0, 1, 2):
        best = problem.optimal_over_alpha(k, warn=False)
        brute = min(problem.optimal(lam, k).risk for lam in grid)
        assert best.risk <= brute + 1e-12
        assert best.risk == pytest.approx(brute, rel=1e-5)
    # ridge has an interior optimum; 1-step SD on panel (a) improves all the way to alpha -> inf
    assert not problem.optimal_over_alpha(0).on_boundary
    with pytest.warns(GridBoundaryWarning, match="largest"):
        assert problem.optimal_over_alpha(1).on_boundary
    on_grid = sd.optimal_alpha(np.diag(S_A), U1, GAMMA2, 0, alphas=[10.0, 0.01, 0.3, 1.0])
    assert on_grid.alpha == 0.3 and not on_grid.on_boundary
    with pytest.warns(GridBoundaryWarning, match="smallest"):
        sd.optimal_alpha(np.diag(S_A), U1, GAMMA2, 0, alphas=[1.0, 10.0])


@pytest.mark.slow
def test_derived_separation_inequality(rng):
    # theory.md section 3.2 (our derived version): A / B >= min{r / 4, SNR / (1 + kappa^2)^2}
    for _ in range(15):
        r = int(rng.integers(2, 9))
        s = np.sort(rng.uniform(0.2, 1.0, r))[::-1]
        gamma2 = 10.0 ** rng.uniform(-3, 0)
        report = sd.FixedDesignProblem.from_spectrum(s, np.r_[1.0, np.zeros(r - 1)], gamma2).separation(r)
        kappa, snr = s[0] / s[-1], s[0] ** 2 / gamma2
        assert report.ratio >= min(r / 4, snr / (1 + kappa**2) ** 2)
        assert report.k_step.risk == pytest.approx(
            sd.FixedDesignProblem.from_spectrum(s, np.r_[1.0, np.zeros(r - 1)], gamma2).oracle_risk(), rel=1e-8
        )


def test_separation_ratio_function():
    report = sd.separation_ratio(np.diag(S_A), U1, GAMMA2)
    assert report.ratio > report.ratio_one_step > 1.0


def test_invariances(rng):
    X, theta, noise = random_problem(rng, d=4)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    R, _ = np.linalg.qr(rng.normal(size=(30, 30)))
    base = sd.excess_risk(X, theta, noise, 0.8, [0.4, 2.0])
    # rotate theta* with the features; rotate the samples
    assert sd.excess_risk(X @ Q, Q.T @ theta, noise, 0.8, [0.4, 2.0]) == pytest.approx(base, rel=1e-10)
    assert sd.excess_risk(R @ X, theta, noise, 0.8, [0.4, 2.0]) == pytest.approx(base, rel=1e-10)
    # X -> c X, lambda -> c^2 lambda: same a_j, so the same optimal xi; theta* -> theta*/c keeps the signal
    c = 2.5
    xi_1 = sd.optimal_xi(X, theta, noise, 0.8, 2).xi
    xi_2 = sd.optimal_xi(c * X, theta / c, noise, c**2 * 0.8, 2).xi
    np.testing.assert_allclose(xi_1, xi_2, rtol=1e-8)
    # risk ratios do not depend on the 1/n normalisation
    s = np.array(S_A)
    p1 = sd.FixedDesignProblem.from_spectrum(s, U1, GAMMA2, n_samples=1)
    p2 = sd.FixedDesignProblem.from_spectrum(s, U1, GAMMA2, n_samples=37)
    assert p1.optimal(1.0, 2).risk / p1.risk(1.0).total == pytest.approx(p2.optimal(1.0, 2).risk / p2.risk(1.0).total)


def test_risk_depends_on_x_only_through_the_spectrum(rng):
    X, theta, noise = random_problem(rng, d=4)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    spectral = sd.FixedDesignProblem.from_spectrum(s, Vt @ theta, noise, n_samples=30)
    assert spectral.optimal(0.3, 2).risk == pytest.approx(sd.optimal_xi(X, theta, noise, 0.3, 2).risk, rel=1e-10)


def test_parameter_error_counts_the_null_space(rng):
    X = rng.normal(size=(5, 8))
    theta = rng.normal(size=8)
    P = np.eye(8) - np.linalg.pinv(X) @ X
    null = float(theta @ P @ theta)
    big_lambda = sd.risk_decomposition(X, theta, 0.3, 1e12, kind="parameter")
    assert big_lambda.total == pytest.approx(theta @ theta, rel=1e-8)  # theta_hat -> 0
    assert sd.oracle_risk(X, theta, 0.3, kind="parameter") >= null
    assert sd.optimal_xi(X, theta, 0.3, 1.0, 5).risk == pytest.approx(sd.oracle_risk(X, theta, 0.3), rel=1e-9)


def test_population_risk_with_design_covariance_is_in_sample(rng):
    X, theta, noise = random_problem(rng)
    cov = X.T @ X / X.shape[0]
    a = sd.risk_decomposition(X, theta, noise, 0.5, [1.5])
    b = sd.risk_decomposition(X, theta, noise, 0.5, [1.5], kind="population", covariance=cov)
    assert a.bias == pytest.approx(b.bias, rel=1e-10) and a.variance == pytest.approx(b.variance, rel=1e-10)
    ga = sd.optimal_xi(X, theta, noise, 0.5, 2)
    gb = sd.optimal_xi(X, theta, noise, 0.5, 2, kind="population", covariance=cov)
    assert ga.risk == pytest.approx(gb.risk, rel=1e-9)
    np.testing.assert_allclose(ga.xi, gb.xi, rtol=1e-7)


def test_extreme_penalties_behave():
    problem = panel("a")
    for lam in (1e-10, 1e10):
        for k in (1, 2, 4):
            best = problem.optimal(lam, k)
            assert np.isfinite(best.risk) and best.risk >= problem.oracle_risk() * (1 - 1e-9)
            assert best.risk <= problem.risk(lam).total * (1 + 1e-12)
    # huge xi is evaluated exactly
    assert np.isfinite(problem.risk(1.0, [1e6]).total)


# ----------------------------------------------------------------------------- assumption report
def test_assumption_report_on_the_three_panels():
    a = sd.assumption_report(np.diag(S_A), U1)
    assert a.satisfied and a.n_distinct == 4
    b = sd.assumption_report(np.diag(S_B), U1)
    assert not b.distinct and b.aligned and b.n_distinct == 3
    c = sd.assumption_report(np.diag(S_A), EQUAL)
    assert c.distinct and not c.aligned
    np.testing.assert_allclose(c.squared_cosines, 0.25)
    assert "VIOLATED" in c.summary() and "holds" in a.summary()


def test_assumption_report_tolerance_and_null_space(rng):
    near = sd.assumption_report(np.diag([1.0, 1.0 - 1e-10, 0.5]), [0.0, 0.0, 1.0])
    assert not near.distinct
    assert sd.assumption_report(np.diag([1.0, 1.0 - 1e-10, 0.5]), [0, 0, 1], rtol=1e-12).distinct
    X = rng.normal(size=(3, 6))
    report = sd.assumption_report(X, np.ones(6))
    assert 0 < report.null_fraction < 1
    assert report.squared_cosines.sum() + report.null_fraction == pytest.approx(1.0)


# ----------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda X: sd.excess_risk(X, [1.0, 2.0], 0.1, 1.0), "3 features"),
        (lambda X: sd.excess_risk(X, [1.0, np.nan, 0.0], 0.1, 1.0), "NaN"),
        (lambda X: sd.excess_risk(X, np.ones(3), -0.1, 1.0), "variance"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 0.0), "alpha"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, [np.inf]), "finite"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, [0.5], xibar=[0.5]), "not both"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, kind="oos"), "kind"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, kind="population"), "covariance"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, kind="population", covariance=np.ones((2, 2))), "shape"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, kind="population", covariance=-np.eye(3)), "semi-definite"),
        (lambda X: sd.excess_risk(X, np.ones(3), 0.1, 1.0, kind="population", covariance=np.triu(np.ones((3, 3)))), "symmetric"),
        (lambda X: sd.optimal_xi(X, np.ones(3), 0.1, 1.0, -1), "n_steps"),
        (lambda X: sd.optimal_xi(X, np.ones(3), 0.1, 1.0, 1.5), "n_steps"),
        (lambda X: sd.optimal_alpha(X, np.ones(3), 0.1, 1, alphas=[]), "empty"),
        (lambda X: sd.optimal_alpha(X, np.ones(3), 0.1, 1, alphas=[1.0, np.nan]), "NaN"),
        (lambda X: sd.oracle_risk(X, np.ones(4), 0.1), "features"),
        (lambda X: sd.simulate_risk(X, np.ones(3), 0.1, 1.0, n_draws=0), "n_draws"),
        (lambda X: sd.assumption_report(X, np.ones(3), rtol=-1), "rtol"),
    ],
)
def test_bad_inputs(call, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match=match):
        call(X)


def test_spectrum_constructor_validation():
    with pytest.raises(ValueError, match="> 0"):
        sd.FixedDesignProblem.from_spectrum([1.0, 0.0], [1, 0], 0.1)
    with pytest.raises(ValueError, match="one coordinate"):
        sd.FixedDesignProblem.from_spectrum([1.0, 0.5], [1, 0, 0], 0.1)
    with pytest.raises(ValueError, match="empty"):
        sd.FixedDesignProblem.from_spectrum([], [], 0.1)
    with pytest.raises(ValueError, match="population"):
        sd.FixedDesignProblem.from_spectrum([1.0], [1.0], 0.1).risk_model("population", np.eye(1))


def test_sd_coef_agrees_with_the_optimal_filter(rng):
    """The multipliers reported by `optimal` are those of the coefficients `sd.sd_coef` computes."""
    X, theta, noise = random_problem(rng, d=4)
    y = X @ theta + rng.normal(size=30)
    best = sd.optimal_xi(X, theta, noise, 0.9, 2)
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    expected = Vt.T @ (best.filter / s * (U.T @ y))
    np.testing.assert_allclose(sd.sd_coef(X, y, 0.9, best.xi), expected, rtol=1e-9)
    np.testing.assert_allclose(best.multipliers, best.filter / (s**2 / (s**2 + 0.9)), rtol=1e-12)
    np.testing.assert_allclose(sd.xi_to_xibar(best.xi), best.xibar, rtol=1e-9)


def test_many_steps_stay_exact_when_monomials_overflow():
    import warnings

    r = 300  # the monomial coefficients of the optimal polynomial exceed 1e308 here
    s = np.linspace(1.0, 0.05, r)
    problem = sd.FixedDesignProblem.from_spectrum(s, np.r_[1.0, np.zeros(r - 1)], GAMMA2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning leaks out
        best = problem.optimal(0.1, r)
    assert best.risk == pytest.approx(problem.oracle_risk(), rel=1e-8)
    assert np.all(np.isfinite(best.filter)) and best.xibar is None and best.xi is None
    assert "overflow" in best.unrepresentable_reason
    assert problem.risk(0.1, spectral_filter=best.filter).total == pytest.approx(best.risk, rel=1e-12)


# ----------------------------------------------------------------------------- decompose once
def _same(a, b):
    """Result objects (dataclasses, floats, arrays) with every field bit-for-bit equal."""
    import dataclasses

    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, np.ndarray) or a is None:
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


_CALLS = {
    "risk_decomposition": lambda f, *p: f(*p, alpha=0.7, xi=[0.4, -1.3]),
    "excess_risk": lambda f, *p: f(*p, alpha=0.7, xibar=[0.2, 0.1]),
    "optimal_xi": lambda f, *p: f(*p, alpha=0.7, n_steps=2),
    "optimal_alpha": lambda f, *p: f(*p, n_steps=1, alphas=[0.1, 1.0, 10.0]),
    "one_step_optimal_xi": lambda f, *p: f(*p, alpha=0.7, kind="parameter"),
    "oracle_risk": lambda f, *p: f(*p),
    "grouped_oracle_risk": lambda f, *p: f(*p, rtol=1e-3),
    "separation_ratio": lambda f, *p: f(*p, n_steps=2),
}


@pytest.mark.parametrize("name", sorted(_CALLS))
def test_functions_give_identical_results_from_a_matrix_a_design_or_a_problem(name, rng):
    X, theta, noise = random_problem(rng, d=4)
    func, call = getattr(sd, name), _CALLS[name]
    from_matrix = call(func, X, theta, noise)
    from_design = call(func, sd.SpectralDesign.from_X(X, method="svd"), theta, noise)
    from_problem = call(func, sd.FixedDesignProblem.from_X(X, theta, noise))
    _same(from_matrix, from_design)
    _same(from_matrix, from_problem)


def test_assumption_report_and_sd_coef_reuse_a_decomposition(rng):
    X, theta, noise = random_problem(rng, d=4)
    y = X @ theta + rng.normal(size=X.shape[0])
    _same(sd.assumption_report(X, theta), sd.assumption_report(sd.FixedDesignProblem.from_X(X, theta, noise)))
    design = sd.SpectralDesign.from_X(X, y)
    np.testing.assert_array_equal(sd.sd_coef(design, alpha=0.3, xi=[0.5]), sd.sd_coef(X, y, 0.3, [0.5]))
    Y = np.column_stack([y, 2 * y])
    assert sd.sd_coef(sd.SpectralDesign.from_X(X, Y), alpha=0.3).shape == (4, 2)


def test_a_loop_over_alphas_decomposes_once(rng):
    """Counted with a spy on the SVD, not timed: a problem (or a design) is decomposed once."""
    from unittest import mock

    import scipy.linalg

    X, theta, noise = random_problem(rng, d=4)
    y = X @ theta
    alphas = np.geomspace(0.01, 100, 7)
    with mock.patch("scipy.linalg.svd", wraps=scipy.linalg.svd) as svd:
        for alpha in alphas:
            sd.excess_risk(X, theta, noise, alpha, [0.5])
        assert svd.call_count == alphas.size  # a matrix is decomposed on every call
        svd.reset_mock()
        problem = sd.FixedDesignProblem.from_X(X, theta, noise)
        design = sd.SpectralDesign.from_X(X, y, method="svd")
        assert svd.call_count == 2
        for alpha in alphas:
            sd.excess_risk(problem, alpha=alpha, xi=[0.5])
            sd.optimal_xi(problem, alpha=alpha, n_steps=2)
            sd.excess_risk(design, theta, noise, alpha=alpha)
            sd.sd_coef(design, alpha=alpha, xi=[0.5])
        assert svd.call_count == 2


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p, X: sd.excess_risk(p, np.ones(3), 0.1, alpha=1.0), "already holds theta_star and noise_var; leave out theta_star and noise_var"),
        (lambda p, X: sd.excess_risk(p, noise_var=0.1, alpha=1.0), "leave out noise_var"),
        (lambda p, X: sd.excess_risk(p, alpha=1.0, theta_star=np.ones(3)), "leave out theta_star"),
        (lambda p, X: sd.excess_risk(p, 1.0), "alpha is missing. With a FixedDesignProblem as X, pass"),
        (lambda p, X: sd.excess_risk(X, alpha=1.0), "theta_star and noise_var must be given"),
        (lambda p, X: sd.oracle_risk(X, np.ones(3)), "noise_var must be given"),
        (lambda p, X: sd.excess_risk(p, alpha=-1.0), "excess_risk: alpha must be a finite number > 0"),
        (lambda p, X: sd.optimal_xi(p, alpha=1.0), "optimal_xi: n_steps is missing"),
        (lambda p, X: sd.optimal_xi(p, alpha=1.0, n_steps=-1), "optimal_xi: n_steps must be an integer >= 0, got -1"),
        (lambda p, X: p.optimal(1.0, 2.5), "FixedDesignProblem.optimal: n_steps"),
        (lambda p, X: p.risk(1.0, kind="oos"), "FixedDesignProblem.risk: kind must be one of"),
        (lambda p, X: sd.FixedDesignProblem.from_spectrum([1.0], [1.0], -1.0), "FixedDesignProblem: noise_var"),
        (lambda p, X: sd.FixedDesignProblem([1.0], [1.0], 0.1, n_samples=0), "FixedDesignProblem: n_samples"),
        (lambda p, X: sd.sd_coef(X, alpha=1.0), "y is required"),
        (lambda p, X: sd.simulate_risk(p, np.ones(3), 0.1, 1.0), "design matrix itself"),
        (lambda p, X: sd.assumption_report(p, align_tol=2.0), "align_tol"),
    ],
)
def test_problem_arguments_are_checked_with_clear_messages(call, match):
    X = np.random.default_rng(0).normal(size=(10, 3))
    problem = sd.FixedDesignProblem.from_X(X, np.ones(3), 0.1)
    with pytest.raises(ValueError, match=match):
        call(problem, X)


def test_every_public_core_function_and_method_declares_its_constraints():
    """The theory, conversion and asymptotics API uses the one validation mechanism."""
    import inspect

    checked = []
    for name in sd.__all__:
        obj = getattr(sd, name)
        module = getattr(obj, "__module__", "")
        if not module.startswith(("selfdistill.theory", "selfdistill._filters", "selfdistill._reference",
                                  "selfdistill._fixed_design", "selfdistill.asymptotics")):
            continue
        if inspect.isfunction(obj):
            checked.append(name)
            assert hasattr(obj, "__parameter_constraints__"), name
        elif isinstance(obj, type) and "__init__" in vars(obj) and not hasattr(obj, "__dataclass_fields__"):
            checked.append(name)
            assert hasattr(obj.__init__, "__parameter_constraints__"), f"{name}.__init__"
    assert {"excess_risk", "sd_coef", "xi_to_xibar", "FixedDesignProblem", "RandomDesignSD"} <= set(checked)


def test_matrix_least_squares_form_gives_the_least_squares_polynomial(rng):
    """``LeastSquaresForm.from_matrix`` + Arnoldi = the direct least-squares fit over polynomials.

    ``min_q ||S (a t q(a)) - b||`` over deg q < k, solved here by ``lstsq`` on the monomial columns
    (fine for k <= 3); the dense form builds S u inside ``_risk``, so the Arnoldi loop never calls
    back into the module that built the form.
    """
    from selfdistill._risk import LeastSquaresForm, krylov_basis

    r = 6
    R, z = rng.normal(size=(r, r)), rng.normal(size=(r, 2))
    a = np.sort(rng.uniform(0.05, 0.95, size=r))
    t = 1.0 - a
    b = rng.normal(size=2 * r)
    S = np.vstack([R * z[:, j] for j in range(2)])  # S u = [R (z_j * u)]_j, as the validation criterion
    solutions = krylov_basis(a, t, LeastSquaresForm.from_matrix(S, b, 0.0), 3).solve_all(3)
    for k, solution in enumerate(solutions):
        columns = np.column_stack([S @ (a**i * a * t) for i in range(k)]) if k else np.zeros((2 * r, 0))
        coef = np.linalg.lstsq(columns, b, rcond=None)[0]
        u = sum((c * a**i * a * t for i, c in enumerate(coef)), np.zeros(r))
        np.testing.assert_allclose(solution.u, u, rtol=1e-8, atol=1e-10, err_msg=f"k={k}")
        residual = S @ u - b
        assert solution.residual_sq == pytest.approx(residual @ residual, rel=1e-9)


def test_a_gram_route_design_gives_the_same_risks(rng):
    """``SpectralDesign.from_X`` picks the Gram route for tall X; the risks agree to rounding."""
    X, theta, noise = random_problem(rng, n=60, d=4)
    design = sd.SpectralDesign.from_X(X)
    assert design.method == "gram"
    for alpha in (0.01, 1.0, 100.0):
        assert sd.excess_risk(design, theta, noise, alpha=alpha, xi=[0.3, 2.0]) == pytest.approx(
            sd.excess_risk(X, theta, noise, alpha, [0.3, 2.0]), rel=1e-10
        )
    assert sd.optimal_xi(design, theta, noise, alpha=1.0, n_steps=3).risk == pytest.approx(
        sd.optimal_xi(X, theta, noise, 1.0, 3).risk, rel=1e-9
    )
