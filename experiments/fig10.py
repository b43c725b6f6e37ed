"""Fig. 10: squared cosines of the fitted ridge parameter with the eigenvectors, per UCI dataset.

Same as ``selfdistill reproduce fig10 --out DIR``; the code is in ``selfdistill/reproduce/fig10.py``.

Usage::

    python experiments/fig10.py --out results/fig10 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "fig10", *sys.argv[1:]]))
