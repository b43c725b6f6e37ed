"""Cross-fitted scoring of (alpha, k): the honest default criterion (issue 9).

Why. Every in-sample criterion (GCV, LOO, Cp) and the single validation split score a candidate
whose xi was *fitted to that same criterion*; k extra free parameters always lower it, so the
largest k wins and, on real data with ill-conditioned designs, xi runs off to 1e13. Cross-fitting
separates the two roles:

1. split the rows into K folds (shuffled ``KFold``; rows of real data sets are often ordered);
2. in each training part: one decomposition (:mod:`selfdistill._problems`; for tall dense X all
   of them from one pass of fold moments, :class:`~selfdistill._problems.FoldedLinearProblem`),
   and the exact one-shot GCV optimum of xi for every (alpha, k) (the toolkit's ``ridge_path`` estimator,
   or ``gcv_paper``) -- the procedure the final model will run on all rows;
3. a candidate whose filter is inadmissible (values far outside [0, 1], degrees of freedom outside
   ``[0, n)``) or undefined in a fold is disqualified for good; the selected one is realised as
   per-step SD and vetted again on all rows (:mod:`selfdistill._realise`);
4. score the filters on the held-out fold;
5. the held-out errors of all candidates, and per-row errors of the few the one-standard-error
   rule compares, feed the selection (``tune_by_crossfit`` in :mod:`selfdistill._cv_pipeline`).

Cost (issue 9: the per-candidate Python work, not the algebra, was the cost). Tall dense X
(:func:`crossfit_scores_from_moments`): one pass over the rows for every fold's moments, one
batched ``eigh``, one batched least-squares solve for the one-shot optima of all rows' and every
fold's n_alphas x k candidates (:func:`~selfdistill._tuning.one_shot_grid`), and O(p^2) per
candidate for its held-out error (a quadratic form in the fold's moments); exact ridge LOO
(:func:`ridge_loo_alpha`) is one more pass over the rows in blocks. Otherwise
(:func:`crossfit_scores`): one decomposition per fold and one product ``(n_val x r) @ (r x C)``
per fold. No Python loop runs per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._selection import filter_verdicts
from ._tuning import one_shot_grid


class FoldReason:
    """Why a candidate failed in a fold, worded on first use (``str``): most rejections are never
    read, and wording them all cost ~0.1 ms per fit (issue 9). Picklable."""

    UNDEFINED: FoldReason

    def __init__(self, verdicts, row: int | None):
        self.verdicts, self.row = verdicts, row

    def __str__(self) -> str:
        why = "one-shot GCV undefined (df >= n)" if self.row is None else self.verdicts(self.row)
        return f"in a fold: {why}"

    __repr__ = __str__


FoldReason.UNDEFINED = FoldReason(None, None)


@dataclass
class CrossfitScores:
    """Held-out errors of every (alpha, k) candidate (columns alpha-major, then k).

    Attributes
    ----------
    mse : ndarray of shape (n_candidates,)
        Cross-fitted mean squared error (weighted, mean over targets).
    row_weight : ndarray of shape (n_rows,)
        Weight of each held-out row, rows in the order of :meth:`row_errors`.
    failed : ndarray of bool, shape (n_candidates,)
        Unrealisable or invalid in at least one fold.
    reasons : dict
        Column -> why it failed (first fold it failed in).
    row_errors : callable
        ``columns -> (n_rows, len(columns))`` weighted squared held-out error of each row (summed
        over targets) for the given candidate columns (the one-standard-error rule needs a few).
    full_grid : OneShotGrid or None
        The one-shot solution on all rows, when it was solved in one batch with the folds.
    """

    mse: np.ndarray
    row_weight: np.ndarray
    failed: np.ndarray
    reasons: dict
    row_errors: object
    full_grid: object = None


def crossfit_scores(fit_part, X, y, sw, alphas, steps, splitter, one_shot: str) -> CrossfitScores:
    """Held-out errors of the xi-tuned procedure for every (alpha, k).

    ``fit_part(X, y, sw)`` returns a spectral problem (decomposition of those rows). Inside a fold
    only the filters are needed (no per-step xi): a candidate whose filter is inadmissible
    (:func:`~selfdistill._selection.filter_reason`) or undefined is disqualified; the selected
    candidate is realised and vetted again on all rows. Per fold: one decomposition of its training
    rows (:func:`fold_problems`), the one-shot optima of every (alpha, k) at once
    (:func:`one_shot_filters`), and the held-out predictions of every candidate as one product
    ``val_map @ (filters * z)``.
    """
    steps = [int(k) for k in steps]
    n = X.shape[0]
    T = 1 if y.ndim == 1 else y.shape[1]
    n_cand = len(alphas) * len(steps)
    folds = list(fold_problems(fit_part, X, y, sw, splitter))
    if not folds:
        raise ValueError("cv must split the rows into folds whose test parts cover every row once.")
    filters, unusable, reasons = one_shot_filters([part.smoother for _, part in folds], alphas, steps, one_shot)
    errors = np.zeros((n, n_cand))  # held-out rows fold by fold (row order is irrelevant downstream)
    order, filled = [], 0
    for (test, part), fold_filters in zip(folds, filters, strict=True):
        sm = part.smoother
        if filled + test.size > n:
            break
        block = errors[filled : filled + test.size]
        for j in range(T):  # one product per target for all candidates of the fold
            residual = block if T == 1 else np.empty_like(block)
            np.matmul(sm.val_map, fold_filters * sm.z[:, [j]], out=residual)
            np.subtract(sm.y_val[:, [j]], residual, out=residual)
            residual *= residual
            if T > 1:
                block += residual
        filled += test.size
        order.append(test)
    rows = np.concatenate(order)
    if rows.size != n or np.any(np.bincount(rows, minlength=n) != 1):
        raise ValueError("cv must split the rows into folds whose test parts cover every row once.")
    row_weight = np.ones(n) if sw is None else np.asarray(sw, dtype=float)[rows]
    failed = np.any(unusable, axis=0)
    mse = errors.sum(axis=0) / (row_weight.sum() * T)
    return CrossfitScores(mse, row_weight, failed, reasons, lambda columns: errors[:, columns])


#: A held-out error computed as a quadratic form in the fold's moments loses the digits that its
#: terms cancel: below this share of the terms' magnitude (relative rounding error above ~1e-10,
#: i.e. R^2 > 1 - 1e-7 on the held-out rows) the fold is scored from its rows instead.
CANCELLATION_FLOOR = 1e-6


def crossfit_scores_from_moments(folded, alphas, steps, one_shot: str) -> CrossfitScores:
    """:func:`crossfit_scores` for a :class:`~selfdistill._problems.FoldedLinearProblem`.

    The held-out squared error of every candidate of fold f is ``sum_t v_t^T M_f v_t``, O(p^2) per
    candidate with the fold's moments ``M_f`` (p = d + T + 1) instead of O(n_val r) with its rows
    (:func:`heldout_vectors`); a fold whose quadratic forms cancel (``CANCELLATION_FLOOR``) is
    scored from its rows. Per-row errors are computed only for the columns the one-standard-error
    rule asks for.
    """
    smoothers = [part.smoother for part in folded.folds]
    # one batched solve for all rows (the refit candidates) and every fold
    both = one_shot_grid([folded.full.smoother] + smoothers, alphas, max(steps), one_shot)
    for k in range(max(steps) + 1):  # the filters of all rows and every fold in one pass per k
        both.deviation(k)
    n_alpha = len(alphas)
    filters, unusable, reasons = one_shot_filters(smoothers, alphas, steps, one_shot,
                                                  both.rows(slice(n_alpha, None)))
    if isinstance(filters, np.ndarray):  # same rank in every fold: all folds at once
        vectors = heldout_vectors(folded, range(len(filters)), filters)
    else:
        vectors = [heldout_vectors(folded, [f], H[None])[0] for f, H in enumerate(filters)]
    errors = 0.0
    for f, (err, magnitude) in enumerate(zip(*_quadratic_forms(folded.moments, vectors), strict=True)):
        if not np.all(err >= CANCELLATION_FLOOR * magnitude):
            residual = folded.heldout_residuals(f, vectors[f])
            err = np.einsum("ntc,ntc->c", residual, residual)
        errors = errors + err
    row_weight = folded.heldout_weights()
    T = folded.full.smoother.n_targets

    def row_errors(columns):
        chosen = vectors[..., columns] if isinstance(vectors, np.ndarray) else [v[..., columns] for v in vectors]
        out = np.empty((row_weight.size, len(columns)))
        start = 0
        for f, vec in enumerate(chosen):
            residual = folded.heldout_residuals(f, vec)
            part = out[start : start + residual.shape[0]]
            if T == 1:
                np.square(residual[:, 0], out=part)
            else:
                np.einsum("ntc,ntc->nc", residual, residual, out=part)
            start += residual.shape[0]
        return out

    return CrossfitScores(errors / (row_weight.sum() * T), row_weight, np.any(unusable, axis=0),
                          reasons, row_errors, both.rows(slice(0, n_alpha)))


def _quadratic_forms(moments: np.ndarray, vectors) -> tuple:
    """``sum_t v_t^T M_f v_t`` per fold and candidate, and the same of ``|v|, |M|`` (the magnitude
    of its terms): batched over the folds when ``vectors`` is one array (K, T, p, C)."""
    if isinstance(vectors, list):
        pairs = [_quadratic_forms(moments[f : f + 1], vec[None]) for f, vec in enumerate(vectors)]
        return [e[0] for e, _ in pairs], [m[0] for _, m in pairs]
    M = moments[:, None]
    err = np.einsum("ftpc,ftpc->fc", vectors, M @ vectors)
    absv = np.abs(vectors)
    return err, np.einsum("ftpc,ftpc->fc", absv, np.abs(M) @ absv)


def heldout_vectors(folded, folds, H: np.ndarray) -> np.ndarray:
    """``v`` (K, T, p, C) with held-out residuals ``rows_f @ v[f, t]`` of the C filters ``H[f]``
    (r, C) of each fold f of ``folds`` (K folds of the same rank r).

    The model of filter h on the training part is ``b = V diag(h / s) z`` with the intercept at the
    training means; in the rows' coordinates (centred at the mean of all rows, times sqrt(w)) its
    residual is ``y~ - x~ b - sqrt(w) delta`` with ``delta = (y_mean_f - y_center) -
    (x_mean_f - x_center) b``: ``v = [-b, e_t, -delta]`` over the columns ``[X, Y, 1]``.
    """
    K, r, C = H.shape
    V, s, z, x_offset, y_offset = folded.fold_spectra(folds)  # (K, d, r), (K, r), (K, r, T), ...
    d, T = V.shape[1], z.shape[2]
    zs = z / s[:, :, None]
    # b of every (fold, target, candidate): one batched product V @ (z_t / s * H)
    B = (V @ (zs[:, :, :, None] * H[:, :, None, :]).reshape(K, r, T * C)).reshape(K, d, T, C)
    vec = np.zeros((K, T, d + T + 1, C))
    vec[:, :, :d] = -B.transpose(0, 2, 1, 3)
    vec[:, np.arange(T), d + np.arange(T)] = 1.0
    mx = x_offset - folded.x_center
    my = y_offset - folded.y_center
    vec[:, :, -1] = np.einsum("kd,kdtc->ktc", mx, B) - my[:, :, None]
    return vec


def fold_problems(fit_part, X, y, sw, splitter):
    """Yield ``(test rows, problem of the training rows with the test rows attached)`` per fold,
    each training part decomposed by ``fit_part`` from its rows (the route for kernels, sparse or
    wide X, and the slow reference of :class:`~selfdistill._problems.FoldedLinearProblem`)."""
    splits = splitter.splits() if hasattr(splitter, "splits") else list(splitter.split(X, y))
    for train, test in splits:
        part = fit_part(X[train], y[train], None if sw is None else sw[train])
        part.attach_validation(X[test], y[test], None if sw is None else sw[test])
        yield test, part


def one_shot_filters(smoothers: list, alphas, steps: list[int], one_shot: str, grid=None) -> tuple:
    """Filters of the one-shot-GCV-tuned k-step SD for every fold and (alpha, k), and which are unusable.

    Returns ``filters`` (per fold, shape (r, n_alphas * len(steps)), columns alpha-major then k;
    one array (n_folds, r, n_candidates) when every fold has the same rank, else a list);
    ``unusable`` (n_folds, n_candidates), the candidates that are undefined in a fold (df >= n) or
    inadmissible there (:func:`~selfdistill._selection.filter_reason`), whose columns hold the
    ridge filter (scored, never selected); and ``{column: reason in the first fold it fails}``.
    Only the selected one-shot estimator is solved, in its own stable basis (the ridge-path t-power
    basis or the paper's xibar), for all folds and alphas at once, without converting to per-step xi
    (``grid``: that solution, when it is at hand).
    """
    if len({sm.ell.size for sm in smoothers}) > 1:  # folds of different rank: one grid each
        parts = [one_shot_filters([sm], alphas, steps, one_shot) for sm in smoothers]
        reasons: dict = {}
        for _, _, fold_reasons in parts:
            reasons.update({c: why for c, why in fold_reasons.items() if c not in reasons})
        return [p[0][0] for p in parts], np.vstack([p[1] for p in parts]), reasons
    n_alpha, n_steps, n_folds = len(alphas), len(steps), len(smoothers)
    if grid is None:
        grid = one_shot_grid(smoothers, alphas, max(steps), one_shot)  # rows: fold-major, then alpha
    ridge = grid.A
    n_rows = np.repeat([float(sm.n) for sm in smoothers], n_alpha)
    # every k at once: rows (k, fold, alpha) of the filters, vetted in one vectorised pass
    h = np.stack([ridge - grid.deviation(k) if k else ridge for k in steps])  # (n_steps, rows, r)
    n_grid = ridge.shape[0]
    bad, word = filter_verdicts(h.reshape(n_steps * n_grid, -1), smoothers[0].p0, np.tile(n_rows, n_steps))
    ridge_step = np.array(steps) == 0
    unusable = ((bad.reshape(n_steps, n_grid) | ~grid.defined) & ~ridge_step[:, None]).T  # (rows, n_steps)
    h = np.where(unusable.T[:, :, None], ridge[None], h)
    by_fold = unusable.reshape(n_folds, n_alpha, n_steps)
    ia, ik = np.nonzero(by_fold.any(axis=0))
    rows = np.argmax(by_fold[:, ia, ik], axis=0) * n_alpha + ia  # the first fold it fails in
    reasons = {int(col): FoldReason(word, int(k * n_grid + row)) if defined else FoldReason.UNDEFINED
               for col, k, row, defined in zip(ia * n_steps + ik, ik, rows, grid.defined[rows], strict=True)}
    filters = h.transpose(1, 2, 0).reshape(n_folds, n_alpha, -1, n_steps).transpose(0, 2, 1, 3)
    return filters.reshape(n_folds, -1, n_alpha * n_steps), unusable.reshape(n_folds, n_alpha * n_steps), reasons


def ridge_loo_alpha(sm, alphas, left_blocks=None) -> tuple[int, np.ndarray]:
    """Index of the alpha ``RidgeCV`` would pick (exact LOO; first of ties in grid order).

    Ridge is one linear smoother, so its LOO residuals are ``e_i / (1 - h_ii)`` exactly, with the
    leverage ``h_ii = w_i / n + sum_j U_ij^2 a_j`` (intercept included): all alphas at once.
    ``left_blocks`` yields, for blocks of rows, the rows ``[U^T; y~^T; sqrt(w); 1]`` stacked in one
    array of shape (r + T + 2, rows), which this function squares in place (e.g.
    :meth:`~selfdistill._problems.FoldedLinearProblem.left_blocks`); by default the smoother's own
    U, targets and weights form one block. Returns the index and the LOO mean squared errors (inf
    where a leverage reaches 1).
    """
    r, T = sm.ell.size, sm.n_targets
    if left_blocks is None:
        if sm.left is None or sm.y_tilde is None:
            raise ValueError("ridge LOO needs the left singular vectors (keep_left=True).")
        block = np.empty((r + T + 2, sm.left.shape[0]))
        block[:r], block[r : r + T], block[-1] = sm.left.T, sm.y_tilde.T, 1.0
        block[r + T] = sm.root_w if sm.root_w is not None else 1.0
        left_blocks = [block]
    # Rows along the last axis (n_alpha x rows arrays): every pass over rows runs contiguously.
    # Per block, two products cover every alpha and target (rows of the stacked block above):
    # the residuals [-A * z_t, e_t] (of the first r + T rows) and, after squaring the block in
    # place, the denominators 1 - h = [-A, 0, -p0 / n, 1] (the targets' squares get weight 0).
    A_t = sm.ell[None, :] / (sm.ell[None, :] + np.asarray(alphas, dtype=float)[:, None])  # (n_alpha, r)
    n_alpha = A_t.shape[0]
    residual_map = np.zeros((T, n_alpha, r + T))
    residual_map[:, :, :r] = -sm.z.T[:, None, :] * A_t
    residual_map[np.arange(T), :, r + np.arange(T)] = 1.0
    residual_map = residual_map.reshape(T * n_alpha, -1)
    denom_map = np.zeros((n_alpha, r + T + 2))
    denom_map[:, :r], denom_map[:, r + T], denom_map[:, -1] = -A_t, -sm.p0 / sm.n, 1.0
    scores = np.zeros((T, n_alpha))
    degenerate = np.zeros(n_alpha, dtype=bool)  # a leverage reaches 1 (LOO undefined)
    residuals = denoms = np.empty((0, 0))  # reused for every block (see left_blocks)
    with np.errstate(divide="ignore", invalid="ignore"):
        for block in left_blocks:
            m = block.shape[1]
            if residuals.shape[1] < m:
                residuals, denoms = np.empty((T * n_alpha, m)), np.empty((n_alpha, m))
            residual = np.matmul(residual_map, block[: r + T], out=residuals[:, :m]).reshape(T, n_alpha, m)
            np.multiply(block, block, out=block)
            denom = np.matmul(denom_map, block, out=denoms[:, :m])
            if not denom.min() > 1e-12:  # rare: find which alphas
                degenerate |= ~(denom.min(axis=1) > 1e-12)
            residual /= denom
            scores += np.vecdot(residual, residual)
    scores = np.where(degenerate, np.inf, scores.sum(axis=0) / (sm.n * T))
    if not np.any(np.isfinite(scores)):
        return int(np.argmax(alphas)), scores
    return int(np.argmin(scores)), scores
