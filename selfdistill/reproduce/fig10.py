"""Fig. 10 (Appendix L.2): alignment of the fitted parameter with the eigenvectors, per UCI dataset.

The paper's caption (Theory §4.2): "The alignment of theta* to the eigenbasis directions
{u_j} for the three datasets used in the experiments. The low-alignment of theta* to any of the
eigenbasis directions for the AEP dataset explains why SD provides no gain over ridge in the test
set MSE values observed in Table 1." The bars are squared cosines ``cos^2(theta_hat, u_j)``, with
theta* approximated by a fitted ridge solution.

Our procedure, per dataset and seed (the paper's exact method is UNCONFIRMED; every step below is
our choice, documented as such):

1. ``load_uci(name)`` (its preprocessing and assumptions: ``UCI_DATASETS[name]``), a 30/30/40
   train/validation/test split (the paper's proportions; the seed is ours), features standardised
   with training statistics only; y is left in its units (scaling y does not change directions).
2. Ridge with an intercept (sklearn ``Ridge``, the paper's implementation), lambda chosen by the
   smallest validation MSE over the factor-10 grid ``10^-3 .. 10^5`` (the paper's Table 1 protocol
   applied to the teacher; not confirmed for Fig. 10), fitted on the training part:
   ``theta_hat = argmin ||y_c - X_c theta||^2 + lambda ||theta||^2`` on centred training data.
3. The eigenvectors ``u_j`` of ``X_c^T X_c`` (our ``V[:, j]``, ordered by decreasing singular
   value) and ``cos^2_j = <theta_hat, u_j>^2 / ||theta_hat||^2``
   (:meth:`~selfdistill.theory.FixedDesignProblem.assumption_report`). Directions with zero
   singular value (AEP: ``rv1 == rv2``) are reported as the null-space fraction (0 for ridge).

Alignment summaries: ``max_j cos^2_j``, the effective number of directions
``n_eff = 1 / sum_j cos^4_j`` (1 when theta_hat lies on one eigenvector, r when its energy is spread
evenly), and the number of directions holding 90 % of ``||theta_hat||^2``.

Beyond the paper (ours): a plug-in estimate of what optimal SD could gain if theta* were theta_hat
and gamma^2 the residual variance ``RSS / (n_train - d - 1)`` -- the exact fixed-design optima over
lambda of ridge and 2-step SD and the eq. 14 bound, on the training design
(Theory §5 lists this plug-in idea as unconfirmed; it is not the paper's).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .._progress import progress
from ..datasets.uci import load_uci, train_val_test_split
from ..theory import FixedDesignProblem
from ._experiment import Claim, Experiment, ReproduceContext, Results
from ._outputs import markdown_table, pyplot
from ._paper import PAPER_ASSUMPTIONS, uci_assumptions, write_results

ASSUMPTIONS = (
    "θ* is estimated by sklearn Ridge (intercept) on standardised training data of the "
    "30/30/40 split, λ chosen by validation MSE over 10^-3..10^5; the paper's method is "
    "UNCONFIRMED.",
    "The plug-in SD gains (θ* := θ̂, γ² := residual variance) are ours, not the paper's.",
)

NAME = "fig10"
#: Seeds (splits) when ``--seeds`` is not given.
DEFAULT_SEEDS = 10
QUICK_SEEDS = 2
#: The paper's name for each dataset (AEP = Appliances Energy Prediction).
PAPER_NAMES = {"air_quality": "Air Quality", "airfoil": "Airfoil", "appliances_energy": "AEP"}


@dataclass(frozen=True)
class Fig10Config:
    """Settings of the Fig. 10 reproduction (recorded in every CSV row and in ``fig10.json``).

    Attributes
    ----------
    datasets : tuple of str
        Keys of ``UCI_DATASETS``.
    split : tuple of float
        Train/validation/test fractions (the paper's 30/30/40).
    log10_alphas : tuple of int
        The lambda grid is ``10 ** log10_alphas`` (factor 10 between values, as the paper's).
    energy_share : float
        Share of ``||theta_hat||^2`` for the "directions needed" count.
    """

    datasets: tuple[str, ...] = ("air_quality", "airfoil", "appliances_energy")
    split: tuple[float, float, float] = (0.3, 0.3, 0.4)
    log10_alphas: tuple[int, ...] = tuple(range(-3, 6))
    energy_share: float = 0.9

    @property
    def alphas(self) -> np.ndarray:
        """The lambda grid ``10 ** log10_alphas`` as float64."""
        return 10.0 ** np.asarray(self.log10_alphas, dtype=np.float64)


def alignment_summary(cos2: np.ndarray, energy_share: float = 0.9) -> dict:
    """Summaries of squared cosines: max, its direction, n_eff = 1/sum cos^4, directions for a share.

    Parameters
    ----------
    cos2 : array-like of shape (r,)
        Squared cosines with the eigenvectors, in the order of decreasing singular value. They are
        normalised to sum to 1 first (the part outside the row space is reported separately).
    energy_share : float, default=0.9
        Share of the energy for ``directions_for_share``.

    Returns
    -------
    dict
        ``max_cos2``; ``argmax_direction`` (1-based); ``n_eff = 1 / sum cos^4`` (1 if aligned with
        one eigenvector, r if spread evenly); ``n_eff_over_rank``; ``directions_for_share``, the
        fewest directions whose squared cosines reach ``energy_share``.
    """
    cos2 = np.asarray(cos2, dtype=np.float64)
    share = cos2 / cos2.sum()
    ordered = np.sort(share)[::-1]
    return {
        "max_cos2": float(share.max()),
        "argmax_direction": int(np.argmax(share)) + 1,
        "n_eff": float(1.0 / np.sum(share**2)),
        "n_eff_over_rank": float(1.0 / np.sum(share**2) / share.size),
        "directions_for_share": int(np.searchsorted(np.cumsum(ordered), energy_share - 1e-12) + 1),
    }


def fit_and_align(X, y, seed: int, config: Fig10Config) -> tuple[list[dict], dict]:
    """One split: validation-chosen ridge, its squared cosines, and the plug-in SD gains.

    Parameters
    ----------
    X : DataFrame of shape (n_samples, n_features)
        Features as returned by ``load_uci`` (not standardised).
    y : Series of shape (n_samples,)
        Target.
    seed : int
        Seed of the train/validation/test permutation.
    config : Fig10Config
        Split fractions and the lambda grid.

    Returns
    -------
    per_direction : list of dict
        ``direction`` (1-based, decreasing singular value), ``singular_value``, ``cos2``.
    summary : dict
        The chosen lambda (and whether it is at the end of the grid), the validation MSE, sizes,
        rank, the null-space fraction, :func:`alignment_summary` and the plug-in gains (ours).
    """
    X_tr, X_va, _, y_tr, y_va, _ = train_val_test_split(X, y, config.split, random_state=seed)
    scaler = StandardScaler().fit(X_tr)  # training statistics only
    X_tr, X_va = scaler.transform(X_tr), scaler.transform(X_va)
    y_tr, y_va = np.asarray(y_tr, dtype=np.float64), np.asarray(y_va, dtype=np.float64)
    val_mse = [
        float(np.mean((Ridge(alpha=lam).fit(X_tr, y_tr).predict(X_va) - y_va) ** 2))
        for lam in config.alphas
    ]
    best = int(np.argmin(val_mse))
    lam = float(config.alphas[best])
    model = Ridge(alpha=lam).fit(X_tr, y_tr)
    theta = model.coef_
    n, d = X_tr.shape
    residual = y_tr - model.predict(X_tr)
    noise_var = float(residual @ residual / (n - d - 1))
    # X_tr is centred exactly (training statistics), so this is the intercept model's design.
    problem = FixedDesignProblem.from_X(X_tr, theta, noise_var)
    report = problem.assumption_report()
    cos2 = report.squared_cosines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in reported monomial xibar only
        ridge, two = (problem.optimal_over_alpha(k, warn=False) for k in (0, 2))
    oracle = problem.oracle_risk()
    per_direction = [
        {"direction": j + 1, "singular_value": float(s), "cos2": float(c)}
        for j, (s, c) in enumerate(zip(problem.singular_values, cos2, strict=True))
    ]
    summary = {
        "lambda": lam,
        "lambda_on_grid_edge": best in (0, len(config.alphas) - 1),
        "validation_mse": val_mse[best],
        "n_train": n,
        "n_features": d,
        "rank": problem.singular_values.size,
        "null_fraction": report.null_fraction,
        **alignment_summary(cos2, config.energy_share),
        "plugin_noise_var": noise_var,
        "plugin_gain_2step": 1.0 - two.risk / ridge.risk,
        "plugin_gain_bound": 1.0 - oracle / ridge.risk,
        "plugin_on_boundary": bool(ridge.on_boundary or two.on_boundary),
    }
    return per_direction, summary


def compute(config: Fig10Config, seeds: int, data_dir=None, progress_bar=False):
    """Per-direction rows and per-(dataset, seed) summaries, both tidy with the config columns.

    Parameters
    ----------
    config : Fig10Config
        Datasets, split fractions and lambda grid.
    seeds : int
        Number of splits per dataset (seeds 0 .. seeds - 1).
    data_dir : str or None, default=None
        Folder with the raw UCI files (see ``load_uci``).
    progress_bar : bool, default=False
        Draw a progress bar on stderr.

    Returns
    -------
    bars : DataFrame
        One row per (dataset, seed, direction).
    summaries : DataFrame
        One row per (dataset, seed).

    Raises
    ------
    DataUnavailableError
        When a dataset cannot be found (the message names the settings to provide).
    """
    bars, summaries = [], []
    cases = [(name, seed) for name in config.datasets for seed in range(seeds)]
    loaded = {}
    for name, seed in progress(cases, desc=NAME, enabled=progress_bar):
        if name not in loaded:
            loaded[name] = load_uci(name, data_dir=data_dir)
        X, y = loaded[name]
        # The matrices are small (d <= 27): BLAS threads only add overhead, up to 100x for the
        # SVD on a busy machine (measured), so run single-threaded.
        with threadpool_limits(limits=1):
            per_direction, summary = fit_and_align(X, y, seed, config)
        base = {"experiment": NAME, "dataset": name, "paper_name": PAPER_NAMES.get(name, name),
                "seed": seed, "split": "/".join(f"{f:g}" for f in config.split),
                "alpha_grid": f"10^{config.log10_alphas[0]}..10^{config.log10_alphas[-1]}",
                "source": X.attrs.get("source", "")}
        bars += [{**base, "lambda": summary["lambda"], **row} for row in per_direction]
        summaries.append({**base, **summary})
    return pd.DataFrame(bars), pd.DataFrame(summaries)


def _dataset_table(summaries: pd.DataFrame) -> pd.DataFrame:
    """Mean ± sd over seeds of the alignment summaries and plug-in gains, one row per dataset."""

    def cell(values, digits=3, percent=False):
        values = np.asarray(values, dtype=float) * (100 if percent else 1)
        unit = "%" if percent else ""
        if values.size == 1:
            return f"{values[0]:.{digits}g}{unit}"
        return f"{values.mean():.{digits}g}{unit} ± {values.std(ddof=1):.2g}{unit}"

    rows = []
    for name, part in summaries.groupby("dataset", sort=False):
        rows.append({
            "dataset": PAPER_NAMES.get(name, name),
            "d (rank)": f"{int(part['n_features'].iloc[0])} ({int(part['rank'].iloc[0])})",
            "splits": len(part),
            "λ chosen (most often; range)": f"{part['lambda'].mode().iloc[0]:g} "
                                            f"({part['lambda'].min():g}–{part['lambda'].max():g})",
            "max cos²": cell(part["max_cos2"]),
            "n_eff = 1/Σcos⁴": cell(part["n_eff"]),
            "n_eff / rank": cell(part["n_eff_over_rank"]),
            "directions for 90%": cell(part["directions_for_share"], 2),
            "plug-in gain 2-step (ours)": cell(part["plugin_gain_2step"], 2, percent=True),
            "plug-in bound gain (ours)": cell(part["plugin_gain_bound"], 2, percent=True),
        })
    return pd.DataFrame(rows)


def claims(results: Results) -> list[Claim]:
    """Claim rows: AEP has the lowest alignment; our plug-in check of the explanation."""
    summaries = results.values["summaries"]
    means = summaries.groupby("dataset")[["max_cos2", "n_eff", "plugin_gain_2step"]].mean()
    if "appliances_energy" not in means.index or len(means) < 2:
        return []
    ranks = summaries.groupby("dataset")["rank"].first()
    parts = "; ".join(
        f"{PAPER_NAMES.get(name, name)}: max cos² {row.max_cos2:.2f}, n_eff {row.n_eff:.1f} of rank "
        f"{ranks[name]} (n_eff/rank {row.n_eff / ranks[name]:.2f})"
        for name, row in means.iterrows()
    )
    # Rule: AEP must be separated from every other data set, not merely lowest/highest by mean.
    stats = summaries.groupby("dataset")[["max_cos2", "n_eff_over_rank"]].agg(["mean", "sem"])
    others = [name for name in stats.index if name != "appliances_energy"]

    def separated(column: str, lower: bool) -> tuple[bool, bool]:
        mean, sem = stats[(column, "mean")], stats[(column, "sem")].fillna(0.0)
        aep_lo = mean["appliances_energy"] - 1.96 * sem["appliances_energy"]
        aep_hi = mean["appliances_energy"] + 1.96 * sem["appliances_energy"]
        lo, hi = mean[others] - 1.96 * sem[others], mean[others] + 1.96 * sem[others]
        by_mean = bool(np.all(mean["appliances_energy"] < mean[others])) if lower else bool(
            np.all(mean["appliances_energy"] > mean[others]))
        clear = bool(np.all(aep_hi < lo)) if lower else bool(np.all(aep_lo > hi))
        return by_mean, clear

    cos_mean, cos_clear = separated("max_cos2", lower=True)
    spread_mean, spread_clear = separated("n_eff_over_rank", lower=False)
    if cos_clear and spread_clear:
        fig10_verdict = "reproduced: AEP is separated on both measures"
    elif not cos_mean and not spread_mean:
        fig10_verdict = "not reproduced: AEP is neither lowest in max cos² nor highest in n_eff/rank"
    else:
        fig10_verdict = (
            "inconclusive: AEP is " + ("" if cos_mean else "not ") + "lowest in max cos² by mean ("
            + ("separated" if cos_clear else "intervals overlap") + ") and "
            + ("" if spread_mean else "not ") + "highest in n_eff/rank by mean ("
            + ("separated" if spread_clear else "intervals overlap") + ")"
        )
    sems = "; ".join(
        f"{PAPER_NAMES.get(name, name)}: s.e. {stats.loc[name, ('max_cos2', 'sem')]:.2f} (max cos²), "
        f"{stats.loc[name, ('n_eff_over_rank', 'sem')]:.2f} (n_eff/rank)"
        for name in stats.index
    )
    out = [Claim(
        claim="Fig. 10: AEP's fitted θ has low alignment with every eigen-direction (which the paper "
              "says explains no SD gain on AEP)",
        paper="'The low-alignment of θ* to any of the eigenbasis directions for the AEP dataset "
              "explains why SD provides no gain over ridge' (θ* estimated by ridge; method UNCONFIRMED)",
        measured=f"mean over {summaries['seed'].nunique()} splits: {parts}",
        verdict=fig10_verdict,
        rule="reproduced if AEP's max cos² is below, and its n_eff/rank (spread over eigen-directions "
             "relative to the rank) above, every other data set's with non-overlapping 95% "
             "intervals (mean ± 1.96 s.e. over splits); not reproduced if neither holds by mean; "
             "else inconclusive",
        uncertainty=sems,
    )]
    gains = "; ".join(
        f"{PAPER_NAMES.get(name, name)}: {row.plugin_gain_2step:.1%}" for name, row in means.iterrows()
    )
    smallest = means["plugin_gain_2step"].idxmin()
    out.append(Claim(
        claim="(ours) plug-in check: exact optimal 2-step SD gain over optimal ridge with θ* := θ̂, "
              "γ² := residual variance",
        paper="— (not in the paper; a theory-based check of the alignment explanation)",
        measured=gains,
        verdict=(
            "consistent: AEP has the smallest predicted gain" if smallest == "appliances_energy"
            else f"mixed: the smallest predicted gain is {PAPER_NAMES.get(smallest, smallest)}'s, "
            "not AEP's; alignment alone does not rank the gains (they depend on how θ̂'s energy "
            "is spread relative to the singular values)"
        ),
        rule="consistent if AEP has the smallest mean plug-in gain over splits, else mixed",
        uncertainty="means over splits; the plug-in gains inherit the error of θ̂ and of the "
                    "residual variance (not quantified)",
    ))
    return out


def _plot(bars: pd.DataFrame, summaries: pd.DataFrame, quick: bool):
    """One panel per dataset: mean squared cosine per eigen-direction (sd over splits as error bars)."""
    plt = pyplot()
    names = list(dict.fromkeys(bars["dataset"]))
    widths = [max(4.0, 0.28 * bars.loc[bars["dataset"] == n, "direction"].max() + 1.5) for n in names]
    fig, axes = plt.subplots(1, len(names), figsize=(sum(widths), 4.0), squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    for ax, name in zip(axes[0], names, strict=True):
        stats = bars[bars["dataset"] == name].groupby("direction")["cos2"].agg(["mean", "std"])
        ax.bar(stats.index, stats["mean"], yerr=stats["std"].fillna(0.0), capsize=2, color="C0",
               ecolor="0.3")
        summary = summaries[summaries["dataset"] == name]
        ax.set_xticks(stats.index)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_ylim(0, 1)
        ax.set_xlabel("eigen-direction j (by decreasing singular value)")
        ax.set_title(
            f"{PAPER_NAMES.get(name, name)} ({len(summary)} splits): max cos² = "
            f"{summary['max_cos2'].mean():.2f}\nn_eff = 1/Σcos⁴ = {summary['n_eff'].mean():.1f} of "
            f"rank {int(summary['rank'].iloc[0])}",
            fontsize=9.5,
        )
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_ylabel("cos²(θ̂, u_j)  (mean ± sd over splits)")
    fig.suptitle(
        "Fig. 10 reproduction: alignment of the validation-tuned ridge fit θ̂ with the eigenvectors "
        "of XᵀX (standardised training data; method ours)" + ("  [QUICK MODE]" if quick else ""),
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def run(config: Fig10Config, ctx: ReproduceContext) -> Results:
    """Fig. 10's ``compute`` hook: :func:`compute` on ``ctx.seeds`` splits of the UCI data.

    Writes ``fig10.csv`` (per direction), ``fig10_per_split.csv``, ``fig10.md`` (per dataset),
    ``fig10.json`` and ``fig10.png``; ``values`` holds the per-split ``summaries``.
    """
    bars, summaries = compute(config, ctx.seeds, ctx.data_dir, ctx.progress)
    summaries["quick"] = ctx.quick
    table = _dataset_table(summaries)
    text = (
        f"**Fig. 10** ({ctx.seeds} splits; ridge λ by validation MSE on the 30/30/40 split: our method, "
        f"the paper's is UNCONFIRMED){' — QUICK MODE' if ctx.quick else ''}\n\n"
        + markdown_table(table)
        + "\nn_eff = 1/Σcos⁴ is the effective number of eigen-directions θ̂ spreads over (1 = "
        "aligned with one). Preprocessing and its assumptions: `selfdistill.datasets.UCI_DATASETS`"
        "[name].preprocessing / .assumptions.\n"
    )
    write_results(ctx, NAME, bars, table, config, extra={"per_split": summaries},
                  figure=_plot(bars, summaries, ctx.quick))
    return Results(text, {"summaries": summaries})


#: Claims: AEP's low alignment and our plug-in check; 10 splits (2 quick) by default.
EXPERIMENT = Experiment(
    NAME, full=Fig10Config(), quick=Fig10Config(), compute=run, claims=claims,
    assumptions=(*PAPER_ASSUMPTIONS, *ASSUMPTIONS, *uci_assumptions()), seeds=(DEFAULT_SEEDS, QUICK_SEEDS),
)
