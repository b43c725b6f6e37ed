"""Shared plumbing for the reproduction experiments (context, outputs, registry)."""

from __future__ import annotations

import importlib
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: CLI name -> (module, one-line description). Modules are imported only when run.
EXPERIMENTS: dict[str, tuple[str, str]] = {
    "table1": ("selfdistill.reproduce.table1", "UCI comparison: ridge vs k-step SD (paper Table 1)"),
    "fig2": ("selfdistill.reproduce.fig2", "relative gain of r-step SD over ridge vs rank r"),
    "fig3": ("selfdistill.reproduce.fig3", "excess risk vs lambda for k = 0..4 with the eq. 14 bound"),
    "fig4": ("selfdistill.reproduce.fig4", "optimal xi^(k) vs the singular-value gap"),
    "fig10": ("selfdistill.reproduce.fig10", "alignment of the fitted theta with the eigenvectors (UCI)"),
    "kd-omitted-class": (
        "selfdistill.reproduce.kd_omitted_class",
        "Hinton et al.'s omitted-class transfer on sklearn digits",
    ),
    "born-again": (
        "selfdistill.reproduce.born_again",
        "Born-again generations under label noise",
    ),
    "scheduled-kd": (
        "selfdistill.reproduce.scheduled_kd",
        "scheduled KD into a binary LDC student on BCI EEG (torch extra)",
    ),
    "dmd2": (
        "selfdistill.reproduce.dmd2",
        "DMD2 distillation of a diffusion teacher into a one-step generator (torch extra)",
    ),
    "dang-fig6": (
        "selfdistill.reproduce.dang_fig6",
        "random-design SD: Dang et al. Fig. 6 heat maps, sign rule, DE vs exact engine",
    ),
    "sdrn": (
        "selfdistill.reproduce.sdrn",
        "SDRN sparse deep ReLU networks: rates vs n, robustness, SD into the SDRN student",
    ),
    "qrjoint": (
        "selfdistill.reproduce.qrjoint",
        "joint non-crossing quantile regression vs R qrjoint, censoring, quantile self-distillation",
    ),
    "real-data": (
        "selfdistill.reproduce.real_data",
        "Does SD help on real data? SelfDistilledRidgeCV vs RidgeCV on 11 real regressions",
    ),
}

#: The paper's (Pareek, Du & Oh 2024) tables and figures.
PAPER_EXPERIMENTS: tuple[str, ...] = ("table1", "fig2", "fig3", "fig4", "fig10")

#: How ``selfdistill reproduce all`` runs each experiment: "full" (its own settings), "quick" (its
#: ``--quick`` settings, labelled QUICK in REPORT.md) or "skip". A registered experiment that is not
#: listed here runs "quick", so that every experiment's claims reach the report; list slow ones
#: here to change that. ``--full`` runs every experiment that is not "skip" at full settings.
ALL_MODES: dict[str, str] = {
    "table1": "full",
    "fig2": "full",
    "fig3": "full",
    "fig4": "full",
    "fig10": "full",
    "kd-omitted-class": "quick",
    "born-again": "quick",
    "scheduled-kd": "quick",
    "dmd2": "quick",
}


def all_mode(name: str) -> str:
    """How ``reproduce all`` runs ``name``: "full", "quick" or "skip" (see :data:`ALL_MODES`)."""
    mode = ALL_MODES.get(name, "quick")
    if mode not in ("full", "quick", "skip"):
        raise ValueError(f"ALL_MODES[{name!r}] must be 'full', 'quick' or 'skip', got {mode!r}.")
    return mode


@dataclass
class ReproduceContext:
    """Settings shared by every experiment.

    Parameters
    ----------
    out_dir : Path
        Folder that receives CSV, Markdown and PNG outputs (created if missing).
    data_dir : str or None
        Folder with the raw UCI files (else ``SELFDISTILL_DATA_DIR``, the cache, or a download).
    seeds : int or None
        Number of seeds (repetitions); ``None`` means the experiment's default.
    jobs : int
        Parallel workers (joblib) where an experiment supports them.
    quick : bool
        Smaller configuration for smoke tests; results are labelled as such.
    progress : bool
        Show progress bars on stderr.
    """

    out_dir: Path
    data_dir: str | None = None
    seeds: int | None = None
    jobs: int = 1
    quick: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def n_seeds(self, default: int) -> int:
        """Return the requested number of seeds, or ``default`` when none was requested."""
        if self.seeds is None:
            return default
        if int(self.seeds) < 1:
            raise ValueError(f"--seeds must be a positive integer, got {self.seeds}.")
        return int(self.seeds)


@dataclass
class Claim:
    """One row of REPORT.md: what the paper says, what we measured and the computed verdict.

    Attributes
    ----------
    claim, paper, measured : str
        The claim in a few words, what the source says, what we measured (with seeds and s.e.).
    verdict : str
        Computed from the numbers by ``rule`` (e.g. with :func:`interval_verdict`); never a fixed
        string.
    rule : str
        The rule that turns the numbers into the verdict, stated so a reader can re-apply it.
    uncertainty : str
        How uncertain the deciding numbers are (s.e., interval, number of seeds).
    """

    claim: str
    paper: str
    measured: str
    verdict: str = ""
    rule: str = ""
    uncertainty: str = ""


def interval_verdict(
    estimate: float, se: float, threshold: float, *, better: str = "lower", z: float = 1.96
) -> str:
    """Verdict of "``estimate`` is on the ``better`` side of ``threshold``" with a z-interval.

    Returns ``"reproduced"`` when the whole interval ``estimate ± z·se`` is on the better side,
    ``"not reproduced"`` when the whole interval is on the other side, and ``"inconclusive"``
    when it contains the threshold (or when ``estimate`` is NaN). ``se`` may be 0 or NaN (one
    seed): then the point estimate decides.
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}.")
    if not np.isfinite(estimate):
        return "inconclusive"
    half = z * se if np.isfinite(se) else 0.0
    low, high = estimate - half, estimate + half
    if better == "lower":
        good, bad = high < threshold, low > threshold
    else:
        good, bad = low > threshold, high < threshold
    return "reproduced" if good else ("not reproduced" if bad else "inconclusive")


@dataclass
class ExperimentOutput:
    """What an experiment hands back to the CLI and to the report writer.

    Attributes
    ----------
    name : str
        CLI name of the experiment.
    summary : str
        Markdown table (or short text) printed by the CLI.
    files : list of Path
        Files written (CSV, Markdown, PNG).
    claims : list of Claim
        Paper claims checked by this experiment, for ``REPORT.md``.
    figures : list of Path
        PNG figures to embed in ``REPORT.md``.
    assumptions : list of str
        Inputs that are ours, not the source's (UNCONFIRMED items), listed in ``REPORT.md``.
    quick : bool
        Whether the numbers come from the ``--quick`` settings (labelled in ``REPORT.md``).
    """

    name: str
    summary: str
    files: list[Path] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    quick: bool = False


def format_verdicts(output: ExperimentOutput) -> str:
    """The claims of one experiment with their verdicts, as plain text for the terminal."""
    if not output.claims:
        return f"verdicts ({output.name}): this experiment states no claims."
    label = " [QUICK settings: not the reported results]" if output.quick else ""
    lines = [f"verdicts ({output.name}){label}:"]
    for claim in output.claims:
        lines.append(f"- [{claim.verdict or 'no verdict'}] {claim.claim}: {claim.measured}")
        if claim.rule:
            lines.append(f"    rule: {claim.rule}")
    return "\n".join(lines)


def get_experiment(name: str) -> Callable[[ReproduceContext], ExperimentOutput]:
    """Return the ``run`` function of a registered experiment.

    Raises
    ------
    ValueError
        If ``name`` is not a registered experiment.
    """
    if name not in EXPERIMENTS:
        known = ", ".join(sorted(EXPERIMENTS))
        raise ValueError(f"Unknown experiment {name!r}; choose one of: {known}.")
    module = importlib.import_module(EXPERIMENTS[name][0])
    return module.run


def run_experiment(name: str, ctx: ReproduceContext) -> ExperimentOutput:
    """Run a registered experiment and label its output with the settings it ran under."""
    output = get_experiment(name)(ctx)
    output.quick = bool(output.quick or ctx.quick)
    return output


def environment_info() -> dict[str, str]:
    """Versions and platform, recorded next to every result file."""
    import numpy
    import pandas
    import scipy
    import sklearn

    from .._version import __version__

    return {
        "selfdistill": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pandas.__version__,
        "platform": platform.platform(),
    }


def write_json(path: Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON and return the path."""
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


#: ``gid`` of the text that marks a quick run's figure (tests look for it).
QUICK_STAMP_GID = "selfdistill-quick-stamp"


def save_figure(fig, path: Path, *, quick: bool, dpi: int = 150) -> Path:
    """Save a matplotlib figure as PNG (tight box) and close it; return ``path``.

    Every experiment saves its figures here, so that a ``--quick`` run's figure says so on the
    picture itself (a large diagonal "QUICK RUN" across it), not only in the text around it.
    """
    import matplotlib.pyplot as plt

    if quick:
        fig.text(
            0.5, 0.5, "QUICK RUN\nsmoke test, not results", transform=fig.transFigure,
            ha="center", va="center", rotation=20, color="tab:red", alpha=0.3, fontweight="bold",
            fontsize=max(20.0, 6.0 * min(fig.get_size_inches())), zorder=1000,
            gid=QUICK_STAMP_GID,
        )
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def markdown_table(table, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (floats with ``digits`` significant digits).

    Written here rather than with ``DataFrame.to_markdown`` to avoid the ``tabulate`` dependency.
    """

    def cell(value) -> str:
        if isinstance(value, (float, np.floating)):
            return "—" if np.isnan(value) else f"{value:.{digits}g}"
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        return str(value).replace("|", "\\|")

    lines = [
        "| " + " | ".join(str(c).replace("|", "\\|") for c in table.columns) + " |",
        "|" + "|".join("---" for _ in table.columns) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"
