"""Where the time of the default ``SelfDistilledRidgeCV`` fit goes at W1, and how low it can go.

Issue 9 asks the default tuning (cross-fitting, cv=5, 13 alphas, k <= 5) to be at least 1000x
faster at W1 (10^4 x 20) than the naive search (13 alphas x 41 xi at k = 5, six sequential
sklearn ``Ridge`` fits each: 3,198 fits). This script measures, in ONE process with BLAS pinned
to one thread (threadpoolctl):

* ``naive_fit_ms``: one sklearn ``Ridge`` fit of the naive search as ``bench_sd_cv.py`` times it
  (a candidate's six sequential fits on the 70 % training split, divided by six), hence
  ``target_ms`` = 3,198 such fits / 1000, the fit time 1000x needs;
* ``fit_ms``: the default fit (median over >= 0.5 s of fits after a warm-up);
* ``stages_ms``: the same fits with a timer around each stage function of the pipeline (the
  timers themselves add a few microseconds each);
* ``kernels_ms``: the numerical kernels the safe procedure cannot do without, each timed alone
  at its best (blocked over the rows as the package does, fresh n-row temporaries cost page
  faults): sklearn's ``validate_data`` of X and y (the estimators must validate with public
  sklearn utilities), the shuffled folds (``KFold``'s permutation), the fold moments
  ``[X, y, 1]^T [X, y, 1]`` of the gathered rows, six 20 x 20 ``eigh`` (all rows and five training
  parts), the exact ridge leave-one-out of 13 alphas (``U = X V / s``, leverages ``(U * U) A``,
  fitted values ``U (A z)``; what makes ``n_steps=(0,)`` equal ``RidgeCV``, and what the
  real-data safety rule needs, see RESULTS.md) and the per-row errors of the one-SE rule;
  ``floor_ms`` is their sum and ``left_for_tuning_ms`` what 1000x leaves for everything else
  (78 one-shot least-squares solves, filter vetting, held-out scoring, selection, realisation).

Usage::

    python benchmarks/crossfit_stages.py
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import defaultdict

import numpy as np
from bench_sd_cv import ALPHAS, STEPS, make_workload, naive_fit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import validate_data
from threadpoolctl import threadpool_limits

from selfdistill import SelfDistilledRidgeCV

NAIVE_K5_FITS = len(ALPHAS) * 41 * 6
N_FOLDS = 5
_INHERITED = object()


def _best_of(fn, min_total: float = 0.5, max_calls: int = 2000) -> tuple[float, float]:
    """(median, minimum) seconds of ``fn()`` after a warm-up, over >= ``min_total`` seconds."""
    fn()
    times = []
    while sum(times) < min_total and len(times) < max_calls:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times))


class _Validated(RegressorMixin, BaseEstimator):
    """A bare estimator for ``validate_data`` (what every fit pays for input validation)."""


def kernel_times(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Median seconds of each irreducible kernel of the cross-fitted default (see module doc)."""
    n, d = X.shape
    est, state = _Validated(), np.random.RandomState()
    bounds = np.linspace(0, n, N_FOLDS + 1).astype(int)

    def validate():
        validate_data(est, X, y, dtype=np.float64, multi_output=True, y_numeric=True)

    def folds():
        state.seed(0)
        order = np.arange(n)
        state.shuffle(order)
        return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    tests = folds()
    center_x, center_y = X.mean(axis=0), y.mean()

    def gathered(test):
        rows = np.empty((test.size, d + 2))
        np.take(X, test, axis=0, out=rows[:, :d])
        rows[:, :d] -= center_x
        np.subtract(y[test], center_y, out=rows[:, d])
        rows[:, d + 1] = 1.0
        return rows

    blocks = [gathered(test) for test in tests]

    def moments():
        return np.stack([b.T @ b for b in (gathered(test) for test in tests)])

    M = moments()
    grams = np.concatenate([M.sum(axis=0)[None], M.sum(axis=0) - M])[:, :d, :d]

    def eigh():
        return np.linalg.eigh(grams)

    ell, V = np.linalg.eigh(grams[0])
    scaled_t = (V / np.sqrt(ell)).T.copy()
    A = ell[None, :] / (ell[None, :] + ALPHAS[:, None])
    z = scaled_t @ M.sum(axis=0)[:d, d]
    fitted_map = A * z

    def loo():
        total = np.zeros(ALPHAS.size)
        for b in blocks:
            u_t = scaled_t @ b[:, :d].T
            denom = A @ (u_t * u_t)
            denom += 1.0 / n
            np.subtract(1.0, denom, out=denom)
            residual = fitted_map @ u_t
            np.subtract(b[:, d], residual, out=residual)
            residual /= denom
            total += np.einsum("ai,ai->a", residual, residual)
        return total

    vectors = np.ones((d + 2, len(STEPS)))

    def one_se_rows():
        return np.concatenate([np.square(b @ vectors) for b in blocks])

    kernels = {"validate_data": validate, "folds": folds, "fold_moments": moments,
               "eigh_x6": eigh, "ridge_loo": loo, "one_se_rows": one_se_rows}
    return {name: _best_of(fn)[0] for name, fn in kernels.items()}


def stage_times(X, y, names: dict, fits: int = 100) -> dict[str, float]:
    """Median seconds per fit of each stage function (``{label: (module, attribute)}``)."""
    spent = defaultdict(float)
    originals = []
    for label, (owner, attribute) in names.items():
        original = getattr(owner, attribute)
        # restore what the owner itself held (a classmethod, or nothing when inherited)
        originals.append((owner, attribute, vars(owner).get(attribute, _INHERITED)))

        def timed(*args, _f=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - start

        setattr(owner, attribute, timed)
    try:
        fit = lambda: SelfDistilledRidgeCV(ALPHAS, STEPS, random_state=0).fit(X, y)  # noqa: E731
        fit()
        spent.clear()
        for _ in range(fits):
            fit()
    finally:
        for owner, attribute, original in reversed(originals):
            if original is _INHERITED:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)
    return {label: spent[label] / fits for label in names}


def pipeline_stages() -> dict:
    """The stage functions of the cross-fitted default, looked up where the pipeline calls them."""
    from selfdistill import _crossfit, _cv_params, _cv_pipeline, linear_model

    return {
        "parameters (CVParams.of)": (_cv_params.CVParams, "of"),
        "validate_fit_data": (_cv_pipeline, "validate_fit_data"),
        "folds": (_cv_pipeline, "Folds"),
        "fold moments + eigh (_folded_problem)": (linear_model.SelfDistilledRidgeCV, "_folded_problem"),
        "ridge LOO (ridge_loo_alpha)": (_cv_pipeline, "ridge_loo_alpha"),
        "fold scoring (crossfit_scores_from_moments)": (_cv_pipeline, "crossfit_scores_from_moments"),
        "  of which one-shot solves (one_shot_grid)": (_crossfit, "one_shot_grid"),
        "refit candidates (_crossfit_candidates)": (_cv_pipeline, "_crossfit_candidates"),
        "one-SE preference (_crossfit_preference)": (_cv_pipeline, "_crossfit_preference"),
        "realise + vet (_first_realisable)": (_cv_pipeline, "_first_realisable"),
        "fitted attributes (_realise)": (linear_model.SelfDistilledRidgeCV, "_realise"),
    }


def main() -> None:
    X, y = make_workload(10_000, 20)
    split = int(0.7 * X.shape[0])
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one candidate of the naive search: six sequential Ridge fits (the bench's per-fit basis)
        naive, _ = _best_of(lambda: naive_fit(X[:split], y[:split], 1.0, 5, 0.5))
        naive /= 6
        fit, fit_min = _best_of(lambda: SelfDistilledRidgeCV(ALPHAS, STEPS, random_state=0).fit(X, y))
        stages = stage_times(X, y, pipeline_stages())
        kernels = kernel_times(X, y)
    target = naive * NAIVE_K5_FITS / 1000
    floor = sum(kernels.values())
    ms = lambda seconds: round(seconds * 1e3, 3)  # noqa: E731
    print(json.dumps({
        "workload": "10000x20", "naive_fit_ms": ms(naive), "target_ms": ms(target),
        "fit_ms": ms(fit), "fit_min_ms": ms(fit_min), "ratio_naive_k5_over_fit": round(target * 1000 / fit, 1),
        "stages_ms": {k: ms(v) for k, v in stages.items()},
        "kernels_ms": {k: ms(v) for k, v in kernels.items()},
        "floor_ms": ms(floor), "left_for_tuning_ms": ms(target - floor),
        "blas_threads": 1, "loadavg": os.getloadavg()[0],
    }, indent=1))


if __name__ == "__main__":
    main()
