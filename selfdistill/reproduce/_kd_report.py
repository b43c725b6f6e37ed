"""Tables shared by the knowledge-distillation experiments: mean +- s.e. over seeds, CSV + Markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._outputs import markdown_table


def mean_se(df: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, standard error (sd / sqrt(n), ddof=1) and seed count of ``metrics`` per group.

    Columns: ``by`` + ``<metric>_mean``, ``<metric>_se`` for each metric + ``n_seeds``.
    With a single seed the s.e. is NaN (undefined), never 0.
    """
    grouped = df.groupby(by, sort=False)[metrics]
    mean = grouped.mean().add_suffix("_mean")
    se = (grouped.std(ddof=1) / np.sqrt(grouped.count())).add_suffix("_se")
    out = pd.concat([mean, se], axis=1)
    out = out[[f"{m}_{s}" for m in metrics for s in ("mean", "se")]]
    out["n_seeds"] = grouped.size()
    return out.reset_index()


def format_mean_se(summary: pd.DataFrame, by: list[str], metrics: dict[str, str], digits=3):
    """Markdown-ready frame: ``by`` columns + one "mean ± s.e." column per metric (renamed).

    A NaN mean (metric not applicable to the row) prints as "—".
    """
    table = summary[by].copy()
    for metric, title in metrics.items():
        mean, se = summary[f"{metric}_mean"], summary[f"{metric}_se"]
        table[title] = [_cell(m, s, digits) for m, s in zip(mean, se, strict=True)]
    return table


def _cell(mean: float, se: float, digits: int) -> str:
    if np.isnan(mean):
        return "—"  # not applicable to this row
    if np.isnan(se):
        return f"{mean:.{digits}f}"  # one seed: no standard error
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def write_tables(
    numbers: pd.DataFrame,
    table: pd.DataFrame,
    out_dir: Path,
    stem: str,
    raw: pd.DataFrame | None = None,
):
    """Write ``<stem>.csv`` from ``numbers``, ``<stem>.md`` from ``table`` (and ``<stem>_per_seed.csv``).

    The CSV is for pandas: numeric columns only (``<metric>_mean``, ``<metric>_se``, ``n_seeds``
    as ``mean_se`` returns them); formatted "mean ± s.e." strings go to the Markdown table only.
    Returns the written paths.
    """
    paths = []
    if raw is not None:
        paths.append(out_dir / f"{stem}_per_seed.csv")
        raw.to_csv(paths[-1], index=False)
    paths += [out_dir / f"{stem}.csv", out_dir / f"{stem}.md"]
    numbers.to_csv(paths[-2], index=False)
    paths[-1].write_text(markdown_table(table))
    return paths
