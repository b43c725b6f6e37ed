"""Stage 1 of the tuning pipeline: one decomposition, seen as a spectral smoother.

A *spectral problem* owns the decomposition of one set of rows (the whole training set, or the
training part of a fold) and knows three things:

* ``smoother``: the :class:`~selfdistill._tuning.SpectralSmoother` every criterion works on
  (eigenvalues ``ell``, target coordinates ``z``, ...);
* ``attach_validation(X, y, sw)``: the map from a filter ``h`` to predictions on other rows
  (used by ``validation`` and by every fold of ``crossfit``);
* ``model(h)``: the fitted attributes (coefficients and intercept, or dual coefficients) of the
  spectral estimator with filter ``h``.

:class:`LinearProblem` decomposes ``X`` (or accumulated :class:`~selfdistill.SufficientStatistics`,
via :meth:`LinearProblem.from_design`); :class:`KernelProblem` eigendecomposes the kernel matrix.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import scipy.linalg
import scipy.linalg.blas
import scipy.sparse

from ._spectral import GRAM_RCOND, SpectralDesign
from ._tuning import SpectralSmoother


def _format_coef(coef: np.ndarray, y_ndim: int) -> np.ndarray:
    """Engine layout (n_features, T) -> sklearn layout ((n_features,) or (T, n_features))."""
    return coef[:, 0] if y_ndim == 1 else coef.T.copy()


def _set_validation(sm, val_map, yv, sw_val) -> None:
    """Store the validation map and targets (rows scaled by sqrt(w)) on the smoother."""
    if sw_val is not None:
        root = np.sqrt(sw_val)[:, None]
        val_map, yv = val_map * root, yv * root
    sm.val_map, sm.y_val = val_map, yv
    sm.val_weight = float(yv.shape[0] if sw_val is None else sw_val.sum())
    if sm.val_weight <= 0:
        raise ValueError("the validation part has zero total sample weight.")


class LinearProblem:
    """Ridge-type problem ``X theta ~ y`` (optional unpenalised intercept) from one decomposition."""

    def __init__(self, design: SpectralDesign, fit_intercept: bool, n_total: float, root_w=None,
                 y_ndim: int = 1, Y=None):
        self.design = design
        self.fit_intercept = fit_intercept
        self.y_ndim = y_ndim
        z = design.z
        y_tilde = None
        if Y is not None and design.left is not None:
            offset = design.y_offset if fit_intercept else 0.0
            y_tilde = (Y - offset) * (1.0 if root_w is None else root_w[:, None])
        self.smoother = SpectralSmoother(
            ell=design.singular_values**2,
            z=z,
            y_perp_sq=np.maximum(design.y_sq_norm - np.sum(z**2, axis=0), 0.0),
            n=float(n_total),
            p0=int(fit_intercept),
            left=design.left,
            y_tilde=y_tilde,
            root_w=root_w,
        )

    @classmethod
    def from_data(cls, X, y, sw, fit_intercept: bool, keep_left: bool = False) -> LinearProblem:
        """Decompose validated rows (``keep_left`` keeps U, needed by exact leave-one-out)."""
        design = SpectralDesign.from_X(X, y, center=fit_intercept, sample_weight=sw, keep_left=keep_left)
        n_total = float(X.shape[0] if sw is None else sw.sum())
        root_w = np.ones(X.shape[0]) if sw is None else np.sqrt(sw)
        Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1)
        return cls(design, fit_intercept, n_total, root_w if keep_left else None, y.ndim, Y if keep_left else None)

    @classmethod
    def from_design(cls, design: SpectralDesign, fit_intercept: bool, y_ndim: int = 1) -> LinearProblem:
        """Start from an existing decomposition, e.g. ``SpectralDesign.from_stats(stats)``.

        This is the entry point for streamed data: the criteria ``gcv`` and ``cp`` need nothing
        but the decomposition (``loo`` needs the rows' left singular vectors).
        """
        return cls(design, fit_intercept, float(design.n_samples), None, y_ndim)

    def attach_validation(self, X_val, y_val, sw_val=None) -> None:
        """Validation predictions of filter h are ``val_map @ (h * z)`` plus the training intercept."""
        design, sm = self.design, self.smoother
        V = design.components
        if scipy.sparse.issparse(X_val):  # issue 13: centre after the product, never densify X_val
            XvV = np.asarray(X_val @ V) - design.x_offset @ V
        else:
            XvV = (X_val - design.x_offset) @ V
        yv = np.asarray(y_val, dtype=np.float64).reshape(XvV.shape[0], -1)
        if self.fit_intercept:
            yv = yv - design.y_offset
        s = design.singular_values
        val_map = XvV / np.where(s > 0, s, 1.0)
        _set_validation(sm, val_map, yv, sw_val)

    def without_rows(self) -> LinearProblem:
        """A copy without per-row arrays (U, targets, validation part): enough for :meth:`model`."""
        sm = self.smoother
        if self.design.left is None and all(v is None for v in (sm.left, sm.y_tilde, sm.root_w, sm.val_map, sm.y_val)):
            return self  # nothing to drop (e.g. all rows of a FoldedLinearProblem)
        small = copy.copy(self)
        small.design = dataclasses.replace(self.design, left=None)
        small.smoother = dataclasses.replace(self.smoother, left=None, y_tilde=None, root_w=None,
                                             val_map=None, y_val=None)
        return small

    def coef(self, h: np.ndarray) -> np.ndarray:
        """Coefficients (engine layout, n_features x T) of the estimator with filter h."""
        return self.design.coef_from_filter(h)

    def model(self, h: np.ndarray) -> dict:
        """``coef_`` and ``intercept_`` (sklearn layout) of the estimator with filter h."""
        coef = self.coef(h)
        if self.fit_intercept:
            intercept = self.design.y_offset - self.design.x_offset @ coef
            intercept = float(intercept[0]) if self.y_ndim == 1 else intercept
        else:
            intercept = 0.0 if self.y_ndim == 1 else np.zeros(coef.shape[1])
        return {"coef_": _format_coef(coef, self.y_ndim), "intercept_": intercept}


class KernelProblem:
    """Kernel ridge problem (no intercept) from one eigendecomposition of the weighted kernel matrix."""

    def __init__(self, kernel, X, y, sw, keep_left: bool = True):
        self.kernel = kernel
        self.X = X
        self.y_ndim = np.ndim(y)
        root_w = np.ones(X.shape[0]) if sw is None else np.sqrt(sw)
        K = kernel(X) * np.outer(root_w, root_w)
        if not np.all(np.isfinite(K)):
            raise ValueError("the kernel matrix contains NaN or infinite values; check the kernel parameters.")
        d, Q = scipy.linalg.eigh((K + K.T) / 2.0)
        top = max(d[-1], 0.0)
        # Numerically zero (or slightly negative, for round-off or indefinite kernels) directions
        # are never fitted by kernel ridge with alpha > 0 beyond noise level: drop them.
        keep = d > top * X.shape[0] * np.finfo(np.float64).eps
        d, Q = d[keep][::-1], Q[:, keep][:, ::-1]
        Y = np.asarray(y, dtype=np.float64).reshape(X.shape[0], -1) * root_w[:, None]
        z = Q.T @ Y
        self.root_w, self.eigenvalues, self.Q = root_w, d, Q
        self.smoother = SpectralSmoother(
            ell=d,
            z=z,
            y_perp_sq=np.maximum(np.sum(Y**2, axis=0) - np.sum(z**2, axis=0), 0.0),
            n=float(X.shape[0] if sw is None else sw.sum()),
            p0=0,
            left=Q,
            y_tilde=Y,
            root_w=root_w,
        )

    def attach_validation(self, X_val, y_val, sw_val=None) -> None:
        """Validation predictions of filter h are ``val_map @ (h * z)``."""
        sm = self.smoother
        yv = np.asarray(y_val, dtype=np.float64).reshape(X_val.shape[0], -1)
        val_map = (self.kernel(X_val, self.X) * self.root_w) @ (self.Q / self.eigenvalues)
        _set_validation(sm, val_map, yv, sw_val)

    def dual_coef(self, h: np.ndarray) -> np.ndarray:
        h = h if h.ndim == 2 else h[:, None]
        dual = self.root_w[:, None] * (self.Q @ (h / self.eigenvalues[:, None] * self.smoother.z))
        return dual[:, 0] if self.y_ndim == 1 else dual

    def model(self, h: np.ndarray) -> dict:
        return {"dual_coef_": self.dual_coef(h)}


#: Elements per block of rows in :class:`FoldedLinearProblem` (256 kB of float64). Every pass over
#: the rows works block by block with temporaries of about this size: they are reused from the
#: allocator's free lists, whereas a fresh n-row temporary is a new memory mapping whose page
#: faults cost more than the arithmetic (measured at 10^4 x 20: ~3 ms of a ~10 ms fit).
ROW_BLOCK_ELEMENTS = 65_536
#: Up to this many elements (64 MB) the centred row blocks of the pass of moments are kept for the
#: later passes (ridge LOO, per-row errors of the one-SE rule) instead of being gathered again.
KEEP_ROWS_ELEMENTS = 8_388_608
#: Rows centred by one broadcast in :meth:`FoldedLinearProblem.row_blocks`: a block seen as
#: (rows / 64, 64 d) minus the centres repeated 64 times runs inner loops of 64 d elements
#: (a broadcast over single rows runs d at a time and costs 1.6x as much at d = 20).
CENTRE_GROUP = 64


class FoldedLinearProblem:
    """All rows' linear problem and the K training-fold problems of cross-fitting, from one pass.

    For tall dense X (n >> d) every quantity of cross-fitting is a function of second moments. In
    one pass over the rows, fold by fold and block by block, each row is centred at the (weighted)
    mean of all rows and scaled by sqrt(w) (columns ``[X, Y, 1]``, p = d + T + 1), and
    ``moments[f] = rows_f^T rows_f`` accumulates fold f's held-out moments. Their sum is the
    centred Gram matrix of all rows; all rows minus fold f give its training part (recentred at the
    training means: a rank-one correction). One batched ``eigh`` of the K + 1 Gram matrices
    (d x d) decomposes them all. The held-out squared error of a model is then a quadratic form
    ``v^T moments[f] v`` (:func:`~selfdistill._crossfit.heldout_vectors`). The centred row blocks
    are kept for the two later passes (ridge LOO, per-row errors of the one-SE rule) up to
    ``KEEP_ROWS_ELEMENTS``; larger X is gathered again block by block.

    :meth:`build` returns None where this Gram route would lose accuracy (any of the K + 1 Gram
    matrices below ``GRAM_RCOND``, or a training part with fewer rows than features); the caller
    then decomposes the rows themselves.

    Attributes
    ----------
    full : LinearProblem
        All rows (U is not stored: :meth:`left_blocks` yields it block by block).
    folds : list of LinearProblem
        The training part of each fold.
    moments : ndarray of shape (K, p, p)
        Held-out moments of each fold, columns ``[X, Y, 1]`` centred at ``x_center, y_center``.
    tests : list of ndarray
        Held-out rows of each fold.
    """

    def __init__(self, X, Y, sw, tests, x_center, y_center):
        self.X, self.Y, self.sw, self.tests = X, Y, sw, tests
        self.x_center, self.y_center = x_center, y_center
        self.block = max(64, ROW_BLOCK_ELEMENTS // (X.shape[1] + Y.shape[1] + 1))
        self.full = self.folds = self.moments = None
        self.kept = None  # per fold: its row blocks, when kept from the pass of moments
        self._spectra = None  # fold_spectra() of all folds
        # no pass over the rows to subtract zero centres
        self._centre_group = np.tile(x_center, CENTRE_GROUP) if x_center.any() else None

    @classmethod
    def build(cls, X, y, sw, fit_intercept: bool, tests: list) -> FoldedLinearProblem | None:
        n, d = X.shape
        if any(n - test.size < d for test in tests):
            return None
        Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
        T = Y.shape[1]
        if not fit_intercept:
            x_center, y_center = np.zeros(d), np.zeros(T)
        elif sw is None:  # BLAS products: numpy's reductions over the rows axis are slower
            ones = np.ones(n)
            x_center, y_center = ones @ X / n, ones @ Y / n
        else:
            x_center, y_center = sw @ X / sw.sum(), sw @ Y / sw.sum()
        self = cls(X, Y, sw, tests, x_center, y_center)
        keep = n * (d + T + 1) <= KEEP_ROWS_ELEMENTS
        self.kept = [] if keep else None
        moments = np.zeros((len(tests), d + T + 1, d + T + 1))
        for f, test in enumerate(tests):
            blocks = self.row_blocks(test)
            if keep:
                blocks = list(blocks)
                self.kept.append(blocks)
            for xb, zb in blocks:
                # X^T X as a general product of the (Fortran-ordered) transposes: a third faster
                # than the symmetric rank-k update numpy's ``xb.T @ xb`` runs for thin blocks
                moments[f, :d, :d] += scipy.linalg.blas.dgemm(1.0, xb.T, xb.T, trans_b=True)
                moments[f, :d, d:] += xb.T @ zb
                moments[f, d:, d:] += scipy.linalg.blas.dgemm(1.0, zb.T, zb.T, trans_b=True)
            moments[f, d:, :d] = moments[f, :d, d:].T
        self.moments = moments
        total = moments.sum(axis=0)
        grams = np.concatenate([total[None], total - moments])  # all rows first, then each training part
        weight = grams[:, -1, -1]
        if np.any(weight <= 0):
            return None
        offsets = np.zeros((len(tests) + 1, d + T))
        if fit_intercept:  # recentre each training part at its own means (all rows: centred already)
            offsets[1:] = grams[1:, -1, :-1] / weight[1:, None]
            grams[1:, :-1, :-1] -= weight[1:, None, None] * offsets[1:, :, None] * offsets[1:, None, :]
        evals, evecs = np.linalg.eigh(grams[:, :d, :d])
        if np.any(evals[:, -1] <= 0) or np.any(evals[:, 0] < GRAM_RCOND * evals[:, -1]):
            return None
        s = np.sqrt(evals[:, ::-1])
        V = evecs[:, :, ::-1]
        z = np.einsum("kdr,kdt->krt", V, grams[:, :d, d : d + T]) / s[:, :, None]
        y_sq = np.diagonal(grams[:, d : d + T, d : d + T], axis1=1, axis2=2)
        problems = []
        for f in range(len(tests) + 1):
            design = SpectralDesign(s[f], V[f], float(n) if f == 0 else weight[f], d, "gram", z[f],
                                    y_sq[f].copy(), x_offset=x_center + offsets[f, :d],
                                    y_offset=y_center + offsets[f, d:])
            problems.append(LinearProblem(design, fit_intercept, weight[f], None, np.ndim(y)))
        self.full, self.folds = problems[0], problems[1:]
        # the folds' spectra as stacked arrays too (held-out scoring uses them batched)
        self._spectra = (np.ascontiguousarray(V[1:]), s[1:], z[1:], x_center + offsets[1:, :d],
                         y_center + offsets[1:, d:])
        return self

    def fold_spectra(self, folds) -> tuple:
        """``(V, s, z, x_offset, y_offset)`` of the training parts ``folds``, stacked (folds of the
        same rank): components (K, d, r), singular values (K, r), target coordinates (K, r, T) and
        the training means (K, d), (K, T)."""
        folds = list(folds)
        if folds == list(range(len(self.folds))):
            return self._spectra
        designs = [self.folds[f].design for f in folds]
        return tuple(np.stack([getattr(design, name) for design in designs])
                     for name in ("components", "singular_values", "z", "x_offset", "y_offset"))

    def row_blocks(self, rows=None):
        """Yield ``(x, [y, 1])`` blocks of the given rows (all rows in order if None), centred at
        ``x_center, y_center`` and scaled by sqrt(w)."""
        n, T = self.Y.shape
        total = n if rows is None else rows.size
        for start in range(0, total, self.block):
            stop = min(start + self.block, total)
            if rows is None:
                idx = slice(start, stop)
                xb, yb = np.subtract(self.X[idx], self.x_center, order="C"), self.Y[idx]
            else:
                idx = rows[start:stop]
                xb, yb = np.take(self.X, idx, axis=0), np.take(self.Y, idx, axis=0)
                if self._centre_group is not None:
                    grouped = stop - start - (stop - start) % CENTRE_GROUP
                    view = xb[:grouped].reshape(-1, self._centre_group.size)
                    view -= self._centre_group
                    xb[grouped:] -= self.x_center
            zb = np.empty((stop - start, T + 1))
            np.subtract(yb, self.y_center, out=zb[:, :T])
            zb[:, T] = 1.0
            if self.sw is not None:
                root_w = np.sqrt(self.sw[idx])[:, None]
                xb *= root_w
                zb *= root_w
            yield xb, zb

    def heldout_residuals(self, f: int, vec: np.ndarray) -> np.ndarray:
        """``[X, Y, 1] @ vec[t]`` on the held-out rows of fold f for vec of shape (T, p, C): the
        residuals, shape (n_f, T, C)."""
        T, p, C = vec.shape
        d = self.X.shape[1]
        flat = np.ascontiguousarray(vec.transpose(1, 0, 2)).reshape(p, T * C)  # 2-D products only
        top, bottom = flat[:d], flat[d:]
        blocks = self.kept[f] if self.kept is not None else self.row_blocks(self.tests[f])
        parts = []
        for xb, zb in blocks:
            part = xb @ top
            part += zb @ bottom
            parts.append(part)
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)).reshape(-1, T, C)

    def heldout_weights(self) -> np.ndarray:
        """Weight of each held-out row, folds in order."""
        rows = np.concatenate(self.tests)
        return np.ones(rows.size) if self.sw is None else self.sw[rows]

    def left_blocks(self):
        """Yield blocks ``[U^T; y~^T; sqrt(w); 1]`` (r + T + 2 rows, one column per row of X) of
        all rows: U of the decomposition of all rows, the centred targets times sqrt(w), sqrt(w).

        Every block is a view of one buffer, overwritten for the next block (the caller,
        :func:`~selfdistill._crossfit.ridge_loo_alpha`, uses each block before asking for the next
        and squares it in place): the fit's transient heap stays smaller (at 10^4 x 20, the LOO's
        peak drops from 1.1 to 0.8 MB above the kept rows), and a transient heap of a few MB is
        what glibc may give back to the system after a fit and page-fault in again the next."""
        design = self.full.design
        r = design.rank
        scaled_t = (design.components / design.singular_values).T
        blocks = (b for fold in self.kept for b in fold) if self.kept is not None else self.row_blocks()
        buffer = np.empty((r + self.Y.shape[1] + 2, 0))
        for xb, zb in blocks:  # any row order: the LOO is a sum over rows
            if buffer.shape[1] < xb.shape[0]:
                buffer = np.empty((buffer.shape[0], xb.shape[0]))
            block = buffer[:, : xb.shape[0]]
            np.matmul(scaled_t, xb.T, out=block[:r])
            block[r:-1] = zb.T
            block[-1] = 1.0
            yield block
