"""One DMD2 training iteration (generator step every r-th iteration, critic step every iteration).

Kept separate from the estimator so that tests can drive single iterations and inspect the
networks in between (TTUR bookkeeping, gradient isolation, backward simulation).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._losses import (
    denoising_loss,
    distribution_matching_loss,
    gan_discriminator_loss,
    gan_generator_loss,
    regression_loss,
)


@dataclass(frozen=True)
class DMD2Settings:
    """Validated hyper-parameters of one run (grid indices are 0-based, inclusive bounds)."""

    dfake_gen_update_ratio: int
    dm_loss_weight: float
    gan: bool
    gen_gan_weight: float
    disc_gan_weight: float
    gan_max_index: int  # GAN noise levels t ~ U{0..gan_max_index - 1}
    backward_simulation: bool
    dm_min_index: int  # DM noise levels t ~ U{dm_min_index..dm_max_index}
    dm_max_index: int
    regression_weight: float
    max_grad_norm: float | None
    batch_size: int
    sigma_data: float
    dm_normalizer: str = "sample"  # "sample" (official) or "batch" (our ablation)


def student_state(generator, z, renoise, sigmas, labels, k: int):
    """State the student's sampler reaches at its ``k``-th level (inference-time simulation).

    ``x = sigmas[0] * z``; then for ``j < k``: ``x0 = G(x; sigmas[j])`` and
    ``x = x0 + sigmas[j + 1] * renoise[j]`` (predict x0, re-noise with fresh noise). ``k = 0``
    returns pure noise. Call it under ``torch.no_grad()`` for backward simulation.
    """
    n = z.shape[0]
    x = sigmas[0] * z
    for j in range(k):
        x0 = generator(x, sigmas[j].expand(n), labels)
        x = x0 + sigmas[j + 1] * renoise[j]
    return x


def student_sample(generator, z, renoise, sigmas, labels):
    """The student's N-step sample: the x0-prediction at the last level of :func:`student_state`."""
    n_steps = sigmas.shape[0]
    x = student_state(generator, z, renoise, sigmas, labels, n_steps - 1)
    return generator(x, sigmas[n_steps - 1].expand(z.shape[0]), labels)


def _clip(parameters, max_norm: float | None) -> float:
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    if max_norm is None:
        return float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))
    return float(torch.nn.utils.clip_grad_norm_(params, max_norm))


class DMD2Trainer:
    """State of a DMD2 run: networks, optimisers, data and the random generator.

    ``iteration(k)`` performs DMD2's schedule for iteration ``k`` (official EDM/SD training loops):

    1. draw a real batch (and its labels, which also condition the generator) and the generator
       input (pure noise; or, for N-step students, the backward-simulated state at a random
       level ``k`` / a forward-noised real sample);
    2. if ``k % r == 0``: with the critic and the GAN head frozen, minimise
       ``dm_loss_weight * L_DM + gen_gan_weight * L_G (+ regression_weight * L_reg)``,
       clip, step the generator, then zero *both* optimisers;
    3. every iteration: minimise ``L_fake + disc_gan_weight * L_D`` on the detached generator
       output of step 1, clip, step the critic (and the head, which shares its optimiser).
    """

    def __init__(
        self,
        *,
        generator,
        critic,
        head,
        real_denoiser,
        grid,
        student_sigmas,
        data,
        labels,
        settings: DMD2Settings,
        generator_optimiser,
        critic_optimiser,
        generator_scheduler,
        critic_scheduler,
        torch_gen: torch.Generator,
        regression_pairs=None,
        generator_ema=None,
    ) -> None:
        self.generator = generator
        self.critic = critic
        self.head = head
        self.real_denoiser = real_denoiser
        self.grid = grid
        self.student_sigmas = student_sigmas
        self.data = data
        self.labels = labels
        self.settings = settings
        self.generator_optimiser = generator_optimiser
        self.critic_optimiser = critic_optimiser
        self.generator_scheduler = generator_scheduler
        self.critic_scheduler = critic_scheduler
        self.gen = torch_gen
        self.regression_pairs = regression_pairs
        self.generator_ema = generator_ema
        self.device = data.device
        self.dtype = data.dtype

    # ------------------------------------------------------------------ random draws
    def _randn(self, shape):
        return torch.randn(shape, generator=self.gen, device=self.device, dtype=self.dtype)

    def _randint(self, low: int, high: int, size: int):
        return torch.randint(low, high, (size,), generator=self.gen, device=self.device)

    def _noised(self, x, low: int, high: int):
        """``(x + sigma_t eps, sigma_t)`` with grid indices ``t ~ U{low..high-1}`` per sample."""
        sigma = self.grid[self._randint(low, high, x.shape[0])]
        return x + sigma[:, None] * self._randn(x.shape), sigma

    def _critic_parameters(self):
        params = list(self.critic.parameters())
        if self.head is not None:
            params += list(self.head.parameters())
        return params

    # ------------------------------------------------------------------ generator input
    def draw_real_batch(self):
        idx = self._randint(0, self.data.shape[0], self.settings.batch_size)
        return self.data[idx], (None if self.labels is None else self.labels[idx])

    def backward_simulation_input(self, z, renoise, labels, k: int):
        """DMD2's backward simulation: the inference-time state at level ``k``, without autograd."""
        with torch.no_grad():
            return student_state(self.generator, z, renoise, self.student_sigmas, labels, k)

    def generator_input(self, x_real, labels):
        """Input and noise level of the generator call that receives gradients this iteration.

        Returns ``(x_in, sigma_in, k)`` where ``k`` is the backward-simulated level (``None`` when
        levels are drawn per sample from forward-noised real data).
        """
        sigmas = self.student_sigmas
        n, n_levels = x_real.shape[0], sigmas.shape[0]
        z = self._randn(x_real.shape)
        if n_levels == 1:
            return sigmas[0] * z, sigmas[0].expand(n), 0
        if self.settings.backward_simulation:
            # One level per iteration for the whole batch, as the official code broadcasts it.
            k = int(self._randint(0, n_levels, 1).item())
            renoise = self._randn((k, *x_real.shape))
            x_in = self.backward_simulation_input(z, renoise, labels, k)
            return x_in, sigmas[k].expand(n), k
        # Training/inference mismatch of DMD2's ablation: forward-noised real data at a random
        # student level per sample; the top level is pure noise ("pure_noise_mask").
        j = self._randint(0, n_levels, n)
        sigma_in = sigmas[j]
        x_in = x_real + sigma_in[:, None] * self._randn(x_real.shape)
        x_in = torch.where((j == 0)[:, None], sigmas[0] * z, x_in)
        return x_in, sigma_in, None

    # ------------------------------------------------------------------ updates
    def generator_update(self, x_in, sigma_in, labels, record: dict):
        """Generator step with the critic and head frozen; returns the (detached) generator output."""
        s = self.settings
        frozen = self._critic_parameters()
        for p in frozen:
            p.requires_grad_(False)
        try:
            x = self.generator(x_in, sigma_in, labels)
            dm_sigma = self.grid[self._randint(s.dm_min_index, s.dm_max_index + 1, x.shape[0])]
            loss_dm, g = distribution_matching_loss(
                x, labels, self.real_denoiser, self.critic, dm_sigma, self._randn(x.shape),
                s.dm_normalizer,
            )
            total = s.dm_loss_weight * loss_dm
            record["loss_dm"] = loss_dm.item()
            record["dm_direction_abs_mean"] = g.abs().mean().item()
            if s.gan:
                x_noisy, sigma = self._noised(x, 0, s.gan_max_index)
                _, features = self.critic(x_noisy, sigma, labels, return_features=True)
                loss_g = gan_generator_loss(self.head(features))
                total = total + s.gen_gan_weight * loss_g
                record["loss_gen_gan"] = loss_g.item()
            if s.regression_weight > 0:
                z_pair, x_pair, labels_pair = self._regression_batch()
                sigma0 = self.student_sigmas[0]
                pred = self.generator(sigma0 * z_pair, sigma0.expand(z_pair.shape[0]), labels_pair)
                loss_reg = regression_loss(pred, x_pair)
                total = total + s.regression_weight * loss_reg
                record["loss_regression"] = loss_reg.item()
            record["loss_generator"] = total.item()
            self.generator_optimiser.zero_grad(set_to_none=True)
            total.backward()
            record["grad_norm_generator"] = _clip(self.generator.parameters(), s.max_grad_norm)
            self.generator_optimiser.step()
            self.generator_scheduler.step()
            if self.generator_ema is not None:
                self.generator_ema.update_parameters(self.generator)
        finally:
            # Drop anything that reached the critic's side, as the official loop does.
            self.generator_optimiser.zero_grad(set_to_none=True)
            self.critic_optimiser.zero_grad(set_to_none=True)
            for p in frozen:
                p.requires_grad_(True)
        return x.detach()

    def regression_pretrain_step(self, optimiser) -> float:
        """One step of ODE-pair regression on the generator alone (pre-training before DMD2).

        Minimises :func:`regression_loss` of ``G(sigma_0 z)`` against the teacher's ODE sample
        from the same ``z``, as the official one-step SDXL model's generator initialisation does.
        """
        z_pair, x_pair, labels_pair = self._regression_batch()
        sigma0 = self.student_sigmas[0]
        pred = self.generator(sigma0 * z_pair, sigma0.expand(z_pair.shape[0]), labels_pair)
        loss = regression_loss(pred, x_pair)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        _clip(self.generator.parameters(), self.settings.max_grad_norm)
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)
        return loss.item()

    def _regression_batch(self):
        z_all, x_all, labels_all = self.regression_pairs
        idx = self._randint(0, z_all.shape[0], self.settings.batch_size)
        return z_all[idx], x_all[idx], (None if labels_all is None else labels_all[idx])

    def critic_update(self, x_fake, x_real, labels, record: dict) -> None:
        """Fake-critic step: denoising loss on generator samples (+ the GAN discriminator loss)."""
        s = self.settings
        n_levels = self.grid.shape[0]
        sigma = self.grid[self._randint(0, n_levels, x_fake.shape[0])]
        loss_fake = denoising_loss(
            self.critic, x_fake, sigma, self._randn(x_fake.shape), labels, s.sigma_data
        )
        total = loss_fake
        record["loss_fake"] = loss_fake.item()
        if s.gan:
            fake_noisy, sigma_f = self._noised(x_fake, 0, s.gan_max_index)
            real_noisy, sigma_r = self._noised(x_real, 0, s.gan_max_index)
            logits_fake = self.head(
                self.critic(fake_noisy, sigma_f, labels, return_features=True)[1]
            )
            logits_real = self.head(
                self.critic(real_noisy, sigma_r, labels, return_features=True)[1]
            )
            loss_d = gan_discriminator_loss(logits_fake, logits_real)
            total = total + s.disc_gan_weight * loss_d
            record["loss_disc"] = loss_d.item()
            record["logit_real"] = logits_real.mean().item()
            record["logit_fake"] = logits_fake.mean().item()
        self.critic_optimiser.zero_grad(set_to_none=True)
        total.backward()
        record["grad_norm_critic"] = _clip(self._critic_parameters(), s.max_grad_norm)
        self.critic_optimiser.step()
        self.critic_scheduler.step()
        self.critic_optimiser.zero_grad(set_to_none=True)

    def iteration(self, k: int) -> dict:
        """Run DMD2 iteration ``k`` and return its record (losses, which networks stepped)."""
        update_generator = k % self.settings.dfake_gen_update_ratio == 0
        record: dict = {"iteration": k, "generator_updated": update_generator}
        x_real, labels = self.draw_real_batch()
        x_in, sigma_in, level = self.generator_input(x_real, labels)
        record["student_level"] = level
        if update_generator:
            record["lr_generator"] = self.generator_optimiser.param_groups[0]["lr"]
            x_fake = self.generator_update(x_in, sigma_in, labels, record)
        else:
            with torch.no_grad():
                x_fake = self.generator(x_in, sigma_in, labels)
        record["sample_abs_max"] = float(x_fake.abs().max())
        record["lr_critic"] = self.critic_optimiser.param_groups[0]["lr"]
        self.critic_update(x_fake, x_real, labels, record)
        return record
