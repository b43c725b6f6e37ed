"""SDRN: sparse deep ReLU networks trained by regularised ERM with Lipschitz losses.

Huang, Liu & Ma, Neural Computation 37(4), 2025 (arXiv 2108.05990). No official code exists; the
construction here -- a sparse grid of ReLU hats (each hat three ReLUs), products by Yarotsky
multiplication sub-networks, a linear output layer, depth ~ log n and size polynomial in n -- is
a **reconstruction** [unverified against the paper's Sections 2-3], as is the penalty.

- :class:`SparseDeepReLURegressor` -- squared, absolute, quantile (check) and Huber losses.
- :class:`SparseDeepReLUClassifier` -- logistic and hinge losses.
- :class:`SelfDistilledSparseDeepReLU` -- (repeated) self-distillation with a Lipschitz loss,
  ``xi rho(teacher(x), f(x)) + (1 - xi) rho(y, f(x))`` as two terms, xi by cross-validation.

numpy/scipy only; torch is imported lazily for ``to_torch()`` and ``mode="trainable"``.
"""

from ._distill import SelfDistilledSparseDeepReLU
from ._estimators import SparseDeepReLUClassifier, SparseDeepReLURegressor
from ._losses import margin_loss, margin_subgradient, residual_loss, residual_subgradient
from ._network import SparseReLUNetwork, block_network, build_network
from ._sparse_grid import Factor, auto_level, auto_mult_depth, count_basis, sparse_grid

__all__ = [
    "Factor",
    "SelfDistilledSparseDeepReLU",
    "SparseDeepReLUClassifier",
    "SparseDeepReLURegressor",
    "SparseReLUNetwork",
    "auto_level",
    "auto_mult_depth",
    "block_network",
    "build_network",
    "count_basis",
    "margin_loss",
    "margin_subgradient",
    "residual_loss",
    "residual_subgradient",
    "sparse_grid",
]
