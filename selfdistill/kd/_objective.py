"""Hinton's distillation loss and the objective of L2-penalised logistic regression on soft targets.

:func:`soft_cross_entropy` is the per-sample ``T^2 CE(p, q(z; T))`` with its gradient (``q(z; T) =
softmax(z / T)`` row-wise, logits and targets (n_samples, n_classes)); :func:`distillation_loss`
is Hinton et al.'s (2015) loss built from it, and :func:`objective` the penalised objective that
:class:`SoftTargetLogisticRegression` minimises.

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

import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy.special import log_softmax

from .._validation import Interval, validate_params
from ._targets import TEMPERATURE, soften


def soft_cross_entropy(targets: np.ndarray, logits: np.ndarray, temperature: float = 1.0):
    """Per-sample ``T^2 CE(targets, q(z; T))`` and its gradient with respect to the logits ``z``.

    The targets may be any real rows (probabilities, or signed mixtures summing to 1 for
    ``xi > 1``); the formula ``CE = sum_k p_k (logsumexp(z / T) - z_k / T)`` is used as is.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        ``T^2 * CE(p_i, q(z_i; T))``.
    grad : ndarray of shape (n_samples, n_classes)
        ``T * (sum_k p_ik * q(z_i; T) - p_i)``, the derivative of ``loss_i`` with respect to ``z_i``.
    """
    log_q = log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)
    # 0 * log 0 = 0: a zero target contributes nothing even where the student's q underflows.
    safe_log_q = np.where(targets != 0, log_q, 0.0)
    loss = -(temperature**2) * np.sum(targets * safe_log_q, axis=1)
    mass = np.sum(targets, axis=1, keepdims=True)
    grad = temperature * (mass * np.exp(log_q) - targets)
    return loss, grad


@validate_params({"xi": [Interval(numbers.Real)], "temperature": [TEMPERATURE]})
def distillation_loss(
    student_logits,
    teacher_proba,
    y_true_proba,
    xi: float,
    temperature: float,
    sample_weight=None,
) -> float:
    """Hinton et al. (2015) knowledge-distillation loss, averaged over samples.

    .. math::

        L = \\frac{1}{\\sum_i s_i} \\sum_i s_i \\Big[\\xi\\, T^2\\, \\mathrm{CE}\\big(q(v_i; T),
            q(z_i; T)\\big) + (1 - \\xi)\\, \\mathrm{CE}\\big(y_i, q(z_i; 1)\\big)\\Big]

    with student logits ``z``, teacher logits ``v`` (given through ``teacher_proba = q(v; 1)``,
    see :func:`soften`), ``xi`` the weight of the TEACHER term and ``s`` the sample weights.

    Parameters
    ----------
    student_logits : array-like of shape (n_samples, n_classes)
        Student logits ``z`` (at temperature 1).
    teacher_proba : array-like of shape (n_samples, n_classes)
        Teacher probabilities at temperature 1; softened here to ``q(v; T)``.
    y_true_proba : array-like of shape (n_samples, n_classes)
        Ground truth as one-hot rows (or a probability matrix).
    xi : float
        Weight of the teacher term.
    temperature : float
        Distillation temperature ``T > 0``.
    sample_weight : array-like of shape (n_samples,), default=None
        Per-sample weights ``s_i`` (unit weights when None).

    Returns
    -------
    float
        The weighted mean loss.
    """
    z = np.asarray(student_logits, dtype=np.float64)
    if z.ndim != 2 or not np.all(np.isfinite(z)):
        raise ValueError(
            "student_logits must be a finite 2-D (n_samples, n_classes) array; got "
            f"shape {z.shape} with {int(np.sum(~np.isfinite(z)))} NaN/infinite entries. A NaN "
            "logit usually means the student diverged: lower its learning rate or regularise it."
        )
    soft, _ = soft_cross_entropy(soften(teacher_proba, temperature), z, temperature)
    hard, _ = soft_cross_entropy(np.asarray(y_true_proba, dtype=np.float64), z, 1.0)
    per_sample = xi * soft + (1.0 - xi) * hard
    weights = np.ones(len(z)) if sample_weight is None else np.asarray(sample_weight, float)
    return float(np.sum(weights * per_sample) / np.sum(weights))


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
