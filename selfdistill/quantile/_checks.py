"""Input checks shared by the quantile estimators (clear ``ValueError`` messages)."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_positive_int, check_sample_weight  # noqa: F401 - re-exported


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


def check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1) (e.g. 0.95 for a 95% band), got {level!r}.")
    return float(level)
