"""The runner of the reproduction layer: the registry of experiments and the one run skeleton.

``run_experiment(name, ctx)`` imports the experiment's module (lazily, so optional extras such as
torch are only needed by the experiments that use them), takes its :class:`~._experiment.Experiment`
template and runs it the same way for every experiment (settings, seeds, compute in a staging
folder, claims, commit). Experiments never call back into this module: they use
:mod:`~selfdistill.reproduce._experiment` and :mod:`~selfdistill.reproduce._outputs`.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util

from .._validation import Options, check_params
from ._experiment import Experiment, ExperimentOutput, ReproduceContext
from ._results import staging_folder

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


_MODE_CONSTRAINTS = {"mode": [Options("full", "quick", "skip")]}


def all_mode(name: str) -> str:
    """How ``reproduce all`` runs ``name``: "full", "quick" or "skip" (see :data:`ALL_MODES`)."""
    return check_params({"mode": ALL_MODES.get(name, "quick")}, _MODE_CONSTRAINTS, f"ALL_MODES[{name!r}]")["mode"]


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


def get_experiment(name: str) -> Experiment:
    """Return the :class:`~selfdistill.reproduce.Experiment` template of a registered experiment.

    Raises
    ------
    ValueError
        If ``name`` is not a registered experiment.
    """
    if name not in EXPERIMENTS:
        known = ", ".join(sorted(EXPERIMENTS))
        raise ValueError(f"Unknown experiment {name!r}; choose one of: {known}.")
    return importlib.import_module(EXPERIMENTS[name][0]).EXPERIMENT


def _check_claims(name: str, claims) -> None:
    """Every claim states its verdict, the rule that computed it and the verdict's uncertainty."""
    for claim in claims:
        missing = [part for part in ("verdict", "rule", "uncertainty") if not getattr(claim, part)]
        if missing:
            raise RuntimeError(
                f"the {name} experiment's claim {claim.claim!r} states no {' and no '.join(missing)}; "
                "every claim needs all three."
            )


def run_experiment(name: str, ctx: ReproduceContext) -> ExperimentOutput:
    """Run a registered experiment into ``ctx.out_dir`` as one result set; return its output.

    The skeleton every experiment shares: report a missing optional package before anything
    runs; take the quick or full settings and the number of seeds (``ctx.seeds``, else the
    experiment's default); compute into a staging folder; compute the claims; commit the files
    written as one set (an interrupted or failed run leaves ``ctx.out_dir`` as it was).

    Parameters
    ----------
    name : str
        A key of :data:`EXPERIMENTS`.
    ctx : ReproduceContext
        The run's settings; ``ctx.out_dir`` receives the result set (created if missing).

    Returns
    -------
    ExperimentOutput
        The summary, the files written (PNGs also as figures), the claims with their verdicts,
        the experiment's assumptions and whether the quick settings were used.

    Raises
    ------
    ImportError
        When an optional package the experiment needs is missing (the message says what to install).
    RuntimeError
        When a claim states no verdict, rule or uncertainty (nothing is committed).
    """
    experiment = get_experiment(name)
    for module, command in experiment.requires:
        if importlib.util.find_spec(module) is None:
            raise ImportError(f"the {name} experiment needs the {module!r} package; install it with: {command}")
    settings = experiment.quick if ctx.quick else experiment.full
    if ctx.seeds is None and experiment.seeds is not None:
        ctx = dataclasses.replace(ctx, seeds=experiment.seeds[1] if ctx.quick else experiment.seeds[0])
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    with staging_folder(ctx.out_dir, name) as stage:
        results = experiment.compute(settings, dataclasses.replace(ctx, out_dir=stage))
        claims = experiment.claims(results)
        _check_claims(name, claims)
        written = sorted(path.name for path in stage.iterdir() if path.is_file())
    files = [ctx.out_dir / entry for entry in written]
    return ExperimentOutput(
        name=name,
        summary=results.summary,
        files=files,
        claims=claims,
        figures=[path for path in files if path.suffix == ".png"],
        assumptions=list(experiment.assumptions),
        quick=ctx.quick,
    )
