"""Multinomial logistic regression that accepts soft targets and fits Hinton's KD loss exactly."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import DOCS, fill_doc
from .._prediction import ClassScoresMixin
from .._validation import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    Boolean,
    Interval,
    ValidatedParamsMixin,
    check_sample_weight,
    validate_params,
)
from ._objective import SoftTerm, objective, unpack
from ._targets import (
    TEMPERATURE,
    check_probability_matrix,
    encode_targets,
    require_xi_in_unit_interval,
    soften,
)


@fill_doc
class SoftTargetLogisticRegression(ClassScoresMixin, ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """L2-penalised multinomial logistic regression whose target may be a probability matrix.

    With logits ``z_i = W^T x_i + b`` (one column of ``W`` per class), target rows ``p_i``
    (one-hot rows for hard labels) and sample weights ``s_i``, :meth:`fit` minimises

    .. math::

        J(W, b) = \\frac{1}{\\sum_i s_i} \\sum_i s_i\\, \\mathrm{CE}\\big(p_i,
                  \\mathrm{softmax}(z_i)\\big) + \\frac{\\alpha}{2} \\lVert W \\rVert_F^2,

    ``CE(p, q) = -sum_k p_k log q_k``, with the analytic gradient and scipy's L-BFGS-B. The
    intercept is not penalised. :meth:`fit_kd` minimises Hinton et al.'s (2015) distillation
    loss instead (see there).

    Relation to scikit-learn: ``alpha`` has the scaling of :class:`~sklearn.linear_model.SGDClassifier`
    (mean loss + ``alpha/2 ||W||^2``). scikit-learn's
    :class:`~sklearn.linear_model.LogisticRegression` minimises ``C sum_i s_i loss_i + ||W||^2 / 2``,
    i.e. the same objective with ``alpha = 1 / (C * sum_i s_i)`` when there are three or more
    classes. With two classes LogisticRegression fits one weight vector ``w = w_1 - w_0``
    while this class keeps one per class; the symmetric optimum ``w_1 = -w_0 = w / 2`` turns the
    penalty into ``alpha / 4 ||w||^2``, so the binary fits agree for ``alpha = 2 / (C * sum_i s_i)``.

    Naming: ``alpha`` is a penalty here as everywhere in the package (for the ridge estimators
    it is the paper's lambda on the sum of squares; here the L2 strength on the mean loss), and
    the teacher weight of :meth:`fit_kd` is ``xi``, as everywhere in the package.

    Parameters
    ----------
    alpha : float, default=1e-4
        L2 penalty strength (>= 0) on the weights, on the scale of the *mean* loss.
        ``alpha = 0`` is unpenalised maximum likelihood (it diverges on separable data).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept per class.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.
    tol : float, default=1e-6
        L-BFGS stops when the largest gradient entry falls below ``tol``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; column ``k`` of :meth:`predict_proba` belongs to ``classes_[k]``.
    coef_ : ndarray of shape (n_classes, n_features)
        One weight vector per class (also for two classes, see above). The rows sum to zero:
        the softmax is invariant to adding a vector to every class, and the penalty picks the
        centred representative.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts, centred to sum to zero (the same gauge fix; it does not change predictions).
    n_iter_ : int
        Number of L-BFGS iterations of the last fit.
    %(feature_attributes)s

    See Also
    --------
    KnowledgeDistillationClassifier : Uses :meth:`fit_kd` for the exact temperature-T loss.
    """

    _parameter_constraints = {
        "alpha": [NON_NEGATIVE],
        "fit_intercept": [Boolean()],
        "max_iter": [POSITIVE_INT],
        "tol": [POSITIVE],
    }

    def __init__(self, alpha=1e-4, fit_intercept=True, max_iter=1000, tol=1e-6):
        self.alpha, self.fit_intercept, self.max_iter, self.tol = alpha, fit_intercept, max_iter, tol

    # ------------------------------------------------------------------ fitting
    @fill_doc
    def fit(self, X, y, sample_weight=None, classes=None):
        """Fit to hard labels or to a probability matrix.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a probability matrix whose rows sum to 1 (soft targets).
        %(sample_weight_fit)s
        classes : array-like of shape (n_classes,), default=None
            The classes of the model. For labels, default: the distinct labels of ``y``; give it
            to keep output columns for classes absent from ``y``. For a probability matrix, the
            label of each column (default ``0..n_classes-1``).

        Returns
        -------
        %(returns_self)s
        """
        params = self._validate_params()
        X, y, sw = self._validate_fit_input(X, y, sample_weight)
        self.classes_, P = self._encode(y, classes)
        return self._solve(X, [SoftTerm(1.0, 1.0, P)], sw, params)

    @validate_params({"xi": [Interval(numbers.Real)], "temperature": [TEMPERATURE]})
    @fill_doc
    def fit_kd(self, X, y, teacher_proba, *, xi=0.9, temperature=4.0, classes=None, sample_weight=None):
        """Fit Hinton et al.'s (2015) distillation loss exactly, at temperature T on these logits.

        Minimises, with ``q(z; T) = softmax(z / T)``, student logits ``z_i`` and teacher logits
        ``v_i`` (``q(v_i; 1)`` = ``teacher_proba[i]``, softened by :func:`soften`):

        .. math::

            \\frac{1}{\\sum_i s_i}\\sum_i s_i\\Big[\\xi\\,T^2\\,\\mathrm{CE}\\big(q(v_i;T),
            q(z_i;T)\\big) + (1-\\xi)\\,\\mathrm{CE}\\big(y_i, q(z_i;1)\\big)\\Big]
            + \\frac{\\alpha}{2}\\lVert W\\rVert_F^2 .

        The temperature enters only the teacher term, on this model's own logits; the fitted
        model predicts at ``T = 1``. The soft term's gradient is ``xi * T (q(z; T) - q(v; T))``;
        the ``T^2`` factor keeps its size roughly independent of ``T``, and for large ``T`` it
        tends to logit matching, ``xi (z - v) / K`` for centred logits.

        At ``T = 1`` the two terms merge into one cross-entropy at the mixed target
        ``xi q(v; 1) + (1 - xi) y`` (CE is linear in its target), and any real ``xi`` gives a
        convex problem (``xi > 1`` makes the mixed target signed; Das & Sanghavi 2023). A signed
        target needs ``alpha > 0``, and with an intercept every class's weighted mean target must
        be >= 0 -- otherwise the loss has no minimum and a ValueError says so (a teacher fitted
        with an intercept on the same data satisfies this: its mean probabilities equal the
        label frequencies). For
        ``T != 1`` a negative weight on either log-partition term would make the objective
        non-convex, so ``0 <= xi <= 1`` is required.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Ground-truth labels (or a probability matrix) for the ``1 - xi`` term.
        teacher_proba : array-like of shape (n_samples, n_classes)
            The teacher's probabilities at temperature 1, columns in the order of ``classes``.
        xi : float, default=0.9
            Weight of the teacher term.
        temperature : float, default=4.0
            Temperature ``T > 0`` of the teacher term.
        classes : array-like of shape (n_classes,), default=None
            Class of each column of ``teacher_proba`` (default: the distinct labels of ``y``,
            which must then number ``n_classes``). Needed when ``y`` misses classes the teacher
            knows, as in Hinton's omitted-class experiment.
        %(sample_weight_fit)s

        Returns
        -------
        %(returns_self)s
        """
        params = self._validate_params()
        if temperature != 1.0:
            require_xi_in_unit_interval(
                xi,
                "at temperature != 1 a negatively weighted log-partition term makes the "
                "objective non-convex; use temperature=1.0 for xi outside [0, 1].",
            )
        X, y, sw = self._validate_fit_input(X, y, sample_weight)
        self.classes_, Y = self._encode(y, classes)
        Q = check_probability_matrix(teacher_proba, X.shape[0], len(self.classes_), "teacher_proba")
        if temperature == 1.0:
            mixed = xi * Q + (1.0 - xi) * Y
            self._check_bounded(mixed, sw, params)
            terms = [SoftTerm(1.0, 1.0, mixed)]
        else:
            terms = [SoftTerm(xi, temperature, soften(Q, temperature)), SoftTerm(1.0 - xi, 1.0, Y)]
        return self._solve(X, terms, sw, params)

    def _validate_fit_input(self, X, y, sample_weight):
        # multi_output: y may be a probability matrix; encode_targets sorts out its meaning
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, reset=True)
        sw = check_sample_weight(sample_weight, X.shape[0])
        return X, y, (np.ones(X.shape[0]) if sw is None else sw)

    def _check_bounded(self, mixed, sample_weight, params):
        # A signed target (xi outside [0, 1]) keeps CE(p, softmax(z)) = logsumexp(z) - p.z convex
        # but not bounded below along unpenalised directions: the weights need alpha > 0, and the
        # intercept b_k -> -inf lowers the loss linearly whenever the weighted mean target of
        # class k is negative.
        if np.all(mixed >= 0):
            return
        if not params.alpha > 0:
            raise ValueError(
                "xi outside [0, 1] gives a signed mixed target, for which the loss is unbounded "
                "below without a penalty; use alpha > 0."
            )
        if params.fit_intercept:
            mean = sample_weight @ mixed / np.sum(sample_weight)
            if np.any(mean < 0):
                bad = self.classes_[mean < 0].tolist()
                raise ValueError(
                    f"with this xi the mean mixed target xi * teacher + (1 - xi) * y is negative "
                    f"for classes {bad}, so the loss decreases without bound as their intercepts "
                    "go to -inf. Use a smaller xi, a teacher whose mean probabilities match the "
                    "label frequencies, or fit_intercept=False."
                )

    @staticmethod
    def _encode(y, classes):
        classes, P = encode_targets(y, classes)
        if len(classes) < 2:
            raise ValueError(
                f"This classifier needs samples of at least 2 classes in the data, but the data "
                f"contain only one class: {classes[0]!r}. Pass classes=... to fit a model over "
                "more classes."
            )
        return classes, P

    def _solve(self, X, terms, sample_weight, params):
        n_features, n_classes = X.shape[1], len(self.classes_)
        theta0 = np.zeros(n_features * n_classes + (n_classes if params.fit_intercept else 0))
        result = scipy.optimize.minimize(
            objective,
            theta0,
            args=(X, terms, sample_weight, params.alpha, params.fit_intercept),
            jac=True,
            method="L-BFGS-B",
            options={
                "maxiter": params.max_iter,
                "gtol": params.tol,
                "ftol": 64 * np.finfo(float).eps,
                "maxls": 50,
            },
        )
        if not result.success:
            warnings.warn(
                f"L-BFGS did not converge in {result.nit} iterations ({result.message}); "
                "increase max_iter, scale the features, or increase alpha.",
                ConvergenceWarning,
                stacklevel=3,
            )
        W, b = unpack(result.x, n_features, n_classes, params.fit_intercept)
        self.coef_ = W.T - W.T.mean(axis=0)
        self.intercept_ = b - b.mean()
        self.n_iter_ = int(result.nit)
        return self

    # --------------------------------------------------------------- prediction
    def _class_scores(self, X) -> np.ndarray:
        """Logits ``z = W^T x + b`` (predict_proba is ``softmax(z)``, predict the largest logit)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X @ self.coef_.T + self.intercept_

    @fill_doc(X_predict_parameters="Parameters\n----------\n" + DOCS["X_predict"])
    def decision_function(self, X):
        """Logits ``z = W^T x + b``; for two classes the log-odds ``z_1 - z_0`` of ``classes_[1]``.

        %(X_predict_parameters)s

        Returns
        -------
        z : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            Columns follow ``classes_``; with two classes a positive value means ``classes_[1]``
            (sklearn's binary convention).
        """
        Z = self._class_scores(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z
