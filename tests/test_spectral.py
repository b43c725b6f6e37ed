"""The one-decomposition engine: SVD route, Gram route and its guard, streaming sufficient statistics."""

import warnings

import numpy as np
import pytest

from selfdistill import SpectralDesign, SufficientStatistics


def _same_subspace_coef(d1, d2, alpha=0.7):
    a1 = d1.singular_values**2 / (d1.singular_values**2 + alpha)
    a2 = d2.singular_values**2 / (d2.singular_values**2 + alpha)
    return d1.coef_from_filter(a1), d2.coef_from_filter(a2)


@pytest.mark.parametrize("shape", [(200, 8), (30, 30), (8, 40)])
def test_gram_and_svd_routes_agree(rng, shape):
    X = rng.normal(size=shape)
    y = rng.normal(size=(shape[0], 2))
    svd = SpectralDesign.from_X(X, y, method="svd")
    auto = SpectralDesign.from_X(X, y, method="auto")
    np.testing.assert_allclose(np.sort(auto.singular_values), np.sort(svd.singular_values), rtol=1e-10)
    c1, c2 = _same_subspace_coef(svd, auto)
    np.testing.assert_allclose(c1, c2, rtol=1e-9, atol=1e-12)
    expected = "gram" if shape[0] >= shape[1] else "svd"
    assert auto.method == expected


def test_guard_falls_back_to_svd_for_ill_conditioned_X(rng):
    U, _ = np.linalg.qr(rng.normal(size=(100, 5)))
    V, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    X = U @ np.diag([1, 1e-2, 1e-4, 1e-6, 1e-9]) @ V.T  # kappa = 1e9: X^T X has kappa 1e18
    assert SpectralDesign.from_X(X, method="auto").method == "svd"
    with pytest.warns(UserWarning, match="ill-conditioned"):
        forced = SpectralDesign.from_X(X, method="gram")
    assert forced.method == "svd"
    np.testing.assert_allclose(forced.singular_values, [1, 1e-2, 1e-4, 1e-6, 1e-9], rtol=1e-6)


def test_rank_deficient_X_keeps_the_numerical_rank(rng):
    X = rng.normal(size=(50, 4))
    X = np.column_stack([X, X[:, 0]])  # duplicated column, like rv1 == rv2 in Appliances Energy
    design = SpectralDesign.from_X(X, rng.normal(size=50))
    assert design.method == "svd" and design.rank == 4


def test_centering_and_weights_match_explicit_computation(rng):
    X = rng.normal(size=(40, 3)) + 5.0
    y = rng.normal(size=40) + 2.0
    w = rng.integers(1, 4, size=40).astype(float)
    design = SpectralDesign.from_X(X, y, center=True, sample_weight=w, method="svd")
    Xr, yr = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    rep = SpectralDesign.from_X(Xr, yr, center=True, method="svd")
    np.testing.assert_allclose(design.singular_values, rep.singular_values, rtol=1e-10)
    np.testing.assert_allclose(design.x_offset, Xr.mean(axis=0))
    c1, c2 = _same_subspace_coef(design, rep)
    np.testing.assert_allclose(c1, c2, rtol=1e-9)


def test_streaming_statistics_equal_one_pass(rng):
    X = rng.normal(size=(1000, 6)) * 3 + 100.0  # large means: naive X^T X - n m m^T would cancel
    y = X @ rng.normal(size=6) + rng.normal(size=1000)
    stats = SufficientStatistics(6)
    for chunk in np.array_split(np.arange(1000), 7):
        stats.update(X[chunk], y[chunk])
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(stats.xx, Xc.T @ Xc, rtol=1e-10)
    np.testing.assert_allclose(stats.xy[:, 0], Xc.T @ (y - y.mean()), rtol=1e-9)
    design = SpectralDesign.from_stats(stats, center=True)
    direct = SpectralDesign.from_X(X, y, center=True, method="svd")
    c1, c2 = _same_subspace_coef(design, direct)
    np.testing.assert_allclose(c1, c2, rtol=1e-8)
    assert design.y_sq_norm == pytest.approx(direct.y_sq_norm, rel=1e-10)


def test_streaming_uncentred_and_weighted(rng):
    X = rng.normal(size=(60, 3))
    y = rng.normal(size=60)
    w = rng.uniform(0.5, 2.0, size=60)
    stats = SufficientStatistics(3).update(X[:25], y[:25], w[:25]).update(X[25:], y[25:], w[25:])
    xx, xy, yy = stats.raw()
    np.testing.assert_allclose(xx, (X * w[:, None]).T @ X, rtol=1e-12)
    np.testing.assert_allclose(xy[:, 0], (X * w[:, None]).T @ y, rtol=1e-12)
    np.testing.assert_allclose(yy[0, 0], w @ y**2, rtol=1e-12)
    raw_design = SpectralDesign.from_stats(stats, center=False)
    direct = SpectralDesign.from_X(X, y, sample_weight=w, method="svd")
    c1, c2 = _same_subspace_coef(raw_design, direct)
    np.testing.assert_allclose(c1, c2, rtol=1e-10)


def test_statistics_guard_warns(rng):
    X = rng.normal(size=(30, 3))
    X = np.column_stack([X, X[:, 0] + 1e-9 * rng.normal(size=30)])
    stats = SufficientStatistics(4).update(X, rng.normal(size=30))
    with pytest.warns(RuntimeWarning, match="ill-conditioned"):
        SpectralDesign.from_stats(stats)


def test_statistics_errors():
    with pytest.raises(ValueError, match="no rows"):
        SpectralDesign.from_stats(SufficientStatistics(2))
    with pytest.raises(ValueError, match="expected 2"):
        SufficientStatistics(2).update(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="method"):
        SpectralDesign.from_X(np.ones((3, 2)), method="qr")


def test_well_conditioned_gram_route_does_not_warn(rng):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SpectralDesign.from_X(rng.normal(size=(50, 5)), method="gram")
