"""Monte Carlo of the exact conditional risks for Gaussian designs (the check on the DEs).

Everything is done in Sigma's eigenbasis: for Gaussian rows the problem is rotation-equivariant,
so ``Sigma = diag(s)`` and ``beta = b`` lose nothing. Per draw: one thin SVD ``X / sqrt(n) = U
diag(sqrt(d)) V^T`` (for n >= 2p the eigendecomposition of ``X^T X / n``); then, for every penalty at
once, the noise-averaged risk of ridge and of 1-step SD is a quadratic in xi (Follow-ups §2.2, with E over the noise)::

    R(xi) = A - 2 xi (A - C) + xi^2 D,

whose minimiser is the exact (noise-averaged, fixed-X) optimal xi. Coefficient error of the
student: mean part ``-(I - V V^T) b - V (t c) - xi V (t a c)`` with ``a = d/(d+lam)``,
``t = lam/(d+lam)``, ``c = V^T b``; noise part filter ``(1 - xi t)/(d + lam)`` on ``X^T eps / n``,
whose variance in the Sigma-metric is ``(sigma^2/n) sum_j f_j^2 d_j (V^T Sigma V)_jj``.
"""

from __future__ import annotations

import numpy as np


def conditional_risks(
    X: np.ndarray, eigenvalues: np.ndarray, signal: np.ndarray, noise_var: float, lam: np.ndarray
) -> dict[str, np.ndarray]:
    """Noise-averaged excess risks of ridge and optimal 1-step SD for one design (Sigma diagonal).

    Parameters are the design ``X`` (n x p, rows with covariance ``diag(eigenvalues)``), the signal
    ``b``, sigma^2 and the per-sample penalties ``lam`` (m,). Returns arrays of shape (m,):
    ``ridge``, ``sd`` (optimal 1-step), ``xi`` (its optimal xi) and ``curvature`` (D).
    """
    n, p = X.shape
    if n >= 2 * p:
        # well-conditioned sample covariance: its eigendecomposition is ~3x cheaper than the SVD
        d, V = np.linalg.eigh(X.T @ X / n)
        d = np.clip(d, 0.0, None)
        Vt = V.T
    else:
        _, sv, Vt = np.linalg.svd(X / np.sqrt(n), full_matrices=False)
        d = sv**2
        V = Vt.T
    c = Vt @ signal
    null = signal - V @ c
    g = (V**2).T @ eigenvalues  # (V^T Sigma V)_jj
    denom = d[:, None] + lam[None, :]  # (q, m)
    t = lam[None, :] / denom
    a = d[:, None] / denom
    bias_vec = null[:, None] + V @ (t * c[:, None])  # beta - E beta_hat, (p, m)
    step_vec = V @ (t * a * c[:, None])  # E(beta_hat - beta_pd); mean error = -bias_vec - xi step_vec
    s = eigenvalues[:, None]
    bias = np.sum(s * bias_vec**2, axis=0)
    cross = np.sum(s * bias_vec * step_vec, axis=0)
    move = np.sum(s * step_vec**2, axis=0)
    noise = noise_var / n * (d * g)[:, None] / denom**2
    var = noise.sum(axis=0)
    var_cross = np.sum(noise * t, axis=0)
    var_move = np.sum(noise * t**2, axis=0)
    A = bias + var
    half_slope = var_cross - cross  # = A - C: along xi > 0 the variance falls, the bias grows
    D = move + var_move
    xi = np.divide(half_slope, D, out=np.zeros_like(D), where=D > 0)
    return {"ridge": A, "sd": A - xi * half_slope, "xi": xi, "curvature": D}
