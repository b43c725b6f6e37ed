"""SDRN (sparse deep ReLU networks, Huang, Liu & Ma 2025; a reconstruction): rates, robustness, SD.

Same as ``selfdistill reproduce sdrn --out DIR``; the code is in ``selfdistill/reproduce/sdrn.py``.

Usage::

    python experiments/sdrn.py --out results/sdrn [--seeds N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "sdrn", *sys.argv[1:]]))
