"""The vectorised cross-fitting stage against slow reference paths (issue 9, "speed stays a feature").

The fast paths: fold decompositions from the fold's ``X^T X`` (all-rows Gram minus the fold's),
the one-shot GCV optimum of every (fold, alpha, k) in one batched solve, per-step xi of many
candidates at once. Each is compared here with the straightforward computation it replaces.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold

from selfdistill import SelfDistilledRidgeCV
from selfdistill._crossfit import crossfit_scores, fold_problems, one_shot_filters
from selfdistill._problems import LinearProblem
from selfdistill._realise import per_step_xi, per_step_xi_many
from selfdistill._tuning import _gcv_paper_columns, _ridge_path_columns

ALPHAS = np.logspace(-2, 3, 6)
STEPS = [0, 1, 2, 3]


def _design(seed, n=120, d=6, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.geomspace(1.0, 0.1, d) + offset
    y = X @ rng.normal(size=d) + rng.normal(size=n) + 3.0
    return X, y, rng.uniform(0.2, 3.0, size=n)


def _refit(fit_intercept):
    return lambda Xp, yp, swp: LinearProblem.from_data(Xp, yp, swp, fit_intercept)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("offset", [0.0, 50.0])
def test_gram_folds_equal_refitted_folds(fit_intercept, weighted, offset):
    X, y, w = _design(0, offset=offset)
    sw = w if weighted else None
    full = LinearProblem.from_data(X, y, sw, fit_intercept, keep_left=True)
    splitter = KFold(5, shuffle=True, random_state=1)
    fast = list(fold_problems(_refit(fit_intercept), full, X, y, sw, splitter))
    slow = list(fold_problems(_refit(fit_intercept), None, X, y, sw, splitter))
    assert len(fast) == len(slow) == 5
    for (test_f, pf), (test_s, ps) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(test_f, test_s)
        a, b = pf.smoother, ps.smoother
        assert a.n == pytest.approx(b.n, rel=1e-14)
        np.testing.assert_allclose(a.ell, b.ell, rtol=1e-10)
        # eigenvectors are defined up to sign: compare sign-free quantities (z^2, predictions)
        np.testing.assert_allclose(np.abs(a.z), np.abs(b.z), rtol=1e-8, atol=1e-10 * np.abs(b.z).max())
        np.testing.assert_allclose(a.y_perp_sq, b.y_perp_sq, rtol=1e-8, atol=1e-10 * float(np.sum(b.z**2)))
        h = a.ell / (a.ell + 1.0)
        np.testing.assert_allclose(a.val_map @ (h[:, None] * a.z), b.val_map @ (h[:, None] * b.z), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(a.y_val, b.y_val, rtol=1e-12, atol=1e-9)


def test_crossfit_scores_fast_equal_slow():
    X, y, w = _design(1, n=200)
    for sw in (None, w):
        full = LinearProblem.from_data(X, y, sw, True, keep_left=True)
        splitter = KFold(5, shuffle=True, random_state=0)
        args = (_refit(True), X, y, sw, ALPHAS, STEPS, splitter, "ridge_path")
        fast, slow = crossfit_scores(*args, full=full), crossfit_scores(*args)
        np.testing.assert_array_equal(fast.failed, slow.failed)
        ok = ~fast.failed
        np.testing.assert_allclose(fast.mse[ok], slow.mse[ok], rtol=1e-9)


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
    folds = list(fold_problems(_refit(True), None, X, y, None, KFold(3, shuffle=True, random_state=0)))
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


def test_default_unchanged_by_the_gram_folds_on_real_data():
    """The selection on real data with raw features (large offsets) is the one the refitted folds give."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = X * 100 + 40.0
    est = SelfDistilledRidgeCV(np.logspace(-3, 5, 9), (0, 1, 2, 3), random_state=0).fit(X, y)
    full = LinearProblem.from_data(X, y, None, True, keep_left=True)
    splitter = KFold(5, shuffle=True, random_state=0)
    args = (_refit(True), X, y, None, est.alphas, [0, 1, 2, 3], splitter, "ridge_path")
    fast, slow = crossfit_scores(*args, full=full), crossfit_scores(*args)
    np.testing.assert_array_equal(fast.failed, slow.failed)
    ok = ~fast.failed
    np.testing.assert_allclose(fast.mse[ok], slow.mse[ok], rtol=1e-8)
    assert np.argmin(np.where(ok, fast.mse, np.inf)) == np.argmin(np.where(ok, slow.mse, np.inf))
