"""Input checks shared by the theory functions and the estimators.

Every check raises a ``ValueError`` that names the offending argument, says what was wrong and how
to fix it. Array checks delegate to sklearn's public ``check_array`` so that messages match the
ones sklearn users know ("Input X contains NaN.").
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_array


def as_design(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a finite 2-D float64 array (n_samples, n_features)."""
    X = check_array(
        X,
        dtype=np.float64,
        ensure_2d=True,
        ensure_all_finite=True,
        ensure_min_samples=1,
        ensure_min_features=1,
        input_name=name,
    )
    check_magnitude(X, name)
    return X


def as_targets(y, n_samples: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a finite float64 array of shape (n_samples,) or (n_samples, n_targets)."""
    y = check_array(
        y,
        dtype=np.float64,
        ensure_2d=False,
        ensure_all_finite=True,
        input_name=name,
    )
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got an array with shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} rows but X has {n_samples} samples; "
            "pass one target row per sample."
        )
    check_magnitude(y, name)
    return y


def check_magnitude(A: np.ndarray, name: str) -> None:
    # Squares of entries above ~1e154 overflow float64; sklearn leaks a LAPACK error instead.
    # max and min instead of abs(): no temporary copy of a possibly large array
    if A.size and max(float(A.max()), -float(A.min())) > 1e150:
        raise ValueError(
            f"{name} has entries of magnitude {np.max(np.abs(A)):.3g}, too large to square in "
            f"float64; rescale {name} (e.g. standardise it) before fitting."
        )


def check_alpha(alpha, name: str = "alpha") -> float:
    """Return the ridge penalty as a positive finite float (the paper's lambda on the sum of squares)."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"{name} must be a positive real number, got {alpha!r}.")
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(
            f"{name} must be a finite number > 0 (the ridge penalty lambda), got {alpha!r}. "
            "Self-distillation is a no-op at lambda = 0; use a small positive value for the limit."
        )
    return alpha


def check_alpha_grid(alphas, name: str = "alphas") -> np.ndarray:
    """Return a 1-D grid of positive finite penalties; empty or NaN grids are refused."""
    arr = np.asarray(alphas, dtype=np.float64).reshape(-1) if np.ndim(alphas) <= 1 else None
    if arr is None:
        raise ValueError(f"{name} must be a 1-D sequence of positive numbers, got shape {np.shape(alphas)}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one positive penalty, e.g. alphas=(0.1, 1, 10).")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values: {arr.tolist()}.")
    if np.any(arr <= 0):
        raise ValueError(f"every value in {name} must be > 0, got {arr.tolist()}.")
    return arr


def check_noise_var(noise_var, name: str = "noise_var") -> float:
    """Return the noise variance gamma^2 as a finite float >= 0."""
    if isinstance(noise_var, bool) or not isinstance(noise_var, numbers.Real):
        raise ValueError(f"{name} must be a real number >= 0 (a variance), got {noise_var!r}.")
    noise_var = float(noise_var)
    if not np.isfinite(noise_var) or noise_var < 0:
        raise ValueError(f"{name} must be a finite variance >= 0, got {noise_var!r}.")
    return noise_var


def check_xi(xi, name: str = "xi") -> np.ndarray:
    """Return per-step imitation parameters as a finite 1-D float array (length k >= 0).

    A scalar means one distillation step. Values outside [0, 1] are legitimate and never clipped.
    """
    if isinstance(xi, (str, bytes)):
        raise ValueError(f"{name} must be a number or a sequence of numbers, got {xi!r}.")
    try:
        arr = np.asarray(xi, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or a sequence of numbers, got {xi!r}.") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per distillation step), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}.")
    return arr


def check_n_steps(n_steps, name: str = "n_steps") -> int:
    """Return the number of distillation steps as an int >= 0."""
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral):
        if isinstance(n_steps, numbers.Real) and float(n_steps).is_integer():
            n_steps = int(n_steps)
        else:
            raise ValueError(f"{name} must be a non-negative integer, got {n_steps!r}.")
    if n_steps < 0:
        raise ValueError(f"{name} must be >= 0 (0 means the ridge teacher), got {n_steps}.")
    return int(n_steps)


def check_theta_star(theta_star, n_features: int, name: str = "theta_star") -> np.ndarray:
    """Return the true parameter as a finite 1-D float array of length ``n_features``."""
    arr = np.asarray(theta_star, dtype=np.float64)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {arr.shape}.")
    if arr.shape[0] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[0]} entries but X has {n_features} features; "
            "give one coefficient per column of X."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def check_sample_weight(sample_weight, n_samples: int, *, allow_all_zero: bool = False) -> np.ndarray | None:
    """Return non-negative finite weights of shape (n_samples,), or None for unit weights.

    ``allow_all_zero`` accepts a chunk of a stream whose rows all have weight zero.
    """
    if sample_weight is None:
        return None
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must be numeric: {exc}") from exc
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n_samples},): one weight per sample."
        )
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinite values.")
    if np.any(sw < 0):
        raise ValueError(
            "sample_weight has negative entries; weights must be >= 0 "
            "(a weight w counts a row w times)."
        )
    if not allow_all_zero and not np.any(sw > 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sw


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_n_steps_grid(n_steps: Sequence[int] | int, name: str = "n_steps") -> np.ndarray:
    """Return a non-empty, sorted, duplicate-free array of step counts >= 0."""
    values = np.atleast_1d(np.asarray(n_steps, dtype=object))
    if values.size == 0:
        raise ValueError(f"{name} is empty; give at least one step count, e.g. n_steps=(0, 1, 2).")
    steps = sorted({check_n_steps(v, name) for v in values.tolist()})
    return np.asarray(steps, dtype=int)
