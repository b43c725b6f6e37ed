"""Self-distillation of kernel ridge regression (Mobahi et al. 2020; Borup & Andersen 2021).

Objective, in the RKHS H of the kernel: the teacher ``f_0 = argmin_f sum_i w_i (y_i - f(x_i))^2 +
alpha ||f||_H^2`` (sklearn's ``KernelRidge(alpha)``, no intercept) and for i = 1..k
``f_i = argmin_f sum_j w_j (xi_i f_{i-1}(x_j) + (1 - xi_i) y_j - f(x_j))^2 + alpha ||f||_H^2``.
With the eigendecomposition ``W^{1/2} K W^{1/2} = Q diag(d) Q^T`` of the (weighted) kernel matrix
this is the linear engine with ``s^2 = d``: the fitted values are ``Q diag(h) Q^T y`` with the
k-step filter ``h = a m(a)``, ``a = d / (d + alpha)``.

Special cases (in our convention xi weights the teacher):

* Mobahi, Farajtabar & Bartlett (2020), penalised form: pure self-distillation ``xi = 1`` at every
  step, filter ``a^{k+1}`` (their constrained form with a per-round penalty is not implemented).
* Borup & Andersen (2021): ground-truth weight ``alpha_BA = 1 - xi``; for a constant xi in [0, 1)
  and k -> infinity the estimator tends to kernel ridge with penalty ``alpha / (1 - xi)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _filters
from ._cv_params import FIXED_XI_PARAMS, TUNING_PARAMS, SpectralTagsMixin, validate_fit_data
from ._cv_pipeline import SpectralCVMixin
from ._docstrings import fill_doc
from ._problems import KernelProblem
from ._realise import step_filters
from ._validation import (
    NON_NEGATIVE,
    POSITIVE,
    HasMethods,
    InstanceOf,
    Interval,
    ValidatedParamsMixin,
)
from .linear_model import DEFAULT_ALPHAS

#: Constraint table of the kernel parameters (those sklearn's ``KernelRidge`` refuses are refused
#: before any kernel is computed).
KERNEL_PARAMS = {
    "kernel": [InstanceOf(str, "a kernel name of sklearn's pairwise_kernels"), HasMethods("__call__")],
    "gamma": [None, POSITIVE],
    "degree": [NON_NEGATIVE],
    "coef0": [Interval(numbers.Real)],
    "kernel_params": [None, InstanceOf(Mapping, "a dict of keyword arguments of the kernel")],
}


class _KernelSDMixin(SpectralTagsMixin):
    """Kernel evaluation, the eigendecomposition, prediction and tags."""

    def _kernel(self, X, Y=None):
        params = {} if self.kernel_params is None else dict(self.kernel_params)
        if not callable(self.kernel):
            params.update(gamma=self.gamma, degree=self.degree, coef0=self.coef0)
        return pairwise_kernels(X, Y, metric=self.kernel, filter_params=True, **params)

    def _problem(self, X, y, sw, keep_left=True):
        return KernelProblem(self._kernel, X, y, sw)

    @fill_doc
    def predict(self, X):
        """Predict ``K(X, X_fit_) @ dual_coef_``.

        Parameters
        ----------
        %(X_predict)s

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self, "dual_coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self._kernel(X, self.X_fit_) @ self.dual_coef_



class SelfDistilledKernelRidge(ValidatedParamsMixin, _KernelSDMixin, RegressorMixin, BaseEstimator):
    """Kernel ridge regression self-distilled k times with fixed imitation parameters.

    Objective: teacher ``f_0 = argmin sum_i w_i (y_i - f(x_i))^2 + alpha ||f||_H^2`` and students
    ``f_i`` fitted the same way on ``xi_i f_{i-1}(x) + (1 - xi_i) y`` (xi weights the teacher;
    any real value). Computed in closed form from one eigendecomposition of the kernel matrix.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty on the sum of squares (sklearn's ``KernelRidge(alpha)``), > 0, same at every step.
    xi : float or sequence of float, default=(0.5,)
        Per-step imitation parameters; ``xi = 1`` everywhere is Mobahi et al.'s pure
        self-distillation, and Borup & Andersen's ground-truth weight is ``1 - xi``.
    kernel : str or callable, default="rbf"
        Any metric accepted by ``sklearn.metrics.pairwise.pairwise_kernels`` (or "precomputed").
    gamma, degree, coef0 : kernel parameters, defaults None, 3, 1
        As in sklearn's ``KernelRidge``; ignored by kernels that do not use them.
    kernel_params : dict, optional
        Extra keyword arguments for a callable kernel.

    Attributes
    ----------
    dual_coef_ : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Dual coefficients of the last student (predictions are ``K(X, X_fit_) @ dual_coef_``).
    teacher_dual_coef_ : ndarray, same shape
        Dual coefficients of the kernel ridge teacher.
    step_dual_coefs_ : ndarray of shape (k + 1, ...)
        Teacher (index 0) and every student.
    X_fit_ : ndarray of shape (n_samples, n_features)
    xi_, xibar_, n_steps_ :
        As in :class:`~selfdistill.SelfDistilledRidge`.
    eigenvalues_ : ndarray of shape (r,)
        Positive eigenvalues of the (weighted) kernel matrix, descending.

    Examples
    --------
    >>> import numpy as np
    >>> from selfdistill import SelfDistilledKernelRidge
    >>> X = np.linspace(0, 1, 11)[:, None]; y = np.sin(2 * np.pi * X[:, 0])
    >>> model = SelfDistilledKernelRidge(alpha=0.2, xi=[1.0, 1.0], gamma=80.0).fit(X, y)
    >>> model.predict(X).shape
    (11,)
    """

    _parameter_constraints = {**FIXED_XI_PARAMS, **KERNEL_PARAMS}

    def __init__(
        self, alpha=1.0, xi=(0.5,), kernel="rbf", gamma=None, degree=3, coef0=1, kernel_params=None
    ):
        self._store_params(locals())

    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the kernel ridge teacher and its k students.

        Parameters
        ----------
        %(X_fit)s
        %(y_fit)s
        %(sample_weight_fit)s

        Returns
        -------
        %(returns_self)s
        """
        params = self._validate_params()
        alpha, xi = params.alpha, params.xi
        X, y, sw = validate_fit_data(self, X, y, sample_weight)
        problem = self._problem(X, y, sw)
        d = problem.eigenvalues
        a, t = _filters.shrinkage(np.sqrt(d), alpha)
        duals = [problem.dual_coef(h) for h in step_filters(a, t, xi)]
        self.step_dual_coefs_ = np.stack(duals)
        self.teacher_dual_coef_ = duals[0]
        self.dual_coef_ = duals[-1]
        self.X_fit_ = X
        self.xi_ = xi
        self.xibar_ = _filters.xi_to_xibar(xi)
        self.n_steps_ = xi.size
        self.eigenvalues_ = d
        return self


class SelfDistilledKernelRidgeCV(SpectralCVMixin, _KernelSDMixin, RegressorMixin, BaseEstimator):
    """Self-distilled kernel ridge with alpha, k and xi chosen exactly from one eigendecomposition.

    The tuning engine of :class:`~selfdistill.SelfDistilledRidgeCV` on the kernel matrix: the
    same criteria (``gcv``, ``loo``, ``cp``, ``validation``), xi solved in closed form per
    (alpha, k). No intercept (as sklearn's ``KernelRidge``). Objective and conventions as in
    :class:`SelfDistilledKernelRidge`.

    Parameters
    ----------
    alphas : sequence of float, default=(1e-3, ..., 1e3)
        Candidate penalties (> 0).
    n_steps : int or sequence of int, default=(0, 1, 2)
        Candidate numbers of distillation steps (0 = kernel ridge).
    tuning : {"crossfit", "gcv", "loo", "cp", "validation"}, default="crossfit"
        Tuning criterion, as in :class:`~selfdistill.SelfDistilledRidgeCV` (``crossfit``: xi by
        one-shot GCV inside each fold, (alpha, k) by held-out error with a one-standard-error
        preference for fewer steps; kernel ridge's alpha by exact leave-one-out). Every mode
        selects only candidates realisable as per-step xi with valid degrees of freedom.
    one_shot : {"ridge_path", "gcv_paper"}, default="ridge_path"
        One-shot GCV estimator used under ``tuning="gcv"``.
    noise_var : float, optional
        For ``cp``; estimated from the residuals outside the kernel's span if None (needs a
        rank-deficient kernel matrix, so usually pass it).
    validation_fraction : float, default=0.3
        Share of rows held out under ``tuning="validation"`` without ``X_val``.
    random_state : int or None, default=None
        Seed of that split and of the folds of ``crossfit``.
    cv : int or cross-validation splitter, default=5
        Folds of ``tuning="crossfit"`` (K + 1 eigendecompositions in all).
    kernel : str or callable, default="rbf"
        As in :class:`SelfDistilledKernelRidge`.
    gamma : float, default=None
        Kernel coefficient (rbf, laplacian, poly, sigmoid, ...).
    degree : float, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1
        Independent term of the poly and sigmoid kernels.
    kernel_params : dict, default=None
        Extra keyword arguments for a callable kernel.

    Attributes
    ----------
    alpha_, n_steps_, xi_, xibar_, best_score_, cv_results_ :
        As in :class:`~selfdistill.SelfDistilledRidgeCV`.
    dual_coef_, teacher_dual_coef_, X_fit_, eigenvalues_ :
        As in :class:`SelfDistilledKernelRidge`.
    """

    _parameter_constraints = {**TUNING_PARAMS, **KERNEL_PARAMS}

    def __init__(
        self, alphas=DEFAULT_ALPHAS, n_steps=(0, 1, 2), tuning="crossfit", one_shot="ridge_path",
        noise_var=None, validation_fraction=0.3, random_state=None, cv=5, kernel="rbf", gamma=None,
        degree=3, coef0=1, kernel_params=None,
    ):
        self._store_params(locals())

    def _store_fit_extras(self, outcome, data):
        problem = outcome.problem
        a, _ = problem.smoother.shrinkage(self.alpha_)
        self.teacher_dual_coef_ = problem.dual_coef(a)
        self.X_fit_ = data.X
        self.eigenvalues_ = problem.eigenvalues
