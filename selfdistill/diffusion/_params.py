"""Parameter checks for the diffusion estimators (ValueErrors that say what to pass instead)."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_positive_int

__all__ = [
    "check_bool",
    "check_choice",
    "check_fraction",
    "check_hidden",
    "check_nonnegative_int",
    "check_nonnegative_real",
    "check_positive_int",
    "check_positive_real",
]


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_positive_real(value, name: str) -> float:
    if not _is_real(value) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def check_nonnegative_real(value, name: str) -> float:
    if not _is_real(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return float(value)


def check_fraction(value, name: str) -> float:
    if not _is_real(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")
    return float(value)


def check_nonnegative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}.")
    return int(value)


def check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_choice(value, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value


def check_hidden(hidden, name: str = "hidden") -> tuple[int, ...]:
    """Hidden-layer widths: a non-empty sequence of positive integers."""
    try:
        widths = tuple(hidden)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of layer widths such as (128, 128, 128), got {hidden!r}."
        ) from None
    if not widths:
        raise ValueError(f"{name} must contain at least one hidden layer width, got {hidden!r}.")
    return tuple(check_positive_int(w, f"{name}[{i}]") for i, w in enumerate(widths))
