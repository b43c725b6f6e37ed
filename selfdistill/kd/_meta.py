"""What the distillation meta-estimators share: input validation, prediction and tags.

A meta-estimator predicts with its fitted *members* (``_members()``: the student, or the
generations of Born-Again): classifiers with the mean of the members' probabilities
(:class:`MetaClassifierMixin`), regressors with the mean of their predictions
(:class:`MetaRegressorMixin`), both on ``X`` checked only as far as the members need it.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._prediction import ClassScoresMixin, MembersRegressorMixin
from .._validation import check_sample_weight
from ._targets import encode_labels

#: X is validated only as far as every wrapped estimator needs it (they check the rest).
_META_X_CHECKS = {"accept_sparse": ("csr", "csc"), "dtype": None, "ensure_all_finite": False}


def validate_meta_input(estimator, X, y=None, *, reset: bool, regression: bool = False):
    """Validate ``X`` (and ``y``) for a meta-estimator; record ``n_features_in_``/feature names.

    ``X`` keeps its dtype and may be sparse or contain NaN: the wrapped estimators decide what
    they accept. A pandas DataFrame is validated but handed on unchanged, so that wrapped
    estimators fitted on named columns (e.g. a prefit teacher) still see them. Classification
    labels come back 1-D (a column vector is raveled with sklearn's warning); regression
    targets as finite float64 of shape (n,) or (n, n_outputs).
    """
    if y is None and not reset:
        checked = validate_data(estimator, X, reset=False, **_META_X_CHECKS)
        return X if hasattr(X, "iloc") else checked
    if regression:
        checked, y = validate_data(
            estimator, X, y, reset=reset, multi_output=True, y_numeric=True, **_META_X_CHECKS
        )
    else:
        checked, y = validate_data(estimator, X, y, reset=reset, **_META_X_CHECKS)
        check_classification_targets(y)
    return (X if hasattr(X, "iloc") else checked), y


def validate_meta_fit_input(estimator, X, y, sample_weight, *, regression: bool = False):
    """``(X, y, sample_weight)`` checked at fit time (see :func:`validate_meta_input`)."""
    X, y = validate_meta_input(estimator, X, y, reset=True, regression=regression)
    return X, y, check_sample_weight(sample_weight, X.shape[0])


def take_rows(X, rows):
    """Rows of an array, a sparse matrix or a DataFrame (which keeps its column names)."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def meta_tags(tags, *estimators):
    """Input tags of a meta-estimator: what every wrapped estimator accepts."""
    inner = [get_tags(est).input_tags for est in estimators]
    tags.input_tags.allow_nan = all(t.allow_nan for t in inner)
    tags.input_tags.sparse = all(t.sparse for t in inner)
    return tags


def aligned_proba(estimator, X, classes: np.ndarray) -> np.ndarray:
    """``estimator.predict_proba(X)`` with one column per entry of ``classes`` (zeros if unseen)."""
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    own = np.asarray(estimator.classes_)
    if len(own) == len(classes) and np.array_equal(own, classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, encode_labels(own, classes)] = proba
    return out


class MetaClassifierMixin(ClassScoresMixin):
    """``predict_proba``: the mean of the members' probabilities, one column per ``classes_``."""

    _scores_are_logits = False

    def _class_scores(self, X):
        X = meta_prediction_input(self, X)
        return np.mean([aligned_proba(member, X, self.classes_) for member in self._members()], axis=0)


class MetaRegressorMixin(MembersRegressorMixin):
    """``predict``: the mean of the members' predictions; X checked as the members need it."""

    def _prediction_input(self, X):
        return meta_prediction_input(self, X)


def meta_prediction_input(estimator, X):
    """``X`` at prediction time, once the meta-estimator is fitted (see :func:`validate_meta_input`)."""
    check_is_fitted(estimator)
    return validate_meta_input(estimator, X, reset=False)
