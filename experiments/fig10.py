"""Fig. 10: squared cosines of the fitted ridge parameter with the eigenvectors, per UCI dataset.

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation" (NeurIPS 2024). Runs
the same code as ``selfdistill reproduce fig10`` (:mod:`selfdistill.reproduce.fig10`) and writes
CSV, Markdown, JSON and PNG files into --out::

    python experiments/fig10.py --out results --data-dir ../shared/uci
"""

from selfdistill.reproduce._paper import command_line
from selfdistill.reproduce.fig10 import run

if __name__ == "__main__":
    command_line(run, __doc__.splitlines()[0], data=True)
