"""Joint non-crossing quantile regression (qrjoint) against R, censoring, and quantile self-distillation.

Same as ``selfdistill reproduce qrjoint --out DIR``; the code is in ``selfdistill/reproduce/qrjoint.py``.
The R reference outputs are read from ``SELFDISTILL_QRJOINT_DIR`` or a ``qrjoint`` folder beside the
UCI data folder (``--data-dir``).

Usage::

    python experiments/qrjoint.py --out results/qrjoint [--data-dir DIR] [--seeds N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "qrjoint", *sys.argv[1:]]))
