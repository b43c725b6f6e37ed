"""Tiers B and C: frequentist linear quantile regression over a grid of levels.

* :class:`NonCrossingQuantileRegressor` -- all levels in one LP with Bondell, Reich & Wang's (2010)
  non-crossing constraints at the vertices of the covariate hull.
* :class:`RearrangedQuantileRegressor` -- one LP per level, then the monotone rearrangement of each
  predicted quantile curve (Chernozhukov, Fernandez-Val & Galichon 2010). A baseline, not a joint model.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checks import check_quantiles, check_sample_weight
from ._lp import hull_vertices, quantile_lp, rearrange

DEFAULT_GRID = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))


class _GridQuantileMixin:
    """Validation, standardisation and interpolation shared by the grid estimators."""

    def _fit_grid(self, X, y, sample_weight, joint):
        taus, _ = check_quantiles(self.quantiles)
        if np.any(np.diff(taus) <= 0):
            raise ValueError(f"quantiles must be strictly increasing, got {taus.tolist()}.")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        n, p = X.shape
        sw = check_sample_weight(sample_weight, n)
        sw = np.ones(n) if sw is None else sw
        if np.count_nonzero(sw) < p + 1:
            raise ValueError(f"fewer weighted rows (n_samples={np.count_nonzero(sw)}) than coefficients ({p + 1}).")
        # standardise for the LP's conditioning; the check loss is invariant up to the back-transform
        self._center = X.mean(axis=0)
        self._scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        Z = (X - self._center) / self._scale
        y_scale = float(np.std(y)) or 1.0
        X1 = np.column_stack([np.ones(n), Z])
        vertices = None
        if joint:
            extra = None
            if getattr(self, "hull_points", None) is not None:
                extra = np.asarray(self.hull_points, dtype=np.float64)
                if extra.ndim != 2 or extra.shape[1] != p or not np.all(np.isfinite(extra)):
                    raise ValueError(f"hull_points must be a finite array of shape (n_points, {p}).")
                extra = (extra - self._center) / self._scale
            V = hull_vertices(Z, extra)
            vertices = np.column_stack([np.ones(V.shape[0]), V])
            self.hull_vertices_ = V * self._scale + self._center
        coefs, objective = quantile_lp(X1, y / y_scale, taus, sw, vertices, margin=0.0)
        coefs = coefs * y_scale
        slope = coefs[:, 1:] / self._scale
        intercept = coefs[:, 0] - slope @ self._center
        self.quantiles_ = taus
        self.coef_path_ = np.column_stack([intercept, slope])
        self.objective_ = objective * y_scale
        return self

    def coef_at(self, quantiles):
        """Coefficients (intercept first) at levels inside the fitted grid, linearly interpolated in tau.

        Parameters
        ----------
        quantiles : float or sequence of float
            Levels within ``[quantiles_[0], quantiles_[-1]]``.

        Returns
        -------
        ndarray of shape (n_quantiles, 1 + n_features)
            Intercept first, then the slopes.
        """
        check_is_fitted(self, "coef_path_")
        taus, _ = check_quantiles(quantiles)
        grid = self.quantiles_
        if np.any(taus < grid[0] - 1e-12) or np.any(taus > grid[-1] + 1e-12):
            raise ValueError(
                f"quantiles must lie inside the fitted grid [{grid[0]}, {grid[-1]}]; refit with a wider "
                "`quantiles` grid to predict further out."
            )
        return np.column_stack([np.interp(taus, grid, self.coef_path_[:, j]) for j in range(self.coef_path_.shape[1])])

    def _grid_predictions(self, X):
        return self.coef_path_[:, 0][None, :] + X @ self.coef_path_[:, 1:].T


class NonCrossingQuantileRegressor(_GridQuantileMixin, RegressorMixin, BaseEstimator):
    """Joint linear quantile regression with non-crossing constraints on the covariate hull (tier B).

    Objective (Bondell, Reich & Wang 2010): ``min sum_k sum_i w_i rho_{tau_k}(y_i - b_{0k} - x_i^T b_k)``
    over all levels at once, subject to ``b_{0k} + v^T b_k >= b_{0,k-1} + v^T b_{k-1}`` at every vertex
    ``v`` of the convex hull of the training covariates (and ``hull_points``); being linear in ``x``,
    the fitted quantiles are then non-decreasing in ``tau`` on the whole hull. One LP solved by
    HiGHS (``scipy.optimize.linprog``). No penalty (``alpha``) and no distillation (``xi``) here.
    ``X`` is (n_samples, n_features).

    Parameters
    ----------
    quantiles : sequence of float, default=0.05, 0.10, ..., 0.95
        Strictly increasing levels in (0, 1) fitted jointly.
    hull_points : array-like (n_points, n_features) or None
        Extra points whose hull also gets the constraints.
    predict_quantiles : float or sequence, default=0.5
        Levels ``predict`` returns by default (a scalar gives a 1-D array).

    Attributes
    ----------
    quantiles_ : ndarray (K,)
    coef_path_ : ndarray (K, 1 + n_features)
        Intercept then slopes per level, original scale.
    hull_vertices_ : ndarray
        Points at which the constraints were imposed.
    objective_ : float
        Weighted check loss summed over the levels.
    """

    def __init__(self, quantiles=DEFAULT_GRID, hull_points=None, predict_quantiles=0.5):
        self.quantiles = quantiles
        self.hull_points = hull_points
        self.predict_quantiles = predict_quantiles

    def fit(self, X, y, sample_weight=None):
        """Solve the joint LP.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Responses.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights multiplying each row's check loss.

        Returns
        -------
        self
        """
        return self._fit_grid(X, y, sample_weight, joint=True)

    def predict(self, X, quantiles=None):
        """Fitted quantiles at levels inside the grid.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        quantiles : float or sequence of float, optional
            Levels (default ``predict_quantiles``).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_quantiles)
            One column per level (1-D for a scalar level).
        """
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        taus, scalar = check_quantiles(self.predict_quantiles if quantiles is None else quantiles)
        coefs = self.coef_at(taus)
        pred = coefs[:, 0][None, :] + X @ coefs[:, 1:].T
        return pred[:, 0] if scalar else pred


class RearrangedQuantileRegressor(_GridQuantileMixin, RegressorMixin, BaseEstimator):
    """Per-level linear quantile regression followed by monotone rearrangement (tier C baseline).

    Each level solves ``min_b sum_i w_i rho_tau(y_i - b_0 - x_i^T b)`` separately (LP, HiGHS); at
    prediction the curve ``tau -> Q(tau|x)`` on the fitted grid is rearranged (sorted), which removes
    crossings at every ``x`` (Chernozhukov, Fernandez-Val & Galichon 2010); for an equispaced grid
    sorting is exactly the rearrangement. Levels between grid points are interpolated linearly on
    the rearranged curve. ``X`` is (n_samples, n_features); no ``alpha``, no ``xi``.

    Parameters
    ----------
    quantiles : sequence of float, default=0.05, 0.10, ..., 0.95
        Strictly increasing levels in (0, 1).
    predict_quantiles : float or sequence, default=0.5
        Levels ``predict`` returns by default (a scalar gives a 1-D array).

    Attributes
    ----------
    quantiles_ : ndarray (K,)
    coef_path_ : ndarray (K, 1 + n_features)
        Per-level coefficients before rearrangement (intercept first).
    objective_ : float
    """

    def __init__(self, quantiles=DEFAULT_GRID, predict_quantiles=0.5):
        self.quantiles = quantiles
        self.predict_quantiles = predict_quantiles

    def fit(self, X, y, sample_weight=None):
        """Solve one LP per level.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Responses.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights multiplying each row's check loss.

        Returns
        -------
        self
        """
        return self._fit_grid(X, y, sample_weight, joint=False)

    def count_crossings(self, X):
        """Number of (row, adjacent level pair) where the raw per-level fits cross (before rearrangement)."""
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return int(np.count_nonzero(np.diff(self._grid_predictions(X), axis=1) < 0))

    def predict(self, X, quantiles=None, rearranged=True):
        """Quantiles at levels inside the grid, after monotone rearrangement.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        quantiles : float or sequence of float, optional
            Levels (default ``predict_quantiles``).
        rearranged : bool, default=True
            False gives the raw per-level fits (which may cross).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_quantiles)
            One column per level (1-D for a scalar level).
        """
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        taus, scalar = check_quantiles(self.predict_quantiles if quantiles is None else quantiles)
        self.coef_at(taus)  # range check
        curves = self._grid_predictions(X)
        if rearranged:
            curves = rearrange(curves)
        pred = np.stack([np.interp(taus, self.quantiles_, row) for row in curves])
        return pred[:, 0] if scalar else pred
