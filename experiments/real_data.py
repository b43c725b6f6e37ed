"""Does SD help on real data? SelfDistilledRidgeCV (every tuning mode) against RidgeCV on 11 real regressions.

Same as ``selfdistill reproduce real-data --out DIR``; the code is in ``selfdistill/reproduce/real_data.py``
(the benchmark itself, with options for subsets and extra configurations: ``benchmarks/real_data.py``).

Usage::

    python experiments/real_data.py --out results/real-data [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "real-data", *sys.argv[1:]]))
