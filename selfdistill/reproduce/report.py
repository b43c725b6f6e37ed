"""``REPORT.md``: every experiment's claims with computed verdicts, its assumptions and provenance.

Called by ``selfdistill reproduce all`` with the outputs of whatever ran (any subset of the
registered experiments, possibly none). Nothing here knows any experiment: each
:class:`~selfdistill.reproduce.ExperimentOutput` carries its own
:class:`~selfdistill.reproduce.Claim` rows (verdicts computed from the numbers by a stated
rule, with their uncertainty), its own assumptions and whether it ran at quick settings. The report
has one overview table of all verdicts, then one section per experiment (claims, assumptions,
figures, summary table, files), the experiments that could not run and why, the run settings and
the environment. An assumption that several experiments share is listed once, with their names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ._base import EXPERIMENTS
from ._experiment import Claim, ExperimentOutput, ReproduceContext
from ._outputs import environment_info, markdown_table

REPORT_NAME = "REPORT.md"
QUICK_LABEL = "QUICK settings (a smoke configuration, not the reported results)"


def _description(name: str) -> str:
    return EXPERIMENTS.get(name, ("", ""))[1]


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


def _claims_table(claims: Iterable[Claim]) -> str:
    frame = pd.DataFrame(
        [
            (c.claim, c.paper, c.measured, c.rule or "—", c.uncertainty or "—", c.verdict or "—")
            for c in claims
        ],
        columns=["claim", "source says", "we measured", "rule", "uncertainty", "verdict"],
    )
    return markdown_table(frame)


def _overview(outputs: list[ExperimentOutput], failed: dict[str, str]) -> list[str]:
    lines = ["## Verdicts at a glance", ""]
    rows = [
        (f"`{o.name}`", "quick" if o.quick else "full", c.claim, c.verdict or "—")
        for o in outputs
        for c in o.claims
    ]
    rows += [(f"`{name}`", "did not run", reason, "—") for name, reason in failed.items()]
    if not rows:
        return lines + ["No experiment stated a claim in this run.", ""]
    frame = pd.DataFrame(rows, columns=["experiment", "settings", "claim", "verdict"])
    return lines + [markdown_table(frame)]


def _shared_assumptions(outputs: list[ExperimentOutput]) -> dict[str, list[str]]:
    """Assumption text -> the experiments that state it (in run order)."""
    owners: dict[str, list[str]] = {}
    for output in outputs:
        for item in dict.fromkeys(output.assumptions):
            owners.setdefault(item, []).append(output.name)
    return owners


def _experiment_section(output: ExperimentOutput, root: Path, shared: set[str]) -> list[str]:
    description = _description(output.name)
    lines = [f"## `{output.name}`" + (f": {description}" if description else ""), ""]
    if output.quick:
        lines += [f"> **{QUICK_LABEL}.** Verdicts below describe the quick run only.", ""]
    lines += ["### Claims", ""]
    lines += [_claims_table(output.claims)] if output.claims else ["No claims stated.", ""]
    own = [a for a in dict.fromkeys(output.assumptions) if a not in shared]
    if own or any(a in shared for a in output.assumptions):
        lines += ["### Assumptions (ours, not the source's)", ""]
        lines += [f"- {item}" for item in own]
        if any(a in shared for a in output.assumptions):
            lines.append("- and the shared assumptions listed at the end of the report.")
        lines.append("")
    if output.figures:
        lines += ["### Figures", ""]
        for figure in output.figures:
            lines += [f"![{output.name}]({_relative(figure, root)})", ""]
    lines += ["### Summary", "", output.summary.strip(), ""]
    if output.files:
        files = ", ".join(f"[{Path(f).name}]({_relative(f, root)})" for f in output.files)
        lines += [f"Files: {files}", ""]
    return lines


def _provenance_section(
    outputs: list[ExperimentOutput], failed: dict[str, str], ctx: ReproduceContext
) -> list[str]:
    settings = pd.DataFrame(
        [
            ("experiments (full settings)", ", ".join(o.name for o in outputs if not o.quick) or "none"),
            ("experiments (quick settings)", ", ".join(o.name for o in outputs if o.quick) or "none"),
            ("experiments that did not run", ", ".join(failed) or "none"),
            ("seeds", "each experiment's default" if ctx.seeds is None else str(ctx.seeds)),
            ("jobs", str(ctx.jobs)),
            ("data dir", str(ctx.data_dir) if ctx.data_dir
             else "not given (SELFDISTILL_DATA_DIR if set, else the shipped data/uci)"),
            ("output folder", str(ctx.out_dir)),
        ],
        columns=["setting", "value"],
    )
    env = pd.DataFrame(list(environment_info().items()), columns=["package", "version"])
    return [
        "## Run configuration",
        "",
        "The seed of every randomised result is in its CSV rows; each experiment's configuration "
        "and environment are in its `<name>.json` where it writes one.",
        "",
        markdown_table(settings),
        "## Environment",
        "",
        markdown_table(env),
    ]


def _render(outputs: list[ExperimentOutput], ctx: ReproduceContext, failed: dict[str, str]) -> str:
    root = ctx.out_dir
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    names = ", ".join(f"`{o.name}`" for o in outputs) or "none"
    lines = [
        "# selfdistill reproduction report",
        "",
        f"Generated by `selfdistill reproduce` on {stamp}. Experiments in this report: {names}.",
        "Every verdict is computed from this run's numbers by the rule printed beside it.",
        "",
    ]
    if any(o.quick for o in outputs):
        quick = ", ".join(f"`{o.name}`" for o in outputs if o.quick)
        lines += [f"> **{QUICK_LABEL}** for {quick}: run `selfdistill reproduce NAME` for the "
                  "full settings.", ""]
    lines += _overview(outputs, failed)
    owners = _shared_assumptions(outputs)
    shared = {item for item, names_ in owners.items() if len(names_) > 1}
    for output in outputs:
        lines += _experiment_section(output, root, shared)
    if failed:
        lines += ["## Experiments that did not run", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in failed.items()] + [""]
    if shared:
        lines += ["## Shared assumptions", ""]
        lines += [
            f"- {item} ({', '.join(f'`{n}`' for n in owners[item])})"
            for item in owners
            if item in shared
        ] + [""]
    lines += _provenance_section(outputs, failed, ctx)
    return "\n".join(lines).rstrip() + "\n"


def write_report(
    outputs: list[ExperimentOutput],
    ctx: ReproduceContext,
    failed: dict[str, str] | None = None,
    *,
    folder: Path | None = None,
) -> Path:
    """Write ``REPORT.md`` for the experiments that ran and return its path.

    Parameters
    ----------
    outputs : list of ExperimentOutput
        What each experiment returned, in run order; any subset of the experiments (also empty).
    ctx : ReproduceContext
        The run's settings (output folder, seeds, data folder); figures and files are linked
        relative to ``ctx.out_dir``.
    failed : dict of str to str or None, default=None
        Experiments that could not run, with the reason (e.g. a missing extra).
    folder : Path or None, default=None
        Where to write the file (a staging folder that is committed into ``ctx.out_dir``);
        ``None`` means ``ctx.out_dir``.

    Returns
    -------
    Path
        The report's path. It holds the verdict overview, one section per experiment, the
        experiments that did not run, shared assumptions, run configuration and environment.
    """
    folder = ctx.out_dir if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_NAME
    path.write_text(_render(list(outputs), ctx, dict(failed or {})), encoding="utf-8")
    return path
