"""Exact theory of k-step self-distillation (SD) of ridge regression in fixed design.

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation", NeurIPS 2024
(arXiv 2407.04600), with the 1-step closed form and sign rule of Dang, Patil & Rinaldo (2026).

Conventions (stated once here, repeated in every docstring that depends on them)
------------------------------------------------------------------------------
* ``X`` is n_samples x n_features (sklearn). The paper's design is d x n: its X is our ``X.T`` and its
  eigenvectors ``u_j`` of ``X X^T`` are our right singular vectors ``V[:, j]``.
* ``alpha`` is the paper's lambda on the **sum** of squares: the teacher is
  ``argmin ||y - X theta||^2 + alpha ||theta||^2``, exactly sklearn's ``Ridge(alpha)``.
* ``xi`` weights the **teacher**: step i fits ``xi_i * (previous predictions) + (1 - xi_i) * y``.
  Any real xi is allowed (never clipped); ``xibar`` is the reparametrisation in which the risk is
  quadratic (see :mod:`selfdistill._filters`).
* ``noise_var`` is the noise variance gamma^2 (``Cov eta = gamma^2 I``). Whether the paper's gamma
  denotes a variance or a standard deviation is UNCONFIRMED (Theory §1.2).
* The in-sample excess risk is ``E_eta (1/n) ||X (theta_hat - theta*)||^2`` with ``n = n_samples``
  (the 1/n normalisation is UNCONFIRMED in the paper; ratios of risks do not depend on it).

All quantities come from one SVD of X, after which every (alpha, k, xi) costs O(r) or O(r k^2).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import minimize_scalar

from . import _filters
from ._risk import (
    KrylovSolution,
    SpectralRisk,
    in_sample_risk,
    krylov_least_squares,
    parameter_risk,
    population_risk,
)
from ._spectral import SpectralDesign
from ._validation import (
    as_design,
    as_targets,
    check_alpha,
    check_alpha_grid,
    check_n_steps,
    check_noise_var,
    check_positive_int,
    check_theta_star,
    check_xi,
)
from .exceptions import GridBoundaryWarning

RISK_KINDS = ("in_sample", "parameter", "population")


# --------------------------------------------------------------------------- result objects
@dataclass(frozen=True)
class RiskDecomposition:
    """Bias-variance split of an exact risk.

    Attributes
    ----------
    bias : float
        Squared-bias part (noise-free error of the estimator).
    variance : float
        Variance part (proportional to the noise variance).
    total : float
        ``bias + variance``.
    """

    bias: float
    variance: float

    @property
    def total(self) -> float:
        return self.bias + self.variance


@dataclass(frozen=True)
class QuadraticForm:
    """The risk as an exact quadratic in ``xibar``: ``risk = xibar^T M xibar - 2 mu^T xibar + c0``.

    Attributes
    ----------
    M : ndarray of shape (k, k)
        Positive semi-definite Hessian / 2 (singular when k exceeds the number of distinct
        singular values that carry weight).
    mu : ndarray of shape (k,)
    c0 : float
        The ridge teacher's risk (``xibar = 0``).

    Notes
    -----
    Built in the monomial basis ``b_i(a) = 1 - a^i`` of the paper's reparametrisation, which is
    Vandermonde-like and badly conditioned for k >= 5 or clustered singular values. Use it for
    inspection; :meth:`FixedDesignProblem.optimal` solves the same problem in a stable basis.
    """

    M: np.ndarray
    mu: np.ndarray
    c0: float

    def __call__(self, xibar) -> float:
        """Evaluate the quadratic at ``xibar``."""
        xibar = np.asarray(xibar, dtype=np.float64)
        return float(xibar @ self.M @ xibar - 2.0 * self.mu @ xibar + self.c0)


@dataclass(frozen=True)
class OptimalSD:
    """Optimal k-step self-distillation at a given penalty.

    Attributes
    ----------
    alpha : float
        Penalty (the paper's lambda on the sum of squares).
    n_steps : int
        Number of distillation steps k.
    risk : float
        Optimal risk (same units as :func:`excess_risk`).
    bias, variance : float
        Its bias-variance split.
    xibar : ndarray of shape (k,) or None
        Optimal reparametrised imitation parameters (monomial basis). The optimum itself is
        computed in a well-conditioned basis; ``xibar`` is given only when evaluating the risk at
        it reproduces ``risk`` (relative difference <= ``REALISATION_RTOL``), else None and
        ``unrepresentable_reason`` says why (overflow for k >~ 60; cancellation when the optimal
        monomial coefficients are huge, e.g. large alpha with many steps).
    multipliers : ndarray of shape (r,)
        Per-direction multiplier ``m_j`` of the ridge coefficient (``theta_hat_j = m_j * ridge_j``).
    filter : ndarray of shape (r,)
        Overall spectral filter ``h_j = a_j m_j``, singular values in decreasing order: always
        exact. Pass it as ``spectral_filter=`` to :func:`excess_risk` or :func:`sd_coef` to use the
        optimum when ``xi`` and ``xibar`` are None.
    dimension : int
        Polynomial degrees of freedom actually used (< k when k exceeds the number of distinct
        singular values with weight; then the optimum is not unique and the minimal-degree one
        is returned, padded with no-op steps).
    on_boundary : bool
        Set by :meth:`FixedDesignProblem.optimal_over_alpha` when the best alpha is an end of the
        searched range.
    xi : ndarray of shape (k,) or None
        Optimal per-step imitation parameters, given only when running the k steps with them
        reproduces ``risk`` (relative difference <= ``REALISATION_RTOL``); else None, with the reason
        in ``unrepresentable_reason``.
    unrepresentable_reason : str or None
        Why ``xi`` (or ``xibar``) is None; None when both are given.
    """

    alpha: float
    n_steps: int
    risk: float
    bias: float
    variance: float
    xibar: np.ndarray | None
    multipliers: np.ndarray
    filter: np.ndarray
    dimension: int
    on_boundary: bool = False
    xi: np.ndarray | None = None
    unrepresentable_reason: str | None = None

    @property
    def ridge_path_weights(self) -> np.ndarray | None:
        """The same optimum as ridge-path weights ``w`` (Follow-ups §1); None without ``xibar``."""
        return None if self.xibar is None else _filters.xibar_to_ridge_path(self.xibar)


@dataclass(frozen=True)
class OneStepOptimum:
    """Closed-form optimal 1-step SD (Dang, Patil & Rinaldo 2026, Theorem 2.2).

    ``xi* = -alpha R'(alpha) / (2 D)`` with ``R`` the teacher's risk and
    ``D = ||theta(alpha) - theta_pd(alpha)||^2`` in the risk's metric (the risk's curvature in xi),
    so ``sign(xi*) = -sign(R'(alpha))``: xi* < 0 when over-regularised, > 0 when under-regularised.
    The optimal student's risk is ``R - alpha^2 R'^2 / (4 D)``.

    Attributes
    ----------
    alpha, xi, risk : float
        Penalty, optimal xi and the optimal 1-step risk.
    ridge_risk : float
        ``R(alpha)``, the teacher's risk.
    ridge_risk_derivative : float
        ``R'(alpha)`` (analytic).
    curvature : float
        ``D`` (the coefficient of xi^2 in the risk).
    """

    alpha: float
    xi: float
    risk: float
    ridge_risk: float
    ridge_risk_derivative: float
    curvature: float

    @property
    def gain(self) -> float:
        """``R(alpha) - R*_sd(alpha) = alpha^2 R'^2 / (4 D) >= 0``."""
        return self.ridge_risk - self.risk


@dataclass(frozen=True)
class AssumptionReport:
    """The paper's Assumption 2 checked on a concrete design and signal.

    Asmp. 2.1: distinct singular values; Asmp. 2.2: theta* aligned with one eigenvector
    (whether the paper requires the *top* eigenvector is UNCONFIRMED; we report any).

    Attributes
    ----------
    singular_values : ndarray
    groups : ndarray of int
        Group label of each direction; directions within ``rtol * s_max`` of each other share one.
    squared_cosines : ndarray
        ``cos^2(theta*, V[:, j])`` for each direction (sum to 1 minus the null-space fraction).
    null_fraction : float
        Fraction of ``||theta*||^2`` outside the row space of X (never estimated).
    distinct : bool
        Asmp. 2.1 holds within the tolerance.
    aligned : bool
        Asmp. 2.2 holds: one squared cosine >= 1 - align_tol.
    """

    singular_values: np.ndarray
    groups: np.ndarray
    squared_cosines: np.ndarray
    null_fraction: float
    distinct: bool
    aligned: bool
    rtol: float
    align_tol: float

    @property
    def n_distinct(self) -> int:
        """Number of distinct singular values (groups)."""
        return int(np.unique(self.groups).size)

    @property
    def satisfied(self) -> bool:
        """Both parts of Assumption 2 hold."""
        return self.distinct and self.aligned

    def summary(self) -> str:
        """A short human-readable report."""
        top = int(np.argmax(self.squared_cosines)) if self.squared_cosines.size else -1
        lines = [
            f"rank r = {self.singular_values.size}, distinct singular values = {self.n_distinct} "
            f"(rtol {self.rtol:g}) -> Asmp. 2.1 {'holds' if self.distinct else 'VIOLATED'}",
            f"largest cos^2(theta*, u_j) = {self.squared_cosines.max(initial=0):.6g} at j = {top + 1} "
            f"-> Asmp. 2.2 {'holds' if self.aligned else 'VIOLATED'} (tol {self.align_tol:g})",
            f"null-space fraction of ||theta*||^2 = {self.null_fraction:.3g}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class SeparationReport:
    """Best ridge vs best 1-step vs best k-step risk over alpha (the paper's ratio A/B, Fig. 2).

    Attributes
    ----------
    ridge, one_step, k_step : OptimalSD
        The optimum over alpha of each family.
    ratio : float
        ``A / B`` = best ridge risk / best k-step risk (Theorem 1: up to a factor of order r).
    ratio_one_step : float
        Best 1-step risk / best k-step risk.

    Notes
    -----
    Each optimum is searched over ``[1e-4 s_min^2, 1e4 s_max^2]``; when it sits on the edge
    (``.on_boundary``, typically alpha -> infinity for 1 <= k < r) the ratio is taken at the edge.
    """

    ridge: OptimalSD
    one_step: OptimalSD
    k_step: OptimalSD

    @property
    def ratio(self) -> float:
        return self.ridge.risk / self.k_step.risk

    @property
    def ratio_one_step(self) -> float:
        return self.one_step.risk / self.k_step.risk


@dataclass(frozen=True)
class MonteCarloRisk:
    """Monte-Carlo estimate of a risk from seeded noise draws.

    Attributes
    ----------
    mean, std_error : float
        Estimate of the total risk and its standard error.
    bias, variance : float
        Plug-in split: squared error of the mean estimator, and the mean squared deviation
        around it.
    n_draws : int
    random_state : int or None
    """

    mean: float
    std_error: float
    bias: float
    variance: float
    n_draws: int
    random_state: int | None = None
    draws: np.ndarray = field(repr=False, default=None)


# --------------------------------------------------------------------------- the engine
class FixedDesignProblem:
    """A fixed-design regression problem, reduced to its spectrum, with every exact SD quantity.

    Build it from a design matrix (:meth:`from_X`) or directly from singular values and the
    signal's coordinates in the eigenbasis (:meth:`from_spectrum`, used for the paper's synthetic
    figures). All methods take the penalty ``alpha`` (the paper's lambda on the sum of squares).

    Parameters
    ----------
    singular_values : array-like of shape (r,)
        Positive singular values of X.
    theta_coords : array-like of shape (r,)
        ``theta_j = <theta*, u_j>``: the signal in the eigenbasis (paper's u_j = our ``V[:, j]``).
    noise_var : float
        Noise variance gamma^2 >= 0.
    n_samples : float, default=1.0
        The n in ``(1/n)||X(theta_hat - theta*)||^2``. ``n_samples=1`` gives ``n * ExcessRisk``,
        the normalisation of the golden values of Theory §4.1.
    null_energy : float, default=0.0
        ``||P_null theta*||^2``, the part of theta* outside the row space (parameter error only).
    components : ndarray of shape (n_features, r), optional
        Right singular vectors V (needed for the population risk with a general covariance).
    theta_star : ndarray of shape (n_features,), optional
        The full parameter (needed with ``components`` for the population risk).
    """

    def __init__(
        self,
        singular_values,
        theta_coords,
        noise_var,
        n_samples: float = 1.0,
        *,
        null_energy: float = 0.0,
        components: np.ndarray | None = None,
        theta_star: np.ndarray | None = None,
    ) -> None:
        s = np.asarray(singular_values, dtype=np.float64).reshape(-1)
        theta = np.asarray(theta_coords, dtype=np.float64).reshape(-1)
        if s.size == 0:
            raise ValueError("singular_values is empty: the design has rank 0, nothing to estimate.")
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ValueError("singular_values must be finite and > 0 (pass the nonzero ones only).")
        with np.errstate(over="ignore", under="ignore"):
            squares = s**2
        if np.any(~np.isfinite(squares)) or np.any(squares < np.finfo(np.float64).tiny):
            raise ValueError(
                f"singular values from {s.min():.3g} to {s.max():.3g}: their squares leave the float64 "
                "range (about 1e-154 < s < 1e154 is needed). Rescale: the problem (c s, theta / c, "
                "noise_var, alpha c^2) has the same in-sample risk and filters, so divide s by "
                "c = s.max(), multiply theta_coords by c and pass alpha / c^2 (and leave out "
                "directions with s below 1e-150 * s.max(), which no alpha can resolve)."
            )
        if theta.shape != s.shape:
            raise ValueError(
                f"theta_coords has {theta.size} entries but there are {s.size} singular values; "
                "give one coordinate per nonzero singular value."
            )
        if not np.all(np.isfinite(theta)):
            raise ValueError("theta_coords contains NaN or infinite values.")
        with np.errstate(over="ignore"):
            signal = (s * theta) ** 2
        if not np.all(np.isfinite(signal)):
            raise ValueError(
                "s_j * theta_j exceeds 1e154 for some direction, so the signal energy s^2 theta^2 "
                "overflows float64; rescale y (theta_coords and the noise standard deviation by the "
                "same factor scale every risk by its square)."
            )
        if not np.isfinite(n_samples) or n_samples <= 0:
            raise ValueError(f"n_samples must be > 0, got {n_samples!r}.")
        if not np.isfinite(null_energy) or null_energy < 0:
            raise ValueError(f"null_energy must be >= 0, got {null_energy!r}.")
        order = np.argsort(-s, kind="stable")
        self.singular_values = s[order]
        self.theta_coords = theta[order]
        self.noise_var = check_noise_var(noise_var)
        self.n_samples = float(n_samples)
        self.null_energy = float(null_energy)
        self.components = None if components is None else np.asarray(components)[:, order]
        self.theta_star = theta_star

    @classmethod
    def from_X(cls, X, theta_star, noise_var) -> FixedDesignProblem:
        """Reduce a design ``X`` (n_samples x n_features) and true parameter to the spectral problem."""
        X = as_design(X)
        theta_star = check_theta_star(theta_star, X.shape[1])
        noise_var = check_noise_var(noise_var)
        design = SpectralDesign.from_X(X, method="svd")
        V = design.components
        theta_v = V.T @ theta_star
        null = theta_star - V @ theta_v
        return cls(
            design.singular_values,
            theta_v,
            noise_var,
            n_samples=X.shape[0],
            null_energy=float(null @ null),
            components=V,
            theta_star=theta_star,
        )

    @classmethod
    def from_spectrum(
        cls, singular_values, theta_coords, noise_var, n_samples: float = 1.0, null_energy: float = 0.0
    ) -> FixedDesignProblem:
        """Build the problem from singular values and signal coordinates (no design matrix needed)."""
        return cls(singular_values, theta_coords, noise_var, n_samples, null_energy=null_energy)

    # ------------------------------------------------------------------ risk models
    def risk_model(self, kind: str = "in_sample", covariance=None) -> SpectralRisk:
        """The quadratic-in-filter model of the chosen risk.

        Parameters
        ----------
        kind : {"in_sample", "parameter", "population"}
            ``"in_sample"``: ``E (1/n)||X(theta_hat - theta*)||^2``; ``"parameter"``:
            ``E ||theta_hat - theta*||^2``; ``"population"``: ``E (theta_hat - theta*)^T Sigma
            (theta_hat - theta*)`` for ``covariance=Sigma`` (needs a problem built with
            :meth:`from_X`).
        covariance : array-like of shape (n_features, n_features), optional
            Test covariance Sigma for ``kind="population"`` (symmetric positive semi-definite).
        """
        if kind == "in_sample":
            if covariance is not None:
                raise ValueError("covariance is only used with kind='population'.")
            return in_sample_risk(self.singular_values, self.theta_coords, self.noise_var, self.n_samples)
        if kind == "parameter":
            if covariance is not None:
                raise ValueError("covariance is only used with kind='population'.")
            return parameter_risk(self.singular_values, self.theta_coords, self.noise_var, self.null_energy)
        if kind == "population":
            if self.components is None:
                raise ValueError(
                    "kind='population' needs the eigenvectors of X; build the problem with "
                    "FixedDesignProblem.from_X."
                )
            sigma = _check_covariance(covariance, self.components.shape[0])
            return population_risk(
                self.singular_values, self.components, self.theta_star, self.noise_var, sigma
            )
        raise ValueError(f"kind must be one of {RISK_KINDS}, got {kind!r}.")

    def shrinkage(self, alpha) -> tuple[np.ndarray, np.ndarray]:
        """``(a, t)``: ridge shrinkage ``s^2/(s^2+alpha)`` and its complement, per direction."""
        return _filters.shrinkage(self.singular_values, check_alpha(alpha))

    def filter(self, alpha, xi=None, *, xibar=None, spectral_filter=None) -> tuple[np.ndarray, np.ndarray]:
        """Overall spectral filter ``(h, 1 - h)`` of k-step SD, per direction.

        ``xi`` (per step), ``xibar`` (reparametrised) or ``spectral_filter`` (h itself, one value
        per singular value in decreasing order, e.g. :attr:`OptimalSD.filter`): at most one of
        them; none means ridge.
        """
        a, t = self.shrinkage(alpha)
        return _filter_pair(a, t, xi, xibar, spectral_filter)

    def risk(
        self, alpha, xi=None, *, xibar=None, spectral_filter=None, kind="in_sample", covariance=None
    ) -> RiskDecomposition:
        """Exact risk of k-step SD with the given imitation parameters, split into bias and variance."""
        model = self.risk_model(kind, covariance)
        h, f = self.filter(alpha, xi, xibar=xibar, spectral_filter=spectral_filter)
        return RiskDecomposition(model.bias(h, f), model.variance(h))

    def quadratic_form(self, alpha, n_steps, *, kind="in_sample", covariance=None) -> QuadraticForm:
        """The risk as a quadratic ``(M, mu, c0)`` in ``xibar`` (monomial basis ``1 - a^i``).

        Columns are formed as ``a t (1 + a + ... + a^{i-1})`` so that ``a (1 - a^i)`` is never
        computed by subtraction.
        """
        k = check_n_steps(n_steps)
        model = self.risk_model(kind, covariance)
        a, t = self.shrinkage(alpha)
        form = model.least_squares_form(a, t)
        powers = np.cumsum(np.vander(a, k, increasing=True), axis=1) if k else np.zeros((a.size, 0))
        columns = (a * t)[:, None] * powers  # u-vector of xibar = e_i
        SC = np.column_stack([form.apply_S(columns[:, i]) for i in range(k)]) if k else np.zeros((form.b.size, 0))
        M = SC.T @ SC
        mu = SC.T @ form.b
        c0 = float(form.b @ form.b) + form.const
        return QuadraticForm(M, mu, c0)

    def optimal(self, alpha, n_steps, *, kind="in_sample", covariance=None) -> OptimalSD:
        """Optimal k-step SD at ``alpha``: exact minimiser of the risk over xi in R^k.

        Solved as a weighted least-squares projection onto an orthonormal (Arnoldi / discrete
        Stieltjes) polynomial basis, so it stays accurate for large k and clustered singular values
        where the monomial normal equations fail. ``n_steps=0`` returns ridge.
        """
        alpha = check_alpha(alpha)
        k = check_n_steps(n_steps)
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        if k == 0:
            solution = KrylovSolution(np.zeros_like(a), np.zeros(0), 0.0, 0)
        else:
            solution = krylov_least_squares(a, t, model.least_squares_form(a, t), k)
        return _optimal_from_solution(model, alpha, k, a, t, solution)

    def optimal_over_alpha(
        self, n_steps, alphas=None, *, kind="in_sample", covariance=None, warn: bool = True
    ) -> OptimalSD:
        """Optimal k-step SD jointly over alpha > 0 and xi.

        With ``alphas`` given, the best grid point is returned. Otherwise a 161-point log grid
        spanning ``[1e-4 s_min^2, 1e4 s_max^2]`` is refined by bounded Brent search on log(alpha)
        around the best grid point. For k >= the number of distinct singular values the optimum is
        flat in alpha (it equals the oracle or the grouped bound).

        For 1 <= k < r the infimum is often approached only as alpha -> infinity: all a_j tend to 0,
        where the polynomial family loses its constraint ``m(1) = 1``. The result then sits on the
        edge of the searched range; ``on_boundary`` is set and a :class:`GridBoundaryWarning` is
        issued (pass ``warn=False`` to silence it).
        """
        k = check_n_steps(n_steps)
        evaluate = lambda lam: self.optimal(lam, k, kind=kind, covariance=covariance)  # noqa: E731
        if alphas is not None:
            grid = np.sort(check_alpha_grid(alphas))
            risks = np.array([evaluate(lam).risk for lam in grid])
            best = int(np.argmin(risks))
            return self._finish(evaluate(grid[best]), best, grid.size, warn)
        s2 = self.singular_values**2
        log_grid = np.linspace(np.log(1e-4 * s2.min()), np.log(1e4 * s2.max()), 161)
        risks = np.array([evaluate(np.exp(x)).risk for x in log_grid])
        best = int(np.argmin(risks))
        lo, hi = log_grid[max(best - 1, 0)], log_grid[min(best + 1, log_grid.size - 1)]
        result = evaluate(float(np.exp(log_grid[best])))
        refined = minimize_scalar(
            lambda x: evaluate(np.exp(x)).risk, bounds=(lo, hi), method="bounded",
            options={"xatol": 1e-10},
        )
        candidate = evaluate(float(np.exp(refined.x)))
        if candidate.risk < result.risk:
            result = candidate
        return self._finish(result, best, log_grid.size, warn)

    @staticmethod
    def _finish(result: OptimalSD, best: int, size: int, warn: bool) -> OptimalSD:
        # A flat risk curve (k >= number of distinct s_j) is not a boundary problem.
        if size < 2 or best not in (0, size - 1):
            return result
        result = replace(result, on_boundary=True)
        if warn:
            side = "smallest" if best == 0 else "largest"
            warnings.warn(
                f"the best alpha for {result.n_steps}-step SD is the {side} one searched "
                f"(alpha = {result.alpha:.3g}); the infimum may lie beyond it.",
                GridBoundaryWarning,
                stacklevel=3,
            )
        return result

    def ridge_risk_derivative(self, alpha, *, kind="in_sample", covariance=None) -> float:
        """Analytic ``dR/d alpha`` of the ridge teacher's risk.

        With ``a' = -a t / alpha`` and ``t' = a t / alpha``:
        ``R'(alpha) = (2/alpha) [ (K t + k)^T (a t) - sum_j Vw_j a_j (a_j t_j) ]``.
        """
        alpha = check_alpha(alpha)
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        at = a * t
        Kt = model.K * t if model.diagonal else model.K @ t
        if model.k is not None:
            Kt = Kt + model.k
        return float(2.0 / alpha * (Kt @ at - np.sum(model.Vw * a * at)))

    def one_step(self, alpha, *, kind="in_sample", covariance=None) -> OneStepOptimum:
        """Closed-form optimal 1-step SD and the sign rule (Dang, Patil & Rinaldo 2026)."""
        alpha = check_alpha(alpha)
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        form = model.least_squares_form(a, t)
        direction = form.apply_S(a * t)  # the filter change per unit xi, in the risk's metric
        curvature = float(direction @ direction)
        derivative = self.ridge_risk_derivative(alpha, kind=kind, covariance=covariance)
        ridge = self.risk(alpha, kind=kind, covariance=covariance).total
        if curvature == 0.0:
            return OneStepOptimum(alpha, 0.0, ridge, ridge, derivative, 0.0)
        xi = -alpha * derivative / (2.0 * curvature)
        risk = self.risk(alpha, [xi], kind=kind, covariance=covariance).total
        return OneStepOptimum(alpha, float(xi), risk, ridge, derivative, curvature)

    # ------------------------------------------------------------------ bounds and assumptions
    def oracle_risk(self, *, kind="in_sample", covariance=None) -> float:
        """Per-direction oracle lower bound for every SD estimator (any k, alpha, xi).

        In-sample this is the right-hand side of the paper's eq. (14) in our (toolkit-derived) form
        ``(1/n) sum_j gamma^2 s_j^2 theta_j^2 / (s_j^2 theta_j^2 + gamma^2)``.
        """
        return self.risk_model(kind, covariance).oracle()

    def grouped_oracle_risk(self, rtol: float = 1e-8, *, kind="in_sample", covariance=None) -> float:
        """Lower bound when singular values within ``rtol * s_max`` must share a filter value.

        With repeated singular values (Asmp. 2.1 violated) this is what optimal SD attains once
        k >= the number of distinct values (Theory §3.5).
        """
        groups = group_singular_values(self.singular_values, rtol)
        return self.risk_model(kind, covariance).grouped_oracle(groups)

    def assumption_report(self, rtol: float = 1e-8, align_tol: float = 1e-8) -> AssumptionReport:
        """Check the paper's Assumption 2 (distinct singular values; theta* on one eigenvector)."""
        groups = group_singular_values(self.singular_values, rtol)
        energy = float(self.theta_coords @ self.theta_coords) + self.null_energy
        if energy == 0.0:
            cos2 = np.zeros_like(self.theta_coords)
            null_fraction = 0.0
        else:
            cos2 = self.theta_coords**2 / energy
            null_fraction = self.null_energy / energy
        return AssumptionReport(
            singular_values=self.singular_values.copy(),
            groups=groups,
            squared_cosines=cos2,
            null_fraction=null_fraction,
            distinct=bool(np.unique(groups).size == groups.size),
            aligned=bool(cos2.size and cos2.max() >= 1.0 - align_tol),
            rtol=rtol,
            align_tol=align_tol,
        )

    def separation(self, n_steps=None, *, kind="in_sample", covariance=None) -> SeparationReport:
        """Best ridge / best k-step risk over alpha (default k = number of distinct singular values)."""
        if n_steps is None:
            n_steps = self.assumption_report().n_distinct
        k = check_n_steps(n_steps)
        opt = lambda steps: self.optimal_over_alpha(  # noqa: E731
            steps, kind=kind, covariance=covariance, warn=False
        )
        return SeparationReport(ridge=opt(0), one_step=opt(1), k_step=opt(k))


# --------------------------------------------------------------------------- helpers
def group_singular_values(singular_values, rtol: float = 1e-8) -> np.ndarray:
    """Label directions whose singular values differ by at most ``rtol * s_max`` (chained)."""
    s = np.asarray(singular_values, dtype=np.float64)
    if not np.isfinite(rtol) or rtol < 0:
        raise ValueError(f"rtol must be >= 0, got {rtol!r}.")
    order = np.argsort(-s, kind="stable")
    labels = np.empty(s.size, dtype=int)
    scale = s.max(initial=0.0)
    current = 0
    for pos, idx in enumerate(order):
        if pos > 0 and s[order[pos - 1]] - s[idx] > rtol * scale:
            current += 1
        labels[idx] = current
    return labels


def _filter_pair(a, t, xi, xibar, spectral_filter) -> tuple[np.ndarray, np.ndarray]:
    """``(h, 1 - h)`` from exactly one of xi, xibar or the filter itself (none: ridge)."""
    given = [name for name, v in (("xi", xi), ("xibar", xibar), ("spectral_filter", spectral_filter)) if v is not None]
    if len(given) > 1:
        raise ValueError(
            f"give one of xi (per step), xibar (reparametrised) or spectral_filter, not both {given[0]} "
            f"and {given[1]}."
        )
    if spectral_filter is not None:
        h = np.asarray(spectral_filter, dtype=np.float64)
        if h.shape != a.shape:
            raise ValueError(
                f"spectral_filter has shape {h.shape}; it needs one value per nonzero singular value "
                f"({a.size}), in decreasing order of the singular values (as OptimalSD.filter)."
            )
        if not np.all(np.isfinite(h)):
            raise ValueError("spectral_filter contains NaN or infinite values.")
        # 1 - h by subtraction: relative error eps / (1 - h) where h is within eps of 1 (tiny alpha);
        # xi and xibar keep the cancellation-free t + a d form.
        return h, 1.0 - h
    if xibar is not None:
        d = _filters.deviation_from_xibar(a, t, check_xi(xibar, "xibar"))
    elif xi is not None:
        d = _filters.deviation_from_xi(a, t, check_xi(xi))
    else:
        d = np.zeros_like(a)
    return _filters.filter_from_deviation(a, t, d)


#: ``OptimalSD.xi`` / ``.xibar`` are reported only when the risk evaluated at them matches the
#: optimal risk to this relative tolerance (plus 1e-14 of the teacher's risk, for a zero optimum).
REALISATION_RTOL = 1e-9


def _optimal_from_solution(model, alpha, k, a, t, solution: KrylovSolution) -> OptimalSD:
    h = a - solution.u
    f = t + solution.u
    # u = a t q(a), so the multiplier deviation is d = u / a (a underflows only for alpha ~ inf).
    multipliers = 1.0 - np.divide(solution.u, a, out=np.zeros_like(a), where=a > 0)
    bias, variance = model.bias(h, f), model.variance(h)
    risk = bias + variance
    xibar, xi, reason = _representations(model, a, t, k, solution, risk)
    return OptimalSD(
        alpha=float(alpha), n_steps=k, risk=risk, bias=bias, variance=variance, xibar=xibar,
        multipliers=multipliers, filter=h, dimension=solution.dimension, xi=xi,
        unrepresentable_reason=reason,
    )


def _representations(model, a, t, k, solution, risk):
    """``(xibar, xi, reason)``: the optimum in the monomial and per-step bases, where they realise it.

    The optimal filter is exact, but its monomial coefficients can be huge with alternating signs,
    and the risk evaluated from them then loses every digit to cancellation (e.g. k = 8 steps at a
    large alpha). Each representation is re-scored exactly as :func:`excess_risk` would score it
    and dropped (None, with the reason) unless it reproduces ``risk``.
    """
    tails = np.zeros(k)
    tails[: solution.q_monomial.size] = solution.q_monomial
    if not np.all(np.isfinite(tails)):
        return None, None, (
            f"the optimal {k}-step polynomial's monomial coefficients overflow float64; "
            "use .filter (exact), e.g. excess_risk(..., spectral_filter=opt.filter)."
        )
    xibar = _filters.tail_sums_to_xibar(tails)
    tolerance = REALISATION_RTOL * abs(risk) + 1e-14 * (model.bias(a, t) + model.variance(a))

    def realised(deviation) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            h, f = _filters.filter_from_deviation(a, t, deviation)
            return model.bias(h, f) + model.variance(h)

    with np.errstate(over="ignore", invalid="ignore"):
        risk_bar = realised(_filters.deviation_from_xibar(a, t, xibar))
    if not abs(risk_bar - risk) <= tolerance:
        return None, None, (
            f"evaluated from xibar (max |xibar| = {np.max(np.abs(xibar)):.3g}) the risk is "
            f"{risk_bar:.6g}, not the optimal {risk:.6g}: cancellation in the monomial basis. "
            "Use .filter (exact), e.g. excess_risk(..., spectral_filter=opt.filter)."
        )
    try:
        xi = _filters.xibar_to_xi(xibar)
    except ValueError as error:
        return xibar, None, f"no finite per-step xi: {error}"
    risk_xi = realised(_filters.deviation_from_xi(a, t, xi))
    if not abs(risk_xi - risk) <= tolerance:
        return xibar, None, (
            f"run step by step with xi (max |xi| = {np.max(np.abs(xi)):.3g}) the risk is {risk_xi:.6g}, "
            f"not the optimal {risk:.6g}: use xibar=opt.xibar or spectral_filter=opt.filter."
        )
    return xibar, xi, None


def _check_covariance(covariance, n_features: int) -> np.ndarray:
    if covariance is None:
        raise ValueError("kind='population' needs covariance=Sigma (n_features x n_features).")
    sigma = np.asarray(covariance, dtype=np.float64)
    if sigma.shape != (n_features, n_features):
        raise ValueError(f"covariance must have shape ({n_features}, {n_features}), got {sigma.shape}.")
    if not np.all(np.isfinite(sigma)):
        raise ValueError("covariance contains NaN or infinite values.")
    if not np.allclose(sigma, sigma.T, rtol=1e-10, atol=1e-12 * np.abs(sigma).max(initial=1.0)):
        raise ValueError("covariance must be symmetric.")
    smallest = np.linalg.eigvalsh(sigma)[0]
    if smallest < -1e-10 * max(np.abs(sigma).max(), 1.0):
        raise ValueError(f"covariance must be positive semi-definite (smallest eigenvalue {smallest:.3g}).")
    return sigma


# --------------------------------------------------------------------------- public functions
def sd_coef(X, y, alpha, xi=None, *, xibar=None, spectral_filter=None) -> np.ndarray:
    """Coefficients of k-step self-distilled ridge regression (no intercept), in closed form.

    Objective: the ridge teacher ``theta_0 = argmin ||y - X theta||^2 + alpha ||theta||^2`` (sklearn's
    ``Ridge(alpha, fit_intercept=False)``), then for i = 1..k::

        theta_i = argmin ||xi_i X theta_{i-1} + (1 - xi_i) y - X theta||^2 + alpha ||theta||^2

    computed as ``V diag(h / s) U^T y`` with the spectral filter ``h = a * m(a)`` of the paper
    (one SVD/eigendecomposition; no refits; exact for any real xi, including huge ones).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Design (sklearn orientation; the paper's d x n design is ``X.T``).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets (several columns are distilled independently, with the same xi).
    alpha : float
        Ridge penalty > 0 on the sum of squares (the paper's lambda), the same at every step.
    xi : float or array-like of shape (k,), optional
        Imitation parameters; ``xi_i`` weights the teacher at step i. Empty (or nothing given)
        means ridge.
    xibar : array-like of shape (k,), optional
        Reparametrised parameters instead of ``xi``.
    spectral_filter : array-like of shape (r,), optional
        The overall filter h itself, one value per nonzero singular value of X in decreasing
        order, e.g. :attr:`OptimalSD.filter` (the optimum also where its ``xi`` is None). Give at
        most one of ``xi``, ``xibar`` and ``spectral_filter``.

    Returns
    -------
    ndarray of shape (n_features,) or (n_features, n_targets)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> np.allclose(sd_coef(X, y, 1.0, []), Ridge(alpha=1.0, fit_intercept=False).fit(X, y).coef_)
    True
    """
    X = as_design(X)
    y = as_targets(y, X.shape[0])
    alpha = check_alpha(alpha)
    design = SpectralDesign.from_X(X, y)
    a, t = _filters.shrinkage(design.singular_values, alpha)
    h, _ = _filter_pair(a, t, xi, xibar, spectral_filter)
    coef = design.coef_from_filter(h)
    return coef[:, 0] if y.ndim == 1 else coef


def _problem(X, theta_star, noise_var) -> FixedDesignProblem:
    return FixedDesignProblem.from_X(X, theta_star, noise_var)


#: Parameter descriptions shared by the public theory functions (substituted into their docstrings).
_DOCS = {
    "design": """X : array-like of shape (n_samples, n_features)
        Fixed design (sklearn orientation; the paper's d x n design is ``X.T``).
    theta_star : array-like of shape (n_features,)
        True parameter; the model is ``y = X theta* + eta`` with ``E eta = 0``, ``Cov eta = gamma^2 I``.
    noise_var : float
        Noise variance gamma^2 >= 0.""",
    "alpha": """alpha : float
        Ridge penalty > 0 on the *sum* of squares (the paper's lambda; sklearn's ``Ridge(alpha)``),
        the same at every step.""",
    "xi": """xi : float or array-like of shape (k,), optional
        Per-step imitation parameters (xi weights the teacher; any real value). Omit for ridge.
    xibar : array-like of shape (k,), optional
        Reparametrised parameters instead of ``xi``.
    spectral_filter : array-like of shape (r,), optional
        The overall filter h itself, one value per nonzero singular value of X in decreasing
        order, e.g. :attr:`OptimalSD.filter` (exact also where ``OptimalSD.xi`` is None). Give at
        most one of ``xi``, ``xibar`` and ``spectral_filter``.""",
    "kind": """kind : {"in_sample", "parameter", "population"}, default="in_sample"
        ``E (1/n)||X(theta_hat - theta*)||^2`` (fixed design), ``E ||theta_hat - theta*||^2``
        (Das & Sanghavi) or ``E (theta_hat - theta*)^T Sigma (theta_hat - theta*)``.
    covariance : array-like of shape (n_features, n_features), optional
        Test covariance Sigma for ``kind="population"``.""",
}


def _fill_doc(func):
    """Substitute ``%(name)s`` placeholders in ``func``'s docstring with ``_DOCS[name]``."""
    func.__doc__ = re.sub(r"%\((\w+)\)s", lambda m: _DOCS[m.group(1)], func.__doc__)
    return func


@_fill_doc
def risk_decomposition(
    X, theta_star, noise_var, alpha, xi=None, *, xibar=None, spectral_filter=None, kind="in_sample",
    covariance=None,
) -> RiskDecomposition:
    """Exact bias/variance split of the risk of k-step SD in fixed design.

    Parameters
    ----------
    %(design)s
    %(alpha)s
    %(xi)s
    %(kind)s

    Returns
    -------
    RiskDecomposition
        With ``.bias``, ``.variance`` and ``.total``.
    """
    return _problem(X, theta_star, noise_var).risk(
        alpha, xi, xibar=xibar, spectral_filter=spectral_filter, kind=kind, covariance=covariance
    )


@_fill_doc
def excess_risk(
    X, theta_star, noise_var, alpha, xi=None, *, xibar=None, spectral_filter=None, kind="in_sample",
    covariance=None,
) -> float:
    """Exact fixed-design excess risk ``E (1/n)||X(theta_hat - theta*)||^2`` of k-step SD.

    Parameters
    ----------
    %(design)s
    %(alpha)s
    %(xi)s
    %(kind)s

    Returns
    -------
    float
        ``risk_decomposition(...).total``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([1.0, 0.5, 1 / 3, 0.25])                 # rank 4, n = 4
    >>> round(4 * excess_risk(X, [1, 0, 0, 0], 0.1, 0.125), 10)   # n * risk at lambda = 0.125
    0.169058909
    """
    return risk_decomposition(
        X, theta_star, noise_var, alpha, xi, xibar=xibar, spectral_filter=spectral_filter, kind=kind,
        covariance=covariance,
    ).total


@_fill_doc
def optimal_xi(X, theta_star, noise_var, alpha, n_steps, *, kind="in_sample", covariance=None) -> OptimalSD:
    """Optimal imitation parameters of k-step SD at a fixed penalty (exact; xi unconstrained in R^k).

    Parameters
    ----------
    %(design)s
    %(alpha)s
    n_steps : int
        Number of distillation steps k >= 0.
    %(kind)s

    Returns
    -------
    OptimalSD
        With ``.xi`` (per step), ``.xibar`` (reparametrised), ``.risk``, ``.bias``, ``.variance``
        and the exact ``.filter``. ``.xi`` and ``.xibar`` are given only where they reproduce
        ``.risk`` when passed back to :func:`excess_risk`; otherwise they are None and
        ``.unrepresentable_reason`` says why (use ``spectral_filter=.filter`` then).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([1.0, 0.5, 1 / 3, 0.25])
    >>> best = optimal_xi(X, [1, 0, 0, 0], 0.1, 1.0, 2)
    >>> best.xi.round(3)
    array([-3.307,  2.498])
    """
    return _problem(X, theta_star, noise_var).optimal(alpha, n_steps, kind=kind, covariance=covariance)


@_fill_doc
def optimal_alpha(
    X, theta_star, noise_var, n_steps, alphas=None, *, kind="in_sample", covariance=None
) -> OptimalSD:
    """Optimal k-step SD jointly over the penalty and xi.

    Parameters
    ----------
    %(design)s
    n_steps : int
        Number of distillation steps k >= 0.
    alphas : array-like, optional
        Grid of penalties to choose from; by default a log grid refined by Brent's method (see
        :meth:`FixedDesignProblem.optimal_over_alpha`, which also explains the edge warning).
    %(kind)s

    Returns
    -------
    OptimalSD
        The optimum, with its ``alpha`` and ``on_boundary`` flag.
    """
    return _problem(X, theta_star, noise_var).optimal_over_alpha(
        n_steps, alphas, kind=kind, covariance=covariance
    )


@_fill_doc
def one_step_optimal_xi(X, theta_star, noise_var, alpha, *, kind="in_sample", covariance=None) -> OneStepOptimum:
    """Closed-form optimal 1-step xi, ``-alpha R'(alpha) / (2 D)``, with its sign rule.

    Parameters
    ----------
    %(design)s
    %(alpha)s
    %(kind)s

    Returns
    -------
    OneStepOptimum
        ``xi``, the optimal risk, the teacher's risk and its derivative ``R'(alpha)``, and ``D``.
    """
    return _problem(X, theta_star, noise_var).one_step(alpha, kind=kind, covariance=covariance)


@_fill_doc
def oracle_risk(X, theta_star, noise_var, *, kind="in_sample", covariance=None) -> float:
    """The per-direction lower bound on the risk of every SD estimator (the paper's eq. 14 RHS).

    In-sample: ``(1/n) sum_j gamma^2 s_j^2 theta_j^2 / (s_j^2 theta_j^2 + gamma^2)``; attained by
    optimal r-step SD when the r singular values are distinct.

    Parameters
    ----------
    %(design)s
    %(kind)s

    Returns
    -------
    float
    """
    return _problem(X, theta_star, noise_var).oracle_risk(kind=kind, covariance=covariance)


@_fill_doc
def grouped_oracle_risk(X, theta_star, noise_var, rtol=1e-8, *, kind="in_sample", covariance=None) -> float:
    """Attainable lower bound when singular values repeat (within ``rtol * s_max``).

    Parameters
    ----------
    %(design)s
    rtol : float, default=1e-8
        Singular values closer than ``rtol * s_max`` count as equal.
    %(kind)s

    Returns
    -------
    float
    """
    return _problem(X, theta_star, noise_var).grouped_oracle_risk(rtol, kind=kind, covariance=covariance)


def assumption_report(X, theta_star, rtol=1e-8, align_tol=1e-8) -> AssumptionReport:
    """Report the paper's Assumption 2 for design X and parameter theta* (noise does not matter).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Fixed design.
    theta_star : array-like of shape (n_features,)
        True (or estimated) parameter.
    rtol : float, default=1e-8
        Relative tolerance for "distinct" singular values.
    align_tol : float, default=1e-8
        theta* counts as aligned when one squared cosine is >= 1 - align_tol.

    Returns
    -------
    AssumptionReport
    """
    return _problem(X, theta_star, 0.0).assumption_report(rtol, align_tol)


@_fill_doc
def separation_ratio(X, theta_star, noise_var, n_steps=None) -> SeparationReport:
    """Best ridge risk / best k-step SD risk over alpha (default k = number of distinct s_j).

    Parameters
    ----------
    %(design)s
    n_steps : int, optional
        k; the number of distinct singular values by default (where SD reaches the bound).

    Returns
    -------
    SeparationReport
        The three optima (ridge, 1-step, k-step) and the ratios.
    """
    return _problem(X, theta_star, noise_var).separation(n_steps)


@_fill_doc
def simulate_risk(
    X,
    theta_star,
    noise_var,
    alpha,
    xi=None,
    *,
    n_draws: int = 10_000,
    random_state: int | None = 0,
    kind="in_sample",
    covariance=None,
) -> MonteCarloRisk:
    """Monte-Carlo estimate of the same risks from Gaussian noise draws (seeded).

    Draws ``y = X theta* + eta`` with ``eta ~ N(0, noise_var I)`` ``n_draws`` times, fits k-step SD
    on all draws at once (as a multi-target problem) and averages the loss.

    Parameters
    ----------
    %(design)s
    %(alpha)s
    xi : float or array-like of shape (k,), optional
        Per-step imitation parameters (xi weights the teacher). Omit for ridge.
    n_draws : int, default=10000
        Number of noise draws.
    random_state : int or None, default=0
        Seed of ``numpy.random.default_rng``.
    %(kind)s

    Returns
    -------
    MonteCarloRisk
        Mean, standard error and a plug-in bias/variance split.
    """
    X = as_design(X)
    theta_star = check_theta_star(theta_star, X.shape[1])
    noise_var = check_noise_var(noise_var)
    n_draws = check_positive_int(n_draws, "n_draws")
    if kind not in RISK_KINDS:
        raise ValueError(f"kind must be one of {RISK_KINDS}, got {kind!r}.")
    if kind == "population":
        metric = _check_covariance(covariance, X.shape[1])
    elif covariance is not None:
        raise ValueError("covariance is only used with kind='population'.")
    elif kind == "in_sample":
        metric = X.T @ X / X.shape[0]
    else:
        metric = np.eye(X.shape[1])
    rng = np.random.default_rng(random_state)
    noise = rng.normal(scale=np.sqrt(noise_var), size=(X.shape[0], n_draws))
    Y = (X @ theta_star)[:, None] + noise
    coefs = sd_coef(X, as_targets(Y, X.shape[0]), alpha, [] if xi is None else xi)
    errors = coefs - theta_star[:, None]
    losses = np.einsum("ij,ik,kj->j", errors, metric, errors)
    mean_error = errors.mean(axis=1)
    centred = errors - mean_error[:, None]
    return MonteCarloRisk(
        mean=float(losses.mean()),
        std_error=float(losses.std(ddof=1) / np.sqrt(n_draws)) if n_draws > 1 else float("nan"),
        bias=float(mean_error @ metric @ mean_error),
        variance=float(np.mean(np.einsum("ij,ik,kj->j", centred, metric, centred))),
        n_draws=n_draws,
        random_state=random_state,
        draws=losses,
    )
