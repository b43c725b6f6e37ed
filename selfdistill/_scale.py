"""Estimator hook for data that do not sit in one dense array: dask, scipy.sparse and streams.

The linear estimators fit from a spectral decomposition of the (centred, weighted) design (a
:class:`~selfdistill._problems.LinearProblem`, stage 1 of the tuning pipeline); for every tuning
criterion except leave-one-out and cross-fitting, that decomposition and the criterion's inputs
are functions of sufficient statistics (:mod:`selfdistill._statistics`). This module builds the
spectral problem from input of any supported kind, so the estimators only have to ask:

* :func:`sparse_problem` -- in-memory scipy.sparse rows: ``eigh`` of their statistics, X never
  densified; the rows stay at hand, so every tuning mode (the cross-fitted default and LOO
  included) runs the in-memory pipeline on them, with the same folds and splits as dense X;
* :func:`uses_statistics` -- does this input take the statistics route (a dask collection)?
* :func:`fixed_problem` / :func:`fixed_partial_problem` -- the problem for fixed (alpha, xi);
* :func:`tuning_problem` / :func:`tuning_partial_problem` -- the problem, with the held-out part
  of ``tuning="validation"`` attached, for the CV estimator;
* :func:`predict` -- dask-aware prediction.

The estimator then tunes and realises the model from the problem exactly as on the in-memory
route. The accumulated statistics are kept in the fitted attribute ``statistics_`` (a
:class:`~selfdistill._statistics.GroupedStatistics`) so that ``partial_fit`` can continue them.

On the statistics route, rows are split for ``tuning="validation"`` by a hash of their position
(see :mod:`selfdistill._statistics`), not by ``train_test_split``. Leave-one-out needs every row's
leverage, and the cross-fitted default needs every row's held-out error (its one-standard-error
rule) and leverage (RidgeCV's leave-one-out alpha for k = 0): statistics carry neither, so both are
refused there with a message that names the modes that work.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._dask import is_dask_collection
from ._problems import LinearProblem
from ._spectral import SpectralDesign, SufficientStatistics
from ._statistics import GroupedStatistics, RowSplit, chunk_statistics, validation_view
from ._validation import check_sample_weight

#: What each tuning mode needs beyond sufficient statistics (the statistics route refuses it).
ROW_LEVEL_NEEDS = {
    "loo": "the leverage of every row",
    "crossfit": (
        "every row's held-out error (its one-standard-error rule) and leverage (the ridge alpha is "
        "RidgeCV's exact leave-one-out choice)"
    ),
}
REFUSAL = (
    "tuning={tuning!r} needs {needs}, which sufficient statistics do not carry, so it is not "
    "available for {what}. Use tuning='gcv', 'cp' or 'validation' (all computed exactly from the "
    "statistics), or fit an in-memory (dense or scipy.sparse) array."
)


def refuse_row_level_tuning(tuning: str, what: str) -> None:
    """NotImplementedError for a tuning mode that sufficient statistics cannot serve."""
    if tuning in ROW_LEVEL_NEEDS:
        raise NotImplementedError(REFUSAL.format(tuning=tuning, needs=ROW_LEVEL_NEEDS[tuning], what=what))


def uses_statistics(X) -> bool:
    """True when ``fit`` must take the statistics route (a dask collection).

    scipy.sparse input is in memory: it takes the in-memory route with :func:`sparse_problem`.
    """
    return is_dask_collection(X)


def sparse_problem(X, y, sw, fit_intercept: bool, keep_left: bool = False) -> LinearProblem:
    """The spectral problem of validated in-memory scipy.sparse rows, X never densified.

    ``eigh`` of the rows' sufficient statistics (tiny directions measured on X itself); with
    ``keep_left`` also the left singular vectors ``U = W^{1/2} (X - 1 x_offset^T) V / s`` (dense,
    n x r, as large as a dense X when r = d; leave-one-out and the cross-fitted default's ridge
    alpha need them).
    """
    n = X.shape[0]
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    stats = SufficientStatistics(X.shape[1], Y.shape[1]).update(X, Y, sw)
    design = _decompose(stats, fit_intercept, (X, Y, sw))
    root_w = None
    if keep_left:
        root_w = np.ones(n) if sw is None else np.sqrt(sw)
        XV = np.asarray(X @ design.components) - design.x_offset @ design.components
        design.left = XV * root_w[:, None] / design.singular_values
    return LinearProblem(design, fit_intercept, stats.weight_sum, root_w, np.ndim(y), Y if keep_left else None)


def split_seed(random_state) -> int:
    """An integer seed for the hash split (drawn once from a RandomState or None)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


# ----------------------------------------------------------------------------- statistics
def _in_memory(est, X, y, sample_weight, *, reset: bool):
    X, y = validate_data(
        est, X, y, reset=reset, accept_sparse=("csr", "csc"), dtype=np.float64,
        multi_output=True, y_numeric=True, ensure_min_samples=1,
    )
    return X, y, check_sample_weight(sample_weight, X.shape[0])


def _dask_jobs(est, jobs, *, reset: bool, start: int = 0) -> list[GroupedStatistics]:
    """Grouped statistics of several dask inputs ``(X, y, sample_weight, split)``, one compute.

    ``start``: position of the first job's first row (a dask chunk of a ``partial_fit`` stream).
    """
    from . import _dask

    prepared = []
    for i, (X, y, sample_weight, split) in enumerate(jobs):
        lengths = split.n_groups > 1 or not is_dask_collection(y) or (
            sample_weight is not None and not is_dask_collection(sample_weight)
        )
        names = _dask.feature_names(X)
        Xa = _dask.as_dask_array(X, lengths=lengths, name="X")
        if Xa.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {Xa.shape}.")
        _check_features(est, Xa.shape[1], names, reset=reset and i == 0)

        ya = _aligned(y, Xa, lengths, "y")
        wa = _aligned(sample_weight, Xa, lengths, "sample_weight")
        if wa is not None and wa.ndim != 1:
            raise ValueError(f"sample_weight must be 1-D, got shape {wa.shape}.")
        n_targets = 1 if ya.ndim == 1 else int(ya.shape[1])
        prepared.append((Xa, ya, wa, split, n_targets, ya.ndim, start if i == 0 else 0))
    return _dask.reduce_statistics(prepared)


def _aligned(obj, Xa, lengths: bool, name: str):
    """y or sample_weight as a dask array (an in-memory one is cut into X's row blocks)."""
    import dask.array as da

    from . import _dask

    if obj is None:
        return None
    if is_dask_collection(obj):
        return _dask.as_dask_array(obj, lengths=lengths, name=name)
    arr = np.asarray(obj, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"{name} has shape {arr.shape} but X has {Xa.shape[0]} rows; pass one entry per row."
        )
    return da.from_array(arr, chunks=(Xa.chunks[0],) + arr.shape[1:])


def _check_features(est, n_features: int, names, *, reset: bool) -> None:
    """``n_features_in_`` / ``feature_names_in_`` for input that ``validate_data`` cannot see."""
    if reset:
        est.n_features_in_ = int(n_features)
        if names is not None:
            est.feature_names_in_ = names
        elif hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
        return
    if n_features != est.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )
    fitted_names = getattr(est, "feature_names_in_", None)
    if fitted_names is not None and names is not None and list(names) != list(fitted_names):
        raise ValueError("The feature names should match those that were passed during fit.")


def _statistics(est, X, y, sample_weight, split, *, reset: bool, start: int = 0, stream=False):
    """Grouped statistics of one input of any kind.

    In a stream (``partial_fit``) a later chunk may be empty (a no-op); the first may not.
    """
    if is_dask_collection(X):
        return _dask_jobs(est, [(X, y, sample_weight, split)], reset=reset, start=start)[0]
    if stream and not reset and np.shape(X)[0] == 0:  # validate_data refuses an empty y
        X = validate_data(est, X, reset=False, accept_sparse=("csr", "csc"), ensure_min_samples=0)
        empty = GroupedStatistics.empty(split, X.shape[1], est.statistics_.n_targets, est.statistics_.y_ndim)
        empty.n_rows = start
        return empty
    X, y, sw = _in_memory(est, X, y, sample_weight, reset=reset)
    n = X.shape[0]
    Y = y.reshape(n, -1)
    return chunk_statistics(X, Y, sw, start, split, X.shape[1], Y.shape[1], y.ndim)


def _decompose(stats: SufficientStatistics, fit_intercept: bool, rows=None) -> SpectralDesign:
    """``eigh`` of the statistics; with in-memory rows, tiny directions are measured on X itself."""
    norms = None
    if rows is not None:
        X, _, sw = rows
        offset = stats.x_mean if fit_intercept else np.zeros(stats.n_features)
        root_w = None if sw is None else np.sqrt(sw)[:, None]

        def norms(V):
            XV = np.asarray(X @ V) - offset @ V
            return np.sum((XV if root_w is None else XV * root_w) ** 2, axis=0)

    return SpectralDesign.from_stats(stats, center=fit_intercept, design_norms=norms)


# ----------------------------------------------------------------------------- fixed (alpha, xi)
def _fixed(est, stats: GroupedStatistics) -> LinearProblem:
    design = _decompose(stats.training(), est.fit_intercept)
    return LinearProblem.from_design(design, est.fit_intercept, stats.y_ndim)


def fixed_problem(est, X, y, sample_weight) -> LinearProblem:
    """The spectral problem of ``SelfDistilledRidge.fit`` on dask input."""
    est.statistics_ = _statistics(est, X, y, sample_weight, RowSplit(), reset=True)
    return _fixed(est, est.statistics_)


def fixed_partial_problem(est, X, y, sample_weight) -> LinearProblem:
    """The spectral problem after adding one chunk to ``est.statistics_`` (``partial_fit``)."""
    return _fixed(est, _accumulate(est, X, y, sample_weight, lambda: RowSplit()))


def _accumulate(est, X, y, sample_weight, make_split) -> GroupedStatistics:
    state = getattr(est, "statistics_", None)
    if state is None and hasattr(est, "n_features_in_"):
        warnings.warn(
            f"{type(est).__name__}.partial_fit after fit() on an in-memory array: fit() keeps no "
            "statistics, so this call starts a new stream from this chunk. Call partial_fit on "
            "every chunk to accumulate them.",
            UserWarning,
            stacklevel=3,
        )
    first = state is None
    split = make_split() if first else state.split
    chunk = _statistics(
        est, X, y, sample_weight, split, reset=first, start=0 if first else state.n_rows,
        stream=True,
    )
    if first:
        est.statistics_ = chunk
        return chunk
    if chunk.y_ndim != state.y_ndim:
        raise ValueError(
            f"y has {chunk.y_ndim} dimension(s) in this chunk but {state.y_ndim} in earlier ones; "
            "pass y with the same shape convention in every call."
        )
    return state.merge(chunk)  # merging a complete chunk keeps a failed chunk from half-counting


# ----------------------------------------------------------------------------- tuned estimator
def tuning_problem(est, X, y, sample_weight, X_val=None, y_val=None) -> LinearProblem:
    """The spectral problem of ``SelfDistilledRidgeCV.fit`` on dask input (validation attached)."""
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither.")
    if X_val is not None and est.tuning != "validation":
        raise ValueError(f"X_val/y_val are only used with tuning='validation', not {est.tuning!r}.")
    refuse_row_level_tuning(est.tuning, "dask input")
    internal = est.tuning == "validation" and X_val is None
    split = RowSplit.validation(est.validation_fraction, split_seed(est.random_state)) if internal else RowSplit()
    jobs = [(X, y, sample_weight, split)]
    if is_dask_collection(X_val):  # training and validation statistics in one compute
        jobs.append((X_val, y_val, None, RowSplit()))
    stats, *val_part = _dask_jobs(est, jobs, reset=True)
    if X_val is not None and not val_part:
        val_part = [_statistics(est, X_val, y_val, None, RowSplit(), reset=False)]
    est.statistics_ = stats
    val = stats.validation() if internal else (val_part[0].total() if val_part else None)
    return _tuning_problem(est, stats, stats.training(), val)


def partial_fit_available(est) -> bool:
    """For ``sklearn.utils.metaestimators.available_if``: no ``partial_fit`` under LOO or crossfit."""
    try:
        refuse_row_level_tuning(est.tuning, "partial_fit")
    except NotImplementedError as exc:
        raise AttributeError(str(exc)) from exc
    return True


def tuning_partial_problem(est, X, y, sample_weight) -> LinearProblem:
    """The spectral problem after adding one chunk (``SelfDistilledRidgeCV.partial_fit``)."""
    partial_fit_available(est)

    def make_split():
        if est.tuning == "validation":
            return RowSplit.validation(est.validation_fraction, split_seed(est.random_state))
        return RowSplit()

    stats = _accumulate(est, X, y, sample_weight, make_split)
    val = stats.validation() if est.tuning == "validation" else None
    return _tuning_problem(est, stats, stats.training(), val)


def _tuning_problem(est, stats: GroupedStatistics, train: SufficientStatistics, val,
                    tuning: str | None = None) -> LinearProblem:
    """Decomposition of the training statistics; under validation, the held-out view of ``val``."""
    owner = type(est).__name__
    tuning = est.tuning if tuning is None else tuning
    if train.n_rows < 2:
        raise ValueError(
            f"{owner} needs at least 2 training samples to tune, got {train.n_rows}."
        )
    problem = LinearProblem.from_design(_decompose(train, est.fit_intercept), est.fit_intercept, stats.y_ndim)
    if tuning == "validation":
        if val is None or val.weight_sum <= 0:
            raise ValueError(
                f"{owner}: the validation part has no rows (or zero total weight) yet; use a larger "
                "validation_fraction, pass more rows, or pass X_val and y_val."
            )
        sm = problem.smoother
        sm.val_map, sm.y_val, sm.val_weight = validation_view(problem.design, val, est.fit_intercept)
    return problem


def crossfit_statistics(est, X, y, sample_weight, n_folds: int, seed: int) -> GroupedStatistics:
    """One statistics set per fold, in one pass over input of any kind (fold = hash of position)."""
    return _statistics(est, X, y, sample_weight, RowSplit.kfold(n_folds, seed), reset=True)


def fold_views(est, stats: GroupedStatistics) -> list[LinearProblem]:
    """Per cross-fitting fold j: the problem fitted on the other folds, with fold j as its held-out
    part (``evaluate_grid(problem_j.smoother, ..., "validation")`` scores every candidate on fold j
    exactly, as an in-memory ``X_val`` of fold j's rows would).

    Per-fold sums of squared held-out errors only: the default ``tuning="crossfit"`` also needs
    per-row errors and leverages (see :data:`ROW_LEVEL_NEEDS`), so it does not run on these views.
    """
    return [_tuning_problem(est, stats, *stats.fold(j), tuning="validation")
            for j in range(stats.split.n_folds)]


# ----------------------------------------------------------------------------- prediction
def predict(est, X):
    """A dask array of predictions for a dask input; None for any other input."""
    if not is_dask_collection(X):
        return None
    from . import _dask

    names = _dask.feature_names(X)
    fitted = getattr(est, "feature_names_in_", None)
    if fitted is not None and names is not None and list(names) != list(fitted):
        raise ValueError("The feature names should match those that were passed during fit.")
    return _dask.predict(X, est.coef_, est.intercept_, est.n_features_in_)
