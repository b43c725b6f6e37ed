"""Born-again generations under label noise, with the linear theory of xi > 1 (Das & Sanghavi).

Same as ``selfdistill reproduce born-again --out DIR``; the code is in ``selfdistill/reproduce/born_again.py``.

Usage::

    python experiments/born_again.py --out results/born_again [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "born-again", *sys.argv[1:]]))
