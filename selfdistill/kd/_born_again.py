"""Born-Again Networks (Furlanello et al., ICML 2018) as sklearn meta-estimators."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin
from sklearn.utils import check_random_state, get_tags

from .._docstrings import fill_doc
from .._prediction import PROBABILISTIC_CLASSIFIER
from .._refit_chain import fit_with_weights, mixed_target, squared_loss_chain
from .._validation import (
    POSITIVE_INT,
    Boolean,
    HasMethods,
    Interval,
    Options,
    RandomState,
    ValidatedParamsMixin,
)
from ._meta import (
    MetaClassifierMixin,
    MetaRegressorMixin,
    aligned_proba,
    meta_tags,
    validate_meta_fit_input,
)
from ._students import fit_soft_student, fresh_clone
from ._targets import (
    TEMPERATURE,
    cwtm_weights,
    dkpp_permute,
    encode_targets,
    require_xi_in_unit_interval,
    soften,
)

VARIANTS = ("ban", "cwtm", "dkpp")

#: The parameters both Born-Again estimators have.
_GENERATION_CONSTRAINTS = {
    "n_generations": [POSITIVE_INT],
    "xi": [Interval(numbers.Real)],
    "ensemble": [Boolean()],
    "random_state": [RandomState()],
}


@fill_doc
class BornAgainClassifier(
    MetaClassifierMixin, ValidatedParamsMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Born-Again Networks: generations of identical models, each taught by the previous one.

    Generation 1 is ``estimator`` fitted on the labels. Generation ``g >= 2`` is a fresh clone
    (every ``random_state`` parameter redrawn from ``random_state``, never warm-started) trained
    with generation ``g - 1`` as the teacher, with ``p_i`` = generation ``g - 1``'s
    ``predict_proba(x_i)`` and ``q = soften(p, T)`` (see :func:`soften`):

    - ``variant="ban"``: Hinton's KD loss ``xi T^2 CE(q_i, q(z_i; T)) + (1 - xi) CE(y_i, q(z_i; 1))``
      (see :class:`KnowledgeDistillationClassifier`; ``xi = 1`` is BAN, ``xi < 1`` "BAN+L").
    - ``variant="dkpp"`` (dark knowledge with permuted predictions): the same loss with ``q``
      replaced by :func:`dkpp_permute` ``(q)``: the arg-max entry kept, the others permuted at
      random per sample.
    - ``variant="cwtm"`` (confidence weighted by teacher max): labels only, each sample weighted
      by the teacher's confidence ``w_i = s_i max_k q_ik / sum_u s_u max_k q_uk`` (:func:`cwtm_weights`).
      The student is fitted with sample weights ``xi * S * w_i + (1 - xi) * s_i``, ``S = sum_i s_i``:
      ``xi = 1`` is the paper's CWTM (weights rescaled to average ``s``), ``xi = 0`` the plain fit.
      Requires ``0 <= xi <= 1`` and an estimator accepting ``sample_weight``.

    With ``ensemble=True``, predictions are BANE: the mean of all generations' ``predict_proba``
    (generation 1, the teacher, included).

    Parameters
    ----------
    estimator : classifier with predict_proba
        The architecture every generation shares.
    n_generations : int, default=3
        Number of generations including the first (label-trained) one; 1 is a plain fit.
    xi : float, default=1.0
        Weight of the teacher term (``ban``/``dkpp``) or of the confidence weighting (``cwtm``).
    temperature : float, default=1.0
        Temperature of the teacher term (1 in the paper). A ``T != 1`` needs an estimator with
        ``fit_kd`` (:class:`SoftTargetLogisticRegression`).
    variant : {"ban", "cwtm", "dkpp"}, default="ban"
    ensemble : bool, default=True
        Predict with the mean over generations (BANE) instead of the last generation.
    random_state : int, RandomState or None, default=None
        Seeds the per-generation ``random_state`` of the estimator and the DKPP permutations.

    Attributes
    ----------
    generations_ : list of classifiers
        The fitted generations, first (label-trained) to last.
    training_targets_ : list of ndarray of shape (n_samples, n_classes)
        What each generation was taught: one-hot labels for generation 1 and for ``cwtm``;
        for ``ban``/``dkpp`` generations ``g >= 2`` the teacher term's target ``q`` (softened,
        and permuted for ``dkpp``).
    training_weights_ : list of ndarray of shape (n_samples,)
        The sample weights of each generation (the CWTM weights for ``cwtm``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (the distinct labels of ``y``).
    %(feature_attributes)s

    Notes
    -----
    No official code exists for Furlanello et al. (2018); these details follow our reading of
    the paper and are ASSUMPTIONS until checked against its text:

    - the BAN loss is cross-entropy to the previous generation's softmax output at ``T = 1``,
      and "BAN+L" adds the label term (here ``xi < 1``);
    - BANE averages every generation including the first (label-trained) one;
    - DKPP permutes all non-arg-max entries uniformly at random, independently per sample;
    - CWTM normalises the confidence weights over a mini-batch; we normalise over the whole
      training set (full-batch fitting), and the ``xi < 1`` mixture with unweighted labels is
      our extension.
    """

    _parameter_constraints = {
        "estimator": [PROBABILISTIC_CLASSIFIER],
        "temperature": [TEMPERATURE],
        "variant": [Options(*VARIANTS)],
        **_GENERATION_CONSTRAINTS,
    }

    def __init__(
        self,
        estimator,
        n_generations=3,
        xi=1.0,
        temperature=1.0,
        variant="ban",
        ensemble=True,
        random_state=None,
    ):
        self.estimator, self.n_generations, self.xi = estimator, n_generations, xi
        self.temperature, self.variant, self.ensemble = temperature, variant, ensemble
        self.random_state = random_state

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit all generations (``y``: generation 1's targets and the ``1 - xi`` term).

        %(fit_classifier_sections)s
        """
        params = self._validate_params()
        xi, temperature = params.xi, params.temperature
        if temperature != 1.0 or params.variant == "cwtm":
            require_xi_in_unit_interval(xi, "CWTM weights and temperature != 1 need a teacher weight in [0, 1].")
        X, y, sw = validate_meta_fit_input(self, X, y, sample_weight)
        n_samples = X.shape[0]
        rng = check_random_state(self.random_state)
        self.classes_, onehot = encode_targets(y)
        unit = np.ones(n_samples) if sw is None else sw

        first = fit_with_weights(fresh_clone(self.estimator, rng), X, y, sw)
        self.generations_ = [first]
        self.training_targets_ = [onehot]
        self.training_weights_ = [unit]
        for _ in range(1, params.n_generations):
            teacher_proba = aligned_proba(self.generations_[-1], X, self.classes_)
            student = fresh_clone(self.estimator, rng)
            if self.variant == "cwtm":
                weights = cwtm_weights(soften(teacher_proba, temperature), sw)
                weights = xi * unit.sum() * weights + (1.0 - xi) * unit
                fit_with_weights(student, X, y, weights)
                target = onehot
            else:
                if self.variant == "dkpp":
                    # permuting the T=1 probabilities equals permuting q(v;T): soften is a row-wise
                    # power + normalisation, so it commutes with column permutations.
                    teacher_proba = dkpp_permute(teacher_proba, rng)
                fit_soft_student(
                    student, X, y, teacher_proba, self.classes_, xi, temperature, sw
                )
                target, weights = soften(teacher_proba, temperature), unit
            self.generations_.append(student)
            self.training_targets_.append(target)
            self.training_weights_.append(weights)
        return self

    def _members(self):
        # predict_proba: BANE (the mean over generations) or the last generation's
        return self.generations_ if self.ensemble else self.generations_[-1:]

    def __sklearn_tags__(self):
        return meta_tags(super().__sklearn_tags__(), self.estimator)


@fill_doc
class BornAgainRegressor(
    MetaRegressorMixin, ValidatedParamsMixin, RegressorMixin, MetaEstimatorMixin, BaseEstimator
):
    """Born-Again generations for squared loss (repeated self-distillation of a regressor).

    Generation 1 is ``estimator`` fitted on ``y``; generation ``g >= 2`` is a fresh clone fitted
    on the mixed target ``xi f_{g-1}(X) + (1 - xi) y`` (see :class:`KnowledgeDistillationRegressor`).
    With ``Ridge`` and ``xi = 1`` this is the repeated self-distillation of Mobahi et al. (2020):
    generation ``g`` has coefficients ``A^(g-1) theta_ridge`` with
    ``A = (X^T X + alpha I)^(-1) X^T X``. The temperature and the CWTM/DKPP controls of
    :class:`BornAgainClassifier` have no squared-loss counterpart and are not offered.

    Parameters
    ----------
    estimator : regressor
        The model every generation shares.
    n_generations : int, default=3
        Number of generations including the first one.
    xi : float, default=1.0
        Weight of the previous generation's predictions; any real value.
    ensemble : bool, default=True
        Predict with the mean over generations instead of the last generation.
    random_state : int, RandomState or None, default=None
        Seeds the per-generation ``random_state`` of the estimator.

    Attributes
    ----------
    generations_ : list of regressors
        The fitted generations, first to last.
    training_targets_ : list of ndarray
        The target each generation was fitted on (``y`` for the first).
    %(feature_attributes)s
    """

    _parameter_constraints = {"estimator": [HasMethods("fit", "predict")], **_GENERATION_CONSTRAINTS}

    def __init__(self, estimator, n_generations=3, xi=1.0, ensemble=True, random_state=None):
        self.estimator, self.n_generations, self.xi = estimator, n_generations, xi
        self.ensemble, self.random_state = ensemble, random_state

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit all generations.

        %(fit_regressor_sections)s
        """
        params = self._validate_params()
        X, y, sw = validate_meta_fit_input(self, X, y, sample_weight, regression=True)
        rng = check_random_state(params.random_state)
        chain = squared_loss_chain(lambda: fresh_clone(self.estimator, rng), X, y, sw)
        for _ in range(1, params.n_generations):
            chain.step(params.xi)
        self.generations_ = chain.models
        previous = chain.predictions[:-1]
        self.training_targets_ = [y] + [mixed_target(p, y, xi) for p, xi in zip(previous, chain.xis, strict=True)]
        self._y_shape_tail = y.shape[1:]
        return self

    def _members(self):
        # predict: the mean over generations or the last generation's
        return self.generations_ if self.ensemble else self.generations_[-1:]

    def __sklearn_tags__(self):
        tags = meta_tags(super().__sklearn_tags__(), self.estimator)
        tags.target_tags.multi_output = get_tags(self.estimator).target_tags.multi_output
        return tags
