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

import numbers

import numpy as np
from scipy.special import expit, log_expit, log_softmax

from .._docstrings import fill_doc
from .._validation import POSITIVE, Interval, Options, validate_params

REGRESSION_LOSSES = ("squared", "absolute", "quantile", "huber")
CLASSIFICATION_LOSSES = ("logistic", "hinge")
#: Losses fitted exactly by linear programming (with the l1 penalty).
LP_LOSSES = ("absolute", "quantile", "hinge")

#: ``loss -> (value, subgradient)`` of the residual ``r`` (with the level ``tau`` and Huber's ``delta``);
#: unchecked kernels for callers that validated their parameters once (the estimators' solvers).
RESIDUAL_LOSS_FUNCTIONS = {
    "squared": (lambda r, tau, delta: r**2, lambda r, tau, delta: 2.0 * r),
    "absolute": (lambda r, tau, delta: np.abs(r), lambda r, tau, delta: np.sign(r)),
    "quantile": (lambda r, tau, delta: r * (tau - (r < 0)), lambda r, tau, delta: tau - (r < 0).astype(np.float64)),
    "huber": (
        lambda r, tau, delta: np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)),
        lambda r, tau, delta: np.clip(r, -delta, delta),
    ),
}
#: ``loss -> (value, subgradient)`` of the margin ``m = y f``.
_MARGIN = {
    "logistic": (lambda m: -log_expit(m), lambda m: -expit(-m)),
    "hinge": (lambda m: np.maximum(0.0, 1.0 - m), lambda m: -(m <= 1.0).astype(np.float64)),
}

_RESIDUAL_CONSTRAINTS = {
    "loss": [Options(*REGRESSION_LOSSES)],
    "tau": [Interval(numbers.Real, 0, 1, closed="neither")],
    "delta": [POSITIVE],
}
_MARGIN_CONSTRAINTS = {"loss": [Options(*CLASSIFICATION_LOSSES)]}

_DOCS = {
    "residual_sections": """Parameters
----------
loss : {"squared", "absolute", "quantile", "huber"}
    The loss.
r : array-like
    Residuals ``y - f``.
tau : float, default=0.5
    Quantile level (check loss), in (0, 1).
delta : float, default=1.0
    Huber threshold (> 0).

Returns
-------
ndarray
    Same shape as ``r``.""",
    "margin_sections": """Parameters
----------
loss : {"logistic", "hinge"}
    The loss.
margin : array-like
    Margins ``y f``.

Returns
-------
ndarray
    Same shape as ``margin``.""",
}


@validate_params(_RESIDUAL_CONSTRAINTS)
@fill_doc(**_DOCS)
def residual_loss(loss: str, r, tau: float = 0.5, delta: float = 1.0) -> np.ndarray:
    """Value of a regression loss at residuals ``r = y - f``.

    %(residual_sections)s
    """
    return RESIDUAL_LOSS_FUNCTIONS[loss][0](np.asarray(r, dtype=np.float64), tau, delta)


@validate_params(_RESIDUAL_CONSTRAINTS)
@fill_doc(**_DOCS)
def residual_subgradient(loss: str, r, tau: float = 0.5, delta: float = 1.0) -> np.ndarray:
    """A subgradient of a regression loss with respect to the residual ``r``.

    At a kink: the right derivative for the check loss, 0 for ``|r|`` at 0.

    %(residual_sections)s
    """
    return RESIDUAL_LOSS_FUNCTIONS[loss][1](np.asarray(r, dtype=np.float64), tau, delta)


@validate_params(_MARGIN_CONSTRAINTS)
@fill_doc(**_DOCS)
def margin_loss(loss: str, margin) -> np.ndarray:
    """Value of a binary classification loss at margins ``y f`` (``y`` in {-1, +1}).

    %(margin_sections)s
    """
    return _MARGIN[loss][0](np.asarray(margin, dtype=np.float64))


@validate_params(_MARGIN_CONSTRAINTS)
@fill_doc(**_DOCS)
def margin_subgradient(loss: str, margin) -> np.ndarray:
    """A subgradient of a binary classification loss with respect to the margin.

    At a kink: -1 for the hinge at margin 1.

    %(margin_sections)s
    """
    return _MARGIN[loss][1](np.asarray(margin, dtype=np.float64))


def softmax_cross_entropy(F: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``-sum_k P_k log softmax(F)_k`` and its gradient with respect to ``F``.

    ``P`` may be any probability matrix (hard labels one-hot, or teacher probabilities).
    """
    log_p = log_softmax(F, axis=1)
    value = -(P * log_p).sum(axis=1)
    grad = np.exp(log_p) * P.sum(axis=1, keepdims=True) - P
    return value, grad
