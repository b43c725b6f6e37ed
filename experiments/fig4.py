"""Fig. 4 (Remark 4.2): optimal imitation parameters xi^(k)* vs the singular-value gap.

Same as ``selfdistill reproduce fig4 --out DIR``; the code is in ``selfdistill/reproduce/fig4.py``.

Usage::

    python experiments/fig4.py --out results/fig4 [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

from selfdistill.reproduce._base import run_from_command_line

if __name__ == "__main__":
    run_from_command_line("fig4", __doc__)
