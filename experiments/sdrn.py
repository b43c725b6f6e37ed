"""SDRN (sparse deep ReLU networks, Huang, Liu & Ma 2025; a reconstruction): rates, robustness, SD.

Same as ``selfdistill reproduce sdrn --out DIR``; the code is in ``selfdistill/reproduce/sdrn.py``.

Usage::

    python experiments/sdrn.py --out results/sdrn [--seeds N] [--quick]
"""

from selfdistill.reproduce._base import run_from_command_line

if __name__ == "__main__":
    run_from_command_line("sdrn", __doc__)
