"""Shared numpydoc fragments: a parameter documented in many places is written once, here.

A docstring line that consists only of ``%(name)s`` is replaced by the fragment ``name``,
re-indented to that line's indentation, so one fragment serves functions (4 spaces) and methods
(8 spaces) alike. Fragments are written flush left, with the description indented by 4 spaces::

    @fill_doc
    def predict(self, X):
        '''Predicted targets.

        Parameters
        ----------
        %(X_predict)s
        '''

``fill_doc(name=text, ...)`` adds fragments that only one module uses. Only whole-line
placeholders are substituted, so percent signs elsewhere in a docstring are safe.
"""

from __future__ import annotations

import re

__all__ = ["DOCS", "fill_doc"]

DOCS: dict[str, str] = {
    "X_fit": """X : array-like of shape (n_samples, n_features)
    Training data, one row per sample (the paper's design matrix is its transpose).""",
    "y_fit": """y : array-like of shape (n_samples,) or (n_samples, n_targets)
    Targets.""",
    "sample_weight_fit": """sample_weight : array-like of shape (n_samples,), optional
    Non-negative weights (a weight w counts a row w times); None means unit weights.""",
    "X_predict": """X : array-like of shape (n_samples, n_features)
    Samples.""",
    "returns_self": """self : object
    The fitted estimator.""",
    # -- whole Parameters/Returns sections of the methods that many estimators share (issue 16,
    #    knowledge-distillation helper): one placeholder line documents the whole method.
    "fit_regressor_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Training data, one row per sample (the paper's design matrix is its transpose).
y : array-like of shape (n_samples,) or (n_samples, n_targets)
    Targets.
sample_weight : array-like of shape (n_samples,), optional
    Non-negative weights (a weight w counts a row w times), passed to every fit; None means
    unit weights.

Returns
-------
self : object
    The fitted estimator.""",
    "fit_classifier_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Training data, one row per sample.
y : array-like of shape (n_samples,)
    Class labels.
sample_weight : array-like of shape (n_samples,), optional
    Non-negative weights (a weight w counts a row w times); None means unit weights.

Returns
-------
self : object
    The fitted estimator.""",
    "predict_values_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Samples.

Returns
-------
ndarray of shape (n_samples,) or (n_samples, n_targets)
    Predicted targets.""",
    "predict_labels_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Samples.

Returns
-------
ndarray of shape (n_samples,)
    Predicted class labels.""",
    "predict_proba_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Samples.

Returns
-------
ndarray of shape (n_samples, n_classes)
    Columns follow ``classes_``; rows sum to 1 (log-probabilities: log-sum-exp to 0).""",
    "predict_logits_sections": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Samples.

Returns
-------
ndarray of shape (n_samples, n_classes)
    One column per entry of ``classes_`` (a row is defined up to an additive constant).""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def _substitute(doc: str, fragments: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        indent = match.group("indent")
        text = fragments[match.group("name")]
        return "\n".join(indent + line if line else line for line in text.splitlines())

    return _PLACEHOLDER.sub(replace, doc)


def fill_doc(obj=None, /, **fragments):
    """Substitute ``%(name)s`` lines of ``obj.__doc__`` with :data:`DOCS` (plus ``fragments``).

    Use as ``@fill_doc`` or ``@fill_doc(name="text", ...)``. An unknown name raises ``KeyError``
    at import time, so a misspelt placeholder cannot reach the documentation.
    """
    table = {**DOCS, **fragments}

    def decorate(target):
        if target.__doc__:
            target.__doc__ = _substitute(target.__doc__, table)
        return target

    return decorate if obj is None else decorate(obj)
