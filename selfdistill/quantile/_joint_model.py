"""Numerical kernel of the Yang--Tokdar joint quantile regression model (tier A).

Everything here works on *standardised* data: ``z = (x - center) / scale`` and
``t = (y - y_center) / y_scale``. The estimator in :mod:`.joint` maps coefficients back.

Model (Yang & Tokdar 2017; the quantile chapter of the user guide):

* latent functions ``w_0 .. w_p`` on [0, 1]; each is the low-rank predictive process of a
  Gaussian process with kernel ``exp(-lambda^2 (tau - tau')^2)`` through its values at ``m``
  equispaced knots, ``w(grid) = K_gk K_kk^{-1} w(knots)``. We sample *whitened* knot values
  ``u = L^{-1} w(knots)`` (``K_kk = L L^T``), so ``w(grid) = K_gk L^{-T} u`` (same model, other
  coordinates). With the GP precision ``kappa ~ Gamma(a, b)`` integrated out, the prior of ``u``
  is ``p(u) ~ (b + |u|^2 / 2)^{-(a + m/2)}`` whatever ``lambda`` is.
* warping ``zeta(tau) = int_0^tau e^{w_0} / int_0^1 e^{w_0}`` (trapezoid rule on the tau grid);
* intercept ``beta_0(tau) = gamma_0 + sigma (Q_0(zeta(tau)) - Q_0(zeta(1/2)))`` -- the closed
  form of ``gamma_0 + int_{1/2}^tau sigma q_0(zeta) zeta'``, so the heavy base tails need no quadrature;
* slopes ``beta(tau) = gamma + int_{1/2}^tau g(t) d beta_0(t)`` with
  ``g = v / (a_X(v) sqrt(1 + |v|^2))``, ``v = (w_1 .. w_p)``, ``a_X(v) = max_{x in X} (-x^T v) / |v|``.
  The Stieltjes integral uses the exact increments of ``beta_0`` and the trapezoid mean of ``g``
  on each grid interval, so ``Q(tau_{k+1}|x) - Q(tau_k|x) = d beta_0_k (1 + x^T gbar_k) > 0``
  for every ``x`` in the hull: non-crossing holds exactly on the grid, not only in the limit.
* likelihood by quantile inversion: ``Q(.|x_i)`` is interpolated linearly between grid points,
  and ``log f(y_i|x_i) = -log dQ/dtau(tau_i|x_i)`` (see A6);
  right-censored rows contribute ``log(1 - tau_i)``, left-censored rows ``log tau_i``.
  Beyond the grid ends the base law's tail is used (see :func:`_tail`).

Assumptions (unconfirmed by the specification, chosen here and named in the docs):

* A1 tails: below the first grid point ``Q(tau|x) = Q(tau_1|x) + s(x) (Q_0(tau) - Q_0(tau_1))`` with
  ``s(x) = dQ/dtau(tau_1|x) / q_0(tau_1)``; the upper tail likewise. The tail then carries exactly
  mass ``tau_1`` (resp. ``1 - tau_L``).
* A6 between grid points, ``-log dQ/dtau`` at ``tau_i`` is the linear interpolation of its exact
  grid values (continuous likelihood); the density therefore integrates to 1 only up to the
  quadrature error of the grid.
* A2 lambda grid: ``n_lambda`` proximities ``rho = exp(-0.01 lambda^2)`` equispaced in
  ``[0.2, 0.95]`` with prior weights from the Beta(6, 4) density at those points.
* A3 prior of ``nu = 0.5 + 5.5 exp(z / 2)``: ``z ~ N(0, 1)``.
* A4 the logistic base is scaled like the t base, ``Q_0(0.9) = 1``.
* A5 a small nugget (1e-8) is added to ``K_kk`` before its Cholesky factorisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

_LOG_EPS = -745.0  # log of the smallest positive double, used instead of log(0)


def _gather(beta0, B, Z, idx):
    """``Q(tau_idx_i | z_i)`` for one grid index per row, without forming the (n, L) matrix."""
    return beta0[idx] + _rowdot(Z, B, idx)


def _rowdot(Z, B, idx):
    """``sum_j Z[i, j] B[j, idx_i]`` per row (one covariate: a plain product, the common case)."""
    if B.shape[0] == 1:
        return Z[:, 0] * B[0, idx]
    return np.einsum("ij,ji->i", Z, B[:, idx])


# --------------------------------------------------------------------------- base laws
class BaseLaw:
    """Base distribution ``F_0`` with its quantile function, cdf and log density (vectorised)."""

    name = "base"
    has_nu = False

    def Q0(self, u, nu):  # noqa: N802 - the paper's notation
        raise NotImplementedError

    def cdf(self, z, nu):
        raise NotImplementedError

    def sf(self, z, nu):
        return self.cdf(-z, nu)

    def logpdf(self, z, nu):
        raise NotImplementedError


class StudentTLaw(BaseLaw):
    """Student-t with ``nu`` degrees of freedom, scaled so that ``Q_0(0.9) = 1``."""

    name = "t"
    has_nu = True

    @staticmethod
    def _c(nu):
        return special.stdtrit(nu, 0.9)

    def Q0(self, u, nu):  # noqa: N802
        return special.stdtrit(nu, u) / self._c(nu)

    def cdf(self, z, nu):
        return special.stdtr(nu, z * self._c(nu))

    def logpdf(self, z, nu):
        c = self._c(nu)
        x = z * c
        log_norm = special.gammaln(0.5 * (nu + 1)) - special.gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi)
        return log_norm - 0.5 * (nu + 1) * np.log1p(x * x / nu) + np.log(c)


class LogisticLaw(BaseLaw):
    """Logistic law scaled so that ``Q_0(0.9) = 1`` (assumption A4)."""

    name = "logistic"
    _c = np.log(9.0)

    def Q0(self, u, nu=None):  # noqa: N802
        return special.logit(u) / self._c

    def cdf(self, z, nu=None):
        return special.expit(z * self._c)

    def logpdf(self, z, nu=None):
        s = z * self._c
        return -s - 2.0 * np.logaddexp(0.0, -s) + np.log(self._c)


class UniformLaw(BaseLaw):
    """Uniform law on (-1, 1)."""

    name = "uniform"

    def Q0(self, u, nu=None):  # noqa: N802
        return 2.0 * np.asarray(u, dtype=float) - 1.0

    def cdf(self, z, nu=None):
        return np.clip((np.asarray(z, dtype=float) + 1.0) / 2.0, 0.0, 1.0)

    def logpdf(self, z, nu=None):
        z = np.asarray(z, dtype=float)
        return np.where(np.abs(z) <= 1.0, np.log(0.5), -np.inf)


BASE_LAWS = {"t": StudentTLaw, "logistic": LogisticLaw, "uniform": UniformLaw}


def nu_from_z(z: float) -> float:
    """Degrees of freedom of the t base from its unconstrained parameter: ``0.5 + 5.5 e^{z/2}``."""
    return 0.5 + 5.5 * np.exp(0.5 * z)


def z_from_nu(nu: float) -> float:
    """Inverse of :func:`nu_from_z` (``nu > 0.5``)."""
    return 2.0 * np.log((nu - 0.5) / 5.5)


# --------------------------------------------------------------------------- tau grid
def tau_grid(tau_step: float, n: int) -> np.ndarray:
    """Interior tau grid: ``tau_step, 2 tau_step, ..`` plus tail points ``tau_step / 2^k``.

    ``k = 1 .. ceil(2 log2 n + log2 tau_step)`` on both sides (at least one point), as specified.
    The grid always contains 1/2 (``1 / tau_step`` must be an even integer).
    """
    n_steps = int(round(1.0 / tau_step))
    inner = np.arange(1, n_steps) * tau_step
    n_tail = max(1, int(np.ceil(2 * np.log2(max(n, 2)) + np.log2(tau_step))))
    low = tau_step / 2.0 ** np.arange(n_tail, 0, -1)
    return np.concatenate([low, inner, 1.0 - low[::-1]])


# --------------------------------------------------------------------------- model structure
@dataclass
class JointModel:
    """Fixed ingredients of the model for one standardised data set.

    Parameters
    ----------
    Z : ndarray (n, p)
        Standardised covariates of the likelihood rows.
    t : ndarray (n,)
        Standardised responses.
    censoring : ndarray of int (n,)
        0 observed, 1 right-censored, 2 left-censored.
    weight : ndarray (n,)
        Observation weights multiplying the log-likelihood terms.
    hull : ndarray (h, p)
        Points whose convex hull is the domain ``X`` (vertices suffice).
    base : BaseLaw
    nu_fixed : float or None
        Fixed t degrees of freedom, or None to learn ``nu``.
    n_knots, tau_step, n_lambda, gp_shape, gp_rate :
        Prior settings (see the estimator).
    """

    Z: np.ndarray
    t: np.ndarray
    censoring: np.ndarray
    weight: np.ndarray
    hull: np.ndarray
    base: BaseLaw
    nu_fixed: float | None = None
    n_knots: int = 6
    tau_step: float = 0.01
    n_lambda: int = 20
    gp_shape: float = 0.1
    gp_rate: float = 0.1
    tau: np.ndarray = field(init=False)
    tau_full: np.ndarray = field(init=False)
    A: np.ndarray = field(init=False)
    lam: np.ndarray = field(init=False)
    log_prior_lam: np.ndarray = field(init=False)

    def __post_init__(self):
        self.n, self.p = self.Z.shape
        self.tau = tau_grid(self.tau_step, self.n)
        self.tau_full = np.concatenate([[0.0], self.tau, [1.0]])
        self.dtau = np.diff(self.tau)
        self.i_half = int(np.argmin(np.abs(self.tau - 0.5)))
        self.knots = np.linspace(0.0, 1.0, self.n_knots)
        # A2: proximity grid and Beta(6, 4) weights
        prox = np.linspace(0.2, 0.95, self.n_lambda)
        self.lam = np.sqrt(-np.log(prox) / 0.01)
        lp = stats.beta.logpdf(prox, 6, 4)
        self.log_prior_lam = lp - special.logsumexp(lp)
        self.A = np.stack([self._whitened_interpolator(lam) for lam in self.lam])
        self.learn_nu = self.base.has_nu and self.nu_fixed is None
        self.dim = (self.p + 1) * self.n_knots + (self.p + 1) + 1 + int(self.learn_nu)
        self.uncensored = self.censoring == 0
        self.right = self.censoring == 1
        self.left = self.censoring == 2
        self._stage1_cache = {}
        self._k_prev = None
        self._buffers = None
        self._hull_buffer = None

    def __getstate__(self):
        # work buffers and caches are rebuilt on demand (a loaded copy may be read-only memory)
        state = self.__dict__.copy()
        state.update(_buffers=None, _hull_buffer=None, _stage1_cache={}, _k_prev=None)
        return state

    # layout of the unconstrained vector theta
    def split(self, theta):
        """Return ``(U (p+1, m), gamma (p+1,), log_sigma, nu)`` from the unconstrained vector."""
        m, q = self.n_knots, self.p + 1
        U = theta[: q * m].reshape(q, m)
        gamma = theta[q * m: q * m + q]
        log_sigma = theta[q * m + q]
        nu = nu_from_z(theta[q * m + q + 1]) if self.learn_nu else self.nu_fixed
        return U, gamma, log_sigma, nu

    def index_u(self, j):
        return np.arange(j * self.n_knots, (j + 1) * self.n_knots)

    def index_gamma(self, j):
        return (self.p + 1) * self.n_knots + j

    @property
    def index_log_sigma(self):
        return (self.p + 1) * (self.n_knots + 1)

    def _whitened_interpolator(self, lam):
        kern = lambda a, b: np.exp(-(lam**2) * (a[:, None] - b[None, :]) ** 2)  # noqa: E731
        Kkk = kern(self.knots, self.knots) + 1e-8 * np.eye(self.n_knots)  # A5 nugget
        L = np.linalg.cholesky(Kkk)
        Kgk = kern(self.tau_full, self.knots)
        # K_gk L^{-T}: solve L X^T = K_gk^T
        return np.linalg.solve(L, Kgk.T).T

    # ------------------------------------------------------------------ quantile planes
    def latent(self, U, lam_idx):
        """Latent functions on the full grid (including 0 and 1): array (p+1, L+2)."""
        return np.matmul(self.A[lam_idx], U[:, :, None])[:, :, 0]

    def warping(self, w0):
        """``zeta`` and ``log zeta'`` at the interior grid points (trapezoid rule for the integrals)."""
        shifted = w0 - w0.max()
        e = np.exp(shifted)
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (e[1:] + e[:-1]) * np.diff(self.tau_full))])
        zeta = cum / cum[-1]
        return np.clip(zeta[1:-1], 1e-300, 1.0 - 1e-16), shifted[1:-1] - np.log(cum[-1])

    def slope_direction(self, v):
        """``g(tau) = v / (a_X(v) sqrt(1 + |v|^2))`` for ``v`` of shape (p, L); zero where v = 0."""
        r = np.sqrt(np.einsum("jl,jl->l", v, v))
        safe = np.where(r > 0, r, 1.0)
        if self._hull_buffer is None or self._hull_buffer.shape[1] != r.size:
            self._hull_buffer = np.empty((self.hull.shape[0], r.size))
        # a_X(v) = max over hull points of -x^T v / |v|; the buffer avoids a fresh large temporary
        a = -np.min(np.matmul(self.hull, v / safe, out=self._hull_buffer), axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = v / (a * np.sqrt(1.0 + r * r))
        return np.where(r > 0, g, 0.0)

    def planes(self, theta, lam_idx, with_derivative=False):
        """Coefficients on the interior grid: ``beta0`` (L,) and slopes ``B`` (p, L).

        With ``with_derivative`` also ``dbeta0`` (L,), the exact ``beta_0'(tau_k)``, and ``G`` (p, L),
        the slope directions ``g(tau_k)``, so that ``dQ/dtau(tau_k|z) = dbeta0_k (1 + z^T G_k)``.
        """
        U, gamma, log_sigma, nu = self.split(theta)
        W = self.latent(U, lam_idx)
        key = (U[0].tobytes(), int(lam_idx[0]), nu)
        stage1 = self._stage1_cache.get(key)
        if stage1 is None:  # w_0 and nu are unchanged in most Metropolis blocks
            zeta, log_dzeta = self.warping(W[0])
            q0z = self.base.Q0(zeta, nu)
            # q_0(zeta) zeta' = zeta' / f_0(Q_0(zeta)), in logs for the far tails
            log_dq = log_dzeta - self.base.logpdf(q0z, nu)
            stage1 = (q0z - q0z[self.i_half], np.exp(log_dq))
            if len(self._stage1_cache) >= 4:
                self._stage1_cache.pop(next(iter(self._stage1_cache)))
            self._stage1_cache[key] = stage1
        centred, dq0 = stage1
        sigma = np.exp(log_sigma)
        # extreme warping can overflow the base quantiles; the likelihood then returns -inf
        with np.errstate(invalid="ignore", over="ignore"):
            beta0 = gamma[0] + sigma * centred
            if self.p == 0:
                G = np.zeros((0, beta0.size))
                B = G
            else:
                G = self.slope_direction(W[1:, 1:-1])
                dB = 0.5 * (G[:, 1:] + G[:, :-1]) * np.diff(beta0)
                B = np.concatenate([np.zeros((self.p, 1)), np.cumsum(dB, axis=1)], axis=1)
                B += (gamma[1:] - B[:, self.i_half])[:, None]
        if with_derivative:
            return beta0, B, sigma * dq0, G
        return beta0, B

    # ------------------------------------------------------------------ likelihood
    def loglik_terms(self, theta, lam_idx, Z=None, t=None, censoring=None):
        """Per-row log-likelihood terms (unweighted), shape (n,).

        ``tau_i`` solves ``Q(tau_i|z_i) = t_i`` with ``Q`` interpolated linearly between grid points;
        ``-log dQ/dtau`` is interpolated linearly in ``tau`` between the exact grid values, which keeps
        the log-likelihood continuous in the parameters (a piecewise-constant density would jump
        whenever an observation crosses a grid point, and break L-BFGS).
        """
        Z = self.Z if Z is None else Z
        t = self.t if t is None else t
        if censoring is None:
            unc, right, left = self.uncensored, self.right, self.left
        else:
            unc, right, left = censoring == 0, censoring == 1, censoring == 2
        nu = self.split(theta)[3]
        beta0, B, dbeta0, G = self.planes(theta, lam_idx, with_derivative=True)
        L = self.tau.size
        own_data = Z is self.Z and t is self.t
        k = self._locate(beta0, B, Z, t, self._k_prev if own_data else None)
        if own_data:
            self._k_prev = k
        j = np.clip(k - 1, 0, L - 2)
        q_lo = _gather(beta0, B, Z, j)
        dq = _gather(beta0, B, Z, j + 1) - q_lo
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (t - q_lo) / dq
            tau_i = self.tau[j] + frac * self.dtau[j]
            if unc.any():
                slope_lo = dbeta0[j] * (1.0 + _rowdot(Z, G, j))
                slope_hi = dbeta0[j + 1] * (1.0 + _rowdot(Z, G, j + 1))
                ll = -((1.0 - frac) * np.log(slope_lo) + frac * np.log(slope_hi))
                ll = np.where(unc & (dq > 0), ll, -np.inf)
            else:
                ll = np.full(t.size, -np.inf)
            ll = np.where(right, np.log1p(-tau_i), ll)
            ll = np.where(left, np.log(tau_i), ll)
        tails = (k == 0) | (k == L)
        if np.any(tails):
            sel = np.flatnonzero(tails)
            ends = np.where(k[sel] == 0, 0, L - 1)
            slope_end = dbeta0[ends] * (1.0 + _rowdot(Z[sel], G, ends))
            ll[sel] = self._tail(_gather(beta0, B, Z[sel], ends), slope_end, t[sel], ends == 0, nu,
                                 unc[sel], right[sel], left[sel])
        return ll

    def _locate(self, beta0, B, Z, t, k_guess):
        """``k_i = #{grid points tau_k : Q(tau_k|z_i) <= t_i}`` for every row (0..L).

        Checks the previous evaluation's answer first (Metropolis proposals move it little) and
        searches the full grid only for rows where it no longer holds, in preallocated buffers:
        fresh (n, L) temporaries cost more in page faults than in arithmetic.
        """
        L = beta0.size
        if k_guess is not None:
            below = _gather(beta0, B, Z, np.maximum(k_guess - 1, 0)) <= t
            above = _gather(beta0, B, Z, np.minimum(k_guess, L - 1)) > t
            ok = ((k_guess == 0) | below) & ((k_guess == L) | above)
            if ok.all():
                return k_guess
            k = k_guess.copy()
            rows = np.flatnonzero(~ok)
            k[rows] = self._full_search(beta0, B, Z[rows], t[rows])
            return k
        return self._full_search(beta0, B, Z, t)

    def _full_search(self, beta0, B, Z, t):
        n = t.size
        if self._buffers is None or self._buffers[0].shape[0] < n:
            self._buffers = (np.empty((max(n, self.n), beta0.size)), np.empty((max(n, self.n), beta0.size), bool))
        Q, M = self._buffers[0][:n], self._buffers[1][:n]
        np.matmul(Z, B, out=Q)
        Q += beta0
        np.less_equal(Q, t[:, None], out=M)
        return np.count_nonzero(M, axis=1)

    def _tail(self, q_end, slope_end, t, lower, nu, unc, right, left):
        """A1: base-law tails beyond the grid ends.

        ``Q(tau|z) = Q(tau_e|z) + s(z) (Q_0(tau) - Q_0(tau_e))`` with ``tau_e`` the end grid point and
        ``s(z) = dQ/dtau(tau_e|z) / q_0(tau_e)``, so ``Q`` and its derivative are continuous at ``tau_e``
        and the tail holds exactly the mass beyond ``tau_e``.
        """
        base = self.base
        tau_e = np.where(lower, self.tau[0], self.tau[-1])
        q0_e = base.Q0(tau_e, nu)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s = slope_end * np.exp(base.logpdf(q0_e, nu))  # dQ/dtau / q_0 = dQ/dtau * f_0(Q_0)
            z = q0_e + (t - q_end) / s
            ll = base.logpdf(z, nu) - np.log(s)
            ll = np.where(right, np.log(base.sf(z, nu)), ll)
            ll = np.where(left, np.log(base.cdf(z, nu)), ll)
        return np.where(np.isfinite(ll) & (s > 0), ll, -np.inf)

    def loglik(self, theta, lam_idx):
        ll = self.loglik_terms(theta, lam_idx)
        if not np.all(np.isfinite(ll[self.weight > 0])):
            return -np.inf
        return float(ll @ self.weight)

    # ------------------------------------------------------------------ prior
    def log_prior(self, theta, lam_idx):
        """Log prior: integrated-GP t prior on whitened knots, Beta(6,4) on proximity, N(0,1) on z_nu.

        ``(gamma_0, gamma, log sigma)`` get the flat (right-Haar) prior.
        """
        U = self.split(theta)[0]
        sq = np.einsum("jm,jm->j", U, U)
        lp = -(self.gp_shape + 0.5 * self.n_knots) * np.sum(np.log(self.gp_rate + 0.5 * sq))
        lp += np.sum(self.log_prior_lam[lam_idx])
        if self.learn_nu:
            lp += -0.5 * theta[-1] ** 2  # A3
        return float(lp)

    def log_post(self, theta, lam_idx):
        """Log posterior (up to a constant); ``-inf`` outside the numerically usable region."""
        if not np.all(np.isfinite(theta)) or (self.learn_nu and abs(theta[-1]) > 30.0):
            return -np.inf  # |z| > 30: nu outside [0.5 + 1e-6, 1e7], i.e. N(0, 1) prior mass below e^-450
        lp = self.log_prior(theta, lam_idx)
        ll = self.loglik(theta, lam_idx)
        return lp + ll

    # ------------------------------------------------------------------ start values
    def initial_theta(self, nu0=6.0):
        """Start: ``w = 0`` (warping = identity, constant slopes), median-regression-like location.

        ``gamma`` by least squares on the uncensored rows, ``gamma_0`` their median residual,
        ``sigma`` the 0.9-minus-0.5 residual quantile (``Q_0(0.9) = 1``).
        """
        theta = np.zeros(self.dim)
        rows = self.uncensored & (self.weight > 0)
        if rows.sum() < self.p + 2:
            rows = self.weight > 0
        Zr = np.column_stack([np.ones(rows.sum()), self.Z[rows]])
        coef = np.linalg.lstsq(Zr, self.t[rows], rcond=None)[0]
        res = self.t[rows] - Zr @ coef
        med = np.median(res)
        theta[self.index_gamma(0)] = coef[0] + med
        for j in range(1, self.p + 1):
            theta[self.index_gamma(j)] = coef[j]
        spread = np.quantile(res, 0.9) - med
        theta[self.index_log_sigma] = np.log(max(spread, 1e-3 * np.std(self.t) + 1e-12))
        if self.learn_nu:
            theta[-1] = z_from_nu(nu0)
        return theta

    @property
    def lam_mode(self):
        return np.full(self.p + 1, int(np.argmax(self.log_prior_lam)))
