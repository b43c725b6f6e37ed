"""The reproduction layer behind ``selfdistill reproduce``: experiments, their runner and REPORT.md.

Nothing in the library imports this subpackage (only :mod:`selfdistill.cli` does); it uses the
library like any user. Its modules, one job each:

- ``_experiment``: the one :class:`Experiment` template and what it is made of -- the run
  context, :class:`Results`, :class:`Claim` and verdict rules;
- ``_outputs``: how experiments write results -- Markdown tables, JSON records, PNG figures;
- ``_base``: the registry :data:`EXPERIMENTS` and the runner :func:`run_experiment`, the one
  skeleton every experiment runs through;
- ``_results``: result sets on disk (output-folder check, staging folder, whole commits);
- ``report``: ``REPORT.md`` from whatever ran;
- one module per experiment, each declaring ``EXPERIMENT = Experiment(...)`` with its own claims
  and assumptions, plus shared helpers (``_paper``, ``_kd_report``) and the benchmark runners
  (``benchmark``, ``real_benchmark``) they are built on.

The top-level ``experiments/`` folder holds thin scripts that call :func:`selfdistill.cli.main`.
"""

from ._base import (
    ALL_MODES,
    EXPERIMENTS,
    PAPER_EXPERIMENTS,
    all_mode,
    format_verdicts,
    get_experiment,
    run_experiment,
)
from ._experiment import (
    Claim,
    Experiment,
    ExperimentOutput,
    ReproduceContext,
    Results,
    interval_verdict,
)
from ._results import OutputFolderError, check_out_dir, staging_folder

__all__ = [
    "ALL_MODES",
    "EXPERIMENTS",
    "PAPER_EXPERIMENTS",
    "Claim",
    "Experiment",
    "ExperimentOutput",
    "ReproduceContext",
    "Results",
    "all_mode",
    "format_verdicts",
    "get_experiment",
    "interval_verdict",
    "OutputFolderError",
    "check_out_dir",
    "run_experiment",
    "staging_folder",
]
