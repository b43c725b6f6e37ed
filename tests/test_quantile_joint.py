"""Tier A (Yang--Tokdar joint quantile regression): invariants, recovery, censoring, bad input, R."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import spatial, stats

from selfdistill.quantile import JointQuantileRegressor
from selfdistill.quantile._joint_model import BASE_LAWS, JointModel, StudentTLaw, tau_grid
from selfdistill.quantile.reference import band_agreement, load_reference, reference_dir


def _model(Z, base="t", nu_fixed=None, t=None):
    n = Z.shape[0]
    t = np.zeros(n) if t is None else t
    hull = Z[spatial.ConvexHull(Z).vertices] if Z.shape[1] >= 2 else np.array([[Z.min()], [Z.max()]])
    return JointModel(Z, t, np.zeros(n, int), np.ones(n), hull, BASE_LAWS[base](), nu_fixed=nu_fixed)


_rng = np.random.default_rng(7)
_Z2 = _rng.normal(size=(40, 2))
_MODEL2 = _model(_Z2)
_VERTICES = _MODEL2.hull


_SLOPE_U = np.concatenate([_MODEL2.index_u(1), _MODEL2.index_u(2)])


@settings(max_examples=40)
@given(
    u=st.lists(st.floats(-1.0, 1.0), min_size=_MODEL2.dim, max_size=_MODEL2.dim),
    slope_scale=st.sampled_from([1e-6, 1.0, 30.0, 1e3]),
    lam=st.lists(st.integers(0, _MODEL2.lam.size - 1), min_size=3, max_size=3),
    weights=st.lists(st.floats(0.0, 1.0), min_size=len(_VERTICES), max_size=len(_VERTICES)),
)
def test_non_crossing_at_hull_vertices_and_convex_combinations(u, slope_scale, lam, weights):
    """dQ/dtau > 0 on the whole grid at every hull vertex and at random convex combinations, also
    for extreme slope latent functions (knot values up to 1e3): the hull factor a_X guarantees it.

    The warping latent w_0, gamma and sigma stay moderate: extreme warping only overflows float64
    (quantiles at +-inf), which the likelihood treats as zero density, not as crossing."""
    theta = 3.0 * np.asarray(u)
    theta[_SLOPE_U] *= slope_scale
    lam = np.asarray(lam)
    beta0, B, dbeta0, G = _MODEL2.planes(theta, lam, with_derivative=True)
    w = np.asarray(weights) + 1e-12
    combos = np.vstack([_VERTICES, (w / w.sum()) @ _VERTICES, 0.5 * (_VERTICES[0] + _VERTICES[-1])])
    Q = beta0[None, :] + combos @ B
    dQ = dbeta0[None, :] * (1.0 + combos @ G)
    assert np.all(np.isfinite(Q)) and np.all(np.isfinite(dQ))
    assert np.all(dQ > 0)
    assert np.all(np.diff(Q, axis=1) > 0)


def test_identities_at_the_median_and_constant_slopes(rng):
    model = _model(rng.normal(size=(30, 2)))
    theta = rng.normal(size=model.dim)
    lam = np.array([3, 7, 12])
    beta0, B = model.planes(theta, lam)
    h = model.i_half
    assert model.tau[h] == pytest.approx(0.5)
    assert beta0[h] == pytest.approx(theta[model.index_gamma(0)], abs=1e-12)
    np.testing.assert_allclose(B[:, h], [theta[model.index_gamma(1)], theta[model.index_gamma(2)]], atol=1e-12)
    theta[model.index_u(1)] = 0.0
    theta[model.index_u(2)] = 0.0  # all w_j = 0 for j >= 1: slopes constant in tau
    _, B0 = model.planes(theta, lam)
    np.testing.assert_allclose(B0, B0[:, [h]] * np.ones_like(B0), atol=1e-12)


def _density_mass(base, nu, tau_step, theta_seed=1):
    model = JointModel(np.zeros((5, 0)), np.zeros(5), np.zeros(5, int), np.ones(5), np.zeros((1, 0)),
                       BASE_LAWS[base](), nu_fixed=nu, tau_step=tau_step)
    theta = 0.7 * np.random.default_rng(theta_seed).normal(size=model.dim)
    lam = np.array([5])
    beta0, _ = model.planes(theta, lam)
    pad = 200.0 if base != "uniform" else 1.0
    lo, hi = beta0[0] - pad, beta0[-1] + pad
    grid = np.unique(np.concatenate([np.linspace(lo, beta0[0], 20001), np.linspace(beta0[0], beta0[-1], 200001),
                                     beta0, np.linspace(beta0[-1], hi, 20001)]))
    dens = np.exp(model.loglik_terms(theta, lam, np.zeros((grid.size, 0)), grid, np.zeros(grid.size, int)))
    # mass beyond the integration range, from the censored terms (left: log tau, right: log(1 - tau))
    outside = np.exp(model.loglik_terms(theta, lam, np.zeros((2, 0)), np.array([lo, hi]), np.array([2, 1]))).sum()
    return np.trapezoid(dens, grid) + outside, model, theta, lam, beta0


@pytest.mark.parametrize("base, nu", [("t", 4.0), ("logistic", None), ("uniform", None)])
def test_covariate_free_density_integrates_to_one_and_inverts(base, nu):
    mass, model, theta, lam, beta0 = _density_mass(base, nu, 0.01)
    # A6: -log dQ/dtau is interpolated between grid points, so the mass is 1 up to the tau grid's
    # quadrature error (measured 2e-4 .. 6e-4), which shrinks as the grid is refined
    assert mass == pytest.approx(1.0, abs=1.5e-3)
    finer = _density_mass(base, nu, 0.005)[0]
    assert abs(finer - 1.0) < abs(mass - 1.0)
    # inversion: the left-censored term is log tau_i, so Q(tau_k) maps back to tau_k
    taus = np.exp(model.loglik_terms(theta, lam, np.zeros((beta0.size, 0)), beta0, np.full(beta0.size, 2)))
    np.testing.assert_allclose(taus, model.tau, rtol=1e-9)


def test_tau_grid_has_tails_and_the_median():
    g = tau_grid(0.01, 500)
    assert g.size == 99 + 2 * 12 and 0.5 in g
    assert g[0] == pytest.approx(0.01 / 2**12) and np.all(np.diff(g) > 0)


def _locscale(rng, n=500):
    x = rng.uniform(size=n)
    return x, 1 + 2 * x + (1 + x) * rng.normal(size=n)


def _truth(taus):
    z = stats.norm.ppf(taus)
    return np.column_stack([1 + z, 2 + z])


def test_map_recovers_location_scale_planes(rng):
    x, y = _locscale(rng)
    model = JointQuantileRegressor(method="map").fit(x[:, None], y)
    taus = np.linspace(0.1, 0.9, 17)
    err = np.abs(model.coef_at(taus) - _truth(taus)).max()
    assert err < 0.4  # spec section 5.4 item 3; measured ~0.25
    pred = model.predict(np.array([[0.0], [0.5], [1.0]]), quantiles=[0.1, 0.5, 0.9])
    assert pred.shape == (3, 3) and np.all(np.diff(pred, axis=1) > 0)


_XS = np.linspace(0, 1, 11)


def _quantile_error(model, tau, truth):
    """Mean absolute error of Q(tau|x) over x in [0, 1] (the covariate range)."""
    return np.abs(model.predict(_XS[:, None], quantiles=tau) - truth(_XS)).mean()


def test_right_censoring_recovers_upper_quantiles(rng):
    x, ylat = _locscale(rng)
    c = 1 + 2 * x + 1.5 * rng.normal(size=x.size) + 1.5
    y, cens = np.minimum(ylat, c), (ylat > c).astype(int)
    assert 0.15 < cens.mean() < 0.35
    tau = 0.9
    truth = lambda xs: 1 + 2 * xs + (1 + xs) * stats.norm.ppf(tau)  # noqa: E731
    err = {
        "censored": _quantile_error(JointQuantileRegressor(method="map").fit(x[:, None], y, censoring=cens),
                                    tau, truth),
        "as_observed": _quantile_error(JointQuantileRegressor(method="map").fit(x[:, None], y), tau, truth),
        "dropped": _quantile_error(JointQuantileRegressor(method="map").fit(x[cens == 0, None], y[cens == 0]),
                                   tau, truth),
    }
    # measured 0.14 vs 0.61 (as observed) and 0.84 (dropped)
    assert err["censored"] <= 0.5 * err["as_observed"]
    assert err["censored"] <= 0.5 * err["dropped"]


def test_left_censoring_at_zero_recovers_latent_quantiles(rng):
    """Tobit: zeros are left-censored at 0; latent quantiles above the censoring fraction recovered."""
    n = 500
    x = rng.uniform(size=n)
    ylat = -0.2 + 1.0 * x + (0.5 + 0.5 * x) * rng.normal(size=n)
    y, cens = np.maximum(ylat, 0.0), (ylat <= 0).astype(int) * 2
    assert 0.2 < (cens == 2).mean() < 0.5
    tau = 0.6
    truth = lambda xs: -0.2 + xs + (0.5 + 0.5 * xs) * stats.norm.ppf(tau)  # noqa: E731
    good = JointQuantileRegressor(method="map").fit(x[:, None], y, censoring=cens)
    naive = JointQuantileRegressor(method="map").fit(x[:, None], y)
    err_good, err_naive = _quantile_error(good, tau, truth), _quantile_error(naive, tau, truth)
    assert err_good < 0.15
    assert err_good <= 0.5 * err_naive


def test_mcmc_smoke_results_object_and_plots(rng, tmp_path):
    x, y = _locscale(rng, n=120)
    X = pd.DataFrame({"dose": x})
    model = JointQuantileRegressor(method="mcmc", n_samples=40, thin=2, random_state=0).fit(X, y)
    lo, hi = model.coef_band([0.25, 0.5, 0.75])
    med = model.coef_at([0.25, 0.5, 0.75])
    assert lo.shape == (3, 2) and np.all(lo <= med + 1e-12) and np.all(med <= hi + 1e-12)
    assert np.isfinite(model.waic_) and model.coef_draws_.shape[0] == 20
    frame = model.results_.to_frame([0.5])
    assert list(frame["term"]) == ["(Intercept)", "dose"] and {"lower", "upper", "random_state"} <= set(frame)
    text = model.results_.summary()
    assert "WAIC" in text and "acceptance[all]" in text
    diag = model.results_.diagnostics()
    assert diag["value"].notna().all()
    model.results_.plot_coef(path=tmp_path / "coef.png")
    model.results_.plot_trace(path=tmp_path / "trace.png")
    assert (tmp_path / "coef.png").stat().st_size > 1000 and (tmp_path / "trace.png").stat().st_size > 1000
    # the same seed gives the same chain
    again = JointQuantileRegressor(method="mcmc", n_samples=40, thin=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.coef_draws_, model.coef_draws_)


def test_weights_and_hull_points(rng):
    x, y = _locscale(rng, n=150)
    twice = JointQuantileRegressor(method="map").fit(np.r_[x, x][:, None], np.r_[y, y])
    weighted = JointQuantileRegressor(method="map").fit(x[:, None], y, sample_weight=np.full(x.size, 2.0))
    # same posterior; the two L-BFGS runs start from different standardisations (the y median is
    # unweighted), so the modes agree to the optimiser's tolerance, and so do the maxima
    np.testing.assert_allclose(weighted.coef_at([0.2, 0.8]), twice.coef_at([0.2, 0.8]), atol=3e-2)
    assert weighted.map_result_.fun == pytest.approx(twice.map_result_.fun, rel=1e-4, abs=0.05)
    wide = JointQuantileRegressor(method="map", hull_points=[[-3.0], [4.0]]).fit(x[:, None], y)
    pred = wide.predict(np.array([[-3.0], [4.0]]), quantiles=np.linspace(0.01, 0.99, 50))
    assert np.all(np.diff(pred, axis=1) > 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"quantiles": 1.0}, "strictly between 0 and 1"),
        ({"censoring": [3]}, "censoring codes"),
        ({"censoring": "all"}, "every weighted row is censored"),
        ({"n": 3}, "fewer observed rows"),
        ({"nan": True}, "NaN"),
        ({"const": True}, "constant column"),
        ({"method": "vb"}, "method must be"),
        ({"base": "normal"}, "base must be"),
        ({"tau_step": 0.03}, "tau_step"),
        ({"n_knots": 1}, "n_knots must be an integer >= 2"),
        ({"nu": 0.5}, "nu must be None or a finite number > 0.5"),
        ({"hull_points": [[0.0, 1.0, 2.0]]}, "one column per feature of X"),
        ({"random_state": "seed"}, "random_state must be"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, match, rng):
    n = kwargs.get("n", 30)
    X = rng.normal(size=(n, 2))
    y = X @ [1.0, -1.0] + rng.normal(size=n)
    cens = None
    if kwargs.get("nan"):
        X[0, 0] = np.nan
    if kwargs.get("const"):
        X[:, 1] = 3.0
    if "censoring" in kwargs:
        cens = np.ones(n, int) if kwargs["censoring"] == "all" else np.r_[kwargs["censoring"], np.zeros(n - 1, int)]
    params = {k: v for k, v in kwargs.items() if k not in ("n", "nan", "const", "censoring")}
    with pytest.raises(ValueError, match=match):
        JointQuantileRegressor(**{"method": "map", **params}).fit(X, y, censoring=cens)


def test_prediction_quantiles_are_checked(rng):
    X = rng.normal(size=(40, 1))
    model = JointQuantileRegressor(method="map", max_iter=50).fit(X, X[:, 0] + rng.normal(size=40))
    for bad in ([0.0, 0.5], [0.5, np.nan], [], [[0.2]]):
        with pytest.raises(ValueError, match="quantiles"):
            model.predict(X, quantiles=bad)
    with pytest.raises(ValueError, match="method='mcmc'"):
        model.coef_band([0.5])
    with pytest.raises(ValueError, match=r"level must be a finite number in \(0, 1\)"):
        model.coef_band([0.5], level=95)
    assert model.predict(X).shape == (40,)


@pytest.fixture(scope="module")
def qrjoint_dir():
    folder = reference_dir()
    if folder is None:
        pytest.skip("R qrjoint reference outputs not found (set SELFDISTILL_QRJOINT_DIR)")
    return folder


def test_unknown_reference_case_is_refused():
    with pytest.raises(ValueError, match="load_reference: case must be one of 'locscale', 'rightcens', 'plasma'"):
        load_reference("engel")
    with pytest.raises(ValueError, match="band_agreement: case must be a ReferenceCase"):
        band_agreement(JointQuantileRegressor(), "locscale")


def test_band_agreement_refuses_a_bad_level_range(qrjoint_dir):
    case = load_reference("locscale", qrjoint_dir)
    with pytest.raises(ValueError, match="tau_range must be two levels"):
        band_agreement(JointQuantileRegressor(), case, tau_range=(0.1, 0.5, 0.9))


@pytest.mark.slow
@pytest.mark.parametrize("case_name", ["locscale", "rightcens"])
def test_mcmc_agrees_with_r_qrjoint(case_name, qrjoint_dir):
    """Posterior median inside R's 95% band for >= 90% of (tau in [0.05, 0.95], coefficient) pairs;
    error against the truth over [0.1, 0.9] at most 1.5x R's."""
    case = load_reference(case_name, qrjoint_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = JointQuantileRegressor(method="mcmc", n_samples=250, thin=10, random_state=1)
        model.fit(case.X, case.y, censoring=case.censoring)
    agreement = band_agreement(model, case)
    assert agreement["inside"].mean() >= 0.9
    taus = np.round(np.arange(0.1, 0.9001, 0.01), 2)
    ours = np.abs(model.coef_at(taus) - case.truth(taus)).max(axis=0)
    ref = case.coef.assign(tau=case.coef["tau"].round(2))
    r_err = [np.abs(ref[(ref.term == t) & ref.tau.isin(taus)]["median"].to_numpy() - case.truth(taus)[:, j]).max()
             for j, t in enumerate(["(Intercept)", "x"])]
    assert np.all(ours <= 1.5 * np.asarray(r_err))


def test_student_t_base_is_scaled_to_unit_ninety_percent_quantile():
    law = StudentTLaw()
    for nu in (0.7, 3.0, 30.0):
        assert law.Q0(0.9, nu) == pytest.approx(1.0)
        assert law.cdf(1.0, nu) == pytest.approx(0.9)
        z = np.linspace(-5, 5, 11)
        np.testing.assert_allclose(law.logpdf(z, nu), stats.t.logpdf(z * law._c(nu), nu) + np.log(law._c(nu)))


def test_log_density_is_a_density_on_the_original_scale(rng):
    x, y = _locscale(rng, n=200)
    model = JointQuantileRegressor(method="map", base="logistic").fit(x[:, None], 10.0 * y)
    grid = np.linspace(-150, 200, 40001)
    X = np.full((grid.size, 1), 0.5)
    mass = np.trapezoid(np.exp(model.log_density(X, grid)), grid)
    outside = np.exp(model.log_density(np.full((2, 1), 0.5), [-150.0, 200.0], censoring=[2, 1])).sum()
    assert mass + outside == pytest.approx(1.0, abs=2e-3)
    # the left-censored term is the conditional cdf: at the predicted median it is 1/2
    med = model.predict(np.array([[0.5]]), quantiles=0.5)
    assert np.exp(model.log_density([[0.5]], med, censoring=[2]))[0] == pytest.approx(0.5, abs=1e-6)
