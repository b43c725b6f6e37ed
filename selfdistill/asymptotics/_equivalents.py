"""Numerical kernels of the deterministic equivalents (DEs) of ridge and self-distilled ridge.

Notation (Follow-ups §1 and §2.4): Sigma has eigenvalues ``s_i`` (i = 1..p), the signal has
coordinates ``b_i`` in Sigma's eigenbasis, ``gamma = p / n``, ``sigma2`` is the noise variance and
``lam`` is the **per-sample** ridge penalty: the teacher minimises
``(1/n) ||y - X beta||^2 + lam ||beta||^2`` (sklearn's ``alpha = n * lam`` on the sum of squares).

* eq. (12): ``kappa > 0`` solves ``kappa (1 - (gamma/p) sum_i s_i / (s_i + kappa)) = lam``.
* Cross risk of the ridges at penalties ``lam`` and ``mu`` (second-order DE, [DERIVED check] in
  Follow-ups §2.4)::

      Rx(lam, mu) - sigma2 = (N + sigma2 T) / (1 - T),
      N = sum_i b_i^2 s_i kappa_lam kappa_mu / ((s_i + kappa_lam)(s_i + kappa_mu)),
      T = (gamma/p) sum_i s_i^2 / ((s_i + kappa_lam)(s_i + kappa_mu)).

  ``1 - T`` is evaluated as ``rho_lam + (gamma/p) sum_i V_i(lam) U_i(mu)`` with ``rho = lam/kappa``,
  ``U = kappa / (s + kappa)`` and ``V = s / (s + kappa)`` (the fixed point gives ``1 = rho +
  (gamma/p) sum V``), so no difference of nearly equal numbers is ever formed.
* Derivatives: the penalties are perturbed *relatively*, ``lam (1 + e)`` and ``lam (1 + d)``, and
  ``Rx`` is expanded as a bivariate Taylor series. Its coefficients are
  ``C_ij = lam^(i+j) / (i! j!) d^i_lam d^j_mu Rx(lam, lam)``. The series of ``z = 1/kappa`` comes
  from the fixed point order by order (kappa's derivative is ``1 / (1 - t_2)``); every other series
  is built so that each coefficient is formed without cancellation for lam -> 0 and lam -> infinity
  (``V_j = -U_j``, ``rho_j = gamma mean(U_j)`` for j >= 1).
"""

from __future__ import annotations

import numpy as np

from . import _series

#: Newton iterations allowed for kappa; convergence is monotone (see :func:`solve_kappa`).
_MAX_NEWTON = 400


def solve_kappa(eigenvalues: np.ndarray, gamma: float, lam: np.ndarray) -> np.ndarray:
    """The fixed point kappa of eq. (12) for every penalty in ``lam`` (1-D array, all > 0).

    Written as ``F(kappa) = 1 - gamma mean(s / (s + kappa)) - lam / kappa = 0``. ``F`` is strictly
    increasing and concave on ``(0, inf)`` (both terms are), so the root is unique, lies in
    ``[lam, lam + gamma mean(s)]``, and Newton's method started at ``kappa = lam`` (where F <= 0)
    increases monotonically to it without overshooting: robust for any gamma, including gamma > 1
    with lam -> 0 (the ridgeless limit) and lam -> infinity.
    """
    s = eigenvalues[None, :]
    kappa = lam.astype(np.float64).copy()
    upper = lam + gamma * float(np.mean(eigenvalues))
    active = np.ones(lam.shape, dtype=bool)
    for _ in range(_MAX_NEWTON):
        k = kappa[active, None]
        frac = s / (s + k)
        F = 1.0 - gamma * frac.mean(axis=1) - lam[active] / k[:, 0]
        dF = gamma * (frac / (s + k)).mean(axis=1) + lam[active] / k[:, 0] / k[:, 0]
        step = -F / dF
        new = np.clip(k[:, 0] + np.maximum(step, 0.0), lam[active], upper[active])
        done = np.abs(new - k[:, 0]) <= 4.0 * np.finfo(float).eps * new
        kappa[active] = new
        idx = np.flatnonzero(active)
        active[idx[done]] = False
        if not active.any():
            return kappa
    raise RuntimeError(  # pragma: no cover - monotone Newton converges; guard against a silent NaN
        "the kappa fixed point (eq. 12) did not converge; please report the spectrum and lambda."
    )


def inverse_kappa_series(eigenvalues: np.ndarray, gamma: float, lam: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """kappa at ``lam`` and the Taylor coefficients of ``z(e) = 1 / kappa(lam (1 + e))``, (m, K+1).

    In z the fixed point (12) reads ``F(z) = l z + gamma mean(s z / (1 + s z)) - 1 = 0`` with
    ``l = lam (1 + e)``. The e^j coefficient of F is ``F'(z_0) z_j`` plus terms in ``z_0..z_{j-1}``
    only, and ``F'(z_0) = lam + gamma mean(s / (1 + s z_0)^2) > 0``; since
    ``s z / (1 + s z) = 1 - U`` with ``U = 1 / (1 + s z)``, those terms are ``lam z_{j-1} -
    gamma mean(U_j)`` evaluated with ``z_j = 0``.
    """
    kappa = solve_kappa(eigenvalues, gamma, lam)
    coef = np.zeros((lam.size, order + 1))
    coef[:, 0] = 1.0 / kappa
    s = eigenvalues[None, :]
    slope = lam + gamma * np.mean(s / (1.0 + s * coef[:, :1]) ** 2, axis=1)
    for j in range(1, order + 1):
        U = _inverse_weights(eigenvalues, coef)
        known = lam * coef[:, j - 1] - gamma * np.mean(U[..., j], axis=1)
        coef[:, j] = -known / slope
    return kappa, coef


def _inverse_weights(eigenvalues: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Series of ``U = kappa / (s + kappa) = 1 / (1 + s z)``, shape (m, p, K+1)."""
    one_plus = eigenvalues[None, :, None] * z[:, None, :]
    one_plus[..., 0] += 1.0
    return _series.reciprocal(one_plus)


def cross_risk_series(
    eigenvalues: np.ndarray, signal_sq: np.ndarray, gamma: float, sigma2: float, lam: np.ndarray,
    order: int,
) -> dict[str, np.ndarray]:
    """Bivariate Taylor coefficients of the excess cross risk ``Rx(lam(1+e), lam(1+d)) - sigma2``.

    Returns a dict with ``kappa`` (m,), ``C`` (m, K+1, K+1) (see the module docstring), and the
    ridge's ``bias`` = N/(1-T) and ``variance`` = sigma2 T/(1-T) at ``mu = lam`` (m,).
    """
    kappa, z = inverse_kappa_series(eigenvalues, gamma, lam, order)
    U = _inverse_weights(eigenvalues, z)
    # V = s / (s + kappa) = 1 - U: its constant term directly, the others as -U_j (exact)
    V = -U
    V[..., 0] = eigenvalues[None, :] * z[:, :1] * U[..., 0]
    # rho = lam / kappa = 1 - gamma mean(V): constant term directly, the others gamma mean(U_j)
    rho = gamma * np.mean(U, axis=1)
    rho[:, 0] = lam / kappa
    p = eigenvalues.size
    w = (signal_sq * eigenvalues)[None, :, None]
    Ut = np.swapaxes(U, 1, 2)
    Vt = np.swapaxes(V, 1, 2)
    N = Ut @ (w * U)
    T = (gamma / p) * (Vt @ V)
    one_minus_T = (gamma / p) * (Vt @ U)  # 1 - T = rho(e) + (gamma/p) sum V(e) U(d)
    one_minus_T[:, :, 0] += rho
    inverse = _series.reciprocal2(one_minus_T)
    C = _series.mul2(N + sigma2 * T, inverse)
    return {
        "kappa": kappa,
        "C": C,
        "bias": N[:, 0, 0] * inverse[:, 0, 0],
        "variance": sigma2 * T[:, 0, 0] * inverse[:, 0, 0],
    }


def fourth_order_one_step(
    eigenvalues: np.ndarray, signal_sq: np.ndarray, gamma: float, sigma2: float, lam: np.ndarray,
) -> dict[str, np.ndarray]:
    """Dang, Patil & Rinaldo's Theorem 3.1, eqs. (12)-(16), as read off their code [CODE].

    Returns the excess parts ``A - sigma2``, ``B - sigma2``, ``C - sigma2`` of the teacher, the
    pure-distilled student and their cross risk, plus ``D = A + B - 2C`` and ``xi = (A - C) / D``.
    Kept as an independent test oracle for the second-order route (it forms D by subtraction).
    """
    s = eigenvalues[None, :]
    b2 = signal_sq[None, :]
    kappa = solve_kappa(eigenvalues, gamma, lam)[:, None]
    lam_ = lam[:, None]
    p = eigenvalues.size
    t2, t3, t4 = ((gamma / p) * np.sum(s**2 / (s + kappa) ** k, axis=1, keepdims=True) for k in (2, 3, 4))
    q2, q3, q4 = (np.sum(b2 * s / (s + kappa) ** k, axis=1, keepdims=True) for k in (2, 3, 4))
    b = 1.0 / (1.0 - t2)
    u2 = t2 / (1.0 - t2)
    u3 = t3 * b**3
    u4 = t4 * b**4 + 2.0 * t3**2 * b**5
    E = kappa - b * lam_ + b**2 * kappa * lam_ * t3
    a2 = b * E**2 + b**4 * kappa**2 * lam_**2 * t4 + b**5 * kappa**2 * lam_**2 * t3**2
    a3 = 2.0 * b**2 * kappa * lam_ * E
    a4 = b**3 * kappa**2 * lam_**2
    Q2 = kappa**2 * b * q2
    Q3 = 2.0 * kappa * b * E * q2 + 2.0 * kappa**2 * b**2 * lam_ * q3
    Q4 = a2 * q2 + a3 * q3 + a4 * q4
    A = Q2 + sigma2 * u2
    C = 2.0 * Q2 - Q3 / 2.0 + sigma2 * (u2 - lam_ * u3)
    B = 4.0 * Q2 - 2.0 * Q3 + Q4 + sigma2 * (u2 - 2.0 * lam_ * u3 + lam_**2 * u4)
    D = A + B - 2.0 * C
    out = {"A": A, "B": B, "C": C, "D": D, "xi": (A - C) / D, "kappa": kappa}
    return {key: value[:, 0] for key, value in out.items()}
