"""EDM noise levels, preconditioning and sampler discretisation (Karras et al., NeurIPS 2022).

Conventions shared by the whole subpackage: the forward process is variance exploding,
``x_t = x_0 + sigma_t * eps`` with ``eps ~ N(0, I)``; networks are *denoisers*
``D(x_t; sigma) ~ E[x_0 | x_t]`` (x0-prediction); the training noise levels form the Karras grid of
``n_levels`` values indexed ``0..n_levels-1`` from the smallest to the largest, which plays the role
of DMD2's timestep ``t`` (``T = n_levels = 1000`` in the official code).
"""

from __future__ import annotations

import numpy as np


def karras_grid(n_levels: int, sigma_min: float, sigma_max: float, rho: float) -> np.ndarray:
    r"""The Karras noise grid, ascending: index 0 is ``sigma_min``, ``n_levels - 1`` is ``sigma_max``.

    .. math::

        \sigma_i = \bigl(\sigma_{\max}^{1/\rho} + r_i(\sigma_{\min}^{1/\rho}
                   - \sigma_{\max}^{1/\rho})\bigr)^{\rho},\qquad r = \mathrm{linspace}(0, 1, L),

    flipped so that the index grows with the noise level, as in DMD2's EDM code.
    """
    r = np.linspace(0.0, 1.0, n_levels)
    inv_rho = 1.0 / rho
    grid = (sigma_max**inv_rho + r * (sigma_min**inv_rho - sigma_max**inv_rho)) ** rho
    return grid[::-1].copy()


def sampler_sigmas(n_steps: int, sigma_min: float, sigma_max: float, rho: float) -> np.ndarray:
    r"""Descending noise levels ``t_0 > ... > t_{N-1} > t_N = 0`` of EDM's deterministic sampler.

    :math:`t_i = (\sigma_{\max}^{1/\rho} + \tfrac{i}{N-1}(\sigma_{\min}^{1/\rho} -
    \sigma_{\max}^{1/\rho}))^\rho` for :math:`i < N` and :math:`t_N = 0`; with ``N = 1`` the only
    level is ``sigma_max`` (one Euler step returns ``D(sigma_max z; sigma_max)``).
    """
    if n_steps == 1:
        return np.array([sigma_max, 0.0])
    i = np.arange(n_steps)
    inv_rho = 1.0 / rho
    levels = (
        sigma_max**inv_rho + i / (n_steps - 1) * (sigma_min**inv_rho - sigma_max**inv_rho)
    ) ** rho
    return np.append(levels, 0.0)


def n_function_evaluations(n_steps: int, sampler: str) -> int:
    """Denoiser calls per sample: ``N`` for Euler, ``2N - 1`` for Heun (none at ``t_N = 0``)."""
    return n_steps if sampler == "euler" else 2 * n_steps - 1


def student_grid_indices(n_steps: int, n_levels: int) -> np.ndarray:
    """DMD2's default student timesteps ``range(T-1, 0, -(T // N))`` on a grid of ``T = n_levels``.

    For ``T = 1000``: ``N = 1`` gives ``[999]`` (``sigma_max``), ``N = 4`` gives
    ``[999, 749, 499, 249]`` -- the list the official SDXL 4-step model is trained and sampled with.
    """
    step = n_levels // n_steps
    return np.array([n_levels - 1 - j * step for j in range(n_steps)], dtype=np.int64)


def edm_loss_weight(sigma, sigma_data: float):
    r"""EDM's loss weight :math:`\lambda(\sigma) = 1/\sigma^2 + 1/\sigma_{\rm data}^2` on x0-errors."""
    return 1.0 / sigma**2 + 1.0 / sigma_data**2
