"""The fixed-design engine: one problem reduced to its spectrum, every exact SD quantity from it.

:class:`FixedDesignProblem` holds the singular values of X and the signal's coordinates in the
eigenbasis (decompose once); every (alpha, k, xi) after that costs O(r) or O(r k^2). The public
functions of :mod:`selfdistill.theory` are thin calls of its methods. Conventions as there: X is
n_samples x n_features, ``alpha`` is the paper's lambda on the sum of squares, ``xi`` weights the
teacher, ``noise_var`` is gamma^2.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

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
from ._theory_results import (
    AssumptionReport,
    OneStepOptimum,
    OptimalSD,
    QuadraticForm,
    RiskDecomposition,
    SeparationReport,
)
from ._validation import (
    FRACTION,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    Boolean,
    Converter,
    Options,
    as_design,
    check_alpha_grid,
    check_coordinates,
    check_finite_vector,
    check_noise_var,
    check_theta_star,
    validate_params,
)
from .exceptions import GridBoundaryWarning

RISK_KINDS = ("in_sample", "parameter", "population")


# Constraint tables shared by the engine's methods and the functions of :mod:`selfdistill.theory`.
ALPHA = {"alpha": [POSITIVE]}
FILTER = {
    "xi": [None, Converter(check_finite_vector, "a number or a 1-D sequence of finite numbers")],
    "xibar": [None, Converter(check_finite_vector, "a 1-D sequence of finite numbers")],
}
KIND = {"kind": [Options(*RISK_KINDS)]}
N_STEPS = {"n_steps": [NON_NEGATIVE_INT]}
ALPHAS = {"alphas": [None, Converter(check_alpha_grid, "a 1-D grid of penalties > 0")]}
NOISE_VAR = {"noise_var": [Converter(check_noise_var, "a finite variance >= 0")]}
RTOL = {"rtol": [NON_NEGATIVE]}
ALIGN_TOL = {"align_tol": [FRACTION]}

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

    @validate_params(
        NOISE_VAR,
        {
            "n_samples": [POSITIVE],
            "null_energy": [NON_NEGATIVE],
        },
    )
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
        theta = check_coordinates(np.ravel(theta_coords), s.size, "theta_coords", "nonzero singular value")
        with np.errstate(over="ignore"):
            signal = (s * theta) ** 2
        if not np.all(np.isfinite(signal)):
            raise ValueError(
                "s_j * theta_j exceeds 1e154 for some direction, so the signal energy s^2 theta^2 "
                "overflows float64; rescale y (theta_coords and the noise standard deviation by the "
                "same factor scale every risk by its square)."
            )
        order = np.argsort(-s, kind="stable")
        self.singular_values = s[order]
        self.theta_coords = theta[order]
        self.noise_var = noise_var
        self.n_samples = n_samples
        self.null_energy = null_energy
        self.components = None if components is None else np.asarray(components)[:, order]
        self.theta_star = theta_star

    @classmethod
    def from_X(cls, X, theta_star, noise_var) -> FixedDesignProblem:
        """Reduce a design ``X`` (n_samples x n_features) and true parameter to the spectral problem.

        One thin SVD of X (:meth:`SpectralDesign.from_X` with ``method="svd"``); build the problem
        once and call its methods (or pass it to the functions of :mod:`selfdistill.theory`) to
        reuse the decomposition.
        """
        return cls.from_design(SpectralDesign.from_X(as_design(X), method="svd"), theta_star, noise_var)

    @classmethod
    def from_design(cls, design: SpectralDesign, theta_star, noise_var) -> FixedDesignProblem:
        """The problem of a design that is already decomposed (no new decomposition).

        Parameters
        ----------
        design : SpectralDesign
            Decomposition of the design by any route (SVD, Gram or sufficient statistics). The
            risks refer to the matrix that was decomposed: centred and weighted if it was built
            with ``center=True`` or ``sample_weight``; ``n`` is ``design.n_samples``.
        theta_star : array-like of shape (n_features,)
            True parameter.
        noise_var : float
            Noise variance gamma^2 >= 0.
        """
        if not isinstance(design, SpectralDesign):
            raise TypeError(f"design must be a SpectralDesign, got {type(design).__name__}.")
        theta_star = check_theta_star(theta_star, design.n_features)
        V = design.components
        theta_v = V.T @ theta_star
        null = theta_star - V @ theta_v
        return cls(
            design.singular_values,
            theta_v,
            noise_var,
            n_samples=float(design.n_samples),
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
    @validate_params(KIND)
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
        if self.components is None:
            raise ValueError(
                "kind='population' needs the eigenvectors of X; build the problem with "
                "FixedDesignProblem.from_X."
            )
        sigma = _check_covariance(covariance, self.components.shape[0])
        return population_risk(
            self.singular_values, self.components, self.theta_star, self.noise_var, sigma
        )

    @validate_params(ALPHA)
    def shrinkage(self, alpha) -> tuple[np.ndarray, np.ndarray]:
        """``(a, t)``: ridge shrinkage ``s^2/(s^2+alpha)`` and its complement, per direction."""
        return _filters.shrinkage(self.singular_values, alpha)

    @validate_params(ALPHA, FILTER)
    def filter(self, alpha, xi=None, *, xibar=None, spectral_filter=None) -> tuple[np.ndarray, np.ndarray]:
        """Overall spectral filter ``(h, 1 - h)`` of k-step SD, per direction.

        ``xi`` (per step), ``xibar`` (reparametrised) or ``spectral_filter`` (h itself, one value
        per singular value in decreasing order, e.g. :attr:`OptimalSD.filter`): at most one of
        them; none means ridge.
        """
        a, t = self.shrinkage(alpha)
        return _filter_pair(a, t, xi, xibar, spectral_filter)

    @validate_params(ALPHA, FILTER, KIND)
    def risk(
        self, alpha, xi=None, *, xibar=None, spectral_filter=None, kind="in_sample", covariance=None
    ) -> RiskDecomposition:
        """Exact risk of k-step SD with the given imitation parameters, split into bias and variance."""
        model = self.risk_model(kind, covariance)
        h, f = self.filter(alpha, xi, xibar=xibar, spectral_filter=spectral_filter)
        return RiskDecomposition(model.bias(h, f), model.variance(h))

    @validate_params(ALPHA, N_STEPS, KIND)
    def quadratic_form(self, alpha, n_steps, *, kind="in_sample", covariance=None) -> QuadraticForm:
        """The risk as a quadratic ``(M, mu, c0)`` in ``xibar`` (monomial basis ``1 - a^i``).

        Columns are formed as ``a t (1 + a + ... + a^{i-1})`` so that ``a (1 - a^i)`` is never
        computed by subtraction.
        """
        k = n_steps
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        form = model.least_squares_form(a, t)
        powers = np.cumsum(np.vander(a, k, increasing=True), axis=1) if k else np.zeros((a.size, 0))
        columns = (a * t)[:, None] * powers  # u-vector of xibar = e_i
        SC = np.column_stack([form.apply_S(columns[:, i]) for i in range(k)]) if k else np.zeros((form.b.size, 0))
        M = SC.T @ SC
        mu = SC.T @ form.b
        c0 = float(form.b @ form.b) + form.const
        return QuadraticForm(M, mu, c0)

    @validate_params(ALPHA, N_STEPS, KIND)
    def optimal(self, alpha, n_steps, *, kind="in_sample", covariance=None) -> OptimalSD:
        """Optimal k-step SD at ``alpha``: exact minimiser of the risk over xi in R^k.

        Solved as a weighted least-squares projection onto an orthonormal (Arnoldi / discrete
        Stieltjes) polynomial basis, so it stays accurate for large k and clustered singular values
        where the monomial normal equations fail. ``n_steps=0`` returns ridge.
        """
        k = n_steps
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        if k == 0:
            solution = KrylovSolution(np.zeros_like(a), np.zeros(0), 0.0, 0)
        else:
            solution = krylov_least_squares(a, t, model.least_squares_form(a, t), k)
        return _optimal_from_solution(model, alpha, k, a, t, solution)

    @validate_params(N_STEPS, ALPHAS, KIND, {"warn": [Boolean()]})
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
        k = n_steps
        evaluate = lambda lam: self.optimal(lam, k, kind=kind, covariance=covariance)  # noqa: E731
        if alphas is not None:
            grid = np.sort(alphas)
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

    @validate_params(ALPHA, KIND)
    def ridge_risk_derivative(self, alpha, *, kind="in_sample", covariance=None) -> float:
        """Analytic ``dR/d alpha`` of the ridge teacher's risk.

        With ``a' = -a t / alpha`` and ``t' = a t / alpha``:
        ``R'(alpha) = (2/alpha) [ (K t + k)^T (a t) - sum_j Vw_j a_j (a_j t_j) ]``.
        """
        model = self.risk_model(kind, covariance)
        a, t = _filters.shrinkage(self.singular_values, alpha)
        at = a * t
        Kt = model.K * t if model.diagonal else model.K @ t
        if model.null_coupling is not None:
            Kt = Kt + model.null_coupling
        return float(2.0 / alpha * (Kt @ at - np.sum(model.Vw * a * at)))

    @validate_params(ALPHA, KIND)
    def one_step(self, alpha, *, kind="in_sample", covariance=None) -> OneStepOptimum:
        """Closed-form optimal 1-step SD and the sign rule (Dang, Patil & Rinaldo 2026)."""
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
    @validate_params(KIND)
    def oracle_risk(self, *, kind="in_sample", covariance=None) -> float:
        """Per-direction oracle lower bound for every SD estimator (any k, alpha, xi).

        In-sample this is the right-hand side of the paper's eq. (14) in our (toolkit-derived) form
        ``(1/n) sum_j gamma^2 s_j^2 theta_j^2 / (s_j^2 theta_j^2 + gamma^2)``.
        """
        return self.risk_model(kind, covariance).oracle()

    @validate_params(RTOL, KIND)
    def grouped_oracle_risk(self, rtol: float = 1e-8, *, kind="in_sample", covariance=None) -> float:
        """Lower bound when singular values within ``rtol * s_max`` must share a filter value.

        With repeated singular values (Asmp. 2.1 violated) this is what optimal SD attains once
        k >= the number of distinct values (Theory §3.5).
        """
        groups = group_singular_values(self.singular_values, rtol)
        return self.risk_model(kind, covariance).grouped_oracle(groups)

    @validate_params(RTOL, ALIGN_TOL)
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

    @validate_params(KIND, {"n_steps": [*N_STEPS["n_steps"], None]})
    def separation(self, n_steps=None, *, kind="in_sample", covariance=None) -> SeparationReport:
        """Best ridge / best k-step risk over alpha (default k = number of distinct singular values)."""
        k = self.assumption_report().n_distinct if n_steps is None else n_steps
        opt = lambda steps: self.optimal_over_alpha(  # noqa: E731
            steps, kind=kind, covariance=covariance, warn=False
        )
        return SeparationReport(ridge=opt(0), one_step=opt(1), k_step=opt(k))


# --------------------------------------------------------------------------- helpers
@validate_params(RTOL)
def group_singular_values(singular_values, rtol: float = 1e-8) -> np.ndarray:
    """Label directions whose singular values differ by at most ``rtol * s_max`` (chained)."""
    s = np.asarray(singular_values, dtype=np.float64)
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
    # xi and xibar come checked by the callers' constraint tables (FILTER)
    if xibar is not None:
        d = _filters.deviation_from_xibar(a, t, xibar)
    elif xi is not None:
        d = _filters.deviation_from_xi(a, t, xi)
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
