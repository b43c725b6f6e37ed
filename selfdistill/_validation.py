"""The one parameter-validation mechanism of the package, and the input checks it is built from.

Every public estimator declares its hyper-parameters in one table, checked once at the start of
``fit`` (the shape of scikit-learn's ``_parameter_constraints`` convention, written here on public
Python only)::

    class SelfDistilledRidge(ValidatedParamsMixin, RegressorMixin, BaseEstimator):
        _parameter_constraints = {
            "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
            "xi": [Converter(check_finite_vector, "a number or a 1-D sequence of numbers")],
            "fit_intercept": [Boolean()],
        }

        def fit(self, X, y):
            params = self._validate_params()    # a namespace of converted values
            ...

and every public function with hyper-parameters declares the same kind of table with the
:func:`validate_params` decorator. A table maps each parameter to a list of constraints; the value
is accepted by the first constraint that accepts it and replaced by that constraint's conversion
(e.g. a grid becomes a float array). When none accepts it, a ``ValueError`` names the owner, the
parameter, what it must be and what it got. Arrays (``X``, ``y``, weights) are checked with
scikit-learn's public ``check_array`` / ``validate_data`` so that messages match the ones sklearn
users know ("Input X contains NaN."); the ``check_*`` functions below are the converters the tables
use for values with more structure than a number in an interval.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_array

__all__ = [
    "Boolean",
    "Converter",
    "HasMethods",
    "InstanceOf",
    "Interval",
    "Options",
    "FRACTION",
    "NON_NEGATIVE",
    "NON_NEGATIVE_INT",
    "POSITIVE",
    "POSITIVE_INT",
    "RandomState",
    "Required",
    "ValidatedParamsMixin",
    "check_params",
    "validate_params",
]


# --------------------------------------------------------------------------- the mechanism


class _Rejected(Exception):
    """A constraint's refusal; ``message`` is a full sentence when the constraint knows best."""

    def __init__(self, message: str | None = None):
        super().__init__(message)
        self.message = message


class Interval:
    """A real or integral number in an interval; bools and non-finite numbers are refused.

    ``closed`` is "both", "left", "right" or "neither"; ``None`` bounds are unbounded.
    Integral values given as integral floats (``2.0``) are accepted and returned as ``int``.
    """

    def __init__(self, kind, low=None, high=None, *, closed: str = "both"):
        if kind not in (numbers.Real, numbers.Integral):
            raise TypeError("Interval kind must be numbers.Real or numbers.Integral.")
        if closed not in ("both", "left", "right", "neither"):
            raise TypeError(f"closed must be 'both', 'left', 'right' or 'neither', got {closed!r}.")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    @property
    def description(self) -> str:
        noun = "an integer" if self.kind is numbers.Integral else "a finite number"
        lo_closed = self.closed in ("both", "left")
        hi_closed = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            left, right = "[" if lo_closed else "(", "]" if hi_closed else ")"
            return f"{noun} in {left}{self.low}, {self.high}{right}"
        if self.low is not None:
            return f"{noun} {'>=' if lo_closed else '>'} {self.low}"
        if self.high is not None:
            return f"{noun} {'<=' if hi_closed else '<'} {self.high}"
        return noun

    def __call__(self, value, name: str):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise _Rejected
        if self.kind is numbers.Integral:
            if not isinstance(value, numbers.Integral):
                if not (np.isfinite(value) and float(value).is_integer()):
                    raise _Rejected
            value = int(value)
        else:
            value = float(value)
            if not np.isfinite(value):
                raise _Rejected
        if self.low is not None and (value < self.low or (value == self.low and self.closed in ("right", "neither"))):
            raise _Rejected
        if self.high is not None and (value > self.high or (value == self.high and self.closed in ("left", "neither"))):
            raise _Rejected
        return value


class Options:
    """One of a fixed set of values (usually strings)."""

    def __init__(self, *values):
        self.values = values

    @property
    def description(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def __call__(self, value, name: str):
        if isinstance(value, Sequence) and not isinstance(value, str) or isinstance(value, np.ndarray):
            raise _Rejected  # unhashable or ambiguous; never an option
        if value not in self.values:
            raise _Rejected
        return value


class Boolean:
    """``True`` or ``False`` (numpy bools included)."""

    description = "True or False"

    def __call__(self, value, name: str):
        if not isinstance(value, (bool, np.bool_)):
            raise _Rejected
        return bool(value)


class InstanceOf:
    """An instance of the given type(s), returned unchanged."""

    def __init__(self, types, description: str):
        self.types, self.description = types, description

    def __call__(self, value, name: str):
        if not isinstance(value, self.types):
            raise _Rejected
        return value


class HasMethods:
    """An object with the given methods (e.g. an estimator with ``fit`` and ``predict``)."""

    def __init__(self, *methods: str):
        self.methods = methods

    @property
    def description(self) -> str:
        return "an object with method(s) " + ", ".join(f"{m}()" for m in self.methods)

    def __call__(self, value, name: str):
        if isinstance(value, type) or not all(callable(getattr(value, m, None)) for m in self.methods):
            raise _Rejected
        return value


class RandomState:
    """``None``, an int seed, a ``numpy.random.RandomState`` or a ``numpy.random.Generator``."""

    description = "None, an int seed, a numpy RandomState or a numpy Generator"

    def __call__(self, value, name: str):
        if value is None or isinstance(value, (np.random.RandomState, np.random.Generator)):
            return value
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        raise _Rejected


class Converter:
    """A converter function ``func(value, name) -> value`` that raises ``ValueError`` itself.

    Its own message is kept when it is the parameter's only constraint (it knows best what is
    wrong, e.g. "alphas is empty; give at least one positive penalty").
    """

    def __init__(self, func: Callable[[Any, str], Any], description: str):
        self.func, self.description = func, description

    def __call__(self, value, name: str):
        try:
            return self.func(value, name)
        except (TypeError, ValueError) as exc:
            raise _Rejected(str(exc)) from None


class Required:
    """``constraint`` for a parameter whose default None only marks it as not given.

    Used where a required argument must follow optional ones (the theory functions take
    ``alpha`` after ``theta_star`` and ``noise_var``, which a ``FixedDesignProblem`` leaves out):
    a None gets ``hint``, which says how to pass the argument.
    """

    def __init__(self, constraint, hint: str):
        self.constraint, self.hint = constraint, hint

    @property
    def description(self) -> str:
        return self.constraint.description

    def __call__(self, value, name: str):
        if value is None:
            raise _Rejected(f"{name} is missing. {self.hint}")
        return self.constraint(value, name)


def _describe(constraint) -> str:
    return "None" if constraint is None else constraint.description


def _check_one(owner: str, name: str, value, constraints):
    messages = []
    for constraint in constraints:
        if constraint is None:
            if value is None:
                return None
            continue
        try:
            return constraint(value, name)
        except _Rejected as rejected:
            messages.append(rejected.message)
    # One constraint (None aside) that knows what is wrong: its own sentence says it best.
    if len([c for c in constraints if c is not None]) == 1 and messages and messages[0]:
        raise ValueError(f"{owner}: {messages[0]}")
    allowed = " or ".join(_describe(c) for c in constraints)
    raise ValueError(f"{owner}: {name} must be {allowed}, got {value!r}.")


def check_params(values: Mapping[str, Any], constraints: Mapping[str, list], owner: str) -> dict[str, Any]:
    """Check ``values`` against a constraint table; return the converted values.

    Every key of ``values`` must have an entry in ``constraints`` (a forgotten entry is a bug of
    the owner, reported as such), and vice versa.
    """
    missing = set(values) ^ set(constraints)
    if missing:
        raise RuntimeError(f"{owner}: the constraint table and the parameters differ in {sorted(missing)}.")
    return {name: _check_one(owner, name, value, constraints[name]) for name, value in values.items()}


#: Parameter names of each estimator class (``get_params(deep=False)``'s keys), read once.
_PARAM_NAMES: dict[type, tuple[str, ...]] = {}


class ValidatedParamsMixin:
    """Estimators declare ``_parameter_constraints`` and call ``self._validate_params()`` in ``fit``."""

    _parameter_constraints: ClassVar[dict[str, list]] = {}

    def _validate_params(self) -> SimpleNamespace:
        # the parameter names of a class never change: ``get_params`` reads them from the
        # signature of ``__init__`` on every call (~0.1 ms), so once per class is enough
        names = _PARAM_NAMES.get(type(self))
        if names is None:
            names = _PARAM_NAMES[type(self)] = tuple(self.get_params(deep=False))
        params = {name: getattr(self, name) for name in names}
        return SimpleNamespace(**check_params(params, self._parameter_constraints, type(self).__name__))

    # --- helper s9 (issue 16): one __init__ body for estimators with many parameters
    def _store_params(self, values: Mapping[str, Any]) -> None:
        """``__init__``: store every parameter unchanged; call as ``self._store_params(locals())``."""
        for name, value in values.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)


def validate_params(constraints: Mapping[str, list], *more: Mapping[str, list]):
    """Decorator: check the named arguments of a function against ``constraints`` on every call.

    Arguments not named in the table (arrays, problems) are passed through unchanged; the checked
    ones are passed on converted. The table is kept as ``func.__parameter_constraints__``.
    Several tables (``validate_params(ALPHA, KIND, {"warn": [Boolean()]})``) are merged, so that
    modules can share table fragments (written as separate arguments: Sphinx's source parser
    cannot read ``{**a, **b}`` in a decorator).
    """
    constraints = {name: rules for table in (constraints, *more) for name, rules in table.items()}

    def decorator(func):
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{func.__name__} has no parameter(s) {sorted(unknown)}.")

        # Methods are named with their class ("RandomDesignSD.ridge"; a constructor by its class
        # alone), functions defined inside functions by their own name.
        qualname = func.__qualname__.removesuffix(".__init__")
        owner = func.__name__ if "<locals>" in qualname else qualname

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            checked = check_params(
                {name: bound.arguments[name] for name in constraints}, constraints, owner
            )
            bound.arguments.update(checked)
            return func(*bound.args, **bound.kwargs)

        wrapper.__parameter_constraints__ = constraints
        return wrapper

    return decorator


# --------------------------------------------------------------------------- shared constraints
# The intervals most tables use, defined once.
POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(numbers.Real, 0, None)
FRACTION = Interval(numbers.Real, 0, 1)
POSITIVE_INT = Interval(numbers.Integral, 1, None)
NON_NEGATIVE_INT = Interval(numbers.Integral, 0, None)


# --------------------------------------------------------------------------- converters and array checks


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
    if np.ndim(alphas) > 1:
        raise ValueError(f"{name} must be a 1-D sequence of positive numbers, got shape {np.shape(alphas)}.")
    return check_penalties(alphas, name).reshape(-1)


def check_penalties(lam, name: str = "lam") -> np.ndarray:
    """Return penalties as a non-empty float array of any shape, every entry finite and > 0."""
    try:
        arr = np.asarray(lam, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a positive number or an array of them, got {lam!r}.") from err
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one positive penalty, e.g. {name}=(0.1, 1, 10).")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; pass finite penalties > 0.")
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got a smallest value of {arr.min():.3g}.")
    return arr


def check_noise_var(noise_var, name: str = "noise_var") -> float:
    """Return the noise variance gamma^2 as a finite float >= 0."""
    if isinstance(noise_var, bool) or not isinstance(noise_var, numbers.Real):
        raise ValueError(f"{name} must be a real number >= 0 (a variance), got {noise_var!r}.")
    noise_var = float(noise_var)
    if not np.isfinite(noise_var) or noise_var < 0:
        raise ValueError(f"{name} must be a finite variance >= 0, got {noise_var!r}.")
    return noise_var


def check_finite_vector(values, name: str = "xi") -> np.ndarray:
    """Return a number or a sequence of numbers as a finite 1-D float array (length >= 0).

    Used for every per-step vector (``xi``, ``xibar``, ridge-path weights ``w``; a scalar means
    one step) and for grids of xi. Values outside [0, 1] are legitimate and never clipped.
    """
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a number or a sequence of numbers, got {values!r}.")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or a sequence of numbers, got {values!r}.") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per distillation step), got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}.")
    return arr


#: The old name of :func:`check_finite_vector`, kept only until its last callers outside the core
#: (wrapper.py, sdrn/_distill.py, _cv_params.py) are renamed at merge time.
check_xi = check_finite_vector


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


def check_coordinates(values, size: int, name: str, per: str) -> np.ndarray:
    """Return a finite 1-D float vector with one entry per ``per`` (``size`` of them).

    For the coordinates of a signal in an eigenbasis (one per singular value or eigenvalue).
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (size,):
        raise ValueError(
            f"{name} has shape {arr.shape} but there are {size} {per}s; give one coordinate per {per}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def check_n_steps_grid(n_steps: Sequence[int] | int, name: str = "n_steps") -> np.ndarray:
    """Return a non-empty, sorted, duplicate-free array of step counts >= 0."""
    values = np.atleast_1d(np.asarray(n_steps, dtype=object))
    if values.size == 0:
        raise ValueError(f"{name} is empty; give at least one step count, e.g. n_steps=(0, 1, 2).")
    steps = sorted({check_n_steps(v, name) for v in values.tolist()})
    return np.asarray(steps, dtype=int)


# --------------------------------------------------------------------------- seeds of numpy Generators
# (for tables of functions that draw with numpy.random.default_rng: Converter(check_generator_seed, ...))


def check_generator_seed(seed, name: str = "random_state") -> np.random.Generator:
    """Return ``numpy.random.default_rng(seed)``: None, an int >= 0, a Generator (returned as is), ..."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a seed of numpy.random.default_rng (None, an int >= 0, a Generator), "
            f"got {seed!r} ({exc})."
        ) from None
