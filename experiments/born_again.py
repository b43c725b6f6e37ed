"""Born-again generations under label noise, with the linear theory of xi > 1 (Das & Sanghavi).

Same as ``selfdistill reproduce born-again --out DIR``; see ``selfdistill/reproduce/born_again.py``.

Usage::

    python experiments/born_again.py --out results/born_again [--seeds N] [--jobs N] [--quick]
"""

from __future__ import annotations

import argparse

from selfdistill.reproduce import ReproduceContext
from selfdistill.reproduce.born_again import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/born_again", help="output folder")
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
