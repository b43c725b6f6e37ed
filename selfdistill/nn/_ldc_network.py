"""The LDC classifier as a partially binarised neural network (Duan, Xu & Ren, tinyML 2022).

Architecture (as in the same group's MicroVSA training code, read at commit 099c633):

1. ValueBox, shared by all features: scalar ``u`` -> Linear(1, H) -> BatchNorm1d(H) ->
   Linear(H, D_v) -> binary activation: ``v(u) in {-1, +1}^{D_v}``, tiled to ``D_f``.
2. Feature layer: binary weights ``F = a_F sign(W_F)`` (N x D_f); binding
   ``F_i * v(u_i)``, bundling ``h = sum_i F_i * v(u_i)``, binary activation ``s = sign(h)``.
3. Class layer: logits ``z = (a_C sign(W_C)) s``, K x D_f.

Training uses the straight-through estimators of :mod:`._ste`. In eval mode the forward pass is
the exported binary model: the value vectors come from a table of the ``M`` quantisation levels,
and the sums are computed on the unscaled ``+-1`` memories, where they are exact integers (the
positive scale ``a_F`` cannot change a sign, and summing multiples of an arbitrary float ``a_F``
could turn an exact tie ``h = 0`` into ``+-1`` ulp). The logits are ``a_C`` times the exact
integer similarities, so eval-mode predictions equal the XNOR/popcount predictions of
:class:`~selfdistill.nn.LDCBinaryModel` exactly, ties included (both take the first maximum).
"""

from __future__ import annotations

import torch
from torch import nn

from ._ste import approx_sign, binarize_weight, sign_pm1


class LDCNetwork(nn.Module):
    """ValueBox + binary feature memory + binary class memory.

    Parameters
    ----------
    n_features, n_classes, n_levels, d_value, d_feature, hidden : int
        ``N``, ``K``, ``M``, ``D_v``, ``D_f`` (a multiple of ``D_v``) and the ValueBox width.

    Notes
    -----
    The input of :meth:`forward` is a LongTensor of level indices ``q`` (n, N); level ``m``
    is the scalar ``m / (M - 1)`` in ``[0, 1]``. Latent weights are initialised with Xavier-uniform
    (as MicroVSA), the ValueBox with torch's defaults.
    """

    def __init__(self, n_features: int, n_classes: int, n_levels: int, d_value: int,
                 d_feature: int, hidden: int) -> None:
        super().__init__()
        self.n_features, self.n_classes = n_features, n_classes
        self.d_value, self.d_feature = d_value, d_feature
        self.value_box = nn.Sequential(
            nn.Linear(1, hidden), nn.BatchNorm1d(hidden), nn.Linear(hidden, d_value)
        )
        self.feature_weight = nn.Parameter(torch.empty(n_features, d_feature))
        self.class_weight = nn.Parameter(torch.empty(n_classes, d_feature))
        nn.init.xavier_uniform_(self.feature_weight)
        nn.init.xavier_uniform_(self.class_weight)
        self.register_buffer("levels", torch.linspace(0.0, 1.0, n_levels).reshape(-1, 1))

    def _tile(self, v: torch.Tensor) -> torch.Tensor:
        return v.repeat(1, 1, self.d_feature // self.d_value)

    def class_scale(self) -> torch.Tensor:
        """``a_C = mean|W_C|``."""
        return self.class_weight.detach().abs().mean()

    def value_table(self) -> torch.Tensor:
        """``sign(ValueBox(level))`` for every level, (M, D_v); the module must be in eval mode."""
        if self.training:
            raise RuntimeError("value_table() needs eval mode (BatchNorm running statistics).")
        return sign_pm1(self.value_box(self.levels))

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        """Logits (n, K) for level indices ``q`` (n, N)."""
        if self.training:
            return self._forward_train(q)
        return self._forward_exact(q)

    def _forward_train(self, q: torch.Tensor) -> torch.Tensor:
        n = q.shape[0]
        pre = self.value_box(self.levels[q.reshape(-1)])
        v = self._tile(approx_sign(pre).reshape(n, self.n_features, self.d_value))
        h = (v * binarize_weight(self.feature_weight)).sum(dim=1)
        s = approx_sign(h)
        return s @ binarize_weight(self.class_weight).T

    def _forward_exact(self, q: torch.Tensor) -> torch.Tensor:
        v = self._tile(self.value_table()[q])
        h = (v * sign_pm1(self.feature_weight)).sum(dim=1)  # exact integers
        dots = sign_pm1(h) @ sign_pm1(self.class_weight).T  # exact integers, |dot| <= D_f
        return self.class_scale() * dots
