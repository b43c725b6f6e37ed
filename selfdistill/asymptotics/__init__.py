"""Random-design asymptotics of ridge and k-step self-distillation (deterministic equivalents).

``RandomDesignSD`` answers "for this Sigma, this signal and this noise, what does k-step SD buy
over ridge as n, p -> infinity with p/n -> gamma?" in milliseconds (Dang, Patil & Rinaldo 2026,
Theorem 3.1 and Corollary 3.2; k > 1 steps by our extension, Follow-ups §3.2), and checks
itself by simulation (:meth:`RandomDesignSD.simulate`).

Penalty scaling: ``lam`` here is the per-sample penalty, objective
``(1/n)||y - X beta||^2 + lam ||beta||^2``; the estimators' ``alpha`` (sum of squares) is
``n * lam``.
"""

from .random_design import (
    DesignSimulation,
    RandomDesignSD,
    RidgeEquivalent,
    SelfDistillationEquivalent,
    ar1_eigenvalues,
)

__all__ = [
    "DesignSimulation",
    "RandomDesignSD",
    "RidgeEquivalent",
    "SelfDistillationEquivalent",
    "ar1_eigenvalues",
]
