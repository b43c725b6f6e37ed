"""Settings and output helpers shared by the reproductions of the paper's figures (fig2-fig10).

The synthetic problems of Pareek, Du & Oh (2024) are fixed-design problems given by their
singular values ``s``, the signal's coordinates ``theta*_j = <theta*, u_j>`` and the noise
variance ``gamma^2``. Risks are reported as ``n * ExcessRisk`` (``FixedDesignProblem`` with
``n_samples=1``), the normalisation of the golden values of Theory §4.1; ratios of risks do not depend
on it.

UNCONFIRMED inputs (our assumptions, stated in every output that uses them):

- ``NOISE_VAR = 0.1``: the paper's noise level for Figs. 3 and 4 is not stated, and its Fig. 2
  caption says "noise variance gamma = 0.1" without saying whether gamma is the variance or the
  standard deviation (Theory §1.2).
- ``S_DISTINCT = [1, 1/2, 1/3, 1/4]``: the singular values of Fig. 3a (and of Fig. 4's base
  problem) are not stated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, is_dataclass

import pandas as pd

from .._progress import progress
from ._experiment import Claim, ReproduceContext
from ._outputs import environment_info, markdown_table, save_figure, write_json

#: gamma^2 of the synthetic figures (UNCONFIRMED; see the module docstring).
NOISE_VAR = 0.1
#: Fig. 3a's distinct singular values (UNCONFIRMED guess, Theory §4.1).
S_DISTINCT = (1.0, 1 / 2, 1 / 3, 1 / 4)
#: Fig. 3b's repeated singular values (confirmed from the caption).
S_REPEATED = (1.0, 1.0, 1 / 2, 1 / 3)
#: theta* = u_1 in a rank-4 eigenbasis (Figs. 3a, 3b, 4).
THETA_U1 = (1.0, 0.0, 0.0, 0.0)
#: theta* = 0.5 (u_1 + u_2 + u_3 + u_4) (Fig. 3c, confirmed from the caption).
THETA_EQUAL = (0.5, 0.5, 0.5, 0.5)

#: The uncertainty of a claim computed exactly from a fixed design (no sampling).
EXACT = "none: exact, deterministic float64 computation (no sampling)"

#: Printed under every golden-value comparison.
GOLDEN_NOTE = "golden values are ours (Theory §3.5 and §4.1), not the paper's"


def verdict(ok: bool, yes: str = "reproduced", no: str = "not reproduced") -> str:
    """The verdict column of a Claim row."""
    return yes if ok else no


def golden_claim(figure: str, compared: str, precision: str, measured: str, ok: bool) -> Claim:
    """The "(ours) golden values" row of a figure: our numbers against the theory chapter's table.

    ``ok`` is the comparison within the table's tolerance, ``precision`` how the table is rounded.
    """
    return Claim(
        claim=f"(ours) {figure} golden values: {compared}",
        paper=f"— ({GOLDEN_NOTE}; {precision})",
        measured=measured,
        verdict=verdict(ok, "matches", "DIFFERS"),
        rule="matches if every recomputed value is within the table's tolerance",
        uncertainty=EXACT,
    )


def write_results(
    ctx: ReproduceContext, name: str, data: pd.DataFrame, table: pd.DataFrame, config,
    extra: dict[str, pd.DataFrame] | None = None, figure=None,
) -> None:
    """Write ``<name>.csv`` (tidy data), ``<name>.md`` (summary table) and ``<name>.json``.

    Every row of ``data`` gets the column ``quick`` (whether the run used quick settings). The
    JSON records the configuration, the run settings (quick mode, seeds) and the environment
    (package versions), next to the numbers they produced. Each ``extra`` frame is written as
    ``<name>_<key>.csv``, a matplotlib ``figure`` as ``<name>.png`` (stamped when quick).
    """
    if figure is not None:
        save_figure(figure, ctx.out_dir / f"{name}.png", quick=ctx.quick)
    for key, frame in (extra or {}).items():
        frame.to_csv(ctx.out_dir / f"{name}_{key}.csv", index=False)
    data["quick"] = ctx.quick
    data.to_csv(ctx.out_dir / f"{name}.csv", index=False)
    (ctx.out_dir / f"{name}.md").write_text(markdown_table(table))
    write_json(ctx.out_dir / f"{name}.json", {
        "experiment": name,
        "config": asdict(config) if is_dataclass(config) else dict(config),
        "quick": ctx.quick,
        "seeds": ctx.seeds,
        "environment": environment_info(),
    })


def parallel_map(func: Callable, cases: list, *, jobs: int = 1, desc: str = "", show: bool = False) -> list:
    """``[func(*case) for case in cases]``, on ``jobs`` joblib workers, with a progress bar.

    Results keep the order of ``cases``; with ``jobs=1`` everything runs in this process.
    """
    if jobs == 1:
        return [func(*case) for case in progress(cases, desc=desc, enabled=show)]
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(func)(*case) for case in cases)
    return list(progress(results, desc=desc, total=len(cases), enabled=show))


#: Inputs of every Pareek, Du & Oh experiment that are ours, not the paper's (the Theory chapter, §8, marks
#: them UNCONFIRMED); each paper experiment lists them among its assumptions.
PAPER_ASSUMPTIONS: tuple[str, ...] = (
    "Only the paper's abstract, introduction start, figure/table captions and a few protocol quotes "
    "are confirmed (Theory §0); the formulas used here are our derivations, checked numerically.",
    "Noise: γ² denotes the noise *variance*; whether the paper's γ is a variance or a standard "
    "deviation is UNCONFIRMED.",
    "Excess risk is the in-sample E(1/n)‖X(θ̂ − θ*)‖², reported as n·risk for the synthetic figures; "
    "the 1/n normalisation is UNCONFIRMED (ratios do not depend on it).",
    "The eq. 14 lower bound is used in our derived form Σ_j γ² s_j² θ*_j² / (s_j² θ*_j² + γ²).",
)


def uci_assumptions() -> list[str]:
    """The preprocessing choices of the three UCI data sets that are ours (``UCIDataset.assumptions``)."""
    from ..datasets.uci import UCI_DATASETS

    return [f"UCI `{spec.name}`: {item}" for spec in UCI_DATASETS.values() for item in spec.assumptions]
