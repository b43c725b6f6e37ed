"""Dang, Patil & Rinaldo (2026), Fig. 6 and the random-design theory around it.

Four parts, all from :class:`selfdistill.asymptotics.RandomDesignSD` (deterministic equivalents,
DEs) except the bridge, which uses the exact fixed-design engine:

1. **Heat maps** (their Fig. 6; Figs. 18-20 for other Sigma): over gamma = p/n and SNR = r^2/sigma^2
   in [0.1, 10], the relative gap ``(R*_sd(lam) - R*) / R*`` of optimal 1-step SD at an extreme
   penalty (lam = 1e-3 and lam = 1e6, the values of their ``heatmap.py``) to optimally tuned ridge,
   in prediction risk (sigma^2 included). Random signal ``beta ~ (r^2/p) I``, so ``R*`` is ridge at
   ``lam = gamma sigma^2 / r^2`` (the Bayes rule), for Sigma = I and AR(1) rho = 0.5 (its limiting
   spectrum discretised with ``ar1_p`` eigenvalues; their script uses p = round(200 gamma)).
2. **Sign rule** (Theorem 2.2 / Corollary 3.2): xi*(lam) against a finite-difference ``R'(lam)``, the
   sign transition at the ridge optimum, and k = 1, 2, 3 step risk curves (k > 1: our extension,
   Follow-ups §3.2).
3. **Lecoiu, Mukherjee & Sur (2026)**: what can be checked exactly. Their class of spectral shrinkage
   estimators and their multi-step SD are not confirmed from the paper text (Follow-ups §4),
   so their spiked-model optimality theorem cannot be stated exactly here; we check the isotropic
   statement within the SD family and report the same-lambda k-step optima in the spiked model of
   Follow-ups §4 (Sigma = I + 19 v v^T, half of r^2 = 2 on v, gamma = 0.5, sigma^2 = 1).
4. **Bridge**: Gaussian designs with AR(1) Sigma at fixed gamma = 0.5 and growing n; the exact
   noise-averaged population risk of ridge and of optimal 1-step SD from the core engine
   (:class:`~selfdistill.FixedDesignProblem`, ``kind="population"``, ``alpha = n * lam`` on the sum
   of squares) against the DE at the same finite p.

Penalties: ``lam`` is per sample (``(1/n)||y - X beta||^2 + lam ||beta||^2``), ``alpha = n lam``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from .._progress import progress
from ..asymptotics import RandomDesignSD, ar1_eigenvalues
from ..theory import FixedDesignProblem
from ._experiment import Claim, Experiment, ReproduceContext, Results
from ._outputs import markdown_table, pyplot, save_figure
from ._paper import verdict, write_results

NAME = "dang-fig6"
FILE = "dang_fig6"
#: Where this reproduction goes beyond, or guesses at, the sources.
ASSUMPTIONS = (
    "The AR(1) limiting spectrum is discretised with ar1_p eigenvalues (their script uses "
    "p = round(200 γ)).",
    "k > 1 step risk curves are our extension (Follow-ups §3.2); Lecoiu, Mukherjee & Sur's "
    "estimator class and multi-step SD are not confirmed from the paper text (Follow-ups §4), so "
    "only the isotropic statement within the SD family is checked.",
)


@dataclass(frozen=True)
class DangFig6Config:
    """Settings (recorded in every CSV row's config and in ``dang_fig6.json``).

    Attributes
    ----------
    n_grid : int
        Heat-map resolution per axis (their 50).
    extreme_lams : tuple of float
        The "lam -> 0" and "lam -> infinity" penalties (their 1e-3 and 1e6).
    noise_var : float
        sigma^2 (their 1).
    ar1_p : int
        Eigenvalues used for the AR(1) spectrum.
    sign_gamma, sign_r2 : float
        Setting of the sign-rule figure (the golden table's gamma = 0.5, r^2 = 2).
    n_sign_lams : int
        Penalties on the sign-rule grid (log-spaced in [1e-3, 1e3]).
    spike_p : int
        p of the spiked model (approximates p -> infinity; the spike's trace weight is 1/p).
    bridge_ns : tuple of int
        Sample sizes of the bridge (p = gamma n).
    bridge_draws : int
        Gaussian designs per n.
    bridge_lams : tuple of float
        Per-sample penalties of the bridge.
    seed : int
        Seed of the bridge's designs (draw i of size n uses ``seed + 1000 n + i``).
    """

    n_grid: int = 50
    extreme_lams: tuple[float, float] = (1e-3, 1e6)
    noise_var: float = 1.0
    ar1_p: int = 500
    sign_gamma: float = 0.5
    sign_r2: float = 2.0
    n_sign_lams: int = 121
    spike_p: int = 20000
    bridge_ns: tuple[int, ...] = (100, 200, 400, 800)
    bridge_draws: int = 60
    bridge_lams: tuple[float, ...] = (0.1, 1.0)
    seed: int = 2026


QUICK_CONFIG = DangFig6Config(
    n_grid=8, ar1_p=100, n_sign_lams=41, spike_p=3000, bridge_ns=(50, 100, 200), bridge_draws=6,
)

#: Sigma of the heat maps: name -> eigenvalues (given p for AR(1)).
SIGMAS = ("identity", "ar1_rho0.5")


def _spectrum(name: str, config: DangFig6Config) -> np.ndarray:
    return np.ones(1) if name == "identity" else ar1_eigenvalues(config.ar1_p, 0.5)


def _top_aligned(p: int, energy: float, fraction: float = 0.1) -> np.ndarray:
    b = np.zeros(p)
    top = max(1, int(round(fraction * p)))
    b[:top] = np.sqrt(energy / top)
    return b


# --------------------------------------------------------------------------- 1. heat maps
def heatmaps(config: DangFig6Config, show: bool = False) -> pd.DataFrame:
    """Rows (Sigma, gamma, SNR, extreme lam): optimal-SD and optimal-ridge prediction risks, gap."""
    axis = np.geomspace(0.1, 10.0, config.n_grid)
    lams = np.asarray(config.extreme_lams)
    rows = []
    cases = [(name, g) for name in SIGMAS for g in axis]
    for name, gamma in progress(cases, desc="heat maps", enabled=show):
        s = _spectrum(name, config)
        for snr in axis:
            r2 = snr * config.noise_var
            model = RandomDesignSD(s, None, gamma, config.noise_var, signal_energy=r2)
            best = model.optimal_ridge()
            sd = model.optimal(lams)
            # Dang et al.'s own form (D = A + B - 2C by subtraction), to show what lam = 1e6 costs it
            four = model.fourth_order(lams)
            risk4 = four["A"] - (four["A"] - four["C"]) ** 2 / four["D"] + config.noise_var
            for lam, risk, xi, r4 in zip(lams, sd.risk, sd.xibar, risk4, strict=True):
                rows.append({
                    "sigma": name, "gamma": gamma, "snr": snr, "lam": lam, "sd_risk": risk,
                    "sd_xi": xi, "ridge_opt_lam": best.lam, "ridge_opt_risk": best.risk,
                    "rel_gap": (risk - best.risk) / best.risk, "sd_risk_fourth_order": r4,
                    "fourth_order_rel_error": abs(r4 / risk - 1),
                })
    return pd.DataFrame(rows)


def _plot_heatmaps(data: pd.DataFrame, config: DangFig6Config, path, quick: bool):
    plt = pyplot()
    from matplotlib.colors import LogNorm

    lams = config.extreme_lams
    fig, axes = plt.subplots(len(SIGMAS), len(lams), figsize=(10.5, 8.4), squeeze=False)
    floor = 1e-8
    gaps = np.maximum(data["rel_gap"].to_numpy(), floor)
    norm = LogNorm(vmin=max(gaps.min(), floor), vmax=gaps.max())
    for row, name in enumerate(SIGMAS):
        for col, lam in enumerate(lams):
            ax = axes[row, col]
            part = data[(data["sigma"] == name) & (data["lam"] == lam)]
            grid = part.pivot(index="gamma", columns="snr", values="rel_gap")
            z = np.maximum(grid.to_numpy(), floor)
            mesh = ax.pcolormesh(grid.columns, grid.index, z, shading="auto", cmap="coolwarm", norm=norm)
            levels = [lv for lv in (1e-4, 1e-3, 1e-2, 1e-1) if z.min() < lv < z.max()]
            if levels and min(z.shape) > 2:
                cs = ax.contour(grid.columns, grid.index, z, levels=levels, colors="k", linewidths=0.8)
                ax.clabel(cs, fmt={lv: f"{lv:.2%}" for lv in levels}, fontsize=7)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("SNR = r²/σ²")
            ax.set_ylabel("γ = p/n")
            limit = "λ → 0" if lam < 1 else "λ → ∞"
            ax.set_title(f"{name}: (R*_sd(λ={lam:g}) − R*)/R*   [{limit}]", fontsize=9.5)
            fig.colorbar(mesh, ax=ax)
    fig.suptitle("Dang et al. Fig. 6: optimal 1-step SD at extreme λ vs optimally tuned ridge (DE, "
                 "random signal)" + ("  [QUICK MODE]" if quick else ""), fontsize=10.5)
    fig.tight_layout()
    return save_figure(fig, path, quick=quick)


# --------------------------------------------------------------------------- 2. sign rule
def _sign_models(config: DangFig6Config) -> dict[str, RandomDesignSD]:
    s = ar1_eigenvalues(config.ar1_p, 0.5)
    return {
        "identity": RandomDesignSD([1.0], None, config.sign_gamma, config.noise_var,
                                   signal_energy=config.sign_r2),
        "ar1_rho0.5 (top-10% signal)": RandomDesignSD(
            s, _top_aligned(s.size, config.sign_r2), config.sign_gamma, config.noise_var),
    }


def sign_rule(config: DangFig6Config) -> pd.DataFrame:
    """Rows (model, lam, k): xi*, R'(lam) analytic and by central differences, k-step risks."""
    lams = np.geomspace(1e-3, 1e3, config.n_sign_lams)
    rows = []
    h = 1e-5
    for name, model in _sign_models(config).items():
        ridge = model.ridge(lams)
        fd = (model.ridge(lams * (1 + h)).excess_risk - model.ridge(lams * (1 - h)).excess_risk) / (2 * h * lams)
        root = model.sign_transition()
        best = model.optimal_ridge()
        steps = {}
        for k in (1, 2, 3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                steps[k] = model.optimal(lams, k)
            steps[k] = (steps[k], len(caught) > 0)
        for i, lam in enumerate(lams):
            for k, (res, warned) in steps.items():
                rows.append({
                    "model": name, "lam": lam, "k": k, "xi_1step": steps[1][0].xibar[i],
                    "dR_analytic": ridge.derivative[i], "dR_fd": fd[i], "curvature": steps[1][0].curvature[i],
                    "ridge_risk": ridge.risk[i], "sd_risk": res.risk[i],
                    "ill_conditioned_warning": warned and k > 1,
                    "sign_transition": root[0] if root.size else np.nan,
                    "n_sign_transitions": root.size, "ridge_opt_lam": best.lam, "ridge_opt_risk": best.risk,
                })
    return pd.DataFrame(rows)


def _plot_sign(data: pd.DataFrame, path, quick: bool):
    plt = pyplot()
    models = list(dict.fromkeys(data["model"]))
    fig, axes = plt.subplots(2, len(models), figsize=(11, 7.6), squeeze=False)
    for col, name in enumerate(models):
        part = data[(data["model"] == name) & (data["k"] == 1)]
        ax = axes[0, col]
        ax.plot(part["lam"], part["xi_1step"], color="C0", lw=2, label="ξ̄*(λ) (DE)")
        ax.axhline(0, color="k", lw=0.8)
        ax.axvline(part["sign_transition"].iloc[0], color="C3", ls="--", lw=1.2,
                   label=f"sign change λ = {part['sign_transition'].iloc[0]:.4g}")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_xlabel("λ (per sample; α = nλ)")
        ax.set_ylabel("optimal ξ (weights the teacher)")
        twin = ax.twinx()
        twin.plot(part["lam"], -part["dR_fd"], color="C2", lw=1.2, ls=":", label="−R′(λ) (finite diff.)")
        twin.set_yscale("symlog", linthresh=1e-3)
        twin.set_ylabel("−R′(λ)")
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper right")
        ax.set_title(f"{name}: sign ξ̄* = −sign R′", fontsize=10)
        ax = axes[1, col]
        ridge = part.sort_values("lam")
        ax.plot(ridge["lam"], ridge["ridge_risk"], color="k", lw=2, label="ridge R(λ)")
        for k, color in zip((1, 2, 3), ("C0", "C1", "C2"), strict=True):
            cur = data[(data["model"] == name) & (data["k"] == k)].sort_values("lam")
            label = "optimal 1-step SD" if k == 1 else f"optimal {k}-step SD (ours, §3.2)"
            ax.plot(cur["lam"], cur["sd_risk"], color=color, lw=1.5, label=label)
        ax.axhline(part["ridge_opt_risk"].iloc[0], color="C3", ls="--", lw=1, label="optimally tuned ridge")
        ax.set_xscale("log")
        top = float(ridge["ridge_risk"].quantile(0.6))
        ax.set_ylim(float(data.loc[data["model"] == name, "sd_risk"].min()) * 0.98, top)
        ax.set_xlabel("λ (per sample; α = nλ)")
        ax.set_ylabel("prediction risk (DE)")
        ax.legend(fontsize=8)
    fig.suptitle("Sign rule and k-step risk curves (deterministic equivalents; γ = 0.5, σ² = 1, r² = 2)"
                 + ("  [QUICK MODE]" if quick else ""), fontsize=10.5)
    fig.tight_layout()
    return save_figure(fig, path, quick=quick)


# --------------------------------------------------------------------------- 3. Lecoiu et al.
def _best_over_lam(model: RandomDesignSD, k: int) -> tuple[float, float]:
    grid = np.geomspace(1e-3, 30.0, 121)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # flagged separately; the optimum is interior
        risks = model.optimal(grid, k).risk
        i = int(np.argmin(risks))
        lo, hi = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, grid.size - 1)])
        res = minimize_scalar(lambda u: model.optimal(np.exp(u), k).risk, bounds=(lo, hi),
                              method="bounded", options={"xatol": 1e-10})
    if res.fun < risks[i]:
        return float(np.exp(res.x)), float(res.fun)
    return float(grid[i]), float(risks[i])


def lecoiu(config: DangFig6Config) -> pd.DataFrame:
    """Best-over-lam risks of ridge and k = 1, 2, 3-step SD: isotropic and the spiked model."""
    p = config.spike_p
    s = np.ones(p)
    s[0] = 20.0  # Sigma = I + 19 v v^T
    b = np.full(p, np.sqrt(1.0 / (p - 1)))
    b[0] = 1.0  # half of r^2 = 2 on the spike, half spread over the bulk
    models = {
        "identity (r²=2)": RandomDesignSD([1.0], None, 0.5, config.noise_var, signal_energy=2.0),
        f"spiked I+19vvᵀ, half of r²=2 on v (p={p})": RandomDesignSD(s, b, 0.5, config.noise_var),
    }
    rows = []
    for name, model in models.items():
        ridge = model.optimal_ridge()
        rows.append({"model": name, "k": 0, "best_lam": ridge.lam, "best_risk": ridge.risk})
        for k in (1, 2, 3):
            lam, risk = _best_over_lam(model, k)
            rows.append({"model": name, "k": k, "best_lam": lam, "best_risk": risk})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 4. bridge
def bridge(config: DangFig6Config, show: bool = False) -> pd.DataFrame:
    """Rows (n, draw, lam): exact fixed-design risks (core engine) and the DE at the same p."""
    gamma, r2 = 0.5, 2.0
    lams = np.asarray(config.bridge_lams)
    rows = []
    cases = [(n, i) for n in config.bridge_ns for i in range(config.bridge_draws)]
    cache = {}
    for n, i in progress(cases, desc="bridge", enabled=show):
        p = int(round(gamma * n))
        if p not in cache:
            idx = np.arange(p)
            sigma = 0.5 ** np.abs(idx[:, None] - idx[None, :])
            s, V = np.linalg.eigh(sigma)
            s, V = s[::-1], V[:, ::-1]
            b = _top_aligned(p, r2)
            model = RandomDesignSD(s, b, p / n, config.noise_var)
            de = model.optimal(lams)
            cache[p] = (sigma, V @ (np.sqrt(s)[:, None] * V.T), V @ b, de)
        sigma, root, theta, de = cache[p]
        seed = config.seed + 1000 * n + i
        X = np.random.default_rng(seed).standard_normal((n, p)) @ root
        problem = FixedDesignProblem.from_X(X, theta, config.noise_var)
        for j, lam in enumerate(lams):
            alpha = n * lam  # the engine's penalty is on the sum of squares
            ridge = problem.risk(alpha, kind="population", covariance=sigma).total
            one = problem.one_step(alpha, kind="population", covariance=sigma)
            rows.append({
                "n": n, "p": p, "draw": i, "seed": seed, "lam": lam, "alpha": alpha,
                "ridge_excess_risk": ridge, "sd_excess_risk": one.risk, "xi": one.xi,
                "de_ridge_excess_risk": de.ridge_excess_risk[j], "de_sd_excess_risk": de.excess_risk[j],
                "de_xi": de.xibar[j],
            })
    return pd.DataFrame(rows)


def _bridge_summary(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (n, lam), part in data.groupby(["n", "lam"]):
        row = {"n": n, "p": int(part["p"].iloc[0]), "λ": lam, "draws": len(part)}
        for key, de_key in (("ridge_excess_risk", "de_ridge_excess_risk"), ("sd_excess_risk", "de_sd_excess_risk"),
                            ("xi", "de_xi")):
            mean = part[key].mean()
            se = part[key].std(ddof=1) / np.sqrt(len(part))
            row[f"{key} mean"] = mean
            row[f"{key} se"] = se
            row[f"{key} sd"] = part[key].std(ddof=1)
            row[f"{key} DE"] = part[de_key].iloc[0]
            row[f"{key} z"] = (mean - part[de_key].iloc[0]) / se
        rows.append(row)
    return pd.DataFrame(rows)


def _plot_bridge(summary: pd.DataFrame, path, quick: bool):
    plt = pyplot()
    lams = sorted(summary["λ"].unique())
    fig, axes = plt.subplots(1, len(lams) + 1, figsize=(5 * (len(lams) + 1), 4.2), squeeze=False)
    for ax, lam in zip(axes[0], lams, strict=False):
        part = summary[summary["λ"] == lam].sort_values("n")
        for key, color, label in (("ridge_excess_risk", "k", "ridge"), ("sd_excess_risk", "C0", "optimal 1-step SD")):
            mean, se = part[f"{key} mean"], part[f"{key} se"]
            ax.plot(part["n"], mean, "o-", color=color, label=f"{label}: exact, mean over designs")
            ax.fill_between(part["n"], mean - 2 * se, mean + 2 * se, color=color, alpha=0.2)
            ax.plot(part["n"], part[f"{key} DE"], "--", color=color, lw=1.5, label=f"{label}: DE (same p)")
        ax.set_xscale("log")
        ax.set_xlabel("n (p = n/2)")
        ax.set_ylabel("excess population risk")
        ax.set_title(f"λ = {lam:g} (α = nλ), AR(1) ρ = 0.5", fontsize=10)
        ax.legend(fontsize=7)
    ax = axes[0, -1]
    for lam, marker in zip(lams, "os", strict=False):
        part = summary[summary["λ"] == lam].sort_values("n")
        for key, color in (("ridge_excess_risk", "k"), ("sd_excess_risk", "C0")):
            ax.plot(part["n"], part[f"{key} sd"], marker + "-", color=color,
                    label=f"{'ridge' if key.startswith('ridge') else '1-step SD'}, λ = {lam:g}")
    ns = np.array(sorted(summary["n"].unique()), dtype=float)
    ref = summary[summary["n"] == ns[0]]["ridge_excess_risk sd"].max()
    ax.plot(ns, ref * (ns / ns[0]) ** -1.0, ":", color="gray", label="∝ 1/n")
    ax.plot(ns, ref * (ns / ns[0]) ** -0.5, "--", color="gray", label="∝ 1/√n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("s.d. of the exact risk across designs")
    ax.set_title("concentration around the DE", fontsize=10)
    ax.legend(fontsize=7)
    fig.suptitle("Bridge: exact fixed-design risk (core engine, Gaussian designs, bands ±2 s.e.) → "
                 "deterministic equivalent" + ("  [QUICK MODE]" if quick else ""), fontsize=10.5)
    fig.tight_layout()
    return save_figure(fig, path, quick=quick)


# --------------------------------------------------------------------------- claims
#: The uncertainty of a claim computed from deterministic equivalents.
_DE_EXACT = "none: deterministic equivalents, exact to float64 (no sampling)"
#: Smallest contour level of their heat maps (0.01% relative gap).
CONTOUR_FLOOR = 1e-4


def claims(results: Results) -> list[Claim]:
    """Claim rows: the extreme-penalty gaps, the sign rule, Lecoiu's statement and the bridge."""
    heat, sign, lec, summary, config = (results.values[key] for key in ("heat", "sign", "lec", "summary", "config"))
    out = []
    small, large = config.extreme_lams
    stats = {lam: heat.loc[heat["lam"] == lam, "rel_gap"] for lam in (small, large)}
    nonneg = all(bool((g >= -1e-10).all()) for g in stats.values())
    share = {lam: float((g <= 0.10).mean()) for lam, g in stats.items()}
    out.append(Claim(
        claim="Fig. 6: optimal SD at extreme λ stays close to optimally tuned ridge "
              "(interpretation of the contours, UNCONFIRMED)",
        paper="heat maps of (R*_sd(λ→0 or ∞) − R*)/R* over γ, SNR ∈ [0.1, 10]; contours 0.01%–10%",
        measured=(f"{len(stats[small])} cells per map (identity and AR(1)): λ = {small:g}: median gap "
                  f"{stats[small].median():.2%}, max {stats[small].max():.2%}, {share[small]:.0%} of cells "
                  f"≤ 10%; λ = {large:g}: median {stats[large].median():.2%}, max {stats[large].max():.2%}, "
                  f"{share[large]:.0%} ≤ 10%; smallest gap {min(g.min() for g in stats.values()):.1e} "
                  "(never negative: R* is the Bayes risk here). Large gaps sit at high SNR: as λ → ∞ "
                  "the optimal ξ grows like −λ and 1-step SD tends to the one-parameter family c·Xᵀy/n"),
        verdict=verdict(nonneg and min(share.values()) >= 0.9,
                        "reproduced (≥ 90% of cells within 10% in both limits, no cell below R*)",
                        "not reproduced by rule (≥ 90% of cells within 10% in both limits); see measured"),
        rule="reproduced if no cell is below R* and at least 90 % of the cells of both limits have a "
             "relative gap of at most 10 %",
        uncertainty=_DE_EXACT,
    ))
    err = {lam: heat.loc[heat["lam"] == lam, "fourth_order_rel_error"].max() for lam in (small, large)}
    out.append(Claim(
        claim="(ours) numerics of the extreme-λ panels: Dang et al.'s fourth-order form vs our "
              "cancellation-free series",
        paper="heatmap.py evaluates eqs. (12)-(16)-type formulas at λ = 1e-3 and 1e6, forming "
              "D = A + B − 2C by subtraction",
        measured=f"largest relative difference in R*_sd over the grid: {err[small]:.1e} at λ = {small:g}, "
                 f"{err[large]:.1e} at λ = {large:g} (ours matches 50-digit isotropic closed forms to "
                 "≤ 1e-9 in the tests)",
        verdict=verdict(max(err.values()) < CONTOUR_FLOOR / 10,
                        "agree (10x below the smallest contour, 0.01%)",
                        "DIFFER: the subtraction form cannot resolve the 0.01% contour at every cell"),
        rule="agree if the largest relative difference is 10 times below the smallest contour (1e-5)",
        uncertainty=_DE_EXACT,
    ))
    k1 = sign[sign["k"] == 1]
    usable = k1[np.abs(k1["dR_fd"]) * k1["lam"] > 1e-8]
    agree = np.sign(usable["xi_1step"]) == -np.sign(usable["dR_fd"])
    out.append(Claim(
        claim="Theorem 2.2 (limit): sign ξ̄* = −sign R̄′(λ)",
        paper="ξ* = −λR′(λ)/(2D), D > 0, so the optimal ξ is negative when over-regularised",
        measured=f"{int(agree.sum())}/{len(usable)} grid points agree (R′ by central differences, "
                 f"{len(k1) - len(usable)} points with |λR′| ≤ 1e-8 skipped), 2 models",
        verdict=verdict(bool(agree.all())),
        rule="reproduced if the signs agree at every usable grid point",
        uncertainty="R′ by central differences; points with |λR′| ≤ 1e-8 are skipped",
    ))
    iso = k1[k1["model"] == "identity"]
    expected = config.sign_gamma * config.noise_var / config.sign_r2
    root = float(iso["sign_transition"].iloc[0])
    count = int(iso["n_sign_transitions"].iloc[0])
    out.append(Claim(
        claim="Corollary 3.2: for Σ = I, ξ̄* changes sign exactly at λ = γσ²/r²",
        paper=f"sign change at γσ²/r² = {expected:g} (γ = {config.sign_gamma:g}, r² = {config.sign_r2:g})",
        measured=f"{count} sign change(s); at λ = {root:.12g} (relative error {abs(root / expected - 1):.1e})",
        verdict=verdict(count == 1 and abs(root / expected - 1) < 1e-9),
        rule="reproduced if there is exactly one sign change, within a relative 1e-9 of γσ²/r²",
        uncertainty=_DE_EXACT,
    ))
    iso_l = lec[lec["model"].str.startswith("identity")].set_index("k")["best_risk"]
    worst = float((iso_l.loc[[1, 2, 3]] - iso_l.loc[0]).min())
    out.append(Claim(
        claim="Lecoiu et al. (claim 4): for isotropic Σ, optimally tuned ridge is optimal — checked "
              "within the SD family (same-λ k-step SD, k = 1, 2, 3)",
        paper="'isotropic Σ: optimally tuned ridge is optimal' among spectral shrinkage estimators [ABS]",
        measured=f"best-over-λ risk: ridge {iso_l.loc[0]:.8f}; k = 1, 2, 3: "
                 + ", ".join(f"{iso_l.loc[k]:.8f}" for k in (1, 2, 3))
                 + f"; smallest (k-step − ridge) = {worst:+.1e}",
        verdict=verdict(worst >= -1e-9, "reproduced within the SD family", "not reproduced"),
        rule="reproduced if no k-step optimum is below ridge's by more than 1e-9",
        uncertainty=_DE_EXACT,
    ))
    sp = lec[lec["model"].str.startswith("spiked")].set_index("k")["best_risk"]
    keeps = bool(sp.loc[3] < sp.loc[1] - 1e-4)
    out.append(Claim(
        claim="Lecoiu et al. (claims 2–3): in a spiked model with s spikes, s-step SD is optimal among "
              "spectral shrinkage estimators and fewer steps are strictly suboptimal",
        paper="[ABS] only; the estimator class and their multi-step SD are UNCONFIRMED, so the theorem "
              "cannot be stated exactly here (it would also need the DE of a general spectral filter)",
        measured=("s = 1 spike (Σ = I + 19vvᵀ, half of r² = 2 on v, γ = 0.5, σ² = 1), best over λ: ridge "
                  f"{sp.loc[0]:.5f}, 1-step {sp.loc[1]:.5f}, 2-step {sp.loc[2]:.5f}, 3-step {sp.loc[3]:.5f} "
                  "(Follow-ups §4: 1.43855, ≈1.4232, 1.42306, 1.41972 at p → ∞). Same-λ k-step SD "
                  + ("keeps improving past k = s" if keeps else "stops improving at k = s")),
        verdict=("not checkable exactly; the same-λ family keeps gaining past k = s, so the claim cannot "
                 "refer to it" if keeps else "not checkable exactly; same-λ family consistent with k = s"),
        rule="not checkable (the estimator class is UNCONFIRMED); the same-λ family 'keeps gaining' "
             "if 3-step is below 1-step by more than 1e-4",
        uncertainty="finite p approximates p → ∞ (spike trace weight 1/p)",
    ))
    z_cols = ["ridge_excess_risk z", "sd_excess_risk z"]
    largest = summary[summary["n"] == summary["n"].max()]
    z_max_last = float(np.abs(largest[z_cols].to_numpy()).max())
    z_max_all = float(np.abs(summary[z_cols].to_numpy()).max())
    first = summary[summary["n"] == summary["n"].min()]
    shrink = float((largest["sd_excess_risk sd"].to_numpy() / first["sd_excess_risk sd"].to_numpy()).max())
    out.append(Claim(
        claim="(ours) Bridge: the exact fixed-design risk on Gaussian designs converges to the DE",
        paper="Theorem 3.1 (risk conditional on the data → DE as n, p → ∞, p/n → γ)",
        measured=(f"AR(1), γ = 0.5, n = {', '.join(map(str, sorted(summary['n'].unique())))}, "
                  f"{int(summary['draws'].iloc[0])} designs each: |mean − DE|/s.e. ≤ {z_max_all:.2f} over "
                  f"all n (≤ {z_max_last:.2f} at the largest n); s.d. across designs shrinks by ×"
                  f"{shrink:.2f} from the smallest to the largest n"),
        verdict=verdict(z_max_last <= 3 and shrink < 1,
                        "reproduced (DE within 3 s.e. at the largest n; spread shrinks)", "not reproduced"),
        rule="reproduced if |mean − DE| ≤ 3 s.e. at the largest n and the s.d. across designs shrinks "
             "from the smallest to the largest n",
        uncertainty=f"s.e. over {int(summary['draws'].iloc[0])} designs per n",
    ))
    return out


def run(base: DangFig6Config, ctx: ReproduceContext) -> Results:
    """The ``compute`` hook: heat maps, sign rule, Lecoiu checks and the bridge.

    ``ctx.seeds`` is the number of designs per n in the bridge. Writes ``dang_fig6.csv`` (heat
    maps), ``dang_fig6_sign_rule.csv``, ``dang_fig6_lecoiu.csv``, ``dang_fig6_bridge.csv`` (one row
    per design) and ``dang_fig6_bridge_summary.csv``, the Markdown/JSON summary and three figures;
    ``values`` holds the frames :func:`claims` reads.
    """
    config = replace(base, bridge_draws=ctx.seeds)
    heat = heatmaps(config, show=ctx.progress)
    sign = sign_rule(config)
    lec = lecoiu(config)
    bridge_rows = bridge(config, show=ctx.progress)
    summary = _bridge_summary(bridge_rows)
    for frame in (heat, sign, lec, bridge_rows):
        frame["quick"] = ctx.quick
        frame["noise_var"] = config.noise_var
    bridge_rows["config_seed"] = config.seed
    table = lec.rename(columns={"best_lam": "best λ", "best_risk": "best prediction risk"})
    write_results(ctx, FILE, heat, table, config)
    for suffix, frame in (("sign_rule", sign), ("lecoiu", lec), ("bridge", bridge_rows),
                          ("bridge_summary", summary)):
        frame.to_csv(ctx.out_dir / f"{FILE}_{suffix}.csv", index=False)
    _plot_heatmaps(heat, config, ctx.out_dir / f"{FILE}.png", ctx.quick)
    _plot_sign(sign, ctx.out_dir / f"{FILE}_sign_rule.png", ctx.quick)
    _plot_bridge(summary, ctx.out_dir / f"{FILE}_bridge.png", ctx.quick)
    gaps = heat.groupby(["sigma", "lam"])["rel_gap"].agg(["median", "max"]).reset_index()
    text = (
        f"**Dang et al. Fig. 6 and random-design theory** (deterministic equivalents)"
        f"{' — QUICK MODE' if ctx.quick else ''}\n\n"
        "Relative gap of optimal 1-step SD at extreme λ to optimally tuned ridge:\n\n"
        + markdown_table(gaps, digits=3)
        + "\nBest-over-λ prediction risk (k = 0 is ridge; k > 1 is our extension):\n\n"
        + markdown_table(table, digits=7)
        + "\nBridge (exact fixed-design risk vs DE):\n\n"
        + markdown_table(summary[["n", "p", "λ", "draws", "ridge_excess_risk mean", "ridge_excess_risk DE",
                                  "ridge_excess_risk z", "sd_excess_risk mean", "sd_excess_risk DE",
                                  "sd_excess_risk z"]], digits=4)
    )
    return Results(text, {"heat": heat, "sign": sign, "lec": lec, "summary": summary, "config": config})


#: ``--seeds`` sets the number of designs per n in the bridge (60; 6 quick).
EXPERIMENT = Experiment(
    NAME, full=DangFig6Config(), quick=QUICK_CONFIG, compute=run, claims=claims,
    assumptions=ASSUMPTIONS, seeds=(DangFig6Config().bridge_draws, QUICK_CONFIG.bridge_draws),
)
