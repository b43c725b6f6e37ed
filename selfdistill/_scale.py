"""Estimator hook for data that do not sit in one dense array: dask, scipy.sparse and streams.

The linear estimators fit from a spectral decomposition of the (centred, weighted) design; for
every tuning criterion except leave-one-out, that decomposition and the criterion's inputs are
functions of sufficient statistics (:mod:`selfdistill._statistics`). This module turns
``(X, y, sample_weight)`` of any supported kind into those statistics and then into what the
estimators need, so the estimators only have to ask:

* :func:`uses_statistics` -- does this input take the statistics route (sparse or dask)?
* :func:`fixed_design` / :func:`fixed_partial_design` -- the decomposition for fixed (alpha, xi);
* :func:`tuning_inputs` / :func:`tuning_partial_inputs` -- the decomposition and the tuning view
  (a :class:`~selfdistill._tuning.SpectralSmoother`) for the CV estimator;
* :func:`predict` -- dask-aware prediction.

Each returns ``y_ndim`` as well (the layout of ``coef_``); the estimator realises the model from
the decomposition exactly as on the in-memory route. The accumulated statistics are kept in the
fitted attribute ``statistics_`` (a :class:`~selfdistill._statistics.GroupedStatistics`) so that
``partial_fit`` can continue them.

Rows are split for ``tuning="validation"`` by a hash of their position (see
:mod:`selfdistill._statistics`), not by ``train_test_split``; leave-one-out needs every row's
leverage and is available for in-memory sparse input only.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ._dask import is_dask_collection
from ._estimator_utils import smoother_from_design
from ._spectral import SpectralDesign, SufficientStatistics
from ._statistics import GroupedStatistics, RowSplit, chunk_statistics, validation_view
from ._validation import check_sample_weight

LOO_REFUSAL = (
    "tuning='loo' needs the leverage of every row, which sufficient statistics do not carry, so it "
    "is not available for {what}. Use tuning='gcv', 'cp' or 'validation' (all computed exactly "
    "from the statistics), or fit an in-memory (dense or scipy.sparse) array."
)


def uses_statistics(X) -> bool:
    """True when ``fit`` must take the statistics route (scipy.sparse or a dask collection)."""
    return scipy.sparse.issparse(X) or is_dask_collection(X)


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
    """Grouped statistics of one input of any kind; also returns in-memory rows (for LOO).

    In a stream (``partial_fit``) a later chunk may be empty (a no-op); the first may not.
    """
    if is_dask_collection(X):
        return _dask_jobs(est, [(X, y, sample_weight, split)], reset=reset, start=start)[0], None
    if stream and not reset and np.shape(X)[0] == 0:  # validate_data refuses an empty y
        X = validate_data(est, X, reset=False, accept_sparse=("csr", "csc"), ensure_min_samples=0)
        empty = GroupedStatistics.empty(split, X.shape[1], est.statistics_.n_targets, est.statistics_.y_ndim)
        empty.n_rows = start
        return empty, None
    X, y, sw = _in_memory(est, X, y, sample_weight, reset=reset)
    n = X.shape[0]
    Y = y.reshape(n, -1)
    stats = chunk_statistics(X, Y, sw, start, split, X.shape[1], Y.shape[1], y.ndim)
    return stats, (X, Y, sw)


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
def fixed_design(est, X, y, sample_weight):
    """``(design, y_ndim)`` of ``SelfDistilledRidge.fit`` on sparse or dask input."""
    stats, rows = _statistics(est, X, y, sample_weight, RowSplit(), reset=True)
    est.statistics_ = stats
    return _decompose(stats.training(), est.fit_intercept, rows), stats.y_ndim


def fixed_partial_design(est, X, y, sample_weight):
    """``(design, y_ndim)`` after adding one chunk to ``est.statistics_`` (``partial_fit``)."""
    stats = _accumulate(est, X, y, sample_weight, lambda: RowSplit())
    return _decompose(stats.training(), est.fit_intercept), stats.y_ndim


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
    chunk, _ = _statistics(
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
def tuning_inputs(est, X, y, sample_weight, X_val=None, y_val=None):
    """``(design, smoother, y_ndim)`` of ``SelfDistilledRidgeCV.fit`` on sparse or dask input."""
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither.")
    if X_val is not None and est.tuning != "validation":
        raise ValueError(f"X_val/y_val are only used with tuning='validation', not {est.tuning!r}.")
    dask_input = is_dask_collection(X)
    if est.tuning == "loo" and dask_input:
        raise NotImplementedError(LOO_REFUSAL.format(what="dask input"))
    internal = est.tuning == "validation" and X_val is None
    split = RowSplit.validation(est.validation_fraction, split_seed(est.random_state)) if internal else RowSplit()
    rows = val_stats = None
    if dask_input:
        jobs = [(X, y, sample_weight, split)]
        if is_dask_collection(X_val):  # training and validation statistics in one compute
            jobs.append((X_val, y_val, None, RowSplit()))
        stats, *val_part = _dask_jobs(est, jobs, reset=True)
        val_stats = val_part[0] if val_part else None
    else:
        stats, rows = _statistics(est, X, y, sample_weight, split, reset=True)
        if internal:  # keep the training part's rows (for the null-direction check)
            X_mem, Y_mem, sw_mem = rows
            train = np.flatnonzero(split.groups(0, X_mem.shape[0]) == 0)
            rows = (X_mem[train], Y_mem[train], None if sw_mem is None else sw_mem[train])
    if X_val is not None and val_stats is None:
        val_stats, _ = _statistics(est, X_val, y_val, None, RowSplit(), reset=False)
    est.statistics_ = stats
    val = stats.validation() if internal else (None if val_stats is None else val_stats.total())
    design, smoother = _tuning_view(est, stats.training(), val, rows)
    return design, smoother, stats.y_ndim


def partial_fit_available(est) -> bool:
    """For ``sklearn.utils.metaestimators.available_if``: no ``partial_fit`` under LOO tuning."""
    if est.tuning == "loo":
        raise AttributeError(LOO_REFUSAL.format(what="partial_fit"))
    return True


def tuning_partial_inputs(est, X, y, sample_weight):
    """``(design, smoother, y_ndim)`` after adding one chunk (``SelfDistilledRidgeCV.partial_fit``)."""
    partial_fit_available(est)

    def make_split():
        if est.tuning == "validation":
            return RowSplit.validation(est.validation_fraction, split_seed(est.random_state))
        return RowSplit()

    stats = _accumulate(est, X, y, sample_weight, make_split)
    val = stats.validation() if est.tuning == "validation" else None
    design, smoother = _tuning_view(est, stats.training(), val, None)
    return design, smoother, stats.y_ndim


def _tuning_view(est, train: SufficientStatistics, val, rows, tuning: str | None = None):
    """Decomposition of the training statistics and the criterion's inputs (``SpectralSmoother``)."""
    owner = type(est).__name__
    tuning = est.tuning if tuning is None else tuning
    if train.n_rows < 2:
        raise ValueError(
            f"{owner} needs at least 2 training samples to tune, got {train.n_rows}."
        )
    # rows (in-memory sparse input) are all training rows: a split makes them None
    design = _decompose(train, est.fit_intercept, rows)
    y_tilde = root_w = None
    if tuning == "loo":
        if rows is None:  # pragma: no cover - refused earlier
            raise NotImplementedError(LOO_REFUSAL.format(what="this input"))
        X, Y, sw = rows
        root_w = np.ones(X.shape[0]) if sw is None else np.sqrt(sw)
        # U = (X - 1 x_offset^T) V / s, rows scaled by sqrt(w): X is never centred or densified.
        XV = np.asarray(X @ design.components) - design.x_offset @ design.components
        design.left = XV * root_w[:, None] / design.singular_values
        offset = design.y_offset if est.fit_intercept else 0.0
        y_tilde = (Y - offset) * root_w[:, None]
    smoother = smoother_from_design(
        design, train.weight_sum, int(est.fit_intercept), y_tilde=y_tilde, root_w=root_w
    )
    if tuning == "validation":
        if val is None or val.weight_sum <= 0:
            raise ValueError(
                f"{owner}: the validation part has no rows (or zero total weight) yet; use a larger "
                "validation_fraction, pass more rows, or pass X_val and y_val."
            )
        smoother.val_map, smoother.y_val, smoother.val_weight = validation_view(
            design, val, est.fit_intercept
        )
    return design, smoother


def crossfit_statistics(est, X, y, sample_weight, n_folds: int, seed: int) -> GroupedStatistics:
    """One statistics set per fold, in one pass over input of any kind (fold = hash of position)."""
    stats, _ = _statistics(est, X, y, sample_weight, RowSplit.kfold(n_folds, seed), reset=True)
    return stats


def fold_views(est, stats: GroupedStatistics):
    """Per cross-fitting fold j: ``(design_j, smoother_j)`` fitted on the other folds, with fold j
    as the held-out part of the smoother (``evaluate_grid(smoother_j, ..., "validation")`` scores
    every candidate on fold j exactly, as an in-memory ``X_val`` of fold j's rows would).
    """
    views = []
    for j in range(stats.split.n_folds):
        train, held = stats.fold(j)
        views.append(_tuning_view(est, train, held, None, tuning="validation"))
    return views


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
