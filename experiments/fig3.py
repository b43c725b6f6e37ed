"""Fig. 3: excess risk vs lambda of optimal k-step self-distillation, k = 0..4, with the eq. 14 bound.

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation" (NeurIPS 2024). Runs
the same code as ``selfdistill reproduce fig3`` (:mod:`selfdistill.reproduce.fig3`) and writes
CSV, Markdown, JSON and PNG files into --out::

    python experiments/fig3.py --out results
"""

from selfdistill.reproduce._paper import command_line
from selfdistill.reproduce.fig3 import run

if __name__ == "__main__":
    command_line(run, __doc__.splitlines()[0])
