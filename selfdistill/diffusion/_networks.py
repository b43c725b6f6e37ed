"""Torch modules: the EDM-preconditioned MLP denoiser, the exact Gaussian-mixture denoiser, the GAN head.

Every denoiser module has the signature ``forward(x, sigma, labels=None) -> x0_hat`` with ``x`` of
shape (n, d), ``sigma`` of shape (n,) (or a scalar) and integer ``labels`` of shape (n,) holding
class indices ``0..n_classes-1`` for class-conditional models.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def _sigma_column(sigma, x: torch.Tensor) -> torch.Tensor:
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    return (
        sigma.reshape(-1, 1).expand(x.shape[0], 1) if sigma.numel() == 1 else sigma.reshape(-1, 1)
    )


def _check_labels(labels, n_classes: int | None) -> None:
    if n_classes is not None and labels is None:
        raise ValueError("this denoiser is class-conditional: pass labels (class indices).")


class EDMDenoiserMLP(nn.Module):
    r"""EDM-preconditioned MLP denoiser.

    .. math::

        D(x;\sigma, c) = c_{\rm skip}(\sigma)\,x + c_{\rm out}(\sigma)\,
            F\bigl([c_{\rm in}(\sigma)x,\ \phi(c_{\rm noise}(\sigma)),\ \mathrm{onehot}(c)]\bigr),

    with :math:`c_{\rm skip} = \sigma_d^2/(\sigma^2+\sigma_d^2)`,
    :math:`c_{\rm out} = \sigma\sigma_d/\sqrt{\sigma^2+\sigma_d^2}`,
    :math:`c_{\rm in} = 1/\sqrt{\sigma^2+\sigma_d^2}`, :math:`c_{\rm noise} = \tfrac14\ln\sigma`
    (Karras et al. 2022, Table 1), :math:`\phi(u) = [u, \sin(\pi 2^k u), \cos(\pi 2^k u)]_{k<K}`
    fixed Fourier features of the noise level, and ``F`` an MLP with SiLU activations. Its last
    hidden layer is the "bottleneck" returned with ``return_features=True`` (DMD2's GAN head
    reads it).

    Parameters
    ----------
    n_features : int
        Data dimension ``d``.
    hidden : tuple of int
        Widths of the hidden layers of ``F``.
    sigma_data : float
        :math:`\sigma_d`, the root-mean-square of the data.
    n_classes : int or None
        Number of classes for class conditioning (one-hot input), ``None`` for unconditional.
    n_frequencies : int
        ``K`` Fourier frequencies of the noise embedding.
    """

    def __init__(
        self,
        n_features: int,
        hidden: tuple[int, ...],
        sigma_data: float,
        n_classes: int | None = None,
        n_frequencies: int = 6,
    ) -> None:
        super().__init__()
        self.n_features = int(n_features)
        self.n_classes = None if n_classes is None else int(n_classes)
        self.register_buffer("sigma_data", torch.tensor(float(sigma_data)))
        self.register_buffer("frequencies", math.pi * 2.0 ** torch.arange(n_frequencies))
        width_in = self.n_features + 1 + 2 * n_frequencies + (self.n_classes or 0)
        widths = (width_in, *hidden)
        self.hidden_layers = nn.ModuleList(
            nn.Linear(widths[i], widths[i + 1]) for i in range(len(hidden))
        )
        self.output_layer = nn.Linear(widths[-1], self.n_features)
        self.feature_dim = int(widths[-1])

    def forward(self, x, sigma, labels=None, return_features: bool = False):
        _check_labels(labels, self.n_classes)
        s = _sigma_column(sigma, x)
        sd2 = self.sigma_data**2
        c_skip = sd2 / (s**2 + sd2)
        c_out = s * self.sigma_data / torch.sqrt(s**2 + sd2)
        c_in = 1.0 / torch.sqrt(s**2 + sd2)
        c_noise = torch.log(s) / 4.0
        phase = c_noise * self.frequencies
        parts = [c_in * x, c_noise, torch.sin(phase), torch.cos(phase)]
        if self.n_classes is not None:
            parts.append(F.one_hot(labels.long(), self.n_classes).to(x.dtype))
        h = torch.cat(parts, dim=1)
        for layer in self.hidden_layers:
            h = F.silu(layer(h))
        out = c_skip * x + c_out * self.output_layer(h)
        return (out, h) if return_features else out


class GaussianMixtureDenoiser(nn.Module):
    r"""Exact posterior mean :math:`E[x_0 \mid x_t]` for an isotropic Gaussian mixture.

    For :math:`x_0 \sim \sum_k \pi_k N(\mu_k, s_k^2 I)` and :math:`x_t = x_0 + \sigma\varepsilon`,

    .. math::

        E[x_0\mid x_t] = \sum_k w_k(x_t)\Bigl(\mu_k + \frac{s_k^2}{s_k^2+\sigma^2}(x_t-\mu_k)\Bigr),
        \qquad w_k \propto \pi_k\,N\bigl(x_t;\mu_k,(s_k^2+\sigma^2)I\bigr).

    With ``labels`` (class-conditional mixture, class = component) the weights are the one-hot
    vector of the label. There are no trainable parameters.
    """

    def __init__(self, means, variances, log_weights, conditional: bool) -> None:
        super().__init__()
        self.register_buffer("means", torch.as_tensor(means))
        self.register_buffer("variances", torch.as_tensor(variances))
        self.register_buffer("log_weights", torch.as_tensor(log_weights))
        self.n_classes = self.means.shape[0] if conditional else None

    def forward(self, x, sigma, labels=None):
        _check_labels(labels, self.n_classes)
        s = _sigma_column(sigma, x)
        total_var = self.variances[None, :] + s**2  # (n, K)
        diff = x[:, None, :] - self.means[None, :, :]  # (n, K, d)
        if self.n_classes is not None:
            weights = F.one_hot(labels.long(), self.n_classes).to(x.dtype)
        else:
            logits = (
                self.log_weights[None, :]
                - 0.5 * x.shape[1] * torch.log(total_var)
                - 0.5 * (diff**2).sum(-1) / total_var
            )
            weights = torch.softmax(logits, dim=1)
        shrink = (self.variances[None, :] / total_var)[..., None]
        posterior_means = self.means[None, :, :] + shrink * diff
        return (weights[..., None] * posterior_means).sum(dim=1)


class GANHead(nn.Module):
    """DMD2's discriminator head on the fake critic's bottleneck: ``Linear-SiLU-Linear -> logit``.

    The official EDM head is a small conv stack on the 8x8 U-Net bottleneck; for an MLP critic the
    analogue is a two-layer MLP on its last hidden layer (an adaptation, documented as such).
    """

    def __init__(self, feature_dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(feature_dim, feature_dim), nn.SiLU(), nn.Linear(feature_dim, 1)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features).squeeze(-1)
