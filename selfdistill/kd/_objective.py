"""Objective and gradient of L2-penalised multinomial logistic regression with soft targets.

Parameters are packed as ``theta = [W.ravel(), b]`` with ``W`` (n_features, n_classes) and
``b`` (n_classes,); the logits are ``Z = X W + b``. The objective is a sum of soft-target terms
``(c, T, P)`` (weight, temperature, target matrix)::

    J(W, b) = sum_terms c * (1 / sum_i s_i) * sum_i s_i * T^2 * CE(P_i, softmax(Z_i / T))
              + (alpha / 2) * ||W||_F^2

The intercept ``b`` is not penalised. Plain soft-target fitting is the single term (1, 1, P);
Hinton's KD loss is the two terms (xi, T, q(v; T)) and (1 - xi, 1, Y).

The value is computed in KL form: each term's constant ``T^2 * sum_k P_ik log P_ik`` (minus the
target entropy) is added, so ``T^2 CE`` becomes ``T^2 KL(P || softmax(Z / T))``, which is 0 at a
perfect fit. Minimiser and gradient are unchanged; but the CE form carries a constant of up to
``T^2 log K`` that dwarfs the decrease per iteration at large ``T``, and L-BFGS's relative
``ftol`` test then stops early (and silently) far from the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._softmax import soft_cross_entropy


@dataclass(frozen=True)
class SoftTerm:
    """One ``c * T^2 * CE(P, softmax(Z / T))`` term of the objective."""

    weight: float
    temperature: float
    targets: np.ndarray
    #: per-sample ``T^2 sum_k P_ik log P_ik`` over the positive entries (the KL-form constant)
    neg_entropy: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        P = np.asarray(self.targets, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
        object.__setattr__(self, "neg_entropy", self.temperature**2 * plogp.sum(axis=1))


def unpack(theta: np.ndarray, n_features: int, n_classes: int, fit_intercept: bool):
    """Split the flat parameter vector into ``W`` (n_features, n_classes) and ``b``."""
    W = theta[: n_features * n_classes].reshape(n_features, n_classes)
    b = theta[n_features * n_classes :] if fit_intercept else np.zeros(n_classes)
    return W, b


def objective(
    theta: np.ndarray,
    X: np.ndarray,
    terms: list[SoftTerm],
    sample_weight: np.ndarray,
    alpha: float,
    fit_intercept: bool,
) -> tuple[float, np.ndarray]:
    """Return ``(J, grad J)`` at ``theta`` (see the module docstring)."""
    n_features = X.shape[1]
    n_classes = terms[0].targets.shape[1]
    W, b = unpack(theta, n_features, n_classes, fit_intercept)
    Z = X @ W + b
    s = sample_weight / np.sum(sample_weight)
    value = 0.5 * alpha * np.sum(W * W)
    grad_Z = np.zeros_like(Z)
    for term in terms:
        if term.weight == 0.0:  # skip, so that xi = 0 or 1 is bit-identical to the single-term fit
            continue
        loss, grad = soft_cross_entropy(term.targets, Z, term.temperature)
        value += term.weight * float(s @ (loss + term.neg_entropy))
        grad_Z += term.weight * s[:, None] * grad
    grad_W = X.T @ grad_Z + alpha * W
    if fit_intercept:
        return value, np.concatenate([grad_W.ravel(), grad_Z.sum(axis=0)])
    return value, grad_W.ravel()
