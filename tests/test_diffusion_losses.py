"""DMD2's losses: the DM-gradient identity, its sign, the GAN forms, the EDM denoising weight."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from selfdistill.diffusion._losses import (  # noqa: E402
    denoising_loss,
    distribution_matching_loss,
    dm_direction,
    dm_surrogate_loss,
    gan_discriminator_loss,
    gan_generator_loss,
    regression_loss,
)
from selfdistill.diffusion._networks import GaussianMixtureDenoiser  # noqa: E402


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def test_dm_surrogate_gradient_is_the_normalised_score_difference(rng):
    n, d = 6, 5
    x = _t(rng.normal(size=(n, d))).requires_grad_(True)
    mu_real, mu_fake = _t(rng.normal(size=(n, d))), _t(rng.normal(size=(n, d)))
    g = dm_direction(x.detach(), mu_real, mu_fake)
    loss = dm_surrogate_loss(x, g)
    (grad,) = torch.autograd.grad(loss, x)
    # Slow reference, sample by sample: (mu_fake - mu_real) / mean_j |x_j - mu_real_j|.
    xs, mr, mf = x.detach().numpy(), mu_real.numpy(), mu_fake.numpy()
    intended = np.stack([(mf[i] - mr[i]) / np.mean(np.abs(xs[i] - mr[i])) for i in range(n)])
    np.testing.assert_allclose(g.numpy(), intended, rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), intended / (n * d), rtol=1e-12)
    assert loss.item() == pytest.approx(0.5 * np.mean(intended**2))


def test_batch_normaliser_ablation_uses_one_scale_for_the_batch(rng):
    n, d = 6, 3
    x, mu_real, mu_fake = (_t(rng.normal(size=(n, d))) for _ in range(3))
    g = dm_direction(x, mu_real, mu_fake, normalizer="batch")
    scale = np.mean(np.abs(x.numpy() - mu_real.numpy()))  # mean over samples and coordinates
    np.testing.assert_allclose(g.numpy(), (mu_fake - mu_real).numpy() / scale, rtol=1e-12)
    # same overall scale as DMD's per-sample normaliser on average, different per sample
    per_sample = dm_direction(x, mu_real, mu_fake)
    assert not torch.allclose(g, per_sample)


def test_dm_direction_maps_nan_to_finite():
    x = torch.zeros(1, 2, dtype=torch.float64)
    g = dm_direction(
        x, torch.zeros(1, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)
    )
    assert torch.all(
        torch.isfinite(g)
    )  # 1/0 -> large finite, as torch.nan_to_num in the official code


def test_dm_gradient_is_zero_when_critic_equals_teacher(rng):
    den = GaussianMixtureDenoiser(
        np.zeros((2, 3)) + [[1.0], [-1.0]], np.array([0.1, 0.2]), np.log([0.5, 0.5]), False
    ).double()
    x = _t(rng.normal(size=(8, 3))).requires_grad_(True)
    loss, g = distribution_matching_loss(
        x, None, den, den, _t(np.full(8, 0.7)), _t(rng.normal(size=(8, 3)))
    )
    loss.backward()
    assert torch.count_nonzero(g) == 0 and torch.count_nonzero(x.grad) == 0


def test_dm_step_moves_samples_toward_the_teacher_distribution():
    # Teacher N(0, 1) in 1-D, "generator" stuck at N(3, 1) with the exact fake denoiser of N(3, 1):
    # one gradient step on L_DM must move the sample mean toward 0 and never away from it.
    real = GaussianMixtureDenoiser(np.array([[0.0]]), np.array([1.0]), np.zeros(1), False).double()
    fake = GaussianMixtureDenoiser(np.array([[3.0]]), np.array([1.0]), np.zeros(1), False).double()
    gen = torch.Generator().manual_seed(0)
    x = (3.0 + torch.randn(4000, 1, generator=gen, dtype=torch.float64)).requires_grad_(True)
    sigma = torch.exp(
        torch.empty(4000, dtype=torch.float64).uniform_(np.log(0.05), np.log(10.0), generator=gen)
    )
    eps = torch.randn(4000, 1, generator=gen, dtype=torch.float64)
    loss, g = distribution_matching_loss(x, None, real, fake, sigma, eps)
    loss.backward()
    assert torch.all(g > 0)  # mu_fake > mu_real everywhere: descent decreases every sample
    stepped = x.detach() - 1e3 * x.grad
    assert stepped.mean() < x.detach().mean() - 0.1


def test_gan_losses_are_the_non_saturating_logistic_forms(rng):
    fake, real = _t(rng.normal(size=50)), _t(rng.normal(size=40))
    sig = torch.sigmoid
    expected_d = -torch.log(1 - sig(fake)).mean() - torch.log(sig(real)).mean()
    torch.testing.assert_close(gan_discriminator_loss(fake, real), expected_d)
    torch.testing.assert_close(gan_generator_loss(fake), -torch.log(sig(fake)).mean())
    # Non-saturating: the generator's gradient does not vanish when D confidently rejects fakes.
    very_fake = torch.full((4,), -20.0, dtype=torch.float64, requires_grad=True)
    gan_generator_loss(very_fake).backward()
    assert torch.all(very_fake.grad < -0.2)


def test_denoising_loss_uses_the_edm_weight(rng):
    class Zero(torch.nn.Module):
        def forward(self, x, sigma, labels=None):
            return torch.zeros_like(x)

    x0 = _t(rng.normal(size=(4, 2)))
    sigma = _t([0.1, 0.5, 1.0, 4.0])
    eps = _t(rng.normal(size=(4, 2)))
    sd = 0.8
    weight = 1 / sigma**2 + 1 / sd**2
    expected = torch.mean(weight[:, None] * x0**2)
    torch.testing.assert_close(denoising_loss(Zero(), x0, sigma, eps, None, sd), expected)
    # With a target denoiser the target replaces x0.
    target = GaussianMixtureDenoiser(np.zeros((1, 2)), np.array([1.0]), np.zeros(1), False).double()
    x_t = x0 + sigma[:, None] * eps
    expected_t = torch.mean(weight[:, None] * target(x_t, sigma) ** 2)
    torch.testing.assert_close(denoising_loss(Zero(), x0, sigma, eps, None, sd, target), expected_t)
    assert regression_loss(x0, x0).item() == 0.0
