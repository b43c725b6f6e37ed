"""Stage 0 of the tuning pipeline: check the estimators' parameters and data before any work.

The parameters are declared in constraint tables (:mod:`selfdistill._validation`), checked once
at the start of ``fit``. Everything here raises a ``ValueError`` that names the problem and the fix, *before* a
decomposition is computed (a bad ``n_steps`` must not cost a 95-second eigendecomposition first).
"""

from __future__ import annotations

import numbers
import threading
from dataclasses import dataclass
from types import GeneratorType

import numpy as np
from sklearn.model_selection import check_cv, train_test_split
from sklearn.utils import assert_all_finite, check_random_state, get_tags
from sklearn.utils.validation import validate_data

from . import _validation as rules  # the constraint types of the tables below
from ._validation import (
    check_alpha_grid,
    check_finite_vector,
    check_magnitude,
    check_n_steps_grid,
    check_noise_var,
    check_sample_weight,
)

#: Tuning criteria of the CV estimators; ``crossfit`` is the honest default.
TUNING_METHODS = ("crossfit", "gcv", "loo", "cp", "validation")
ONE_SHOT_METHODS = ("ridge_path", "gcv_paper")
#: Largest k the CV estimators tune. The criteria work in polynomial bases of degree k (factorials
#: up to k!, powers up to alpha^k); beyond ~30 steps their least-squares problems are so
#: ill-conditioned in float64 that no selected xi could be realised accurately, and at k = 171 the
#: factorials overflow. Fixed-xi SelfDistilledRidge / SelfDistilledKernelRidge support any k.
MAX_TUNED_STEPS = 30


#: Constraint tables (:mod:`selfdistill._validation`), one entry per ``__init__`` parameter; the
#: estimators compose theirs from these.
FIXED_XI_PARAMS = {
    "alpha": [rules.POSITIVE],
    "xi": [rules.Converter(check_finite_vector, "a number or a 1-D sequence of finite numbers (one per step)")],
}
TUNING_PARAMS = {
    "alphas": [rules.Converter(check_alpha_grid, "a non-empty 1-D sequence of finite penalties > 0")],
    "n_steps": [rules.Converter(check_n_steps_grid, "a non-empty sequence of step counts >= 0")],
    "tuning": [rules.Options(*TUNING_METHODS)],
    "one_shot": [rules.Options(*ONE_SHOT_METHODS)],
    "noise_var": [None, rules.Converter(check_noise_var, "a finite variance >= 0")],
    "validation_fraction": [rules.Interval(numbers.Real, 0, 1, closed="neither")],
    "random_state": [rules.RandomState()],
    # an int means a shuffled KFold (rows of many data sets are ordered)
    "cv": [rules.Interval(numbers.Integral, 2, None), rules.HasMethods("split", "get_n_splits"),
           rules.InstanceOf((list, tuple, GeneratorType), "a list of (train, test) index pairs")],
}
INTERCEPT_PARAMS = {"fit_intercept": [rules.Boolean()]}


@dataclass(frozen=True)
class CVParams:
    """The validated tuning parameters shared by the CV estimators."""

    alphas: np.ndarray
    steps: np.ndarray
    tuning: str
    one_shot: str
    cv: object = 5

    @classmethod
    def of(cls, est) -> CVParams:
        """Check every parameter of a CV estimator against its table (no data needed)."""
        params = est._validate_params()
        steps = params.n_steps
        if steps.max() > MAX_TUNED_STEPS:
            raise ValueError(
                f"{type(est).__name__}: n_steps contains {int(steps.max())}, but the CV estimators "
                f"tune at most {MAX_TUNED_STEPS} steps: the tuning criteria are polynomials of "
                "degree k whose coefficients cannot be solved or realised accurately in float64 for "
                f"larger k. Use n_steps <= {MAX_TUNED_STEPS} (the gain of SD saturates after a few "
                "steps), or the fixed-xi estimators (SelfDistilledRidge / SelfDistilledKernelRidge) "
                "for any k."
            )
        return cls(params.alphas, steps, params.tuning, params.one_shot, params.cv)


_SEEDED = threading.local()


def _random_state(seed) -> np.random.RandomState:
    """``check_random_state(seed)``; an int seed re-seeds a cached RandomState of this thread
    instead of constructing one (the same state as ``RandomState(seed)``; 1.5 us, not 0.1 ms)."""
    if not isinstance(seed, numbers.Integral):
        return check_random_state(seed)
    state = getattr(_SEEDED, "state", None)
    if state is None:
        state = _SEEDED.state = np.random.RandomState()
    state.seed(seed)
    return state


class Folds:
    """The folds of ``tuning="crossfit"``: test rows of each fold, training rows on demand.

    An int ``cv`` is a shuffled ``KFold(cv, shuffle=True, random_state=random_state)``, computed as
    its documentation describes (one permutation of the rows by
    ``check_random_state(random_state).shuffle``, cut into consecutive parts, the first
    ``n % cv`` one row longer; rows ascending within a fold), without building KFold's per-fold masks and training index arrays
    (tests/test_crossfit_fast.py checks the folds equal ``KFold.split``'s). Any other ``cv`` is a
    splitter (or an iterable of (train, test) pairs), split once.
    """

    def __init__(self, cv, random_state, X, y):
        self.n = X.shape[0]
        self._splits = None
        if isinstance(cv, numbers.Integral):
            order = np.arange(self.n)
            _random_state(random_state).shuffle(order)
            sizes = np.full(int(cv), self.n // int(cv))
            sizes[: self.n % int(cv)] += 1
            # rows ascending within a fold, as KFold's (and the gathers read X in order): a fold
            # label per row, then one stable argsort of the labels lists fold 0's rows in order,
            # then fold 1's, ... (numpy radix-sorts labels of up to 16 bits: O(n))
            label = np.empty(self.n, dtype=np.min_scalar_type(int(cv) - 1))
            label[order] = np.repeat(np.arange(int(cv), dtype=label.dtype), sizes)
            by_fold = np.argsort(label, kind="stable")
            bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
            self.tests = [by_fold[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
            self.partition = True
        else:
            self._splits = list(check_cv(cv).split(X, y))
            self.tests = [test for _, test in self._splits]
            self.partition = all(
                np.all(np.bincount(np.concatenate([tr, te]), minlength=self.n) == 1) for tr, te in self._splits
            )

    def splits(self) -> list:
        """``(train, test)`` index arrays of every fold (training rows ascending, as KFold's)."""
        if self._splits is None:
            out = []
            for test in self.tests:
                mask = np.ones(self.n, dtype=bool)
                mask[test] = False
                out.append((np.flatnonzero(mask), test))
            self._splits = out
        return self._splits


class SpectralTagsMixin:
    """scikit-learn tags of the spectral estimators: multi-output targets, sparse X where
    ``_accept_sparse`` says so, pairwise input for ``kernel="precomputed"``.

    Defined here, next to :func:`validate_fit_data`, whose ``validate_data`` reads them: checking
    the data never calls back into the estimator's module (tests/test_module_map.py).
    """

    _accept_sparse = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = bool(self._accept_sparse)
        tags.input_tags.pairwise = getattr(self, "kernel", None) == "precomputed"
        return tags


def check_numeric_y(y) -> None:
    """Refuse non-numeric targets (class labels) with a message instead of a ufunc error."""
    arr = np.asarray(y) if not hasattr(y, "dtype") else y
    kind = getattr(arr, "dtype", np.dtype(float)).kind
    if kind in "USO":
        try:
            np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                "y must be numeric (these are regression estimators), but it contains "
                f"non-numeric values such as {np.asarray(arr).ravel()[:1].tolist()}. Encode the "
                "targets as numbers, or use a classifier for class labels."
            ) from None


def validate_fit_data(est, X, y, sample_weight, ensure_min_samples: int = 1, accept_sparse=False):
    """``validate_data`` for X and a numeric y (1-D or 2-D), magnitude and weight checks."""
    check_numeric_y(y)
    X, y = validate_data(
        est, X, y, dtype=np.float64, multi_output=True, y_numeric=True,
        ensure_min_samples=ensure_min_samples, accept_sparse=accept_sparse, ensure_all_finite=False,
    )
    if not _finite_and_moderate(X):  # sklearn's own finiteness check, for its messages
        assert_all_finite(X, input_name="X", estimator_name=type(est).__name__)
        check_magnitude(X, "X")
    check_magnitude(y, "y")
    return X, y, check_sample_weight(sample_weight, X.shape[0])


def _finite_and_moderate(X) -> bool:
    """True if the dense array X is finite with no entry above 1e150 in magnitude (the bound of
    :func:`~selfdistill._validation.check_magnitude`), shown by one pass: its sum of squares (a
    BLAS dot product) is NaN or inf unless X is finite, and at least 1e300 if an entry exceeds the
    bound (the rounded partial sums of non-negative terms never decrease). False means "not
    shown": sparse or non-contiguous X, or a sum of squares of 1e300 or more; the exact checks
    (sklearn's finiteness check and the magnitude check, a pass each) then decide."""
    if not isinstance(X, np.ndarray) or not (X.flags.c_contiguous or X.flags.f_contiguous):
        return False
    flat = X.ravel(order="K")
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(flat @ flat < 1e300)


@dataclass
class TuningData:
    """The rows the candidates are fitted on, and the held-out part under ``validation``."""

    X: np.ndarray
    y: np.ndarray
    sw: np.ndarray | None
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    sw_val: np.ndarray | None = None


def split_for_tuning(est, X, y, sw, X_val, y_val) -> TuningData:
    """Check the sample count and, under ``tuning="validation"``, split or validate held-out data."""
    owner = type(est).__name__
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither.")
    if X_val is not None and est.tuning != "validation":
        raise ValueError(f"X_val/y_val are only used with tuning='validation', not {est.tuning!r}.")
    minimum = 2 * int(est.cv) if est.tuning == "crossfit" and isinstance(est.cv, numbers.Integral) else 2
    if X.shape[0] < 2:
        raise ValueError(
            f"{owner} needs at least 2 samples to tune, got {X.shape[0]} sample (n_samples = 1)."
        )
    if X.shape[0] < minimum:
        raise ValueError(
            f"{owner}(tuning='crossfit', cv={est.cv}) needs at least {minimum} samples (two per "
            f"fold), got {X.shape[0]}; use fewer folds (cv=2) or tuning='loo'."
        )
    if est.tuning != "validation":
        return TuningData(X, y, sw)
    if X_val is None:
        parts = train_test_split(
            X, y, *(() if sw is None else (sw,)),
            test_size=est.validation_fraction, random_state=est.random_state,
        )
        X_tr, X_va, y_tr, y_va = parts[:4]
        sw_tr, sw_va = (parts[4], parts[5]) if sw is not None else (None, None)
        return TuningData(X_tr, y_tr, sw_tr, X_va, y_va, sw_va)
    # X_val may be sparse where X may (issue 13: the linear estimators)
    sparse = ("csr", "csc") if get_tags(est).input_tags.sparse else False
    X_val = validate_data(est, X_val, reset=False, dtype=np.float64, accept_sparse=sparse)
    check_numeric_y(y_val)
    y_val = np.asarray(y_val, dtype=np.float64)
    if y_val.shape[0] != X_val.shape[0] or y_val.ndim != y.ndim:
        raise ValueError(f"y_val must have shape {(X_val.shape[0],) + y.shape[1:]}, got {y_val.shape}.")
    if not np.all(np.isfinite(y_val)):
        raise ValueError("Input y_val contains NaN or infinity.")
    return TuningData(X, y, sw, X_val, y_val, None)
