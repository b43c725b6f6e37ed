"""Straight-through estimators: exact binary forward passes and the documented surrogate gradients."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from selfdistill.nn import approx_sign, binarize_weight  # noqa: E402


def _grad(fn, x):
    x = x.clone().requires_grad_(True)
    out = fn(x)
    out.backward(torch.ones_like(out))
    return out.detach(), x.grad


def test_approx_sign_forward_is_sign_with_zero_positive():
    u = torch.tensor([-2.0, -1.0, -1e-300, 0.0, -0.0, 1e-300, 0.5, 3.0], dtype=torch.float64)
    out, _ = _grad(approx_sign, u)
    np.testing.assert_array_equal(out.numpy(), [-1, -1, -1, 1, 1, 1, 1, 1])


def test_approx_sign_gradient_is_the_bireal_derivative():
    u = torch.linspace(-1.5, 1.5, 301, dtype=torch.float64)
    _, grad = _grad(approx_sign, u)
    x = u.numpy()
    expected = np.where((x >= -1) & (x < 0), 2 + 2 * x, np.where((x >= 0) & (x < 1), 2 - 2 * x, 0.0))
    np.testing.assert_allclose(grad.numpy(), expected, atol=1e-12)
    # It is the derivative of the piecewise quadratic of Bi-Real-Net: check by finite differences.
    def surrogate(v):
        return np.where(v < -1, -1, np.where(v < 0, v * v + 2 * v, np.where(v < 1, 2 * v - v * v, 1)))
    inner = np.abs(x) < 0.99
    fd = (surrogate(x + 1e-6) - surrogate(x - 1e-6)) / 2e-6
    np.testing.assert_allclose(grad.numpy()[inner], fd[inner], atol=1e-5)


def test_binarize_weight_forward_scale_and_clipped_gradient(rng):
    w = torch.tensor(rng.normal(scale=1.2, size=(5, 7)))
    w[0, 0] = 0.0  # sign(0) = +1
    w[0, 1] = 1.0  # the boundary passes the gradient
    w[0, 2] = -1.0
    out, grad = _grad(binarize_weight, w)
    scale = w.abs().mean()
    np.testing.assert_array_equal(out.numpy(), (scale * torch.where(w >= 0, 1.0, -1.0).double()).numpy())
    assert out[0, 0] > 0
    np.testing.assert_array_equal(grad.numpy(), (w.abs() <= 1).double().numpy())
    assert grad[0, 1] == 1 and grad[0, 2] == 1
    assert (grad == 0).any() and (grad == 1).any()  # the draw has weights on both sides of 1


def test_binarize_weight_scale_is_a_constant():
    # d/dw of sum(a sign(w)) would include d a / d w = sign(w)/n if a were not detached.
    w = torch.tensor([0.2, -0.4, 0.6], dtype=torch.float64, requires_grad=True)
    (binarize_weight(w) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0, 3.0])
