"""Posterior computation for the joint quantile model: MAP by L-BFGS and blocked adaptive Metropolis.

Blocks (as specified for qrjoint's default "std5" blocking): one block per latent function
``(u_j, gamma_j)`` for ``j = 0..p`` (which also proposes a move of ``lambda_j`` to a neighbouring grid
value with probability 1/3), ``(gamma_0, gamma)``, ``(log sigma, z_nu)`` and one block with all
continuous parameters. Each block proposes ``theta_b + exp(s_b) C_b eps`` with ``C_b`` the Cholesky
factor of an adapted covariance (the block's empirical posterior covariance so far, Haario et al.
2001) and ``s_b`` adapted by Robbins--Monro towards acceptance rate 0.15. Adaptation runs during
the burn-in only (the first half of the chain by default), so the second half is a valid
Metropolis chain whose draws are the ones summarised (like R's summaries over the second half).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .._progress import progress
from ._joint_model import JointModel

TARGET_ACCEPTANCE = 0.15


def _objective(model: JointModel, lam_idx):
    def f(theta):
        value = model.log_post(theta, lam_idx)
        return 1e12 if not np.isfinite(value) else -value

    return f


def fit_map(model: JointModel, theta0, lam_idx, max_iter=500, tol=1e-7):
    """Maximise the log posterior over the continuous parameters (``lambda`` fixed).

    L-BFGS-B with two-point finite-difference gradients: the inversion likelihood is only piecewise
    smooth (kinks where an observation crosses a grid point), so a hand gradient would not be
    smoother. Returns scipy's ``OptimizeResult``.
    """
    return optimize.minimize(
        _objective(model, lam_idx), theta0, method="L-BFGS-B",
        options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-6, "maxcor": 20},
    )


def default_blocks(model: JointModel):
    """Index arrays of the Metropolis blocks and, per block, the latent function whose lambda moves."""
    blocks, lam_of_block = [], []
    for j in range(model.p + 1):
        blocks.append(np.concatenate([model.index_u(j), [model.index_gamma(j)]]))
        lam_of_block.append(j)
    if model.p > 0:
        blocks.append(np.array([model.index_gamma(j) for j in range(model.p + 1)]))
        lam_of_block.append(-1)
    scale_block = [model.index_log_sigma] + ([model.dim - 1] if model.learn_nu else [])
    blocks.append(np.array(scale_block))
    lam_of_block.append(-1)
    blocks.append(np.arange(model.dim))
    lam_of_block.append(-1)
    return blocks, lam_of_block


@dataclass
class ChainResult:
    """Saved draws of one chain and its bookkeeping."""

    theta: np.ndarray  # (n_saved, dim)
    lam_idx: np.ndarray  # (n_saved, p + 1)
    log_post: np.ndarray  # (n_saved,)
    acceptance: np.ndarray  # (n_blocks,) acceptance rate after burn-in
    block_names: list
    n_iter: int
    n_burn: int
    thin: int


def adaptive_metropolis(model: JointModel, theta0, lam0, n_iter, thin, rng, cov0=None,
                        n_burn=None, show_progress=False):
    """Run the blocked adaptive Metropolis sampler and keep every ``thin``-th state.

    Parameters
    ----------
    model : JointModel
    theta0 : ndarray (dim,)
        Starting point (finite log posterior required).
    lam0 : ndarray of int (p + 1,)
        Starting lambda grid indices.
    n_iter, thin : int
        Chain length and thinning.
    rng : numpy Generator
    cov0 : ndarray (dim, dim) or None
        Initial proposal covariance (e.g. the L-BFGS inverse Hessian); identity * 0.01 if None.
    n_burn : int or None
        Adaptation period (default ``n_iter // 2``).
    show_progress : bool
        Draw a progress bar on stderr.
    """
    n_burn = n_iter // 2 if n_burn is None else n_burn
    blocks, lam_of_block = default_blocks(model)
    names = [f"w{j}" for j in range(model.p + 1)]
    names += (["gamma"] if model.p > 0 else []) + ["scale", "all"]
    dim = model.dim
    if cov0 is None:
        cov0 = 0.01 * np.eye(dim)
    cov0 = 0.5 * (cov0 + cov0.T) + 1e-10 * np.eye(dim)
    chols, log_scale = [], []
    for b in blocks:
        chols.append(_safe_cholesky(cov0[np.ix_(b, b)]))
        log_scale.append(np.log(2.38 / np.sqrt(b.size)))
    log_scale = np.array(log_scale)
    n_props = np.zeros(len(blocks))
    n_acc = np.zeros(len(blocks))
    theta = np.array(theta0, dtype=float)
    lam = np.array(lam0, dtype=int)
    lp = model.log_post(theta, lam)
    if not np.isfinite(lp):
        raise RuntimeError("the sampler's starting point has zero posterior density")
    n_lam = model.lam.size
    history = np.empty((n_burn, dim)) if n_burn > 0 else None
    saved_theta, saved_lam, saved_lp = [], [], []
    log_scale = [float(v) for v in log_scale]
    offsets = np.cumsum([0] + [b.size for b in blocks])
    n_blocks = len(blocks)
    for it in progress(range(n_iter), desc="qrjoint MCMC", enabled=show_progress):
        adapting = it < n_burn
        rate = 1.0 / (1.0 + it) ** 0.6
        # one call per iteration for all random numbers (Python overhead, not arithmetic, dominates)
        normals = rng.standard_normal(offsets[-1])
        uniforms = rng.random(3 * n_blocks)
        for bi, b in enumerate(blocks):
            prop = theta.copy()
            prop[b] += math.exp(log_scale[bi]) * (chols[bi] @ normals[offsets[bi]: offsets[bi + 1]])
            lam_prop = lam
            j = lam_of_block[bi]
            if j >= 0 and uniforms[3 * bi] < 1.0 / 3.0:
                step = 1 if uniforms[3 * bi + 1] < 0.5 else -1
                if 0 <= lam[j] + step < n_lam:  # symmetric proposal; off-grid moves are rejected
                    lam_prop = lam.copy()
                    lam_prop[j] += step
            lp_prop = model.log_post(prop, lam_prop)
            log_ratio = lp_prop - lp
            accept_prob = 1.0 if log_ratio >= 0 else (math.exp(log_ratio) if math.isfinite(log_ratio) else 0.0)
            if uniforms[3 * bi + 2] < accept_prob:
                theta, lam, lp = prop, lam_prop, lp_prop
                if not adapting:
                    n_acc[bi] += 1
            if adapting:
                log_scale[bi] += (accept_prob - TARGET_ACCEPTANCE) * rate
            else:
                n_props[bi] += 1
        if adapting:
            history[it] = theta
            if it >= 199 and (it + 1) % 100 == 0:
                emp = np.cov(history[it // 2: it + 1].T) if dim > 1 else np.atleast_2d(np.var(history[: it + 1]))
                for bi, b in enumerate(blocks):
                    sub = emp[np.ix_(b, b)]
                    if np.all(np.isfinite(sub)) and np.trace(sub) > 0:
                        chols[bi] = _safe_cholesky(sub + 1e-8 * np.mean(np.diag(sub)) * np.eye(b.size))
        if (it + 1) % thin == 0:
            saved_theta.append(theta.copy())
            saved_lam.append(lam.copy())
            saved_lp.append(lp)
    acceptance = n_acc / np.maximum(n_props, 1)
    return ChainResult(np.array(saved_theta), np.array(saved_lam), np.array(saved_lp), acceptance,
                       names, n_iter, n_burn, thin)


def _safe_cholesky(S):
    S = 0.5 * (S + S.T)
    jitter = 0.0
    for _ in range(10):
        try:
            return np.linalg.cholesky(S + jitter * np.eye(S.shape[0]))
        except np.linalg.LinAlgError:
            jitter = max(1e-10, 10 * jitter) * max(1.0, float(np.mean(np.abs(np.diag(S)))))
    return np.diag(np.sqrt(np.maximum(np.abs(np.diag(S)), 1e-8)))


def effective_sample_size(draws):
    """ESS of each column of ``draws`` (n_draws, k) by Geyer's initial monotone sequence estimator."""
    draws = np.atleast_2d(np.asarray(draws, dtype=float).T).T
    n = draws.shape[0]
    out = np.empty(draws.shape[1])
    for c in range(draws.shape[1]):
        x = draws[:, c] - draws[:, c].mean()
        var = x @ x / n
        if n < 4 or var <= 0:
            out[c] = float(n)
            continue
        f = np.fft.rfft(x, 2 * n)
        acov = np.fft.irfft(f * np.conj(f))[:n] / n
        rho = acov / var
        pair = rho[0:-1:2] + rho[1::2]  # Gamma_k = rho_2k + rho_2k+1
        total, prev = 0.0, np.inf
        for g in pair:
            if g <= 0:
                break
            g = min(g, prev)  # monotone
            total += g
            prev = g
        tau = -1.0 + 2.0 * total
        out[c] = n / max(tau, 1.0 / np.log10(max(n, 10)))
    return out
