"""The torch estimators of selfdistill.nn pass scikit-learn's estimator checks."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

torch = pytest.importorskip("torch")

from selfdistill.nn import LDCClassifier, ScheduledKDClassifier, TorchMLPClassifier  # noqa: E402

# Few epochs keep the ~60 fits per estimator fast; 20 epochs at lr 2e-2 are what the LDC needs to
# pass check_classifiers_train's training-accuracy bar of 0.83 on its 3-blob problem.
_LDC = dict(epochs=20, lr=2e-2, batch_size=64)


@parametrize_with_checks(
    [
        LDCClassifier(**_LDC),
        TorchMLPClassifier(epochs=20, lr=1e-2),
        ScheduledKDClassifier(teacher=LogisticRegression(), student=LDCClassifier(**_LDC)),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
