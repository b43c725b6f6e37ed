"""The constraints the diffusion estimators' parameter tables are written in (see ``_validation``).

The intervals are the package's shared ones; ``COUNT`` (an integer >= 1) is ``POSITIVE_INT``.
"""

from __future__ import annotations

from .. import _validation as checks
from .._torch import resolve_device, resolve_dtype

POSITIVE, NON_NEGATIVE, FRACTION = checks.POSITIVE, checks.NON_NEGATIVE, checks.FRACTION
COUNT, NON_NEGATIVE_INT = checks.POSITIVE_INT, checks.NON_NEGATIVE_INT  # COUNT: an integer >= 1
BOOLEAN = checks.Boolean()
SEED = checks.RandomState()

#: Where and how every diffusion estimator runs: device, precision, seed and progress bar.
TORCH_RUNTIME = {
    "device": [checks.Converter(lambda value, _: resolve_device(value), "'cpu', 'cuda' or 'cuda:<i>'")],
    "dtype": [checks.Converter(lambda value, _: resolve_dtype(value), "'float64' or 'float32'")],
    "random_state": [SEED],
    "verbose": [BOOLEAN],
}
