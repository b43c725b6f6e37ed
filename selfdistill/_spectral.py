"""One decomposition of the design, shared by every (alpha, k, xi) candidate.

Orientation: ``X`` is n_samples x n_features (sklearn). The paper writes the design as d x n, so the
paper's X is our ``X.T``; its left singular vectors ``u_j`` (in R^d) are our *right* singular vectors
``V[:, j]`` (``components``), and its ``v_j`` (in R^n) are our left singular vectors ``U[:, j]``.

Two ways to build the decomposition:

* **from X** (thin SVD ``X = U diag(s) V^T``), exact for any shape and rank; or the *Gram route*
  ``eigh(X^T X)``, 10-60x faster for tall X, taken by ``method="auto"`` only when ``X^T X`` is
  well conditioned (squaring the condition number loses digits; see ``GRAM_RCOND``);
* **from sufficient statistics** ``(X^T X, X^T y, y^T y, n)``, accumulated in chunks by
  :class:`SufficientStatistics` (so data can stream), then ``eigh``.

Everything downstream needs only ``s``, ``V``, ``z = U^T y`` and ``||y||^2``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse

from ._validation import (
    POSITIVE_INT,
    Boolean,
    Options,
    as_design,
    as_targets,
    check_sample_weight,
    validate_params,
)

#: Smallest eigenvalue ratio of X^T X accepted by the Gram route (~ kappa(X) <= 2e6). Below it the
#: squared condition number would cost more than ~3 of the 16 significant digits; use the SVD.
GRAM_RCOND = 1e3 * np.finfo(np.float64).eps
#: Rows per block when accumulating X^T X (about 2 MB of centred rows at a time).
_GRAM_BLOCK_ELEMENTS = 262_144
#: At least this many rows per block of a statistics update (BLAS efficiency for wide X).
_MIN_BLOCK_ROWS = 4096


def _prepared_block(X, Y, x_offset, y_offset, root_w, rows):
    """Rows of the centred (``- offset``) and weighted (``* sqrt(w)``) design and targets."""
    Xb = X[rows] - x_offset
    Yb = None if Y is None else Y[rows] - y_offset
    if root_w is not None:
        Xb *= root_w[rows, None]
        if Yb is not None:
            Yb = Yb * root_w[rows, None]
    return Xb, Yb


class SufficientStatistics:
    """Streaming accumulator of centred second moments of ``(X, y)``.

    Chunks are merged with the pairwise update of Chan, Golub & LeVeque (1979), so the centred
    cross-products never suffer the cancellation of ``X^T X - n * mean mean^T``. The merge is exact
    and associative up to rounding, so chunks may be reduced in any order or tree (dask, several
    processes, a stream): ``a.merge(b)`` equals accumulating ``a``'s rows and then ``b``'s.

    Dense chunks are centred at their own (weighted) mean before their cross-products are formed.
    scipy.sparse chunks (CSR/CSC) are never densified: their uncentred products ``X^T W X`` are
    formed sparsely and centred afterwards, ``X^T W X - w_sum m m^T`` (as scikit-learn does for
    sparse input), which loses digits only when the column means dwarf the column spreads.

    Parameters
    ----------
    n_features : int
        Number of columns of X.
    n_targets : int, default=1
        Number of columns of y (use 1 for a 1-D y).

    Attributes
    ----------
    weight_sum : float
        Total sample weight seen (the number of rows for unit weights).
    n_rows : int
        Number of rows seen (zero-weight rows included).
    n_positive_rows : int
        Number of rows with a positive weight (bounds the rank of the statistics).
    x_mean, y_mean : ndarray
        Weighted means of X's columns and of y.
    xx, xy, yy : ndarray
        Centred sums ``sum_i w_i (x_i - x_mean)(x_i - x_mean)^T`` and the analogues with y.
    """

    @validate_params(
        {"n_features": [POSITIVE_INT], "n_targets": [POSITIVE_INT]}
    )
    def __init__(self, n_features: int, n_targets: int = 1) -> None:
        self.n_features = n_features
        self.n_targets = n_targets
        self.weight_sum = 0.0
        self.n_rows = 0
        self.n_positive_rows = 0
        self.x_mean = np.zeros(self.n_features)
        self.y_mean = np.zeros(self.n_targets)
        self.xx = np.zeros((self.n_features, self.n_features))
        self.xy = np.zeros((self.n_features, self.n_targets))
        self.yy = np.zeros((self.n_targets, self.n_targets))

    def update(self, X, y, sample_weight=None) -> SufficientStatistics:
        """Add a chunk of rows; returns ``self`` so calls can be chained.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_rows, n_features)
            A chunk of the design. A chunk with no rows is a no-op.
        y : array-like of shape (n_rows,) or (n_rows, n_targets)
        sample_weight : array-like of shape (n_rows,), optional
            Finite, non-negative weights (weight 2 = a duplicated row).

        Raises
        ------
        ValueError
            If the chunk is not numeric, has the wrong number of columns, if y or the weights do not
            have one entry per row, if the weights are negative or not finite, or if X or y contain
            NaN, infinity or values too large to square. The accumulator is unchanged then.
        """
        X = _as_chunk(X, self.n_features)
        n = X.shape[0]
        Y = _as_chunk_targets(y, n, self.n_targets)
        w = check_sample_weight(sample_weight, n, allow_all_zero=True)
        if n == 0:
            return self
        with np.errstate(all="ignore"):  # non-finite input is reported below, with its cause
            if scipy.sparse.issparse(X):
                moments = _sparse_chunk_moments(X, Y, w)
            else:
                moments = _dense_chunk_moments(X, Y, w)
        if moments is not None:
            _check_finite_moments(*moments)
            self._merge_moments(*moments)
        self.n_rows += n
        self.n_positive_rows += n if w is None else int(np.count_nonzero(w))
        return self

    def merge(self, other: SufficientStatistics) -> SufficientStatistics:
        """Add the rows summarised by ``other`` (in place; returns ``self``)."""
        if (other.n_features, other.n_targets) != (self.n_features, self.n_targets):
            raise ValueError(
                f"cannot merge statistics of {other.n_features} features and {other.n_targets} "
                f"targets into statistics of {self.n_features} and {self.n_targets}."
            )
        if other.weight_sum > 0:
            self._merge_moments(
                other.weight_sum, other.x_mean, other.y_mean, other.xx, other.xy, other.yy
            )
        self.n_rows += other.n_rows
        self.n_positive_rows += other.n_positive_rows
        return self

    def copy(self) -> SufficientStatistics:
        """An independent copy."""
        out = SufficientStatistics(self.n_features, self.n_targets)
        return out.merge(self)

    def _merge_moments(self, wb, xm, ym, xx, xy, yy) -> None:
        # Chan, Golub & LeVeque: centred sums of the union = sum of the parts + a rank-one term in
        # the difference of the means.
        wa = self.weight_sum
        total = wa + wb
        dx = xm - self.x_mean
        dy = ym - self.y_mean
        factor = wa * wb / total
        self.xx += xx + factor * np.outer(dx, dx)
        self.xy += xy + factor * np.outer(dx, dy)
        self.yy += yy + factor * np.outer(dy, dy)
        self.x_mean = self.x_mean + dx * (wb / total)
        self.y_mean = self.y_mean + dy * (wb / total)
        self.weight_sum = total

    def raw(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uncentred ``(X^T W X, X^T W y, y^T W y)`` reconstructed from the centred moments."""
        n = self.weight_sum
        xx = self.xx + n * np.outer(self.x_mean, self.x_mean)
        xy = self.xy + n * np.outer(self.x_mean, self.y_mean)
        yy = self.yy + n * np.outer(self.y_mean, self.y_mean)
        return xx, xy, yy


def _as_chunk(X, n_features: int):
    """A chunk of rows as float64 (dense 2-D, or sparse CSR/CSC), with clear errors."""
    if scipy.sparse.issparse(X):
        if X.format not in ("csr", "csc"):
            X = X.tocsr()
        X = X.astype(np.float64, copy=False)
    else:
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "X must be a numeric array of shape (n_rows, n_features) (a 2-D array, a list of "
                f"equal-length numeric rows, or a scipy.sparse matrix): {exc}"
            ) from exc
        if X.ndim == 1 and X.size == 0:
            X = X.reshape(0, n_features)  # an empty list is an empty chunk
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_rows, n_features), got an array of shape {X.shape}; "
            "use X.reshape(-1, 1) for a single feature."
        )
    if X.shape[1] != n_features:
        raise ValueError(f"chunk has {X.shape[1]} features, expected {n_features}.")
    return X


def _as_chunk_targets(y, n_rows: int, n_targets: int) -> np.ndarray:
    try:
        Y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y must be numeric (regression targets): {exc}") from exc
    if Y.ndim not in (1, 2) or Y.shape[0] != n_rows:
        raise ValueError(
            f"y has shape {Y.shape} but the chunk of X has {n_rows} rows; pass one target row per "
            "row of X (shape (n_rows,) or (n_rows, n_targets))."
        )
    width = 1 if Y.ndim == 1 else Y.shape[1]
    if width != n_targets:
        raise ValueError(f"chunk has {width} targets, expected {n_targets}.")
    return Y.reshape(n_rows, n_targets)


def _dense_chunk_moments(X, Y, w):
    """``(w_sum, x_mean, y_mean, xx, xy, yy)`` of a dense chunk, in one read of its rows.

    Rows are shifted by a reference point ``r`` (the mean of ~1000 rows spread over the chunk, so
    sorted or trending rows are no problem) into a small reusable buffer ``A = [x - r, y - r_y, 1]``
    (rows scaled by sqrt(w)), block by block, and one symmetric product ``A^T A`` (BLAS syrk) per
    block gives every cross-product, the shifted sums (last row) and ``w_sum`` (corner). Centring at
    the exact mean is then the rank-one correction ``- w_sum dm dm^T`` with ``dm = mean - r``, whose
    cancellation is of order ``|dm|^2 / variance`` -- negligible because r is close to the mean.
    Costs about one ``X^T X`` of the chunk: no full-size centred copy is made.
    """
    n, d = X.shape
    T = Y.shape[1]
    p = d + T + 1
    if w is not None and not np.any(w > 0):
        return None
    rows = min(n, max(_GRAM_BLOCK_ELEMENTS // p, _MIN_BLOCK_ROWS))
    n_blocks = -(-n // rows)
    rows = -(-n // n_blocks)  # equal blocks: no small tail block for BLAS
    probe = slice(None, None, max(1, n // 1024))
    if w is None:
        x_ref, y_ref = X[probe].mean(axis=0), Y[probe].mean(axis=0)
    else:  # a reference point among positive-weight rows keeps |dm| small when weights vary
        wp = w[probe]
        total = wp.sum()
        x_ref = wp @ X[probe] / total if total > 0 else X[w > 0][0]
        y_ref = wp @ Y[probe] / total if total > 0 else Y[w > 0][0]
    A = np.empty((rows, p))
    A[:, -1] = 1.0
    G = np.zeros((p, p))
    for start in range(0, n, rows):
        m = min(rows, n - start)
        block = A[:m]
        np.subtract(X[start : start + m], x_ref, out=block[:, :d])
        np.subtract(Y[start : start + m], y_ref, out=block[:, d : d + T])
        if w is not None:
            root = np.sqrt(w[start : start + m])
            block[:, :-1] *= root[:, None]
            block[:, -1] = root
        G += block.T @ block
    wb = float(G[-1, -1])
    dm = G[-1, :-1] / wb
    centred = G[:-1, :-1] - wb * np.outer(dm, dm)
    return (
        wb, x_ref + dm[:d], y_ref + dm[d:],
        centred[:d, :d], centred[:d, d:], centred[d:, d:],
    )


def _sparse_chunk_moments(X, Y, w):
    """The same for a sparse chunk: uncentred sparse products, centred afterwards (no dense X)."""
    if w is None:
        wb = float(X.shape[0])
        Xw, Yw = X, Y
        col_sums = np.asarray(X.sum(axis=0)).ravel()
    else:
        wb = float(w.sum())
        if wb == 0.0:
            return None
        Xw = scipy.sparse.diags(w) @ X
        Yw = Y * w[:, None]
        col_sums = np.asarray(Xw.sum(axis=0)).ravel()
    xm = col_sums / wb
    ym = Yw.sum(axis=0) / wb
    gram = X.T @ Xw
    gram = gram.toarray() if scipy.sparse.issparse(gram) else np.asarray(gram)
    xx = 0.5 * (gram + gram.T) - wb * np.outer(xm, xm)
    xy = np.asarray(X.T @ Yw) - wb * np.outer(xm, ym)
    Yc = Y - ym
    yy = (Yc if w is None else Yc * w[:, None]).T @ Yc
    return wb, xm, ym, xx, xy, yy


def _check_finite_moments(wb, xm, ym, xx, xy, yy) -> None:
    # A NaN or infinite entry (or one too large to square) reaches the chunk's mean or the diagonal
    # of its centred Gram matrix, so checking these O(d^2) numbers catches it without another pass.
    if not (np.all(np.isfinite(xm)) and np.all(np.isfinite(np.diag(xx)))):
        raise ValueError(
            "X contains NaN or infinity (or values too large to square in float64); remove or "
            "impute them, or rescale X, before fitting."
        )
    if not (np.all(np.isfinite(ym)) and np.all(np.isfinite(np.diag(yy)))):
        raise ValueError(
            "y contains NaN or infinity (or values too large to square in float64); remove or "
            "impute them before fitting."
        )


@dataclass
class SpectralDesign:
    """Thin spectral decomposition of a (possibly centred and weighted) design, plus target statistics.

    Attributes
    ----------
    singular_values : ndarray of shape (r,)
        Positive singular values ``s_1 >= ... >= s_r > 0`` of the design (r = numerical rank).
    components : ndarray of shape (n_features, r)
        Right singular vectors V (the paper's ``u_j``).
    n_samples : int
        Rows of X (or the total weight when built from weighted statistics).
    n_features : int
        Columns of X.
    method : {"svd", "gram", "stats"}
        Which decomposition produced it.
    z : ndarray of shape (r, n_targets) or None
        ``U^T y``: coordinates of the (centred) targets on the left singular vectors.
    y_sq_norm : ndarray of shape (n_targets,) or None
        ``||y||^2`` of the (centred, weighted) targets, for residual sums of squares.
    left : ndarray of shape (n_samples, r) or None
        U, kept on the SVD route (needed by exact leave-one-out).
    x_offset, y_offset : ndarray
        Means subtracted before decomposing (zeros when not centred).
    """

    singular_values: np.ndarray
    components: np.ndarray
    n_samples: float
    n_features: int
    method: str
    z: np.ndarray | None = None
    y_sq_norm: np.ndarray | None = None
    left: np.ndarray | None = None
    x_offset: np.ndarray | None = None
    y_offset: np.ndarray | None = None

    @property
    def rank(self) -> int:
        """Numerical rank r."""
        return int(self.singular_values.size)

    @classmethod
    @validate_params(
        {"center": [Boolean()], "method": [Options("auto", "svd", "gram")], "keep_left": [Boolean()]}
    )
    def from_X(
        cls,
        X: np.ndarray,
        y: np.ndarray | None = None,
        *,
        center: bool = False,
        sample_weight: np.ndarray | None = None,
        method: str = "auto",
        keep_left: bool = False,
    ) -> SpectralDesign:
        """Decompose a design (and optional targets), after checking them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric design (lists are converted; NaN, infinity or no rows raise ValueError).
        y : array-like of shape (n_samples,) or (n_samples, n_targets), optional
            Finite targets, one row per row of X.
        center : bool, default=False
            Subtract (weighted) column means of X and the mean of y first (the intercept case).
        sample_weight : array-like of shape (n_samples,), optional
            Finite non-negative weights, not all zero. Rows are scaled by ``sqrt(w)`` after
            centring, so weight 2 equals a duplicated row.
        method : {"auto", "svd", "gram"}, default="auto"
            ``"auto"`` uses the Gram route for tall X when ``X^T X`` is well conditioned and the
            thin SVD otherwise; ``"gram"`` forces the Gram route (with the same guard, warning and
            falling back when it would lose accuracy); ``"svd"`` forces the SVD.
        keep_left : bool, default=False
            Keep ``U`` (n_samples x r). It is always available on the SVD route; on the Gram route it
            is formed as ``X V / s`` only when asked.
        """
        X = as_design(X)
        n, d = X.shape
        Y = None if y is None else as_targets(y, n).reshape(n, -1)
        sample_weight = check_sample_weight(sample_weight, n)
        x_offset = np.zeros(d)
        y_offset = None if Y is None else np.zeros(Y.shape[1])
        if center:
            x_offset = np.average(X, axis=0, weights=sample_weight)
            if Y is not None:
                y_offset = np.average(Y, axis=0, weights=sample_weight)
        root_w = None if sample_weight is None else np.sqrt(sample_weight)
        design = None
        if method in ("auto", "gram") and n >= d:
            design = cls._gram_route(X, Y, x_offset, y_offset, root_w, warn=(method == "gram"))
        if design is None:
            Xp, Yp = _prepared_block(X, Y, x_offset, y_offset, root_w, slice(None))
            design = cls._svd_route(Xp, Yp)
        elif keep_left:
            Xp, _ = _prepared_block(X, None, x_offset, None, root_w, slice(None))
            design.left = Xp @ (design.components / design.singular_values)
        design.n_samples = n
        design.x_offset = x_offset
        design.y_offset = y_offset
        return design

    @classmethod
    def _gram_route(cls, X, Y, x_offset, y_offset, root_w, warn: bool) -> SpectralDesign | None:
        # Accumulate the centred, weighted cross-products block by block: no n x d copy of X is
        # made, and the blocks are large enough for BLAS-3 speed.
        n, d = X.shape
        gram = np.zeros((d, d))
        xty = None if Y is None else np.zeros((d, Y.shape[1]))
        y_sq = None if Y is None else np.zeros(Y.shape[1])
        block = max(1, min(n, _GRAM_BLOCK_ELEMENTS // max(d, 1)))
        for start in range(0, n, block):
            rows = slice(start, min(start + block, n))
            Xb, Yb = _prepared_block(X, Y, x_offset, y_offset, root_w, rows)
            gram += Xb.T @ Xb
            if Y is not None:
                xty += Xb.T @ Yb
                y_sq += np.einsum("ij,ij->j", Yb, Yb)
        evals, evecs = scipy.linalg.eigh(gram)
        top = evals[-1]
        if top <= 0 or evals[0] < GRAM_RCOND * top:
            if warn:
                warnings.warn(
                    "X^T X is too ill-conditioned for the Gram route (smallest/largest eigenvalue "
                    f"{max(evals[0], 0) / max(top, np.finfo(float).tiny):.2e}); using the thin SVD.",
                    stacklevel=3,
                )
            return None
        order = np.argsort(evals)[::-1]
        s = np.sqrt(evals[order])
        V = evecs[:, order]
        z = None if Y is None else (V.T @ xty) / s[:, None]
        return cls(s, V, n, d, "gram", z, y_sq)

    @classmethod
    def _svd_route(cls, X: np.ndarray, Y: np.ndarray | None) -> SpectralDesign:
        try:
            U, s, Vt = scipy.linalg.svd(X, full_matrices=False, lapack_driver="gesdd")
        except np.linalg.LinAlgError:  # gesdd occasionally fails to converge; gesvd is slower but robust
            U, s, Vt = scipy.linalg.svd(X, full_matrices=False, lapack_driver="gesvd")
        keep = s > (s[0] if s.size else 0.0) * max(X.shape) * np.finfo(np.float64).eps
        U, s, V = U[:, keep], s[keep], Vt[keep].T
        z = y_sq = None
        if Y is not None:
            z = U.T @ Y
            y_sq = np.einsum("ij,ij->j", Y, Y)
        return cls(s, V, X.shape[0], X.shape[1], "svd", z, y_sq, left=U)

    @classmethod
    def from_stats(
        cls, stats: SufficientStatistics, *, center: bool = True, design_norms=None
    ) -> SpectralDesign:
        """Decompose accumulated sufficient statistics (``eigh`` of the d x d Gram matrix).

        Without the raw rows there is no SVD to fall back on: eigenvalues below the numerical rank
        tolerance are dropped, and if the Gram matrix has more tiny eigenvalues than are null by
        construction (fewer weighted rows than features, constant columns) a ``RuntimeWarning``
        says that those directions lose accuracy.

        Parameters
        ----------
        stats : SufficientStatistics
            Accumulated statistics (at least one row of positive weight).
        center : bool, default=True
            Decompose the centred moments (the intercept case) or the raw ones.
        design_norms : callable, optional
            ``V -> ||W^{1/2} (X - offset) V||^2`` column by column, when the rows are at hand (e.g.
            in-memory sparse X). The tiny directions are then measured on X itself, without the
            squared condition number: numerically null ones (as an SVD would judge them) are
            dropped without a warning.
        """
        if stats.weight_sum <= 0:
            raise ValueError("no rows were accumulated; call update(X, y) at least once.")
        if center:
            xx, xy, yy = stats.xx, stats.xy, stats.yy
        else:
            xx, xy, yy = stats.raw()
        evals, evecs = scipy.linalg.eigh(xx)
        top = max(float(evals[-1]), 0.0)  # 0: constant columns, a rank-0 design (as from_X gives)
        # Directions that are null by construction (fewer weighted rows than features, or constant
        # columns) are dropped silently, as an SVD drops zero singular values; only *more* tiny
        # eigenvalues than that mean real directions that the squared condition number blurs.
        rows_rank = stats.n_positive_rows - int(center)
        structural_null = max(
            stats.n_features - max(rows_rank, 0), int(np.count_nonzero(np.diag(xx) == 0.0))
        )
        tiny = evals < GRAM_RCOND * top
        suspicious = top > 0 and np.count_nonzero(tiny) > structural_null
        if suspicious and design_norms is not None:
            # ||X v|| is accurate to ~eps ||X||: null directions give ~eps^2 top, real ones more.
            null_level = top * (max(stats.n_positive_rows, stats.n_features) * np.finfo(float).eps * 10) ** 2
            suspicious = bool(np.any(design_norms(evecs[:, tiny]) > null_level))
        if suspicious:
            warnings.warn(
                "X^T X from the sufficient statistics is ill-conditioned (kappa(X) > ~2e6): the "
                "smallest directions lose accuracy and numerically null ones are dropped. "
                "Decompose X itself (SpectralDesign.from_X(..., method='svd')) if you have it.",
                RuntimeWarning,
                stacklevel=2,
            )
        keep = evals > top * stats.n_features * np.finfo(np.float64).eps * 10 if top > 0 else evals > np.inf
        order = np.argsort(evals[keep])[::-1]
        s = np.sqrt(evals[keep][order])
        V = evecs[:, keep][:, order]
        z = (V.T @ xy) / s[:, None]
        x_offset = stats.x_mean if center else np.zeros(stats.n_features)
        y_offset = stats.y_mean if center else np.zeros(stats.n_targets)
        return cls(
            s, V, stats.weight_sum, stats.n_features, "stats", z, np.diag(yy).copy(),
            x_offset=x_offset, y_offset=y_offset,
        )

    def coef_from_filter(self, h: np.ndarray) -> np.ndarray:
        """Coefficients ``V diag(h / s) z`` of the spectral estimator with per-direction filter h.

        ``h`` may be (r,) (one filter for all targets) or (r, n_targets).
        """
        if self.z is None:
            raise ValueError("this decomposition was built without y; pass y to from_X.")
        h = h if h.ndim == 2 else h[:, None]
        return self.components @ (h / self.singular_values[:, None] * self.z)
