"""Speed of the joint quantile regression (tier A) beside the R package's recorded times.

R cannot run in this process, so the baseline is the wall time R qrjoint 2.0-3 recorded for the same
case and chain length on one core (``../shared/qrjoint/*_meta.csv``: 10.2 s locscale, 9.7 s rightcens,
77 s plasma for 5,000 adaptive-Metropolis iterations). We report for each case both our wall time
and our process CPU time (``time.process_time``): on a shared host the CPU time is what an idle core
would have needed, the wall time includes waiting for other jobs. BLAS is pinned to one thread
(threadpoolctl) and the load average is recorded.

Also timed: the MAP (target < 2 s on locscale), one log-likelihood evaluation, and tiers B and C on
n = 500 with 19 levels.

Usage::

    python benchmarks/bench_qrjoint.py [--iterations 5000] [--cases locscale rightcens plasma]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_limits

from selfdistill.quantile import (
    JointQuantileRegressor,
    NonCrossingQuantileRegressor,
    RearrangedQuantileRegressor,
)
from selfdistill.quantile.reference import load_reference, reference_dir


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def bench_case(name, folder, iterations):
    case = load_reference(name, folder)
    thin = 10
    model = JointQuantileRegressor(method="mcmc", n_samples=iterations // thin, thin=thin, random_state=0)
    _, wall, cpu = _timed(lambda: model.fit(case.X, case.y, censoring=case.censoring))
    # the MAP start is part of fit; time it alone to separate it from the chain
    mapm = JointQuantileRegressor(method="map")
    _, map_wall, map_cpu = _timed(lambda: mapm.fit(case.X, case.y, censoring=case.censoring))
    mdl = model.model_
    theta, lam = model.theta_map_, model.lam_map_
    reps = 400
    _, ev_wall, ev_cpu = _timed(lambda: [mdl.log_post(theta + 1e-9 * k, lam) for k in range(reps)])
    r_seconds = float(case.meta["seconds"])
    r_iterations = int(case.meta["nsamp"] * case.meta["thin"])
    return {
        "name": name, "n": len(case.y), "p": case.X.shape[1], "iterations": iterations,
        "r_iterations": r_iterations, "r_seconds": r_seconds,
        "t_fit_wall_s": wall, "t_fit_cpu_s": cpu, "t_map_wall_s": map_wall, "t_map_cpu_s": map_cpu,
        "t_chain_cpu_s": cpu - map_cpu,
        "ratio_wall_over_r": wall / r_seconds * r_iterations / iterations,
        "ratio_cpu_over_r": cpu / r_seconds * r_iterations / iterations,
        "log_post_eval_us_cpu": ev_cpu / reps * 1e6, "log_post_eval_us_wall": ev_wall / reps * 1e6,
        "evals_per_iteration": mdl.p + 4,
        "acceptance_min": float(model.chain_.acceptance.min()),
    }


def bench_lp():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(500, 2))
    y = 1 + X @ [2.0, -1.0] + (1 + X[:, 0]) * rng.normal(size=500)
    grid = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))
    _, b_wall, b_cpu = _timed(lambda: NonCrossingQuantileRegressor(quantiles=grid).fit(X, y))
    _, c_wall, c_cpu = _timed(lambda: RearrangedQuantileRegressor(quantiles=grid).fit(X, y))
    return {"name": "tiers B and C", "n": 500, "p": 2, "levels": 19, "t_joint_lp_wall_s": b_wall,
            "t_joint_lp_cpu_s": b_cpu, "t_per_tau_lp_wall_s": c_wall, "t_per_tau_lp_cpu_s": c_cpu}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--cases", nargs="+", default=["locscale", "rightcens", "plasma"])
    parser.add_argument("--qrjoint-dir", default=None)
    args = parser.parse_args(argv)
    folder = reference_dir(args.qrjoint_dir)
    if folder is None:
        raise SystemExit("R reference outputs not found: pass --qrjoint-dir or set SELFDISTILL_QRJOINT_DIR")
    env = {"blas_threads": 1, "numpy": np.__version__, "scipy": scipy.__version__,
           "scikit-learn": sklearn.__version__, "machine": platform.machine(), "cpus": os.cpu_count()}
    with threadpool_limits(limits=1):
        for name in args.cases:
            load0 = os.getloadavg()[0]
            row = bench_case(name, folder, args.iterations)
            print(json.dumps({**row, "loadavg_before": load0, "loadavg_after": os.getloadavg()[0], **env}), flush=True)
        print(json.dumps({**bench_lp(), "loadavg": os.getloadavg()[0], **env}), flush=True)


if __name__ == "__main__":
    main()
