"""The prediction methods every classifier of the package shares, written once.

A classifier defines one hook, ``_class_scores(X)``: it checks that the model is fitted,
validates ``X`` (n_samples x n_features) and returns one column per entry of ``classes_`` --
logits when the class attribute ``_scores_are_logits`` is True (probabilities are then
``scipy.special.softmax`` of them, at temperature 1), probabilities otherwise. The mixin turns
that into :meth:`predict_proba` and :meth:`predict` (the class with the largest score, the
first one on ties).

:data:`PROBABILISTIC_CLASSIFIER` is the constraint of every parameter that takes a teacher (or a
model) whose ``predict_proba`` supplies soft targets.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import softmax

from ._docstrings import fill_doc
from ._validation import Converter

__all__ = ["PROBABILISTIC_CLASSIFIER", "ClassScoresMixin"]


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
    """``predict_proba`` and ``predict`` from ``_class_scores(X)`` (see the module docstring)."""

    _scores_are_logits: ClassVar[bool] = True

    def _class_scores(self, X) -> np.ndarray:  # pragma: no cover - every user defines it
        raise NotImplementedError

    @fill_doc
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (temperature 1).

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        scores = self._class_scores(X)
        return softmax(scores, axis=1) if self._scores_are_logits else scores

    @fill_doc
    def predict(self, X) -> np.ndarray:
        """The most probable class (the first one on ties).

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self._class_scores(X)  # first: raises NotFittedError before classes_ is read
        return self.classes_[np.argmax(scores, axis=1)]
