"""Result objects of the fixed-design theory (what :mod:`selfdistill.theory` returns).

Plain frozen dataclasses: they hold numbers and derived properties, never compute risks
themselves (the engine is :class:`selfdistill.theory.FixedDesignProblem`). Conventions as in
:mod:`selfdistill.theory`: ``alpha`` is the paper's lambda on the sum of squares and ``xi`` weights
the teacher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _filters


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
