"""scikit-learn estimators for k-step self-distilled ridge regression.

Objective (Pareek, Du & Oh 2024, eq. 1 with squared loss). The teacher is ridge,
``theta_0 = argmin ||y - X theta||^2 + alpha ||theta||^2`` (``alpha`` = the paper's lambda on the
*sum* of squares, exactly sklearn's ``Ridge(alpha)``); step i = 1..k refits ridge with the same
alpha on the mixed target ``xi_i * X theta_{i-1} + (1 - xi_i) * y`` (``xi`` weights the teacher;
any real value, never clipped). X is n_samples x n_features; the paper's design is its transpose.

With an intercept, X and y are centred first (weighted means with ``sample_weight``); SD on the
centred problem plus the intercept ``y_mean - x_mean @ coef`` equals SD with an unpenalised
intercept refitted at every step, because the mean of every mixed target is ``y_mean``
(theory.md section 7, item 10).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _filters, _scale
from ._estimator_utils import (
    TunedMixin,
    best_per_step,
    check_common_cv_params,
    check_fixed_params,
    format_coef,
    intercept_from,
    noise_for_cp,
    prepare_validation,
    safe_xi,
    select_candidate,
    set_tuning_attributes,
    smoother_from_design,
    step_filters,
)
from ._spectral import SpectralDesign
from ._tuning import evaluate_grid
from ._validation import check_magnitude, check_sample_weight

DEFAULT_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3)


class _LinearSDMixin:
    """Prediction and tags shared by the linear self-distillation estimators."""

    def predict(self, X):
        """Predict with the distilled model: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix or dask collection of shape (n_samples, n_features)
            Samples to predict.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            A lazy dask array (computed block by block) when X is a dask array or DataFrame.
        """
        check_is_fitted(self, "coef_")
        # --- scale-out hook (issue 13): dask input -> lazy dask predictions
        lazy = _scale.predict(self, X)
        if lazy is not None:
            return lazy
        # --- end of hook
        X = validate_data(self, X, reset=False, dtype=np.float64, accept_sparse=("csr", "csc"))
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        tags.input_tags.sparse = True  # scale-out hook (issue 13): the Gram route takes CSR/CSC
        return tags

    def _validate_fit_data(self, X, y, sample_weight):
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, ensure_min_samples=1
        )
        check_magnitude(X, "X")
        check_magnitude(y, "y")
        return X, y, check_sample_weight(sample_weight, X.shape[0])


class SelfDistilledRidge(_LinearSDMixin, RegressorMixin, BaseEstimator):
    """Ridge regression self-distilled k times with fixed imitation parameters.

    Objective: the teacher ``theta_0 = argmin ||y - X theta||^2 + alpha ||theta||^2`` and, for
    ``i = 1..k``, ``theta_i = argmin ||xi_i X theta_{i-1} + (1 - xi_i) y - X theta||^2 + alpha ||theta||^2``
    (Pareek, Du & Oh 2024). All k + 1 fits come in closed form from one decomposition of X:
    per eigen-direction the coefficient is the ridge coefficient times the polynomial
    ``m(a) = xi_k a m_{k-1}(a) + 1 - xi_k`` of the ridge shrinkage ``a = s^2 / (s^2 + alpha)``.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty on the *sum* of squares (the paper's lambda; sklearn's ``Ridge(alpha)``),
        shared by every step. Must be > 0.
    xi : float or sequence of float, default=(0.5,)
        Imitation parameters, one per distillation step (k = len(xi); a scalar means k = 1; an
        empty sequence gives plain ridge). ``xi_i`` weights the teacher's predictions; values
        outside [0, 1] are legitimate (xi < 0 undoes over-regularisation, xi > 1 shrinks more).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (X and y are centred before distillation).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients of the last student.
    intercept_ : float or ndarray of shape (n_targets,)
    teacher_coef_ : ndarray, same shape as ``coef_``
        The ridge teacher's coefficients.
    step_coefs_ : ndarray of shape (k + 1, n_features) or (k + 1, n_targets, n_features)
        Coefficients of the teacher (index 0) and of every student.
    xi_ : ndarray of shape (k,)
        The imitation parameters used.
    xibar_ : ndarray of shape (k,)
        The same in the reparametrisation where the risk is quadratic.
    n_steps_ : int
        k.
    singular_values_ : ndarray of shape (r,)
        Singular values of the (centred, weighted) design.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has feature names (pandas, dask DataFrame).
    statistics_ : GroupedStatistics
        Only after ``partial_fit`` or a ``fit`` on sparse or dask input: the accumulated sufficient
        statistics (``statistics_.total()`` is a :class:`~selfdistill.SufficientStatistics`).

    See Also
    --------
    SelfDistilledRidgeCV : Chooses alpha, k and xi exactly from one decomposition.
    selfdistill.sd_coef : The same coefficients as a function (no intercept).

    Examples
    --------
    >>> import numpy as np
    >>> from selfdistill import SelfDistilledRidge
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3)); y = X @ [1.0, 0.0, -2.0] + rng.normal(size=50)
    >>> model = SelfDistilledRidge(alpha=10.0, xi=[-0.5, 0.5]).fit(X, y)
    >>> model.step_coefs_.shape
    (3, 3)
    """

    def __init__(self, alpha=1.0, xi=(0.5,), fit_intercept=True):
        self.alpha = alpha
        self.xi = xi
        self.fit_intercept = fit_intercept

    def fit(self, X, y, sample_weight=None):
        """Fit the teacher and the k students.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix or dask collection of shape (n_samples, n_features)
            Training data. Sparse (CSR/CSC) and dask input (arrays, DataFrames; never materialised)
            are reduced to sufficient statistics and decomposed with ``eigh`` of ``X^T X``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights with sklearn ``Ridge``'s meaning (weight 2 = a duplicated row).

        Returns
        -------
        self
        """
        alpha, xi = check_fixed_params(self.alpha, self.xi)
        # --- scale-out hook (issue 13): sparse / dask input -> decomposition of its statistics
        if _scale.uses_statistics(X):
            design, y_ndim = _scale.fixed_design(self, X, y, sample_weight)
            return self._realise(design, y_ndim, alpha, xi)
        self.__dict__.pop("statistics_", None)
        # --- end of hook
        X, y, sw = self._validate_fit_data(X, y, sample_weight)
        design = SpectralDesign.from_X(X, y, center=self.fit_intercept, sample_weight=sw)
        return self._realise(design, y.ndim, alpha, xi)

    def partial_fit(self, X, y, sample_weight=None):
        """Add a chunk of rows and refit exactly: the result equals ``fit`` on all chunks so far.

        The chunk's sufficient statistics (centred ``X^T W X``, ``X^T W y``, ``y^T W y``, weighted
        means) are merged exactly into ``statistics_`` (Chan, Golub & LeVeque's pairwise update),
        and the model is re-derived from one ``eigh`` of the d x d Gram matrix, O(d^3) per call.
        ``fit`` on an in-memory array keeps no statistics: a ``partial_fit`` after it starts anew.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix or dask collection of shape (n_rows, n_features)
            A chunk of rows (a chunk with no rows is a no-op).
        y : array-like of shape (n_rows,) or (n_rows, n_targets)
            Targets of those rows.
        sample_weight : array-like of shape (n_rows,), optional
            Non-negative weights (weight 2 = a duplicated row).

        Returns
        -------
        self
        """
        alpha, xi = check_fixed_params(self.alpha, self.xi)
        design, y_ndim = _scale.fixed_partial_design(self, X, y, sample_weight)
        return self._realise(design, y_ndim, alpha, xi)

    def _realise(self, design, y_ndim, alpha, xi):
        """Teacher and students from one decomposition (every input route ends here)."""
        a, t = _filters.shrinkage(design.singular_values, alpha)
        coefs = [design.coef_from_filter(h) for h in step_filters(a, t, xi)]
        self.step_coefs_ = np.stack([format_coef(c, y_ndim) for c in coefs])
        self.teacher_coef_ = self.step_coefs_[0]
        self.coef_ = self.step_coefs_[-1]
        self.intercept_ = intercept_from(design, coefs[-1], self.fit_intercept, y_ndim)
        self.xi_ = xi
        self.xibar_ = _filters.xi_to_xibar(xi)
        self.n_steps_ = xi.size
        self.singular_values_ = design.singular_values
        return self


class SelfDistilledRidgeCV(TunedMixin, _LinearSDMixin, RegressorMixin, BaseEstimator):
    """Self-distilled ridge with alpha, k and xi chosen together, exactly, from one decomposition.

    For every ``alpha`` in ``alphas`` and ``k`` in ``n_steps`` the imitation parameters are the
    *exact* minimiser of the tuning criterion (each criterion is quadratic in the reparametrised
    xi), never a grid point, and xi ranges over all of R^k. The (alpha, k) with the lowest
    criterion wins (ties go to fewer steps). Objective, conventions and the intercept are as in
    :class:`SelfDistilledRidge` (``alpha`` = the paper's lambda on the sum of squares; xi weights
    the teacher; X is n_samples x n_features).

    Parameters
    ----------
    alphas : sequence of float, default=(1e-3, 1e-2, 0.1, 1, 10, 100, 1000)
        Candidate penalties (> 0).
    n_steps : int or sequence of int, default=(0, 1, 2)
        Candidate numbers of distillation steps (0 = ridge).
    tuning : {"gcv", "loo", "cp", "validation"}, default="gcv"
        - ``"gcv"``: one-shot generalised cross-validation of Dang, Patil & Rinaldo (2026), no
          split and no refit; see ``one_shot``.
        - ``"loo"``: exact leave-one-out of the whole k-step procedure (each left-out fit reruns
          teacher and students); xi minimises the LOO mean squared error (one xi for all folds).
        - ``"cp"``: Mallows' Cp / SURE, an unbiased estimate of the in-sample prediction error in
          fixed design; needs ``noise_var`` or estimates it from the OLS residuals.
        - ``"validation"``: the paper's protocol, the mean squared error on held-out data
          (``X_val, y_val`` passed to ``fit``, else a random ``validation_fraction`` split).
          The model is fitted on the training part only and not refitted.
    one_shot : {"ridge_path", "gcv_paper"}, default="ridge_path"
        Which one-shot GCV estimator selects under ``tuning="gcv"``. ``"gcv_paper"`` is the
        paper's estimator (its k >= 2 generalisation is ours); ``"ridge_path"`` is the toolkit's
        corrected derivative estimator (followups.md section 2.6: the plain GCV estimate of xi
        carries a persistent bias factor ``(1 - df_2)/(1 - df_1)``). Both are always reported.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (X and y are centred before distillation).
    noise_var : float, optional
        Noise variance for ``tuning="cp"``; estimated as ``RSS_OLS / (n - rank - 1)`` if None.
    validation_fraction : float, default=0.3
        Share of the rows held out when ``tuning="validation"`` and no ``X_val`` is given.
    random_state : int, RandomState instance or None, default=None
        Seed of that split.

    Attributes
    ----------
    alpha_ : float
    n_steps_ : int
    xi_ : ndarray of shape (n_steps_,) or None
        Selected per-step xi (None if the selected xibar has no finite per-step form).
    xibar_ : ndarray of shape (n_steps_,)
    coef_, intercept_, teacher_coef_ :
        As in :class:`SelfDistilledRidge` (teacher = ridge at ``alpha_``).
    best_score_ : float
        Minus the criterion's estimate of the mean squared error of the selected model
        (sklearn's "higher is better").
    cv_results_ : dict of ndarray
        One entry per (alpha, k) candidate: ``alpha``, ``n_steps``, ``mse``, ``score``,
        ``xibar`` and ``xi`` (object arrays), ``rank``; under ``gcv`` also ``mse_ridge_path``,
        ``mse_gcv_paper``, ``xibar_ridge_path``, ``xibar_gcv_paper``. ``pandas.DataFrame(cv_results_)``
        gives a table; :meth:`report` a summary and plots.
    noise_var_ : ndarray of shape (n_targets,) or None
        Noise variance used by ``cp``.
    one_shot_identity_ : dict or None
        Under ``gcv`` with 1-step candidates: the largest relative deviations from the exact
        identity between the two one-shot estimators (equal optimal risks; xi ratio
        ``(1 - df_2)/(1 - df_1)``), a built-in self-check that should be ~1e-15.
    best_by_steps_ : dict
        For each k of ``n_steps``, the best candidate with that many steps: a dict with
        ``alpha``, ``xi``, ``xibar``, ``mse``, ``coef`` and ``intercept`` (predict with
        ``X @ coef.T + intercept``). Lets one compare "the best ridge", "the best 1-step model", ...
        from a single fit.
    n_features_in_, feature_names_in_ :
        As usual in sklearn.
    statistics_ : GroupedStatistics
        Only after ``partial_fit`` or a ``fit`` on sparse or dask input: the accumulated sufficient
        statistics (with a train/validation row split under ``tuning="validation"``).

    Notes
    -----
    Cost: one decomposition of X (``X^T X`` + ``eigh``, or a thin SVD when ``X^T X`` would be
    ill-conditioned), then O(r k^2) per (alpha, k) for ``gcv``/``cp``, O(n_val r k) for
    ``validation`` and O(n r k) for ``loo``.

    Every criterion's value for the selected candidate is optimistic, since xi was fitted to the
    same criterion, and more steps never raise it (the (k-1)-step family is nested in the k-step
    one). The largest k in ``n_steps`` therefore usually wins even when its extra imitation
    parameters only fit noise; ``best_by_steps_`` keeps the best model for every k, and an honest
    comparison of k uses held-out data, e.g.
    ``GridSearchCV(SelfDistilledRidgeCV(), {"n_steps": [(0,), (0, 1), (0, 1, 2)]})``.

    Examples
    --------
    >>> import numpy as np
    >>> from selfdistill import SelfDistilledRidgeCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5)); y = X @ rng.normal(size=5) + rng.normal(size=200)
    >>> model = SelfDistilledRidgeCV(alphas=np.logspace(-2, 3, 11), n_steps=(0, 1, 2)).fit(X, y)
    >>> model.n_steps_ in (0, 1, 2)
    True
    """

    def __init__(
        self,
        alphas=DEFAULT_ALPHAS,
        n_steps=(0, 1, 2),
        tuning="gcv",
        one_shot="ridge_path",
        fit_intercept=True,
        noise_var=None,
        validation_fraction=0.3,
        random_state=None,
    ):
        self.alphas = alphas
        self.n_steps = n_steps
        self.tuning = tuning
        self.one_shot = one_shot
        self.fit_intercept = fit_intercept
        self.noise_var = noise_var
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Choose (alpha, k, xi) and fit the selected model.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix or dask collection of shape (n_samples, n_features)
            Training data. Sparse (CSR/CSC) and dask input (arrays, DataFrames; never materialised)
            are reduced to sufficient statistics and decomposed with ``eigh`` of ``X^T X``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (weight 2 = a duplicated row). Under ``gcv`` and ``cp`` the
            selection is exactly invariant to that duplication; under ``loo`` a row of weight 2 is
            left out as a whole, and under ``validation`` the split differs.
        X_val, y_val : array-like, optional
            Held-out data for ``tuning="validation"`` (otherwise an internal split is used).

        Returns
        -------
        self
        """
        alphas, steps = check_common_cv_params(self)
        # --- scale-out hook (issue 13): sparse / dask input -> tuning view of its statistics
        if _scale.uses_statistics(X):
            design, smoother, y_ndim = _scale.tuning_inputs(self, X, y, sample_weight, X_val, y_val)
            return self._select(design, smoother, y_ndim, alphas, steps)
        self.__dict__.pop("statistics_", None)
        # --- end of hook
        X, y, sw = self._validate_fit_data(X, y, sample_weight)
        X, y, sw, X_val, y_val, sw_val = prepare_validation(self, X, y, sw, X_val, y_val)
        design = SpectralDesign.from_X(
            X, y, center=self.fit_intercept, sample_weight=sw, keep_left=self.tuning == "loo"
        )
        smoother = self._smoother(design, X, y, sw, X_val, y_val, sw_val)
        return self._select(design, smoother, y.ndim, alphas, steps)

    @available_if(_scale.partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None):
        """Add a chunk of rows and re-tune exactly: equals ``fit`` on all chunks so far.

        Available for ``tuning`` in ``{"gcv", "cp", "validation"}``, whose criteria are functions
        of sufficient statistics; under ``"validation"`` each row joins the validation part by a
        hash of its position and ``random_state`` (the same rows as a dask ``fit``, not the rows of
        ``train_test_split``). ``tuning="loo"`` needs every row's leverage: the estimator then has
        no ``partial_fit`` (an ``AttributeError`` says why). Each call costs one ``eigh`` of the
        d x d Gram matrix plus the tuning. ``fit`` on an in-memory array keeps no statistics: a
        ``partial_fit`` after it starts anew.

        Parameters
        ----------
        X : array-like, scipy.sparse matrix or dask collection of shape (n_rows, n_features)
            A chunk of rows (a chunk with no rows is a no-op).
        y : array-like of shape (n_rows,) or (n_rows, n_targets)
            Targets of those rows.
        sample_weight : array-like of shape (n_rows,), optional
            Non-negative weights (weight 2 = a duplicated row).

        Returns
        -------
        self
        """
        alphas, steps = check_common_cv_params(self)
        design, smoother, y_ndim = _scale.tuning_partial_inputs(self, X, y, sample_weight)
        return self._select(design, smoother, y_ndim, alphas, steps)

    def _select(self, design, smoother, y_ndim, alphas, steps):
        """Tune on the smoother and realise the selected model (every input route ends here)."""
        noise = noise_for_cp(self, smoother)
        candidates = evaluate_grid(
            smoother, alphas, steps, self.tuning, one_shot=self.one_shot, noise_var=noise
        )
        best = select_candidate(candidates, alphas, steps, type(self).__name__)
        a, t = smoother.shrinkage(best.alpha)
        coef = design.coef_from_filter(a - best.u)
        self.coef_ = format_coef(coef, y_ndim)
        self.teacher_coef_ = format_coef(design.coef_from_filter(a), y_ndim)
        self.intercept_ = intercept_from(design, coef, self.fit_intercept, y_ndim)
        set_tuning_attributes(self, best, candidates, noise)
        self.singular_values_ = design.singular_values
        self.best_by_steps_ = {}
        for k, cand in best_per_step(candidates).items():
            a_k, _ = smoother.shrinkage(cand.alpha)
            coef_k = design.coef_from_filter(a_k - cand.u)
            self.best_by_steps_[k] = {
                "alpha": cand.alpha,
                "xi": safe_xi(cand.xibar),
                "xibar": cand.xibar,
                "mse": cand.mse,
                "coef": format_coef(coef_k, y_ndim),
                "intercept": intercept_from(design, coef_k, self.fit_intercept, y_ndim),
            }
        return self

    def _smoother(self, design, X, y, sw, X_val, y_val, sw_val):
        n_total = float(X.shape[0] if sw is None else sw.sum())
        p0 = int(self.fit_intercept)
        root_w = np.ones(X.shape[0]) if sw is None else np.sqrt(sw)
        y2 = y.reshape(X.shape[0], -1)
        y_tilde = None
        if self.tuning == "loo":
            offset = design.y_offset if self.fit_intercept else 0.0
            y_tilde = (y2 - offset) * root_w[:, None]
        smoother = smoother_from_design(design, n_total, p0, y_tilde=y_tilde, root_w=root_w)
        if self.tuning == "validation":
            Xv = X_val - design.x_offset
            yv = np.asarray(y_val, dtype=np.float64).reshape(Xv.shape[0], -1)
            if self.fit_intercept:
                yv = yv - design.y_offset
            s = design.singular_values
            smoother.val_map = (Xv @ design.components) / np.where(s > 0, s, 1.0)
            if sw_val is not None:
                root = np.sqrt(sw_val)[:, None]
                smoother.val_map = smoother.val_map * root
                yv = yv * root
            smoother.y_val = yv
            smoother.val_weight = float(Xv.shape[0] if sw_val is None else sw_val.sum())
            if smoother.val_weight <= 0:
                raise ValueError("the validation part has zero total sample weight.")
        return smoother
