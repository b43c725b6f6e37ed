"""Timings of the SDRN estimator (selfdistill.sdrn), measured in one process with BLAS pinned.

Prints one JSON line per workload (d = 3 product-sine target, Cauchy noise):

* ``lp_dual_s`` vs ``lp_primal_s``: the absolute-loss LP solved through its dual (what the
  estimator does: 2p + 1 constraints) and through the primal with per-sample slacks (the
  reference route); ``ratio_primal_over_dual`` and the objective gap between the two.
* ``fit_s[loss]``: full ``SparseDeepReLURegressor(loss=...).fit`` (network construction + solve).
* ``predict_s_per_1000``: numpy forward pass (layer by layer, sparse) per 1000 rows.
* ``sd_cv_s``: ``SelfDistilledSparseDeepReLU`` with a kernel-ridge-free self teacher, xi by 5-fold
  CV over 5 candidates, one step (absolute loss: 25 two-term LPs + refits).

Usage::

    python benchmarks/bench_sdrn.py
"""

from __future__ import annotations

import json
import os
import platform
import time

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

from selfdistill.sdrn import SelfDistilledSparseDeepReLU, SparseDeepReLURegressor
from selfdistill.sdrn._solvers import fit_lp, fit_lp_primal


def _median_time(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def workload(n: int, d: int = 3, seed: int = 0) -> dict:
    """Time one (n, d) workload; returns the JSON record."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, d))
    y = np.prod((1 + np.sin(np.pi * X)) / 2, axis=1) + 0.1 * rng.standard_cauchy(n)
    model = SparseDeepReLURegressor(loss="absolute").fit(X, y)
    Phi = model.network_.basis(X)
    terms = [(y, np.ones(n))]
    t_dual, (c1, b1, _) = _median_time(lambda: fit_lp(Phi, terms, 1.0, 1.0, 1.0))
    t_primal, (c2, b2) = _median_time(lambda: fit_lp_primal(Phi, terms, 1.0, 1.0, 1.0), repeats=1)

    def objective(c, b):
        return float(np.abs(y - Phi @ c - b).sum() + np.abs(c).sum())

    record = {"n": n, "d": d, "n_basis": model.n_basis_, "depth": model.depth_, "n_params": model.n_params_,
              "lp_dual_s": t_dual, "lp_primal_s": t_primal, "ratio_primal_over_dual": t_primal / t_dual,
              "lp_objective_rel_gap": abs(objective(c1, b1) - objective(c2, b2)) / objective(c2, b2)}
    record["fit_s"] = {}
    for loss in ("squared", "absolute", "quantile", "huber"):
        record["fit_s"][loss] = _median_time(lambda loss=loss: SparseDeepReLURegressor(loss=loss).fit(X, y))[0]
    Xt = rng.uniform(size=(4000, d))
    record["predict_s_per_1000"] = _median_time(lambda: model.predict(Xt))[0] / 4
    record["sd_cv_s"] = _median_time(lambda: SelfDistilledSparseDeepReLU(
        SparseDeepReLURegressor(loss="absolute"), xi="cv", xi_grid=(0.0, 0.25, 0.5, 0.75, 1.0)).fit(X, y),
        repeats=1)[0]
    record.update({"blas_threads": 1, "loadavg": os.getloadavg()[0], "numpy": np.__version__,
                   "scikit-learn": sklearn.__version__, "machine": platform.machine()})
    return record


def main() -> None:
    """Print one JSON line per workload."""
    with threadpool_limits(limits=1):
        for n in (500, 2000):
            print(json.dumps(workload(n)), flush=True)


if __name__ == "__main__":
    main()
