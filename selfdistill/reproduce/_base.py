"""Shared plumbing for the reproduction experiments (context, outputs, registry)."""

from __future__ import annotations

import argparse
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
    "real-data": (
        "selfdistill.reproduce.real_data",
        "Does SD help on real data? SelfDistilledRidgeCV vs RidgeCV on 11 real regressions",
    ),
}

#: What ``selfdistill reproduce all`` runs: the paper's tables and figures.
PAPER_EXPERIMENTS: tuple[str, ...] = ("table1", "fig2", "fig3", "fig4", "fig10")


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
    """One row of REPORT.md: what the paper says and what we measured."""

    claim: str
    paper: str
    measured: str
    verdict: str = ""


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
    """

    name: str
    summary: str
    files: list[Path] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)


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


def run_from_command_line(name: str, description: str, argv: list[str] | None = None) -> ExperimentOutput:
    """Back the thin scripts in ``experiments/``: parse the usual options, run, print the summary.

    ``python experiments/NAME.py --out DIR`` does exactly what ``selfdistill reproduce NAME --out DIR``
    does.
    """
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--out", default=f"results/{name}", help="output folder")
    parser.add_argument("--data-dir", default=None, help="folder with the raw UCI files")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the experiment's)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers")
    parser.add_argument("--quick", action="store_true", help="small configuration for a smoke run")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be at least 1")
    ctx = ReproduceContext(
        out_dir=Path(args.out), data_dir=args.data_dir, seeds=args.seeds, jobs=args.jobs,
        quick=args.quick, progress=not args.no_progress,
    )
    output = get_experiment(name)(ctx)
    print(output.summary)
    for claim in output.claims:
        print(f"- {claim.claim}: {claim.measured} [{claim.verdict}]")
    print("files:", *map(str, output.files), sep="\n  ")
    return output

