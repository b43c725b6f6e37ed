"""Truncated power series (Taylor-mode arithmetic) in one and two variables.

Univariate series are arrays whose **last** axis holds the coefficients ``c_0, ..., c_K`` of
``sum_j c_j e^j``; bivariate series hold ``c_ij`` of ``sum_ij c_ij e^i d^j`` on the last **two**
axes, truncated at degree K in each variable separately. Leading axes broadcast (one series per
penalty and per eigenvalue). Everything is exact polynomial algebra mod ``e^(K+1)``; no
differences of nearly equal numbers are formed, which is why the asymptotic engine gets its
lambda-derivatives this way instead of by finite differences.
"""

from __future__ import annotations

import numpy as np


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of two univariate series (truncated to the common order)."""
    order = a.shape[-1]
    a, b = np.broadcast_arrays(a, b)
    out = np.zeros(a.shape, dtype=np.float64)
    for n in range(order):
        out[..., n] = np.sum(a[..., : n + 1] * b[..., n::-1], axis=-1)
    return out


def reciprocal(a: np.ndarray) -> np.ndarray:
    """``1 / a`` as a univariate series (``a_0`` must be nonzero)."""
    out = np.zeros(a.shape, dtype=np.float64)
    out[..., 0] = 1.0 / a[..., 0]
    for n in range(1, a.shape[-1]):
        out[..., n] = -np.sum(a[..., 1 : n + 1] * out[..., n - 1 :: -1], axis=-1) * out[..., 0]
    return out


def mul2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of two bivariate series (truncated at degree K in each variable)."""
    order = a.shape[-1]
    a, b = np.broadcast_arrays(a, b)
    out = np.zeros(a.shape, dtype=np.float64)
    for i in range(order):
        for j in range(order):
            out[..., i, j] = np.sum(a[..., : i + 1, : j + 1] * b[..., i::-1, j::-1], axis=(-2, -1))
    return out


def reciprocal2(a: np.ndarray) -> np.ndarray:
    """``1 / a`` as a bivariate series (``a_00`` must be nonzero), by increasing total degree."""
    order = a.shape[-1]
    out = np.zeros(a.shape, dtype=np.float64)
    inv0 = 1.0 / a[..., 0, 0]
    out[..., 0, 0] = inv0
    for total in range(1, 2 * order - 1):
        for i in range(max(0, total - order + 1), min(total, order - 1) + 1):
            j = total - i
            acc = np.sum(a[..., : i + 1, : j + 1] * out[..., i::-1, j::-1], axis=(-2, -1))
            # acc includes a_00 * out_ij, which is still zero here
            out[..., i, j] = -acc * inv0
    return out
