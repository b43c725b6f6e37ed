"""Hinton et al.'s omitted-class transfer on sklearn digits (soft targets teach a class the student never sees).

Same as ``selfdistill reproduce kd-omitted-class --out DIR``; see ``selfdistill/reproduce/kd_omitted_class.py``.

Usage::

    python experiments/kd_omitted_class.py --out results/kd_omitted_class [--seeds N] [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse

from selfdistill.reproduce import ReproduceContext
from selfdistill.reproduce.kd_omitted_class import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/kd_omitted_class", help="output folder")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers")
    parser.add_argument("--quick", action="store_true", help="small smoke-test configuration")
    args = parser.parse_args(argv)
    ctx = ReproduceContext(out_dir=args.out, seeds=args.seeds, jobs=args.jobs, quick=args.quick)
    output = run(ctx)
    print(output.summary)
    for claim in output.claims:
        print(f"- {claim.claim}: {claim.measured} [{claim.verdict}]")
    print("files:", *map(str, output.files), sep="\n  ")


if __name__ == "__main__":
    main()
