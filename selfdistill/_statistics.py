"""Sufficient statistics of row groups, reduced chunk by chunk, and what tuning needs from them.

Every criterion the linear estimators tune on except leave-one-out is a function of second moments:
the training part enters through ``(X^T W X, X^T W y, y^T W y, w_sum, means)`` (a
:class:`~selfdistill.SufficientStatistics`) and a held-out part through the same moments of its rows.
So one pass over the data can accumulate, chunk by chunk and in any order, one statistics set per
*row group*: all rows (one group), train / validation (two groups) or the K folds of cross-fitting
(fold j's training statistics are the exact merge of the other folds').

Row groups are a deterministic function of the row's global position and a seed (a SplitMix64 hash,
:func:`row_uniforms`), never of the chunking: a dask array, a stream of ``partial_fit`` chunks and an
in-memory array of the same rows give the same groups. This hash split is *not* the split of
``sklearn.model_selection.train_test_split`` used by the in-memory estimators; pass an explicit
``X_val`` to compare the two routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._spectral import SpectralDesign, SufficientStatistics

_MASK64 = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment


def _splitmix64_scalar(x: int) -> int:
    z = (x + _GOLDEN_GAMMA) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def row_uniforms(start: int, n_rows: int, seed: int) -> np.ndarray:
    """Uniform numbers in [0, 1) for rows ``start .. start + n_rows - 1`` (SplitMix64 of the position).

    A pure function of (global row position, seed): the same row gets the same number whatever the
    chunking. Row i is the (i + 1)-th output of a SplitMix64 stream started at a hash of the seed.
    Array arithmetic in uint64 wraps modulo 2^64 as the hash requires.
    """
    origin = (_splitmix64_scalar(int(seed) & _MASK64) + (int(start) + 1) * _GOLDEN_GAMMA) & _MASK64
    z = np.arange(n_rows, dtype=np.uint64) * np.uint64(_GOLDEN_GAMMA) + np.uint64(origin)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class RowSplit:
    """How rows are assigned to groups: ``"all"`` (one group), ``"validation"`` or ``"kfold"``.

    ``"validation"``: group 1 (validation) holds a row when its hash uniform is below ``fraction``,
    else group 0 (training). ``"kfold"``: row -> fold ``floor(u * n_folds)``.
    """

    kind: str = "all"
    fraction: float = 0.0
    n_folds: int = 1
    seed: int = 0

    @classmethod
    def validation(cls, fraction: float, seed: int) -> RowSplit:
        return cls("validation", float(fraction), 2, int(seed))

    @classmethod
    def kfold(cls, n_folds: int, seed: int) -> RowSplit:
        if int(n_folds) < 2:
            raise ValueError(f"cross-fitting needs at least 2 folds, got {n_folds!r}.")
        return cls("kfold", 0.0, int(n_folds), int(seed))

    @property
    def n_groups(self) -> int:
        return 1 if self.kind == "all" else self.n_folds

    def groups(self, start: int, n_rows: int) -> np.ndarray | None:
        """Group index of each row (None when there is only one group)."""
        if self.kind == "all":
            return None
        u = row_uniforms(start, n_rows, self.seed)
        if self.kind == "validation":
            return (u < self.fraction).astype(np.intp)
        return np.minimum((u * self.n_folds).astype(np.intp), self.n_folds - 1)


@dataclass
class GroupedStatistics:
    """One :class:`~selfdistill.SufficientStatistics` per row group, plus the rows seen so far.

    ``n_rows`` is the next global row position (chunks must arrive in row order for the groups to
    be a function of position; :func:`chunk_statistics` takes the position explicitly instead).
    """

    split: RowSplit
    groups: list[SufficientStatistics]
    y_ndim: int = 1
    n_rows: int = 0
    extra: dict = field(default_factory=dict)

    @classmethod
    def empty(cls, split: RowSplit, n_features: int, n_targets: int, y_ndim: int = 1):
        groups = [SufficientStatistics(n_features, n_targets) for _ in range(split.n_groups)]
        return cls(split, groups, y_ndim)

    @property
    def n_features(self) -> int:
        return self.groups[0].n_features

    @property
    def n_targets(self) -> int:
        return self.groups[0].n_targets

    def update(self, X, Y, sample_weight=None, start: int | None = None) -> GroupedStatistics:
        """Add a chunk whose first row has global position ``start`` (default: ``n_rows``)."""
        start = self.n_rows if start is None else int(start)
        n = X.shape[0]
        labels = self.split.groups(start, n)
        if labels is None:
            self.groups[0].update(X, Y, sample_weight)
        else:
            Y2 = np.asarray(Y, dtype=np.float64).reshape(n, -1) if n else Y
            for g, stats in enumerate(self.groups):
                rows = np.flatnonzero(labels == g)
                if rows.size:
                    w = None if sample_weight is None else np.asarray(sample_weight)[rows]
                    stats.update(X[rows], Y2[rows], w)
        self.n_rows = max(self.n_rows, start + n)
        return self

    def merge(self, other: GroupedStatistics) -> GroupedStatistics:
        if other.split != self.split:
            raise ValueError("cannot merge statistics accumulated with different row splits.")
        for mine, theirs in zip(self.groups, other.groups, strict=True):
            mine.merge(theirs)
        self.n_rows = max(self.n_rows, other.n_rows)
        return self

    def total(self) -> SufficientStatistics:
        """Statistics of every row."""
        out = self.groups[0].copy()
        for stats in self.groups[1:]:
            out.merge(stats)
        return out

    def training(self) -> SufficientStatistics:
        """The rows a model is fitted on: group 0 under a validation split, else every row."""
        return self.groups[0] if self.split.kind == "validation" else self.total()

    def validation(self) -> SufficientStatistics:
        if self.split.kind != "validation":
            raise ValueError("these statistics were accumulated without a validation split.")
        return self.groups[1]

    def fold(self, j: int) -> tuple[SufficientStatistics, SufficientStatistics]:
        """Cross-fitting fold j: (training statistics = merge of the other folds, held-out fold j)."""
        if self.split.kind != "kfold":
            raise ValueError("these statistics were accumulated without cross-fitting folds.")
        train = SufficientStatistics(self.n_features, self.n_targets)
        for i, stats in enumerate(self.groups):
            if i != j:
                train.merge(stats)
        return train, self.groups[j]


def chunk_statistics(X, Y, sample_weight, start, split, n_features, n_targets, y_ndim=1):
    """Grouped statistics of one chunk (a dask task; module level so that it pickles)."""
    out = GroupedStatistics.empty(split, n_features, n_targets, y_ndim)
    return out.update(X, Y, sample_weight, start=start)


def merge_statistics(*parts: GroupedStatistics) -> GroupedStatistics:
    """Merge partial results (a dask tree-reduction task)."""
    first, *rest = parts
    for part in rest:
        first.merge(part)
    return first


def centred_validation_moments(design: SpectralDesign, val: SufficientStatistics, fit_intercept):
    """Moments of the validation rows about the *training* offsets.

    Returns ``(Gv, Cv, Yv, w_val)`` with ``Gv = sum w (x - x_off)(x - x_off)^T``,
    ``Cv = sum w (x - x_off)(y - y_off)^T`` and ``Yv = sum w (y - y_off)(y - y_off)^T`` where
    ``x_off`` is the training mean (zero without intercept) and ``y_off`` the training target mean
    when an intercept is fitted (else zero): the residual of a validation row is
    ``(y - y_off) - (x - x_off) coef``.
    """
    wv = val.weight_sum
    dx = val.x_mean - design.x_offset
    y_off = design.y_offset if fit_intercept else np.zeros(val.n_targets)
    dy = val.y_mean - y_off
    return (
        val.xx + wv * np.outer(dx, dx),
        val.xy + wv * np.outer(dx, dy),
        val.yy + wv * np.outer(dy, dy),
        wv,
    )


def validation_view(design: SpectralDesign, val: SufficientStatistics, fit_intercept: bool):
    """An (r + 1) x r validation map and (r + 1) x T targets with the same held-out errors.

    The held-out squared error of every spectral filter ``h`` is
    ``||y_v - M (h * z)||^2 = y_v^T y_v - 2 (h z)^T M^T y_v + (h z)^T M^T M (h z)`` with the map
    ``M = X_v V diag(1/s)`` (rows centred at the training offsets and scaled by sqrt(w)). It depends on
    the validation rows only through ``G = M^T M`` and ``c = M^T y_v`` and ``y_v^T y_v``: with
    ``G = Q diag(lam) Q^T``, the map ``[diag(sqrt(lam)) Q^T; 0]`` and targets
    ``[diag(lam^-1/2) Q^T c; sqrt(y_v^T y_v - |...|^2)]`` reproduce all three exactly, so the
    held-out criterion runs unchanged on r + 1 rows instead of n_val.
    """
    if val.weight_sum <= 0:
        raise ValueError(
            "the validation part has no rows (or zero total weight); use a larger "
            "validation_fraction or more data."
        )
    Gv, Cv, Yv, wv = centred_validation_moments(design, val, fit_intercept)
    s = design.singular_values
    B = design.components / np.where(s > 0, s, 1.0)
    G = B.T @ Gv @ B
    c = B.T @ Cv
    lam, Q = np.linalg.eigh(0.5 * (G + G.T))
    lam = np.maximum(lam, 0.0)
    positive = lam > lam.max(initial=0.0) * G.shape[0] * np.finfo(float).eps
    root = np.sqrt(lam)
    C = np.zeros_like(c)
    C[positive] = (Q[:, positive].T @ c) / root[positive, None]
    perp = np.maximum(np.diag(Yv) - np.sum(C**2, axis=0), 0.0)
    val_map = np.vstack([root[:, None] * Q.T, np.zeros((1, s.size))])
    y_val = np.vstack([C, np.sqrt(perp)[None, :]])
    return val_map, y_val, float(wv)
