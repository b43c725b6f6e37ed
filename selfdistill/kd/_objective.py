"""Objective and gradient of L2-penalised multinomial logistic regression with soft targets.

Parameters are packed as ``theta = [W.ravel(), b]`` with ``W`` (n_features, n_classes) and
``b`` (n_classes,); the logits are ``Z = X W + b``. The objective is a sum of soft-target terms
``(c, T, P)`` (weight, temperature, target matrix)::

    J(W, b) = sum_terms c * (1 / sum_i s_i) * sum_i s_i * T^2 * CE(P_i, softmax(Z_i / T))
              + (alpha / 2) * ||W||_F^2

The intercept ``b`` is not penalised. Plain soft-target fitting is the single term (1, 1, P);
Hinton's KD loss is the two terms (xi, T, q(v; T)) and (1 - xi, 1, Y).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._softmax import soft_cross_entropy


@dataclass(frozen=True)
class SoftTerm:
    """One ``c * T^2 * CE(P, softmax(Z / T))`` term of the objective."""

    weight: float
    temperature: float
    targets: np.ndarray


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
        value += term.weight * float(s @ loss)
        grad_Z += term.weight * s[:, None] * grad
    grad_W = X.T @ grad_Z + alpha * W
    if fit_intercept:
        return value, np.concatenate([grad_W.ravel(), grad_Z.sum(axis=0)])
    return value, grad_W.ravel()
