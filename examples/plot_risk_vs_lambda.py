"""
Excess risk against λ for k = 0…4 steps
=======================================

The paper's Fig. 3 (a) setting: rank 4, distinct singular values s = [1, 1/2, 1/3, 1/4],
θ* = u₁ and noise variance γ² = 0.1 (the singular values and γ² are assumptions; see
Theory §4.1). For every λ the imitation parameters are the exact optimum (Theory §2.5), so each
curve is the best k-step SD can do at that λ. Four steps reach the oracle lower bound of
Theory §3.3 at every λ, as Theory §3.4 predicts for k ≥ r.
"""

import matplotlib.pyplot as plt
import numpy as np

import selfdistill as sd

s = np.array([1.0, 1 / 2, 1 / 3, 1 / 4])
theta = np.array([1.0, 0.0, 0.0, 0.0])  # theta* in the singular basis: u_1
problem = sd.FixedDesignProblem(s, theta, noise_var=0.1)
lambdas = np.logspace(-3, 1, 60)

fig, ax = plt.subplots(figsize=(6.4, 4.2))
for k in range(5):
    risks = [problem.optimal(lam, k).risk for lam in lambdas]
    ax.plot(lambdas, risks, label="ridge" if k == 0 else f"{k}-step SD")
ax.axhline(problem.oracle_risk(), color="k", ls="--", lw=1, label="oracle bound (eq. 14)")
ax.set(xscale="log", xlabel="λ (penalty on the sum of squares)", ylabel="n · excess risk",
       title="Optimal k-step SD against λ (Fig. 3a setting)")
ax.legend()
fig.tight_layout()
