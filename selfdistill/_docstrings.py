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
    "y_class_conditional": """y : array-like of shape (n_samples,), scalar or None
    Class labels for a class-conditional teacher.""",
    "returns_self": """self : object
    The fitted estimator.""",
    # quantile and SDRN estimators (issue 16, helper q16)
    "y_fit_1d": """y : array-like of shape (n_samples,)
    Targets.""",
    "parameters_X_predict": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Samples.""",
    "returns_self_section": """Returns
-------
self : object
    The fitted estimator.""",
}


# -- whole Parameters/Returns sections of the methods that many estimators share (issue 16,
#    knowledge-distillation helper): one placeholder line documents the whole method.
def _sections(parameters: str, returns: str) -> str:
    return f"Parameters\n----------\n{parameters}\n\nReturns\n-------\n{returns}"


_LABELS = """y : array-like of shape (n_samples,)
    Class labels."""
_PASSED_ON_WEIGHTS = """sample_weight : array-like of shape (n_samples,), optional
    Non-negative weights (a weight w counts a row w times), passed on to every fit; None means
    unit weights."""
DOCS.update(
    feature_attributes="""n_features_in_ : int
    Number of features seen in ``fit``.
feature_names_in_ : ndarray of str
    Only when ``X`` had string column names (a pandas DataFrame).""",
    fit_regressor_sections=_sections(
        "\n".join((DOCS["X_fit"], DOCS["y_fit"], _PASSED_ON_WEIGHTS)), DOCS["returns_self"]
    ),
    fit_classifier_sections=_sections(
        "\n".join((DOCS["X_fit"], _LABELS, DOCS["sample_weight_fit"])), DOCS["returns_self"]
    ),
    predict_values_sections=_sections(
        DOCS["X_predict"], "ndarray of shape (n_samples,) or (n_samples, n_targets)\n    Predicted targets."
    ),
    predict_labels_sections=_sections(
        DOCS["X_predict"], "ndarray of shape (n_samples,)\n    Predicted class labels."
    ),
    predict_proba_sections=_sections(
        DOCS["X_predict"],
        "ndarray of shape (n_samples, n_classes)\n    Columns follow ``classes_``; probabilities sum "
        "to 1 along a row.",
    ),
    predict_logits_sections=_sections(
        DOCS["X_predict"],
        "ndarray of shape (n_samples, n_classes)\n    One column per entry of ``classes_`` (a row "
        "is defined up to an additive constant).",
    ),
)

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
