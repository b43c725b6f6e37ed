"""Cross-fitted scoring of (alpha, k): the honest default criterion (issue 9).

Why. Every in-sample criterion (GCV, LOO, Cp) and the single validation split score a candidate
whose xi was *fitted to that same criterion*; k extra free parameters always lower it, so the
largest k wins and, on real data with ill-conditioned designs, xi runs off to 1e13. Cross-fitting
separates the two roles:

1. split the rows into K folds (shuffled ``KFold``; rows of real data sets are often ordered);
2. in each training part: one decomposition (:mod:`selfdistill._problems`), and for every alpha
   the exact one-shot GCV optimum of xi for every k (the toolkit's ``ridge_path`` estimator, or
   ``gcv_paper``) -- the procedure the final model will run on all rows;
3. realise each candidate as per-step SD (:mod:`selfdistill._realise`); an unrealisable candidate,
   or one whose degrees of freedom leave ``[0, n)``, is disqualified for good;
4. score the realised filters on the held-out fold (vectorised over all candidates of an alpha);
5. the per-row held-out squared errors of all candidates feed the selection
   (:func:`select_by_crossfit`).

Cost: K + 1 decompositions instead of one, then O(n r C) for the held-out predictions of the C
candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._filters import deviation_from_xibar
from ._selection import filter_reason
from ._tuning import _gcv_paper_columns, _lstsq_prefixes, _ridge_path_columns


@dataclass
class CrossfitScores:
    """Per-row held-out squared errors of every (alpha, k) candidate.

    Attributes
    ----------
    errors : ndarray of shape (n_rows, n_candidates)
        Weighted squared held-out error of each row (summed over targets), candidate columns in
        the order alpha-major, then k.
    row_weight : ndarray of shape (n_rows,)
    failed : ndarray of bool, shape (n_candidates,)
        Unrealisable or invalid in at least one fold.
    reasons : dict
        Column -> why it failed (first fold it failed in).
    n_targets : int
    """

    errors: np.ndarray
    row_weight: np.ndarray
    failed: np.ndarray
    reasons: dict
    n_targets: int

    @property
    def mse(self) -> np.ndarray:
        return self.errors.sum(axis=0) / (self.row_weight.sum() * self.n_targets)


def crossfit_scores(fit_part, X, y, sw, alphas, steps, splitter, one_shot: str) -> CrossfitScores:
    """Held-out errors of the xi-tuned procedure for every (alpha, k).

    ``fit_part(X, y, sw)`` returns a spectral problem (decomposition of those rows). Inside a fold
    only the filters are needed (no per-step xi): a candidate whose filter is inadmissible
    (:func:`~selfdistill._selection.filter_reason`) or undefined is disqualified; the selected
    candidate is realised and vetted again on all rows.
    """
    steps = [int(k) for k in steps]
    k_max = max(steps)
    n = X.shape[0]
    T = 1 if y.ndim == 1 else y.shape[1]
    n_cand = len(alphas) * len(steps)
    blocks, order = [], []  # held-out rows fold by fold (row order is irrelevant downstream)
    failed = np.zeros(n_cand, dtype=bool)
    reasons: dict = {}
    for train, test in splitter.split(X, y):
        sw_tr = None if sw is None else sw[train]
        part = fit_part(X[train], y[train], sw_tr)
        part.attach_validation(X[test], y[test], None if sw is None else sw[test])
        sm = part.smoother
        filters = np.empty((sm.ell.size, n_cand))
        for ia, alpha in enumerate(alphas):
            by_k = one_shot_filters(sm, float(alpha), k_max, one_shot)
            for ik, k in enumerate(steps):
                col = ia * len(steps) + ik
                h, reason = by_k[k]
                if reason:
                    failed[col] = True
                    reasons.setdefault(col, f"in a fold: {reason}")
                    h = by_k[0][0]  # scored as ridge, never selected
                filters[:, col] = h
        block = np.zeros((test.size, n_cand))
        for j in range(T):  # one product per target for all candidates of the fold
            residual = sm.y_val[:, [j]] - sm.val_map @ (filters * sm.z[:, [j]])
            block += residual**2
        blocks.append(block)
        order.append(test)
    rows = np.concatenate(order)
    if rows.size != n or np.unique(rows).size != n:
        raise ValueError("cv must split the rows into folds whose test parts cover every row once.")
    row_weight = np.ones(n) if sw is None else np.asarray(sw, dtype=float)[rows]
    return CrossfitScores(np.vstack(blocks), row_weight, failed, reasons, T)


def one_shot_filters(sm, alpha: float, k_max: int, one_shot: str) -> list[tuple[np.ndarray, str]]:
    """``[(h_k, reason_k) for k = 0..k_max]``: filters of the one-shot-GCV-tuned k-step SD.

    Only the selected one-shot estimator is solved, in its own stable basis (the ridge-path
    t-power basis or the paper's xibar), without converting to per-step xi.
    """
    a, t = sm.shrinkage(alpha)
    out = [(a, "")]
    if k_max == 0:
        return out
    if one_shot == "ridge_path":
        columns = _ridge_path_columns(sm, a, t, k_max)
    else:
        columns = _gcv_paper_columns(sm, a, t, k_max)
    if columns is None:
        return out + [(a, "one-shot GCV undefined (df >= n)")] * k_max
    for k, (coef, _) in enumerate(_lstsq_prefixes(columns[:, 0], columns[:, 1:], k_max)):
        if k == 0:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            if one_shot == "ridge_path":  # m = 1 + sum_i c_i (-t)^i, u = a (1 - m)
                u = -a * np.polynomial.polynomial.polyval(-t, np.concatenate([[0.0], coef]))
            else:
                u = a * deviation_from_xibar(a, t, coef)
            h = a - u
        out.append((h, filter_reason(sm, h)))
    return out


def ridge_loo_alpha(sm, alphas) -> tuple[int, np.ndarray]:
    """Index of the alpha ``RidgeCV`` would pick (exact LOO; first of ties in grid order).

    Ridge is one linear smoother, so its LOO residuals are ``e_i / (1 - h_ii)`` exactly, with the
    leverage ``h_ii = w_i / n + sum_j U_ij^2 a_j`` (intercept included): all alphas at once.
    Returns the index and the LOO mean squared errors (inf where a leverage reaches 1).
    """
    if sm.left is None or sm.y_tilde is None:
        raise ValueError("ridge LOO needs the left singular vectors (keep_left=True).")
    A = sm.ell[:, None] / (sm.ell[:, None] + np.asarray(alphas, dtype=float)[None, :])  # (r, n_alpha)
    U2 = sm.left**2
    leverage = U2 @ A
    if sm.p0:
        root_w = sm.root_w if sm.root_w is not None else np.ones(U2.shape[0])
        leverage = leverage + (root_w**2 / sm.n)[:, None]
    denom = 1.0 - leverage
    scores = np.zeros(A.shape[1])
    for j in range(sm.n_targets):
        residual = sm.y_tilde[:, [j]] - sm.left @ (A * sm.z[:, [j]])
        with np.errstate(divide="ignore", invalid="ignore"):
            scores += np.sum((residual / denom) ** 2, axis=0)
    scores = np.where(np.all(denom > 1e-12, axis=0), scores / (sm.n * sm.n_targets), np.inf)
    if not np.any(np.isfinite(scores)):
        return int(np.argmax(alphas)), scores
    return int(np.argmin(scores)), scores
