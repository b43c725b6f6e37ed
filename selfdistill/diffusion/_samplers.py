"""EDM's deterministic probability-flow ODE samplers (Euler and Heun; Karras et al. 2022, Alg. 1)."""

from __future__ import annotations

import torch


@torch.no_grad()
def ode_sample(denoiser, z, labels, sigmas, sampler: str):
    r"""Integrate :math:`dx/d\sigma = (x - D(x;\sigma))/\sigma` from ``sigmas[0]`` down to 0.

    Starts at :math:`x = \sigma_0 z`. Euler: :math:`x \leftarrow x + (\sigma_{i+1}-\sigma_i)d_i`
    with :math:`d_i = (x - D(x;\sigma_i))/\sigma_i`. Heun adds the trapezoidal correction with the
    slope at :math:`\sigma_{i+1}` except on the last step to :math:`\sigma = 0`, hence ``2N - 1``
    denoiser calls for ``N`` steps.

    Parameters
    ----------
    denoiser : callable ``(x, sigma, labels) -> x0_hat``
    z : torch.Tensor of shape (n, d)
        Standard normal noise.
    labels : torch.Tensor of shape (n,) or None
    sigmas : sequence of float
        Descending levels ending with 0 (see ``_edm.sampler_sigmas``).
    sampler : {"euler", "heun"}
    """
    x = float(sigmas[0]) * z
    n = z.shape[0]
    for s_cur, s_next in zip(sigmas[:-1], sigmas[1:], strict=True):
        s_cur, s_next = float(s_cur), float(s_next)
        sig = torch.full((n,), s_cur, dtype=z.dtype, device=z.device)
        slope = (x - denoiser(x, sig, labels)) / s_cur
        x_next = x + (s_next - s_cur) * slope
        if sampler == "heun" and s_next > 0:
            sig_next = torch.full((n,), s_next, dtype=z.dtype, device=z.device)
            slope_next = (x_next - denoiser(x_next, sig_next, labels)) / s_next
            x_next = x + (s_next - s_cur) * 0.5 * (slope + slope_next)
        x = x_next
    return x
