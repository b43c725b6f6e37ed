"""The batched one-shot GCV solve (``one_shot_grid``) against one small solve per (smoother, alpha).

The batch builds the columns of every (smoother, alpha) at once, solves every prefix k with one QR
per row (singular prefixes by ``lstsq``) and forms the filter deviations of all k in one product.
Each part is compared here with the straightforward computation: the single-alpha columns,
``np.linalg.lstsq`` per k, and the deviation of the optimum's xibar by Horner
(:func:`~selfdistill._filters.deviation_from_xibar`). Cases: several targets, tied eigenvalues
(more steps than distinct eigenvalues, the ``lstsq`` fallback), fewer rows than steps, rank 0,
and alphas where GCV is undefined (df >= n).
"""

import numpy as np
import pytest

from selfdistill import _filters
from selfdistill._tuning import (
    SpectralSmoother,
    _gcv_paper_columns,
    _ridge_path_columns,
    one_shot_grid,
)


def _smoother(rng, ell, T, n, p0=1):
    z = rng.normal(size=(ell.size, T)) * np.sqrt(ell)[:, None]
    return SpectralSmoother(ell=ell, z=z, y_perp_sq=rng.uniform(0.5, 2.0, T), n=float(n), p0=p0)


CASES = {
    "two targets": (np.geomspace(50.0, 0.05, 8), 2, 60.0),
    "tied eigenvalues": (np.repeat([9.0, 1.0], 4), 1, 40.0),
    "fewer rows than steps": (np.array([4.0, 0.5]), 1, 30.0),
    "rank 0": (np.zeros(0), 1, 10.0),
    "df near n": (np.geomspace(1e3, 1.0, 6), 1, 6.5),
}


def _deviation(kind, a, t, coef):
    """``u = a (1 - m)`` of the optimum, term by term: ``m = 1 + sum_i c_i (-t)^(i+1)`` (ridge
    path) or ``m = 1 - sum_i xibar_i (1 - a^(i+1))`` (the paper's xibar, via Horner in
    :mod:`selfdistill._filters`)."""
    if kind == "gcv_paper":
        return a * _filters.deviation_from_xibar(a, t, coef)
    return -a * sum(c * (-t) ** (i + 1) for i, c in enumerate(coef))


@pytest.mark.parametrize("kind", ["ridge_path", "gcv_paper"])
@pytest.mark.parametrize("case", list(CASES))
def test_batched_grid_equals_one_solve_per_row(kind, case):
    rng = np.random.default_rng(sorted(CASES).index(case))
    ell, T, n = CASES[case]
    smoothers = [_smoother(rng, ell, T, n) for _ in range(3)]
    alphas = np.array([1e-3, 0.1, 10.0, 1e3])
    k_max = 4
    grid = one_shot_grid(smoothers, alphas, k_max, kind)
    columns_of = _ridge_path_columns if kind == "ridge_path" else _gcv_paper_columns
    assert case != "df near n" or not grid.defined.all()
    for s, sm in enumerate(smoothers):
        for ia, alpha in enumerate(alphas):
            row = s * alphas.size + ia
            a, t = sm.shrinkage(alpha)
            np.testing.assert_array_equal(grid.A[row], a)
            columns = columns_of(sm, a, t, k_max)
            assert grid.defined[row] == (columns is not None)
            if columns is None:
                continue
            base = columns[:, 0]
            size = base @ base  # rss of k = 0: the scale of every rss of this row
            for k in range(k_max + 1):
                coef = grid.coefs[k][row]
                assert coef.shape == (k,)
                residual = base + columns[:, 1 : k + 1] @ coef
                # to the rounding of the residual's terms, |base| + |columns| |coef|
                terms_sq = (np.sqrt(size) + np.linalg.norm(columns[:, 1 : k + 1]) * np.linalg.norm(coef)) ** 2
                np.testing.assert_allclose(grid.rss[row, k], residual @ residual, rtol=1e-9, atol=1e-12 * terms_sq)
                # the optimum: no other coefficient vector has a smaller residual
                best = np.linalg.lstsq(columns[:, 1 : k + 1], -base, rcond=None)[0]
                best_residual = base + columns[:, 1 : k + 1] @ best
                assert grid.rss[row, k] <= best_residual @ best_residual + 1e-10 * size
                # the deviation, to the rounding of its terms (coefficients reach 1e5 and more)
                terms = 1.0 + np.abs(coef).sum()
                np.testing.assert_allclose(grid.deviation(k)[row], _deviation(kind, a, t, coef), rtol=0,
                                           atol=1e-13 * terms)


def test_rows_of_a_grid_keep_the_computed_deviations():
    rng = np.random.default_rng(5)
    smoothers = [_smoother(rng, np.geomspace(10.0, 0.1, 5), 1, 50.0) for _ in range(2)]
    alphas = np.array([0.01, 1.0, 100.0])
    grid = one_shot_grid(smoothers, alphas, 3, "ridge_path")
    second = grid.rows(slice(3, None))
    alone = one_shot_grid(smoothers[1], alphas, 3, "ridge_path")
    for k in range(4):
        np.testing.assert_allclose(second.deviation(k), alone.deviation(k), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(second.rss[:, k], alone.rss[:, k], rtol=1e-12)
