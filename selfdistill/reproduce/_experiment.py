"""The one experiment template and what it is made of: the run context, results and claims.

The one experiment template is :class:`Experiment`: each experiment module declares a module-level
``EXPERIMENT = Experiment(...)`` with its full and quick settings, its default number of seeds, the
optional packages it needs, a ``compute`` hook that writes its files and returns :class:`Results`, a
``claims`` hook that turns those results into :class:`Claim` rows with computed verdicts, and its
own assumptions. The runner (:mod:`selfdistill.reproduce._base`) executes the template; this module
never calls an experiment, so calls go one way: runner -> experiment -> template and
:mod:`~selfdistill.reproduce._outputs` (the file and figure helpers).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import POSITIVE_INT, Boolean, InstanceOf, Options, check_params

#: The settings of every run, checked once when a context is made (the CLI reports a refusal as a
#: usage error).
CONTEXT_CONSTRAINTS = {
    "out_dir": [InstanceOf((str, os.PathLike), "a folder path")],
    "data_dir": [None, InstanceOf((str, os.PathLike), "a folder path")],
    "seeds": [None, POSITIVE_INT],
    "jobs": [POSITIVE_INT],
    "quick": [Boolean()],
    "progress": [Boolean()],
}


@dataclass
class ReproduceContext:
    """Settings shared by every experiment.

    Parameters
    ----------
    out_dir : Path
        Folder that receives CSV, Markdown and PNG outputs (the runner creates it).
    data_dir : str or None
        Folder with the raw UCI files (else ``SELFDISTILL_DATA_DIR``, the cache, or a download).
    seeds : int or None
        Number of seeds (repetitions); ``None`` means the experiment's default (the runner puts
        :attr:`Experiment.seeds` here before ``compute`` runs).
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
        values = {name: getattr(self, name) for name in CONTEXT_CONSTRAINTS}
        for name, value in check_params(values, CONTEXT_CONSTRAINTS, "ReproduceContext").items():
            setattr(self, name, value)
        self.out_dir = Path(self.out_dir)


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


_VERDICT_CONSTRAINTS = {"better": [Options("lower", "higher")]}


def interval_verdict(
    estimate: float, se: float, threshold: float, *, better: str = "lower", z: float = 1.96
) -> str:
    """Verdict of "``estimate`` is on the ``better`` side of ``threshold``" with a z-interval.

    Returns ``"reproduced"`` when the whole interval ``estimate ± z·se`` is on the better side,
    ``"not reproduced"`` when the whole interval is on the other side, and ``"inconclusive"``
    when it contains the threshold (or when ``estimate`` is NaN). ``se`` may be 0 or NaN (one
    seed): then the point estimate decides.
    """
    better = check_params({"better": better}, _VERDICT_CONSTRAINTS, "interval_verdict")["better"]
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


@dataclass
class Results:
    """What an experiment's ``compute`` hook returns to the runner.

    Attributes
    ----------
    summary : str
        Markdown (tables and a few sentences) printed by the CLI and embedded in ``REPORT.md``.
    values : dict
        The tidy frames and settings the experiment's ``claims`` hook computes its verdicts from.
    """

    summary: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """The one template of a reproduction experiment (one ``EXPERIMENT`` per experiment module).

    The runner (:func:`selfdistill.reproduce.run_experiment`) executes it the same way for every
    experiment: check ``requires``, pick ``full`` or ``quick`` settings and the number of seeds,
    call ``compute(settings, ctx)`` with ``ctx.out_dir`` a staging folder, call
    ``claims(results)``, and commit the files written as one result set. The output lists every
    file written (PNGs also as figures) and ``assumptions``.

    Attributes
    ----------
    name : str
        CLI name (the key of the registry ``EXPERIMENTS``).
    full, quick : object
        The settings ``compute`` receives at full and at ``--quick`` settings (usually a frozen
        dataclass; recorded by the experiment in its JSON file).
    compute : callable
        ``compute(settings, ctx) -> Results``: computes, writes tidy CSVs, Markdown, JSON and
        PNGs (through :func:`save_figure`) into ``ctx.out_dir``.
    claims : callable
        ``claims(results) -> list of Claim``: verdicts computed from ``results.values`` by a
        stated rule, with their uncertainty.
    assumptions : tuple of str
        The experiment's inputs that are ours, not the source's (UNCONFIRMED items).
    seeds : tuple of (int, int) or None, default=None
        Default number of seeds at (full, quick) settings when ``--seeds`` is not given; ``None``
        for a deterministic experiment.
    requires : tuple of (str, str), default=()
        Optional packages as (importable module, install command); a missing one is reported
        before anything runs.
    """

    name: str
    full: Any
    quick: Any
    compute: Callable[[Any, ReproduceContext], Results]
    claims: Callable[[Results], list[Claim]]
    assumptions: tuple[str, ...]
    seeds: tuple[int, int] | None = None
    requires: tuple[tuple[str, str], ...] = ()
