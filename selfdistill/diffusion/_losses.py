"""The losses of DMD2 (and of DSM teacher training) as small pure functions.

Shapes: ``x`` is (n, d); ``sigma`` is (n,); denoisers follow ``_networks``'s signature.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ._edm import edm_loss_weight


def denoising_loss(denoiser, x0, sigma, eps, labels, sigma_data: float, target_denoiser=None):
    r"""EDM-weighted denoising loss.

    :math:`\mathrm{mean}\,\lambda(\sigma)\,(D(x_0+\sigma\varepsilon;\sigma) - x_0)^2`.

    :math:`\lambda(\sigma) = 1/\sigma^2 + 1/\sigma_d^2`; the mean runs over samples and coordinates.
    With ``target_denoiser`` the regression target is ``target_denoiser(x_t, sigma, labels)``
    instead of :math:`x_0` (the exact posterior mean when a network is fitted to an analytic
    teacher: the same minimiser as denoising score matching, with lower variance).
    """
    x_t = x0 + sigma[:, None] * eps
    pred = denoiser(x_t, sigma, labels)
    if target_denoiser is None:
        goal = x0
    else:
        with torch.no_grad():
            goal = target_denoiser(x_t, sigma, labels)
    return torch.mean(edm_loss_weight(sigma, sigma_data)[:, None] * (pred - goal) ** 2)


def dm_direction(x, mu_real, mu_fake, normalizer: str = "sample"):
    r"""DMD's normalised distribution-matching direction (computed without gradient).

    .. math::

        g = \frac{(x-\mu_{\rm real}) - (x-\mu_{\rm fake})}
                 {\mathrm{mean}_{\rm coords}\,|x-\mu_{\rm real}|}
          = \frac{\mu_{\rm fake}-\mu_{\rm real}}{\mathrm{mean}_{\rm coords}\,|x-\mu_{\rm real}|},

    one normaliser per sample, NaN/inf mapped to finite numbers as in the official code
    (``torch.nan_to_num``). ``normalizer="batch"`` (an ablation of ours, not DMD's) divides by the
    batch mean of the per-sample normalisers instead: the same overall scale, but samples far from
    the teacher's denoised point (e.g. between modes) are no longer down-weighted relative to
    samples near it.
    """
    p_real = x - mu_real
    p_fake = x - mu_fake
    normaliser = p_real.abs().mean(dim=tuple(range(1, x.ndim)), keepdim=True)
    if normalizer == "batch":
        normaliser = normaliser.mean()
    return torch.nan_to_num((p_real - p_fake) / normaliser)


def dm_surrogate_loss(x, g):
    r"""Stop-gradient surrogate :math:`L = \tfrac12\,\mathrm{mean}\,(x - \mathrm{sg}(x - g))^2`.

    Its value is :math:`\tfrac12\,\mathrm{mean}\,g^2` and its gradient is exactly
    :math:`\partial L/\partial x = g / \mathrm{numel}(x)`, so a descent step moves every sample
    along :math:`\mu_{\rm real} - \mu_{\rm fake}`.
    """
    return 0.5 * F.mse_loss(x, (x - g).detach(), reduction="mean")


def distribution_matching_loss(
    x, labels, real_denoiser, fake_denoiser, sigma, eps, normalizer: str = "sample"
):
    """DMD/DMD2 generator loss on samples ``x`` noised to ``x + sigma * eps``.

    The teacher (``real_denoiser``) and the fake critic are evaluated on the noisy sample without
    gradient; the returned surrogate carries :func:`dm_direction` into ``x``'s graph.

    Returns
    -------
    loss : torch.Tensor
        The surrogate of :func:`dm_surrogate_loss`.
    g : torch.Tensor
        The direction, for diagnostics.
    """
    with torch.no_grad():
        x_sg = x.detach()
        x_t = x_sg + sigma[:, None] * eps
        mu_real = real_denoiser(x_t, sigma, labels)
        mu_fake = fake_denoiser(x_t, sigma, labels)
        g = dm_direction(x_sg, mu_real, mu_fake, normalizer)
    return dm_surrogate_loss(x, g), g


def gan_discriminator_loss(logits_fake, logits_real):
    r"""Non-saturating discriminator loss.

    :math:`L_D = \mathrm{mean}\,\mathrm{softplus}(D_{\rm fake})
    + \mathrm{mean}\,\mathrm{softplus}(-D_{\rm real})`
    (:math:`\mathrm{softplus}(u) = -\log\sigma(-u)`, the logistic GAN loss).
    """
    return F.softplus(logits_fake).mean() + F.softplus(-logits_real).mean()


def gan_generator_loss(logits_fake):
    r"""Non-saturating generator loss :math:`\mathrm{mean}\,\mathrm{softplus}(-D(G(z)))`."""
    return F.softplus(-logits_fake).mean()


def regression_loss(x, target):
    """DMD v1's paired regression loss, with the squared error standing in for LPIPS on toy data."""
    return torch.mean((x - target) ** 2)
