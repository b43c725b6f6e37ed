"""Hinton et al. (2015) knowledge distillation as sklearn meta-estimators."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import get_tags

from .._docstrings import fill_doc
from .._prediction import PROBABILISTIC_CLASSIFIER
from .._refit_chain import squared_loss_chain
from .._validation import HasMethods, Interval, ValidatedParamsMixin
from ._meta import MetaClassifierMixin, MetaRegressorMixin, meta_tags, validate_meta_fit_input
from ._students import fit_soft_student, fitted_teacher
from ._targets import TEMPERATURE, encode_labels, require_xi_in_unit_interval


def _fitted_teacher_and_student(kind: str) -> str:
    """The fitted attributes both KD estimators share (``kind``: classifier or regressor)."""
    return (
        f"teacher_ : {kind}\n    The fitted teacher (the ``teacher`` object itself when it was prefit).\n"
        "teacher_prefit_ : bool\n    Whether ``teacher`` was already fitted.\n"
        f"student_ : {kind}\n    The fitted student."
    )


@fill_doc(fitted=_fitted_teacher_and_student("classifier"))
class KnowledgeDistillationClassifier(
    MetaClassifierMixin, ValidatedParamsMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Hinton, Vinyals & Dean (2015) knowledge distillation of a teacher into a student.

    The student (a fresh clone of ``student``) minimises, per sample ``i`` with student logits
    ``z_i``, teacher logits ``v_i`` and ``q(z; T) = softmax(z / T)``:

    .. math::

        \\xi\\, T^2\\, \\mathrm{CE}\\big(q(v_i; T), q(z_i; T)\\big)
        + (1 - \\xi)\\, \\mathrm{CE}\\big(y_i, q(z_i; 1)\\big)

    averaged with the sample weights (``xi`` weights the TEACHER term). The teacher's logits are
    taken as ``log teacher.predict_proba(X)``, exact up to a per-row constant that the softmax
    ignores, so any classifier with ``predict_proba`` can teach.

    How the temperature enters depends on the student:

    - a student with a ``fit_kd`` method (:class:`SoftTargetLogisticRegression`) gets the exact
      loss above: the soft term is evaluated at temperature ``T`` on the student's own logits,
      and the fitted student predicts at ``T = 1``;
    - any other sklearn classifier has no logits we can temper, so ``temperature`` must be 1.
      Then CE is linear in its target and the loss equals the student's loss at the mixed target
      ``xi q(v; 1) + (1 - xi) onehot(y)``, which is fitted exactly by weighted replication (each
      sample once per class, weight ``s_i m_ik``; needs ``sample_weight`` support). Other
      temperatures raise a ValueError instead of silently fitting a different objective.
      ``xi = 0`` is plain ``student.fit(X, y)`` for every student.

    Parameters
    ----------
    teacher : classifier with predict_proba
        Used as is if already fitted (its ``classes_`` define the output classes, which may
        include classes absent from ``y``); otherwise a clone is fitted on ``(X, y)``. ``clone``
        of this meta-estimator refits the teacher; wrap a prefit teacher in
        :class:`sklearn.frozen.FrozenEstimator` to keep it through cloning.
    student : classifier
        Cloned and fitted on the distillation loss.
    xi : float, default=0.9
        Weight of the teacher term. Any real value at ``T = 1`` with a ``fit_kd`` student (the
        objective stays convex); ``[0, 1]`` otherwise.
    temperature : float, default=4.0
        Distillation temperature ``T > 0``.

    Attributes
    ----------
    %(fitted)s
    classes_ : ndarray of shape (n_classes,)
        The teacher's classes.
    %(feature_attributes)s
    """

    _parameter_constraints = {
        "teacher": [PROBABILISTIC_CLASSIFIER],
        "student": [HasMethods("fit", "predict")],
        "xi": [Interval(numbers.Real)],
        "temperature": [TEMPERATURE],
    }

    def __init__(self, teacher, student, xi=0.9, temperature=4.0):
        self.teacher, self.student, self.xi = teacher, student, xi
        self.temperature = temperature

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher if needed, then the student on the distillation loss.

        Every label of ``y`` must be one of the teacher's classes.

        %(fit_classifier_sections)s
        """
        params = self._validate_params()
        if params.temperature != 1.0:
            require_xi_in_unit_interval(params.xi, "at temperature != 1 the objective would be non-convex.")
        X, y, sw = validate_meta_fit_input(self, X, y, sample_weight)
        self.teacher_, self.teacher_prefit_ = fitted_teacher(self.teacher, X, y, sw)
        self.classes_ = np.asarray(self.teacher_.classes_)
        encode_labels(y, self.classes_)  # every label must be a teacher class
        teacher_proba = np.asarray(self.teacher_.predict_proba(X), dtype=np.float64)
        self.student_ = fit_soft_student(
            clone(self.student), X, y, teacher_proba, self.classes_, params.xi, params.temperature, sw
        )
        return self

    def _members(self):
        # predict_proba: the student's at temperature 1 (zeros for a class it never saw)
        return [self.student_]

    def __sklearn_tags__(self):
        return meta_tags(super().__sklearn_tags__(), self.teacher, self.student)


@fill_doc(fitted=_fitted_teacher_and_student("regressor"))
class KnowledgeDistillationRegressor(
    MetaRegressorMixin, ValidatedParamsMixin, RegressorMixin, MetaEstimatorMixin, BaseEstimator
):
    """Knowledge distillation for squared loss: any sklearn regressor as the student.

    The student (a fresh clone of ``student``) minimises, with teacher predictions ``t_i``,

    .. math::

        \\sum_i s_i \\big[\\xi (f(x_i) - t_i)^2 + (1 - \\xi)(f(x_i) - y_i)^2\\big]
        = \\sum_i s_i (f(x_i) - \\tilde y_i)^2 + \\xi (1 - \\xi) \\sum_i s_i (t_i - y_i)^2,

    with the mixed target ``y~ = xi t + (1 - xi) y`` (``xi`` weights the TEACHER term). The
    last sum does not depend on ``f``, so the student is fitted by ``student.fit(X, y~)`` --
    exactly, for every real ``xi``, and plus the student's own penalty (e.g. Ridge's alpha).
    With a Ridge teacher and student of the same ``alpha`` this is one step of the
    self-distillation studied by Das & Sanghavi (2023) and Pareek, Du & Oh (2024).

    Parameters
    ----------
    teacher : regressor
        Used as is if already fitted, otherwise a clone is fitted on ``(X, y)`` (see
        :class:`KnowledgeDistillationClassifier` for prefit teachers and cloning).
    student : regressor
        Cloned and fitted on the mixed target.
    xi : float, default=0.9
        Weight of the teacher term; any real value (``xi > 1`` helps under heavy label noise in
        the linear theory of Das & Sanghavi 2023).

    Attributes
    ----------
    %(fitted)s
    %(feature_attributes)s
    """

    _parameter_constraints = {
        "teacher": [HasMethods("fit", "predict")],
        "student": [HasMethods("fit", "predict")],
        "xi": [Interval(numbers.Real)],
    }

    def __init__(self, teacher, student, xi=0.9):
        self.teacher, self.student, self.xi = teacher, student, xi

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher if needed, then the student on ``xi * teacher(X) + (1 - xi) * y``.

        %(fit_regressor_sections)s
        """
        params = self._validate_params()
        X, y, sw = validate_meta_fit_input(self, X, y, sample_weight, regression=True)
        self.teacher_, self.teacher_prefit_ = fitted_teacher(self.teacher, X, y, sw)
        chain = squared_loss_chain(lambda: clone(self.student), X, y, sw, first=self.teacher_)
        self.student_ = chain.step(params.xi)
        self._y_shape_tail = y.shape[1:]
        return self

    def _members(self):
        return [self.student_]

    def __sklearn_tags__(self):
        tags = meta_tags(super().__sklearn_tags__(), self.teacher, self.student)
        tags.target_tags.multi_output = get_tags(self.student).target_tags.multi_output
        return tags

