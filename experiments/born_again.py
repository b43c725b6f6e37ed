"""Born-again generations under label noise, with the linear theory of xi > 1 (Das & Sanghavi).

Same as ``selfdistill reproduce born-again --out DIR``; the code is in ``selfdistill/reproduce/born_again.py``.

Usage::

    python experiments/born_again.py --out results/born_again [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

from selfdistill.reproduce._base import run_from_command_line

if __name__ == "__main__":
    run_from_command_line("born-again", __doc__)
