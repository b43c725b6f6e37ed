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

import numpy as np
import scipy.linalg
import scipy.sparse

from ._spectral import SpectralDesign
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
