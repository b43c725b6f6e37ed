"""
The sign rule of the optimal one-step imitation parameter
=========================================================

For one step the optimal ξ has a closed form, ξ*(λ) = −λR′(λ) / (2D) with R the ridge risk and
D ≥ 0 a curvature (Theory §2.4; Dang, Patil & Rinaldo 2026, Follow-ups §2.2). So ξ* is negative
where ridge is over-regularised (R′ > 0: the student undoes shrinkage) and positive where it is
under-regularised, and it crosses zero exactly at the ridge-optimal λ, where SD cannot improve on
its teacher. The figure checks this on a random design.
"""

import matplotlib.pyplot as plt
import numpy as np

import selfdistill as sd

rng = np.random.default_rng(0)
X = rng.normal(size=(200, 8)) * np.linspace(2.0, 0.2, 8)
theta = rng.normal(size=8)
problem = sd.FixedDesignProblem.from_X(X, theta, noise_var=1.0)
lambdas = np.logspace(-1, 3, 80)
steps = [problem.one_step(lam) for lam in lambdas]
xi = np.array([o.xi for o in steps])
slope = np.array([o.ridge_risk_derivative for o in steps])
ridge_opt = problem.optimal_over_alpha(0).alpha

fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.plot(lambdas, xi, label="optimal ξ (1 step)")
ax.plot(lambdas, -np.sign(slope), ":", label="−sign R′(λ)")
ax.axhline(0, color="k", lw=0.8)
ax.axvline(ridge_opt, color="C3", ls="--", label=f"ridge optimum λ = {ridge_opt:.3g}")
ax.set(xscale="log", xlabel="λ", ylabel="ξ*", title="sign(ξ*) = −sign R′(λ)")
ax.legend()
fig.tight_layout()

agree = np.mean(np.sign(xi) == -np.sign(slope))
print(f"sign rule holds at {agree:.0%} of the {len(lambdas)} values of λ")
