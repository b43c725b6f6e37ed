"""SelfDistillationRegressor: self-distillation of ANY scikit-learn regressor by explicit refits.

Where :mod:`selfdistill.linear_model` computes ridge self-distillation in closed form, this module
refits the user's regressor at every step (on the engine of :mod:`selfdistill._refit_chain`) and
chooses xi, if asked, by honest K-fold cross-validation on a grid.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import check_cv
from sklearn.utils.validation import validate_data

from ._cv_params import check_numeric_y
from ._docstrings import fill_doc
from ._prediction import MembersRegressorMixin
from ._refit_chain import (
    STEP_CONSTRAINTS,
    FoldChain,
    cross_validated_xi,
    squared_loss_chain,
    take_steps,
)
from ._validation import HasMethods, ValidatedParamsMixin, check_sample_weight

DEFAULT_XI_GRID = tuple(np.round(np.linspace(-1.0, 2.0, 13), 10))


class SelfDistillationRegressor(
    MembersRegressorMixin, ValidatedParamsMixin, MetaEstimatorMixin, RegressorMixin, BaseEstimator
):
    """Self-distill any regressor: each step refits a fresh clone on teacher/label mixtures.

    Objective of step i (squared loss): the student minimises
    ``xi_i * sum (f_{i-1}(x) - f(x))^2 + (1 - xi_i) * sum (y - f(x))^2``, which for a least-squares
    learner is the same as fitting the mixed target ``xi_i f_{i-1}(x) + (1 - xi_i) y`` (the two
    objectives differ by a constant). The teacher ``f_0`` is the estimator fitted on y. ``xi``
    weights the teacher and may lie outside [0, 1].

    Unlike :class:`~selfdistill.SelfDistilledRidge` there is **no closed form**: every step is a
    real refit (k + 1 fits, more with ``xi="cv"``), and xi can only be chosen on a grid.

    Parameters
    ----------
    estimator : regressor, default=None
        Any sklearn regressor (cloned, never modified); None means ``Ridge(alpha=1.0)``.
    xi : sequence of float or "cv", default=(0.5,)
        Per-step imitation parameters, or ``"cv"`` to choose each step's xi from ``xi_grid`` by
        K-fold cross-validation (then ``n_steps`` sets k). A step keeps ``xi = 0`` (it changes
        nothing) unless another xi beats it by more than one standard error.
    n_steps : int, default=1
        Number of steps when ``xi="cv"`` (ignored otherwise).
    xi_grid : sequence of float, default=13 values from -1 to 2
        Candidates for ``xi="cv"``; values outside [0, 1] are included on purpose.
    cv : int or cross-validation splitter, default=5
        Folds for ``xi="cv"``. Within each fold the whole chain (teacher and earlier students) is
        refitted on the fold's training rows, so the held-out rows never inform the targets.
    verbose : bool, default=False
        Show a progress bar over steps.

    Attributes
    ----------
    estimators_ : list of fitted regressors
        Teacher (index 0) and the k students.
    xi_ : ndarray of shape (k,)
        Imitation parameters used (chosen ones under ``xi="cv"``).
    n_steps_ : int
    cv_scores_ : ndarray of shape (k, len(xi_grid)) or None
        Mean held-out MSE of each candidate at each step (``xi="cv"`` only).
    n_features_in_, feature_names_in_ :
        As usual in sklearn.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from selfdistill import SelfDistillationRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(100, 2)); y = np.sin(6 * X[:, 0]) + 0.3 * rng.normal(size=100)
    >>> tree = DecisionTreeRegressor(max_depth=4, random_state=0)
    >>> model = SelfDistillationRegressor(tree, xi=[0.5, 0.5]).fit(X, y)
    >>> len(model.estimators_)
    3
    """

    _parameter_constraints = {
        "estimator": [None, HasMethods("fit", "predict", "get_params")],
        **STEP_CONSTRAINTS,
    }

    def __init__(self, estimator=None, xi=(0.5,), n_steps=1, xi_grid=DEFAULT_XI_GRID, cv=5, verbose=False):
        self.estimator, self.xi, self.n_steps, self.xi_grid = estimator, xi, n_steps, xi_grid
        self.cv, self.verbose = cv, verbose

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher and the students (the estimator must accept any ``sample_weight``).

        %(fit_regressor_sections)s
        """
        params = self._validate_params()
        base = Ridge(alpha=1.0) if params.estimator is None else params.estimator
        check_numeric_y(y)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        sw = check_sample_weight(sample_weight, X.shape[0])
        chain = squared_loss_chain(lambda: clone(base), X, y, sw)
        folds = self._fold_chains(base, X, y, sw) if isinstance(params.xi, str) else None
        row_weight = np.ones(X.shape[0]) if sw is None else sw
        take_steps(self, chain, params, lambda: cross_validated_xi(folds, params.xi_grid, X.shape[0], row_weight))
        self._y_shape_tail = y.shape[1:]
        return self

    def _fold_chains(self, base, X, y, sw) -> list[FoldChain]:
        """Per fold: the chain refitted on the training rows, scored by MSE on the held-out rows.

        Honest by construction: the whole chain (teacher and earlier students) is refitted on the
        fold's training rows. The choice keeps ``xi = 0`` within one standard error
        (:func:`~selfdistill._refit_chain.cross_validated_xi`).
        """
        folds = []
        for train, test in check_cv(self.cv).split(X, y):

            def held_out_mse(model, test=test):
                residual = y[test] - np.asarray(model.predict(X[test])).reshape(y[test].shape)
                return np.mean(residual.reshape(len(test), -1) ** 2, axis=1)

            chain = squared_loss_chain(lambda: clone(base), X[train], y[train], None if sw is None else sw[train])
            folds.append(FoldChain(chain, test, held_out_mse, None if sw is None else sw[test]))
        return folds

    def _members(self):
        return self.estimators_[-1:]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = Ridge() if self.estimator is None else self.estimator
        if hasattr(base, "__sklearn_tags__") and not isinstance(base, type):  # else: fit explains
            tags.target_tags.multi_output = base.__sklearn_tags__().target_tags.multi_output
        tags.input_tags.sparse = False
        return tags
