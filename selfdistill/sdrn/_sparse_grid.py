"""Sparse grids of ReLU hats: the 1-D hierarchy, the index set, its size, and the n-rules.

Reconstruction [unverified against Huang, Liu & Ma (2025), Sections 2-3]: mixed-smoothness
rates with the dimension only in logarithms are the signature of sparse grids (Bungartz &
Griebel 2004), so the estimator's basis is a hyperbolic-cross set of tensor products of
hierarchical 1-D functions on [0, 1]:

- level 0: the constant 1 (one function; it becomes the output layer's bias),
- level 1: the linear function ``x`` (one function),
- level ``l >= 2``: the hats ``phi_{r,i}(x) = max(0, 1 - |2^r x - i|)`` with ``r = l - 1`` and
  ``i`` odd in ``[1, 2^r - 1]`` (``2^(l-2)`` functions).

Levels ``0..L`` span exactly the piecewise-linear functions on the dyadic grid of mesh
``2^-(L-1)``. The multi-dimensional basis is every product ``prod_j phi_{l_j, i_j}(x_j)`` with
``|l|_1 <= L``; a factor of level 0 is the constant and drops out, so a basis function is a
product over its *active* coordinates only (those with ``l_j >= 1``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .._validation import NON_NEGATIVE_INT, POSITIVE_INT, validate_params

#: Level rule: the finest mesh 2^-(L-1) shrinks like n^(-1/LEVEL_RATE_DENOMINATOR).
LEVEL_RATE_DENOMINATOR = 4

_GRID_CONSTRAINTS = {
    "level": [NON_NEGATIVE_INT],
    "n_features": [POSITIVE_INT],
}
_SAMPLE_SIZE = [NON_NEGATIVE_INT]


def level_size(level: int) -> int:
    """Number of 1-D functions of hierarchical level ``level >= 0`` (1, 1, 1, 2, 4, ...)."""
    return 1 if level <= 1 else 2 ** (level - 2)


@validate_params(_GRID_CONSTRAINTS)
def count_basis(level: int, n_features: int) -> int:
    """Number of sparse-grid basis functions with ``|l|_1 <= level`` in ``n_features`` dimensions.

    Computed from the generating function ``g(z) = 1 + z + sum_{l>=2} 2^(l-2) z^l``: the count is
    the sum of the coefficients of ``z^0..z^level`` in ``g(z)^d`` (exact integers).

    Parameters
    ----------
    level : int
        Sparse-grid level ``L >= 0``.
    n_features : int
        Dimension ``d >= 1``.

    Returns
    -------
    int
        The number of basis functions, the constant included.
    """
    one_dim = [level_size(lev) for lev in range(level + 1)]
    poly = [1] + [0] * level
    for _ in range(n_features):
        new = [0] * (level + 1)
        for a, ca in enumerate(poly):
            if ca:
                for b in range(level + 1 - a):
                    new[a + b] += ca * one_dim[b]
        poly = new
    return int(sum(poly))


def level_multi_indices(level: int, n_features: int):
    """Yield every multi-index ``l`` in ``N^d`` with ``|l|_1 <= level`` (lexicographic order)."""

    def rec(prefix, budget, left):
        if left == 0:
            yield tuple(prefix)
            return
        for lev in range(budget + 1):
            yield from rec([*prefix, lev], budget - lev, left - 1)

    yield from rec([], level, n_features)


def one_dim_indices(level: int) -> list[int]:
    """The index ``i`` of each 1-D function of ``level`` (0 for the constant and the linear one)."""
    if level <= 1:
        return [0]
    return list(range(1, 2 ** (level - 1), 2))


@dataclass(frozen=True)
class Factor:
    """One active 1-D factor ``phi_{level, index}(x_feature)`` of a basis function (``level >= 1``)."""

    feature: int
    level: int
    index: int

    def evaluate(self, z: np.ndarray) -> np.ndarray:
        """Analytic value on cube coordinates ``z`` (a 1-D array in [0, 1])."""
        if self.level == 1:
            return np.asarray(z, dtype=np.float64)
        return np.maximum(0.0, 1.0 - np.abs(2.0 ** (self.level - 1) * z - self.index))


@validate_params(_GRID_CONSTRAINTS)
def sparse_grid(level: int, n_features: int) -> list[tuple[Factor, ...]]:
    """Every basis function of the sparse grid as the tuple of its active factors.

    The constant (empty tuple) comes first. Factors within a basis function are sorted by feature.

    Parameters
    ----------
    level : int
        Sparse-grid level ``L``.
    n_features : int
        Dimension ``d``.

    Returns
    -------
    list of tuple of Factor
        ``count_basis(level, n_features)`` basis functions.
    """
    basis = []
    for levels in level_multi_indices(level, n_features):
        choices = [
            [Factor(j, lev, i) for i in one_dim_indices(lev)] if lev >= 1 else [None]
            for j, lev in enumerate(levels)
        ]
        for combo in itertools.product(*choices):
            basis.append(tuple(f for f in combo if f is not None))
    basis.sort(key=lambda b: (len(b), sum(f.level for f in b)))
    return basis


def evaluate_basis_analytic(basis, Z: np.ndarray) -> np.ndarray:
    """Reference values of the exact products on cube points ``Z`` (no network; for checks)."""
    out = np.ones((Z.shape[0], len(basis)))
    for k, factors in enumerate(basis):
        for f in factors:
            out[:, k] *= f.evaluate(Z[:, f.feature])
    return out


# ----------------------------------------------------------------------------- the n-rules
@validate_params({"n_samples": _SAMPLE_SIZE})
def auto_mult_depth(n_samples: int) -> int:
    """Sawtooth depth ``m`` of every multiplication block: ``max(2, ceil(log2(n) / 2) + 1)``.

    The block's error ``2^(-2m-2)`` is then at most ``1 / (16 n)``, below the statistical error
    ``n^-1/2``; the network's depth, linear in ``m``, grows like ``log n``.

    Parameters
    ----------
    n_samples : int
        Number of training samples ``n``.

    Returns
    -------
    int
        The sawtooth depth ``m``.
    """
    return max(2, math.ceil(math.log2(max(n_samples, 1)) / 2) + 1)


@validate_params({"n_samples": _SAMPLE_SIZE, "n_features": _GRID_CONSTRAINTS["n_features"]})
def auto_level(n_samples: int, n_features: int) -> int:
    """Sparse-grid level ``L`` from the sample size (the size rule).

    ``L = 1 + ceil(log2(n) / 4)``: the finest mesh ``2^-(L-1)`` shrinks like ``n^(-1/4)``, with
    ``L >= 2`` (so that the basis has interactions), then lowered until there are at most
    ``n / 2`` basis functions. The unpenalised bias-variance balance for mixed smoothness 2
    (hats) would give ``n^(-1/5)``; the slightly finer mesh is left to the penalty, and was the
    better of the two on the product-sine benchmark (d = 2..6, n = 250..4000) -- an empirical
    default, not a theorem. The number of basis functions is ``O(2^L L^(d-1))``, polynomial
    in ``n``, and ``L`` grows like ``log n``.

    Parameters
    ----------
    n_samples : int
        Number of training samples ``n``.
    n_features : int
        Dimension ``d``.

    Returns
    -------
    int
        The level ``L``.
    """
    n = max(n_samples, 1)
    level = max(2, 1 + math.ceil(math.log2(n) / LEVEL_RATE_DENOMINATOR))
    while level > 1 and count_basis(level, n_features) > max(n / 2, n_features + 1):
        level -= 1
    return level
