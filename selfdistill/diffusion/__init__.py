"""Diffusion distillation: EDM teachers, the DMD2 one-/few-step student and sample-quality metrics.

- :class:`DiffusionTeacher` -- EDM-preconditioned MLP denoiser trained by denoising score matching
  on the Karras noise grid, with Euler/Heun ODE samplers (optional class conditioning).
- :class:`GaussianMixtureTeacher` -- the exact posterior-mean denoiser of an isotropic Gaussian
  mixture, so that distillation can be tested without teacher error.
- :class:`DMD2Distiller` -- Improved Distribution Matching Distillation (Yin et al., NeurIPS 2024):
  distribution-matching gradient, two time-scale updates, a GAN head on the fake critic's features,
  multi-step generation with backward simulation, and the original DMD regression mode.
- Sample-quality metrics (:mod:`selfdistill.diffusion.metrics`, re-exported here): energy
  distance, MMD, on-mode fraction and mode-weight error, k-NN precision/recall, FID on digits.

The three estimators need the torch extra and are imported on first use; the metrics need only
numpy, scipy and scikit-learn, so ``from selfdistill.diffusion import energy_distance`` works (and
does not import torch) without it.
"""

from __future__ import annotations

import importlib

from . import metrics
from .metrics import *  # noqa: F403  (re-exported; the names are metrics.__all__)

#: The torch estimators and the module that defines each (imported lazily by ``__getattr__``).
_TORCH_ESTIMATORS = {
    "DMD2Distiller": ".dmd2",
    "DiffusionTeacher": ".teachers",
    "GaussianMixtureTeacher": ".teachers",
}


def __getattr__(name: str):
    module = _TORCH_ESTIMATORS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .. import _torch  # noqa: F401  (raises a clear ImportError without torch)

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_TORCH_ESTIMATORS))


__all__ = [*_TORCH_ESTIMATORS, *metrics.__all__]
