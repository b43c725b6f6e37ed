"""Exact risks of spectral estimators, and the optimal k-step filter in a well-conditioned basis.

Model (fixed design). With ``X = U diag(s) V^T``, ``y = X theta* + eta``, ``E eta = 0``,
``Cov eta = gamma^2 I``, any spectral estimator has coefficients ``theta_hat = V diag(h / s) U^T y``,
i.e. ``theta_hat_j = h_j (theta_j + eps_j / s_j)`` in the V-basis, with ``theta_j = V[:, j]^T theta*``
and independent ``eps_j = U[:, j]^T eta`` of variance gamma^2. For every squared risk
``E (theta_hat - theta*)^T Sigma (theta_hat - theta*)`` this gives (toolkit derivation, Theory §2.7; checked against Monte Carlo in the tests)::

    bias(h)     = f^T K f + 2 c^T f + e0,      f = 1 - h
    variance(h) = sum_j Vw_j h_j^2

    K  = diag(theta) Sigma_V diag(theta),      Sigma_V = V^T Sigma V
    c  = diag(theta) V^T Sigma P_null theta*,  e0 = ||Sigma^{1/2} P_null theta*||^2
    Vw = gamma^2 diag(Sigma_V) / s^2

(``c`` is :attr:`SpectralRisk.null_coupling`; the letter k is kept for the number of steps.)

* in-sample (fixed-design) excess risk ``E (1/n)||X (theta_hat - theta*)||^2``: ``Sigma = X^T X / n``,
  so K = diag(s^2 theta^2 / n) is diagonal, c = 0, e0 = 0, Vw = gamma^2 / n;
* parameter error ``E ||theta_hat - theta*||^2`` (Das & Sanghavi): ``Sigma = I``, so K = diag(theta^2),
  Vw = gamma^2 / s^2, and e0 = ||P_null theta*||^2 (never estimated);
* population risk for a test covariance Sigma: the general (non-diagonal) form.

k-step SD at penalty alpha has ``h = a - u`` with ``u = a t q(a)`` for a polynomial q of degree < k
(see ``_filters``). Minimising over q is a least-squares problem ``min ||S u - b||`` in a weighted
norm. We solve it by building an orthonormal basis of the weighted Krylov space
``span{S (a^i a t)}`` with Arnoldi (modified Gram-Schmidt, reorthogonalised twice): this is the
discrete Stieltjes procedure, whose basis stays well conditioned where the monomial (Vandermonde)
basis of the paper's xibar fails (k >= 5, clustered singular values). The optimum is then a
projection, and its risk ``oracle + ||residual||^2`` is computed without cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

#: Arnoldi stops when a new Krylov direction keeps less than this fraction of its norm after
#: orthogonalisation: the weighted Krylov space is exhausted (e.g. repeated singular values).
KRYLOV_RTOL = 1e-10


@dataclass(frozen=True)
class SpectralRisk:
    """A squared risk of spectral estimators, as a function of the per-direction filter h.

    ``bias(h) = f^T K f + 2 null_coupling^T f + e0`` with ``f = 1 - h``, and
    ``variance(h) = sum_j Vw_j h_j^2`` (see the module docstring).

    Attributes
    ----------
    K : ndarray of shape (r,) or (r, r)
        Quadratic coefficient of the bias; a vector when K is diagonal (the in-sample and
        parameter-error risks), else a matrix.
    null_coupling : ndarray of shape (r,) or None
        Linear coefficient of the bias, ``diag(theta) V^T Sigma P_null theta*``: how the row-space
        error couples to the part of theta* outside the row space (None when it is zero).
    e0 : float
        Risk of the null-space part alone, ``||Sigma^{1/2} P_null theta*||^2``.
    Vw : ndarray of shape (r,)
        Variance weight of each direction.
    """

    K: np.ndarray
    null_coupling: np.ndarray | None
    e0: float
    Vw: np.ndarray

    @property
    def diagonal(self) -> bool:
        return self.K.ndim == 1

    def bias(self, h: np.ndarray, f: np.ndarray) -> float:
        """Bias part at filter ``h`` (``f = 1 - h`` passed separately to avoid cancellation)."""
        del h
        if self.diagonal:
            value = float(np.sum(self.K * f * f))
        else:
            value = float(f @ self.K @ f)
        if self.null_coupling is not None:
            value += 2.0 * float(self.null_coupling @ f)
        return value + self.e0

    def variance(self, h: np.ndarray) -> float:
        """Variance part at filter ``h``."""
        return float(np.sum(self.Vw * h * h))

    def least_squares_form(self, a: np.ndarray, t: np.ndarray) -> LeastSquaresForm:
        """Write ``risk(a - u) = const + ||S u - b||^2`` for the deviation ``u`` of the filter from ridge."""
        if self.diagonal:
            # risk_j = K_j (t + u)^2 + Vw_j (a - u)^2 = omega^2 (u - u*)^2 + K_j Vw_j / (K_j + Vw_j)
            total = self.K + self.Vw
            omega = np.sqrt(total)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = np.where(omega > 0, (self.Vw * a - self.K * t) / omega, 0.0)
                oracle = np.where(total > 0, self.K * self.Vw / total, 0.0)
            return LeastSquaresForm.diagonal(omega, b, float(np.sum(oracle)) + self.e0)
        # General K: S = [R_K; diag(sqrt(Vw))] with K = R_K^T R_K, and R_K^T rho = null_coupling.
        evals, evecs = scipy.linalg.eigh(self.K)
        keep = evals > max(evals[-1], 0.0) * evals.size * np.finfo(float).eps
        R = np.sqrt(evals[keep])[:, None] * evecs[:, keep].T
        rho = (
            np.zeros(R.shape[0]) if self.null_coupling is None
            else (evecs[:, keep].T @ self.null_coupling) / np.sqrt(evals[keep])
        )
        root_v = np.sqrt(self.Vw)
        b = np.concatenate([-(R @ t) - rho, root_v * a])
        const = self.e0 - float(rho @ rho)
        mask = root_v > 0
        safe = np.where(mask, root_v, 1.0)
        n_bias = R.shape[0]
        return LeastSquaresForm(
            lambda u: np.concatenate([R @ u, root_v * u]), lambda w: w[n_bias:] / safe, mask, b, const
        )

    def oracle(self) -> float:
        """Minimum over *all* filters h (the per-direction oracle; eq. 14's right-hand side in-sample)."""
        if self.diagonal:
            total = self.K + self.Vw
            with np.errstate(divide="ignore", invalid="ignore"):
                per_dir = np.where(total > 0, self.K * self.Vw / total, 0.0)
            return float(np.sum(per_dir)) + self.e0
        ones = np.ones_like(self.Vw)
        return self.grouped_oracle(np.arange(ones.size))

    def grouped_oracle(self, groups: np.ndarray) -> float:
        """Minimum over filters that are constant within each group of directions.

        Directions sharing a singular value must share a filter value, so with repeated singular
        values this, not :meth:`oracle`, is the attainable bound (Theory §3.5).
        """
        groups = np.asarray(groups)
        labels, inverse = np.unique(groups, return_inverse=True)
        E = np.zeros((groups.size, labels.size))
        E[np.arange(groups.size), inverse] = 1.0
        if self.diagonal:
            Kg = E.T @ self.K
            Vg = E.T @ self.Vw
            total = Kg + Vg
            with np.errstate(divide="ignore", invalid="ignore"):
                per_group = np.where(total > 0, Kg * Vg / total, 0.0)
            return float(np.sum(per_group)) + self.e0
        # risk(f = E phi) = phi^T (E^T K E + E^T diag(Vw) E) phi + 2 phi^T (E^T c - E^T Vw) + e0 + sum Vw
        H = E.T @ self.K @ E + E.T @ (self.Vw[:, None] * E)
        g = -E.T @ self.Vw + (0.0 if self.null_coupling is None else E.T @ self.null_coupling)
        phi = -np.linalg.lstsq(H, g, rcond=None)[0]
        return float(phi @ H @ phi + 2 * g @ phi + self.e0 + np.sum(self.Vw))


@dataclass(frozen=True)
class LeastSquaresForm:
    """``risk(a - u) = const + ||S u - b||^2``.

    ``recover(w)`` inverts ``w = S u`` on the entries flagged by ``mask`` (exactly, from a diagonal
    block of S). Using it keeps the Arnoldi vectors in u-space and in S-space from drifting apart
    through rounding, which would otherwise compound over many steps.
    """

    apply_S: Callable[[np.ndarray], np.ndarray]
    recover: Callable[[np.ndarray], np.ndarray]
    mask: np.ndarray
    b: np.ndarray
    const: float

    def to_u(self, w: np.ndarray, u: np.ndarray) -> np.ndarray:
        """``u`` with its recoverable entries replaced by the exact ``S^-1 w``."""
        if not self.mask.any():
            return u
        return np.where(self.mask, self.recover(w), u)

    @classmethod
    def diagonal(cls, omega: np.ndarray, b: np.ndarray, const: float) -> LeastSquaresForm:
        """``S = diag(omega)``: exact recovery wherever ``omega > 0``."""
        mask = omega > 0
        safe = np.where(mask, omega, 1.0)
        return cls(lambda u: omega * u, lambda w: w / safe, mask, b, const)

    @classmethod
    def from_matrix(cls, S: np.ndarray, b: np.ndarray, const: float) -> LeastSquaresForm:
        """A dense ``S`` of shape (m, r) (no exact recovery; fine for the small k used in tuning).

        The product ``S u`` is formed here, so the Arnoldi loop never calls back into the module
        that built the form (one-way module map).
        """
        S = np.asarray(S, dtype=np.float64)
        return cls(lambda u: S @ u, lambda w: w, np.zeros(S.shape[1], dtype=bool), b, const)


@dataclass(frozen=True)
class KrylovSolution:
    """Optimal filter deviation over a polynomial family, in a stable basis.

    Attributes
    ----------
    u : ndarray of shape (r,)
        Optimal deviation of the filter from ridge: ``h = a - u``, ``1 - h = t + u``.
    q_monomial : ndarray of shape (k,)
        Monomial coefficients of q (= the tail sums of xibar), for reporting only; entries are
        inf or nan when they exceed float64 (typically k >~ 60), while ``u`` stays exact.
    residual_sq : float
        ``||S u - b||^2`` at the optimum (excess over the least-squares constant).
    dimension : int
        Dimension actually used (< k when the weighted Krylov space is exhausted).
    """

    u: np.ndarray
    q_monomial: np.ndarray
    residual_sq: float
    dimension: int


@dataclass(frozen=True)
class KrylovBasis:
    """Orthonormal basis of the weighted Krylov space ``span{S (a^i a t)}``, i < k.

    Columns are nested: the first j columns span the j-step family, so one basis serves every
    number of steps up to k. ``u`` holds the basis in filter-deviation space, ``w = S u`` in the
    risk's metric (orthonormal), and ``p`` the monomial coefficients of the polynomials (reporting).
    """

    u: np.ndarray
    w: np.ndarray
    p: np.ndarray
    form: LeastSquaresForm

    @property
    def dimension(self) -> int:
        return self.u.shape[1]

    def solve(self, k: int) -> KrylovSolution:
        """Optimal deviation within the first ``min(k, dimension)`` columns (projection of b)."""
        return self.solve_all(k)[k]

    def solve_all(self, k_max: int) -> list[KrylovSolution]:
        """Solutions for every k = 0..k_max from one projection (the basis is orthonormal)."""
        W, b = self.w, self.form.b
        coeffs = W.T @ b
        coeffs = coeffs + W.T @ (b - W @ coeffs)  # one refinement step for the projection
        u_path = np.cumsum(self.u * coeffs, axis=1)
        w_path = np.cumsum(W * coeffs, axis=1)
        with np.errstate(over="ignore", invalid="ignore"):  # reporting only; may overflow
            q_path = np.cumsum(self.p * coeffs, axis=1)
        out = []
        for k in range(k_max + 1):
            j = min(k, self.dimension)
            w_k = w_path[:, j - 1] if j else np.zeros_like(b)
            u_k = u_path[:, j - 1] if j else np.zeros(self.u.shape[0])
            q = np.zeros(k)
            if j:
                q[: min(k, q_path.shape[0])] = q_path[:k, j - 1]
            residual = b - w_k
            out.append(
                KrylovSolution(
                    u=self.form.to_u(w_k, u_k),
                    q_monomial=q,
                    residual_sq=float(residual @ residual),
                    dimension=j,
                )
            )
        return out


def krylov_basis(
    a: np.ndarray, t: np.ndarray, form: LeastSquaresForm, k: int, rtol: float = KRYLOV_RTOL
) -> KrylovBasis:
    """Weighted Arnoldi: orthonormalise ``S (a t), S (a^2 t), ...`` (at most k vectors)."""
    r = a.size
    m = min(k, r)
    basis_u = np.zeros((r, m))
    basis_w = np.zeros((form.b.size, m))
    basis_p = np.zeros((k, m))
    u = a * t
    p = np.zeros(k)
    if k > 0:
        p[0] = 1.0
    j = 0
    while j < m:
        w = form.apply_S(u)
        ref = np.linalg.norm(w)
        if not np.isfinite(ref) or ref == 0.0:
            break
        Wj, Uj, Pj = basis_w[:, :j], basis_u[:, :j], basis_p[:, :j]
        for _ in range(2):  # "twice is enough" (Kahan/Parlett) for orthogonality to working precision
            c = Wj.T @ w
            w = w - Wj @ c
            u = u - Uj @ c
            with np.errstate(over="ignore", invalid="ignore"):  # monomials may overflow for k >~ 60
                p = p - Pj @ c
        norm = np.linalg.norm(w)
        if norm <= rtol * ref:
            break
        w = w / norm
        u = form.to_u(w, u / norm)
        with np.errstate(over="ignore", invalid="ignore"):
            basis_w[:, j], basis_u[:, j], basis_p[:, j] = w, u, p / norm
        j += 1
        u = a * u
        p = np.concatenate([[0.0], basis_p[:-1, j - 1]])  # multiply the polynomial by a
    return KrylovBasis(basis_u[:, :j], basis_w[:, :j], basis_p[:, :j], form)


def krylov_least_squares(
    a: np.ndarray, t: np.ndarray, form: LeastSquaresForm, k: int, rtol: float = KRYLOV_RTOL
) -> KrylovSolution:
    """Minimise ``||S (a t q(a)) - b||`` over polynomials q of degree < k (weighted Arnoldi)."""
    return krylov_basis(a, t, form, k, rtol).solve(k)


def in_sample_risk(singular_values, theta_v, noise_var, n_samples) -> SpectralRisk:
    """Fixed-design excess risk ``E (1/n)||X(theta_hat - theta*)||^2`` (null-space directions do not count)."""
    s2 = singular_values**2
    return SpectralRisk(s2 * theta_v**2 / n_samples, None, 0.0, np.full(s2.size, noise_var / n_samples))


def parameter_risk(singular_values, theta_v, noise_var, null_energy) -> SpectralRisk:
    """Parameter error ``E ||theta_hat - theta*||^2``, including the unestimable null-space part."""
    return SpectralRisk(theta_v**2, None, float(null_energy), noise_var / singular_values**2)


def population_risk(singular_values, components, theta_star, noise_var, covariance) -> SpectralRisk:
    """Risk ``E (theta_hat - theta*)^T Sigma (theta_hat - theta*)`` for a test covariance Sigma."""
    V = components
    theta_v = V.T @ theta_star
    null_part = theta_star - V @ theta_v
    sigma_v = V.T @ covariance @ V
    K = theta_v[:, None] * sigma_v * theta_v[None, :]
    null_coupling = theta_v * (V.T @ (covariance @ null_part))
    e0 = float(null_part @ covariance @ null_part)
    Vw = noise_var * np.diag(sigma_v) / singular_values**2
    return SpectralRisk(K, null_coupling, e0, Vw)
