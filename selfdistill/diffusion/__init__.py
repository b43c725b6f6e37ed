"""Diffusion distillation: EDM teachers and the DMD2 one-/few-step student (torch extra).

- :class:`DiffusionTeacher` -- EDM-preconditioned MLP denoiser trained by denoising score matching
  on the Karras noise grid, with Euler/Heun ODE samplers (optional class conditioning).
- :class:`GaussianMixtureTeacher` -- the exact posterior-mean denoiser of an isotropic Gaussian
  mixture, so that distillation can be tested without teacher error.
- :class:`DMD2Distiller` -- Improved Distribution Matching Distillation (Yin et al., NeurIPS 2024):
  distribution-matching gradient, two time-scale updates, a GAN head on the fake critic's features,
  multi-step generation with backward simulation, and the original DMD regression mode.

Sample-quality metrics (energy distance, MMD, mode coverage, FID on digits) live in
:mod:`selfdistill.metrics` and do not need torch.
"""

from __future__ import annotations

from .. import _torch  # noqa: F401  (raises a clear ImportError without torch)
from .dmd2 import DMD2Distiller
from .teachers import DiffusionTeacher, GaussianMixtureTeacher

__all__ = ["DMD2Distiller", "DiffusionTeacher", "GaussianMixtureTeacher"]
