"""Train/validation/test splits (standardise afterwards with ``StandardScaler`` fitted on the training part)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._validation import Boolean, Converter, check_generator_seed, validate_params


def _check_fractions(fractions, name: str = "fractions") -> tuple[float, float, float]:
    """Three finite fractions >= 0 that sum to 1 (train, validation, test)."""
    try:
        values = [float(f) for f in fractions]
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be three numbers (train, validation, test), got {fractions!r}."
        ) from exc
    if len(values) != 3 or not all(np.isfinite(values)) or min(values) < 0:
        raise ValueError(
            f"{name} must be three finite numbers >= 0 (train, validation, test), "
            f"got {fractions!r}."
        )
    if abs(sum(values) - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1, got {fractions!r} (sum {sum(values)!r}).")
    return tuple(values)


@validate_params(
    {
        "fractions": [Converter(_check_fractions, "three fractions summing to 1")],
        "random_state": [Converter(check_generator_seed, "a seed of numpy.random.default_rng")],
        "shuffle": [Boolean()],
    }
)
def train_val_test_split(X, y, fractions=(0.3, 0.3, 0.4), random_state=None, shuffle=True):
    """Split ``(X, y)`` into training, validation and test parts.

    The paper's protocol (Pareek, Du & Oh 2024, Section 5) is a 30/30/40 train/validation/test
    split; the seed or seeds it used are not stated (an open item, see Theory §4.2).

    Sizes: ``n_train = floor(f_train * n)``, ``n_val = floor(f_val * n)`` (products within 1e-9 of
    an integer count as that integer, against float round-off), and the test part gets the
    remaining ``n - n_train - n_val`` rows. A part with a positive fraction that would be empty
    raises ``ValueError``. With ``shuffle=True`` the parts are consecutive
    blocks of one random permutation of the rows (so they are disjoint and cover every row);
    with ``shuffle=False`` they are consecutive blocks of the rows in order (a sequential split,
    e.g. the 70 % sequential split Dang, Patil & Rinaldo use on the Air Quality time series).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Features. A DataFrame keeps its columns and index.
    y : Series or array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets; a Series keeps its index.
    fractions : tuple of three floats, default=(0.3, 0.3, 0.4)
        ``(f_train, f_val, f_test)``: non-negative, summing to 1, with ``f_train > 0`` and
        ``f_test > 0``. ``f_val = 0`` gives an empty validation part.
    random_state : int, numpy Generator or None, default=None
        Seed of ``numpy.random.default_rng`` for the permutation; ignored when ``shuffle=False``.
    shuffle : bool, default=True
        Permute the rows before cutting the blocks.

    Returns
    -------
    X_train, X_val, X_test, y_train, y_val, y_test
        The six parts, in the order of sklearn's ``train_test_split`` (all X parts, then all y
        parts), with the input's types.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    >>> parts = train_val_test_split(X, y, random_state=0)
    >>> [len(p) for p in parts]
    [3, 3, 4, 3, 3, 4]
    """
    n_samples = _n_rows(X, "X")
    if _n_rows(y, "y") != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {_n_rows(y, 'y')}; give one target per row of X."
        )
    n_train, n_val = _split_sizes(fractions, n_samples)
    if shuffle:
        order = random_state.permutation(n_samples)
    else:
        order = np.arange(n_samples)
    blocks = np.split(order, [n_train, n_train + n_val])
    return tuple(_take(X, b) for b in blocks) + tuple(_take(y, b) for b in blocks)


def _split_sizes(fractions, n_samples: int) -> tuple[int, int]:
    f_train, f_val, f_test = fractions
    # Round f * n to 9 decimals before flooring, so that 0.29 * 100 = 28.999999999999996 gives 29.
    n_train = math.floor(round(f_train * n_samples, 9))
    n_val = math.floor(round(f_val * n_samples, 9))
    n_test = n_samples - n_train - n_val
    for label, fraction, size in (("train", f_train, n_train), ("test", f_test, n_test)):
        if size < 1:
            raise ValueError(
                f"the {label} part would be empty ({fraction} of {n_samples} rows); "
                "use more rows or a larger fraction."
            )
    if f_val > 0 and n_val < 1:
        raise ValueError(
            f"the validation part would be empty ({f_val} of {n_samples} rows); "
            "use more rows, a larger fraction, or f_val = 0."
        )
    return n_train, n_val


def _n_rows(data, name: str) -> int:
    shape = np.shape(data)
    if len(shape) not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {shape}.")
    return int(shape[0])


def _take(data, rows: np.ndarray):
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[rows]
    return np.asarray(data)[rows]
