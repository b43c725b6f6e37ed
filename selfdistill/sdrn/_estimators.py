"""The SDRN estimators: sparse deep ReLU networks trained by regularised ERM with Lipschitz losses.

Huang, Liu & Ma, "Nearly optimal learning using sparse deep ReLU networks in regularized empirical
risk minimization with Lipschitz loss", Neural Computation 37(4), 2025 (arXiv 2108.05990). No
official code exists; the architecture (sparse grid of ReLU hats, Yarotsky multiplication
blocks, depth/size rules) and the penalty are a reconstruction [unverified against the paper's
Sections 2-3], documented in :mod:`selfdistill.sdrn._sparse_grid` and
:mod:`selfdistill.sdrn._network`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._validation import (
    POSITIVE,
    POSITIVE_INT,
    Boolean,
    Interval,
    Options,
    RandomState,
    ValidatedParamsMixin,
    check_sample_weight,
    validate_params,
)
from ._losses import (
    CLASSIFICATION_LOSSES,
    LP_LOSSES,
    REGRESSION_LOSSES,
    RESIDUAL_LOSS_FUNCTIONS,
    softmax_cross_entropy,
)
from ._network import build_network
from ._solvers import fit_hinge_lp, fit_lp, fit_ridge, fit_smooth
from ._sparse_grid import auto_level, auto_mult_depth, sparse_grid

MODES = ("sparse_grid", "trainable")


_AUTO_OR_POSITIVE_INT = [Options("auto"), POSITIVE_INT]


def _sdrn_constraints(losses: tuple[str, ...]) -> dict[str, list]:
    """The constraint table of an SDRN estimator with the given losses (the rest is shared)."""
    return {
        "loss": [Options(*losses)],
        "tau": [Interval(numbers.Real, 0, 1, closed="neither")],
        "huber_delta": [POSITIVE],
        "level": _AUTO_OR_POSITIVE_INT,
        "mult_depth": _AUTO_OR_POSITIVE_INT,
        "alpha": [POSITIVE],
        "penalty": [Options("auto", "l1", "l2")],
        "mode": [Options(*MODES)],
        "scale_inputs": [Boolean()],
        "max_iter": [POSITIVE_INT],
        "n_epochs": [POSITIVE_INT],
        "learning_rate": [POSITIVE],
        "batch_size": [POSITIVE_INT],
        "random_state": [RandomState()],
    }


def _init_with_default_loss(default_loss: str):
    """The ``__init__`` of an SDRN estimator: the regressor and the classifier differ only in the default loss."""

    def __init__(self, loss=default_loss, tau=0.5, huber_delta=1.0, level="auto", mult_depth="auto",
                 alpha=1.0, penalty="auto", mode="sparse_grid", scale_inputs=True, max_iter=1000,
                 n_epochs=50, learning_rate=1e-3, batch_size=256, random_state=None):
        self.loss = loss
        self.tau = tau
        self.huber_delta = huber_delta
        self.level = level
        self.mult_depth = mult_depth
        self.alpha = alpha
        self.penalty = penalty
        self.mode = mode
        self.scale_inputs = scale_inputs
        self.max_iter = max_iter
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    return __init__


def _weights(sample_weight, n_samples: int) -> np.ndarray:
    sw = check_sample_weight(sample_weight, n_samples)
    return np.ones(n_samples) if sw is None else sw


#: numpydoc shared by the SDRN estimators' methods (``fill_doc``).
_DOCS = {
    "parameters_X_sdrn": """Parameters
----------
X : array-like of shape (n_samples, n_features)
    Training inputs (min-max scaled internally unless ``scale_inputs=False``).""",
    "sample_weight_sdrn": """sample_weight : array-like of shape (n_samples,), default=None
    Nonnegative weights ``w_i`` of the loss terms.""",
    "returns_predictions": """Returns
-------
ndarray of shape (n_samples,)
    Predictions.""",
}


class _SDRNBase(ValidatedParamsMixin, BaseEstimator):
    """Shared construction, validation and training of the SDRN estimators.

    A concrete estimator names its losses in the class statement (``losses=...``, the first is
    the default); its ``__init__`` and constraint table follow from them.
    """

    def __init_subclass__(cls, losses: tuple[str, ...] = (), **kwargs):
        super().__init_subclass__(**kwargs)
        if losses:  # a user's subclass without ``losses`` inherits both
            cls._parameter_constraints = _sdrn_constraints(losses)
            cls.__init__ = _init_with_default_loss(losses[0])

    # ------------------------------------------------------------------ validation
    def _validate(self):
        """Check the constraint table, then the one rule that couples two parameters."""
        params = self._validate_params()
        if self._penalty() == "l2" and params.loss in LP_LOSSES:
            raise ValueError(
                f"loss={params.loss!r} is fitted by linear programming, which needs penalty='l1' "
                "(or 'auto'); an l2 penalty would make it a quadratic program."
            )
        return params

    def _penalty(self) -> str:
        if self.penalty == "auto":
            return "l1" if self.loss in LP_LOSSES else "l2"
        return self.penalty

    # ------------------------------------------------------------------ the network
    def _build(self, X: np.ndarray, sw: np.ndarray) -> np.ndarray:
        """Scale, choose level and depth from n, build the network; return the basis matrix.

        The scaling uses the rows of positive weight (a zero-weight row is absent from the fit).
        """
        n, d = X.shape
        if self.scale_inputs:
            rows = X[sw > 0] if np.any(sw > 0) else X
            lo, hi = rows.min(axis=0), rows.max(axis=0)
            span = hi - lo
            span[span == 0] = 1.0  # a constant feature maps to 0
            self.data_min_, self.data_range_ = lo, span
        else:
            self._check_cube(X)
            self.data_min_, self.data_range_ = np.zeros(d), np.ones(d)
        self.level_ = auto_level(n, d) if self.level == "auto" else int(self.level)
        self.mult_depth_ = auto_mult_depth(n) if self.mult_depth == "auto" else int(self.mult_depth)
        self.basis_ = sparse_grid(self.level_, d)
        self.network_ = build_network(self.basis_, self.mult_depth_, 1.0 / self.data_range_,
                                      -self.data_min_ / self.data_range_)
        self.n_basis_ = len(self.basis_)
        self.depth_ = self.network_.depth + 1  # hidden ReLU layers + the linear output layer
        return self.network_.basis(X)

    def _check_cube(self, X):
        if X.size and (X.min() < 0.0 or X.max() > 1.0):
            raise ValueError(
                "with scale_inputs=False, X must lie in the unit cube [0, 1]^d (the network's domain), "
                f"but it has values in [{X.min():.3g}, {X.max():.3g}]; use scale_inputs=True (default) "
                "to min-max scale the features on the training data."
            )

    def _validate_X(self, X):
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        if not self.scale_inputs:
            self._check_cube(X)
        return X

    def _finish(self, n_outputs):
        self.n_params_ = self.network_.n_params(n_outputs)

    def _solve_smooth(self, Phi, value_grad, n_outputs):
        coef, intercept, ok, n_iter = fit_smooth(Phi, value_grad, n_outputs, float(self.alpha),
                                                 self._penalty(), int(self.max_iter), 1e-14)
        self.n_iter_ = n_iter
        if not ok:
            warnings.warn(f"L-BFGS did not converge in max_iter={self.max_iter} iterations; "
                          "increase max_iter.", ConvergenceWarning, stacklevel=3)
        return coef, intercept

    def _fine_tune(self, X, terms, loss, n_outputs):
        from ._torch_net import fine_tune  # torch extra, imported only here

        net, coef, intercept, history = fine_tune(
            self.network_, self.coef_, self.intercept_, X, terms, loss=loss, tau=float(self.tau),
            delta=float(self.huber_delta), alpha=float(self.alpha), penalty=self._penalty(),
            n_epochs=int(self.n_epochs), learning_rate=float(self.learning_rate),
            batch_size=int(self.batch_size), random_state=self.random_state,
        )
        self.network_, self.coef_, self.intercept_ = net, coef, intercept
        self.train_loss_history_ = history

    def to_torch(self):
        """Export the fitted network as a torch module (float64) with fixed sparsity masks.

        Returns
        -------
        torch.nn.Module
            A :class:`~selfdistill.sdrn._torch_net.SparseReLUModule` whose forward on raw
            (unscaled) inputs equals :meth:`decision_function` / :meth:`predict` in float64.
        """
        check_is_fitted(self, "network_")
        from ._torch_net import SparseReLUModule

        return SparseReLUModule(self.network_, self.coef_, self.intercept_).eval()

    def _raw_output(self, X):
        X = self._validate_X(X)
        return self.network_.forward(X, self.coef_, self.intercept_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


_COMMON_PARAMS = """
    level : int or "auto", default="auto"
        Sparse-grid level ``L``: basis functions ``prod_j phi_{l_j, i_j}`` with ``|l|_1 <= L``
        (finest mesh ``2^-(L-1)``). ``"auto"``: ``L = 1 + ceil(log2(n) / 4)``, at least 2,
        reduced until there are at most ``n / 2`` basis functions (see
        :func:`~selfdistill.sdrn.auto_level`).
    mult_depth : int or "auto", default="auto"
        Sawtooth depth ``m`` of the Yarotsky multiplication blocks (error ``<= 2^(-2m-2)`` per
        product). ``"auto"``: ``max(2, ceil(log2(n) / 2) + 1)``, so the depth grows like ``log n``.
    alpha : float, default=1.0
        Penalty on the output coefficients (not on the intercept), sum convention: the objective
        is ``sum_i w_i rho(y_i, f(x_i)) + alpha * P(coef)`` -- ``alpha`` is the paper's lambda on
        the *sum* of the losses (for the squared loss: on the sum of squares, as sklearn's
        ``Ridge(alpha)``).
    penalty : {"auto", "l1", "l2"}, default="auto"
        ``P = ||coef||_1`` or ``||coef||_2^2``. ``"auto"``: l1 for the LP losses (absolute,
        quantile, hinge), l2 otherwise. [The paper's penalty is unverified.]
    mode : {"sparse_grid", "trainable"}, default="sparse_grid"
        ``"sparse_grid"``: hidden layers fixed by the construction, output layer by convex
        optimisation. ``"trainable"`` (torch extra): start from that solution, then train every
        weight with the sparsity masks fixed (minibatch Adam, subgradients at kinks).
    scale_inputs : bool, default=True
        Min-max scale each feature to [0, 1] with the training minimum and range (rows of
        positive weight; folded into the first layer). Points outside the training range are clipped to the cube by the network's
        first layer, i.e. predicted as at the nearest boundary point. With False, X must already
        lie in [0, 1]^d (a ValueError otherwise).
    max_iter : int, default=1000
        L-BFGS iterations (smooth losses).
    n_epochs : int, default=50
        Epochs of the trainable mode.
    learning_rate : float, default=1e-3
        Adam step size of the trainable mode.
    batch_size : int, default=256
        Minibatch size of the trainable mode.
    random_state : int, RandomState instance or None, default=None
        Seeds the trainable mode's batch order (the sparse-grid mode is deterministic).
"""

_COMMON_ATTRIBUTES = """
    network_ : SparseReLUNetwork
        The ReLU network (hidden layers; the output layer is ``coef_``, ``intercept_``).
    basis_ : list of tuple of Factor
        The sparse-grid basis (the constant first).
    level_, mult_depth_ : int
        The chosen level ``L`` and sawtooth depth ``m``.
    depth_ : int
        Number of layers with weights: hidden ReLU layers + the linear output layer,
        ``2 + stages * (m + 2) + 1`` with ``stages = ceil(log2(max interaction order))``.
    n_params_ : int
        Weights on allowed connections + biases + output coefficients and intercept(s).
    n_basis_ : int
        Number of basis functions, the constant included.
    data_min_, data_range_ : ndarray of shape (n_features,)
        Min-max scaling of the inputs.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had string column names.
    n_iter_ : int
        Solver iterations (HiGHS or L-BFGS; 1 for the ridge solve).
    train_loss_history_ : ndarray
        Trainable mode only: mean objective per epoch.
"""


class SparseDeepReLURegressor(RegressorMixin, _SDRNBase, losses=REGRESSION_LOSSES):
    """Sparse deep ReLU network regressor (SDRN) with a Lipschitz loss.

    Objective (``X`` is n_samples x n_features; the paper writes d x n):

    .. math::

        \\min_{\\beta, b} \\sum_i w_i \\rho(y_i, \\phi(x_i)^\\top \\beta + b) + \\alpha P(\\beta)

    where ``phi`` is the last hidden layer of a sparse ReLU network built as a sparse grid of ReLU
    hats multiplied by Yarotsky sub-networks (a reconstruction of Huang, Liu & Ma 2025; see the
    module docs), ``P`` the l1 or l2 norm of the output coefficients, and ``rho`` the squared,
    absolute, check (quantile) or Huber loss of the residual ``y - f``.

    Parameters
    ----------
    loss : {"squared", "absolute", "quantile", "huber"}, default="squared"
        Loss of the residual ``r = y - f``: ``r^2``, ``|r|``, ``r (tau - 1{r<0})`` or Huber.
    tau : float, default=0.5
        Quantile level of the check loss, in (0, 1).
    huber_delta : float, default=1.0
        Huber threshold (> 0, in units of y).
    """ + _COMMON_PARAMS + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_basis_ - 1,)
        Output coefficients of the non-constant basis functions.
    intercept_ : float
        Output bias (the constant basis function), unpenalised.""" + _COMMON_ATTRIBUTES + """
    Notes
    -----
    Solvers: the absolute and check losses (with ``penalty="l1"``) are one linear program
    (``scipy.optimize.linprog``, HiGHS); squared + l2 is one linear solve; Huber and the l1
    squared loss use L-BFGS-B. :meth:`fit_kd` fits the self-distillation objective (two terms);
    :class:`~selfdistill.sdrn.SelfDistilledSparseDeepReLU` repeats it and chooses ``xi``.

    Examples
    --------
    >>> import numpy as np
    >>> from selfdistill.sdrn import SparseDeepReLURegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(300, 2)); y = X[:, 0] * X[:, 1] + 0.05 * rng.normal(size=300)
    >>> model = SparseDeepReLURegressor().fit(X, y)
    >>> model.depth_ > 2
    True
    """

    @fill_doc(**_DOCS)
    def fit(self, X, y, sample_weight=None):
        """Build the network from ``n`` and fit the output layer (and, if trainable, all weights).

        %(parameters_X_sdrn)s
        %(y_fit_1d)s
        %(sample_weight_sdrn)s

        %(returns_self_section)s
        """
        return self.fit_kd(X, y, None, xi=0.0, sample_weight=sample_weight)

    @validate_params({"xi": [Interval(numbers.Real)]})
    @fill_doc(**_DOCS)
    def fit_kd(self, X, y, teacher_prediction, *, xi=0.5, sample_weight=None):
        """Fit the self-distillation objective with a Lipschitz loss, as two terms.

        Minimises ``sum_i w_i [xi rho(t_i, f(x_i)) + (1 - xi) rho(y_i, f(x_i))] + alpha P(coef)``
        (``xi`` weights the TEACHER term). For the squared loss this equals the fit to the mixed
        target ``xi t + (1 - xi) y`` (up to a constant) and any real ``xi`` is allowed; for the
        other losses it is *not* a mixed-target fit, and ``xi`` must lie in [0, 1] (a negative
        weight on a convex loss makes the objective non-convex).

        %(parameters_X_sdrn)s
        %(y_fit_1d)s
        teacher_prediction : array-like of shape (n_samples,) or None
            Teacher outputs ``t_i`` at ``X`` (None only with ``xi = 0``).
        xi : float, default=0.5
            Weight of the teacher term.
        %(sample_weight_sdrn)s

        %(returns_self_section)s
        """
        self._validate()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        sw = _weights(sample_weight, X.shape[0])
        terms = self._terms(y, teacher_prediction, xi, sw)
        Phi = self._build(X, sw)
        self.coef_, self.intercept_ = self._solve(Phi, terms)
        if self.mode == "trainable":
            self._fine_tune(X, terms, self.loss, 1)
        self._finish(1)
        return self

    def _terms(self, y, teacher_prediction, xi, sw):
        """``[(targets, weights), ...]`` of the objective (squared loss: one mixed-target term).

        ``xi`` is a finite number (checked by the caller); [0, 1] is required here for the losses
        where a negative weight would make the objective non-convex.
        """
        xi = float(xi)
        if xi == 0.0:
            return [(y, sw)]
        if teacher_prediction is None:
            raise ValueError("teacher_prediction is required when xi != 0.")
        t = np.asarray(teacher_prediction, dtype=np.float64).reshape(-1)
        if t.shape[0] != y.shape[0] or not np.all(np.isfinite(t)):
            raise ValueError(f"teacher_prediction must be {y.shape[0]} finite values, got shape {t.shape}.")
        if self.loss == "squared":
            return [(xi * t + (1.0 - xi) * y, sw)]
        if not 0.0 <= xi <= 1.0:
            raise ValueError(
                f"xi={xi} is outside [0, 1]: with loss={self.loss!r} the objective "
                "xi rho(t, f) + (1 - xi) rho(y, f) is then non-convex. Use 0 <= xi <= 1 "
                "(or the squared loss, where any xi is a mixed target)."
            )
        if xi == 1.0:
            return [(t, sw)]
        return [(t, xi * sw), (y, (1.0 - xi) * sw)]

    def _solve(self, Phi, terms):
        """Output coefficients and intercept for fixed hidden layers (convex)."""
        alpha, tau, delta = float(self.alpha), float(self.tau), float(self.huber_delta)
        if self.loss in ("absolute", "quantile"):
            cost = (1.0, 1.0) if self.loss == "absolute" else (tau, 1.0 - tau)
            coef, intercept, self.n_iter_ = fit_lp(Phi, terms, *cost, alpha)
            return coef, intercept
        if self.loss == "squared" and self._penalty() == "l2":
            (t, w), = terms
            coef, intercept, self.n_iter_ = fit_ridge(Phi, t, w, alpha)
            return coef, intercept

        loss_value, loss_subgradient = RESIDUAL_LOSS_FUNCTIONS[self.loss]  # parameters checked in fit

        def value_grad(F):
            value, grad = 0.0, np.zeros_like(F)
            for t, w in terms:
                r = t[:, None] - F
                value += float(w @ loss_value(r, tau, delta)[:, 0])
                grad -= w[:, None] * loss_subgradient(r, tau, delta)
            return value, grad

        coef, intercept = self._solve_smooth(Phi, value_grad, 1)
        return coef[:, 0], float(intercept[0])

    @fill_doc(**_DOCS)
    def predict(self, X):
        """Evaluate the network (numpy, layer by layer) at ``X`` (in the original units).

        %(parameters_X_predict)s

        %(returns_predictions)s
        """
        return self._raw_output(X)


class SparseDeepReLUClassifier(ClassifierMixin, _SDRNBase, losses=CLASSIFICATION_LOSSES):
    """Sparse deep ReLU network classifier (SDRN) with the logistic or hinge loss.

    Objective for two classes (labels coded ``y_i`` in {-1, +1}; X is n_samples x n_features):

    .. math::

        \\min_{\\beta, b} \\sum_i w_i \\ell(y_i f(x_i)) + \\alpha P(\\beta), \\qquad
        f(x) = \\phi(x)^\\top \\beta + b,

    with ``l(m) = log(1 + exp(-m))`` (logistic, L-BFGS) or ``max(0, 1 - m)`` (hinge, fitted
    exactly as one linear program with the l1 penalty: the L1-SVM). More than two classes: the
    logistic loss becomes the softmax cross-entropy (one output per class), the hinge loss is
    fitted one-vs-rest (one LP per class). ``phi`` is the SDRN feature network (reconstruction of
    Huang, Liu & Ma 2025; see :class:`SparseDeepReLURegressor`).

    Parameters
    ----------
    loss : {"logistic", "hinge"}, default="logistic"
        Classification loss; anything else raises a ValueError.
    tau : float, default=0.5
        Unused (kept so both estimators share one validation); must lie in (0, 1).
    huber_delta : float, default=1.0
        Unused; must be > 0.
    """ + _COMMON_PARAMS + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (n_basis_ - 1,) or (n_basis_ - 1, n_classes)
        Output coefficients (one column per class when there are more than two).
    intercept_ : float or ndarray of shape (n_classes,)
        Output bias(es).""" + _COMMON_ATTRIBUTES

    @fill_doc(**_DOCS)
    def fit(self, X, y, sample_weight=None):
        """Build the network from ``n`` and fit the output layer (and, if trainable, all weights).

        %(parameters_X_sdrn)s
        y : array-like of shape (n_samples,)
            Class labels.
        %(sample_weight_sdrn)s

        %(returns_self_section)s
        """
        self._validate()
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        codes = encoder.transform(y)
        sw = _weights(sample_weight, X.shape[0])
        K = len(self.classes_)
        Phi = self._build(X, sw)
        if K == 1:  # a single class: constant decision function
            self.coef_, self.intercept_, self.n_iter_ = np.zeros(Phi.shape[1]), 1.0, 1
            self._finish(1)
            return self
        binary = K == 2
        alpha = float(self.alpha)
        if self.loss == "hinge":
            signs = [2.0 * (codes == k) - 1.0 for k in ([1] if binary else range(K))]
            fits = [fit_hinge_lp(Phi, s, sw, alpha) for s in signs]
            coef = np.column_stack([c for c, _, _ in fits])
            intercept = np.array([b for _, b, _ in fits])
            self.n_iter_ = max(it for _, _, it in fits)
            target = signs[0] if binary else np.column_stack(signs)
            torch_loss = "hinge"
        else:
            P = np.eye(K)[codes]
            target = P[:, 1] if binary else P

            def value_grad(F):
                if binary:
                    f = F[:, 0]
                    value = float(sw @ (np.logaddexp(0.0, f) - target * f))
                    return value, (sw * (1.0 / (1.0 + np.exp(-f)) - target))[:, None]
                value, grad = softmax_cross_entropy(F, P)
                return float(sw @ value), sw[:, None] * grad

            coef, intercept = self._solve_smooth(Phi, value_grad, 1 if binary else K)
            torch_loss = "logistic" if binary else "softmax"
        if binary:
            self.coef_, self.intercept_ = coef[:, 0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
        if self.mode == "trainable":
            self._fine_tune(X, [(target, sw)], torch_loss, 1 if binary else K)
        self._finish(1 if binary else K)
        return self

    @fill_doc
    def decision_function(self, X):
        """Network output: the margin (two classes) or one score per class.

        %(parameters_X_predict)s

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores; for two classes, positive means ``classes_[1]``.
        """
        return self._raw_output(X)

    @fill_doc
    def predict(self, X):
        """Most likely class.

        %(parameters_X_predict)s

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self.decision_function(X)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, scores.shape[0])
        idx = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[idx]

    def _has_proba(self):
        return self.loss == "logistic"

    @available_if(_has_proba)
    @fill_doc
    def predict_proba(self, X):
        """Class probabilities (logistic loss only: the hinge loss does not estimate them).

        %(parameters_X_predict)s

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities (sigmoid of the margin for two classes, softmax otherwise).
        """
        scores = self.decision_function(X)
        if len(self.classes_) == 1:
            return np.ones((scores.shape[0], 1))
        if scores.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1.0 - p, p])
        shifted = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
