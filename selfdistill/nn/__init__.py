"""Binary low-dimensional-computing students and scheduled knowledge distillation (torch extra).

- :class:`LDCClassifier` -- the low-dimensional computing (LDC) classifier of Duan, Xu & Ren
  (tinyML 2022): a ValueBox value encoder and binary feature and class memories, trained as a
  partially binarised network with straight-through estimators and exported to a genuinely binary
  vector-symbolic model (:class:`LDCBinaryModel`, XNOR/popcount inference in numpy).
- :class:`ScheduledKDClassifier` -- scheduled knowledge distillation with a curriculum data order
  (Liu, Duan, Xu & Ren 2024, arXiv:2403.13844): Hinton's loss with a per-epoch teacher weight
  ``xi(e)`` (the paper's "alpha") and samples presented by teacher difficulty. The exact
  ``xi(e)`` and difficulty of the paper are not known to us; the defaults are our
  reconstruction (UNCONFIRMED) and every part is configurable.
- :class:`TorchMLPClassifier` -- a small float MLP, the teacher of the experiments.
- :func:`xi_schedule`, :func:`pacing_fractions`, :func:`curriculum_order`,
  :func:`teacher_difficulty`, :func:`distillation_loss`, :func:`approx_sign`,
  :func:`binarize_weight` -- the underlying maps, for analysis and tests.
"""

from __future__ import annotations

from .. import _torch  # noqa: F401  (raises a clear ImportError without torch)
from ._binary import LDCBinaryModel
from ._curriculum import curriculum_order, pacing_fractions, teacher_difficulty, xi_schedule
from ._losses import distillation_loss
from ._ste import approx_sign, binarize_weight
from .ldc import LDCClassifier
from .mlp import TorchMLPClassifier
from .scheduled_kd import ScheduledKDClassifier

__all__ = [
    "LDCBinaryModel",
    "LDCClassifier",
    "ScheduledKDClassifier",
    "TorchMLPClassifier",
    "approx_sign",
    "binarize_weight",
    "curriculum_order",
    "distillation_loss",
    "pacing_fractions",
    "teacher_difficulty",
    "xi_schedule",
]
