"""Tiers B and C: frequentist linear quantile regression over a grid of levels.

* :class:`NonCrossingQuantileRegressor` -- all levels in one LP with Bondell, Reich & Wang's (2010)
  non-crossing constraints at the vertices of the covariate hull.
* :class:`RearrangedQuantileRegressor` -- one LP per level, then the monotone rearrangement of each
  predicted quantile curve (Chernozhukov, Fernandez-Val & Galichon 2010). A baseline, not a joint model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._validation import Converter, ValidatedParamsMixin
from ._checks import (
    FIT_DOCS,
    as_level_grid,
    as_levels,
    as_points,
    check_fit_data,
    check_identified,
    check_quantiles,
)
from ._lp import quantile_lp, rearrange, standardised_hull

DEFAULT_GRID = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))

_GRID_CONSTRAINTS = {
    "quantiles": [Converter(as_level_grid, "strictly increasing levels in (0, 1)")],
    "predict_quantiles": [Converter(as_levels, "a level or levels in (0, 1)")],
}

_PREDICT_DOC = """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Covariates.
quantiles : float or sequence of float, optional
    Levels inside the fitted grid (default ``predict_quantiles``)."""

_PREDICT_RETURNS = """ndarray of shape (n_samples,) or (n_samples, n_quantiles)
    One column per level (1-D for a scalar level)."""


class _GridQuantileRegressor(ValidatedParamsMixin, RegressorMixin, BaseEstimator):
    """Validation, standardisation, the LP and interpolation shared by the grid estimators.

    ``_non_crossing`` selects the joint LP with constraints on the covariate hull (tier B) or one
    LP per level (tier C).
    """

    _non_crossing: ClassVar[bool]

    @fill_doc(**FIT_DOCS)
    def fit(self, X, y, sample_weight=None):
        """Solve the check-loss LP over the grid of levels (the class docstring gives the objective).

        %(parameters_check_loss_fit)s

        %(returns_self_section)s
        """
        params = self._validate_params()
        X, y, sw, _ = check_fit_data(self, X, y, sample_weight)
        n, p = X.shape
        check_identified(sw, p)
        # standardise for the LP's conditioning; the check loss is invariant up to the back-transform
        self._center = X.mean(axis=0)
        self._scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        Z = (X - self._center) / self._scale
        y_scale = float(np.std(y)) or 1.0
        X1 = np.column_stack([np.ones(n), Z])
        vertices = None
        if self._non_crossing:
            V = standardised_hull(Z, params.hull_points, self._center, self._scale)
            vertices = np.column_stack([np.ones(V.shape[0]), V])
            self.hull_vertices_ = V * self._scale + self._center
        coefs, objective = quantile_lp(X1, y / y_scale, params.quantiles, sw, vertices, margin=0.0)
        coefs = coefs * y_scale
        slope = coefs[:, 1:] / self._scale
        intercept = coefs[:, 0] - slope @ self._center
        self.quantiles_ = params.quantiles
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

    def _predict_inputs(self, X, quantiles):
        """Checked ``X``, the levels (default ``predict_quantiles``, range-checked) and whether a scalar was given."""
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        taus, scalar = check_quantiles(self.predict_quantiles if quantiles is None else quantiles)
        return X, self.coef_at(taus), taus, scalar

    def _grid_predictions(self, X):
        return self.coef_path_[:, 0][None, :] + X @ self.coef_path_[:, 1:].T


@fill_doc(**FIT_DOCS)
class NonCrossingQuantileRegressor(_GridQuantileRegressor):
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
    %(predict_quantiles)s

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

    _non_crossing = True
    _parameter_constraints = {
        **_GRID_CONSTRAINTS,
        "hull_points": [None, Converter(as_points, "a finite array of shape (n_points, n_features)")],
    }

    def __init__(self, quantiles=DEFAULT_GRID, hull_points=None, predict_quantiles=0.5):
        self._store_params(locals())

    @fill_doc(predict_parameters=_PREDICT_DOC, predict_returns=_PREDICT_RETURNS)
    def predict(self, X, quantiles=None):
        """Fitted quantiles at levels inside the grid.

        %(predict_parameters)s

        Returns
        -------
        %(predict_returns)s
        """
        X, coefs, _, scalar = self._predict_inputs(X, quantiles)
        pred = coefs[:, 0][None, :] + X @ coefs[:, 1:].T
        return pred[:, 0] if scalar else pred


@fill_doc(**FIT_DOCS)
class RearrangedQuantileRegressor(_GridQuantileRegressor):
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
    %(predict_quantiles)s

    Attributes
    ----------
    quantiles_ : ndarray (K,)
    coef_path_ : ndarray (K, 1 + n_features)
        Per-level coefficients before rearrangement (intercept first).
    objective_ : float
    """

    _non_crossing = False
    _parameter_constraints = _GRID_CONSTRAINTS

    def __init__(self, quantiles=DEFAULT_GRID, predict_quantiles=0.5):
        self._store_params(locals())

    def count_crossings(self, X):
        """Number of (row, adjacent level pair) where the raw per-level fits cross (before rearrangement)."""
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return int(np.count_nonzero(np.diff(self._grid_predictions(X), axis=1) < 0))

    @fill_doc(predict_parameters=_PREDICT_DOC, predict_returns=_PREDICT_RETURNS)
    def predict(self, X, quantiles=None, rearranged=True):
        """Quantiles at levels inside the grid, after monotone rearrangement.

        %(predict_parameters)s
        rearranged : bool, default=True
            False gives the raw per-level fits (which may cross).

        Returns
        -------
        %(predict_returns)s
        """
        X, _, taus, scalar = self._predict_inputs(X, quantiles)
        curves = self._grid_predictions(X)
        if rearranged:
            curves = rearrange(curves)
        pred = np.stack([np.interp(taus, self.quantiles_, row) for row in curves])
        return pred[:, 0] if scalar else pred
