"""Deterministic equivalents of ridge and k-step self-distillation under a random design.

Proportional asymptotics (n, p -> infinity, p/n -> gamma) for Gaussian-like rows ``x = Sigma^(1/2) z``,
``y = x^T beta + eps`` with ``Var eps = sigma^2``: Dang, Patil & Rinaldo (2026), Theorem 3.1 and
Corollary 3.2, computed by the second-order "cross-ridge" route of Follow-ups §2.4 and,
for k > 1 steps, by our extension of section 3.2 (labelled as ours wherever it appears).

**Penalty scaling.** ``lam`` is the *per-sample* penalty of that literature: the teacher is
``argmin (1/n) ||y - X beta||^2 + lam ||beta||^2``. The estimators of this package
(:class:`~selfdistill.SelfDistilledRidge`, :func:`~selfdistill.excess_risk`, ...) take ``alpha``,
the penalty on the *sum* of squares (sklearn's ``Ridge(alpha)``), so ``alpha = n * lam``.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .. import _filters
from .._docstrings import fill_doc
from .._validation import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    Converter,
    InstanceOf,
    Interval,
    check_coordinates,
    check_penalties,
    validate_params,
)
from ..exceptions import GridBoundaryWarning
from . import _equivalents, _simulation

#: Largest number of steps for which the k-step DE is offered (the k x k system in the scaled
#: ridge-path basis stays well conditioned far beyond this; more steps add nothing visible).
MAX_STEPS = 8
#: Work-array budget (elements) per batch of penalties.
_CHUNK_ELEMENTS = 2_000_000


# --------------------------------------------------------------------------- result objects
class _PredictionRisk:
    """Mixin: the prediction risk of a result that stores ``excess_risk`` and ``noise_var``."""

    excess_risk: float | np.ndarray
    noise_var: float

    @property
    def risk(self) -> float | np.ndarray:
        """Prediction risk ``excess_risk + noise_var``."""
        return self.excess_risk + self.noise_var


@dataclass(frozen=True)
class RidgeEquivalent(_PredictionRisk):
    """Deterministic equivalent of ridge regression at one or more penalties.

    Every array attribute has the shape of the ``lam`` that was passed (floats for a scalar).

    Attributes
    ----------
    lam : float or ndarray
        Per-sample penalty (objective ``(1/n)||y - X beta||^2 + lam ||beta||^2``; ``alpha = n lam``).
    kappa : float or ndarray
        The fixed point of eq. (12), ``kappa (1 - (gamma/p) sum_i s_i/(s_i + kappa)) = lam``.
    excess_risk : float or ndarray
        Prediction risk minus ``noise_var``: ``E_x (x^T(beta_hat - beta))^2`` in the limit.
    bias, variance : float or ndarray
        Its signal and noise parts (``excess_risk = bias + variance``).
    derivative : float or ndarray
        ``dR/d lam`` of the risk (analytic).
    noise_var : float
        sigma^2.
    """

    lam: float | np.ndarray
    kappa: float | np.ndarray
    excess_risk: float | np.ndarray
    bias: float | np.ndarray
    variance: float | np.ndarray
    derivative: float | np.ndarray
    noise_var: float


@dataclass(frozen=True)
class SelfDistillationEquivalent(_PredictionRisk):
    """Deterministic equivalent of *optimal* k-step self-distillation at one or more penalties.

    The student is the teacher's ridge plus a ridge-path correction (Follow-ups §1)::

        beta_k = beta_hat(lam) + sum_{i=1..k} w_i lam^i d^i beta_hat / d lam^i,

    which is exactly Pareek et al.'s k-step SD with the same penalty at every step (xi weights the
    teacher; for k = 1, ``w_1 = xi``). The optimal weights minimise the limiting risk.
    For k = 1 this is Dang, Patil & Rinaldo's Theorem 3.1; for k > 1 it is **our extension**
    (Follow-ups §3.2: ``R*_k = R - g^T Gamma^(-1) g`` with ``Gamma_ij =
    lam^(i+j) d_1^i d_2^j Rx`` and ``g_i = lam^i d_2^i Rx`` from the cross-ridge DE ``Rx``),
    not a result of any paper.

    Every array attribute has the shape of ``lam`` (plus a trailing axis of length k for the
    per-step vectors and two for ``hessian``).

    Attributes
    ----------
    lam : float or ndarray
        Per-sample penalty (``alpha = n lam`` on the sum of squares).
    n_steps : int
        Number of distillation steps k.
    xibar : ndarray
        Optimal imitation parameters in the toolkit's reparametrisation ``xibar`` (the risk is
        quadratic in it; :func:`~selfdistill.xibar_to_xi` gives per-step xi). For k = 1 this is
        the limiting optimal xi itself, Dang et al.'s ``xi-bar*`` (the bar there means
        "deterministic equivalent"), shape of ``lam``.
    ridge_path_weights : ndarray
        The same optimum as ridge-path weights ``w`` (equal to ``xibar`` for k = 1).
    excess_risk : float or ndarray
        Risk of the optimal k-step student minus ``noise_var``.
    ridge_excess_risk : float or ndarray
        The teacher's (ridge) excess risk at the same ``lam``.
    gain_over_ridge : float or ndarray
        ``ridge_excess_risk - excess_risk = g^T Gamma^(-1) g >= 0`` (computed directly, not by
        subtraction); for k = 1, ``lam^2 R'(lam)^2 / (4 D)``.
    curvature : float or ndarray
        ``D-bar = lam^2 d_1 d_2 Rx(lam, lam)``: the limit of ``||beta_hat - beta_pd||^2_Sigma``,
        the coefficient of xi^2 in the 1-step risk (reported for every k).
    hessian : ndarray
        ``Gamma`` (k x k per penalty), the Hessian of the risk in the weights ``w``.
    noise_var : float
        sigma^2.
    """

    lam: float | np.ndarray
    n_steps: int
    xibar: np.ndarray
    ridge_path_weights: np.ndarray
    excess_risk: float | np.ndarray
    ridge_excess_risk: float | np.ndarray
    gain_over_ridge: float | np.ndarray
    curvature: float | np.ndarray
    hessian: np.ndarray
    noise_var: float


@dataclass(frozen=True)
class DesignSimulation:
    """Exact conditional risks on drawn Gaussian designs (the Monte Carlo check of the DEs).

    Each draw is one design ``X`` (n x p, rows ``N(0, Sigma)``); the risks are exact given X and
    averaged over the noise (no label noise is drawn). Array attributes have shape
    ``(n_draws, len(lam))``.

    Attributes
    ----------
    lam : ndarray of shape (m,)
        Per-sample penalties (``alpha = n lam`` on the sum of squares).
    n_samples, n_features : int
        n and p of every draw (``p / n`` is the model's gamma up to rounding of n).
    ridge_excess_risk : ndarray
        Ridge excess risk ``E_eps (beta_hat - beta)^T Sigma (beta_hat - beta)`` per draw.
    sd_excess_risk : ndarray
        Same for 1-step SD at its exact optimal xi for that design.
    xi : ndarray
        That optimal xi (xi weights the teacher).
    curvature : ndarray
        ``D`` per draw (the coefficient of xi^2).
    random_state : int or None
        Seed of ``numpy.random.default_rng``.
    """

    lam: np.ndarray
    n_samples: int
    n_features: int
    ridge_excess_risk: np.ndarray
    sd_excess_risk: np.ndarray
    xi: np.ndarray
    curvature: np.ndarray
    random_state: int | None

    def summary(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard error over draws of one attribute (e.g. ``"sd_excess_risk"``).

        Parameters
        ----------
        name : str
            One of ``ridge_excess_risk``, ``sd_excess_risk``, ``xi``, ``curvature``.

        Returns
        -------
        mean, std_error : ndarray of shape (m,)
        """
        values = getattr(self, name)
        return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


# --------------------------------------------------------------------------- validation
_LAM = {"lam": [Converter(check_penalties, "a penalty > 0 or an array of them")]}
_SEED = [
    None,
    Interval(numbers.Integral, 0, None),
    InstanceOf((np.random.Generator, np.random.SeedSequence), "a numpy Generator or SeedSequence"),
]
_SEARCH = {
    "lam_range": [None, Converter(check_penalties, "(low, high) with 0 < low < high")],
    "n_grid": [Interval(numbers.Integral, 3, None)],
}
_SEARCH_DOC = """lam_range : tuple of float, optional
    ``(low, high)`` per-sample penalties searched; default ``mean(s) * (1e-6, 1e6)``.
n_grid : int, default=400
    Log-spaced grid points before refinement."""


def _shape(values: np.ndarray, shape: tuple):
    """Reshape a flat per-penalty array back to the shape of ``lam`` (float for a scalar)."""
    out = values.reshape(shape + values.shape[1:])
    return float(out) if out.ndim == 0 else out


@validate_params(
    {"n_features": [POSITIVE_INT], "rho": [Interval(numbers.Real, -1, 1, closed="neither")]}
)
def ar1_eigenvalues(n_features: int, rho: float) -> np.ndarray:
    """Eigenvalues of the AR(1) covariance ``Sigma_ij = rho^|i-j|`` (closed form, descending).

    ``(1 - rho^2) / (1 + rho^2 - 2 rho cos(pi j / (p + 1)))``, j = 1..p.

    Parameters
    ----------
    n_features : int
        p >= 1.
    rho : float
        Correlation in (-1, 1).

    Returns
    -------
    ndarray of shape (n_features,)
    """
    j = np.arange(1, n_features + 1)
    return np.sort((1 - rho**2) / (1 + rho**2 - 2 * rho * np.cos(np.pi * j / (n_features + 1))))[::-1]


# --------------------------------------------------------------------------- the model
class RandomDesignSD:
    """Deterministic equivalents of ridge and k-step self-distillation (SD) for a random design.

    Model: rows ``x_i = Sigma^(1/2) z_i`` (i.i.d., standardised z), ``y_i = x_i^T beta + eps_i`` with
    ``Var eps = noise_var``, n samples, p features, ``p / n = aspect_ratio`` (gamma), n, p -> infinity.
    X is n_samples x n_features (Dang, Patil & Rinaldo use the same orientation; Pareek et al.'s
    design is its transpose).

    **Objective and penalty scaling.** ``lam`` is the per-sample penalty of the random-design
    literature: the teacher is ``beta_hat = argmin (1/n)||y - X beta||^2 + lam ||beta||^2``, i.e.
    sklearn's ``Ridge(alpha)`` and this package's estimators with ``alpha = n * lam`` (the penalty
    on the *sum* of squares). The student refits the same ridge on ``xi * (teacher's fitted values)
    + (1 - xi) * y`` (xi weights the teacher, any real value), k times for k-step SD.

    Quantities are limits of the risk conditional on the training data (Theorem 3.1 of Dang et al.
    for 1 step; it equals the limit of the noise-averaged fixed-design risk of
    :func:`~selfdistill.excess_risk` with ``kind="population"``). k > 1 is our extension
    (Follow-ups §3.2), not a paper's result.

    Parameters
    ----------
    eigenvalues : array-like of shape (p,)
        Eigenvalues ``s_i >= 0`` of Sigma (not all zero).
    signal : array-like of shape (p,) or None
        Coordinates ``b_i = v_i^T beta`` of the signal in Sigma's eigenbasis (same order as
        ``eigenvalues``). Pass None and give ``signal_energy`` for the random-signal variant.
    aspect_ratio : float
        gamma = p / n > 0.
    noise_var : float
        sigma^2 >= 0.
    signal_energy : float, optional
        r^2 for a random signal ``beta ~ (r^2 / p) I`` independent of the design (the variant of
        Dang et al.'s heat maps). Its DE equals that of a deterministic signal with
        ``b_i^2 = r^2 / p`` for every i. Give exactly one of ``signal`` and ``signal_energy``.

    Notes
    -----
    All methods are vectorised over ``lam`` (any shape); kappa is solved by monotone Newton
    iterations (unique root, bracketed), and lam-derivatives come from exact Taylor-mode arithmetic,
    so ``lam = 1e-3`` and ``lam = 1e6`` are as accurate as ``lam = 1``. Where the risk is written
    with ``p``, only the empirical spectral distribution and the signal's spectral measure
    ``sum_i b_i^2 delta_{s_i}`` enter.

    Examples
    --------
    >>> model = RandomDesignSD([1.0], None, aspect_ratio=0.5, noise_var=1.0, signal_energy=2.0)
    >>> round(model.ridge(1.0).kappa, 5), round(model.optimal(1.0).xibar, 5)
    (1.28078, -1.34211)
    """

    @validate_params(
        {
            "aspect_ratio": [POSITIVE],
            "noise_var": [NON_NEGATIVE],
            "signal_energy": [None, NON_NEGATIVE],
        }
    )
    def __init__(self, eigenvalues, signal, aspect_ratio, noise_var, *, signal_energy=None) -> None:
        s = np.asarray(eigenvalues, dtype=np.float64)
        if s.ndim != 1 or s.size == 0:
            raise ValueError(f"eigenvalues must be a non-empty 1-D array, got shape {s.shape}.")
        if not np.all(np.isfinite(s)):
            raise ValueError("eigenvalues contain NaN or infinite values.")
        if np.any(s < 0):
            raise ValueError(
                f"eigenvalues must be >= 0 (a covariance is positive semi-definite); smallest given "
                f"is {s.min():.3g}."
            )
        if not np.any(s > 0):
            raise ValueError("eigenvalues are all zero: the design carries no information.")
        self.aspect_ratio = aspect_ratio
        self.noise_var = noise_var
        if (signal is None) == (signal_energy is None):
            raise ValueError("give exactly one of signal (coordinates) and signal_energy (r^2).")
        if signal is None:
            self.signal_energy = signal_energy
            self.signal = None
            signal_sq = np.full(s.size, self.signal_energy / s.size)
        else:
            b = check_coordinates(signal, s.size, "signal", "eigenvalue")
            self.signal = b
            signal_sq = b**2
            self.signal_energy = float(signal_sq.sum())
        self.eigenvalues = s
        self._signal_sq = signal_sq

    @property
    def random_signal(self) -> bool:
        """True for the random-signal variant (``signal_energy`` given)."""
        return self.signal is None

    # ------------------------------------------------------------------ core
    def _series(self, lam: np.ndarray, order: int) -> dict[str, np.ndarray]:
        # chunks of penalties keep the (m, p, k+1) work arrays at a few tens of MB
        size = max(1, _CHUNK_ELEMENTS // (self.eigenvalues.size * (order + 1)))
        parts = [
            _equivalents.cross_risk_series(
                self.eigenvalues, self._signal_sq, self.aspect_ratio, self.noise_var,
                lam[i : i + size], order,
            )
            for i in range(0, lam.size, size)
        ]
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    @validate_params(_LAM)
    def ridge(self, lam) -> RidgeEquivalent:
        """Deterministic equivalent of the ridge teacher at penalty ``lam``.

        ``excess_risk = kappa^2 b q_2 + sigma^2 t_2 / (1 - t_2)`` with ``b = 1/(1 - t_2)``,
        ``t_2 = (gamma/p) sum s_i^2/(s_i+kappa)^2`` and ``q_2 = sum b_i^2 s_i/(s_i+kappa)^2``.

        Parameters
        ----------
        lam : float or array-like
            Per-sample penalties > 0 (objective ``(1/n)||y - X beta||^2 + lam ||beta||^2``;
            ``alpha = n * lam`` on the sum of squares).

        Returns
        -------
        RidgeEquivalent
        """
        flat, shape = lam.reshape(-1), lam.shape
        out = self._series(flat, 1)
        C = out["C"]
        return RidgeEquivalent(
            lam=_shape(flat, shape),
            kappa=_shape(out["kappa"], shape),
            excess_risk=_shape(C[:, 0, 0], shape),
            bias=_shape(out["bias"], shape),
            variance=_shape(out["variance"], shape),
            derivative=_shape(2.0 * C[:, 1, 0] / flat, shape),
            noise_var=self.noise_var,
        )

    @validate_params(_LAM, {"n_steps": [Interval(numbers.Integral, 1, MAX_STEPS)]})
    def optimal(self, lam, n_steps: int = 1) -> SelfDistillationEquivalent:
        """Deterministic equivalent of optimal k-step SD (same ``lam`` at every step).

        For k = 1 (Dang, Patil & Rinaldo 2026, Theorem 3.1): ``xi* = -lam R'(lam) / (2 D)`` and
        ``R*_sd = R - lam^2 R'^2 / (4 D)``, so ``sign(xi*) = -sign(R'(lam))``. For k > 1: our
        extension (Follow-ups §3.2), see :class:`SelfDistillationEquivalent`.

        Parameters
        ----------
        lam : float or array-like
            Per-sample penalties > 0 (``alpha = n * lam`` on the sum of squares).
        n_steps : int, default=1
            Number of distillation steps k, 1 <= k <= 8 (k > 1: our extension).

        Returns
        -------
        SelfDistillationEquivalent
        """
        k = n_steps
        flat, shape = lam.reshape(-1), lam.shape
        C = self._series(flat, k)["C"]
        # basis lam^i d^i / i! (Taylor coefficients): Gamma~_ij = C_ij, g~_i = C_0i
        gram = C[:, 1:, 1:]
        gram = 0.5 * (gram + np.swapaxes(gram, 1, 2))
        g = C[:, 0, 1:]
        weights_scaled, gain = _solve_psd(gram, g)
        factorials = np.array([float(np.prod(np.arange(1, i + 1))) for i in range(1, k + 1)])
        w = weights_scaled / factorials
        hessian = gram * factorials[:, None] * factorials[None, :]
        xibar = w.copy() if k == 1 else np.array([_filters.ridge_path_to_xibar(row) for row in w])
        ridge = C[:, 0, 0]
        squeeze = (lambda a: a[:, 0]) if k == 1 else (lambda a: a)  # noqa: E731
        return SelfDistillationEquivalent(
            lam=_shape(flat, shape),
            n_steps=k,
            xibar=_shape(squeeze(xibar), shape),
            ridge_path_weights=_shape(squeeze(w), shape),
            excess_risk=_shape(ridge - gain, shape),
            ridge_excess_risk=_shape(ridge, shape),
            gain_over_ridge=_shape(gain, shape),
            curvature=_shape(C[:, 1, 1], shape),
            hessian=_shape(hessian, shape),
            noise_var=self.noise_var,
        )

    @validate_params(_LAM)
    def fourth_order(self, lam) -> dict:
        """Dang et al.'s eqs. (12)-(16) for 1 step, as written in their code [CODE].

        An independent route to the same numbers as :meth:`optimal` (``n_steps=1``); it forms
        ``D = A + B - 2C`` by subtraction and loses digits at extreme ``lam`` (about ``lam^2`` times
        machine precision relative), which is why :meth:`optimal` does not use it.

        Parameters
        ----------
        lam : float or array-like
            Per-sample penalties > 0.

        Returns
        -------
        dict
            ``A``, ``B``, ``C`` (excess parts of the teacher, pure-distilled and cross risks),
            ``D``, ``xi`` and ``kappa``, each with the shape of ``lam``.
        """
        flat, shape = lam.reshape(-1), lam.shape
        out = _equivalents.fourth_order_one_step(
            self.eigenvalues, self._signal_sq, self.aspect_ratio, self.noise_var, flat
        )
        return {key: _shape(value, shape) for key, value in out.items()}

    @validate_params(_LAM, {"n_draws": [Interval(numbers.Integral, 2, None)], "random_state": _SEED})
    def simulate(self, lam, n_draws: int = 200, *, random_state: int | None = 0) -> DesignSimulation:
        """Exact finite-sample risks on Gaussian designs drawn from this model (Monte Carlo).

        ``p = len(eigenvalues)`` and ``n = round(p / aspect_ratio)``. Each draw takes one SVD of
        the design and evaluates ridge and optimal 1-step SD at every penalty from it. For the
        random-signal variant a fresh ``beta ~ N(0, (r^2/p) I)`` is drawn with each design.

        Parameters
        ----------
        lam : float or array-like
            Per-sample penalties > 0 (``alpha = n * lam`` on the sum of squares).
        n_draws : int, default=200
            Number of designs (>= 2, for a standard error).
        random_state : int, numpy Generator or None, default=0
            Seed of ``numpy.random.default_rng``.

        Returns
        -------
        DesignSimulation
        """
        flat = lam.reshape(-1)
        p = self.eigenvalues.size
        n = int(round(p / self.aspect_ratio))
        if n < 1:
            raise ValueError(f"p / aspect_ratio = {p / self.aspect_ratio:.3g} rounds to no samples.")
        rng = np.random.default_rng(random_state)
        scale = np.sqrt(self.eigenvalues)
        keys = ("ridge", "sd", "xi", "curvature")
        draws = {key: np.empty((n_draws, flat.size)) for key in keys}
        for i in range(n_draws):
            X = rng.standard_normal((n, p)) * scale
            if self.random_signal:
                signal = rng.standard_normal(p) * np.sqrt(self.signal_energy / p)
            else:
                signal = self.signal
            out = _simulation.conditional_risks(X, self.eigenvalues, signal, self.noise_var, flat)
            for key in keys:
                draws[key][i] = out[key]
        return DesignSimulation(
            lam=flat, n_samples=n, n_features=p, ridge_excess_risk=draws["ridge"],
            sd_excess_risk=draws["sd"], xi=draws["xi"], curvature=draws["curvature"],
            random_state=random_state,
        )

    # ------------------------------------------------------------------ penalties
    def _lam_grid(self, lam_range, n_grid: int) -> np.ndarray:
        # lam_range (positive penalties) and n_grid come checked by the public methods' table
        if lam_range is None:
            scale = float(np.mean(self.eigenvalues))
            return np.geomspace(1e-6 * scale, 1e6 * scale, n_grid)
        if lam_range.shape != (2,) or not lam_range[0] < lam_range[1]:
            raise ValueError(f"lam_range must be (low, high) with 0 < low < high, got {lam_range.tolist()}.")
        return np.geomspace(lam_range[0], lam_range[1], n_grid)

    def _stationary_points(self, lam_range, n_grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grid = self._lam_grid(lam_range, n_grid)
        slope = self.ridge(grid).derivative
        roots = []
        for i in np.flatnonzero(np.sign(slope[:-1]) * np.sign(slope[1:]) < 0):
            x = brentq(lambda u: self.ridge(np.exp(u)).derivative, np.log(grid[i]), np.log(grid[i + 1]),
                       xtol=1e-14, rtol=4 * np.finfo(float).eps)
            roots.append(np.exp(x))
        roots.extend(grid[slope == 0.0])
        return np.sort(np.asarray(roots, dtype=np.float64)), grid, slope

    @fill_doc(search=_SEARCH_DOC)
    @validate_params(_SEARCH)
    def sign_transition(self, lam_range=None, n_grid: int = 400) -> np.ndarray:
        """Penalties where the optimal 1-step xi changes sign.

        Since ``xi* = -lam R'(lam) / (2 D)`` with ``D > 0``, these are the stationary points of the
        ridge risk; usually one, the optimally tuned ridge (for an isotropic Sigma exactly
        ``lam = gamma sigma^2 / r^2``, Corollary 3.2). Found as sign changes of ``R'`` on a log grid,
        refined by Brent's method to machine precision.

        Parameters
        ----------
        %(search)s

        Returns
        -------
        ndarray
            Sorted penalties (empty if xi* keeps one sign over the range).
        """
        roots, _, _ = self._stationary_points(lam_range, n_grid)
        return roots

    @fill_doc(search=_SEARCH_DOC)
    @validate_params(_SEARCH)
    def optimal_ridge(self, lam_range=None, n_grid: int = 400) -> RidgeEquivalent:
        """Optimally tuned ridge: the penalty minimising the limiting risk, and its risk.

        For the random-signal variant the minimiser is ``lam* = gamma sigma^2 / r^2`` exactly, for
        any Sigma (ridge is then the Bayes posterior mean under a Gaussian prior); it is returned
        in closed form. Otherwise the best stationary point of the risk over ``lam_range`` is
        returned (root of ``R'`` by Brent's method); if the risk is monotone over the range, the
        edge value is returned with a :class:`~selfdistill.exceptions.GridBoundaryWarning` (e.g.
        ``noise_var = 0``, where ridgeless is best).

        Parameters
        ----------
        %(search)s

        Returns
        -------
        RidgeEquivalent
            At the optimal ``lam`` (scalar attributes).
        """
        if self.random_signal and self.noise_var > 0 and self.signal_energy > 0:
            return self.ridge(self.aspect_ratio * self.noise_var / self.signal_energy)
        roots, grid, slope = self._stationary_points(lam_range, n_grid)
        minima = [lam for lam in roots if self._is_minimum(lam)]
        if minima:
            risks = self.ridge(np.asarray(minima)).excess_risk
            return self.ridge(minima[int(np.argmin(np.atleast_1d(risks)))])
        edge = grid[0] if slope[0] > 0 else grid[-1]
        warnings.warn(
            f"the ridge risk is monotone over lam in [{grid[0]:.3g}, {grid[-1]:.3g}]; returning the "
            f"edge lam = {edge:.3g} (the infimum lies beyond it).",
            GridBoundaryWarning,
            stacklevel=2,
        )
        return self.ridge(edge)

    def _is_minimum(self, lam: float) -> bool:
        step = 1e-4
        left, right = self.ridge(lam * np.exp(-step)).derivative, self.ridge(lam * np.exp(step)).derivative
        return bool(left <= 0 <= right)


#: Smallest eigenvalue (relative to the largest) of the Jacobi-scaled k x k system below which the
#: k-step optimum is reported with a warning: float64 entries then leave < ~4 reliable digits in
#: the gain of the last steps.
ILL_CONDITIONED = 1e-11


def _solve_psd(gram: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``w = -gram^+ g`` and ``g^T gram^+ g`` for a batch of symmetric PSD matrices.

    Jacobi-scaled, then an eigen-decomposition with a relative cutoff, so a singular Gamma (no
    signal and no noise) gives the minimum-norm optimum instead of NaN. For k >= 2 and ``lam``
    far above the spectrum the ridge-path derivatives become nearly collinear (the same reason
    per-step xi explode); a :class:`RuntimeWarning` then says so.
    """
    diag = np.sqrt(np.clip(np.einsum("mii->mi", gram), 0.0, None))
    scale = np.divide(1.0, diag, out=np.zeros_like(diag), where=diag > 0)
    scaled = gram * scale[:, :, None] * scale[:, None, :]
    values, vectors = np.linalg.eigh(scaled)
    top = np.max(np.abs(values), axis=1, keepdims=True)
    keep = values > 1e-14 * top
    poorly = (values[:, :1] < ILL_CONDITIONED * top[:, :1])[:, 0] & (top[:, 0] > 0)
    if gram.shape[1] > 1 and np.any(poorly):
        warnings.warn(
            f"the {gram.shape[1]}-step system is ill-conditioned at {int(poorly.sum())} penalt"
            f"{'y' if poorly.sum() == 1 else 'ies'} (ridge-path directions nearly collinear, typically "
            "lam far above the spectrum); the k-step risk there has only a few reliable digits.",
            RuntimeWarning,
            stacklevel=3,
        )
    proj = np.einsum("mij,mi->mj", vectors, g * scale)
    inv = np.divide(1.0, values, out=np.zeros_like(values), where=keep)
    w = -np.einsum("mij,mj->mi", vectors, proj * inv) * scale
    gain = np.sum(proj**2 * inv, axis=1)
    return w, gain
