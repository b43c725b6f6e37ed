"""The constraints the diffusion estimators' parameter tables are written in (see ``_validation``)."""

from __future__ import annotations

import numbers

from .._torch import resolve_device, resolve_dtype
from .._validation import Boolean, Converter, Interval, RandomState

POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(numbers.Real, 0, None)
FRACTION = Interval(numbers.Real, 0, 1)
COUNT = Interval(numbers.Integral, 1, None)  # an integer >= 1
NON_NEGATIVE_INT = Interval(numbers.Integral, 0, None)
BOOLEAN = Boolean()
SEED = RandomState()

#: Where and how every diffusion estimator runs: device, precision, seed and progress bar.
TORCH_RUNTIME = {
    "device": [Converter(lambda value, _: resolve_device(value), "'cpu', 'cuda' or 'cuda:<i>'")],
    "dtype": [Converter(lambda value, _: resolve_dtype(value), "'float64' or 'float32'")],
    "random_state": [SEED],
    "verbose": [BOOLEAN],
}
