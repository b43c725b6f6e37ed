"""Scheduled knowledge distillation with a curriculum data order (Liu, Duan, Xu & Ren 2024)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._prediction import PROBABILISTIC_CLASSIFIER, ClassScoresMixin
from .._validation import POSITIVE, InstanceOf, Options, RandomState, ValidatedParamsMixin
from ._curriculum import (
    CURRICULA,
    DIFFICULTIES,
    PACING,
    SCHEDULE,
    TEACHER_WEIGHT,
    curriculum_order,
    pacing_fractions,
    teacher_difficulty,
    xi_schedule,
)
from ._estimator import FitState, TorchClassifierBase
from ._losses import distillation_loss
from ._training import train_module
from .ldc import LDCClassifier
from .mlp import TorchMLPClassifier

#: Teacher probabilities are floored here before the log (an exact 0 would give -inf logits).
_PROBA_FLOOR = 1e-300


class ScheduledKDClassifier(ClassScoresMixin, ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    r"""Scheduled knowledge distillation into a torch student with a teacher-difficulty curriculum.

    Liu, Duan, Xu & Ren, "Scheduled Knowledge Acquisition on Lightweight Vector Symbolic
    Architectures for Brain-Computer Interfaces" (arXiv:2403.13844, 2024): a teacher's soft
    targets are distilled into a small student (an :class:`LDCClassifier` by default) with a
    distillation weight that changes over the epochs, while the training samples are presented
    in a curriculum order by teacher difficulty. In epoch ``e = 0..E-1`` the student minimises
    the batch mean of

    .. math::

        L_e = \xi(e)\, T^2\, \mathrm{KL}\big(q(v;T) \,\|\, q(z;T)\big)
              + (1 - \xi(e))\, \mathrm{CE}\big(y, q(z;1)\big),
        \qquad \xi(e) = \xi_0 + (\xi_1 - \xi_0)\, s\big(e / (E-1)\big),

    with ``q(.;T) = softmax(./T)``, teacher logits ``v = log p_T(x)`` and student logits ``z``.
    **xi weights the TEACHER term, epoch by epoch** (the paper's "alpha scheduler" schedules this
    weight; the package calls a teacher weight ``xi`` everywhere and keeps ``alpha`` for
    penalties). ``xi = 0`` is plain training on the labels and ``schedule="constant"`` is
    Hinton's KD with ``xi = xi_start``.

    Parameters
    ----------
    teacher : classifier or None, default=None
        Any sklearn classifier with ``predict_proba``; fitted on ``(X, y)`` (a clone) unless it
        is already fitted. ``None``: ``TorchMLPClassifier()``.
    student : LDCClassifier, TorchMLPClassifier or None, default=None
        Cloned and trained with the student's own optimiser settings, seed and device.
        ``None``: ``LDCClassifier()``.
    xi_start, xi_end : float in [0, 1], default=0.1, 0.9
        ``xi_0`` and ``xi_1``. The increasing default (more teacher as the student
        matures) is our reading of the abstract ("gradually build knowledge from the teacher");
        UNCONFIRMED.
    schedule : {"linear", "cosine", "step", "constant"} or callable, default="linear"
        The shape ``s``; see :func:`~selfdistill.nn.xi_schedule`. Linear is UNCONFIRMED.
    temperature : float, default=4.0
        ``T`` of the soft term (applied to the student's scaled logits ``a_C <C_k, s>``).
    curriculum : {"easy_to_hard", "random", "hard_to_easy"}, default="easy_to_hard"
        Order of the samples by teacher difficulty; ``random`` is the control.
    pacing : None or (g0, f), default=(0.3, 0.5)
        Baby steps: in epoch ``e`` only the first ``ceil(g(e) n)`` samples of the curriculum
        order are used, shuffled, with ``g(e) = min(1, g0 + (1 - g0) e / (f E))``
        (:func:`~selfdistill.nn.pacing_fractions`). ``None``: every epoch presents all samples
        in curriculum order (for ``random``: a fresh permutation every epoch, exactly the
        student's own ``fit``). UNCONFIRMED.
    difficulty : {"teacher_ce", "teacher_margin", "teacher_confidence"}, default="teacher_ce"
        Teacher difficulty of a training sample (:func:`~selfdistill.nn.teacher_difficulty`).
        UNCONFIRMED.
    random_state : int, RandomState, Generator or None, default=None
        When not None, it replaces the ``random_state`` of the student and of a teacher that
        is fitted here (if they have that parameter); None keeps their own. The student's seed
        drives its initialisation, the random orders and the pacing shuffles.

    Attributes
    ----------
    teacher_ : classifier
        The fitted teacher.
    student_ : TorchClassifierBase
        The trained student; ``student_.predict_binary`` and ``student_.export()`` give the
        binary LDC model.
    xis_ : ndarray of shape (E,)
        ``xi(e)`` per epoch.
    visible_counts_ : ndarray of shape (E,)
        Samples used in every epoch.
    difficulty_ : ndarray of shape (n_samples,)
        Teacher difficulty of the training samples.
    order_ : ndarray of shape (n_samples,) or None
        The curriculum order (None for ``random`` without pacing, which reshuffles every epoch).
    classes_, n_features_in_, feature_names_in_, loss_curve_
        ``loss_curve_``: mean distillation loss per epoch.

    Notes
    -----
    Only the abstract and introduction of the scheduled-KD paper were available to us: the
    teacher-weight scheduler's form and direction, the difficulty measure, the pacing, the teacher and
    the datasets are reconstructions (documented defaults, all configurable). The teacher is
    fitted on the same training set, as in Hinton et al. (2015). Randomness comes from the
    student's (and teacher's) ``random_state`` unless ``random_state`` is given.
    """

    _parameter_constraints = {
        "teacher": [None, PROBABILISTIC_CLASSIFIER],
        "student": [None, InstanceOf(TorchClassifierBase, "a torch classifier of selfdistill.nn "
                                     "(LDCClassifier or TorchMLPClassifier)")],
        "xi_start": [TEACHER_WEIGHT],
        "xi_end": [TEACHER_WEIGHT],
        "schedule": SCHEDULE,
        "temperature": [POSITIVE],
        "curriculum": [Options(*CURRICULA)],
        "pacing": PACING,
        "difficulty": [Options(*DIFFICULTIES)],
        "random_state": [RandomState()],
    }

    def __init__(self, teacher=None, student=None, xi_start=0.1, xi_end=0.9,
                 schedule="linear", temperature=4.0, curriculum="easy_to_hard",
                 pacing=(0.3, 0.5), difficulty="teacher_ce", random_state=None):
        self.teacher, self.student, self.xi_start, self.xi_end = teacher, student, xi_start, xi_end
        self.schedule, self.temperature, self.curriculum = schedule, temperature, curriculum
        self.pacing, self.difficulty, self.random_state = pacing, difficulty, random_state

    @fill_doc
    def fit(self, X, y, teacher_X=None, teacher_proba=None):
        """Fit the teacher (if needed), then distil it into a clone of the student.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,)
            Class labels.
        teacher_X : array-like with n_samples rows or None, default=None
            Inputs of the teacher for the same samples, when the teacher sees a richer
            representation than the student (e.g. finer EEG features; "privileged" teacher
            inputs). ``None``: the teacher uses ``X``. Prediction only needs the student inputs.
        teacher_proba : array-like of shape (n_samples, n_classes) or None, default=None
            The teacher's class probabilities for these samples, e.g. cross-fitted (held-out)
            predictions, so that the soft targets are not the teacher's near one-hot fit to its own
            training rows. ``None``: they are computed from the fitted teacher on ``teacher_X``.

        Returns
        -------
        %(returns_self)s
        """
        params = self._validate_params()
        X_checked, y_checked = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y_checked)
        student = self._with_seed(params.student if params.student is not None else LDCClassifier())
        if teacher_X is None:
            teacher_X = X
        elif np.shape(teacher_X)[0] != X_checked.shape[0]:
            raise ValueError(f"teacher_X has {np.shape(teacher_X)[0]} rows but X has "
                             f"{X_checked.shape[0]}; give the teacher's inputs for the same samples.")
        state = student.begin_fit(X_checked, y_checked)
        self.teacher_ = self._fitted_teacher(teacher_X, y_checked)
        if teacher_proba is None:
            proba = self._teacher_proba(teacher_X, student.classes_)
        else:
            proba = np.asarray(teacher_proba, dtype=np.float64)
            expected = (X_checked.shape[0], len(student.classes_))
            if (proba.shape != expected or not np.all(np.isfinite(proba)) or np.any(proba < 0)
                    or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)):
                raise ValueError(
                    f"teacher_proba must be a {expected} matrix of probabilities (finite, >= 0, "
                    f"rows summing to 1; one column per class of y), got shape {proba.shape}."
                )

        epochs = state.config.epochs
        targets_cpu = state.targets.to("cpu").numpy()
        self.xis_ = xi_schedule(epochs, params.xi_start, params.xi_end, params.schedule)
        self.difficulty_ = teacher_difficulty(proba, targets_cpu, params.difficulty)
        self.visible_counts_ = np.maximum(
            np.ceil(pacing_fractions(epochs, params.pacing) * state.n_samples).astype(int),
            min(2, state.n_samples),
        )
        order = self._order_function(state)

        teacher_logits = torch.as_tensor(np.log(np.maximum(proba, _PROBA_FLOOR)),
                                         dtype=torch.float64, device=state.targets.device)
        xis = [float(xi) for xi in self.xis_]

        def loss(epoch, logits, idx):
            return distillation_loss(logits, teacher_logits[idx], state.targets[idx],
                                     xis[epoch], params.temperature)

        history = train_module(state.network, state.inputs, state.config, order=order, loss=loss)
        self.student_ = student.end_fit(state, history)
        self.classes_ = student.classes_
        self.loss_curve_ = history
        return self

    # ------------------------------------------------------------------ fit helpers
    def _fitted_teacher(self, X, y):
        teacher = self.teacher if self.teacher is not None else TorchMLPClassifier()
        try:
            check_is_fitted(teacher)
            return teacher
        except NotFittedError:
            return self._with_seed(teacher).fit(X, y)

    def _with_seed(self, estimator):
        """An unfitted clone, with this estimator's random_state when one is set."""
        estimator = clone(estimator)
        if self.random_state is not None and "random_state" in estimator.get_params(deep=False):
            estimator.set_params(random_state=self.random_state)
        return estimator

    def _teacher_proba(self, X, classes: np.ndarray) -> np.ndarray:
        teacher_classes = np.asarray(self.teacher_.classes_)
        if teacher_classes.shape != classes.shape or np.any(teacher_classes != classes):
            raise ValueError(
                f"the teacher's classes {teacher_classes.tolist()} differ from the classes in y "
                f"{classes.tolist()}; fit the teacher on the same labels."
            )
        proba = np.asarray(self.teacher_.predict_proba(X), dtype=np.float64)
        if not np.all(np.isfinite(proba)):
            raise ValueError("the teacher's predict_proba returned NaN or infinite values.")
        return proba

    def _order_function(self, state: FitState):
        """order(epoch) for the training loop; see the ``pacing`` parameter."""
        n = state.n_samples
        if self.curriculum == "random":
            if self.pacing is None:
                self.order_ = None
                return state.shuffled_order
            base = torch.randperm(n, generator=state.generator)
        else:
            base = torch.as_tensor(curriculum_order(self.difficulty_, self.curriculum))
        self.order_ = base.numpy().copy()
        if self.pacing is None:
            return lambda epoch: base
        counts = self.visible_counts_

        def paced(epoch):
            m = int(counts[epoch])
            return base[:m][torch.randperm(m, generator=state.generator)]

        return paced

    # ------------------------------------------------------------------ prediction
    def _class_scores(self, X) -> np.ndarray:
        """The distilled student's logits (predict_proba is their softmax)."""
        check_is_fitted(self, "student_")
        return self.student_.decision_logits(validate_data(self, X, reset=False, dtype=np.float64))

    def model_bits(self) -> int:
        """Size of the student (see its ``model_bits``)."""
        check_is_fitted(self, "student_")
        return self.student_.model_bits()

    def inference_ops(self) -> dict[str, int]:
        """Operation counts of one student prediction (see its ``inference_ops``)."""
        check_is_fitted(self, "student_")
        return self.student_.inference_ops()
