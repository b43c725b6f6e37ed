"""Literal reference implementation of k-step self-distillation (for tests and cross-checks).

It does exactly what the definition says -- k + 1 ridge solves, each on the mixed target
``xi_i * (teacher predictions) + (1 - xi_i) * y`` -- with a Cholesky factorisation of
``X^T X + alpha I``. It shares no code with the spectral engine, which is the point: the tests
compare the two. With huge |xi| the mixed target suffers catastrophic cancellation, so use moderate
xi here; the spectral engine (:func:`selfdistill.sd_coef`) has no such problem.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._validation import (
    POSITIVE,
    Converter,
    as_design,
    as_targets,
    check_finite_vector,
    validate_params,
)


@validate_params(
    {
        "alpha": [POSITIVE],
        "xi": [Converter(check_finite_vector, "a number or a 1-D sequence of finite numbers")],
    }
)
def sd_coef_reference(X, y, alpha, xi) -> np.ndarray:
    """Compute k-step SD coefficients by repeated ridge solves (no intercept; slow, literal).

    Objective of step i (sum of squares, sklearn's ``Ridge(alpha, fit_intercept=False)``)::

        theta_i = argmin_theta ||xi_i X theta_{i-1} + (1 - xi_i) y - X theta||^2 + alpha ||theta||^2

    starting from the ridge teacher ``theta_0 = (X^T X + alpha I)^{-1} X^T y``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float
        Ridge penalty (> 0), the same at every step.
    xi : float or array-like of shape (k,)
        Imitation parameters; ``xi_i`` weights the teacher at step i.

    Returns
    -------
    ndarray of shape (n_features,) or (n_features, n_targets)
    """
    X = as_design(X)
    y = as_targets(y, X.shape[0])
    factor = scipy.linalg.cho_factor(X.T @ X + alpha * np.eye(X.shape[1]))
    theta = scipy.linalg.cho_solve(factor, X.T @ y)
    for value in xi:
        target = value * (X @ theta) + (1.0 - value) * y
        theta = scipy.linalg.cho_solve(factor, X.T @ target)
    return theta
