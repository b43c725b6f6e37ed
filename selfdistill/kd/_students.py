"""Fitting teachers and students on distillation targets (shared by the KD and BAN estimators).

A student supports the exact temperature-T distillation loss if it has a ``fit_kd`` method
with the signature of :meth:`SoftTargetLogisticRegression.fit_kd`. Any other sklearn classifier
can only be trained at ``T = 1``, where the loss collapses to the student's loss at the mixed
target, which :func:`fit_soft_student` realises exactly by weighted replication.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._refit_chain import fit_with_weights
from ._meta import take_rows
from ._targets import encode_labels


def fitted_teacher(teacher, X, y, sample_weight):
    """Return ``(teacher_, prefit)``: the teacher itself if already fitted, else a fitted clone.

    ``clone`` discards fitted state, so a prefit teacher inside a cloned meta-estimator (e.g. in
    cross-validation) is refitted; wrap it in :class:`sklearn.frozen.FrozenEstimator` to keep it.
    """
    try:
        check_is_fitted(teacher)
    except NotFittedError:
        return fit_with_weights(clone(teacher), X, y, sample_weight), False
    return teacher, True


def fresh_clone(estimator, rng):
    """An unfitted clone whose every ``random_state`` parameter is redrawn from ``rng``.

    This gives each Born-Again generation a new random initialisation (as in Furlanello et
    al., where every generation is re-initialised), reproducibly from one seed.
    """
    est = clone(estimator)
    keys = [
        key
        for key in est.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]
    if keys:
        rng = check_random_state(rng)
        est.set_params(**{key: int(rng.randint(np.iinfo(np.int32).max)) for key in keys})
    return est


def fit_soft_student(student, X, y, teacher_proba, classes, xi, temperature, sample_weight):
    """Fit ``student`` (unfitted, modified in place) to the KD loss with teacher ``teacher_proba``.

    - ``student.fit_kd`` exists: the exact loss ``xi T^2 CE(q(v;T), q(z;T)) + (1-xi) CE(y, q(z;1))``
      on the student's own logits.
    - otherwise, ``xi == 0``: plain ``student.fit(X, y)``.
    - otherwise, ``T == 1`` and ``0 <= xi <= 1``: the loss equals the student's loss at the mixed
      target ``m_i = xi q(v_i; 1) + (1 - xi) onehot(y_i)``, i.e. ``sum_k m_ik loss(k, f(x_i))``.
      It is fitted exactly by replicating each row once per class ``k`` with sample weight
      ``s_i m_ik`` (zero-weight rows dropped). For a student whose loss is the weighted log-loss
      (e.g. LogisticRegression) this is the KD objective itself; for others (trees, SVMs) it is
      their own loss averaged over the mixed target.
    - otherwise a ValueError: the temperature cannot be applied to logits we cannot reach.

    Returns
    -------
    student
    """
    if hasattr(student, "fit_kd"):
        return student.fit_kd(
            X, y, teacher_proba, xi=xi, temperature=temperature, classes=classes,
            sample_weight=sample_weight,
        )
    if xi == 0.0:
        return fit_with_weights(student, X, y, sample_weight)
    name = type(student).__name__
    if temperature != 1.0:
        raise ValueError(
            f"{name} has no fit_kd method, so the temperature-{temperature:g} soft term cannot be "
            "applied to its logits. Use temperature=1.0 (then KD equals training on the mixed "
            "target xi * teacher_proba + (1 - xi) * onehot(y), fitted exactly by weighted "
            "replication), or a student with fit_kd such as SoftTargetLogisticRegression."
        )
    if not 0.0 <= xi <= 1.0:
        raise ValueError(
            f"xi={xi} gives negative mixed-target weights, which {name} cannot fit; use "
            "0 <= xi <= 1 or a student with fit_kd such as SoftTargetLogisticRegression."
        )
    if not has_fit_parameter(student, "sample_weight"):
        raise ValueError(
            f"{name}.fit does not accept sample_weight, so it cannot be trained on soft targets; "
            "use xi=0 (labels only), a classifier that supports sample weights, or "
            "SoftTargetLogisticRegression."
        )
    n, k = teacher_proba.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), encode_labels(np.asarray(y), classes)] = 1.0
    weights = (xi * teacher_proba + (1.0 - xi) * onehot).ravel()  # sample-major: row i, class k
    if sample_weight is not None:
        weights = weights * np.repeat(sample_weight, k)
    keep = np.flatnonzero(weights > 0)
    rows, cols = np.divmod(keep, k)
    return student.fit(take_rows(X, rows), classes[cols], sample_weight=weights[keep])
