"""Sphinx directives of the selfdistill documentation.

``.. readme-commands::`` quotes the README's set-up commands verbatim (the install + main-job
command and the test command), so the getting-started page cannot drift from the README.

``.. claims-table::`` runs reproduction experiments and tabulates their claims.

The claims table of the documentation is computed when the documentation is built, by the same
code as ``selfdistill reproduce``, so it can never drift from what the experiments measure::

    .. claims-table::
       :experiments: fig3 fig4
       :quick:

Each row is one :class:`selfdistill.reproduce.ExperimentOutput` claim: what was checked, what the
source says, what was measured and the verdict the experiment computed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives


def _cell(text: str) -> nodes.entry:
    entry = nodes.entry()
    entry += nodes.paragraph(text=str(text))
    return entry


def _row(values) -> nodes.row:
    row = nodes.row()
    for value in values:
        row += _cell(value)
    return row


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_commands() -> list[str]:
    """The ``bash`` blocks of the README's "Set up and run" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, re.S)


class ReadmeCommands(Directive):
    """Quote the README's set-up commands as literal blocks with a one-line caption each."""

    has_content = False

    def run(self):
        commands = readme_commands()
        if len(commands) < 2:
            raise self.error("README.md must give the install+run command and the test command")
        captions = ["Install everything and run the main job:", "Run the test suite:"]
        captions += ["Also from the README:"] * (len(commands) - 2)
        result = []
        for caption, command in zip(captions, commands, strict=False):
            result.append(nodes.paragraph(text=caption))
            block = nodes.literal_block(command, command)
            block["language"] = "bash"
            result.append(block)
        return result


class ClaimsTable(Directive):
    """Run the named experiments into a temporary folder and render their claims as a table."""

    has_content = False
    option_spec = {"experiments": directives.unchanged_required, "quick": directives.flag}

    def run(self):
        from selfdistill.reproduce import ReproduceContext, run_experiment

        names = self.options["experiments"].split()
        quick = "quick" in self.options
        header = ("experiment", "claim", "source", "measured", "verdict")
        table = nodes.table(classes=["claims-table"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for width in (10, 30, 25, 25, 10):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row(header)
        group += head
        body = nodes.tbody()
        with tempfile.TemporaryDirectory() as tmp:
            for name in names:
                ctx = ReproduceContext(out_dir=Path(tmp) / name, quick=quick, progress=False)
                output = run_experiment(name, ctx)
                if not output.claims:
                    raise self.error(f"experiment {name!r} returned no claims to tabulate")
                for claim in output.claims:
                    body += _row((name, claim.claim, claim.paper, claim.measured, claim.verdict))
        group += body
        caption = "quick configuration" if quick else "default configuration"
        note = nodes.paragraph(
            text=f"Computed while this page was built ({caption}): "
            + ", ".join(f"selfdistill reproduce {n}" for n in names)
            + "."
        )
        return [note, table]


def setup(app):
    app.add_directive("readme-commands", ReadmeCommands)
    app.add_directive("claims-table", ClaimsTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
