"""Tempered softmax, soft-target cross-entropy and the Hinton KD loss (numpy kernels).

Conventions: logits and probability matrices are (n_samples, n_classes), one row per sample.
``q(z; T) = softmax(z / T)`` row-wise. ``CE(p, q) = -sum_k p_k log q_k``.
"""

from __future__ import annotations

import numpy as np

from ._targets import check_temperature


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise ``log softmax(logits / temperature)``, stable for large logits."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    shifted = scaled - np.max(scaled, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise ``q(z; T) = softmax(z / T)``."""
    return np.exp(log_softmax(logits, temperature))


def soften(proba, temperature: float) -> np.ndarray:
    """Teacher soft targets ``q(v; T)`` from the teacher's ordinary (T = 1) probabilities.

    A classifier's logits ``v`` are only defined up to a per-row constant, and
    ``log predict_proba = v - logsumexp(v)`` is one valid choice, so for any classifier with
    ``predict_proba``::

        q(v; T) = softmax(log p / T) = p ** (1 / T) / sum_k p_k ** (1 / T)

    exactly. Zero probabilities stay zero at every temperature.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities at temperature 1 (rows sum to 1, entries >= 0).
    temperature : float
        ``T > 0``; ``T > 1`` flattens the distribution, ``T < 1`` sharpens it.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The softened probabilities; rows sum to 1.
    """
    temperature = check_temperature(temperature)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(
            f"proba must be a 2-D (n_samples, n_classes) probability matrix, got shape {proba.shape}."
        )
    if not np.all(np.isfinite(proba)) or np.any(proba < 0) or np.any(proba.sum(axis=1) <= 0):
        raise ValueError(
            "proba must hold finite, non-negative probabilities with a positive sum in every row "
            "(the teacher's predict_proba output); check the teacher for NaN predictions."
        )
    with np.errstate(divide="ignore"):  # log(0) = -inf is the intended "impossible class"
        log_p = np.log(proba)
    return softmax(log_p, temperature)


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
    log_q = log_softmax(logits, temperature)
    # 0 * log 0 = 0: a zero target contributes nothing even where the student's q underflows.
    safe_log_q = np.where(targets != 0, log_q, 0.0)
    loss = -(temperature**2) * np.sum(targets * safe_log_q, axis=1)
    mass = np.sum(targets, axis=1, keepdims=True)
    grad = temperature * (mass * np.exp(log_q) - targets)
    return loss, grad


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
    temperature = check_temperature(temperature)
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
