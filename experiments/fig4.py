"""Fig. 4 (Remark 4.2): optimal imitation parameters xi^(k)* vs the singular-value gap.

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation" (NeurIPS 2024). Runs
the same code as ``selfdistill reproduce fig4`` (:mod:`selfdistill.reproduce.fig4`) and writes
CSV, Markdown, JSON and PNG files into --out::

    python experiments/fig4.py --out results
"""

from selfdistill.reproduce._paper import command_line
from selfdistill.reproduce.fig4 import run

if __name__ == "__main__":
    command_line(run, __doc__.splitlines()[0])
