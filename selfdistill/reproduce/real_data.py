"""Does SD help on real data? ``SelfDistilledRidgeCV`` against ``RidgeCV`` on real regressions.

Three parts, all from :mod:`selfdistill.reproduce.real_benchmark` (shared with ``benchmarks/real_data.py``):

1. Every data set of ``REAL_DATASETS`` x random 70/30 splits x raw and standardised features:
   RidgeCV and every tuning mode of ``SelfDistilledRidgeCV`` (the default, gcv, gcv_paper, loo, cp,
   validation) over the same alphas with ``n_steps=(0, 1, 2, 3)``, judged by the test MSE only.
2. Real gains are kept: synthetic designs where oracle SD beats oracle ridge by >= 20 %.
3. Airfoil with raw features and the paper's coarse grid {1, ..., 1e4}.

The verdicts are issue 9's acceptance rules applied to the numbers (:func:`verdicts`,
:func:`gain_rules`), never fixed text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._experiment import Claim, Experiment, ReproduceContext, Results
from ._outputs import environment_info, markdown_table, pyplot, save_figure, write_json
from .real_benchmark import (
    DEFAULT_ALPHAS,
    DEFAULT_STEPS,
    FEATURE_MODES,
    PAPER_COARSE_ALPHAS,
    SYNTHETIC_DESIGNS,
    default_configs,
    rules_frame,
    run_suite,
    summarize,
)

NAME = "real-data"


@dataclass(frozen=True)
class RealDataConfig:
    """Settings of the real-data study (recorded in ``real_data_config.json``).

    Attributes
    ----------
    max_rows : int or None
        Rows kept per data set (None: all).
    n_designs : int or None
        How many of ``SYNTHETIC_DESIGNS`` to run (None: all).
    """

    max_rows: int | None = None
    n_designs: int | None = None


#: The protocol is ours (issue 9), not a paper's.
ASSUMPTIONS = (
    "Random 70/30 splits, raw and standardised features, the alpha grid 1e-3..1e5 and the "
    "acceptance rules of issue 9 are our protocol, not a paper's.",
)


def run(config: RealDataConfig, ctx: ReproduceContext) -> Results:
    """The ``compute`` hook: the three parts as CSVs, ``real_data.md``, a PNG and the configuration.

    ``values`` holds the ``summary`` and the ``rules`` for :func:`claims`.
    """
    n_seeds = ctx.seeds
    seeds = list(range(n_seeds))
    configs = default_configs()
    max_rows = config.max_rows
    designs = SYNTHETIC_DESIGNS[: config.n_designs]
    suite = run_suite(
        synthetic_designs=designs, synthetic_seeds=range(min(n_seeds, 10)), seeds=seeds,
        configs=configs, data_dir=ctx.data_dir, max_rows=max_rows, n_jobs=ctx.jobs,
        show_progress=ctx.progress,
    )
    runs, synthetic, airfoil, rules = suite.runs, suite.synthetic, suite.airfoil, suite.rules
    summary = summarize(runs)
    by_features = summarize(runs, by=("dataset", "features", "config"))
    out = ctx.out_dir
    for name, frame in [
        ("real_data_runs", runs), ("real_data_summary", summary), ("real_data_summary_by_features", by_features),
        ("real_data_synthetic", synthetic), ("real_data_airfoil_coarse", airfoil),
        ("real_data_rules", rules_frame(rules)),
    ]:
        frame.to_csv(out / f"{name}.csv", index=False)
    markdown = _markdown(runs, summary, synthetic, airfoil, rules, n_seeds, ctx.quick)
    (out / "real_data.md").write_text(markdown)
    _plot(runs, out / "real_data.png", ctx.quick)
    write_json(out / "real_data_config.json", {
        "seeds": seeds, "features": list(FEATURE_MODES), "test_fraction": 0.3,
        "alphas": list(DEFAULT_ALPHAS), "paper_coarse_alphas": list(PAPER_COARSE_ALPHAS),
        "n_steps": list(DEFAULT_STEPS), "configs": configs, "max_rows": max_rows,
        "synthetic_designs": list(designs), "quick": ctx.quick, "environment": environment_info(),
    })
    return Results(markdown, {"summary": summary, "rules": rules})


def _cell(row: pd.Series) -> str:
    return f"{row['median_pct_change']:+.2f}% / {row['worst_ratio']:.3g}"


def _markdown(runs, summary, synthetic, airfoil, rules, n_seeds: int, quick: bool) -> str:
    configs = list(dict.fromkeys(summary["config"]))
    shapes = runs.groupby("dataset", sort=False)[["n_train", "n_test", "n_features"]].first()
    lines = [
        f"### Does SD help on real data? Test MSE against RidgeCV ({n_seeds} random 70/30 splits x raw and "
        f"standardised features{', QUICK run: at most 1500 rows per data set' if quick else ''})",
        "",
        "Each cell: median change of test MSE against `RidgeCV` (same alphas, 1e-3..1e5) over all fits of "
        "the data set / worst ratio test MSE / RidgeCV's. `n_steps=(0, 1, 2, 3)`; `default` is "
        "`SelfDistilledRidgeCV`'s default tuning at the time of the run.",
        "",
        "| data set | n_train x d | " + " | ".join(configs) + " |",
        "|---|---|" + "---|" * len(configs),
    ]
    table = summary.set_index(["dataset", "config"])
    for dataset, shape in shapes.iterrows():
        cells = [_cell(table.loc[(dataset, c)]) if (dataset, c) in table.index else "—" for c in configs]
        lines.append(f"| {dataset} | {shape['n_train']} x {shape['n_features']} | " + " | ".join(cells) + " |")
    default = summary[summary["config"] == "default"]
    lines += [
        "",
        "Default configuration per data set (wins = fits with a lower test MSE than RidgeCV, ties = the same "
        "test MSE to 1e-9; k: chosen number of steps; time: median fit time / RidgeCV's):",
        "",
        markdown_table(default[[
            "dataset", "n_fits", "median_pct_change", "mean_pct_change", "wins", "ties", "worst_ratio",
            "share_above_1_25", "mean_k", "k_counts", "median_time_ratio",
        ]], digits=3),
        "### Verdicts (issue 9's acceptance rules, computed from the numbers)",
        "",
        markdown_table(rules_frame(rules).assign(passed=lambda f: f["passed"].map({True: "holds", False: "FAILS"})),
                       digits=4),
    ]
    if len(synthetic):
        per = synthetic.groupby(["design", "config"], sort=False).agg(
            n=("n", "first"), d=("d", "first"), noise_sd=("noise_sd", "first"), signal=("signal", "first"),
            oracle_gain=("oracle_gain", "first"), realised_gain=("realised_gain", "mean"),
            share_of_oracle_gain=("share_of_oracle_gain", "mean"), mean_k=("k", "mean"),
        ).reset_index()
        lines += [
            "### Real gains are kept? Synthetic designs with oracle gain >= 20 %",
            "",
            "oracle_gain = 1 - R*(SD) / R*(ridge) (exact, in-sample excess risk); realised_gain = 1 - excess "
            "risk of the tuned model / RidgeCV's, mean over noise seeds.",
            "",
            markdown_table(per, digits=3),
        ]
    if len(airfoil):
        lines += [
            "### Airfoil, raw features, the paper's coarse grid {1, 10, 100, 1e3, 1e4}",
            "",
            markdown_table(summarize(airfoil)[[
                "config", "n_fits", "median_pct_change", "mean_pct_change", "wins", "ties", "worst_ratio", "mean_k",
            ]], digits=3),
        ]
    return "\n".join(lines) + "\n"


def _plot(runs: pd.DataFrame, path, quick: bool):
    plt = pyplot()

    ok = runs[runs["error"] == ""]
    datasets = list(dict.fromkeys(ok["dataset"]))
    configs = list(dict.fromkeys(ok["config"]))
    fig, ax = plt.subplots(figsize=(13, 5.5))
    width = 0.8 / max(len(configs), 1)
    rng = np.random.default_rng(0)
    for j, config in enumerate(configs):
        part = ok[ok["config"] == config]
        x = part["dataset"].map({d: i for i, d in enumerate(datasets)}) + (j - (len(configs) - 1) / 2) * width
        jitter = rng.uniform(-0.3, 0.3, size=len(part)) * width
        ax.scatter(x + jitter, part["ratio"], s=8, alpha=0.5, color=f"C{j}", label=config)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.axhline(1.25, color="red", lw=0.8, ls="--", label="1.25x (issue 9: default's limit)")
    ax.axhline(2.0, color="darkred", lw=0.8, ls=":", label="2x (every mode's limit)")
    ax.set_xticks(np.arange(len(datasets)), datasets, rotation=30, ha="right")
    ax.set_ylabel("test MSE / RidgeCV's (log scale)")
    title = "SelfDistilledRidgeCV vs RidgeCV on real data: every split and feature mode"
    ax.set_title(title + (" — QUICK run" if quick else ""))
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    return save_figure(fig, path, quick=quick, dpi=120)


def claims(results: Results) -> list[Claim]:
    """Claim rows: issue 9's acceptance rules applied to this run's numbers."""
    summary, rules = (results.values[key] for key in ("summary", "rules"))
    default = summary[summary["config"] == "default"]
    gains = default[default["median_pct_change"] < -1.0]
    losses = default[default["median_pct_change"] > 1.0]
    best = default.loc[default["median_pct_change"].idxmin()]
    out = [Claim(
        "Does SD help on real data? (default SelfDistilledRidgeCV vs RidgeCV, test MSE)",
        "up to 47% lower MSE (abstract; on three UCI sets under the paper's protocol)",
        f"median change over splits and feature modes: below -1 % on {len(gains)} of {len(default)} data sets "
        f"({', '.join(gains['dataset']) or 'none'}), above +1 % on {len(losses)} "
        f"({', '.join(losses['dataset']) or 'none'}); largest median gain {best['median_pct_change']:+.2f}% "
        f"({best['dataset']}); per-data-set medians: "
        + json.dumps({r["dataset"]: round(r["median_pct_change"], 2) for _, r in default.iterrows()}),
        f"gains on {len(gains)}/{len(default)} data sets, losses on {len(losses)}/{len(default)}",
        rule="a data set counts as a gain (loss) when the median change of test MSE over its fits is "
             "below -1 % (above +1 %); the verdict counts them",
        uncertainty=f"medians over {int(default['n_fits'].min())}+ fits per data set (splits x feature "
                    "modes); the spread is in real_data_summary.csv",
    )]
    out += [
        Claim(rule.rule, "issue 9 acceptance rule (not a paper claim)", rule.detail,
              "holds" if rule.passed else "fails", rule=f"holds if: {rule.rule}",
              uncertainty="a rule on this run's fits (counts and medians over splits); no interval")
        for rule in rules
    ]
    return out


#: 20 random splits (2 quick) by default.
EXPERIMENT = Experiment(
    NAME, full=RealDataConfig(), quick=RealDataConfig(max_rows=1500, n_designs=2), compute=run,
    claims=claims, assumptions=ASSUMPTIONS, seeds=(20, 2),
)
