"""Command-line interface: ``selfdistill reproduce ...``.

Examples
--------
Run every registered experiment (slow ones at their labelled quick settings) and write
``results/REPORT.md`` with every claim's computed verdict::

    selfdistill reproduce all --out results

One experiment, fewer seeds::

    selfdistill reproduce table1 --out results --seeds 3
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from ._version import __version__
from .reproduce import (
    EXPERIMENTS,
    OutputFolderError,
    ReproduceContext,
    all_mode,
    check_out_dir,
    format_verdicts,
    run_experiment,
    staging_folder,
)
from .reproduce.report import REPORT_NAME, write_report

_EPILOG = """\
experiments:
{listing}
  all               every registered experiment, then REPORT.md with every claim's computed
                    verdict; slow ones at their --quick settings (labelled): {quick}
                    (--full runs them at full settings)

UCI data: read from the repository's data/uci (shipped with a source checkout). To use other
copies, pass --data-dir (or set SELFDISTILL_DATA_DIR) to a folder holding the raw UCI files
(air_quality/AirQualityUCI.csv, airfoil_self_noise/airfoil_self_noise.dat,
appliances_energy_prediction/energydata_complete.csv, plain or .xz). Without either, UCI's archive
is downloaded once (scikit-learn's fetch_file, SHA-256 checked) into SELFDISTILL_CACHE_DIR or
<scikit-learn data home>/selfdistill, and read from there afterwards.

Results: each experiment's files are written to a staging folder inside --out and moved into
place together when it finishes; an interrupted run (Ctrl-C: exit status 130) leaves the previous
results as they were. Exit status 2: bad arguments, an unusable --out, or a failed experiment.
"""


def _build_parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<17} {desc}" for name, (_, desc) in EXPERIMENTS.items())
    parser = argparse.ArgumentParser(
        prog="selfdistill",
        description=(
            "Self-distillation toolkit. Reproduces the experiments of Pareek, Du & Oh, "
            "'Understanding the Gains from Repeated Self-Distillation' (NeurIPS 2024), and the "
            "knowledge-distillation and diffusion-distillation studies built on the same API."
        ),
    )
    parser.add_argument("--version", action="version", version=f"selfdistill {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    rep = sub.add_parser(
        "reproduce",
        help="regenerate a table or figure (tables as CSV + Markdown, figures as PNG)",
        description="Regenerate a table or figure; results go to --out.",
        epilog=_EPILOG.format(
            listing=listing,
            quick=", ".join(n for n in EXPERIMENTS if all_mode(n) == "quick") or "none",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument(
        "experiment",
        choices=["all", *EXPERIMENTS],
        metavar="EXPERIMENT",
        help="what to reproduce: 'all' or one name from the list below",
    )
    rep.add_argument("--out", default="results", help="output folder (default: results)")
    rep.add_argument("--data-dir", default=None, help="folder with the raw UCI files")
    rep.add_argument("--seeds", type=int, default=None, help="number of random seeds/splits")
    rep.add_argument("--jobs", type=int, default=1, help="parallel workers (default: 1)")
    rep.add_argument(
        "--quick", action="store_true", help="small configuration for a smoke run (labelled)"
    )
    rep.add_argument(
        "--full",
        action="store_true",
        help="with 'all': run every experiment at its full settings (slow)",
    )
    rep.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sub.add_parser("list", help="list the available experiments")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``selfdistill`` console script; returns the exit status.

    0: success; 2: bad arguments, an unusable ``--out`` or a failed experiment (one line on
    stderr); 130: interrupted with Ctrl-C (one line on stderr, earlier results left intact).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "list":
        for name, (_, desc) in EXPERIMENTS.items():
            print(f"{name:<17} {desc}")
        return 0
    data_dir = None if args.data_dir is None else os.path.abspath(os.path.expanduser(args.data_dir))
    try:  # the settings are checked by the context's constraint table, before any computation
        ctx = ReproduceContext(
            out_dir=args.out, data_dir=data_dir, seeds=args.seeds, jobs=args.jobs,
            quick=args.quick, progress=not args.no_progress,
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        return _reproduce(args, ctx)
    except KeyboardInterrupt:
        print(
            f"interrupted: the experiment that was running wrote nothing to {args.out}; "
            "results of earlier runs are unchanged.",
            file=sys.stderr,
        )
        return 130


def _reproduce(args, ctx: ReproduceContext) -> int:
    try:
        ctx = dataclasses.replace(ctx, out_dir=check_out_dir(ctx.out_dir))
    except OutputFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.experiment == "all":
        names = [n for n in EXPERIMENTS if all_mode(n) != "skip"]
    else:
        names = [args.experiment]
    outputs, failed, status = [], {}, 0
    for name in names:
        quick = args.quick or (
            args.experiment == "all" and all_mode(name) == "quick" and not args.full
        )
        run_ctx = dataclasses.replace(ctx, quick=quick)
        start = time.perf_counter()
        print(f"== {name}: {EXPERIMENTS[name][1]}{' [quick]' if quick else ''}", flush=True)
        try:
            output = run_experiment(name, run_ctx)
        except ImportError as exc:
            # A missing optional extra: say what to install; `all` goes on without it.
            print(f"error: {name} needs an optional dependency: {exc}", file=sys.stderr)
            failed[name] = f"missing optional dependency: {exc}"
            if args.experiment != "all":
                return 2
            continue
        except (ValueError, RuntimeError, OSError) as exc:
            print(f"error: {name} failed: {exc}", file=sys.stderr)
            failed[name] = f"failed: {exc}"
            status = 2
            if args.experiment != "all":
                return 2
            continue
        outputs.append(output)
        print(output.summary)
        print(format_verdicts(output))
        print(f"-- {name} done in {time.perf_counter() - start:.1f} s; files in {ctx.out_dir}\n")
    if args.experiment == "all":
        with staging_folder(ctx.out_dir, "report") as stage:
            write_report(outputs, ctx, failed, folder=stage)
        print(f"report: {ctx.out_dir / REPORT_NAME}")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
