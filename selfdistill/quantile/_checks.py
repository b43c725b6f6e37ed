"""Converters for the quantile estimators' constraint tables, and the per-row checks of ``fit``.

The hyper-parameters are checked by the tables of :mod:`selfdistill._validation`; the converters
here are the ones those tables use for values with more structure than a number in an interval
(a level grid, a tau step, a set of points). :func:`check_quantiles` also converts the levels
passed to ``predict``; :func:`check_fit_data` checks the arrays given to ``fit`` (with the
per-row censoring codes). ``FIT_DOCS`` holds the numpydoc sections the estimators share.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import validate_data

from .._docstrings import DOCS
from .._validation import check_sample_weight

#: numpydoc sections shared by the quantile estimators' methods (``fill_doc(**FIT_DOCS)``).
FIT_DOCS = {
    "parameters_censored_fit": "Parameters\n----------\n" + DOCS["X_fit"] + """
y : array-like of shape (n_samples,)
    Responses; for censored rows the censoring point.
censoring : array-like of int, shape (n_samples,), optional
    0 = observed, 1 = right-censored (the latent response is above ``y``), 2 = left-censored
    (below ``y``, e.g. Tobit zeros). None means all observed.""",
    "parameters_check_loss_fit": "Parameters\n----------\n" + DOCS["X_fit"] + "\n" + DOCS["y_fit_1d"] + """
sample_weight : array-like of shape (n_samples,), optional
    Non-negative weights multiplying each row's check loss.""",
    "returns_quantiles": """Returns
-------
ndarray of shape (n_samples,)
    Predicted quantiles.""",
    "predict_quantiles": """predict_quantiles : float or sequence, default=0.5
    Levels ``predict`` returns by default (a scalar gives a 1-D array).""",
}


def check_quantiles(quantiles, name: str = "quantiles") -> tuple[np.ndarray, bool]:
    """Return quantile levels as a 1-D float array and whether a scalar was given.

    Every level must lie strictly inside (0, 1); NaN, empty and multi-dimensional inputs are refused.
    """
    scalar = np.ndim(quantiles) == 0
    try:
        arr = np.atleast_1d(np.asarray(quantiles, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers in (0, 1), got {quantiles!r}.") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D sequence in (0, 1), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(
            f"{name} must lie strictly between 0 and 1 (quantile levels tau), got {arr.tolist()}."
        )
    return arr, scalar


def as_levels(quantiles, name: str) -> np.ndarray:
    """Converter: levels in (0, 1) as a 1-D array (a scalar becomes one level)."""
    return check_quantiles(quantiles, name)[0]


def as_level_grid(quantiles, name: str) -> np.ndarray:
    """Converter: strictly increasing levels in (0, 1), the grid a grid estimator fits."""
    taus = as_levels(quantiles, name)
    if np.any(np.diff(taus) <= 0):
        raise ValueError(f"{name} must be strictly increasing, got {taus.tolist()}; sort them and drop repeats.")
    return taus


def as_tau_step(tau_step, name: str) -> float:
    """Converter: the step ``1 / (2k)`` of the tau grid for an integer ``k`` (so that 1/2 is a grid point)."""
    valid = isinstance(tau_step, numbers.Real) and not isinstance(tau_step, (bool, np.bool_))
    steps = 1.0 / float(tau_step) if valid and np.isfinite(tau_step) and tau_step > 0 else np.nan
    if not (np.isfinite(steps) and abs(steps - round(steps)) < 1e-8 and round(steps) % 2 == 0):
        raise ValueError(f"{name} must be 1/(2k) for an integer k (e.g. 0.01), got {tau_step!r}.")
    return float(tau_step)


def as_points(points, name: str) -> np.ndarray:
    """Converter: a finite 2-D float array of points, one row per point (columns checked against X in fit)."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite array of shape (n_points, n_features), got {points!r}.") from None
    if arr.ndim != 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite array of shape (n_points, n_features), got shape {arr.shape}.")
    return arr


def check_censoring(censoring, n_samples: int) -> np.ndarray:
    """Return censoring codes as int array: 0 observed, 1 right-censored, 2 left-censored."""
    if censoring is None:
        return np.zeros(n_samples, dtype=np.int64)
    arr = np.asarray(censoring)
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(
            f"censoring must be a 1-D array with one code per sample ({n_samples}), got shape {arr.shape}."
        )
    try:
        as_float = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("censoring must hold the integer codes 0, 1 or 2.") from None
    bad = ~np.isin(as_float, (0.0, 1.0, 2.0))
    if bad.any():
        raise ValueError(
            "censoring codes must be 0 (observed), 1 (right-censored: y is a lower bound) or "
            f"2 (left-censored: y is an upper bound); found {np.unique(arr[bad])[:5].tolist()}."
        )
    return as_float.astype(np.int64)


def check_fit_data(estimator, X, y, sample_weight, censoring=None):
    """``validate_data`` on ``(X, y)``, then the rows' weights (None: ones) and censoring codes (None: 0)."""
    X, y = validate_data(estimator, X, y, dtype=np.float64, y_numeric=True)
    n = X.shape[0]
    sw = check_sample_weight(sample_weight, n)
    return X, y, np.ones(n) if sw is None else sw, check_censoring(censoring, n)


def check_identified(sw: np.ndarray, n_features: int) -> None:
    """Refuse fewer weighted rows than the 1 + n_features coefficients of a linear quantile plane."""
    if np.count_nonzero(sw) < n_features + 1:
        raise ValueError(
            f"fewer weighted rows (n_samples={np.count_nonzero(sw)}) than coefficients ({n_features + 1}); "
            "add data or remove covariates."
        )
