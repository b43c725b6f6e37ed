"""The vectorised cross-fitting stage against slow reference paths (issue 9, "speed stays a feature").

The fast paths: every fold's decomposition and held-out errors from one pass of fold moments
(:class:`~selfdistill._problems.FoldedLinearProblem`: quadratic forms instead of rows), exact ridge
LOO from blocks of rows, the folds of an int ``cv`` without ``KFold``'s masks, the one-shot GCV
optimum of every (fold, alpha, k) in one batched solve, per-step xi of many candidates at once.
Each is compared here with the straightforward computation it replaces (folds refitted from their
rows, per-candidate solves, ``KFold.split``, the whole default fit through the refitted folds).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold

from selfdistill import SelfDistilledRidgeCV
from selfdistill._crossfit import (
    crossfit_scores,
    crossfit_scores_from_moments,
    fold_problems,
    one_shot_filters,
    ridge_loo_alpha,
)
from selfdistill._cv_params import Folds
from selfdistill._problems import FoldedLinearProblem, LinearProblem
from selfdistill._realise import per_step_xi, per_step_xi_many
from selfdistill._tuning import (
    GcvReport,
    RefitCandidates,
    _gcv_paper_columns,
    _ridge_path_columns,
    gcv_candidates,
)

ALPHAS = np.logspace(-2, 3, 6)
STEPS = [0, 1, 2, 3]


def _design(seed, n=120, d=6, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.geomspace(1.0, 0.1, d) + offset
    y = X @ rng.normal(size=d) + rng.normal(size=n) + 3.0
    return X, y, rng.uniform(0.2, 3.0, size=n)


def _refit(fit_intercept):
    return lambda Xp, yp, swp: LinearProblem.from_data(Xp, yp, swp, fit_intercept)


def _reference_filter(sm, alpha, k, one_shot):
    """One (alpha, k) solved on its own: its columns and a plain ``lstsq``."""
    a, t = sm.shrinkage(alpha)
    if one_shot == "ridge_path":
        cols = _ridge_path_columns(sm, a, t, k)
        c = np.linalg.lstsq(cols[:, 1:], -cols[:, 0], rcond=None)[0]
        m = 1.0 + sum(ci * (-t) ** (i + 1) for i, ci in enumerate(c))
        return a * m
    cols = _gcv_paper_columns(sm, a, t, k)
    xibar = np.linalg.lstsq(cols[:, 1:], -cols[:, 0], rcond=None)[0]
    tails = np.cumsum(xibar[::-1])[::-1]
    q = sum(s * a**i for i, s in enumerate(tails))
    return a - a * t * q


@pytest.mark.parametrize("one_shot", ["ridge_path", "gcv_paper"])
def test_batched_one_shot_filters_equal_per_candidate_solves(one_shot):
    X, y, _ = _design(2, n=300, d=5)
    folds = list(fold_problems(_refit(True), X, y, None, KFold(3, shuffle=True, random_state=0)))
    smoothers = [p.smoother for _, p in folds]
    alphas = np.array([0.3, 3.0, 30.0])
    steps = [0, 1, 2]
    filters, unusable, reasons = one_shot_filters(smoothers, alphas, steps, one_shot)
    for f, sm in enumerate(smoothers):
        for ia, alpha in enumerate(alphas):
            for ik, k in enumerate(steps):
                col = ia * len(steps) + ik
                if unusable[f, col]:
                    assert col in reasons
                    continue
                ref = _reference_filter(sm, alpha, k, one_shot) if k else sm.shrinkage(alpha)[0]
                np.testing.assert_allclose(filters[f][:, col], ref, rtol=1e-8, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.5, -3.0, 1e300, np.inf, np.nan]),
                         min_size=0, max_size=4), min_size=1, max_size=12))
def test_per_step_xi_many_equals_scalar_path(xibars):
    xibars = [np.array(x) for x in xibars]
    many = per_step_xi_many(xibars)
    for xibar, got in zip(xibars, many, strict=True):
        with np.errstate(all="ignore"):
            expected = per_step_xi(xibar)
        if expected is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, expected)


def test_default_unchanged_by_the_fold_moments_on_real_data(monkeypatch):
    """The selection on real data with raw features (large offsets) is the one the refitted folds give."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = X * 100 + 40.0
    alphas, steps = np.logspace(-3, 5, 9), [0, 1, 2, 3]
    est = SelfDistilledRidgeCV(alphas, steps, random_state=0).fit(X, y)
    folds = Folds(5, 0, X, y)
    fast = crossfit_scores_from_moments(FoldedLinearProblem.build(X, y, None, True, folds.tests),
                                        alphas, steps, "ridge_path")
    slow = crossfit_scores(_refit(True), X, y, None, alphas, steps, folds, "ridge_path")
    np.testing.assert_array_equal(fast.failed, slow.failed)
    ok = ~fast.failed
    np.testing.assert_allclose(fast.mse[ok], slow.mse[ok], rtol=1e-8)
    assert np.argmin(np.where(ok, fast.mse, np.inf)) == np.argmin(np.where(ok, slow.mse, np.inf))
    monkeypatch.setattr(SelfDistilledRidgeCV, "_folded_problem", lambda self, *args: None)
    reference = SelfDistilledRidgeCV(alphas, steps, random_state=0).fit(X, y)
    assert (est.alpha_, est.n_steps_) == (reference.alpha_, reference.n_steps_)
    np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-9)


# ----------------------------------------------------------------------------- one pass of fold moments


@pytest.mark.parametrize("random_state", [0, 7, np.int64(2**32 - 1), "instance", None])
@pytest.mark.parametrize(("n", "cv"), [(103, 5), (40, 3), (12, 6), (200, 40), (90, 90)])  # > 32 folds: sorted
def test_int_folds_equal_kfold_split(random_state, n, cv):
    X = np.zeros((n, 2))

    def state():
        if random_state == "instance":
            return np.random.RandomState(3)
        if random_state is None:
            np.random.seed(11)  # noqa: NPY002 - KFold(random_state=None) draws from the global state
        return random_state

    folds = Folds(cv, state(), X, None)
    expected = list(KFold(cv, shuffle=True, random_state=state()).split(X))
    assert len(folds.tests) == cv
    for (train, test), got_test, (got_train, got_test2) in zip(expected, folds.tests, folds.splits(), strict=True):
        np.testing.assert_array_equal(got_test, test)
        np.testing.assert_array_equal(got_test2, test)
        np.testing.assert_array_equal(got_train, train)


def _targets(y, multi):
    return np.column_stack([y, np.cos(y) - 0.3 * y]) if multi else y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("offset", [0.0, 50.0])
def test_fold_moments_equal_refitted_folds(fit_intercept, weighted, multi, offset):
    X, y, w = _design(3, n=150, offset=offset)
    y = _targets(y, multi)
    sw = w if weighted else None
    folds = Folds(5, 2, X, y)
    folded = FoldedLinearProblem.build(X, y, sw, fit_intercept, folds.tests)
    slow = list(fold_problems(_refit(fit_intercept), X, y, sw, folds))
    for part, (_, reference) in zip(folded.folds, slow, strict=True):
        a, b = part.smoother, reference.smoother
        assert a.n == pytest.approx(b.n, rel=1e-13)
        np.testing.assert_allclose(a.ell, b.ell, rtol=1e-9)
        np.testing.assert_allclose(np.abs(a.z), np.abs(b.z), rtol=1e-7, atol=1e-9 * np.abs(b.z).max())
        np.testing.assert_allclose(a.y_perp_sq, b.y_perp_sq, rtol=1e-7, atol=1e-9 * float(np.sum(b.z**2)))
        np.testing.assert_allclose(part.design.x_offset, reference.design.x_offset, rtol=1e-12, atol=1e-12)
    full = LinearProblem.from_data(X, y, sw, fit_intercept, keep_left=True)
    np.testing.assert_allclose(folded.full.smoother.ell, full.smoother.ell, rtol=1e-9)
    np.testing.assert_allclose(folded.full.design.y_offset, full.design.y_offset, rtol=1e-12)
    # exact ridge LOO from blocks of rows equals the one from U
    fast = ridge_loo_alpha(folded.full.smoother, ALPHAS, folded.left_blocks())
    slow_loo = ridge_loo_alpha(full.smoother, ALPHAS)
    assert fast[0] == slow_loo[0]
    np.testing.assert_allclose(fast[1], slow_loo[1], rtol=1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("one_shot", ["ridge_path", "gcv_paper"])
def test_quadratic_form_scores_equal_row_scores(fit_intercept, weighted, multi, one_shot):
    X, y, w = _design(4, n=240, offset=20.0)
    y = _targets(y, multi)
    sw = w if weighted else None
    folds = Folds(5, 1, X, y)
    folded = FoldedLinearProblem.build(X, y, sw, fit_intercept, folds.tests)
    fast = crossfit_scores_from_moments(folded, ALPHAS, STEPS, one_shot)
    # the quadratic forms equal the same filters scored row by row
    by_rows = fast.row_errors(list(range(fast.mse.size))).sum(axis=0)
    T = 1 if y.ndim == 1 else y.shape[1]
    np.testing.assert_allclose(fast.mse, by_rows / (fast.row_weight.sum() * T), rtol=1e-10)
    # and the refitted folds (SVD of the training rows) give the same scores up to the conditioning
    # of the one-shot least-squares problems (k >= 2 near a = 1: ~1e-7)
    slow = crossfit_scores(_refit(fit_intercept), X, y, sw, ALPHAS, STEPS, folds, one_shot)
    np.testing.assert_array_equal(fast.failed, slow.failed)
    ok = ~fast.failed
    np.testing.assert_allclose(fast.mse[ok], slow.mse[ok], rtol=1e-6)
    np.testing.assert_allclose(fast.row_weight, slow.row_weight)
    columns = [int(c) for c in np.flatnonzero(ok) if STEPS[c % len(STEPS)] <= 1]  # well-conditioned ones
    np.testing.assert_allclose(fast.row_errors(columns), slow.row_errors(columns), rtol=1e-8, atol=1e-12)


def test_quadratic_forms_fall_back_to_rows_when_they_cancel():
    """Nearly noise-free targets (R^2 ~ 1 - 1e-10): a quadratic form in the fold's moments would
    lose ~10 digits to cancellation; such folds are scored from their rows."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 7.0 + 1e-5 * rng.normal(size=200)
    folds = Folds(4, 0, X, y)
    folded = FoldedLinearProblem.build(X, y, None, True, folds.tests)
    alphas, steps = np.array([1e-6, 1e-4]), [0, 1]
    fast = crossfit_scores_from_moments(folded, alphas, steps, "ridge_path")
    by_rows = fast.row_errors(list(range(fast.mse.size))).sum(axis=0) / fast.row_weight.sum()
    np.testing.assert_allclose(fast.mse, by_rows, rtol=1e-12)
    slow = crossfit_scores(_refit(True), X, y, None, alphas, steps, folds, "ridge_path")
    np.testing.assert_allclose(fast.mse, slow.mse, rtol=1e-6)
    assert np.all(fast.mse < 1e-9)


def _fits(X, y, sw=None, **kw):
    kw = {"alphas": np.logspace(-3, 5, 9), "n_steps": (0, 1, 2, 3), "random_state": 0, **kw}
    return SelfDistilledRidgeCV(**kw).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("case", ["plain", "weights", "two_targets", "no_intercept", "gcv_paper", "raw_offsets",
                                  "cv3", "k5"])
def test_default_fit_equals_the_slow_path(case, monkeypatch):
    """The whole default fit through the fold moments equals the fit through refitted folds."""
    X, y, w = _design(6, n=300, d=8, offset=40.0 if case == "raw_offsets" else 0.0)
    kw, sw = {}, None
    if case == "weights":
        sw = w
    elif case == "two_targets":
        y = _targets(y, True)
    elif case == "no_intercept":
        kw["fit_intercept"] = False
    elif case == "gcv_paper":
        kw["one_shot"] = "gcv_paper"
    elif case == "cv3":
        kw["cv"] = 3
    elif case == "k5":
        kw.update(n_steps=tuple(range(6)), alphas=np.logspace(-3, 4, 13))
    fast = _fits(X, y, sw, **kw)
    monkeypatch.setattr(SelfDistilledRidgeCV, "_folded_problem", lambda self, *args: None)
    slow = _fits(X, y, sw, **kw)
    assert (fast.alpha_, fast.n_steps_) == (slow.alpha_, slow.n_steps_)
    np.testing.assert_allclose(fast.xi_, slow.xi_, rtol=1e-9)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-9, atol=1e-12 * np.abs(slow.coef_).max())
    np.testing.assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-9, atol=1e-9)
    assert fast.best_score_ == pytest.approx(slow.best_score_, rel=1e-9)
    np.testing.assert_array_equal(fast.cv_results_["status"] == "", slow.cv_results_["status"] == "")


def test_rows_kept_or_gathered_again_give_the_same_scores(monkeypatch):
    """Large X is gathered again for the later passes instead of keeping its centred rows."""
    import selfdistill._problems as problems

    X, y, w = _design(8, n=180, offset=5.0)
    folds = Folds(4, 3, X, y)
    results = []
    for limit in (problems.KEEP_ROWS_ELEMENTS, 0):
        monkeypatch.setattr(problems, "KEEP_ROWS_ELEMENTS", limit)
        folded = FoldedLinearProblem.build(X, y, w, True, folds.tests)
        assert (folded.kept is None) == (limit == 0)
        scores = crossfit_scores_from_moments(folded, ALPHAS, STEPS, "ridge_path")
        loo = ridge_loo_alpha(folded.full.smoother, ALPHAS, folded.left_blocks())
        results.append((scores.mse, scores.row_errors([0, 1, 5]), loo[1]))
    for kept, gathered in zip(*results, strict=True):
        np.testing.assert_allclose(kept, gathered, rtol=1e-12)


@pytest.mark.parametrize("one_shot", ["ridge_path", "gcv_paper"])
def test_reported_attributes_are_lazy_and_equal_the_eager_ones(one_shot):
    """``cv_results_`` and ``best_by_steps_`` are computed on first access from a record without
    rows: equal to what the fit computed eagerly before (the other one-shot estimate equals a
    ``gcv`` fit's on the same rows), survive pickling and ``clone``, and a refit drops them."""
    import pickle

    from sklearn.base import clone

    X, y, _ = _design(9, n=2000, d=6)
    fit = _fits(X, y, one_shot=one_shot)
    assert "cv_results_" not in vars(fit) and "best_by_steps_" not in vars(fit)
    assert len(pickle.dumps(fit)) < X.nbytes / 2  # no rows are kept
    restored = pickle.loads(pickle.dumps(fit))
    res = fit.cv_results_
    assert "cv_results_" in vars(fit)  # cached from now on
    # the gcv fit decomposes by SVD, the default from the Gram matrix of the fold moments: the
    # ill-conditioned k = 3 solves at extreme alphas agree to ~1e-8 (as before the change)
    gcv = _fits(X, y, one_shot=one_shot, tuning="gcv").cv_results_
    for key in ("mse_ridge_path", "mse_gcv_paper"):
        np.testing.assert_allclose(res[key], gcv[key], rtol=1e-6)
    for key in ("xibar_ridge_path", "xibar_gcv_paper"):
        for mine, theirs in zip(res[key], gcv[key], strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-6 * max(1.0, np.abs(theirs).max(initial=0)))
    assert res["selected"].sum() == 1
    chosen = np.flatnonzero(res["selected"])[0]
    assert (res["alpha"][chosen], res["n_steps"][chosen]) == (fit.alpha_, fit.n_steps_)
    for key in ("alpha", "n_steps", "mse", "status", "selected", "mse_gcv_paper"):
        np.testing.assert_array_equal(restored.cv_results_[key], res[key])
    best = fit.best_by_steps_
    assert best[fit.n_steps_]["alpha"] == fit.alpha_
    np.testing.assert_allclose(best[fit.n_steps_]["coef"], fit.coef_, rtol=1e-10)
    assert restored.best_by_steps_.keys() == best.keys()
    assert not hasattr(clone(fit), "cv_results_")
    fit.fit(X[:300], y[:300])
    assert "cv_results_" not in vars(fit) and "best_by_steps_" not in vars(fit)
    again = _fits(X[:300], y[:300], one_shot=one_shot)
    np.testing.assert_array_equal(fit.cv_results_["mse"], again.cv_results_["mse"])


def test_refit_candidates_are_built_on_demand_and_equal_the_eager_ones():
    """The crossfit refits are built when looked at (the selection realises a few): each equals
    ``gcv_candidates``' candidate with its cross-fitted score and the GCV value in ``extra``."""
    X, y, _ = _design(3, n=500, d=5)
    sm = LinearProblem.from_data(X, y, None, True).smoother
    alphas = np.logspace(-2, 2, 4)
    eager = [c for by_k in gcv_candidates(sm, alphas, 2, "ridge_path", both=False) for c in by_k]
    mse = np.arange(len(eager), dtype=float)
    lazy = RefitCandidates(GcvReport.of(sm, alphas, 2, "ridge_path", both=False), [0, 1, 2], mse)
    assert len(lazy) == len(eager) == 12 and not lazy.built
    assert lazy[-1] is lazy[11] and list(lazy.built) == [11]
    assert [c.n_steps for c in lazy[1:4]] == [1, 2, 0]
    for col, (mine, theirs) in enumerate(zip(lazy, eager, strict=True)):
        assert (mine.alpha, mine.n_steps, mine.mse) == (theirs.alpha, theirs.n_steps, float(col))
        np.testing.assert_array_equal(mine.xibar, theirs.xibar)
        np.testing.assert_array_equal(mine.u, theirs.u)
        assert mine.extra.keys() == theirs.extra.keys() | {"mse_refit_gcv"}
        assert mine.extra["mse_refit_gcv"] == theirs.mse
        for key, value in theirs.extra.items():
            np.testing.assert_array_equal(mine.extra[key], value)
    with pytest.raises(IndexError):
        lazy[12]
    # in a fit only the columns the selection realised are built, until cv_results_ is read
    X, y, _ = _design(4, n=2000, d=6)
    fit = _fits(X, y)
    record = fit._tuning_record
    assert 1 <= len(record.candidates.built) < len(record.candidates)
    assert fit.cv_results_["selected"][record.selected] and len(record.candidates.built) == len(record.candidates)


def _bad_entries(X, where, value):
    X = X.copy()
    X[where] = value
    return X


@pytest.mark.parametrize("layout", ["C", "F", "strided", "list"])
@pytest.mark.parametrize(("entry", "value"), [(None, None), ((3, 1), np.nan), ((0, 0), np.inf), ((7, 2), -np.inf),
                                              ((5, 3), 1e151), ((2, 0), -2e150), ((4, 4), 1e150)])
def test_one_pass_data_check_equals_sklearn_and_magnitude_checks(layout, entry, value):
    """validate_fit_data checks a dense X's finiteness and magnitude from its sum of squares: it
    accepts and refuses exactly what sklearn's finiteness check plus the magnitude check do, with
    their messages."""
    from sklearn.utils.validation import validate_data

    from selfdistill._cv_params import validate_fit_data
    from selfdistill._validation import check_magnitude

    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5))
    if entry is not None:
        X = _bad_entries(X, entry, value)
    X = {"C": X, "F": np.asfortranarray(X), "strided": np.repeat(X, 2, axis=1)[:, ::2], "list": X.tolist()}[layout]
    y = rng.normal(size=12)

    def reference():
        est = SelfDistilledRidgeCV()
        Xv, _ = validate_data(est, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        check_magnitude(Xv, "X")
        return Xv

    try:
        expected = reference()
    except ValueError as exc:
        with pytest.raises(ValueError) as got:
            validate_fit_data(SelfDistilledRidgeCV(), X, y, None)
        assert str(got.value) == str(exc)
    else:
        np.testing.assert_array_equal(validate_fit_data(SelfDistilledRidgeCV(), X, y, None)[0], expected)


def test_one_pass_data_check_accepts_a_large_sum_of_squares():
    """Entries just below the magnitude bound whose squares sum past 1e300 are accepted (the exact
    checks decide), and one entry past the bound among them is refused."""
    from selfdistill._cv_params import validate_fit_data

    X = np.full((40, 3), 9e149)
    y = np.ones(40)
    np.testing.assert_array_equal(validate_fit_data(SelfDistilledRidgeCV(), X, y, None)[0], X)
    with pytest.raises(ValueError, match="too large to square"):
        validate_fit_data(SelfDistilledRidgeCV(), _bad_entries(X, (39, 2), 1.1e150), y, None)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("multi", [False, True])
def test_ridge_loo_equals_refits_without_each_row(fit_intercept, weighted, multi):
    """The blockwise products of ridge_loo_alpha give RidgeCV's exact leave-one-out errors
    (weighted, mean over targets), and inf where a leverage reaches 1."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(11)
    n, d = 15, 3
    X = rng.normal(size=(n, d)) + 2.0
    X[:, -1] = 0.0
    X[4, -1] = 1.0  # only row 4 sees the last feature: its leverage tends to 1 as alpha -> 0
    y = _targets(X @ rng.normal(size=d) + rng.normal(size=n), multi)
    sw = rng.uniform(0.5, 2.0, size=n) if weighted else None
    alphas = np.array([0.1, 1e-14, 10.0])
    problem = LinearProblem.from_data(X, y, sw, fit_intercept, keep_left=True)
    index, scores = ridge_loo_alpha(problem.smoother, alphas)
    w = np.ones(n) if sw is None else sw
    for alpha, score in zip(alphas, scores, strict=True):
        if alpha < 1e-10:
            assert score == np.inf
            continue
        errors = 0.0
        for i in range(n):
            keep = np.arange(n) != i
            model = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X[keep], y[keep], sample_weight=w[keep])
            errors += w[i] * np.sum((y[i] - model.predict(X[i : i + 1])[0]) ** 2)
        assert score == pytest.approx(errors / (w.sum() * (2 if multi else 1)), rel=1e-9)
    assert index == int(np.argmin(scores))
