"""Fig. 2: relative gain A/B of r-step self-distillation over ridge vs rank r (d = 100, theta* = u_1).

Same as ``selfdistill reproduce fig2 --out DIR``; the code is in ``selfdistill/reproduce/fig2.py``.

Usage::

    python experiments/fig2.py --out results/fig2 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "fig2", *sys.argv[1:]]))
