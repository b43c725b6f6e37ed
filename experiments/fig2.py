"""Fig. 2: relative gain A/B of r-step self-distillation over ridge vs rank r (d = 100, theta* = u_1).

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation" (NeurIPS 2024). Runs
the same code as ``selfdistill reproduce fig2`` (:mod:`selfdistill.reproduce.fig2`) and writes
CSV, Markdown, JSON and PNG files into --out::

    python experiments/fig2.py --out results
"""

from selfdistill.reproduce._paper import command_line
from selfdistill.reproduce.fig2 import run

if __name__ == "__main__":
    command_line(run, __doc__.splitlines()[0])
