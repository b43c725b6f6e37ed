"""SelfDistilledRidge / SelfDistilledRidgeCV: agreement with the core API, sklearn and brute force."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from selfdistill import SelfDistilledRidge, SelfDistilledRidgeCV, sd_coef, xi_to_xibar
from selfdistill.exceptions import GridBoundaryWarning

pytestmark = pytest.mark.filterwarnings("ignore::selfdistill.exceptions.GridBoundaryWarning")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(60, 5)) * np.array([3.0, 1.0, 0.5, 0.2, 0.1]) + 2.0
    y = X @ rng.normal(size=5) + rng.normal(size=60) + 4.0
    return X, y


def test_matches_the_core_api_without_intercept(data):
    X, y = data
    model = SelfDistilledRidge(alpha=0.7, xi=[0.4, -1.2, 2.0], fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(model.coef_, sd_coef(X, y, 0.7, [0.4, -1.2, 2.0]), rtol=1e-10)
    for k in range(4):
        np.testing.assert_allclose(model.step_coefs_[k], sd_coef(X, y, 0.7, [0.4, -1.2, 2.0][:k]), rtol=1e-10)
    np.testing.assert_allclose(model.teacher_coef_, Ridge(alpha=0.7, fit_intercept=False).fit(X, y).coef_, rtol=1e-10)
    np.testing.assert_allclose(model.xibar_, xi_to_xibar([0.4, -1.2, 2.0]))
    assert model.n_steps_ == 3 and model.intercept_ == 0.0


def test_intercept_equals_fitting_on_centred_data(data):
    X, y = data
    model = SelfDistilledRidge(alpha=0.7, xi=[1.5, -0.5]).fit(X, y)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    np.testing.assert_allclose(model.coef_, sd_coef(Xc, yc, 0.7, [1.5, -0.5]), rtol=1e-10)
    assert model.intercept_ == pytest.approx(y.mean() - X.mean(axis=0) @ model.coef_)
    # and equals sequential sklearn Ridge(fit_intercept=True) refits on the raw data
    ridge = Ridge(alpha=0.7, solver="svd").fit(X, y)
    for xi in (1.5, -0.5):
        ridge = Ridge(alpha=0.7, solver="svd").fit(X, xi * ridge.predict(X) + (1 - xi) * y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-9)
    assert model.intercept_ == pytest.approx(ridge.intercept_, rel=1e-9)


def test_sample_weight_is_row_duplication(data, rng):
    X, y = data
    w = rng.integers(0, 4, size=len(y)).astype(float)
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    a = SelfDistilledRidge(alpha=1.3, xi=[0.5, 1.5]).fit(X, y, sample_weight=w)
    b = SelfDistilledRidge(alpha=1.3, xi=[0.5, 1.5]).fit(X[rows], y[rows])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)
    assert a.intercept_ == pytest.approx(b.intercept_)
    # and the weighted teacher is sklearn's weighted Ridge
    np.testing.assert_allclose(a.teacher_coef_, Ridge(alpha=1.3).fit(X, y, sample_weight=w).coef_, rtol=1e-9)
    for tuning in ("gcv", "cp"):
        ca = SelfDistilledRidgeCV(alphas=np.logspace(-2, 2, 9), n_steps=(0, 1, 2), tuning=tuning, noise_var=1.0)
        cb = SelfDistilledRidgeCV(alphas=np.logspace(-2, 2, 9), n_steps=(0, 1, 2), tuning=tuning, noise_var=1.0)
        ca.fit(X, y, sample_weight=w)
        cb.fit(X[rows], y[rows])
        assert (ca.alpha_, ca.n_steps_) == (cb.alpha_, cb.n_steps_)
        np.testing.assert_allclose(ca.coef_, cb.coef_, rtol=1e-8)


def test_multi_target_shapes(data, rng):
    X, y = data
    Y = np.column_stack([y, rng.normal(size=len(y))])
    model = SelfDistilledRidge(alpha=1.0, xi=[0.5]).fit(X, Y)
    assert model.coef_.shape == (2, 5) and model.intercept_.shape == (2,)
    assert model.step_coefs_.shape == (2, 2, 5)
    single = SelfDistilledRidge(alpha=1.0, xi=[0.5]).fit(X, Y[:, 1])
    np.testing.assert_allclose(model.coef_[1], single.coef_, rtol=1e-10)
    cv = SelfDistilledRidgeCV(alphas=[0.1, 1.0, 10.0]).fit(X, Y)
    assert cv.predict(X).shape == (60, 2)


def test_pandas_float32_pipeline_gridsearch(data):
    X, y = data
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"f{i}" for i in range(5)])
    model = SelfDistilledRidge(alpha=1.0, xi=[0.5]).fit(frame, pd.Series(y))
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.coef_.dtype == np.float64 and model.predict(frame).dtype == np.float64
    cv = SelfDistilledRidgeCV(alphas=[0.1, 1.0, 10.0]).fit(frame, y)
    assert list(cv.feature_names_in_) == list(frame.columns)
    pipe = make_pipeline(StandardScaler(), SelfDistilledRidge(alpha=1.0, xi=(0.5,))).fit(X, y)
    assert pipe.score(X, y) > 0.5
    grid = GridSearchCV(SelfDistilledRidge(), {"alpha": [0.1, 1.0], "xi": [(0.5,), (-0.5, 0.5)]}, cv=3).fit(X, y)
    assert grid.best_params_["alpha"] in (0.1, 1.0)


def test_cv_with_ridge_only_matches_sklearn_ridgecv(data):
    X, y = data
    alphas = np.logspace(-3, 3, 13)
    ours = SelfDistilledRidgeCV(alphas=alphas, n_steps=(0,), tuning="loo").fit(X, y)
    theirs = RidgeCV(alphas=alphas).fit(X, y)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-10)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-10)
    np.testing.assert_allclose(ours.coef_, Ridge(alpha=ours.alpha_).fit(X, y).coef_, rtol=1e-9)


def test_gcv_ridge_matches_the_gcv_formula(data):
    X, y = data
    n = len(y)
    alphas = np.logspace(-2, 3, 11)
    cv = SelfDistilledRidgeCV(alphas=alphas, n_steps=(0,), tuning="gcv").fit(X, y)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    for alpha, mse in zip(cv.cv_results_["alpha"], cv.cv_results_["mse"], strict=True):
        H = Xc @ np.linalg.solve(Xc.T @ Xc + alpha * np.eye(5), Xc.T)
        gcv = np.sum((yc - H @ yc) ** 2) / n / (1 - (1 + np.trace(H)) / n) ** 2
        assert mse == pytest.approx(gcv, rel=1e-10)


def _brute_force_loo(X, y, alpha, xi, fit_intercept, sw=None):
    n = len(y)
    sse = 0.0
    for i in range(n):
        keep = np.arange(n) != i
        model = SelfDistilledRidge(alpha=alpha, xi=xi, fit_intercept=fit_intercept)
        model.fit(X[keep], y[keep], sample_weight=None if sw is None else sw[keep])
        sse += (1.0 if sw is None else sw[i]) * (y[i] - model.predict(X[i : i + 1])[0]) ** 2
    return sse / (n if sw is None else sw.sum())


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_loo_equals_brute_force_refits(rng, fit_intercept, weighted):
    X = rng.normal(size=(18, 4)) + 1.0
    y = X @ rng.normal(size=4) + rng.normal(size=18)
    sw = rng.integers(1, 4, size=18).astype(float) if weighted else None
    cv = SelfDistilledRidgeCV(alphas=[0.3, 3.0], n_steps=(0, 1, 2), tuning="loo", fit_intercept=fit_intercept)
    cv.fit(X, y, sample_weight=sw)
    res = cv.cv_results_
    for alpha, xi, mse in zip(res["alpha"], res["xi"], res["mse"], strict=True):
        assert mse == pytest.approx(_brute_force_loo(X, y, alpha, xi, fit_intercept, sw), rel=1e-10)


def test_loo_refuses_leverage_one():
    X = np.array([[0.0], [1.0]])
    with pytest.raises(ValueError, match="leverage"):
        SelfDistilledRidgeCV(alphas=[1e-14], n_steps=(0,), tuning="loo").fit(X, [0.0, 1.0])


def _gcv_pieces(X, y, alpha):
    n = len(y)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    H = Xc @ np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T)
    df1, df2 = (1 + np.trace(H)) / n, (1 + np.trace(H @ H)) / n
    return n, yc, H, df1, df2


def test_one_shot_gcv_paper_formula_and_identity(data):
    """Dang et al.'s plain GCV (their eqs. 17-19) vs ours, and the identity of followups.md 2.6."""
    X, y = data
    alphas = np.logspace(-1, 3, 9)
    cv = SelfDistilledRidgeCV(alphas=alphas, n_steps=(1,), tuning="gcv", one_shot="gcv_paper").fit(X, y)
    res = cv.cv_results_
    for i, alpha in enumerate(res["alpha"]):
        n, yc, H, df1, df2 = _gcv_pieces(X, y, alpha)
        r1, r2 = yc - H @ yc, yc - H @ (H @ yc)
        R = r1 @ r1 / n / (1 - df1) ** 2
        Rpd = r2 @ r2 / n / (1 - df2) ** 2
        C = r1 @ r2 / n / ((1 - df1) * (1 - df2))
        xi_paper = (R - C) / (R + Rpd - 2 * C)
        assert res["xibar_gcv_paper"][i][0] == pytest.approx(xi_paper, rel=1e-9)
        assert res["mse_gcv_paper"][i] == pytest.approx((R * Rpd - C**2) / (R + Rpd - 2 * C), rel=1e-9)
        # corrected estimator of followups.md 2.6 (r, s, d, delta as there)
        s = H @ r1
        d, delta = 1 - df1, df1 - df2
        xi_c = r1 @ (delta * r1 / d - s) / np.sum((s - delta * r1 / d) ** 2)
        assert res["xibar_ridge_path"][i][0] == pytest.approx(xi_c, rel=1e-9)
        # the identity: same optimal risk, xi ratio (1 - df2)/(1 - df1), to machine precision
        assert res["mse_ridge_path"][i] == pytest.approx(res["mse_gcv_paper"][i], rel=1e-12)
        assert xi_paper / xi_c == pytest.approx((1 - df2) / (1 - df1), rel=1e-10)
    identity = cv.one_shot_identity_
    assert identity["n_candidates"] == len(alphas)
    assert identity["max_rel_risk_difference"] < 1e-12 and identity["max_rel_xi_ratio_error"] < 1e-10


def _criterion_at(kind, X, y, X_val, y_val, alpha, xibar, noise_var=1.0):
    """Evaluate a tuning criterion at given xibar by an independent route (explicit matrices)."""
    from selfdistill import xibar_to_xi

    model = SelfDistilledRidge(alpha=alpha, xi=xibar_to_xi(xibar)).fit(X, y)
    if kind == "validation":
        return np.mean((y_val - model.predict(X_val)) ** 2)
    n = len(y)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    Hr = Xc @ np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T)
    poly = np.concatenate([[1 - np.sum(xibar)], xibar])
    S = sum(c * np.linalg.matrix_power(Hr, i + 1) for i, c in enumerate(poly))  # p(A) maps to p(H) H
    rss = np.sum((yc - S @ yc) ** 2)
    return (rss + 2 * noise_var * (1 + np.trace(S))) / n  # kind == "cp"


@pytest.mark.parametrize("kind", ["validation", "cp"])
@pytest.mark.parametrize("k", [1, 2])
def test_closed_form_xi_beats_every_grid_point(rng, kind, k):
    X = rng.normal(size=(80, 4)) * np.array([2.0, 1.0, 0.5, 0.25])
    y = X @ np.array([1.0, 0.0, 0.5, 0.0]) + rng.normal(size=80)
    X_tr, y_tr, X_va, y_va = X[:50], y[:50], X[50:], y[50:]
    # The criterion's own exact minimiser (stage 2-3 of the pipeline). The estimator may reject it
    # (issue 9: here the k = 2 Cp optimum has negative degrees of freedom), which is tested below.
    from selfdistill._problems import LinearProblem
    from selfdistill._tuning import evaluate_grid

    alpha = 5.0
    problem = LinearProblem.from_data(X_tr, y_tr, None, True)
    if kind == "validation":
        problem.attach_validation(X_va, y_va)
    (cand,) = evaluate_grid(problem.smoother, np.array([alpha]), np.array([k]), kind, noise_var=np.array([1.0]))
    best = cand.mse
    assert best == pytest.approx(_criterion_at(kind, X_tr, y_tr, X_va, y_va, alpha, cand.xibar), rel=1e-8)
    axes = [np.linspace(-6, 6, 41 if k == 2 else 401)] * k
    for point in np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, k):
        value = _criterion_at(kind, X_tr, y_tr, X_va, y_va, alpha, point) if k == 1 else None
        if k == 2:  # the criterion is quadratic in xibar: evaluate it from the fitted quadratic
            break
        assert value >= best - 1e-12
    if k == 2:
        pts = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, 2)[::37]
        assert all(_criterion_at(kind, X_tr, y_tr, X_va, y_va, alpha, p) >= best - 1e-12 for p in pts)


def test_validation_uses_only_the_training_part(data):
    X, y = data
    cv = SelfDistilledRidgeCV(alphas=[1.0], n_steps=(0,), tuning="validation", random_state=3).fit(X, y)
    from sklearn.model_selection import train_test_split

    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.3, random_state=3)
    ridge = Ridge(alpha=1.0).fit(X_tr, y_tr)
    np.testing.assert_allclose(cv.coef_, ridge.coef_, rtol=1e-10)
    assert -cv.best_score_ == pytest.approx(np.mean((y_va - ridge.predict(X_va)) ** 2), rel=1e-10)


def test_cp_estimates_noise_from_ols_residuals(data):
    X, y = data
    cv = SelfDistilledRidgeCV(alphas=[1.0], tuning="cp").fit(X, y)
    Xd = np.column_stack([np.ones(60), X])
    resid = y - Xd @ np.linalg.lstsq(Xd, y, rcond=None)[0]
    assert cv.noise_var_[0] == pytest.approx(resid @ resid / (60 - 6), rel=1e-10)
    with pytest.raises(ValueError, match="noise_var"):
        SelfDistilledRidgeCV(tuning="cp").fit(X[:5], y[:5])


def test_more_steps_never_worsen_the_criterion(data):
    X, y = data
    for tuning in ("gcv", "loo", "cp", "validation"):
        cv = SelfDistilledRidgeCV(alphas=[0.1, 10.0], n_steps=(0, 1, 2, 3), tuning=tuning, random_state=0).fit(X, y)
        res = cv.cv_results_
        for alpha in (0.1, 10.0):
            mse = res["mse"][res["alpha"] == alpha]
            assert np.all(np.diff(mse) <= 1e-10 * mse[0]), tuning


def test_selection_prefers_fewer_steps_then_larger_alpha_on_ties():
    from selfdistill._selection import _preferred, select_by_criterion
    from selfdistill._tuning import Candidate, SpectralSmoother

    def cand(alpha, k, mse):
        return Candidate(alpha, k, np.zeros(k), np.zeros(2), mse)

    grid = [cand(1.0, 0, 2.0), cand(1.0, 1, 1.0), cand(1.0, 2, 1.0 - 1e-14), cand(10.0, 1, 1.0)]
    best = _preferred(grid)
    assert (best.alpha, best.n_steps) == (10.0, 1)
    sm = SpectralSmoother(ell=np.ones(2), z=np.ones((2, 1)), y_perp_sq=np.zeros(1), n=10.0, p0=1)
    with pytest.raises(ValueError, match="undefined for every candidate"):
        select_by_criterion([cand(1.0, 0, np.inf)], sm, "gcv", "test")


def test_equal_singular_values_give_no_gain_over_the_best_ridge(rng):
    # X^T X proportional to I: every SD filter is a ridge filter, so with alpha free SD cannot win
    X = np.linalg.qr(rng.normal(size=(40, 3)))[0] * 3.0
    y = X @ np.ones(3) + rng.normal(size=40)
    fine = np.logspace(-3, 3, 601)
    ridge = SelfDistilledRidgeCV(alphas=fine, n_steps=(0,), fit_intercept=False, tuning="cp", noise_var=1.0).fit(X, y)
    sd = SelfDistilledRidgeCV(alphas=[0.1, 1.0, 10.0], n_steps=(1, 2), fit_intercept=False, tuning="cp", noise_var=1.0)
    sd.fit(X, y)
    assert sd.best_score_ == pytest.approx(ridge.best_score_, rel=1e-5)


def test_boundary_warnings(data):
    X, y = data
    with pytest.warns(GridBoundaryWarning, match="largest value"):
        SelfDistilledRidgeCV(alphas=[1e-6, 1e-5], n_steps=(0,)).fit(X, y * 0 + np.sin(np.arange(60)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridBoundaryWarning)
        SelfDistilledRidgeCV(alphas=[1.0], n_steps=(0,)).fit(X, y)  # one value: no edge


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"alphas": []}, "empty"),
        ({"alphas": [1.0, np.nan]}, "NaN"),
        ({"alphas": [0.0, 1.0]}, "> 0"),
        ({"alphas": [-1.0]}, "> 0"),
        ({"n_steps": []}, "empty"),
        ({"n_steps": (0, -1)}, "n_steps"),
        ({"n_steps": (0.5,)}, "n_steps"),
        ({"tuning": "kfold"}, "tuning"),
        ({"one_shot": "plain"}, "one_shot"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"noise_var": -1.0}, "variance"),
    ],
)
def test_bad_cv_parameters(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        SelfDistilledRidgeCV(**params).fit(X, y)


@pytest.mark.parametrize(
    ("params", "match"),
    [({"alpha": 0.0}, "alpha"), ({"alpha": -2.0}, "alpha"), ({"xi": [np.nan]}, "finite"), ({"xi": "a"}, "number")],
)
def test_bad_fixed_parameters(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        SelfDistilledRidge(**params).fit(X, y)


def test_bad_fit_arguments(data):
    X, y = data
    with pytest.raises(ValueError, match="negative"):
        SelfDistilledRidge().fit(X, y, sample_weight=-np.ones(60))
    with pytest.raises(ValueError, match="negative"):
        SelfDistilledRidgeCV().fit(X, y, sample_weight=np.r_[-1.0, np.ones(59)])
    with pytest.raises(ValueError, match="both"):
        SelfDistilledRidgeCV(tuning="validation").fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="only used"):
        SelfDistilledRidgeCV(tuning="gcv").fit(X, y, X_val=X, y_val=y)
    with pytest.raises(ValueError, match="too large"):
        SelfDistilledRidge().fit(X * 1e300, y)
    with pytest.raises(ValueError, match="1 sample"):
        SelfDistilledRidgeCV().fit(X[:1], y[:1])


def test_report(data, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    X, y = data
    cv = SelfDistilledRidgeCV(alphas=np.logspace(-2, 3, 11), n_steps=(0, 1, 2)).fit(X, y)
    report = cv.report()
    frame = report.to_frame()
    assert len(frame) == 33 and frame["selected"].sum() == 1
    assert {"alpha", "n_steps", "mse", "xi", "mse_gcv_paper", "tuning"} <= set(frame.columns)
    text = report.summary()
    assert "selected alpha" in text and text.count("\n") == 4
    ax = report.plot()
    ax.figure.savefig(tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_loo_and_gcv_paper_xi_beat_a_fine_grid(rng):
    X = rng.normal(size=(16, 3)) * np.array([2.0, 1.0, 0.3])
    y = X @ np.array([1.0, 0.0, 0.5]) + rng.normal(size=16)
    alpha = 3.0
    loo = SelfDistilledRidgeCV(alphas=[alpha], n_steps=(1,), tuning="loo").fit(X, y)
    best = -loo.best_score_
    for xi in np.linspace(loo.xi_[0] - 3, loo.xi_[0] + 3, 61):
        assert _brute_force_loo(X, y, alpha, [xi], True) >= best - 1e-12
    gcv = SelfDistilledRidgeCV(alphas=[alpha], n_steps=(1,), tuning="gcv", one_shot="gcv_paper").fit(X, y)
    n, yc, H, df1, df2 = _gcv_pieces(X, y, alpha)
    r1, r2 = yc - H @ yc, yc - H @ (H @ yc)
    R, Rpd = r1 @ r1 / n / (1 - df1) ** 2, r2 @ r2 / n / (1 - df2) ** 2
    C = r1 @ r2 / n / ((1 - df1) * (1 - df2))
    for xi in np.linspace(gcv.xi_[0] - 3, gcv.xi_[0] + 3, 601):
        assert (1 - xi) ** 2 * R + 2 * xi * (1 - xi) * C + xi**2 * Rpd >= -gcv.best_score_ - 1e-12
