"""Lipschitz losses of the SDRN estimator: values and (sub)gradients.

Regression losses are functions of the residual ``r = y - f(x)``:

- ``squared``: ``r^2`` (not Lipschitz; the baseline, so that ``alpha`` matches sklearn's Ridge),
- ``absolute``: ``|r|``,
- ``quantile`` (check loss): ``rho_tau(r) = r (tau - 1{r < 0})``, ``0 < tau < 1``,
- ``huber``: ``r^2 / 2`` for ``|r| <= delta`` and ``delta (|r| - delta / 2)`` otherwise.

Classification losses are functions of the margin ``y f(x)`` with ``y`` in {-1, +1}:

- ``logistic``: ``log(1 + exp(-y f))``, 1-Lipschitz (multiclass: softmax cross-entropy),
- ``hinge``: ``max(0, 1 - y f)``, 1-Lipschitz.

At a kink, :func:`residual_subgradient` returns one element of the subdifferential (the
right derivative for the check loss, 0 for ``|r|`` at 0, -1 for the hinge at margin 1).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

REGRESSION_LOSSES = ("squared", "absolute", "quantile", "huber")
CLASSIFICATION_LOSSES = ("logistic", "hinge")
#: Losses fitted exactly by linear programming (with the l1 penalty).
LP_LOSSES = ("absolute", "quantile", "hinge")


def residual_loss(loss: str, r, tau: float = 0.5, delta: float = 1.0) -> np.ndarray:
    """Value of a regression loss at residuals ``r = y - f``.

    Parameters
    ----------
    loss : {"squared", "absolute", "quantile", "huber"}
        The loss.
    r : array-like
        Residuals ``y - f``.
    tau : float, default=0.5
        Quantile level (check loss).
    delta : float, default=1.0
        Huber threshold.

    Returns
    -------
    ndarray
        Same shape as ``r``.
    """
    r = np.asarray(r, dtype=np.float64)
    if loss == "squared":
        return r**2
    if loss == "absolute":
        return np.abs(r)
    if loss == "quantile":
        return r * (tau - (r < 0))
    if loss == "huber":
        a = np.abs(r)
        return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    raise ValueError(f"unknown regression loss {loss!r}; choose one of {REGRESSION_LOSSES}.")


def residual_subgradient(loss: str, r, tau: float = 0.5, delta: float = 1.0) -> np.ndarray:
    """A subgradient of a regression loss with respect to the residual ``r``.

    Parameters
    ----------
    loss : {"squared", "absolute", "quantile", "huber"}
        The loss.
    r : array-like
        Residuals ``y - f``.
    tau : float, default=0.5
        Quantile level (check loss).
    delta : float, default=1.0
        Huber threshold.

    Returns
    -------
    ndarray
        Same shape as ``r``.
    """
    r = np.asarray(r, dtype=np.float64)
    if loss == "squared":
        return 2.0 * r
    if loss == "absolute":
        return np.sign(r)
    if loss == "quantile":
        return tau - (r < 0).astype(np.float64)
    if loss == "huber":
        return np.clip(r, -delta, delta)
    raise ValueError(f"unknown regression loss {loss!r}; choose one of {REGRESSION_LOSSES}.")


def margin_loss(loss: str, margin) -> np.ndarray:
    """Value of a binary classification loss at margins ``y f`` (``y`` in {-1, +1}).

    Parameters
    ----------
    loss : {"logistic", "hinge"}
        The loss.
    margin : array-like
        Margins ``y f``.

    Returns
    -------
    ndarray
        Same shape as ``margin``.
    """
    margin = np.asarray(margin, dtype=np.float64)
    if loss == "logistic":
        return -log_expit(margin)
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - margin)
    raise ValueError(f"unknown classification loss {loss!r}; choose one of {CLASSIFICATION_LOSSES}.")


def margin_subgradient(loss: str, margin) -> np.ndarray:
    """A subgradient of a binary classification loss with respect to the margin.

    Parameters
    ----------
    loss : {"logistic", "hinge"}
        The loss.
    margin : array-like
        Margins ``y f``.

    Returns
    -------
    ndarray
        Same shape as ``margin``.
    """
    margin = np.asarray(margin, dtype=np.float64)
    if loss == "logistic":
        return -expit(-margin)
    if loss == "hinge":
        return -(margin <= 1.0).astype(np.float64)
    raise ValueError(f"unknown classification loss {loss!r}; choose one of {CLASSIFICATION_LOSSES}.")


def softmax_cross_entropy(F: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``-sum_k P_k log softmax(F)_k`` and its gradient with respect to ``F``.

    ``P`` may be any probability matrix (hard labels one-hot, or teacher probabilities).
    """
    shifted = F - F.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_norm
    value = -(P * log_p).sum(axis=1)
    grad = np.exp(log_p) * P.sum(axis=1, keepdims=True) - P
    return value, grad
