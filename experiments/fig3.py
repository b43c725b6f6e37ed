"""Fig. 3: excess risk vs lambda of optimal k-step self-distillation, k = 0..4, with the eq. 14 bound.

Same as ``selfdistill reproduce fig3 --out DIR``; the code is in ``selfdistill/reproduce/fig3.py``.

Usage::

    python experiments/fig3.py --out results/fig3 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

from selfdistill.reproduce._base import run_from_command_line

if __name__ == "__main__":
    run_from_command_line("fig3", __doc__)
