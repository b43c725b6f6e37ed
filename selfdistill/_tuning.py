"""Exact tuning of (alpha, k, xi) for self-distilled spectral smoothers from one decomposition.

Every criterion below is an exact quadratic in the reparametrised imitation parameters once alpha
and k are fixed, so xi is never searched on a grid: it is the solution of a small least-squares
problem. The smoother is described by a :class:`SpectralSmoother`: the eigenvalues ``ell`` of the
(centred, weighted) Gram or kernel matrix, the targets' coordinates ``z = U^T y`` on its
eigenvectors, and what each criterion needs besides. Fitted values are ``U diag(h) z`` with the
k-step filter ``h = a - u`` (``a = ell / (ell + alpha)``; ``u = a t q(a)``, deg q < k; see
:mod:`selfdistill._filters`). Sums run over targets: xi is shared by all targets (one smoother),
and every score is a mean over samples and targets.

Criteria (``mse`` is an estimate of the mean squared prediction error; lower is better)

* ``validation`` -- held-out MSE, ``||y_val - P (h * z)||^2 / (n_val T)`` with the validation map P
  (the paper's protocol). Solved in the orthonormal Arnoldi basis of :mod:`selfdistill._risk`.
* ``cp`` -- Mallows' Cp / SURE for fixed design, ``(RSS(h) + 2 sigma^2 df(h)) / (n T)`` with
  ``df = p0 + sum h``; quadratic in u (theory: followups.md section 3.3). Needs sigma^2.
* ``gcv`` with ``one_shot="ridge_path"`` -- the toolkit's derivative estimator (followups.md
  sections 2.6 and 3.1): the GCV-scaled ridge residual ``rho(lambda) = (y - X beta_lambda) /
  (1 - df(lambda)/n)`` extended along the ridge path, ``R(w) = ||sum_i c_i lambda^i rho^(i)/i!||^2/n``
  with ``c_0 = 1``; the k-step estimator is ``beta + sum_i w_i lambda^i d^i beta`` with
  ``w_i = c_i / i!``. For k = 1 it is the corrected one-shot estimator of followups.md 2.6.
* ``gcv`` with ``one_shot="gcv_paper"`` -- Dang, Patil & Rinaldo's one-shot GCV (their Theorem 4.1
  for k = 1): the cross risks of the pure-distillation fits ``M^i beta`` (smoothers ``H^{i+1}``) are
  estimated by ``(y - H^{i+1} y)^T (y - H^{j+1} y) / n / ((1 - df_{i+1})(1 - df_{j+1}))`` and the
  affine combination with weights summing to one is optimised. For k >= 2 this generalisation is
  ours (the paper has k = 1 only). For k = 1 both one-shot estimators give the same optimal risk
  and ``xi_gcv_paper = xi_ridge_path (1 - df_2) / (1 - df_1)`` exactly (followups.md 2.6).
* ``loo`` -- exact leave-one-out of the whole k-step procedure: every left-out fit reruns the
  teacher and all k students on the remaining rows with the same (alpha, xi). Leaving row i out is a
  rank-one downdate of a diagonal operator, so the LOO predictions of all pure-distillation
  iterates ``A_{-i}^l beta_{-i}`` cost O(n r) per step; the LOO residual is affine in xibar, and the
  LOO MSE is minimised exactly over xi (one xi for all folds, i.e. xi is tuned on the LOO criterion,
  not re-tuned inside each fold). The shortcut ``e_i / (1 - S_ii)`` is *not* used: it is exact for
  ridge but not for a composition of ridge fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from . import _filters
from ._risk import KrylovSolution, LeastSquaresForm, krylov_basis

_LOO_CHUNK_ELEMENTS = 4_000_000  # rows x r x targets per block of the LOO iterates (~32 MB)


@dataclass
class SpectralSmoother:
    """What the tuning criteria need to know about a fitted spectral smoother.

    Attributes
    ----------
    ell : ndarray of shape (r,)
        Positive eigenvalues of the (centred, weighted) Gram matrix ``X^T W X`` (= s^2) or of the
        weighted kernel matrix.
    z : ndarray of shape (r, T)
        Coordinates ``U^T (sqrt(w) * y_centred)`` of the targets.
    y_perp_sq : ndarray of shape (T,)
        Squared norm of the targets outside the span of U (never fitted).
    n : float
        Total sample weight (number of rows for unit weights).
    p0 : int
        1 when an unpenalised intercept is fitted (it adds one degree of freedom), else 0.
    left : ndarray of shape (n_rows, r), optional
        U itself (rows scaled by sqrt(w)); needed by ``loo``.
    y_tilde : ndarray of shape (n_rows, T), optional
        ``sqrt(w) * y_centred``; needed by ``loo``.
    root_w : ndarray of shape (n_rows,), optional
        ``sqrt(w)`` (the intercept's column in the weighted problem); needed by ``loo``.
    val_map : ndarray of shape (n_val, r), optional
        Validation predictions are ``val_map @ (h * z)`` (plus the intercept); needed by
        ``validation``.
    y_val : ndarray of shape (n_val, T), optional
        Validation targets minus the training intercept term, rows scaled by sqrt(w_val).
    val_weight : float, optional
        Total validation weight (n_val for unit weights).
    """

    ell: np.ndarray
    z: np.ndarray
    y_perp_sq: np.ndarray
    n: float
    p0: int
    left: np.ndarray | None = None
    y_tilde: np.ndarray | None = None
    root_w: np.ndarray | None = None
    val_map: np.ndarray | None = None
    y_val: np.ndarray | None = None
    val_weight: float | None = None

    @property
    def n_targets(self) -> int:
        return self.z.shape[1]

    def shrinkage(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``(a, t) = (ell / (ell + alpha), alpha / (ell + alpha))``."""
        denom = self.ell + alpha
        return self.ell / denom, alpha / denom


@dataclass
class Candidate:
    """One (alpha, k) candidate with its exactly optimised xi.

    Attributes
    ----------
    alpha : float
    n_steps : int
    xibar : ndarray of shape (k,)
        Optimal reparametrised imitation parameters (monomial basis).
    u : ndarray of shape (r,)
        Filter deviation from ridge at the optimum (``h = a - u``), computed stably.
    mse : float
        The criterion's estimate of the mean squared prediction error (inf if undefined).
    extra : dict
        Criterion-specific diagnostics (e.g. both one-shot estimates under ``gcv``).
    """

    alpha: float
    n_steps: int
    xibar: np.ndarray
    u: np.ndarray
    mse: float
    extra: dict = field(default_factory=dict)


def evaluate_grid(
    smoother: SpectralSmoother,
    alphas: np.ndarray,
    steps: np.ndarray,
    method: str,
    *,
    one_shot: str = "ridge_path",
    noise_var: np.ndarray | None = None,
) -> list[Candidate]:
    """Optimise xi exactly for every (alpha, k) of the grid and score it with ``method``."""
    k_max = int(np.max(steps))
    steps = [int(k) for k in steps]
    out: list[Candidate] = []
    path = _criterion_path(smoother, method, k_max, one_shot, noise_var)
    for alpha in alphas:
        by_k = path(float(alpha))
        out.extend(by_k[k] for k in steps)
    return out


def _criterion_path(smoother, method, k_max, one_shot, noise_var):
    """``alpha -> [Candidate for k = 0..k_max]`` for one criterion."""
    if method == "validation":
        val = _ValidationForm(smoother)
        path = lambda alpha: val.path(alpha, k_max)  # noqa: E731
    elif method == "cp":
        path = lambda alpha: _cp_path(smoother, alpha, k_max, noise_var)  # noqa: E731
    elif method == "gcv":
        path = lambda alpha: _gcv_path(smoother, alpha, k_max, one_shot)  # noqa: E731
    elif method == "loo":
        path = lambda alpha: _loo_path(smoother, alpha, k_max)  # noqa: E731
    else:  # pragma: no cover - validated by the estimator
        raise ValueError(f"unknown tuning method {method!r}")
    return path


def criterion_of_realised(
    sm: SpectralSmoother, method: str, alpha: float, xi: np.ndarray, h: np.ndarray,
    one_minus_h: np.ndarray, *, one_shot: str = "ridge_path", noise_var=None,
) -> float:
    """The criterion of the *realised* model: per-step ``xi`` with filter ``h`` (``1 - h`` given).

    ``validation`` and ``cp`` are evaluated from the filter itself (the validation predictions of
    the returned model, its residual sum of squares and degrees of freedom); ``gcv`` and ``loo``
    from the realised polynomial ``xi_to_xibar(xi)`` in the criterion's own linear form. Comparing
    this with the scored value detects candidates the float64 realisation does not reproduce.
    """
    n_norm = sm.n * sm.n_targets
    if method == "validation":
        residual = sm.y_val - sm.val_map @ (h[:, None] * sm.z)
        return float(np.sum(residual**2)) / (float(sm.val_weight) * sm.n_targets)
    if method == "cp":
        rss = float(np.sum(sm.y_perp_sq) + np.sum(sm.z**2 * (one_minus_h**2)[:, None]))
        return (rss + 2.0 * float(np.sum(noise_var)) * (sm.p0 + float(np.sum(h)))) / n_norm
    k = xi.size
    with np.errstate(over="ignore", invalid="ignore"):
        xibar = _filters.xi_to_xibar(xi) if k else np.zeros(0)
        if not np.all(np.isfinite(xibar)):
            return math.inf
        a, t = sm.shrinkage(alpha)
        if method == "gcv" and one_shot == "ridge_path":
            columns = _ridge_path_columns(sm, a, t, k)
            if columns is None:
                return math.inf
            weights = _filters.xibar_to_ridge_path(xibar) if k else np.zeros(0)
            coef = weights * np.array([math.factorial(i) for i in range(1, k + 1)], dtype=float)
        elif method == "gcv":
            columns = _gcv_paper_columns(sm, a, t, k)
            if columns is None:
                return math.inf
            coef = xibar
        else:  # loo
            P = loo_iterates(sm, alpha, k)
            base = (sm.y_tilde - P[:, 0, :]).reshape(-1)
            cols = (P[:, :1, :] - P[:, 1:, :]).transpose(0, 2, 1).reshape(base.size, k)
            columns = np.column_stack([base, cols])
            coef = xibar
        residual = columns[:, 0] + columns[:, 1:] @ coef
        return float(residual @ residual) / n_norm


# ----------------------------------------------------------------------------- helpers
def _candidate_from_xibar(smoother, alpha, xibar, mse, extra=None, u=None) -> Candidate:
    """Candidate from xibar; ``u`` may be given when the criterion's own basis yields it stably."""
    if u is None:
        a, t = smoother.shrinkage(alpha)
        u = a * _filters.deviation_from_xibar(a, t, xibar) if xibar.size else np.zeros_like(a)
    return Candidate(alpha, xibar.size, xibar, u, float(mse), extra or {})


def _candidate_from_krylov(smoother, alpha, k, solution: KrylovSolution, mse) -> Candidate:
    xibar = _filters.tail_sums_to_xibar(solution.q_monomial)
    return Candidate(alpha, k, xibar, solution.u, float(mse), {"dimension": solution.dimension})


def _lstsq_prefixes(base: np.ndarray, columns: np.ndarray, k_max: int):
    """Minimise ``||base + columns[:, :k] c||`` for k = 0..k_max; yields (c, residual_sq).

    One Householder QR serves every prefix (its leading columns span the leading columns of the
    matrix); a prefix whose triangular factor is numerically singular falls back to ``lstsq``
    (minimum-norm solution, e.g. when k exceeds the number of distinct eigenvalues).
    """
    yield np.zeros(0), float(base @ base)
    if k_max == 0:
        return
    Q, R = np.linalg.qr(columns)
    qb = Q.T @ base
    diag = np.abs(np.diag(R))
    scale = np.linalg.norm(columns, axis=0)
    for k in range(1, k_max + 1):
        if k <= diag.size and np.all(diag[:k] > 1e-12 * np.maximum(scale[:k], np.finfo(float).tiny)):
            coef = scipy.linalg.solve_triangular(R[:k, :k], -qb[:k], check_finite=False)
        else:
            coef = np.linalg.lstsq(columns[:, :k], -base, rcond=None)[0]
        residual = base + columns[:, :k] @ coef
        yield coef, float(residual @ residual)


# ----------------------------------------------------------------------------- validation
class _ValidationForm:
    """Held-out squared error as ``const + ||S u - b||^2`` via one QR of the validation map."""

    def __init__(self, sm: SpectralSmoother) -> None:
        if sm.val_map is None or sm.y_val is None:
            raise ValueError("validation tuning needs validation data.")
        self.sm = sm
        r = sm.ell.size
        if r:
            self.Q, self.R = np.linalg.qr(sm.val_map)
        else:
            self.Q, self.R = np.zeros((sm.val_map.shape[0], 0)), np.zeros((0, 0))
        self.qty = self.Q.T @ sm.y_val  # (r, T)
        self.perp = float(np.sum(sm.y_val**2) - np.sum(self.qty**2))
        self.norm = float(sm.val_weight) * sm.n_targets

    def path(self, alpha: float, k_max: int) -> list[Candidate]:
        sm = self.sm
        a, t = sm.shrinkage(alpha)
        z = sm.z
        # residual_t = y_val_t - P (h * z_t);  in QR coordinates  qty_t - R (z_t * a) + R (z_t * u)
        b = np.concatenate([self.R @ (z[:, j] * a) - self.qty[:, j] for j in range(z.shape[1])])
        apply_S = lambda u: np.concatenate(  # noqa: E731
            [self.R @ (z[:, j] * u) for j in range(z.shape[1])]
        )
        form = LeastSquaresForm.general(apply_S, b, max(self.perp, 0.0), a.size)
        solutions = krylov_basis(a, t, form, k_max).solve_all(k_max)
        return [
            _candidate_from_krylov(sm, alpha, k, sol, (form.const + sol.residual_sq) / self.norm)
            for k, sol in enumerate(solutions)
        ]


# ----------------------------------------------------------------------------- Cp / SURE
def _cp_value(sm: SpectralSmoother, a, t, u, noise_var) -> float:
    rss = float(np.sum(sm.y_perp_sq) + np.sum(sm.z**2 * ((t + u) ** 2)[:, None]))
    df = sm.p0 + float(np.sum(a - u))
    return (rss + 2.0 * float(np.sum(noise_var)) * df) / (sm.n * sm.n_targets)


def _cp_path(sm: SpectralSmoother, alpha: float, k_max: int, noise_var) -> list[Candidate]:
    a, t = sm.shrinkage(alpha)
    sigma2 = float(np.sum(noise_var))
    omega_sq = np.sum(sm.z**2, axis=1)
    omega = np.sqrt(omega_sq)
    # per direction: omega^2 (t + u)^2 - 2 sigma^2 u = omega^2 (u - u*)^2 + const, u* = sigma^2/omega^2 - t
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(omega > 0, (sigma2 - t * omega_sq) / omega, 0.0)
    solutions = krylov_basis(a, t, LeastSquaresForm.diagonal(omega, b, 0.0), k_max).solve_all(k_max)
    return [
        _candidate_from_krylov(sm, alpha, k, sol, _cp_value(sm, a, t, sol.u, noise_var))
        for k, sol in enumerate(solutions)
    ]


# ----------------------------------------------------------------------------- one-shot GCV
def _series_reciprocal(d: np.ndarray) -> np.ndarray:
    """Power-series coefficients of 1 / D from those of D (d[0] != 0)."""
    e = np.zeros_like(d)
    e[0] = 1.0 / d[0]
    for m in range(1, d.size):
        e[m] = -np.dot(d[1 : m + 1], e[m - 1 :: -1][:m]) / d[0]
    return e


def _gcv_path(sm: SpectralSmoother, alpha: float, k_max: int, one_shot: str) -> list[Candidate]:
    a, t = sm.shrinkage(alpha)
    n, T = sm.n, sm.n_targets
    norm = n * T
    ridge_path = _ridge_path_columns(sm, a, t, k_max)
    paper = _gcv_paper_columns(sm, a, t, k_max)
    if ridge_path is None or paper is None:  # df >= n: GCV undefined at this alpha
        return [
            Candidate(alpha, k, np.zeros(k), np.zeros_like(a), math.inf, {"undefined": True})
            for k in range(k_max + 1)
        ]
    out = []
    rp_path = list(_lstsq_prefixes(ridge_path[:, 0], ridge_path[:, 1:], k_max))
    gp_path = list(_lstsq_prefixes(paper[:, 0], paper[:, 1:], k_max))
    for k in range(k_max + 1):
        (c, rss_rp), (xibar_gp, rss_gp) = rp_path[k], gp_path[k]
        weights = c / np.array([math.factorial(i) for i in range(1, k + 1)]) if k else c
        xibar_rp = _filters.ridge_path_to_xibar(weights) if k else np.zeros(0)
        extra = {
            "mse_ridge_path": rss_rp / norm,
            "mse_gcv_paper": rss_gp / norm,
            "xibar_ridge_path": xibar_rp,
            "xibar_gcv_paper": xibar_gp,
            "df1": (sm.p0 + float(np.sum(a))) / n,
            "df2": (sm.p0 + float(np.sum(a * a))) / n,
        }
        if one_shot == "ridge_path":
            # the filter in the criterion's own (t-power) basis: m = 1 + sum_i c_i (-t)^i, u = a (1 - m)
            u = -a * np.polynomial.polynomial.polyval(-t, np.concatenate([[0.0], c]))
            out.append(_candidate_from_xibar(sm, alpha, xibar_rp, rss_rp / norm, extra, u=u))
        else:
            out.append(_candidate_from_xibar(sm, alpha, xibar_gp, rss_gp / norm, extra))
    return out


def _ridge_path_columns(sm: SpectralSmoother, a, t, k_max: int) -> np.ndarray | None:
    """Columns ``g_m = alpha^m rho^(m) / m!`` (m = 0..k) of the GCV-scaled residual path.

    Taylor coefficients in ``delta`` of ``f(alpha (1 + delta))``: for ``t_j`` they are ``t_j`` and
    ``a_j t_j (-t_j)^{m-1}``; the GCV denominator ``D = 1 - (p0 + sum a)/n`` has
    ``D_m = (1/n) sum_j a_j t_j (-t_j)^{m-1}``. ``rho = (y_perp + U diag(t) z) / D``.
    """
    m = np.arange(k_max + 1)
    powers = np.where(m[None, :] >= 1, (-t[:, None]) ** np.maximum(m[None, :] - 1, 0), 0.0)
    t_series = np.where(m[None, :] == 0, t[:, None], (a * t)[:, None] * powers)  # (r, k+1)
    d_series = np.empty(k_max + 1)
    d_series[0] = 1.0 - (sm.p0 + float(np.sum(a))) / sm.n
    if d_series[0] <= 0.0:
        return None
    d_series[1:] = np.sum((a * t)[:, None] * powers[:, 1:], axis=0) / sm.n
    inv = _series_reciprocal(d_series)
    # Cauchy product of each row with 1/D: F[:, m] = sum_{l <= m} t_series[:, l] inv[m - l]
    lag = np.arange(k_max + 1)[None, :] - np.arange(k_max + 1)[:, None]
    f_series = t_series @ np.where(lag >= 0, inv[np.maximum(lag, 0)], 0.0)
    blocks = []
    for j in range(sm.n_targets):
        perp = math.sqrt(max(float(sm.y_perp_sq[j]), 0.0))
        blocks.append(np.vstack([perp * inv[None, :], sm.z[:, j][:, None] * f_series]))
    return np.vstack(blocks)


def _gcv_paper_columns(sm: SpectralSmoother, a, t, k_max: int) -> np.ndarray | None:
    """Columns ``gamma_0`` and ``gamma_i - gamma_0``: GCV-scaled residuals of ``H^{i+1} y``."""
    one_minus = np.empty((a.size, k_max + 1))
    geometric = np.ones_like(a)
    power = a.copy()
    for i in range(k_max + 1):
        one_minus[:, i] = t * geometric  # 1 - a^{i+1} = t (1 + a + ... + a^i), no cancellation
        geometric = geometric + power
        power = power * a
    denom = 1.0 - (sm.p0 + (a.size - np.sum(one_minus, axis=0))) / sm.n
    if np.any(denom <= 0.0):
        return None
    blocks = []
    for j in range(sm.n_targets):
        perp = math.sqrt(max(float(sm.y_perp_sq[j]), 0.0))
        gamma = np.vstack([np.full((1, k_max + 1), perp), sm.z[:, j][:, None] * one_minus]) / denom
        blocks.append(np.column_stack([gamma[:, 0], gamma[:, 1:] - gamma[:, [0]]]))
    return np.vstack(blocks)


# ----------------------------------------------------------------------------- exact LOO
def loo_iterates(sm: SpectralSmoother, alpha: float, k_max: int) -> np.ndarray:
    """LOO predictions ``P[i, l, :]`` of the pure-distillation iterates ``A_{-i}^l beta_{-i}``.

    Coordinates: the intercept (column ``sqrt(w)``, Gram entry ``n``, unpenalised) and the r
    spectral directions (feature rows ``U_i * s``, Gram ``s^2``, penalty alpha). The Gram matrix is
    diagonal in these coordinates, so with ``omega = 1/(Gram + penalty)`` and leverage
    ``h_i = w_i/n + sum_j U_ij^2 a_j``::

        beta_{-i}   = beta - omega * phi_i * e_i / (1 - h_i)
        A_{-i} v    = a * v - omega * phi_i * (phi_i . (t * v)) / (1 - h_i)

    (Sherman-Morrison; ``a = 1``, ``t = 0`` on the intercept). Predictions are in the weighted
    scale (multiplied by sqrt(w_i)).
    """
    if sm.left is None or sm.y_tilde is None:
        raise ValueError("loo tuning needs the left singular vectors; fit with tuning='loo'.")
    a, t = sm.shrinkage(alpha)
    s = np.sqrt(sm.ell)
    omega = 1.0 / (sm.ell + alpha)
    U, Y = sm.left, sm.y_tilde
    n_rows, T = Y.shape
    r = s.size
    beta = (a / np.where(s > 0, s, 1.0))[:, None] * sm.z  # (r, T)
    lev = (U**2) @ a
    root_w = sm.root_w if sm.root_w is not None else np.ones(n_rows)
    if sm.p0:
        lev = lev + root_w**2 / sm.n
    denom = 1.0 - lev
    if np.any(denom <= 1e-12):
        worst = int(np.argmin(denom))
        raise ValueError(
            f"leave-one-out is undefined: sample {worst} has leverage {lev[worst]:.6g} >= 1 "
            "(too few samples for the model); use tuning='gcv' or 'cp', or more data."
        )
    P = np.empty((n_rows, k_max + 1, T))
    chunk = max(1, _LOO_CHUNK_ELEMENTS // max(1, r * T))
    for start in range(0, n_rows, chunk):
        rows = slice(start, min(start + chunk, n_rows))
        Phi = U[rows] * s  # (m, r)
        XW = Phi * omega  # omega * phi
        PhiT = Phi * t
        resid = Y[rows] - U[rows] @ (a[:, None] * sm.z)  # (m, T)
        scale = resid / denom[rows][:, None]
        v = beta[None, :, :] - XW[:, :, None] * scale[:, None, :]  # (m, r, T)
        phi0 = root_w[rows] if sm.p0 else None
        v0 = -(phi0 / sm.n)[:, None] * scale if sm.p0 else None
        for ell in range(k_max + 1):
            if ell:
                proj = np.einsum("mr,mrt->mt", PhiT, v) / denom[rows][:, None]
                v = a[None, :, None] * v - XW[:, :, None] * proj[:, None, :]
                if sm.p0:
                    v0 = v0 - (phi0 / sm.n)[:, None] * proj
            pred = np.einsum("mr,mrt->mt", Phi, v)
            if sm.p0:
                pred = pred + phi0[:, None] * v0
            P[rows, ell, :] = pred
    return P


def _loo_path(sm: SpectralSmoother, alpha: float, k_max: int) -> list[Candidate]:
    P = loo_iterates(sm, alpha, k_max)
    base = (sm.y_tilde - P[:, 0, :]).reshape(-1)  # LOO residuals of the teacher (weighted scale)
    columns = (P[:, :1, :] - P[:, 1:, :]).transpose(0, 2, 1).reshape(base.size, k_max)
    norm = sm.n * sm.n_targets
    out = []
    for xibar, rss in _lstsq_prefixes(base, columns, k_max):
        out.append(_candidate_from_xibar(sm, alpha, xibar, rss / norm))
    return out
