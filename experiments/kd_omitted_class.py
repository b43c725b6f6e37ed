"""Hinton et al.'s omitted-class transfer on sklearn digits (soft targets teach a class the student never sees).

Same as ``selfdistill reproduce kd-omitted-class --out DIR``; the code is in ``selfdistill/reproduce/kd_omitted_class.py``.

Usage::

    python experiments/kd_omitted_class.py --out results/kd_omitted_class [--data-dir DIR] [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "kd-omitted-class", *sys.argv[1:]]))
