"""Real-data benchmark: SelfDistilledRidgeCV (every tuning mode) against RidgeCV.

Protocol and columns: :mod:`selfdistill.reproduce.real_benchmark`. Writes ``real_data_runs.csv`` (one row per
fit, seeds and configurations in every row), ``real_data_summary.csv``, ``real_data_rules.csv`` and
``real_data.md`` into ``--out``. Examples::

    python benchmarks/real_data.py                                  # everything: 11 data sets x 20 splits
    python benchmarks/real_data.py --datasets airfoil diabetes --seeds 5 --features raw --modes default loo
    python benchmarks/real_data.py --config crossfit='{"tuning": "crossfit"}' --modes default crossfit
    python benchmarks/real_data.py --configs-from mymodule:configs  # a function returning {name: kwargs}
    python benchmarks/real_data.py --alphas 1 10 100 1e3 1e4 --datasets airfoil --features raw
    python benchmarks/real_data.py --gain-checks --modes default    # + synthetic and Airfoil coarse-grid checks

From Python: ``selfdistill.reproduce.real_benchmark.run_benchmark(datasets=..., seeds=..., configs=...)``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from selfdistill.reproduce._outputs import markdown_table  # noqa: E402
from selfdistill.reproduce.real_benchmark import (  # noqa: E402
    DEFAULT_ALPHAS,
    DEFAULT_STEPS,
    FEATURE_MODES,
    default_configs,
    rules_frame,
    run_suite,
    summarize,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=None, help="data set keys (default: all)")
    parser.add_argument("--seeds", type=int, default=20, help="number of split seeds 0..N-1 (default 20)")
    parser.add_argument("--seed-list", type=int, nargs="+", default=None, help="explicit split seeds")
    parser.add_argument("--features", nargs="+", default=list(FEATURE_MODES), choices=FEATURE_MODES)
    parser.add_argument("--modes", nargs="+", default=None, help="configuration names to run (default: all)")
    parser.add_argument(
        "--config", action="append", default=[], metavar="NAME=JSON",
        help='extra configuration, e.g. crossfit=\'{"tuning": "crossfit"}\' (repeatable)',
    )
    parser.add_argument("--configs-from", default=None, metavar="MODULE:FUNCTION",
                        help="a function returning {name: estimator kwargs}, added to the defaults")
    parser.add_argument("--default-name", default="default", help="configuration judged by the rules")
    parser.add_argument("--alphas", type=float, nargs="+", default=[float(a) for a in DEFAULT_ALPHAS])
    parser.add_argument("--steps", type=int, nargs="+", default=list(DEFAULT_STEPS))
    parser.add_argument("--max-rows", type=int, default=None, help="subsample large data sets (quick runs)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", default="results/real_data")
    parser.add_argument("--data-dir", default=None, help="folder with the raw UCI files")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--gain-checks", action="store_true",
                        help="also run the 'real gains are kept' checks (synthetic designs, Airfoil coarse grid)")
    parser.add_argument("--synthetic-seeds", type=int, default=10, help="noise seeds of the synthetic check")
    return parser.parse_args(argv)


def build_configs(args) -> dict[str, dict]:
    configs = default_configs()
    if args.configs_from:
        module, _, function = args.configs_from.partition(":")
        configs.update(getattr(importlib.import_module(module), function)())
    for item in args.config:
        name, sep, text = item.partition("=")
        if not sep:
            raise SystemExit(f"--config needs NAME=JSON, got {item!r}")
        configs[name] = json.loads(text)
    if args.modes:
        unknown = sorted(set(args.modes) - set(configs))
        if unknown:
            raise SystemExit(f"unknown --modes {unknown}; known: {sorted(configs)}")
        configs = {name: configs[name] for name in args.modes}
    return configs


def main(argv=None) -> int:
    args = parse_args(argv)
    seeds = list(args.seed_list if args.seed_list else range(args.seeds))
    configs = build_configs(args)
    suite = run_suite(
        datasets=args.datasets, seeds=seeds, features=args.features, configs=configs, alphas=args.alphas,
        steps=args.steps, gain_checks=args.gain_checks,
        synthetic_seeds=range(args.synthetic_seeds), default=args.default_name, data_dir=args.data_dir,
        max_rows=args.max_rows, n_jobs=args.jobs, show_progress=not args.no_progress,
    )
    runs = suite.runs
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(runs)
    if args.gain_checks:
        suite.synthetic.to_csv(out / "real_data_synthetic.csv", index=False)
        suite.airfoil.to_csv(out / "real_data_airfoil_coarse.csv", index=False)
        print(suite.synthetic.groupby(["design", "config"], sort=False)[["oracle_gain", "realised_gain", "k"]].mean())
    rules = rules_frame(suite.rules)
    runs.to_csv(out / "real_data_runs.csv", index=False)
    summary.to_csv(out / "real_data_summary.csv", index=False)
    rules.to_csv(out / "real_data_rules.csv", index=False)
    text = (
        f"seeds {list(seeds)}; features {args.features}; alphas {args.alphas}; n_steps {args.steps}\n\n"
        + markdown_table(summary.drop(columns=["k_counts"]))
        + "\n" + markdown_table(rules)
    )
    (out / "real_data.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
