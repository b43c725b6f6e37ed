"""dask support: reduce grouped sufficient statistics block by block, and predict lazily.

Imported only when the input is a dask collection (``selfdistill[dask]`` installs dask and
distributed). The reduction is a tree of small tasks (one statistics task per row block, then
merges of ``SPLIT_EVERY`` partial results), computed with ``dask.compute`` and therefore on whatever
scheduler is active: the threaded default, ``scheduler="processes"``, or a ``distributed.Client``.
Blocks are generated (or read) just in time and released after their statistics are taken, so
memory stays at a few blocks plus the d x d results, whatever the number of rows.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ._statistics import GroupedStatistics, RowSplit, chunk_statistics, merge_statistics

#: Fan-in of the merge tree.
SPLIT_EVERY = 8


def is_dask_collection(obj) -> bool:
    """True for dask arrays, DataFrames and Series (without importing dask when it is not loaded)."""
    if "dask" not in sys.modules:  # X cannot be a dask collection if dask was never imported
        return False
    try:
        from dask.base import is_dask_collection as _is_dask
    except ImportError:
        return False
    return bool(_is_dask(obj))


def _is_frame(obj) -> bool:
    return hasattr(obj, "to_dask_array") and hasattr(obj, "npartitions")


def feature_names(X):
    """Column names of a dask DataFrame (as sklearn's ``feature_names_in_``), else None."""
    if _is_frame(X) and hasattr(X, "columns"):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        if all(isinstance(c, str) for c in X.columns):
            return names
    return None


def as_dask_array(obj, *, lengths: bool, name: str):
    """A dask array from a dask array / DataFrame / Series; ``lengths`` computes row counts."""
    import dask.array as da

    if _is_frame(obj):
        if hasattr(obj, "dtypes"):
            dtypes = obj.dtypes if hasattr(obj.dtypes, "__iter__") else [obj.dtypes]
            bad = [str(t) for t in dtypes if not np.issubdtype(np.dtype(t), np.number)]
            if bad:
                raise ValueError(f"{name} must be numeric; it has columns of dtype {bad}.")
        obj = obj.to_dask_array(lengths=True if lengths else None)
    if not isinstance(obj, da.Array):
        raise ValueError(f"{name} must be a dask array or dask DataFrame, got {type(obj).__name__}.")
    if not np.issubdtype(obj.dtype, np.number) and obj.dtype != bool:
        raise ValueError(f"{name} must be numeric, got dtype {obj.dtype}.")
    return obj


def _row_blocks(arr, row_chunks, name: str):
    """Delayed row blocks of ``arr`` aligned with ``row_chunks`` (columns in one block)."""
    if arr.ndim == 2 and arr.numblocks[1] > 1:
        arr = arr.rechunk({1: -1})
    known = not any(math.isnan(c) for c in row_chunks)
    if known and not any(math.isnan(c) for c in arr.chunks[0]):
        if sum(arr.chunks[0]) != sum(row_chunks):
            raise ValueError(
                f"{name} has {sum(arr.chunks[0])} rows but X has {sum(row_chunks)}; pass one "
                f"entry of {name} per row of X."
            )
        if arr.chunks[0] != tuple(row_chunks):
            arr = arr.rechunk({0: tuple(row_chunks)})
    elif arr.numblocks[0] != len(row_chunks):
        raise ValueError(
            f"{name} and X are partitioned differently and their row counts are unknown; "
            "build both from the same dask DataFrame or compute their chunk sizes "
            "(e.g. to_dask_array(lengths=True))."
        )
    return arr.to_delayed().ravel()


def reduction_graph(X, y, sample_weight, split: RowSplit, n_targets: int, y_ndim: int, start: int = 0):
    """A dask Delayed that yields the grouped statistics of all rows of (X, y, sample_weight).

    ``start`` is the global position of X's first row (non-zero when X is one chunk of a stream).
    """
    from dask import delayed

    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got a dask array of shape {X.shape}.")
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    rows = X.chunks[0]
    known = not any(math.isnan(c) for c in rows)
    if split.n_groups > 1 and not known:  # pragma: no cover - callers compute lengths first
        raise ValueError("row groups need the row position of every block; compute chunk sizes first.")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got a dask array of shape {y.shape}.")
    x_blocks = X.to_delayed().ravel()
    y_blocks = _row_blocks(y, rows, "y")
    w_blocks = None if sample_weight is None else _row_blocks(sample_weight, rows, "sample_weight")
    starts = start + (np.concatenate([[0], np.cumsum(rows)[:-1]]) if known else np.zeros(len(rows)))
    d = X.shape[1]
    task = delayed(chunk_statistics, pure=True)
    parts = [
        task(xb, yb, None if w_blocks is None else w_blocks[i], int(starts[i]), split, d, n_targets, y_ndim)
        for i, (xb, yb) in enumerate(zip(x_blocks, y_blocks, strict=True))
    ]
    merge = delayed(merge_statistics, pure=True)
    while len(parts) > 1:
        parts = [merge(*parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def reduce_statistics(jobs) -> list[GroupedStatistics]:
    """Compute several reductions (e.g. training and validation data) in one ``dask.compute``.

    ``jobs`` is a list of ``(X, y, sample_weight, split, n_targets, y_ndim, start)`` with dask
    arrays; ``start`` is the position of the first row.
    """
    import dask

    graphs = [reduction_graph(*job) for job in jobs]
    results = dask.compute(*graphs)
    for stats, job in zip(results, jobs, strict=True):
        # every row is in exactly one group; n_rows is the next free position
        stats.n_rows = job[-1] + sum(group.n_rows for group in stats.groups)
    return list(results)


def _predict_block(block, coef, intercept, one_output):
    out = np.asarray(block, dtype=np.float64) @ coef.T + intercept
    return out if one_output else np.atleast_2d(out)


def predict(X, coef: np.ndarray, intercept, n_features: int):
    """Lazy ``X @ coef.T + intercept`` for a dask array or DataFrame: a dask array, block per block."""
    X = as_dask_array(X, lengths=False, name="X")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X has shape {X.shape} but the model was fitted with {n_features} features."
        )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    one_output = coef.ndim == 1
    if one_output:
        return X.map_blocks(
            _predict_block, coef, intercept, True, drop_axis=1, dtype=np.float64, meta=np.empty(0)
        )
    return X.map_blocks(
        _predict_block, coef, np.asarray(intercept), False,
        chunks=(X.chunks[0], (coef.shape[0],)), dtype=np.float64, meta=np.empty((0, 0)),
    )
