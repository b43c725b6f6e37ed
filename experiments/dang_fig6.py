"""Dang et al. Fig. 6 heat maps, the sign rule, Lecoiu et al.'s checks and the DE-vs-exact bridge.

Same as ``selfdistill reproduce dang-fig6 --out DIR``; the code is in ``selfdistill/reproduce/dang_fig6.py``.

Usage::

    python experiments/dang_fig6.py --out results/dang-fig6 [--seeds N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "dang-fig6", *sys.argv[1:]]))
