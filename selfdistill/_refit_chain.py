"""The refit loop of self-distillation without a closed form: one engine for every estimator.

A chain is a sequence of models ``f_0, f_1, ..., f_k`` fitted on the same training rows
(n_samples x n_features): ``f_0`` is the teacher, and student ``i`` is refitted from the previous
model's predictions on the training rows, ``f_{i-1}(X)``, and the step's teacher weight ``xi_i``
(``xi`` weights the TEACHER and may lie outside [0, 1]; it is never clipped).

For the squared loss the step objective
``xi sum_j s_j (f(x_j) - f_{i-1}(x_j))^2 + (1 - xi) sum_j s_j (f(x_j) - y_j)^2`` equals, up to a
constant, the fit to the mixed target ``xi f_{i-1}(X) + (1 - xi) y`` (:func:`mixed_target`), so any
least-squares learner is refitted on that target (:func:`squared_loss_chain`). A student with a
loss that does not mix (absolute, check, Huber) supplies its own ``refit(previous, xi)``.

Users: :class:`selfdistill.SelfDistillationRegressor` (xi fixed or chosen per step by K-fold
cross-validation, :func:`cross_validated_xi`; the steps are taken by :func:`take_steps`), :class:`selfdistill.kd.BornAgainRegressor`
(generations), :class:`selfdistill.kd.KnowledgeDistillationRegressor` (one step from an
external teacher) and :class:`selfdistill.sdrn.SelfDistilledSparseDeepReLU` (two-term Lipschitz
loss).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils.validation import has_fit_parameter

from . import _validation as checks
from ._progress import progress
from ._selection import one_standard_error_choice

__all__ = [
    "STEP_CONSTRAINTS",
    "FoldChain",
    "RefitChain",
    "check_xi_grid",
    "cross_validated_xi",
    "fit_with_weights",
    "mixed_target",
    "squared_loss_chain",
    "take_steps",
]


def check_xi_grid(values, name: str = "xi_grid") -> np.ndarray:
    """Return the candidate teacher weights as a non-empty finite 1-D float array."""
    grid = checks.check_finite_vector(values, name)
    if grid.size == 0:
        raise ValueError(f"{name} is empty; give at least one candidate xi, e.g. (0, 0.5, 1).")
    return grid


#: Constraints of the parameters that say how many steps a chain takes and with which xi: a
#: sequence of per-step weights, or "cv" with ``n_steps`` steps each chosen from ``xi_grid`` by
#: ``cv``-fold cross-validation.
STEP_CONSTRAINTS = {
    "xi": [
        checks.Options("cv"),
        checks.Converter(checks.check_finite_vector, "a sequence of numbers (one teacher weight per step)"),
    ],
    "n_steps": [checks.NON_NEGATIVE_INT],
    "xi_grid": [checks.Converter(check_xi_grid, "a non-empty 1-D sequence of numbers")],
    "cv": [
        None,
        checks.Interval(numbers.Integral, 2, None),
        checks.HasMethods("split"),
        checks.InstanceOf(Iterable, "an iterable of (train, test) index pairs"),
    ],
    "verbose": [checks.Boolean()],
}


def fit_with_weights(estimator, X, y, sample_weight):
    """``estimator.fit(X, y[, sample_weight])``; sample_weight is passed only when given."""
    if sample_weight is None:
        return estimator.fit(X, y)
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"{type(estimator).__name__}.fit does not accept sample_weight, which this fit needs; "
            "choose an estimator that supports sample weights."
        )
    return estimator.fit(X, y, sample_weight=sample_weight)


def mixed_target(teacher_prediction, y: np.ndarray, xi: float) -> np.ndarray:
    """``xi * teacher_prediction + (1 - xi) * y``, the teacher output reshaped like ``y``.

    (Some regressors return shape (n,) for a (n, 1) target.)
    """
    teacher_prediction = np.asarray(teacher_prediction, dtype=np.float64)
    if teacher_prediction.size != y.size:
        raise ValueError(
            f"the teacher predicts shape {teacher_prediction.shape} but y has shape {y.shape}; "
            "teacher and y must have the same number of outputs."
        )
    return xi * teacher_prediction.reshape(y.shape) + (1.0 - xi) * y


class RefitChain:
    """Models ``f_0, ..., f_k`` on one set of training rows; ``f_i = refit(f_{i-1}(X), xi_i)``.

    Parameters
    ----------
    first : object
        ``f_0`` (any object; it is only stored).
    first_prediction : ndarray
        ``f_0`` on the training rows.
    refit : callable
        ``refit(previous, xi) -> model``: a new student fitted from the previous model's
        predictions on the training rows.
    predict : callable
        ``predict(model) -> ndarray``: a model's predictions on the training rows.

    Attributes
    ----------
    models : list
        ``f_0`` and the students appended so far.
    xis : list of float
        The teacher weight of every student.
    predictions : list of ndarray
        Every model's predictions on the training rows; the last one is :attr:`previous`.
    """

    def __init__(self, first, first_prediction, refit: Callable[[np.ndarray, float], Any],
                 predict: Callable[[Any], np.ndarray]):
        self.models, self.xis, self.predictions = [first], [], [first_prediction]
        self._refit, self._predict = refit, predict

    @property
    def previous(self) -> np.ndarray:
        """The last model's predictions on the training rows."""
        return self.predictions[-1]

    def candidate(self, xi: float):
        """A student for teacher weight ``xi``, not yet part of the chain."""
        return self._refit(self.previous, xi)

    def append(self, model, xi: float) -> None:
        """Make ``model`` (a candidate for ``xi``) the chain's next step."""
        self.models.append(model)
        self.xis.append(float(xi))
        self.predictions.append(self._predict(model))

    def step(self, xi: float):
        """Refit with teacher weight ``xi`` and append; return the new student."""
        model = self.candidate(xi)
        self.append(model, xi)
        return model


def squared_loss_chain(new_model: Callable[[], Any], X, y: np.ndarray, sample_weight=None,
                       first=None) -> RefitChain:
    """The chain of squared-loss self-distillation: each student fits ``xi f_prev(X) + (1 - xi) y``.

    ``new_model()`` returns an unfitted model (a clone); ``first`` is a fitted teacher, by default
    ``new_model()`` fitted on ``y``. Every fit passes ``sample_weight`` when it is given.
    """
    if first is None:
        first = fit_with_weights(new_model(), X, y, sample_weight)

    def predict(model) -> np.ndarray:
        return np.asarray(model.predict(X), dtype=np.float64).reshape(y.shape)

    def refit(previous, xi):
        return fit_with_weights(new_model(), X, mixed_target(previous, y, xi), sample_weight)

    return RefitChain(first, predict(first), refit, predict)


@dataclass
class FoldChain:
    """One fold of a cross-validated chain: the chain on its training rows and its held-out rows."""

    chain: RefitChain
    #: indices of the held-out rows (in the full data)
    test: np.ndarray
    #: ``held_out_loss(model)``: the model's loss on every held-out row, shape (len(test),)
    held_out_loss: Callable[[Any], np.ndarray]
    #: weights of the held-out rows, or None for unit weights
    weight: np.ndarray | None = None


def cross_validated_xi(folds: list[FoldChain], grid: np.ndarray, n_samples: int,
                       zero_row_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Choose one more step's ``xi`` from ``grid`` by held-out loss and advance every fold.

    Every fold's chain proposes a student per candidate (fitted on the fold's training rows only,
    so held-out rows never inform a target), scored on the held-out rows; the score of a
    candidate is the mean over folds of its weighted mean held-out loss. The lowest score wins --
    unless ``zero_row_weight`` (the weights of all rows) is given: then ``xi = 0`` (the student
    refits y: the step changes nothing) is kept unless another candidate is better by more than
    one standard error of the paired per-row difference (issue 9: do not spend a step on noise).
    Each fold's chain then takes the chosen candidate as its next step.

    Returns
    -------
    xi : float
        The chosen candidate.
    scores : ndarray of shape (len(grid),)
        The score of every candidate.
    """
    scores = np.zeros(grid.size)
    row_losses = np.zeros((n_samples, grid.size))
    candidates = [[None] * len(folds) for _ in grid]
    for f, fold in enumerate(folds):
        for g, value in enumerate(grid):
            model = fold.chain.candidate(float(value))
            per_row = fold.held_out_loss(model)
            scores[g] += np.average(per_row, weights=fold.weight)
            row_losses[fold.test, g] += per_row * (1.0 if fold.weight is None else fold.weight)
            candidates[g][f] = model
    scores /= len(folds)
    best = int(np.argmin(scores))
    zero = np.flatnonzero(grid == 0.0)
    if zero_row_weight is not None and zero.size:
        best = one_standard_error_choice(row_losses, zero_row_weight, [int(zero[0])], best)
    for fold, model in zip(folds, [candidates[best][f] for f in range(len(folds))], strict=True):
        fold.chain.append(model, grid[best])
    return float(grid[best]), scores


def take_steps(estimator, chain: RefitChain, params, choose_xi: Callable[[], tuple[float, np.ndarray]]):
    """Take a chain's steps and record them on ``estimator``.

    One step per entry of ``params.xi``, or ``params.n_steps`` steps under ``xi="cv"``, each
    with the xi that ``choose_xi()`` returns (with its scores over ``params.xi_grid``). Sets
    ``estimators_`` (``f_0`` and the students), ``xi_``, ``n_steps_`` and ``cv_scores_`` (None
    without ``xi="cv"``).
    """
    tune = isinstance(params.xi, str)
    k = params.n_steps if tune else params.xi.size
    estimator.cv_scores_ = np.empty((k, params.xi_grid.size)) if tune else None
    for step in progress(range(k), desc="self-distillation steps", enabled=params.verbose):
        if tune:
            value, estimator.cv_scores_[step] = choose_xi()
        else:
            value = float(params.xi[step])
        chain.step(value)
    estimator.estimators_ = chain.models
    estimator.xi_ = np.asarray(chain.xis, dtype=np.float64)
    estimator.n_steps_ = k
