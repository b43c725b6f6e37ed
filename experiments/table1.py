"""Table 1 of Pareek, Du & Oh (2024): ridge vs k-step SD on the UCI datasets, one-shot tuning and protocol sensitivity.

Same as ``selfdistill reproduce table1 --out DIR``; the code is in ``selfdistill/reproduce/table1.py``.

Usage::

    python experiments/table1.py --out results/table1 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "table1", *sys.argv[1:]]))
