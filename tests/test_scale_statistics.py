"""Sufficient statistics without dask: input checks (issue 10), exact merges, sparse input, partial_fit."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from selfdistill import (
    SelfDistilledRidge,
    SelfDistilledRidgeCV,
    SpectralDesign,
    SufficientStatistics,
)
from selfdistill._statistics import GroupedStatistics, RowSplit, row_uniforms
from selfdistill.exceptions import GridBoundaryWarning

pytestmark = pytest.mark.filterwarnings("ignore::selfdistill.exceptions.GridBoundaryWarning")


def _state(stats):
    return (stats.weight_sum, stats.n_rows, stats.x_mean.copy(), stats.xx.copy(), stats.xy.copy(), stats.yy.copy())


def _assert_same_stats(a, b, rtol=1e-12):
    assert a.weight_sum == pytest.approx(b.weight_sum, rel=1e-14)
    scale = max(np.abs(b.xx).max(), 1.0)
    np.testing.assert_allclose(a.x_mean, b.x_mean, rtol=rtol, atol=rtol * np.abs(b.x_mean).max())
    np.testing.assert_allclose(a.xx, b.xx, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(a.xy, b.xy, rtol=rtol, atol=rtol * max(np.abs(b.xy).max(), 1.0))
    np.testing.assert_allclose(a.yy, b.yy, rtol=rtol)


# ----------------------------------------------------------------------------- issue 10 defects
def test_list_input_is_converted_like_an_array(rng, linear_problem):
    X, y = linear_problem(rng, n=20, d=3)
    from_list = SufficientStatistics(3).update(X.tolist(), y.tolist())
    _assert_same_stats(from_list, SufficientStatistics(3).update(X, y))
    design_list = SpectralDesign.from_X(X.tolist(), y.tolist(), center=True)
    design = SpectralDesign.from_X(X, y, center=True)
    np.testing.assert_allclose(design_list.singular_values, design.singular_values, rtol=1e-14)


@pytest.mark.parametrize("bad", [[[1.0, 2.0], [3.0]], [["a", "b"], ["c", "d"]]])
def test_malformed_list_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match="numeric"):
        SufficientStatistics(2).update(bad, [1.0, 2.0])
    with pytest.raises(ValueError):
        SpectralDesign.from_X(bad, [1.0, 2.0])


@pytest.mark.parametrize(
    "weights, message",
    [([1.0, np.nan, 1.0, 1.0], "NaN"), ([1.0, -1.0, 1.0, 1.0], "negative"), ([1.0, 1.0], "shape")],
)
def test_bad_weights_are_refused(weights, message):
    X, y = np.arange(8.0).reshape(4, 2) ** 1.5, np.arange(4.0)
    stats = SufficientStatistics(2)
    with pytest.raises(ValueError, match=message):
        stats.update(X, y, sample_weight=weights)
    assert stats.n_rows == 0 and stats.weight_sum == 0.0
    with pytest.raises(ValueError, match=message):
        SpectralDesign.from_X(X, y, sample_weight=weights)


def test_wrong_y_length_is_refused():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="one target row per"):
        SufficientStatistics(2).update(X, np.ones(5))
    with pytest.raises(ValueError, match="rows but X has 6"):
        SpectralDesign.from_X(X, np.ones(5))


@pytest.mark.parametrize("empty", [np.empty((0, 3)), [], sp.csr_matrix((0, 3))])
def test_empty_chunk_is_a_no_op(rng, empty, linear_problem):
    X, y = linear_problem(rng, n=10, d=3)
    stats = SufficientStatistics(3).update(X, y)
    before = _state(stats)
    stats.update(empty, np.empty(0))
    for a, b in zip(before, _state(stats), strict=True):
        np.testing.assert_array_equal(a, b)
    assert SufficientStatistics(3).update(np.empty((0, 3)), []).n_rows == 0


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("value", [np.nan, np.inf, 1e200])
def test_non_finite_chunk_is_refused_and_leaves_the_state_unchanged(rng, where, value, linear_problem):
    X, y = linear_problem(rng, n=10, d=3)
    stats = SufficientStatistics(3).update(X, y)
    before = _state(stats)
    Xb, yb = X.copy(), y.copy()
    if where == "X":
        Xb[4, 1] = value
    else:
        yb[4] = value
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinity"):
        stats.update(Xb, yb)
    with pytest.raises(ValueError, match=f"{where} contains NaN or infinity"):
        stats.update(sp.csr_matrix(Xb), yb)
    for a, b in zip(before, _state(stats), strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- exact merges
def test_merge_in_any_tree_equals_one_pass(rng, linear_problem):
    X, y = linear_problem(rng, n=300, d=5, targets=2)
    w = rng.uniform(0.0, 3.0, size=300)
    one = SufficientStatistics(5, 2).update(X, y, w)
    parts = [SufficientStatistics(5, 2).update(X[i : i + 37], y[i : i + 37], w[i : i + 37]) for i in range(0, 300, 37)]
    level = parts
    while len(level) > 1:  # a pairwise tree, as dask reduces
        level = [
            level[i].copy().merge(level[i + 1]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 2)
        ]
    tree = level[0]
    _assert_same_stats(tree, one)
    sequential = SufficientStatistics(5, 2)
    for part in parts:
        sequential.merge(part)
    _assert_same_stats(sequential, one)
    assert tree.n_rows == 300 and tree.n_positive_rows == one.n_positive_rows


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_chunks_give_the_dense_statistics(rng, fmt, linear_problem):
    X, y = linear_problem(rng, n=200, d=8, offset=0.0)
    X[rng.uniform(size=X.shape) < 0.7] = 0.0
    w = rng.uniform(0.0, 2.0, size=200)
    dense = SufficientStatistics(8).update(X[:120], y[:120], w[:120]).update(X[120:], y[120:], w[120:])
    sparse = SufficientStatistics(8)
    sparse.update(sp.coo_matrix(X[:120]).asformat(fmt), y[:120], w[:120])
    sparse.update(sp.coo_matrix(X[120:]).asformat(fmt), y[120:], w[120:])
    _assert_same_stats(sparse, dense, rtol=1e-11)


def test_sparse_fit_never_densifies_X(rng):
    n, d = 40_000, 250
    X = sp.random(n, d, density=4e-3, format="csr", random_state=0)
    y = rng.normal(size=n)
    dense_bytes = n * d * 8  # 80 MB
    tracemalloc.start()
    try:
        model = SelfDistilledRidge(alpha=1.0, xi=(0.5,)).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < dense_bytes / 20, f"peak {peak / 1e6:.1f} MB"
    assert model.coef_.shape == (d,)


# ----------------------------------------------------------------------------- row groups
def test_row_groups_depend_on_position_not_chunking():
    whole = row_uniforms(0, 1000, seed=7)
    np.testing.assert_array_equal(whole[300:450], row_uniforms(300, 150, seed=7))
    assert not np.array_equal(whole, row_uniforms(0, 1000, seed=8))
    assert abs(whole.mean() - 0.5) < 0.03 and whole.min() >= 0.0 and whole.max() < 1.0
    split = RowSplit.validation(0.3, seed=7)
    assert abs(split.groups(0, 20_000).mean() - 0.3) < 0.02
    folds = RowSplit.kfold(5, seed=7).groups(0, 20_000)
    np.testing.assert_allclose(np.bincount(folds) / 20_000, 0.2, atol=0.02)


def test_fold_statistics_are_the_statistics_of_the_fold_rows(rng, linear_problem):
    X, y = linear_problem(rng, n=500, d=4)
    split = RowSplit.kfold(4, seed=3)
    stats = GroupedStatistics.empty(split, 4, 1)
    for start in range(0, 500, 90):  # uneven chunks
        stats.update(X[start : start + 90], y[start : start + 90])
    labels = split.groups(0, 500)
    for j in range(4):
        train, held = stats.fold(j)
        _assert_same_stats(held, SufficientStatistics(4).update(X[labels == j], y[labels == j]))
        _assert_same_stats(train, SufficientStatistics(4).update(X[labels != j], y[labels != j]))
    _assert_same_stats(stats.total(), SufficientStatistics(4).update(X, y))
    with pytest.raises(ValueError, match="at least 2 folds"):
        RowSplit.kfold(1, seed=0)


# ----------------------------------------------------------------------------- partial_fit
@pytest.mark.parametrize(
    "est",
    [
        SelfDistilledRidge(alpha=5.0, xi=(0.7, -0.4)),
        SelfDistilledRidge(alpha=0.5, xi=2.0, fit_intercept=False),
        SelfDistilledRidgeCV(tuning="gcv"),
        # alphas >= 10: at smaller alphas (vetted) Cp selects k = 3 with xi_3 ~ 1e6 - 1e12, models
        # that rounding-level differences in the statistics move by 1e-11 - 1e-7 on any route
        SelfDistilledRidgeCV(tuning="cp", n_steps=(0, 1, 3), alphas=(10.0, 100.0, 1000.0)),
        SelfDistilledRidgeCV(tuning="gcv", one_shot="gcv_paper", n_steps=(0, 1), fit_intercept=False),
    ],
    ids=repr,
)
@pytest.mark.parametrize("targets", [None, 2])
def test_partial_fit_equals_fit_on_the_concatenation(rng, est, targets, linear_problem, partial_fit_in_chunks):
    X, y = linear_problem(rng, targets=targets)
    w = rng.uniform(0.2, 2.0, size=X.shape[0])
    full = clone(est).fit(X, y, sample_weight=w)
    streamed = partial_fit_in_chunks(clone(est), X, y, w, size=53)
    np.testing.assert_allclose(streamed.coef_, full.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(streamed.intercept_, full.intercept_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(streamed.predict(X), full.predict(X), rtol=1e-10, atol=1e-10)
    if hasattr(full, "alpha_"):
        assert (streamed.alpha_, streamed.n_steps_) == (full.alpha_, full.n_steps_)
        assert streamed.best_score_ == pytest.approx(full.best_score_, rel=1e-10)
        # candidates at the grid's tiny alphas with k = 2 are ill-conditioned criteria (xi ~ 1e4):
        # rounding-level differences in the statistics move them more
        np.testing.assert_allclose(streamed.cv_results_["mse"], full.cv_results_["mse"], rtol=1e-6)
    assert streamed.statistics_.n_rows == X.shape[0]


def test_validation_tuning_from_statistics_equals_the_in_memory_criterion(rng, linear_problem, partial_fit_in_chunks):
    X, y = linear_problem(rng, n=600, d=5)
    est = SelfDistilledRidgeCV(tuning="validation", validation_fraction=0.25, random_state=11)
    streamed = partial_fit_in_chunks(clone(est), X, y, size=71)
    held = RowSplit.validation(0.25, seed=11).groups(0, X.shape[0]).astype(bool)
    direct = clone(est).fit(X[~held], y[~held], X_val=X[held], y_val=y[held])
    np.testing.assert_allclose(streamed.cv_results_["mse"], direct.cv_results_["mse"], rtol=1e-8)
    np.testing.assert_allclose(streamed.coef_, direct.coef_, rtol=1e-8, atol=1e-8)
    # sparse X is in memory: the same train_test_split as dense X (not the stream's hash split)
    sparse = clone(est).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, clone(est).fit(X, y).coef_, rtol=1e-9, atol=1e-9)
    sparse_val = clone(est).fit(sp.csr_matrix(X[~held]), y[~held], X_val=sp.csc_matrix(X[held]), y_val=y[held])
    np.testing.assert_allclose(sparse_val.cv_results_["mse"], direct.cv_results_["mse"], rtol=1e-8)
    np.testing.assert_allclose(sparse_val.coef_, direct.coef_, rtol=1e-8, atol=1e-8)


def test_partial_fit_refusals_and_checks(rng, linear_problem):
    X, y = linear_problem(rng, n=60, d=3)
    loo = SelfDistilledRidgeCV(tuning="loo")
    assert not hasattr(loo, "partial_fit")
    with pytest.raises(AttributeError, match="no attribute 'partial_fit'") as refusal:
        loo.partial_fit(X, y)
    assert "leverage of every row" in str(refusal.value.__cause__)
    default = SelfDistilledRidgeCV()  # tuning="crossfit" needs per-row held-out errors
    assert not hasattr(default, "partial_fit")
    with pytest.raises(AttributeError, match="no attribute 'partial_fit'") as refusal:
        default.partial_fit(X, y)
    assert "Use tuning='gcv', 'cp' or 'validation'" in str(refusal.value.__cause__)
    assert hasattr(SelfDistilledRidgeCV(tuning="cp"), "partial_fit")
    model = SelfDistilledRidge().partial_fit(X[:30], y[:30])
    with pytest.raises(ValueError, match="X has 2 features, but SelfDistilledRidge is expecting 3"):
        model.partial_fit(X[30:, :2], y[30:])
    with pytest.raises(ValueError, match="same shape convention"):
        model.partial_fit(X[30:], y[30:, None])
    before = model.coef_.copy()
    model.partial_fit(np.empty((0, 3)), np.empty(0))  # an empty chunk changes nothing
    np.testing.assert_array_equal(model.coef_, before)
    fitted = SelfDistilledRidge().fit(X, y)
    with pytest.warns(UserWarning, match="starts a new stream"):
        fitted.partial_fit(X[:30], y[:30])
    np.testing.assert_allclose(fitted.coef_, SelfDistilledRidge().fit(X[:30], y[:30]).coef_, rtol=1e-10)
    val = SelfDistilledRidgeCV(tuning="validation", validation_fraction=0.01, random_state=0)
    assert not RowSplit.validation(0.01, seed=0).groups(0, 5).any()  # no row of the 5 is held out
    with pytest.raises(ValueError, match="validation part has no rows"):
        val.partial_fit(X[:5], y[:5])


# ----------------------------------------------------------------------------- sparse estimators
@pytest.mark.parametrize(
    "est",
    [
        SelfDistilledRidge(alpha=3.0, xi=(0.5, -1.0)),
        SelfDistilledRidgeCV(random_state=0),  # the cross-fitted default: the same folds as dense X
        SelfDistilledRidgeCV(tuning="validation", random_state=0),
        # LOO's xi is well conditioned on this grid (at alpha = 1e-3 and k = 2 it reaches 1e9, where a
        # 1e-15 perturbation of X moves the coefficients by 1e-6 on either route)
        SelfDistilledRidgeCV(tuning="loo", alphas=(0.1, 1.0, 10.0, 100.0), n_steps=(0, 1, 2)),
        SelfDistilledRidgeCV(tuning="cp", fit_intercept=False),
    ],
    ids=repr,
)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_fits_the_dense_model(rng, est, fmt, linear_problem):
    X, y = linear_problem(rng, n=300, d=7, offset=0.0)
    X[rng.uniform(size=X.shape) < 0.6] = 0.0
    w = rng.uniform(0.5, 1.5, size=300)
    dense = clone(est).fit(X, y, sample_weight=w)
    Xs = sp.csr_matrix(X).asformat(fmt)
    sparse = clone(est).fit(Xs, y, sample_weight=w)
    # LOO's optimal xi (~ -10 here) amplifies the rounding difference of the two Gram matrices
    tol = 1e-8 if getattr(est, "tuning", None) == "loo" else 1e-10
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=tol, atol=tol)
    np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=tol, atol=tol)
    if hasattr(dense, "cv_results_"):
        assert (sparse.alpha_, sparse.n_steps_) == (dense.alpha_, dense.n_steps_)
        np.testing.assert_allclose(sparse.cv_results_["mse"], dense.cv_results_["mse"], rtol=1e-8)


def test_rank_deficient_sparse_design_drops_null_directions_quietly(rng):
    X = sp.random(12, 30, density=0.5, format="csr", random_state=1)  # 12 rows, 30 features
    y = rng.normal(size=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", GridBoundaryWarning)
        sparse = SelfDistilledRidgeCV(random_state=0).fit(X, y, sample_weight=np.repeat([0.0, 1.0, 2.0], 4))
    dense = SelfDistilledRidgeCV(random_state=0).fit(X.toarray(), y, sample_weight=np.repeat([0.0, 1.0, 2.0], 4))
    np.testing.assert_allclose(sparse.predict(X), dense.predict(X.toarray()), rtol=1e-8, atol=1e-10)


def test_statistics_warn_for_real_but_blurred_directions(rng):
    X = rng.normal(size=(200, 3))
    X = np.column_stack([X, X[:, 0] + 1e-9 * rng.normal(size=200)])
    with pytest.warns(RuntimeWarning, match="ill-conditioned"):
        SelfDistilledRidge().fit(sp.csr_matrix(X), rng.normal(size=200))


def test_one_read_update_is_accurate_for_sorted_rows_far_from_the_origin(rng):
    n = 20_000
    t = np.sort(rng.uniform(0.0, 10.0, size=n))  # a trend: the first rows are unrepresentative
    X = 1e6 + np.column_stack([t, t**2, rng.normal(size=n)])
    y = 1e6 + t + rng.normal(size=n)
    w = rng.uniform(0.0, 2.0, size=n)
    stats = SufficientStatistics(3).update(X, y, w)
    mean = w @ X / w.sum()
    Xc = X - mean
    np.testing.assert_allclose(stats.x_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(stats.xx, (Xc * w[:, None]).T @ Xc, rtol=1e-9)
    np.testing.assert_allclose(stats.xy[:, 0], (Xc * w[:, None]).T @ (y - w @ y / w.sum()), rtol=1e-9)


def test_cross_fitting_fold_views_score_each_fold_exactly(rng, linear_problem):
    from selfdistill._scale import crossfit_statistics, fold_views
    from selfdistill._tuning import evaluate_grid

    X, y = linear_problem(rng, n=500, d=5)
    est = SelfDistilledRidgeCV(alphas=(0.1, 10.0, 1000.0), n_steps=(0, 1, 2), tuning="validation")
    stats = crossfit_statistics(clone(est), sp.csr_matrix(X), y, None, n_folds=3, seed=4)
    labels = RowSplit.kfold(3, seed=4).groups(0, 500)
    for j, problem in enumerate(fold_views(est, stats)):
        grid = evaluate_grid(problem.smoother, np.array(est.alphas), np.array(est.n_steps), "validation")
        scores = [c.mse for c in grid]
        held = labels == j
        direct = clone(est).fit(X[~held], y[~held], X_val=X[held], y_val=y[held])
        np.testing.assert_allclose(scores, direct.cv_results_["mse"], rtol=1e-8)


@pytest.mark.parametrize(
    "est", [SelfDistilledRidge(), SelfDistilledRidgeCV(), SelfDistilledRidgeCV(tuning="cp")], ids=repr
)
def test_constant_design_gives_the_mean_on_every_route(est):
    X, y = np.ones((20, 3)), np.arange(20.0)
    models = [clone(est).fit(X, y), clone(est).fit(sp.csr_matrix(X), y)]
    if hasattr(est, "partial_fit"):  # not under the cross-fitted default (per-row errors)
        models.append(clone(est).partial_fit(X[:9], y[:9]).partial_fit(X[9:], y[9:]))
    for model in models:
        np.testing.assert_array_equal(model.coef_, 0.0)
        assert model.intercept_ == pytest.approx(9.5, rel=1e-14)
