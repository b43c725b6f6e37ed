"""Fig. 3: excess risk vs lambda of optimal k-step self-distillation, k = 0..4, with the eq. 14 bound.

Same as ``selfdistill reproduce fig3 --out DIR``; the code is in ``selfdistill/reproduce/fig3.py``.

Usage::

    python experiments/fig3.py --out results/fig3 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "fig3", *sys.argv[1:]]))
