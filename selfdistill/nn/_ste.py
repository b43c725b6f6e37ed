"""Straight-through estimators of the LDC training graph (MicroVSA / Bi-Real-Net conventions).

Forward passes are exactly binary (``sign`` with ``sign(0) = +1``); only the backward passes use
surrogate derivatives:

- activations, :func:`approx_sign` (Bi-Real-Net's "ApproxSign"): ``d/du = 2 - 2|u|`` for
  ``|u| < 1`` (i.e. ``2 + 2u`` on ``[-1, 0)`` and ``2 - 2u`` on ``[0, 1)``), ``0`` elsewhere;
- weights, :func:`binarize_weight`: forward ``a * sign(w)`` with ``a = mean|w|`` (a constant: no
  gradient flows through it), backward the identity where ``|w| <= 1`` and ``0`` outside (the
  straight-through estimator of ``clamp(w, -1, 1)``).
"""

from __future__ import annotations

import torch


def sign_pm1(x: torch.Tensor) -> torch.Tensor:
    """``+1`` where ``x >= 0`` and ``-1`` elsewhere, in ``x``'s dtype (so ``sign(0) = +1``)."""
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)


class _ApproxSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return sign_pm1(u)

    @staticmethod
    def backward(ctx, grad_out):
        (u,) = ctx.saved_tensors
        return grad_out * torch.clamp(2.0 - 2.0 * u.abs(), min=0.0)


class _BinaryWeight(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w, scale):
        ctx.save_for_backward(w)
        return scale * sign_pm1(w)

    @staticmethod
    def backward(ctx, grad_out):
        (w,) = ctx.saved_tensors
        return grad_out * (w.abs() <= 1.0).to(grad_out.dtype), None


def approx_sign(u: torch.Tensor) -> torch.Tensor:
    """Binary activation: forward ``sign(u)`` (``sign(0) = +1``), backward ApproxSign.

    Parameters
    ----------
    u : Tensor
        Pre-activations.

    Returns
    -------
    Tensor
        ``+-1`` values of ``u``'s shape and dtype; the gradient is
        ``grad * max(0, 2 - 2|u|)``.
    """
    return _ApproxSign.apply(u)


def binarize_weight(w: torch.Tensor) -> torch.Tensor:
    """Scaled binary weights ``a sign(w)``, ``a = mean|w|``, with a clipped straight-through gradient.

    Parameters
    ----------
    w : Tensor
        Latent real-valued weights.

    Returns
    -------
    Tensor
        ``a * sign(w)`` (``sign(0) = +1``); backward passes ``grad`` where ``|w| <= 1`` and ``0``
        elsewhere. ``a`` is treated as a constant (detached), as in MicroVSA's training code.
    """
    scale = w.detach().abs().mean()
    return _BinaryWeight.apply(w, scale)
