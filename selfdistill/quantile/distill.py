"""Self-distillation for quantile regression (the quantile chapter of the user guide).

Two estimators:

* :class:`QuantileSelfDistillation` -- a linear quantile student fitted to a quantile teacher and
  the data with the two-term loss ``xi rho_tau(T_i - q(x_i)) + (1 - xi) rho_tau(y_i - q(x_i))``
  (``pointwise``: ``T_i = Q_teacher(tau|x_i)``; ``distributional``: the teacher term is the mean check
  loss over pseudo-responses ``Q_teacher(u_m|x_i)``), with teacher imputation of censored responses.
* :class:`SelfDistilledKernelQuantileRegressor` -- repeated self-distillation of kernel quantile
  regression (check loss + RKHS ridge), with ``xi`` fixed or chosen by cross-validation.

``xi`` weights the teacher, as everywhere in selfdistill. Unlike the squared loss, a check loss with a
negative weight makes the objective non-convex, so ``xi`` must lie in [0, 1] here; values outside
are refused with an error (never clipped).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics.pairwise import kernel_metrics, pairwise_kernels
from sklearn.model_selection import KFold, check_cv
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._validation import (
    POSITIVE,
    POSITIVE_INT,
    Boolean,
    Converter,
    HasMethods,
    InstanceOf,
    Interval,
    Options,
    ValidatedParamsMixin,
)
from ._checks import FIT_DOCS, check_fit_data, check_identified
from ._lp import check_loss, quantile_lp

_LEVEL = [Interval(numbers.Real, 0, 1, closed="neither")]


def _as_unit_weights(xi, name):
    """Converter: teacher weights in [0, 1] as a 1-D array, one per step (refused, never clipped, outside)."""
    if isinstance(xi, (str, bytes)):
        raise ValueError(f"{name} must be finite numbers in [0, 1], got {xi!r}.")
    try:
        arr = np.atleast_1d(np.asarray(xi, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be finite numbers in [0, 1], got {xi!r}.") from None
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite numbers in [0, 1], got {xi!r}.")
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(
            f"{name} must lie in [0, 1] for quantile distillation, got {arr.tolist()}: a check loss with "
            "a negative weight makes the student's objective non-convex (no clipping is applied)."
        )
    return arr


def _as_xi_grid(xi_grid, name):
    """Converter: a non-empty grid of candidate teacher weights in [0, 1]."""
    grid = _as_unit_weights(xi_grid, name)
    if grid.size == 0:
        raise ValueError(f"{name} is empty; give at least one candidate, e.g. {name}=(0, 0.25, 0.5).")
    return grid


def _as_unit_weight(xi, name):
    """Converter: one teacher weight in [0, 1]."""
    arr = _as_unit_weights(xi, name)
    if arr.size != 1:
        raise ValueError(
            f"{name} must be a single number here, got {xi!r}; use SelfDistilledKernelQuantileRegressor for steps."
        )
    return float(arr[0])


def _as_unit_weights_or_cv(xi, name):
    """Converter: ``"cv"`` or per-step teacher weights in [0, 1]."""
    if isinstance(xi, str) and xi == "cv":
        return xi
    if isinstance(xi, str):
        raise ValueError(f"{name} must be a sequence of numbers in [0, 1] or 'cv', got {xi!r}.")
    return _as_unit_weights(xi, name)


def _teacher_levels(n_pseudo):
    return (np.arange(n_pseudo) + 0.5) / n_pseudo


def impute_censored(teacher, X, y, censoring, n_pseudo):
    """Teacher imputation of censored rows by its conditional law truncated beyond the censoring point.

    A right-censored ``y_i = c_i`` (latent response above ``c_i``) is replaced by the ``n_pseudo``
    teacher quantiles ``Q_T(u_m|x_i)`` at ``u_m = F_T(c_i|x_i) + (1 - F_T(c_i|x_i)) (m - 1/2) / M``;
    left-censored rows use ``u_m = F_T(c_i|x_i) (m - 1/2) / M``. ``F_T`` is the teacher's conditional cdf,
    read off its quantile curve on a fine level grid. Returns row indices into ``X``, the completed
    responses and the per-row weight factor (1 for observed rows, 1/M for each pseudo-response).
    """
    grid = np.linspace(0.0025, 0.9975, 399)
    cens_rows = np.flatnonzero(censoring != 0)
    rows = [np.flatnonzero(censoring == 0)]
    values = [y[rows[0]]]
    factors = [np.ones(rows[0].size)]
    if cens_rows.size:
        curves = np.maximum.accumulate(teacher.predict(X[cens_rows], quantiles=grid), axis=1)
        frac = (np.arange(n_pseudo) + 0.5) / n_pseudo
        for r, curve in zip(cens_rows, curves, strict=True):
            F = float(np.interp(y[r], curve, grid))
            u = F + (1.0 - F) * frac if censoring[r] == 1 else F * frac
            u = np.clip(u, grid[0], grid[-1])
            rows.append(np.full(n_pseudo, r))
            values.append(np.interp(u, grid, curve))
            factors.append(np.full(n_pseudo, 1.0 / n_pseudo))
    return np.concatenate(rows), np.concatenate(values), np.concatenate(factors)


class QuantileSelfDistillation(ValidatedParamsMixin, RegressorMixin, BaseEstimator):
    """A linear quantile student distilled from a quantile teacher (pointwise or distributional).

    Objective of the student ``q(x) = b_0 + x^T b`` at level ``tau = quantile``::

        sum_i w_i [ xi * L_T(x_i) + (1 - xi) * rho_tau(y_i - q(x_i)) ]

    with ``L_T(x) = rho_tau(Q_T(tau|x) - q(x))`` (``mode="pointwise"``) or
    ``L_T(x) = (1/M) sum_m rho_tau(Q_T(u_m|x) - q(x))``, ``u_m = (m - 1/2)/M`` (``"distributional"``,
    the teacher's predictive law as pseudo-responses). Two check-loss terms, not a mixed target:
    the problem is one LP (HiGHS). A teacher equal to the true conditional quantile is a fixed point.
    Censored responses (``censoring`` 1 = right, 2 = left) are first completed by the teacher's
    conditional law truncated beyond the censoring point (:func:`impute_censored`), so the student is
    fitted on completed data (an EM-like step); the teacher must handle censoring itself (e.g.
    :class:`~selfdistill.quantile.JointQuantileRegressor`). No ridge penalty in this linear student.

    Sticky teacher (why pointwise distillation from a linear teacher rarely moves): if the teacher's
    planes are themselves linear, the teacher term has zero residual at ``q = Q_T(tau|.)`` and its
    subdifferential there is the whole zonotope ``xi sum_i w_i [tau - 1, tau] x_i``; it absorbs the
    data term's subgradient, of order ``sqrt(n)``, as soon as ``xi`` exceeds a threshold of order
    ``1/sqrt(n)``. Then the student *equals* the teacher's plane. On UCI airfoil (n = 400) ``xi = 0.25``
    already reproduces it exactly (``selfdistill reproduce qrjoint``); the distributional mode, whose
    pseudo-responses spread the teacher term, does not have this property.

    Parameters
    ----------
    teacher : estimator or None
        A quantile regressor whose ``predict(X, quantiles=...)`` returns (n, n_levels) and whose ``fit``
        accepts ``censoring`` when censoring is used. None: ``JointQuantileRegressor(method="map")``.
    quantile : float, default=0.5
        The student's level ``tau``.
    xi : float, default=0.5
        Weight of the teacher term, in [0, 1].
    mode : {"pointwise", "distributional"}, default="pointwise"
    n_pseudo : int, default=19
        Pseudo-responses per row (distributional mode and censoring imputation).
    prefit : bool, default=False
        Use ``teacher`` as already fitted (not cloned, not refitted).

    Attributes
    ----------
    teacher_ : estimator
        The fitted teacher (a clone, or ``teacher`` itself when ``prefit``).
    coef_ : ndarray (n_features,)
    intercept_ : float
    """

    _parameter_constraints = {
        "teacher": [None, HasMethods("fit", "predict")],
        "quantile": _LEVEL,
        "xi": [Converter(_as_unit_weight, "a number in [0, 1]")],
        "mode": [Options("pointwise", "distributional")],
        "n_pseudo": [POSITIVE_INT],
        "prefit": [Boolean()],
    }

    def __init__(self, teacher=None, quantile=0.5, xi=0.5, mode="pointwise", n_pseudo=19, prefit=False):
        self._store_params(locals())

    @fill_doc(**FIT_DOCS)
    def fit(self, X, y, censoring=None, sample_weight=None):
        """Fit the teacher, impute censored rows, then solve the student's two-term LP.

        %(parameters_censored_fit)s
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights (both loss terms of a row).

        %(returns_self_section)s
        """
        params = self._validate_params()
        tau, xi, n_pseudo = params.quantile, params.xi, params.n_pseudo
        X, y, sw, cens = check_fit_data(self, X, y, sample_weight, censoring)
        check_identified(sw, X.shape[1])
        from .joint import JointQuantileRegressor

        if params.prefit:
            if self.teacher is None:
                raise ValueError("prefit=True needs a fitted teacher.")
            teacher = self.teacher
            check_is_fitted(teacher)
        else:
            teacher = clone(self.teacher) if self.teacher is not None else JointQuantileRegressor(method="map")
            if np.any(cens != 0):
                teacher.fit(X, y, censoring=cens, sample_weight=sw)
            else:
                teacher.fit(X, y, sample_weight=sw)
        self.teacher_ = teacher
        rows, y_obs, factor = impute_censored(teacher, X, y, cens, n_pseudo)
        levels = np.array([tau]) if params.mode == "pointwise" else _teacher_levels(n_pseudo)
        T = teacher.predict(X, quantiles=levels)  # (n, M)
        M = levels.size
        X_rows = np.vstack([X[rows], np.repeat(X, M, axis=0)])
        targets = np.concatenate([y_obs, T.ravel()])
        weights = np.concatenate([(1.0 - xi) * sw[rows] * factor, xi * np.repeat(sw, M) / M])
        keep = weights > 0
        X1 = np.column_stack([np.ones(keep.sum()), X_rows[keep]])
        coef, self.objective_ = quantile_lp(X1, targets[keep], np.array([tau]), weights[keep])
        self.intercept_ = float(coef[0, 0])
        self.coef_ = coef[0, 1:]
        return self

    @fill_doc(**FIT_DOCS)
    def predict(self, X):
        """The student's ``tau``-quantile.

        %(parameters_X_predict)s

        %(returns_quantiles)s
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.intercept_ + X @ self.coef_


def _kqr_dual(K, targets, weights, tau, alpha, b, a0=None):
    """Kernel quantile regression for a fixed intercept ``b``: box-constrained dual by L-BFGS-B.

    Primal: ``min_f sum_j w_j rho_tau(t_j - b - f(x_j)) + alpha ||f||_H^2`` over rows ``j`` that may
    share inputs; with ``rho_tau(r) = max_{a in [tau-1, tau]} a r`` the dual is
    ``max_a a^T (t - b) - a^T K a / (4 alpha)``, ``(tau - 1) w_j <= a_j <= tau w_j``, and
    ``f = K a / (2 alpha)``. Here ``K`` is the Gram matrix of the rows.
    """
    def neg_dual(a):
        Ka = K @ a
        return -(a @ (targets - b) - a @ Ka / (4 * alpha)), -((targets - b) - Ka / (2 * alpha))

    bounds = np.column_stack([(tau - 1.0) * weights, tau * weights])
    a0 = np.zeros(targets.size) if a0 is None else a0
    res = optimize.minimize(neg_dual, a0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-10})
    return res.x


def fit_kernel_quantile(K, targets, weights, tau, alpha):
    """Kernel quantile regression with an unpenalised intercept (exact).

    The intercept ``b`` is the multiplier of the dual's equality constraint ``sum_j a_j = 0``: for
    fixed ``b`` the dual is a box QP (:func:`_kqr_dual`) and, by Danskin's theorem, the derivative of
    the primal optimum in ``b`` is ``-sum_j a_j(b)``, non-increasing in ``b``. Brent's root finder on
    ``sum_j a_j(b) = 0`` gives the optimal intercept. Returns ``(a, b)`` with fitted values
    ``K a / (2 alpha) + b`` at the rows.
    """
    state = {"a": None}

    def total(b):
        state["a"] = _kqr_dual(K, targets, weights, tau, alpha, b, state["a"])
        return float(state["a"].sum())

    spread = float(np.ptp(targets)) + 1.0
    lo, hi = float(np.min(targets)) - spread, float(np.max(targets)) + spread
    if total(lo) <= 0 or total(hi) >= 0:  # cannot happen for weights with a positive sum
        raise RuntimeError("kernel quantile regression: the intercept could not be bracketed")
    b = optimize.brentq(total, lo, hi, xtol=1e-10 * spread, rtol=1e-12)
    return _kqr_dual(K, targets, weights, tau, alpha, b, state["a"]), float(b)


class SelfDistilledKernelQuantileRegressor(ValidatedParamsMixin, RegressorMixin, BaseEstimator):
    """Repeated self-distillation of kernel quantile regression (check loss + RKHS ridge).

    Teacher: ``f_0 = argmin sum_i w_i rho_tau(y_i - f(x_i)) + alpha ||f||_H^2`` (unpenalised intercept;
    ``alpha`` is the paper's lambda on the *sum* of losses, as sklearn's ``KernelRidge``). Step
    ``k = 1..K``: ``f_k = argmin sum_i w_i [xi_k rho_tau(f_{k-1}(x_i) - f(x_i)) + (1 - xi_k)
    rho_tau(y_i - f(x_i))] + alpha ||f||_H^2`` -- two check-loss terms (no mixed target), so the
    teacher's fitted values act as extra observations of weight ``xi_k``. There is no closed form
    (non-smooth loss): each fit solves the dual box QP (L-BFGS-B) with the intercept profiled.

    Fixed point (proved here, checked in the tests): with the same ``alpha`` for teacher and student,
    ``f_1 = f_0`` for every ``xi`` in [0, 1). At ``f = f_0`` pick, in the teacher term's
    subdifferential ``xi [tau - 1, tau]`` (its residual is 0), the same element ``g_i`` as in the label
    term's; the student's optimality condition then reduces to the teacher's, and the ridge makes the
    solution unique. Pointwise quantile self-distillation therefore cannot amplify regularisation the
    way ridge self-distillation does; a student with a different penalty (``student_alpha``) or a
    distributional teacher is needed for a change.

    Parameters
    ----------
    quantile : float, default=0.5
        The level ``tau`` in (0, 1).
    alpha : float, default=1.0
        RKHS ridge penalty (> 0).
    xi : sequence of float or "cv", default=(0.5,)
        Per-step teacher weights in [0, 1] (k = len(xi)); ``"cv"`` picks one ``xi`` from ``xi_grid``,
        shared by ``n_steps`` steps, by K-fold cross-validated check loss (``xi = 0`` is the plain fit).
    n_steps : int, default=1
        Steps when ``xi="cv"``.
    xi_grid : sequence of float, default=(0, 0.25, 0.5, 0.75)
        Candidates for ``xi="cv"``.
    cv : int, cross-validation splitter or iterable of (train, test) splits, default=5
        Folds of the cross-validation (an int: shuffled K-fold seeded by ``random_state``).
    kernel : str or callable, default="rbf"
        Any ``sklearn.metrics.pairwise_kernels`` metric.
    gamma : float or None
        Kernel parameter (None: ``1 / n_features`` on standardised inputs, sklearn's default).
    random_state : int or None
        Seed of the CV split.
    student_alpha : float or None
        Penalty of the students (None: ``alpha``, the fixed-point case above).

    Attributes
    ----------
    xi_ : ndarray (k,)
    step_dual_coefs_ : list of ndarray
        Representer coefficients ``c`` (``f = K c + b``) of the teacher (index 0) and each student.
    step_intercepts_ : ndarray (k + 1,)
    cv_results_ : dict
        Mean CV check loss per ``xi`` on ``xi_grid`` (only for ``xi="cv"``).
    """

    _parameter_constraints = {
        "quantile": _LEVEL,
        "alpha": [POSITIVE],
        "xi": [Converter(_as_unit_weights_or_cv, "a sequence of numbers in [0, 1] or 'cv'")],
        "n_steps": [POSITIVE_INT],
        "xi_grid": [Converter(_as_xi_grid, "a non-empty sequence of numbers in [0, 1]")],
        "cv": [
            Interval(numbers.Integral, 2, None), HasMethods("split", "get_n_splits"),
            InstanceOf(Iterable, "an iterable of (train, test) splits"),
        ],
        "kernel": [Options(*sorted(kernel_metrics())), InstanceOf(Callable, "a callable k(x, y)")],
        "gamma": [None, POSITIVE],
        "random_state": [
            None, Interval(numbers.Integral, 0, 2**32 - 1), InstanceOf(np.random.RandomState, "a numpy RandomState"),
        ],
        "student_alpha": [None, POSITIVE],
    }

    def __init__(self, quantile=0.5, alpha=1.0, xi=(0.5,), n_steps=1, xi_grid=(0.0, 0.25, 0.5, 0.75),
                 cv=5, kernel="rbf", gamma=None, random_state=None, student_alpha=None):
        self._store_params(locals())

    def _kernel(self, A, B):
        params = {} if self.gamma is None else {"gamma": self.gamma}
        return pairwise_kernels((A - self._center) / self._scale, (B - self._center) / self._scale,
                                metric=self.kernel, **params)

    def _run(self, K, y, w, tau, alphas, xis):
        """Teacher and students on a Gram matrix; returns [(c, b)] per step, f = K c + b."""
        n = y.size
        a, b = fit_kernel_quantile(K, y, w, tau, alphas[0])
        steps = [(a / (2 * alphas[0]), b)]
        K2 = np.block([[K, K], [K, K]])
        for xi in xis:
            prev = K @ steps[-1][0] + steps[-1][1]
            a2, b2 = fit_kernel_quantile(K2, np.concatenate([prev, y]), np.concatenate([xi * w, (1 - xi) * w]),
                                         tau, alphas[1])
            steps.append(((a2[:n] + a2[n:]) / (2 * alphas[1]), b2))  # rows share inputs
        return steps

    @fill_doc(**FIT_DOCS)
    def fit(self, X, y, sample_weight=None):
        """Fit the teacher and the distillation steps (choosing ``xi`` by CV if asked).

        %(parameters_check_loss_fit)s

        %(returns_self_section)s
        """
        params = self._validate_params()
        tau = params.quantile
        alphas = (params.alpha, params.alpha if params.student_alpha is None else params.student_alpha)
        X, y, sw, _ = check_fit_data(self, X, y, sample_weight)
        # weighted standardisation, so that a weight of 2 and a duplicated row give the same kernel
        self._center = (sw / sw.sum()) @ X
        sd = np.sqrt((sw / sw.sum()) @ (X - self._center) ** 2)
        self._scale = np.where(sd > 0, sd, 1.0)
        K = self._kernel(X, X)
        if isinstance(params.xi, str):  # "cv"
            grid = params.xi_grid
            losses = np.zeros(grid.size)
            if isinstance(params.cv, numbers.Integral):
                folds = KFold(n_splits=params.cv, shuffle=True, random_state=params.random_state)
            else:
                folds = check_cv(params.cv)
            for train, test in folds.split(X, y):
                Ktr, Kte = K[np.ix_(train, train)], K[np.ix_(test, train)]
                for g, xi in enumerate(grid):
                    c, b = self._run(Ktr, y[train], sw[train], tau, alphas, [xi] * params.n_steps)[-1]
                    pred = Kte @ c + b
                    losses[g] += sw[test] @ check_loss(y[test] - pred, tau)
            self.cv_results_ = {"xi": grid, "mean_check_loss": losses / sw.sum()}
            # ties (see the fixed-point note above) go to the smallest xi, i.e. towards the plain fit
            best = np.flatnonzero(losses <= losses.min() * (1 + 1e-6) + 1e-12)[0]
            xis = np.full(params.n_steps, grid[best])
        else:
            xis = params.xi
        steps = self._run(K, y, sw, tau, alphas, xis)
        self.xi_ = xis
        self.n_steps_ = xis.size
        self.step_dual_coefs_ = [c for c, _ in steps]
        self.step_intercepts_ = np.array([b for _, b in steps])
        self.X_fit_ = X
        return self

    @fill_doc(**FIT_DOCS)
    def predict(self, X, step=-1):
        """The ``tau``-quantile predicted by one step.

        %(parameters_X_predict)s
        step : int, default=-1
            Which fit: 0 = teacher, -1 = the last student.

        %(returns_quantiles)s
        """
        check_is_fitted(self, "step_dual_coefs_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._kernel(X, self.X_fit_) @ self.step_dual_coefs_[step] + self.step_intercepts_[step]
