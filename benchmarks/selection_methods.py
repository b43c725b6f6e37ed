"""Issue 9: the measured comparison of (alpha, k) selection methods behind the default.

Runs the real-data protocol of :mod:`selfdistill.reproduce.real_benchmark` (RidgeCV vs each method, test MSE
on random 70/30 splits, raw and standardised features) for the cross-fitted default with 0, 1 and 2
standard errors of preference for fewer steps (``selfdistill._cv_pipeline.SE_MULTIPLIER``, a
module constant, set per fit here), with 10 folds, and every vetted in-sample mode; prints the
per-data-set summary and the issue's rules, and writes the runs to ``--out``. The table in the
Notes of ``SelfDistilledRidgeCV`` came from ``--seeds 20`` (440 fits per method). Examples::

    python benchmarks/selection_methods.py --seeds 20
    python benchmarks/selection_methods.py --seeds 3 --methods cf_se1 gcv --datasets airfoil ccard
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

import selfdistill._cv_pipeline as pipeline  # noqa: E402
from selfdistill.reproduce.real_benchmark import (  # noqa: E402
    make_sd_estimator,
    run_benchmark,
    summarize,
    verdicts,
)

METHODS = {
    "cf_se1": {"tuning": "crossfit", "_se": 1.0},  # the default
    "cf_se0": {"tuning": "crossfit", "_se": 0.0},
    "cf_se2": {"tuning": "crossfit", "_se": 2.0},
    "cf10_se1": {"tuning": "crossfit", "cv": 10, "_se": 1.0},
    "gcv": {"tuning": "gcv"},
    "gcv_paper": {"tuning": "gcv", "one_shot": "gcv_paper"},
    "loo": {"tuning": "loo"},
    "cp": {"tuning": "cp"},
    "validation": {"tuning": "validation"},
}


def factory(config, alphas, steps, seed):
    """``make_sd_estimator`` whose ``fit`` runs with the configuration's SE multiplier."""
    config = dict(config)
    multiplier = config.pop("_se", None)
    model = make_sd_estimator(config, alphas, steps, seed)
    if multiplier is not None:
        fit = model.fit

        def fit_with_multiplier(X, y, **kw):
            previous, pipeline.SE_MULTIPLIER = pipeline.SE_MULTIPLIER, multiplier
            try:
                return fit(X, y, **kw)
            finally:
                pipeline.SE_MULTIPLIER = previous

        model.fit = fit_with_multiplier
    return model


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--out", default="results/selection_methods.csv")
    args = parser.parse_args(argv)
    configs = {name: METHODS[name] for name in args.methods}
    runs = run_benchmark(datasets=args.datasets, seeds=range(args.seeds), configs=configs, factory=factory)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    runs.to_csv(args.out, index=False)
    pd.set_option("display.width", 250)
    print(summarize(runs).to_string())
    for name in configs:
        for rule in verdicts(runs, default=name):
            print(name, "PASS" if rule.passed else "FAIL", rule.rule, "--", rule.detail)


if __name__ == "__main__":
    main()
