"""Hinton et al.'s omitted-class transfer on sklearn digits (soft targets teach a class the student never sees).

Same as ``selfdistill reproduce kd-omitted-class --out DIR``; the code is in ``selfdistill/reproduce/kd_omitted_class.py``.

Usage::

    python experiments/kd_omitted_class.py --out results/kd_omitted_class [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

from selfdistill.reproduce._base import run_from_command_line

if __name__ == "__main__":
    run_from_command_line("kd-omitted-class", __doc__)
