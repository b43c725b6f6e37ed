"""Speed of exact (alpha, k, xi) tuning vs what a user would write today.

Prints one JSON line per workload, all timings measured in ONE process with BLAS pinned to one
thread (threadpoolctl), so the ratios are meaningful even on a loaded machine:

* ``naive``: baseline A -- for every (alpha, k, xi) candidate, k + 1 sequential sklearn ``Ridge``
  refits on ``xi * previous predictions + (1 - xi) * y`` with a common xi from a 41-point grid on
  [-1, 2], scored on the validation split. Timed on ``--naive-sample`` evenly spaced candidates
  and **extrapolated** to the whole grid (the JSON says so: ``naive_extrapolated``). Its best
  validation MSE is computed exactly for all candidates with the closed form, after checking on
  the timed sample that closed form and refits agree (``max_coef_diff``).
* ``ridgecv``: baseline B -- ``sklearn.linear_model.RidgeCV(alphas)`` (alpha only, no SD).
* ``ours_validation`` / ``ours_gcv``: ``SelfDistilledRidgeCV`` with ``tuning="validation"`` on the
  same split, and with the one-shot ``tuning="gcv"`` on all rows.
* ``limit``: the physical limit, one ``X^T X`` plus ``eigh`` on the same rows as ``ours_gcv``.
* ``ours_default``: ``SelfDistilledRidgeCV(ALPHAS, STEPS)`` with its default ``tuning="crossfit"``
  (5 folds: six decompositions, xi by one-shot GCV per fold, held-out scoring) on all rows,
  compared (issue 9) with the naive search of 13 alphas x 41 xi at k = 5 only, each six sequential
  ``Ridge`` fits (``naive_k5``: 3,198 fits, extrapolated from the same per-fit time), and with
  ``RidgeCV``.

Usage::

    python benchmarks/bench_sd_cv.py            # W1 (1e4 x 20) and W2 (1e5 x 200)
    python benchmarks/bench_sd_cv.py --w3       # also W3 (1e6 x 100, ~1 GB of RAM)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np
import scipy.linalg
import sklearn
from sklearn.linear_model import Ridge, RidgeCV
from threadpoolctl import threadpool_limits

from selfdistill import SelfDistilledRidgeCV, SpectralDesign, sd_coef
from selfdistill._filters import deviation_from_xi, filter_from_deviation, shrinkage
from selfdistill.exceptions import GridBoundaryWarning

ALPHAS = np.logspace(-3, 4, 13)
STEPS = tuple(range(6))
XI_GRID = np.linspace(-1.0, 2.0, 41)
WORKLOADS = {"W1": (10_000, 20), "W2": (100_000, 200), "W3": (1_000_000, 100)}


def make_workload(n: int, d: int, seed: int = 0):
    """Correlated design with a decaying spectrum, a sparse-ish signal and unit noise."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(1.0, 0.05, d)
    X = rng.normal(size=(n, d)) * scales
    beta = rng.normal(size=d) * (rng.uniform(size=d) < 0.5)
    y = X @ beta + rng.normal(size=n)
    return X, y


def _median_time(fn, repeats: int = 3, min_total: float = 0.25, max_repeats: int = 200) -> float:
    """Median wall time of ``fn()`` after one warm-up call (first-call costs: imports, caches,
    the allocator's first page faults), over at least ``repeats`` calls and at least
    ``min_total`` seconds (fast calls are repeated more often, so one slow call on a shared
    host does not decide their median)."""
    fn()
    times = []
    while len(times) < repeats or (sum(times) < min_total and len(times) < max_repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def naive_candidates():
    """Every (alpha, k, xi) a grid search would visit (k = 0 needs no xi)."""
    out = []
    for alpha in ALPHAS:
        for k in STEPS:
            for xi in ([None] if k == 0 else XI_GRID):
                out.append((float(alpha), k, xi))
    return out


def naive_fit(X, y, alpha, k, xi):
    """Baseline A for one candidate: k + 1 sequential sklearn Ridge refits (no intercept)."""
    model = Ridge(alpha=alpha, fit_intercept=False).fit(X, y)
    coef = model.coef_
    for _ in range(k):
        coef = Ridge(alpha=alpha, fit_intercept=False).fit(X, xi * (X @ coef) + (1 - xi) * y).coef_
    return coef


def _grid_best_validation_mse(X_tr, y_tr, X_va, y_va, candidates) -> float:
    """Exact validation MSE of every grid candidate from one SVD (closed form, all at once)."""
    design = SpectralDesign.from_X(X_tr, y_tr, method="svd")
    s, V, z = design.singular_values, design.components, design.z[:, 0]
    B = X_va @ V * (z / s)  # validation predictions are B @ h for a filter h
    filters = []
    for alpha, k, xi in candidates:
        a, t = shrinkage(s, alpha)
        d = deviation_from_xi(a, t, np.full(k, xi if k else 0.0))
        filters.append(filter_from_deviation(a, t, d)[0])
    residuals = y_va[:, None] - B @ np.column_stack(filters)
    return float(np.min(np.mean(residuals**2, axis=0)))


def run_workload(n: int, d: int, naive_sample: int = 6, repeats: int = 3, seed: int = 0) -> dict:
    """Measure every timing and ratio for one workload; returns the JSON record."""
    X, y = make_workload(n, d, seed)
    split = int(0.7 * n)
    X_tr, y_tr, X_va, y_va = X[:split], y[:split], X[split:], y[split:]
    candidates = naive_candidates()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", GridBoundaryWarning)
        # --- baseline A on a sample of candidates, extrapolated
        picks = np.linspace(0, len(candidates) - 1, naive_sample).round().astype(int)
        naive_fit(X_tr, y_tr, *candidates[picks[0]][:2], 0.5)  # warm-up
        start = time.perf_counter()
        sampled = [naive_fit(X_tr, y_tr, *candidates[i]) for i in picks]
        sample_time = time.perf_counter() - start
        sample_fits = sum(candidates[i][1] + 1 for i in picks)
        total_fits = sum(k + 1 for _, k, _ in candidates)
        naive_time = sample_time / sample_fits * total_fits  # extrapolated per Ridge fit
        closed = [sd_coef(X_tr, y_tr, a, [] if k == 0 else [xi] * k) for a, k, xi in (candidates[i] for i in picks)]
        coef_diff = max(float(np.max(np.abs(c - s))) for c, s in zip(closed, sampled, strict=True))
        naive_best = _grid_best_validation_mse(X_tr, y_tr, X_va, y_va, candidates)
        # --- ours, the paper's protocol on the same split (no intercept, like baseline A)
        ours_val = SelfDistilledRidgeCV(ALPHAS, STEPS, tuning="validation", fit_intercept=False)
        ours_val.fit(X_tr, y_tr, X_val=X_va, y_val=y_va)
        t_val = _median_time(
            lambda: SelfDistilledRidgeCV(ALPHAS, STEPS, tuning="validation", fit_intercept=False).fit(
                X_tr, y_tr, X_val=X_va, y_val=y_va
            ),
            repeats,
        )
        # --- baseline B and ours one-shot on all rows, and the physical limit
        t_ridgecv = _median_time(lambda: RidgeCV(alphas=ALPHAS).fit(X, y), repeats)
        t_gcv = _median_time(lambda: SelfDistilledRidgeCV(ALPHAS, STEPS, tuning="gcv").fit(X, y), repeats)
        t_limit = _median_time(lambda: scipy.linalg.eigh(X.T @ X), repeats)
        t_default = _median_time(lambda: SelfDistilledRidgeCV(ALPHAS, STEPS, random_state=0).fit(X, y), repeats)
    k5_fits = len(ALPHAS) * XI_GRID.size * (max(STEPS) + 1)
    t_naive_k5 = naive_time / total_fits * k5_fits
    return {
        "workload": f"{n}x{d}",
        "n": n,
        "d": d,
        "alphas": len(ALPHAS),
        "steps": list(STEPS),
        "naive_candidates": len(candidates),
        "naive_ridge_fits": total_fits,
        "naive_extrapolated": True,
        "naive_timed_candidates": naive_sample,
        "t_naive_s": naive_time,
        "t_ours_validation_s": t_val,
        "t_ridgecv_s": t_ridgecv,
        "t_ours_gcv_s": t_gcv,
        "t_limit_xtx_eigh_s": t_limit,
        "ratio_naive_over_ours": naive_time / t_val,
        "ratio_ridgecv_over_ours_gcv": t_ridgecv / t_gcv,
        "ratio_ours_gcv_over_limit": t_gcv / t_limit,
        "t_ours_default_crossfit_s": t_default,
        "naive_k5_ridge_fits": k5_fits,
        "t_naive_k5_s": t_naive_k5,
        "ratio_naive_k5_over_default": t_naive_k5 / t_default,
        "ratio_default_over_ridgecv": t_default / t_ridgecv,
        "val_mse_naive_best": naive_best,
        "val_mse_ours": -ours_val.best_score_,
        "ours_at_least_as_good": bool(-ours_val.best_score_ <= naive_best * (1 + 1e-12)),
        "max_coef_diff_closed_vs_refits": coef_diff,
        "blas_threads": 1,
        "loadavg": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "machine": platform.machine(),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--w3", action="store_true", help="also run W3 (1e6 x 100)")
    parser.add_argument("--only", choices=sorted(WORKLOADS), help="run a single workload")
    parser.add_argument("--naive-sample", type=int, default=6)
    args = parser.parse_args(argv)
    names = [args.only] if args.only else ["W1", "W2"] + (["W3"] if args.w3 else [])
    for name in names:
        record = {"name": name, **run_workload(*WORKLOADS[name], naive_sample=args.naive_sample)}
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
