"""Quantile regression: joint non-crossing estimation (qrjoint) and quantile self-distillation.

Tier A :class:`JointQuantileRegressor` (Yang & Tokdar 2017, the model of the R package ``qrjoint``),
tier B :class:`NonCrossingQuantileRegressor` (Bondell, Reich & Wang 2010), tier C
:class:`RearrangedQuantileRegressor` (per-tau fits + Chernozhukov et al.'s rearrangement).
numpy/scipy only.
"""

from ._lp import check_loss
from .distill import QuantileSelfDistillation, SelfDistilledKernelQuantileRegressor
from .joint import JointQuantileRegressor, JointQuantileResults
from .linear import NonCrossingQuantileRegressor, RearrangedQuantileRegressor

__all__ = [
    "JointQuantileRegressor",
    "JointQuantileResults",
    "NonCrossingQuantileRegressor",
    "QuantileSelfDistillation",
    "RearrangedQuantileRegressor",
    "SelfDistilledKernelQuantileRegressor",
    "check_loss",
]
