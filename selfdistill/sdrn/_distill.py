"""Repeated self-distillation with an SDRN student and a Lipschitz loss (two terms per step)."""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from .._docstrings import fill_doc
from .._prediction import MembersRegressorMixin
from .._refit_chain import STEP_CONSTRAINTS, FoldChain, RefitChain, cross_validated_xi, take_steps
from .._validation import HasMethods, InstanceOf, ValidatedParamsMixin, check_sample_weight
from ._estimators import SparseDeepReLURegressor
from ._losses import residual_loss

DEFAULT_XI_GRID = tuple(np.round(np.linspace(0.0, 1.0, 11), 10))


def _fit_with_weights(model, X, y, sw):
    """Fit ``model``, passing the sample weights when it accepts them and they are not all 1."""
    if np.all(sw == 1.0) or not has_fit_parameter(model, "sample_weight"):
        return model.fit(X, y)
    return model.fit(X, y, sample_weight=sw)


@fill_doc
class SelfDistilledSparseDeepReLU(
    MembersRegressorMixin, ValidatedParamsMixin, RegressorMixin, MetaEstimatorMixin, BaseEstimator
):
    """Self-distillation into an SDRN student with a Lipschitz loss, repeated, xi by CV.

    Step ``i`` fits a student (same network as the estimator: the hidden layers depend on X only)
    by minimising

    .. math::

        \\sum_j w_j \\big[\\xi_i\\, \\rho(f_{i-1}(x_j), f(x_j)) + (1 - \\xi_i)\\, \\rho(y_j, f(x_j))\\big]
        + \\alpha P(\\beta)

    with the estimator's loss ``rho`` applied to the teacher term and the label term *separately*
    (for the absolute, check and Huber losses this is not a fit to a mixed target; for the
    squared loss it is, and equals :class:`selfdistill.SelfDistillationRegressor` with the same
    student). ``xi`` weights the TEACHER. ``f_0`` is the SDRN fitted on ``y``
    (self-distillation) or an external ``teacher`` (e.g. kernel ridge or a random forest).
    ``alpha`` is the estimator's penalty on the *sum* of the losses (sum of squares for the
    squared loss). X is n_samples x n_features.

    Parameters
    ----------
    estimator : SparseDeepReLURegressor, default=None
        The student (cloned); None means ``SparseDeepReLURegressor()``.
    teacher : regressor or None, default=None
        External teacher ``f_0``: used as is if already fitted, else a clone is fitted on
        ``(X, y)`` (with the sample weights if it accepts them). None: the student's own fit
        on ``y``.
    xi : sequence of float or "cv", default=(0.5,)
        Per-step teacher weights, or ``"cv"`` to choose each step's ``xi`` from ``xi_grid`` by
        K-fold cross-validation (then ``n_steps`` sets the number of steps). Must lie in [0, 1]
        unless the loss is squared.
    n_steps : int, default=1
        Number of steps when ``xi="cv"``.
    xi_grid : sequence of float, default=0, 0.1, ..., 1
        Candidates for ``xi="cv"``.
    cv : int or cross-validation splitter, default=5
        Folds for ``xi="cv"``. The score is the held-out mean of the estimator's own loss
        against the *labels* (MSE for squared, MAE for absolute, check loss for quantile, Huber
        for Huber), so heavy-tailed noise does not dominate it. Within a fold the teacher and
        the earlier students are refitted on the fold's training rows (a prefit teacher is used
        as is: it may have seen the held-out rows); the network (min-max scaling from all of X,
        no labels) is shared.
    verbose : bool, default=False
        Progress bar over steps.

    Attributes
    ----------
    teacher_ : regressor
        ``f_0``.
    estimators_ : list of regressors
        ``f_0`` (index 0) and the fitted students (fitted :class:`SparseDeepReLURegressor`).
    xi_ : ndarray of shape (k,)
        The weights used.
    cv_scores_ : ndarray of shape (k, len(xi_grid)) or None
        Held-out loss of each candidate at each step (``xi="cv"``).
    n_steps_ : int
    %(feature_attributes)s
    """

    _parameter_constraints = {
        "estimator": [None, InstanceOf(SparseDeepReLURegressor, "a SparseDeepReLURegressor (use "
                                       "selfdistill.SelfDistillationRegressor for other students)")],
        "teacher": [None, HasMethods("fit", "predict")],
        **STEP_CONSTRAINTS,
    }

    def __init__(self, estimator=None, teacher=None, xi=(0.5,), n_steps=1, xi_grid=DEFAULT_XI_GRID,
                 cv=5, verbose=False):
        self.estimator, self.teacher, self.xi, self.n_steps = estimator, teacher, xi, n_steps
        self.xi_grid, self.cv, self.verbose = xi_grid, cv, verbose

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher, then ``k`` students on the two-term distillation objective (1-D ``y``).

        %(fit_regressor_sections)s
        """
        params = self._validate_params()
        base = SparseDeepReLURegressor() if params.estimator is None else params.estimator
        tune = isinstance(params.xi, str)
        if tune and base.mode != "sparse_grid":
            raise ValueError("xi='cv' needs mode='sparse_grid' (every candidate would retrain the "
                             "network); pass a fixed xi sequence for mode='trainable'.")
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        sw = check_sample_weight(sample_weight, X.shape[0])
        sw = np.ones(X.shape[0]) if sw is None else sw
        # every candidate xi is checked before any fit (a non-convex one raises a ValueError)
        for value in (params.xi_grid if tune else params.xi):
            base._terms(y, y, float(value), sw)
        own = clone(base).fit(X, y, sample_weight=sw)
        self.teacher_ = own if self.teacher is None else self._fitted_teacher(X, y, sw)
        Phi = own.network_.basis(X) if base.mode == "sparse_grid" else None

        def refit(previous, xi):
            if Phi is None:  # trainable: a full fit per step
                return clone(base).fit_kd(X, y, previous, xi=xi, sample_weight=sw)
            student = copy.copy(own)  # shares the (fixed) network; gets its own output layer
            student.coef_, student.intercept_ = student._solve(Phi, own._terms(y, previous, xi, sw))
            return student

        first_prediction = np.asarray(self.teacher_.predict(X), dtype=np.float64).reshape(-1)
        chain = RefitChain(self.teacher_, first_prediction, refit, lambda model: model.predict(X))
        folds = self._fold_chains(own, X, y, sw, Phi) if tune else None
        # the lowest held-out loss wins (no preference for xi = 0 here)
        take_steps(self, chain, params, lambda: cross_validated_xi(folds, params.xi_grid, X.shape[0]))
        self._y_shape_tail = ()
        return self

    def _fitted_teacher(self, X, y, sw):
        try:
            check_is_fitted(self.teacher)
            return self.teacher
        except NotFittedError:
            return _fit_with_weights(clone(self.teacher), X, y, sw)

    def _first_prediction(self, own, X, y, sw, Phi, train):
        """``f_0`` refitted on the fold's training rows, predicted there."""
        if self.teacher is None:
            coef, b = own._solve(Phi[train], [(y[train], sw[train])])
            return Phi[train] @ coef + b
        try:
            check_is_fitted(self.teacher)
            model = self.teacher
        except NotFittedError:
            model = _fit_with_weights(clone(self.teacher), X[train], y[train], sw[train])
        return np.asarray(model.predict(X[train]), dtype=np.float64).reshape(-1)

    def _fold_chains(self, own, X, y, sw, Phi) -> list[FoldChain]:
        """Per fold: the output layers refitted on the training rows, scored by the loss held out."""
        folds = []
        for train, test in check_cv(self.cv).split(X, y):

            def refit(previous, xi, train=train):  # an output layer (coef, intercept)
                return own._solve(Phi[train], own._terms(y[train], previous, xi, sw[train]))

            def predict(layer, train=train):
                return Phi[train] @ layer[0] + layer[1]

            def held_out_loss(layer, test=test):
                residual = y[test] - (Phi[test] @ layer[0] + layer[1])
                return residual_loss(own.loss, residual, float(own.tau), float(own.huber_delta))

            first = self._first_prediction(own, X, y, sw, Phi, train)
            folds.append(FoldChain(RefitChain(None, first, refit, predict), test, held_out_loss, sw[test]))
        return folds

    def _members(self):
        return self.estimators_[-1:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
