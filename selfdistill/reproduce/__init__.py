"""Reproduction experiments behind ``selfdistill reproduce``.

Each experiment lives in its own module and exposes ``run(ctx) -> ExperimentOutput``; the
registry below maps CLI names to modules (imported lazily, so optional extras such as torch are
only needed by the experiments that use them). The top-level ``experiments/`` folder holds thin
scripts that call the same functions.
"""

from ._base import (
    ALL_MODES,
    EXPERIMENTS,
    PAPER_EXPERIMENTS,
    Claim,
    ExperimentOutput,
    ReproduceContext,
    all_mode,
    format_verdicts,
    get_experiment,
    interval_verdict,
    run_experiment,
)
from ._results import OutputFolderError, check_out_dir, run_staged, staging_folder

__all__ = [
    "ALL_MODES",
    "EXPERIMENTS",
    "PAPER_EXPERIMENTS",
    "Claim",
    "ExperimentOutput",
    "ReproduceContext",
    "all_mode",
    "format_verdicts",
    "get_experiment",
    "interval_verdict",
    "OutputFolderError",
    "check_out_dir",
    "run_experiment",
    "run_staged",
    "staging_folder",
]
