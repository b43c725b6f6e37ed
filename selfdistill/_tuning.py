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
  ``df = p0 + sum h``; quadratic in u (theory: Follow-ups §3.3). Needs sigma^2.
* ``gcv`` with ``one_shot="ridge_path"`` -- the toolkit's derivative estimator (Follow-ups §2.6 and §3.1): the GCV-scaled ridge residual ``rho(lambda) = (y - X beta_lambda) /
  (1 - df(lambda)/n)`` extended along the ridge path, ``R(w) = ||sum_i c_i lambda^i rho^(i)/i!||^2/n``
  with ``c_0 = 1``; the k-step estimator is ``beta + sum_i w_i lambda^i d^i beta`` with
  ``w_i = c_i / i!``. For k = 1 it is the corrected one-shot estimator of Follow-ups §2.6.
* ``gcv`` with ``one_shot="gcv_paper"`` -- Dang, Patil & Rinaldo's one-shot GCV (their Theorem 4.1
  for k = 1): the cross risks of the pure-distillation fits ``M^i beta`` (smoothers ``H^{i+1}``) are
  estimated by ``(y - H^{i+1} y)^T (y - H^{j+1} y) / n / ((1 - df_{i+1})(1 - df_{j+1}))`` and the
  affine combination with weights summing to one is optimised. For k >= 2 this generalisation is
  ours (the paper has k = 1 only). For k = 1 both one-shot estimators give the same optimal risk
  and ``xi_gcv_paper = xi_ridge_path (1 - df_2) / (1 - df_1)`` exactly (Follow-ups §2.6).
* ``loo`` -- exact leave-one-out of the whole k-step procedure: every left-out fit reruns the
  teacher and all k students on the remaining rows with the same (alpha, xi). Leaving row i out is a
  rank-one downdate of a diagonal operator, so the LOO predictions of all pure-distillation
  iterates ``A_{-i}^l beta_{-i}`` cost O(n r) per step; the LOO residual is affine in xibar, and the
  LOO MSE is minimised exactly over xi (one xi for all folds, i.e. xi is tuned on the LOO criterion,
  not re-tuned inside each fold). The shortcut ``e_i / (1 - S_ii)`` is *not* used: it is exact for
  ridge but not for a composition of ridge fits.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _filters
from ._risk import KrylovSolution, LeastSquaresForm, krylov_basis

_LOO_CHUNK_ELEMENTS = 4_000_000  # rows x r x targets per block of the LOO iterates (~32 MB)


@dataclass(kw_only=True)
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

    # keyword-only, so each spectral quantity sits beside the row-space one the loo criterion uses
    ell: np.ndarray
    left: np.ndarray | None = None
    z: np.ndarray
    y_tilde: np.ndarray | None = None
    y_perp_sq: np.ndarray
    root_w: np.ndarray | None = None
    n: float
    p0: int
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
    solved: OneShotGrid | None = None,
    report_both: bool = True,
) -> list[Candidate]:
    """Optimise xi exactly for every (alpha, k) of the grid and score it with ``method``.

    ``solved``: under ``gcv``, the :func:`one_shot_grid` of ``one_shot`` on this smoother and
    these alphas when it is already at hand (e.g. solved in one batch with the folds of
    cross-fitting); ``report_both=False``: the other one-shot estimator is not solved (its
    estimates are only reported, never used by the selection)."""
    k_max = int(np.max(steps))
    steps = [int(k) for k in steps]
    out: list[Candidate] = []
    if method == "gcv":  # closed forms: all alphas at once
        for by_k in gcv_candidates(smoother, np.asarray(alphas, dtype=float), k_max, one_shot, solved,
                                   both=report_both):
            out.extend(by_k[k] for k in steps)
        return out
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
            coef = weights * _factorials(k)
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
    """Minimise ``||base + columns[:, :k] c||`` for k = 0..k_max; yields (c, residual_sq)."""
    stacked, rss = _lstsq_prefix_grid(base[None], columns[None], k_max)
    for k in range(k_max + 1):
        yield stacked[0, k - 1, :k] if k else np.zeros(0), float(rss[0, k])


def _lstsq_prefix_grid(base: np.ndarray, columns: np.ndarray, k_max: int):
    """:func:`_lstsq_prefixes` for a batch of problems: ``base`` (B, m), ``columns`` (B, m, k_max).

    Returns the coefficients stacked, (B, k_max, k_max) with row ``k - 1`` the k coefficients of
    prefix k followed by zeros, and the residual sums of squares (B, k_max + 1).
    One Householder QR per problem serves every prefix (its leading columns span the leading
    columns of the matrix); the triangular solves run vectorised over the batch and the prefixes.
    A prefix whose triangular factor is numerically singular falls back to ``lstsq`` (minimum-norm
    solution, e.g. when k exceeds the number of distinct eigenvalues).
    """
    B = base.shape[0]
    rss = np.empty((B, k_max + 1))
    rss[:, 0] = np.einsum("bm,bm->b", base, base)
    if k_max == 0:
        return np.zeros((B, 0, 0)), rss
    # Q^T base with Q formed explicitly: the reflectors applied to base instead (R of [columns,
    # base]) agree to rounding, but nearly singular optima (|xi| ~ 1e15 and beyond) move with it
    Q, R = np.linalg.qr(columns)
    K = R.shape[1]  # min(m, k_max): prefixes k <= K have a triangular factor R[:k, :k]
    Rt = np.ascontiguousarray(R.transpose(2, 1, 0))  # (j, i, B): column j of R, batch innermost
    # numerically singular: |R_kk| <= 1e-12 times the column's norm (that of R's column: Q is
    # orthonormal), compared in squares
    squares = Rt * Rt
    norms_sq = np.add.reduce(squares, axis=1)  # (k_max, B)
    solvable = np.logical_and.accumulate(np.diagonal(squares[:K, :K]) > 1e-24 * norms_sq[:K].T, axis=1)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        coef_all = _prefix_back_substitution(Rt, (base[:, None, :] @ Q)[:, 0].T)  # (prefix, i, B)
        # residuals of every prefix at once (the zero padding of coef_all adds exact zeros; the
        # non-finite ones of singular prefixes are recomputed below)
        residual = base[:, None, :] + coef_all.transpose(2, 0, 1) @ columns[:, :, :K].transpose(0, 2, 1)
        rss[:, 1 : K + 1] = np.einsum("bpm,bpm->bp", residual, residual)  # residual: (B, K, m)
    stacked = np.zeros((B, k_max, k_max))
    stacked[:, :K, :K] = coef_all.transpose(2, 0, 1)
    if K == k_max and solvable[:, -1].all():
        return stacked, rss
    unsolved = np.ones((B, k_max), dtype=bool)
    unsolved[:, :K] = ~solvable
    for b, k in zip(*np.nonzero(unsolved), strict=True):  # rare: singular prefixes, k > m
        coef = np.linalg.lstsq(columns[b, :, : k + 1], -base[b], rcond=None)[0]
        stacked[b, k, : k + 1] = coef
        residual = base[b] + columns[b, :, : k + 1] @ coef
        rss[b, k + 1] = residual @ residual
    return stacked, rss


def _prefix_back_substitution(Rt: np.ndarray, qb: np.ndarray) -> np.ndarray:
    """Solve ``R[:k, :k] c = -qb[:k]`` for every prefix k at once, batch innermost: ``Rt[j, i]``
    is ``R[:, i, j]`` and ``qb`` is (K, B). Returns ``coef`` (K, K, B) whose row ``k - 1`` holds the
    solution of prefix k (zero beyond it).

    Entry i of every prefix containing it (``p >= i``) is solved in the same step, so each prefix
    sees exactly the operations of its own back substitution. A zero diagonal gives non-finite
    entries (the caller silences their warnings), only in the prefixes it re-solves with ``lstsq``.
    """
    K = qb.shape[0]
    coef = np.zeros((K, K, qb.shape[1]))
    rhs = np.empty_like(coef)
    rhs[:] = -qb
    for i in range(K - 1, -1, -1):
        # c_i = rhs_i / R_ii, then rhs_j -= c_i R_ji for j < i
        np.divide(rhs[i:, i], Rt[i, i], out=coef[i:, i])
        if i:
            rhs[i:, :i] -= coef[i:, i, None] * Rt[i, :i]
    return coef


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
        # S u = [R diag(z_t) u]_t as one matrix: the Krylov solver forms the products itself
        S = np.vstack([self.R * z[:, j] for j in range(z.shape[1])])
        form = LeastSquaresForm.from_matrix(S, b, max(self.perp, 0.0))
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
# Both one-shot estimators are written for a batch of alphas at once: ``A`` and ``Tt`` hold
# ``a = ell / (ell + alpha)`` and ``t = alpha / (ell + alpha)`` row by row (shape (B, r)), so a
# whole grid costs a few array operations instead of a Python loop per (alpha, k).
def _series_reciprocal(d: np.ndarray) -> np.ndarray:
    """Power-series coefficients of 1 / D from those of D, order-major (d of shape (K, B), d[0] != 0):
    ``e_0 = 1 / d_0`` and ``e_m = -(d_1 e_{m-1} + ... + d_m e_0) / d_0``."""
    e = np.empty_like(d)
    e[0] = 1.0 / d[0]
    neg_d0 = -d[0]
    for m in range(1, d.shape[0]):
        np.divide(np.add.reduce(d[1 : m + 1] * e[m - 1 :: -1], axis=0), neg_d0, out=e[m])
    return e


def _cauchy_matrix(e: np.ndarray) -> np.ndarray:
    """``M`` (B, K, K) with ``M[:, m, l] = e[m - l]`` for ``l <= m``, else 0 (e order-major, (K, B)):
    ``M @ f`` is the Cauchy product of the series ``f`` (axis 1) with ``e``, truncated at order K - 1."""
    K, B = e.shape
    padded = np.zeros((B, 2 * K - 1))  # e behind K - 1 zeros: entry K - 1 + m - l is e[m - l] or 0
    padded[:, K - 1 :] = e.T
    return padded[:, _lag_index(K)]


@functools.cache
def _lag_index(K: int) -> np.ndarray:
    order = np.arange(K)
    return K - 1 + order[:, None] - order[None, :]


@dataclass
class OneShotGrid:
    """The exact one-shot GCV optimum of xi for every (alpha, k), k = 0..k_max, in one estimator.

    Attributes
    ----------
    stacked : ndarray of shape (n_alphas, k_max, k_max)
        Row ``k - 1``: the k-step optimum in the estimator's own basis (ridge-path coefficients
        ``c`` for ``ridge_path``, xibar for ``gcv_paper``), zero-padded to k_max.
    coefs : list of ndarray
        ``coefs[k]`` (n_alphas, k): views of ``stacked`` without the padding.
    rss : ndarray of shape (n_alphas, k_max + 1)
        Optimal criterion times ``n T``.
    defined : ndarray of bool, shape (n_alphas,)
        False where a GCV denominator leaves (0, 1] (df >= n).
    basis : ndarray of shape (k_max, n_alphas, r)
        The filter deviation is linear in the coefficients, ``u = sum_i coefs[k][:, i] basis[i]``:
        ``a t (-t)^i`` for ``ridge_path`` (``u = a (1 - m)``, ``m = 1 + sum_i c_i (-t)^(i+1)``) and
        ``a (1 - a^(i+1))`` for ``gcv_paper`` (``m = 1 - sum_i xibar_i (1 - a^i)``), each computed
        without cancellation.
    """

    kind: str
    A: np.ndarray
    Tt: np.ndarray
    stacked: np.ndarray
    rss: np.ndarray
    defined: np.ndarray
    basis: np.ndarray

    _deviations: dict = field(default_factory=dict, repr=False)

    @property
    def coefs(self) -> list:
        k_max = self.rss.shape[1] - 1
        return [np.zeros((self.rss.shape[0], 0))] + [self.stacked[:, k - 1, :k] for k in range(1, k_max + 1)]

    def rows(self, index) -> OneShotGrid:
        """The grid of some rows (e.g. one smoother's alphas out of a batch of smoothers); the
        deviations computed so far are sliced, not recomputed."""
        return OneShotGrid(self.kind, self.A[index], self.Tt[index], self.stacked[index],
                           self.rss[index], self.defined[index], self.basis[:, index],
                           {k: u[index] for k, u in self._deviations.items()})

    def deviation(self, k: int) -> np.ndarray:
        """Filter deviations ``u`` (n_alphas, r) of the k-step optima (``h = a - u``), computed in
        the estimator's own basis (no conversion to per-step xi); computed once, for every k at
        the first request."""
        if k not in self._deviations:
            self._deviations.update(self._all_deviations())
        return self._deviations[k]

    def _all_deviations(self) -> dict:
        """``{k: u}`` for k = 0..k_max: one product of the coefficients of every k (zero-padded to
        k_max) with the basis."""
        k_max = self.rss.shape[1] - 1
        with np.errstate(over="ignore", invalid="ignore"):
            u = self.stacked @ self.basis.transpose(1, 0, 2)  # (row, k - 1, r)
        return {0: np.zeros_like(self.A)} | {k: u[:, k - 1] for k in range(1, k_max + 1)}


@dataclass
class _GridRows:
    """What the one-shot columns need from the smoother(s), one row per (smoother, alpha)."""

    p0: int
    n: np.ndarray  # (B,) total sample weight
    z: np.ndarray  # (B, T, r) target coordinates
    perp: np.ndarray  # (B, T) norm of the targets outside the span
    A: np.ndarray  # (B, r) ell / (ell + alpha)
    Tt: np.ndarray  # (B, r) alpha / (ell + alpha)

    @classmethod
    def of(cls, smoothers: list, alphas: np.ndarray) -> _GridRows:
        """Rows smoother-major, then alpha (smoothers of the same rank)."""
        n_alpha = alphas.size
        ell = np.array([sm.ell for sm in smoothers])[:, None, :]  # (S, 1, r)
        column = alphas[:, None]
        denom = ell + column  # (S, n_alpha, r)
        shape = (len(smoothers) * n_alpha, denom.shape[-1])
        perp = np.sqrt(np.maximum([sm.y_perp_sq for sm in smoothers], 0.0))
        return cls(
            smoothers[0].p0,
            np.repeat([float(sm.n) for sm in smoothers], n_alpha),
            np.repeat(np.array([sm.z.T for sm in smoothers]), n_alpha, axis=0),
            np.repeat(perp, n_alpha, axis=0),
            (ell / denom).reshape(shape),
            (column / denom).reshape(shape),
        )

    @classmethod
    def at(cls, sm, a: np.ndarray, t: np.ndarray) -> _GridRows:
        """One row: smoother ``sm`` at the alpha of ``(a, t)``."""
        return cls(sm.p0, np.array([float(sm.n)]), sm.z.T[None], np.sqrt(np.maximum(sm.y_perp_sq, 0.0))[None],
                   a[None], t[None])


def one_shot_grid(sm, alphas: np.ndarray, k_max: int, one_shot: str) -> OneShotGrid:
    """Solve the one-shot GCV estimator ``one_shot`` exactly for every alpha and k = 0..k_max.

    ``sm`` is a :class:`SpectralSmoother`, or a list of smoothers of the same rank (the folds of
    cross-fitting), solved together: rows smoother-major, then alpha.
    """
    rows = _GridRows.of(sm if isinstance(sm, list) else [sm], np.asarray(alphas, dtype=float))
    columns_of = _ridge_path_grid if one_shot == "ridge_path" else _gcv_paper_grid
    columns, defined, basis = columns_of(rows, k_max)  # columns (B, k + 1, m)
    if not defined.all():
        columns[~defined] = 0.0  # undefined alphas: never used
    stacked, rss = _lstsq_prefix_grid(columns[:, 0], columns[:, 1:].transpose(0, 2, 1), k_max)
    return OneShotGrid(one_shot, rows.A, rows.Tt, stacked, rss, defined, basis)


def gcv_candidates(sm: SpectralSmoother, alphas: np.ndarray, k_max: int, one_shot: str,
                   solved: OneShotGrid | None = None, both: bool = True) -> list[list[Candidate]]:
    """``gcv`` candidates ``[[Candidate for k = 0..k_max] for alpha in alphas]``; ``one_shot`` is
    the estimator optimised (``solved`` if given), and with ``both`` the other one-shot estimate
    is reported too (``extra``). Both are defined at the same alphas (the paper's denominators
    ``1 - df(H^(i+1))/n`` are at least the ridge-path one, ``1 - df(H)/n``)."""
    report = GcvReport.of(sm, alphas, k_max, one_shot, solved, both)
    return [[report.candidate(ia, k) for k in range(k_max + 1)] for ia in range(len(report.alphas))]


@dataclass
class GcvReport:
    """What the ``gcv`` candidates of a grid report, computed in bulk (Python floats and row
    views, not one numpy index per candidate); :meth:`candidate` builds one candidate from it,
    so a caller that looks at a few of them (cross-fitting realises a handful of 78) builds only
    those (:func:`gcv_candidates` builds all)."""

    alphas: list
    one_shot: str
    rank: int
    reported: dict  # estimator -> (mse by k, xibar by k), each a list over the alphas
    deviations: list  # deviations[k][ia]: filter deviation u of the optimum
    defined: list
    df1: list
    df2: list

    @classmethod
    def of(cls, sm: SpectralSmoother, alphas, k_max: int, one_shot: str,
           solved: OneShotGrid | None = None, both: bool = True) -> GcvReport:
        norm = sm.n * sm.n_targets
        chosen = solved if solved is not None else one_shot_grid(sm, alphas, k_max, one_shot)
        other_name = "gcv_paper" if one_shot == "ridge_path" else "ridge_path"
        other = one_shot_grid(sm, alphas, k_max, other_name) if both else None
        reported = {}
        for grid in (chosen, other):
            if grid is None:
                continue
            xibar = _ridge_path_grid_xibar(grid) if grid.kind == "ridge_path" else grid.coefs
            reported[grid.kind] = ((grid.rss / norm).T.tolist(), [list(x) for x in xibar])
        defined = chosen.defined if other is None else chosen.defined & other.defined
        return cls(
            np.asarray(alphas, dtype=float).tolist(), one_shot, sm.ell.size, reported,
            [list(chosen.deviation(k)) for k in range(k_max + 1)], defined.tolist(),
            ((sm.p0 + np.add.reduce(chosen.A, axis=1)) / sm.n).tolist(),
            ((sm.p0 + np.add.reduce(chosen.A * chosen.A, axis=1)) / sm.n).tolist(),
        )

    def candidate(self, ia: int, k: int) -> Candidate:
        """The candidate of alpha number ``ia`` with k steps."""
        alpha = self.alphas[ia]
        if not self.defined[ia]:  # df >= n: GCV undefined at this alpha
            return Candidate(alpha, k, np.zeros(k), np.zeros(self.rank), math.inf, {"undefined": True})
        extra = {"df1": self.df1[ia], "df2": self.df2[ia]}
        for name in ("ridge_path", "gcv_paper"):
            if name in self.reported:
                mse, xibar = self.reported[name]
                extra["mse_" + name] = mse[k][ia]
                extra["xibar_" + name] = xibar[k][ia]
        return Candidate(alpha, k, extra["xibar_" + self.one_shot], self.deviations[k][ia],
                         extra["mse_" + self.one_shot], extra)


class RefitCandidates(Sequence):
    """The refits of cross-fitting on all rows (columns alpha-major, then k), each built on first
    access from one :class:`GcvReport` and scored by its cross-fitted error
    (``mse``; the one-shot GCV value moves to ``extra["mse_refit_gcv"]``). The selection realises
    a few of them, ``cv_results_`` reads all (issue 9: building all 78 cost ~0.2 ms per fit)."""

    def __init__(self, report, steps: list[int], mse: np.ndarray):
        self.report, self.steps, self.mse = report, steps, mse.tolist()
        self.built: dict[int, Candidate] = {}
        self.appended: list[Candidate] = []  # the ridge fallback when the grid lacks k = 0

    def __len__(self) -> int:
        return len(self.mse) + len(self.appended)

    def __getitem__(self, col):
        if isinstance(col, slice):
            return [self[i] for i in range(*col.indices(len(self)))]
        col = col + len(self) if col < 0 else col
        if not 0 <= col < len(self):
            raise IndexError(f"candidate {col} out of range ({len(self)} candidates)")
        if col >= len(self.mse):
            return self.appended[col - len(self.mse)]
        if col not in self.built:
            cand = self.report.candidate(col // len(self.steps), self.steps[col % len(self.steps)])
            cand.extra["mse_refit_gcv"] = cand.mse
            cand.mse = self.mse[col]
            self.built[col] = cand
        return self.built[col]

    def append(self, candidate: Candidate) -> None:
        self.appended.append(candidate)


def _ridge_path_grid_xibar(grid: OneShotGrid) -> list:
    """xibar (n_alphas, k) of the ridge-path optimum of every k: the coefficients ``c_i`` weigh
    ``alpha^i d^i theta / i!``, i.e. ridge-path weights ``c_i / i!`` (every k in one conversion:
    the zero padding of the stacked coefficients adds exact zeros)."""
    B, k_max = grid.stacked.shape[:2]
    weights = grid.stacked / _factorials(k_max)
    converted = _ridge_path_xibar(weights.reshape(B * k_max, k_max)).reshape(B, k_max, k_max) if k_max else None
    return [np.zeros((B, 0))] + [converted[:, k - 1, :k] for k in range(1, k_max + 1)]


@functools.cache
def _factorials(k_max: int) -> np.ndarray:
    """``1!, 2!, ..., k_max!`` as floats."""
    return np.array([math.factorial(i) for i in range(1, k_max + 1)], dtype=float)


def _ridge_path_xibar(weights: np.ndarray) -> np.ndarray:
    """xibar of every row of ridge-path weights; a row beyond float64 raises as
    :func:`~selfdistill._filters.ridge_path_to_xibar` does."""
    finite = np.isfinite(weights)
    with np.errstate(invalid="ignore"):
        xibar = _filters.ridge_path_to_xibar_rows(weights if finite.all() else np.where(finite, weights, 0.0))
    if not np.isfinite(xibar).all() or not finite.all():
        for row in np.flatnonzero(~np.all(np.isfinite(xibar) & finite, axis=1)):
            _filters.ridge_path_to_xibar(weights[row])  # raises with the row's own message
    return xibar


def _ridge_path_columns(sm: SpectralSmoother, a, t, k_max: int) -> np.ndarray | None:
    """Columns (m, k + 1) of the ridge-path estimator at one alpha (None where GCV is undefined)."""
    columns, defined, _ = _ridge_path_grid(_GridRows.at(sm, a, t), k_max)
    return columns[0].T if defined[0] else None


def _gcv_paper_columns(sm: SpectralSmoother, a, t, k_max: int) -> np.ndarray | None:
    """Columns (m, k + 1) of the paper's one-shot estimator at one alpha (None where GCV is undefined)."""
    columns, defined, _ = _gcv_paper_grid(_GridRows.at(sm, a, t), k_max)
    return columns[0].T if defined[0] else None


# The two column builders below return the columns order-major, shape (B, k + 1, m), with
# m = T (r + 1): the T r directions (target-major), then the T ``y_perp`` entries. Every series is
# held order-major too ((k + 1, B, r)), so that each array operation runs over contiguous blocks.
def _ridge_path_grid(rows: _GridRows, k_max: int):
    """Columns ``g_m = alpha^m rho^(m) / m!`` (m = 0..k) of the GCV-scaled residual path.

    Taylor coefficients in ``delta`` of ``f(alpha (1 + delta))``: for ``t_j`` they are ``t_j`` and
    ``a_j t_j (-t_j)^{m-1}``; the GCV denominator ``D = 1 - (p0 + sum a)/n`` has
    ``D_m = (1/n) sum_j a_j t_j (-t_j)^{m-1}``. ``rho = (y_perp + U diag(t) z) / D``.
    Returns the columns (B, k + 1, m), where they are defined (``D_0 > 0``) and the deviation
    basis ``a t (-t)^i`` (:class:`OneShotGrid`).
    """
    A, Tt = rows.A, rows.Tt
    (B, r), T = A.shape, rows.z.shape[1]
    powers = np.empty((k_max, B, r))  # (-t)^(m-1), m = 1..k: repeated products (pow() of a negative base is slow)
    powers[:1] = 1.0
    neg_t = -Tt
    for m in range(1, k_max):
        np.multiply(powers[m - 1], neg_t, out=powers[m])
    t_series = np.empty((k_max + 1, B, r))  # Taylor coefficients of every t_j
    t_series[0] = Tt
    np.multiply(A * Tt, powers, out=t_series[1:])
    d_series = np.empty((k_max + 1, B))
    d_series[0] = 1.0 - (rows.p0 + np.add.reduce(A, axis=1)) / rows.n
    defined = d_series[0] > 0.0
    if not defined.all():
        d_series[0, ~defined] = 1.0
    np.divide((t_series[1:].reshape(k_max * B, r) @ np.ones(r)).reshape(k_max, B), rows.n, out=d_series[1:])
    inv = _series_reciprocal(d_series)  # (k + 1, B)
    columns = np.empty((B, k_max + 1, T * (r + 1)))
    # z t_j / D: the Cauchy product of each z t_j's series with 1/D's
    weighted = (t_series[:, :, None, :] * rows.z).reshape(k_max + 1, B, T * r)
    np.matmul(_cauchy_matrix(inv), weighted.transpose(1, 0, 2), out=columns[:, :, : T * r])
    np.multiply(inv.T[:, :, None], rows.perp[:, None, :], out=columns[:, :, T * r :])  # y_perp / D
    return columns, defined, t_series[1:]


def _gcv_paper_grid(rows: _GridRows, k_max: int):
    """Columns ``gamma_0`` and ``gamma_i - gamma_0``: GCV-scaled residuals of ``H^{i+1} y``.

    Returns the columns (B, k + 1, m), where they are defined (every denominator > 0) and the
    deviation basis ``a (1 - a^(i+1))`` (:class:`OneShotGrid`).
    """
    A, Tt = rows.A, rows.Tt
    (B, r), T = A.shape, rows.z.shape[1]
    powers = np.empty((k_max + 1, B, r))  # a^i, i = 0..k: repeated products
    powers[0] = 1.0
    for i in range(1, k_max + 1):
        np.multiply(powers[i - 1], A, out=powers[i])
    # 1 - a^{i+1} = t (1 + a + ... + a^i), no cancellation
    one_minus = np.multiply(Tt, np.cumsum(powers, axis=0), out=powers)  # (k + 1, B, r)
    sums = (one_minus.reshape((k_max + 1) * B, r) @ np.ones(r)).reshape(k_max + 1, B)
    denom = 1.0 - (rows.p0 + (r - sums)) / rows.n  # (k + 1, B)
    defined = np.logical_and.reduce(denom > 0.0, axis=0)
    denom[:, ~defined] = 1.0
    gamma = np.empty((B, k_max + 1, T * (r + 1)))
    np.divide(rows.perp[:, None, :], denom.T[:, :, None], out=gamma[:, :, T * r :])
    directions = (one_minus[:, :, None, :] * rows.z).reshape(k_max + 1, B, T * r)
    np.divide(directions, denom[:, :, None], out=gamma[:, :, : T * r].transpose(1, 0, 2))
    gamma[:, 1:] -= gamma[:, :1]
    return gamma, defined, A * one_minus[:k_max]


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
