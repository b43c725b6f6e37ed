"""Fig. 4 (Remark 4.2): optimal imitation parameters xi^(k)* vs the singular-value gap.

Same as ``selfdistill reproduce fig4 --out DIR``; the code is in ``selfdistill/reproduce/fig4.py``.

Usage::

    python experiments/fig4.py --out results/fig4 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "fig4", *sys.argv[1:]]))
