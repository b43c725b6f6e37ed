"""How experiments write their results: tables as Markdown, JSON records, figures as PNG."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np


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


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (selected only when plotting)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: ``gid`` of the text that marks a quick run's figure (tests look for it).
QUICK_STAMP_GID = "selfdistill-quick-stamp"


def save_figure(fig, path: Path, *, quick: bool, dpi: int = 150) -> Path:
    """Save a matplotlib figure as PNG (tight box) and close it; return ``path``.

    Every experiment saves its figures here, so that a ``--quick`` run's figure says so on the
    picture itself (a large diagonal "QUICK RUN" across it), not only in the text around it.
    """
    plt = pyplot()
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
