"""Linear programs of linear quantile regression (HiGHS through ``scipy.optimize.linprog``).

Per level ``tau`` the check-loss fit ``min_b sum_i w_i rho_tau(y_i - x_i^T b)`` is the LP
``min sum_i w_i (tau u_i + (1 - tau) v_i)`` s.t. ``X b + u - v = y``, ``u, v >= 0`` (Koenker & Bassett).
The joint version stacks all levels and adds Bondell, Reich & Wang's (2010) non-crossing
constraints ``v^T (b_k - b_{k-1}) >= margin`` at every vertex ``v`` of the covariate hull (with a leading 1):
a linear function that increases at the vertices increases on the whole hull.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, sparse, spatial

from .._validation import Converter, validate_params


def _quantile_levels(tau, name: str) -> np.ndarray:
    """Converter: levels strictly inside (0, 1), any shape that broadcasts (NaN refused)."""
    levels = np.asarray(tau, dtype=np.float64)
    if levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(f"{name} must be quantile levels strictly between 0 and 1, got {tau!r}.")
    return levels


def hull_vertices(X: np.ndarray, extra=None) -> np.ndarray:
    """Vertices of the convex hull of the rows of ``X`` (all unique rows when Qhull cannot help).

    For one column the two extremes; for 2..6 columns Qhull; beyond that (or for flat point sets)
    every unique row, which spans the same hull.
    """
    H = X if extra is None else np.vstack([X, extra])
    H = np.unique(H, axis=0)
    p = H.shape[1]
    if p == 1:
        return np.array([[H.min()], [H.max()]])
    if p <= 6 and H.shape[0] > p + 1:
        try:
            return H[spatial.ConvexHull(H).vertices]
        except (spatial.QhullError, ValueError):
            pass
    return H


def standardised_hull(Z: np.ndarray, points, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Hull vertices of the standardised rows ``Z`` and of extra ``points`` given on the raw scale.

    ``points`` (None or a finite 2-D array, as the ``hull_points`` converter returns it) must have
    one column per feature; they are standardised with ``center`` and ``scale`` as ``Z`` was.
    """
    extra = None
    if points is not None:
        if points.shape[1] != Z.shape[1]:
            raise ValueError(
                f"hull_points must have one column per feature of X ({Z.shape[1]}), got shape {points.shape}."
            )
        extra = (points - center) / scale
    return hull_vertices(Z, extra)


def _solve(c, A_eq, b_eq, A_ub=None, b_ub=None, bounds=None):
    res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"quantile-regression LP failed: {res.message}")
    return res


def quantile_lp(X1, y, taus, weight, vertices=None, margin=0.0):
    """Solve per-tau (``vertices=None``) or jointly non-crossing quantile regressions.

    Parameters
    ----------
    X1 : ndarray (n, q)
        Design including the intercept column.
    y : ndarray (n,)
    taus : ndarray (K,)
        Increasing levels.
    weight : ndarray (n,)
        Non-negative row weights.
    vertices : ndarray (h, q) or None
        Hull vertices (with the leading 1) for the non-crossing constraints.
    margin : float
        Required increase of the fitted quantile between adjacent levels at every vertex.

    Returns
    -------
    coefs : ndarray (K, q)
    objective : float
        Weighted check loss summed over the levels.
    """
    n, q = X1.shape
    K = taus.size
    if vertices is None:
        coefs, total = [], 0.0
        for tau in taus:
            c = np.concatenate([np.zeros(q), weight * tau, weight * (1.0 - tau)])
            A = sparse.hstack([sparse.csr_matrix(X1), sparse.eye(n), -sparse.eye(n)], format="csr")
            res = _solve(c, A, y, bounds=[(None, None)] * q + [(0, None)] * (2 * n))
            coefs.append(res.x[:q])
            total += res.fun
        return np.array(coefs), float(total)
    # joint LP: variables [b_1..b_K (K q), u (K n), v (K n)]
    c = np.concatenate([np.zeros(K * q), np.kron(taus, weight), np.kron(1.0 - taus, weight)])
    eye_k = sparse.eye(K, format="csr")
    A_eq = sparse.hstack([sparse.kron(eye_k, sparse.csr_matrix(X1)), sparse.eye(K * n), -sparse.eye(K * n)],
                         format="csr")
    b_eq = np.tile(y, K)
    # -(V b_k - V b_{k-1}) <= -margin for k = 2..K
    D = sparse.diags([np.ones(K - 1), -np.ones(K - 1)], [1, 0], shape=(K - 1, K), format="csr")
    A_ub = sparse.hstack([-sparse.kron(D, sparse.csr_matrix(vertices)),
                          sparse.csr_matrix((vertices.shape[0] * (K - 1), 2 * K * n))], format="csr")
    b_ub = np.full(A_ub.shape[0], -margin)
    res = _solve(c, A_eq, b_eq, A_ub, b_ub, bounds=[(None, None)] * (K * q) + [(0, None)] * (2 * K * n))
    return res.x[: K * q].reshape(K, q), float(res.fun)


@validate_params({"tau": [Converter(_quantile_levels, "quantile levels in (0, 1)")]})
def check_loss(residuals, tau):
    """The check (pinball) loss of quantile regression, elementwise.

    Parameters
    ----------
    residuals : array-like
        Residuals ``r = y - q``.
    tau : float or array-like
        Quantile level(s) in (0, 1), broadcast against ``residuals``.

    Returns
    -------
    ndarray
        ``rho_tau(r) = r * (tau - 1{r < 0})``.
    """
    return residuals * (tau - (residuals < 0))


def rearrange(values: np.ndarray) -> np.ndarray:
    """Monotone rearrangement along the last axis (Chernozhukov, Fernandez-Val & Galichon 2010).

    On an equispaced-in-probability grid, rearranging a curve ``tau -> Q(tau|x)`` is sorting its
    values: the rearranged curve is the quantile function of the values taken by the original one.
    """
    return np.sort(values, axis=-1)
