"""Repeated self-distillation of any scikit-learn regressor (no closed form)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from ._cv_params import check_numeric_y
from ._progress import progress
from ._selection import one_standard_error_choice
from ._validation import check_n_steps, check_sample_weight, check_xi

DEFAULT_XI_GRID = tuple(np.round(np.linspace(-1.0, 2.0, 13), 10))


def check_regressor(estimator):
    """The base learner must be a scikit-learn style regressor *object* (fit, predict, get_params)."""
    missing = [m for m in ("fit", "predict", "get_params") if not callable(getattr(estimator, m, None))]
    if isinstance(estimator, type) or missing:
        what = f"the class {estimator.__name__}" if isinstance(estimator, type) else repr(estimator)
        raise TypeError(
            f"estimator must be a scikit-learn regressor instance providing fit(X, y), predict(X) "
            f"and get_params() (e.g. Ridge() or DecisionTreeRegressor()), got {what}"
            + (f", which lacks {', '.join(missing)}" if missing and not isinstance(estimator, type) else "")
            + ". Pass an instance, not a name or a class."
        )
    return estimator


class SelfDistillationRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
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

    def __init__(self, estimator=None, xi=(0.5,), n_steps=1, xi_grid=DEFAULT_XI_GRID, cv=5, verbose=False):
        self.estimator = estimator
        self.xi = xi
        self.n_steps = n_steps
        self.xi_grid = xi_grid
        self.cv = cv
        self.verbose = verbose

    def fit(self, X, y, sample_weight=None):
        """Fit the teacher and the students.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Passed to every fit (the estimator must accept ``sample_weight``).

        Returns
        -------
        self
        """
        base = Ridge(alpha=1.0) if self.estimator is None else check_regressor(self.estimator)
        tune = isinstance(self.xi, str)
        if tune and self.xi != "cv":
            raise ValueError(f"xi must be a sequence of numbers or 'cv', got {self.xi!r}.")
        k = check_n_steps(self.n_steps) if tune else check_xi(self.xi).size
        grid = check_xi(self.xi_grid, "xi_grid") if tune else None
        if tune and grid.size == 0:
            raise ValueError("xi_grid is empty; give at least one candidate xi.")
        check_numeric_y(y)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        sw = check_sample_weight(sample_weight, X.shape[0])
        if sw is not None and not has_fit_parameter(base, "sample_weight"):
            raise ValueError(f"{type(base).__name__} does not accept sample_weight.")
        fit_kw = {} if sw is None else {"sample_weight": sw}
        teacher = clone(base).fit(X, y, **fit_kw)
        self.estimators_ = [teacher]
        xis = []
        self.cv_scores_ = np.empty((k, grid.size)) if tune else None
        folds = self._fold_chains(base, X, y, sw) if tune else None
        for step in progress(range(k), desc="self-distillation steps", enabled=self.verbose):
            # some regressors return (n,) for a (n, 1) target: align shapes before mixing
            previous = np.asarray(self.estimators_[-1].predict(X)).reshape(y.shape)
            if tune:
                value, scores, folds = self._choose_xi(base, X, y, sw, grid, folds)
                self.cv_scores_[step] = scores
            else:
                value = float(check_xi(self.xi)[step])
            student = clone(base).fit(X, value * previous + (1.0 - value) * y, **fit_kw)
            self.estimators_.append(student)
            xis.append(value)
        self.xi_ = np.asarray(xis, dtype=np.float64)
        self._y_shape_tail = y.shape[1:]
        self.n_steps_ = k
        return self

    def _fold_chains(self, base, X, y, sw):
        """Per fold: (train rows, test rows, the chain's current model fitted on the train rows)."""
        splitter = check_cv(self.cv)
        chains = []
        for train, test in splitter.split(X, y):
            kw = {} if sw is None else {"sample_weight": sw[train]}
            chains.append((train, test, clone(base).fit(X[train], y[train], **kw)))
        return chains

    def _choose_xi(self, base, X, y, sw, grid, folds):
        """Held-out MSE of every xi of the grid; the best, or 0 (no change) within one SE of it.

        Honest by construction (the chain is refitted on each fold's training rows); the
        one-standard-error rule prefers ``xi = 0`` -- the student refits y, i.e. the step changes
        nothing -- unless another xi is better by more than one standard error of the paired
        per-row difference (issue 9: do not spend a step on noise).
        """
        scores = np.zeros(grid.size)
        row_errors = np.zeros((X.shape[0], grid.size))
        fitted = [[None] * len(folds) for _ in grid]
        for f, (train, test, model) in enumerate(folds):
            kw = {} if sw is None else {"sample_weight": sw[train]}
            previous = np.asarray(model.predict(X[train])).reshape(y[train].shape)
            for g, value in enumerate(grid):
                student = clone(base).fit(X[train], value * previous + (1 - value) * y[train], **kw)
                residual = y[test] - np.asarray(student.predict(X[test])).reshape(y[test].shape)
                weights = None if sw is None else sw[test]
                per_row = np.mean(residual.reshape(len(test), -1) ** 2, axis=1)
                scores[g] += np.average(per_row, weights=weights)
                row_errors[test, g] += per_row * (1.0 if sw is None else sw[test])
                fitted[g][f] = student
        scores /= len(folds)
        best = int(np.argmin(scores))
        zero = np.flatnonzero(grid == 0.0)
        if zero.size:
            row_weight = np.ones(X.shape[0]) if sw is None else sw
            best = one_standard_error_choice(row_errors, row_weight, [int(zero[0])], best)
        advanced = [(train, test, fitted[best][f]) for f, (train, test, _) in enumerate(folds)]
        return float(grid[best]), scores, advanced

    def predict(self, X):
        """Predict with the last student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to predict.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.estimators_[-1].predict(X)).reshape((X.shape[0],) + self._y_shape_tail)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = Ridge() if self.estimator is None else self.estimator
        if hasattr(base, "__sklearn_tags__") and not isinstance(base, type):  # else: fit explains
            tags.target_tags.multi_output = base.__sklearn_tags__().target_tags.multi_output
        tags.input_tags.sparse = False
        return tags
