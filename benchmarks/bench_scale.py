"""Scale-out: SelfDistilledRidgeCV on dask arrays against the floor of one X^T X pass.

For each (n, d) a dask array ``X`` (float64, standard normal, blocks of about 32 MB) and
``y = X beta + noise`` are *generated* block by block (never stored), and three passes over the same
blocks are timed on the threaded scheduler:

* ``generate``: the generation alone (the sum of every block), what any pass must pay here;
* ``floor``: one ``X^T X`` pass -- ``b.T @ b`` per block (a BLAS syrk), summed in the same tree
  that the estimator uses; the physical limit of any method that reads the rows once;
* ``fit``: ``SelfDistilledRidgeCV(tuning="gcv").fit(X, y)`` (GCV tuning of alpha, k and xi): the
  statistics pass (centred ``X^T X``, ``X^T y``, ``y^T y``, means), merged exactly, then ``eigh`` of
  the d x d result and the tuning.

With ``--in-memory`` the same kind of data is first drawn into RAM and wrapped by ``da.from_array``
(same blocks), so neither pass pays for generation: ``fit_over_floor`` is then the pure compute
ratio of the statistics pass (plus ``eigh`` and tuning) to one ``X^T X``.

Every configuration runs in its own subprocess, which reports its peak resident set size
(``ru_maxrss``), so memory can be compared across n. BLAS is pinned to one thread per dask worker
(``--workers`` workers). Prints one JSON line per configuration; ``--out`` also writes them.

Usage::

    python benchmarks/bench_scale.py                      # the grid in RESULTS.md
    python benchmarks/bench_scale.py --grid 100000:10     # one configuration
    python benchmarks/bench_scale.py --rss-check          # 1e7 x 40 fit, peak RSS < 1.5 GB?
    python benchmarks/bench_scale.py --in-memory 1000000:100   # compute-only ratio, data in RAM
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

DEFAULT_GRID = (
    [(n, 10) for n in (100_000, 1_000_000, 10_000_000, 100_000_000)]
    + [(n, 100) for n in (100_000, 1_000_000, 10_000_000)]
    + [(n, 1000) for n in (100_000, 1_000_000)]
)
BLOCK_BYTES = 32 * 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


def _generated(n: int, d: int):
    import dask.array as da
    import numpy as np

    rows = max(1, min(n, BLOCK_BYTES // (8 * d)))
    X = da.random.RandomState(0).standard_normal(size=(n, d), chunks=(rows, d))
    beta = np.random.default_rng(1).normal(size=d) / np.sqrt(d)
    y = X @ beta + da.random.RandomState(2).standard_normal(size=n, chunks=rows)
    return X, y, rows


def _in_memory(n: int, d: int):
    """The same kind of data held in RAM and wrapped as a dask array: no generation in any pass."""
    import dask.array as da
    import numpy as np

    rows = max(1, min(n, BLOCK_BYTES // (8 * d)))
    rng = np.random.default_rng(0)
    X = rng.standard_normal(size=(n, d))
    y = X @ (rng.normal(size=d) / np.sqrt(d)) + rng.standard_normal(size=n)
    return da.from_array(X, chunks=(rows, d)), da.from_array(y, chunks=rows), rows


def _gram_block(block):
    return block.T @ block


def _add(*parts):
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


def _tree(X, kernel):
    """The estimator's reduction tree (one task per block, merges of 8) with another kernel."""
    from dask import delayed

    from selfdistill._dask import SPLIT_EVERY

    parts = [delayed(kernel)(b) for b in X.to_delayed().ravel()]
    while len(parts) > 1:
        parts = [delayed(_add)(*parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def _block_sum(block):
    return block.sum(axis=0)


def run_one(n: int, d: int, workers: int, passes: str) -> dict:
    import warnings

    import dask
    import numpy as np
    from threadpoolctl import threadpool_limits

    from selfdistill import SelfDistilledRidgeCV
    from selfdistill.exceptions import GridBoundaryWarning

    X, y, rows = _in_memory(n, d) if "in-memory" in passes else _generated(n, d)
    out = {"n": n, "d": d, "data": "in-memory" if "in-memory" in passes else "generated", "block_rows": rows, "n_blocks": X.numblocks[0], "workers": workers,
           "generated_gb": n * d * 8 / 1e9}
    with threadpool_limits(limits=1), dask.config.set(scheduler="threads", num_workers=workers):
        # untimed warm-up on a few blocks: thread pool, imports and the allocator's first pages
        dask.compute(_tree(X[: min(n, 8 * rows)], _block_sum))
        if "generate" in passes:
            start = time.perf_counter()
            dask.compute(_tree(X, _block_sum))
            out["generate_s"] = time.perf_counter() - start
        if "floor" in passes:
            start = time.perf_counter()
            (gram,) = dask.compute(_tree(X, _gram_block))
            out["floor_s"] = time.perf_counter() - start
        if "fit" in passes:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", GridBoundaryWarning)
                model = SelfDistilledRidgeCV(tuning="gcv").fit(X, y)
            out["fit_s"] = time.perf_counter() - start
            out["alpha_"] = float(model.alpha_)
            out["n_steps_"] = int(model.n_steps_)
            if "floor" in passes:  # the statistics saw the same rows as the floor pass
                centred = gram / n - np.outer(model.statistics_.groups[0].x_mean, model.statistics_.groups[0].x_mean)
                out["max_stats_vs_floor_diff"] = float(
                    np.abs(model.statistics_.groups[0].xx / n - centred).max()
                )
    if "fit_s" in out:
        out["fit_rows_per_s"] = n / out["fit_s"]
    if "floor_s" in out and "fit_s" in out:
        out["fit_over_floor"] = out["fit_s"] / out["floor_s"]
        # the same ratio without the generation both passes pay (only meaningful when the X^T X
        # work is a sizeable part of the floor; timings on a shared host are noisy)
        if "generate_s" in out and out["floor_s"] - out["generate_s"] > 0.25 * out["floor_s"]:
            out["fit_over_floor_without_generation"] = (out["fit_s"] - out["generate_s"]) / (
                out["floor_s"] - out["generate_s"]
            )
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def machine() -> dict:
    import dask
    import numpy as np

    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(), "numpy": np.__version__, "dask": dask.__version__,
        "load_avg_1min": os.getloadavg()[0],
    }


def _subprocess(args: list[str], timeout: float) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def rss_check(n: int, d: int, workers: int) -> dict:
    """Fit only (no floor pass) in a fresh process; the process's peak RSS is the claim."""
    result = run_one(n, d, workers, passes="fit")
    result["claim"] = "peak RSS < 1.5 GB for a 1e7 x 40 dask array on the threaded scheduler"
    result["rss_below_1_5_gb"] = result["peak_rss_mb"] < 1.5 * 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="*", help="n:d pairs (default: the grid in RESULTS.md)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per configuration")
    parser.add_argument("--rss-check", action="store_true", help="the 1e7 x 40 peak-RSS claim")
    parser.add_argument(
        "--in-memory", nargs="*", help="n:d pairs held in RAM (wrapped by da.from_array): compute-only ratios"
    )
    parser.add_argument("--out", help="write the JSON lines here too")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # n:d:passes, run in this process
    args = parser.parse_args()
    if args.one:
        n, d, passes = args.one.split(":")
        if passes == "rss":
            print(json.dumps(rss_check(int(n), int(d), args.workers)))
        else:
            print(json.dumps(run_one(int(n), int(d), args.workers, passes)))
        return
    lines = [{"machine": machine()}]
    print(json.dumps(lines[0]), flush=True)
    if args.rss_check:
        jobs = [f"{10_000_000}:40:rss"]
    else:
        grid = [tuple(map(int, g.split(":"))) for g in args.grid] if args.grid else DEFAULT_GRID
        jobs = [f"{n}:{d}:generate,floor,fit" for n, d in grid]
        if args.in_memory is not None:
            jobs = [f"{g}:in-memory,floor,fit" for g in args.in_memory]
    for job in jobs:
        start = time.perf_counter()
        result = _subprocess(["--one", job, "--workers", str(args.workers)], args.timeout)
        result.setdefault("config", job)
        result["wall_s"] = time.perf_counter() - start
        lines.append(result)
        print(json.dumps(result), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(json.dumps(line) for line in lines) + "\n")


if __name__ == "__main__":
    main()
