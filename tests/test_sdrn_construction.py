"""The SDRN network is a real sparse ReLU network: blocks, error bounds, grid sizes, n-rules."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfdistill.sdrn import (
    SparseDeepReLURegressor,
    auto_level,
    auto_mult_depth,
    block_network,
    build_network,
    count_basis,
    sparse_grid,
)
from selfdistill.sdrn._sparse_grid import evaluate_basis_analytic


def _cube_network(level, d, m):
    basis = sparse_grid(level, d)
    return basis, build_network(basis, m, np.ones(d), np.zeros(d))


def test_hat_block_equals_the_analytic_hat_exactly():
    basis, net = _cube_network(6, 1, 2)  # 1-D: hats up to mesh 1/32, no products
    z = np.arange(0, 257)[:, None] / 256.0  # dyadic points: every operation is exact
    got = net.basis(z)
    want = evaluate_basis_analytic(basis, z)[:, 1:]
    assert np.array_equal(got, want)
    # and at arbitrary points up to rounding of u = 2^r z - i (a few ulps)
    z = np.random.default_rng(0).uniform(size=(500, 1))
    np.testing.assert_allclose(net.basis(z), evaluate_basis_analytic(basis, z)[:, 1:], rtol=0, atol=1e-14)
    # three ReLUs per hat, one per linear factor, two per clipped input
    n_hats = sum(1 for b in basis if b and b[0].level >= 2)
    assert net.widths == [2, 3 * n_hats + 1]


@pytest.mark.parametrize("m", [1, 2, 3, 5, 7])
def test_square_block_error_is_within_2_to_minus_2m_minus_2(m):
    t = np.linspace(0.0, 1.0, 2**12 + 1)
    err = block_network("square", m).basis(t[:, None])[:, 0] - t**2
    bound = 2.0 ** (-2 * m - 2)
    assert err.min() >= -1e-15  # the interpolant of a convex function lies above it
    assert err.max() <= bound + 1e-15
    assert err.max() >= 0.99 * bound  # and the bound is attained (midpoints of the mesh)
    assert block_network("square", m).depth == m


@pytest.mark.parametrize("m", [1, 2, 4, 6])
def test_multiplication_block_error_on_a_grid(m):
    g = np.linspace(0.0, 1.0, 97)
    P = np.array(list(itertools.product(g, g)))
    net = block_network("multiply", m)
    err = net.basis(P)[:, 0] - P[:, 0] * P[:, 1]
    assert np.abs(err).max() <= 2.0 ** (-2 * m - 2) + 1e-15
    assert net.depth == m + 2
    # exact at the corners (dyadic arithmetic), exact up to rounding on the axes
    assert net.basis(np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))[:, 0].tolist() == [0.0, 1.0, 0.0]
    np.testing.assert_allclose(net.basis(np.c_[np.zeros(97), g])[:, 0], 0.0, atol=1e-15)


@given(st.integers(2, 5), st.integers(2, 5), st.integers(1, 4))
def test_products_of_k_factors_are_within_k_minus_1_block_errors(d, level, m):
    basis, net = _cube_network(level, d, m)
    Z = np.random.default_rng(d * 100 + level * 10 + m).uniform(size=(300, d))
    err = np.abs(net.basis(Z) - evaluate_basis_analytic(basis, Z)[:, 1:]).max(axis=0)
    k = np.array([len(b) for b in basis[1:]])
    assert np.all(err <= np.maximum(k - 1, 0) * 2.0 ** (-2 * m - 2) + 1e-14)
    assert np.all(err[k == 1] <= 1e-14)  # single factors are exact


def _brute_force_count(level, d):
    """Enumerate the full grid of (level, index) pairs per axis and keep |l|_1 <= level."""
    per_axis = [(0, 0), (1, 0)] + [(lev, i) for lev in range(2, level + 1) for i in range(1, 2 ** (lev - 1), 2)]
    return sum(1 for combo in itertools.product(per_axis, repeat=d) if sum(c[0] for c in combo) <= level)


@pytest.mark.parametrize(("level", "d"), [(1, 1), (4, 1), (3, 2), (5, 2), (4, 3), (3, 4), (2, 5), (3, 5)])
def test_sparse_grid_cardinality_equals_a_brute_force_count(level, d):
    assert count_basis(level, d) == _brute_force_count(level, d) == len(sparse_grid(level, d))
    basis = sparse_grid(level, d)
    assert len(set(basis)) == len(basis)


def test_sparse_grid_is_much_smaller_than_the_full_grid():
    # full tensor grid of the same finest mesh: (2^(L-1) + 1)^d functions
    assert count_basis(6, 4) < 0.01 * (2**5 + 1) ** 4


def test_depth_grows_like_log_n_and_size_polynomially():
    ns = [2**k for k in range(6, 17, 2)]
    m = np.array([auto_mult_depth(n) for n in ns])
    # depth = 2 + stages * (m + 2) + 1 with m = ceil(log2(n)/2) + 1: Theta(log n)
    logs = np.log2(ns)
    assert np.all(np.diff(m) >= 1)
    assert np.all((m >= logs / 2) & (m <= logs / 2 + 2))
    for d in (2, 3, 5):
        levels = [auto_level(n, d) for n in ns]
        assert levels == sorted(levels)
        sizes = [count_basis(lev, d) for lev in levels]
        assert all(s <= max(n / 2, d + 1) for s, n in zip(sizes, ns, strict=True))
        assert levels[-1] <= 1 + math.ceil(math.log2(ns[-1]) / 4)


@pytest.mark.parametrize("d", [2, 3])
def test_fitted_attributes_follow_the_rules(rng, d):
    depths, params = [], []
    ns = [64, 256, 1024, 4096]
    for n in ns:
        X = rng.uniform(size=(n, d))
        model = SparseDeepReLURegressor(level=3).fit(X, X.sum(axis=1))
        stages = math.ceil(math.log2(min(d, 3)))
        assert model.depth_ == 2 + stages * (model.mult_depth_ + 2) + 1 == model.network_.depth + 1
        assert model.n_basis_ == count_basis(3, d)
        depths.append(model.depth_)
        params.append(model.n_params_)
    # fixed level: the depth grows by stages per doubling of sqrt(n); size only through m (log n)
    slope = np.polyfit(np.log2(ns), depths, 1)[0]
    assert 0.4 * stages <= slope <= 0.8 * stages
    assert params == sorted(params) and params[-1] < 3 * params[0]


def test_every_unit_reads_only_a_few_inputs(rng):
    """Sparse by construction: at most 8 inputs per unit (the clip reads two squares of 4), however wide the layer."""
    _, net = _cube_network(5, 4, 4)
    for W in net.weights[1:]:
        assert np.diff(W.indptr).max() <= 8
        assert W.nnz <= 8 * W.shape[0]
    widest = max(net.weights[2:], key=lambda W: W.shape[1])
    assert widest.shape[1] > 500 and widest.nnz < 0.01 * widest.shape[0] * widest.shape[1]


def test_points_outside_the_training_cube_are_clipped(rng):
    X = rng.uniform(size=(200, 2))
    model = SparseDeepReLURegressor().fit(X, np.sin(3 * X[:, 0]) + X[:, 1])
    lo, hi = X.min(axis=0), X.max(axis=0)
    far = np.array([[lo[0] - 5.0, hi[1] + 3.0], [hi[0] + 1.0, lo[1] - 1.0]])
    edge = np.array([[lo[0], hi[1]], [hi[0], lo[1]]])
    np.testing.assert_allclose(model.predict(far), model.predict(edge), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: count_basis(-1, 2), "count_basis: level must be an integer >= 0"),
    (lambda: sparse_grid(3, 0), "sparse_grid: n_features must be an integer >= 1"),
    (lambda: auto_level(100, 2.5), "auto_level: n_features must be an integer >= 1"),
    (lambda: auto_mult_depth(-5), "auto_mult_depth: n_samples must be an integer >= 0"),
    (lambda: block_network("add", 2), "block_network: kind must be one of 'square', 'multiply'"),
    (lambda: block_network("square", 0), "mult_depth must be an integer >= 1"),
])
def test_construction_functions_refuse_bad_parameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()
