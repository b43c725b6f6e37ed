"""The prediction methods that the package's estimators share, written once.

- :class:`ClassScoresMixin`: a classifier defines one hook, ``_class_scores(X)``, which checks
  that the model is fitted, validates ``X`` (n_samples x n_features) and returns one column per
  entry of ``classes_`` -- logits when the class attribute ``_scores_are_logits`` is True
  (probabilities are then ``scipy.special.softmax`` of them, at temperature 1), probabilities
  otherwise. The mixin turns that into ``predict_proba``, ``predict`` (the class with the largest
  score, the first one on ties) and, for logits, ``predict_log_proba``.
- :class:`MembersRegressorMixin`: a regressor that predicts with the mean of its fitted members
  (``_members()``: the last student of a chain, or Born-Again generations).
- :data:`PROBABILISTIC_CLASSIFIER`: the constraint of every parameter that takes a teacher (or a
  model) whose ``predict_proba`` supplies soft targets.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._docstrings import fill_doc
from ._validation import Converter

__all__ = ["PROBABILISTIC_CLASSIFIER", "ClassScoresMixin", "MembersRegressorMixin"]


def _check_probabilistic(estimator, name: str):
    if isinstance(estimator, type) or not all(
        callable(getattr(estimator, method, None)) for method in ("fit", "predict_proba")
    ):
        raise ValueError(
            f"{name} must be a classifier instance with fit() and predict_proba() (its "
            f"probabilities are the soft targets), got {estimator!r}; use a probabilistic "
            "classifier (e.g. LogisticRegression(), or SVC(probability=True))."
        )
    return estimator


PROBABILISTIC_CLASSIFIER = Converter(_check_probabilistic, "a classifier with predict_proba()")


class ClassScoresMixin:
    """``predict_proba``, ``predict`` (and ``predict_log_proba``) from ``_class_scores(X)``."""

    _scores_are_logits: ClassVar[bool] = True

    def _class_scores(self, X) -> np.ndarray:  # pragma: no cover - every user defines it
        raise NotImplementedError

    @fill_doc
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (temperature 1).

        %(predict_proba_sections)s
        """
        scores = self._class_scores(X)
        return softmax(scores, axis=1) if self._scores_are_logits else scores

    @available_if(lambda self: self._scores_are_logits)
    @fill_doc
    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities ``log softmax(z)`` of the logits ``z``.

        %(predict_proba_sections)s
        """
        return log_softmax(self._class_scores(X), axis=1)

    @fill_doc
    def predict(self, X) -> np.ndarray:
        """The most probable class (the first one on ties).

        %(predict_labels_sections)s
        """
        scores = self._class_scores(X)  # first: raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(scores, axis=1)]


class MembersRegressorMixin:
    """``predict``: the mean of the fitted members' predictions, shaped like the training ``y``.

    Users define ``_members()`` and set ``_y_shape_tail = y.shape[1:]`` in ``fit``; they may
    override ``_prediction_input(X)`` (the check of ``X``; default: float64, as in fit).
    """

    def _prediction_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=np.float64)

    @fill_doc
    def predict(self, X):
        """Predictions (the last student's, or the mean over the members).

        %(predict_values_sections)s
        """
        X = self._prediction_input(X)
        mean = np.mean([np.asarray(m.predict(X), dtype=np.float64) for m in self._members()], axis=0)
        return mean.reshape((-1,) + self._y_shape_tail)
