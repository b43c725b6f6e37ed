"""DMD2 at toy scale: one- and four-step students of a diffusion teacher (ring of Gaussians, digits).

Same as ``selfdistill reproduce dmd2 --out DIR``; the code is in ``selfdistill/reproduce/dmd2.py``
(needs the torch extra: ``pip install torch==2.13.0``).

Usage::

    python experiments/dmd2.py --out results/dmd2 [--seeds N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "dmd2", *sys.argv[1:]]))
