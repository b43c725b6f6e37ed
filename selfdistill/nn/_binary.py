"""The exported LDC model: binary memories, bit-packed XNOR/popcount inference (numpy only).

With ``+-1`` vectors stored as bits (``+1 -> 1``, ``-1 -> 0``), the element-wise product of two
vectors is the XNOR of their bits, and the dot product of two ``D``-dimensional vectors is
``D - 2 * popcount(a XOR b)``. LDC inference for one input ``x`` (``N`` features):

1. quantise every feature to a level ``q_i in {0, ..., M-1}``;
2. bind: ``b_i = F_i XNOR tile(V[q_i])`` (``D_f`` bits per feature);
3. bundle: ``s_j = +1`` iff at least half of the ``N`` bound bits in dimension ``j`` are 1, i.e.
   ``s = sign(sum_i F_i * V[q_i])`` with ``sign(0) = +1`` (a majority count per dimension);
4. classify: ``<C_k, s> = D_f - 2 popcount(C_k XOR s)``; predict the first ``k`` with the
   largest similarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import softmax

from .._docstrings import fill_doc

_CHUNK_ROWS = 2048  # rows per block in predict: bounds the (n, N, D_f/8) XNOR buffer


def quantize(X: np.ndarray, feature_min: np.ndarray, feature_max: np.ndarray,
             n_levels: int) -> np.ndarray:
    """Map features to levels ``q = round((x - min) / (max - min) * (M - 1))``, clipped to ``[0, M-1]``.

    A constant training feature (``max == min``) is mapped to level 0. Values outside the
    training range are clipped to the end levels. ``numpy.rint`` rounds halves to even.

    Returns
    -------
    ndarray of int64, shape (n_samples, n_features)
    """
    span = feature_max - feature_min
    safe_span = np.where(span > 0, span, 1.0)
    u = np.clip((X - feature_min) / safe_span, 0.0, 1.0)
    u = np.where(span > 0, u, 0.0)
    return np.rint(u * (n_levels - 1)).astype(np.int64)


def _to_bits(pm1: np.ndarray) -> np.ndarray:
    """Pack ``+-1`` rows into bytes along the last axis (``+1 -> 1``), zero-padded to a byte."""
    return np.packbits(pm1 > 0, axis=-1)


@dataclass(frozen=True, eq=False)
class LDCBinaryModel:
    """A trained LDC classifier as a purely binary vector-symbolic model.

    Parameters
    ----------
    feature_memory : ndarray of int8, shape (N, D_f)
        Feature (position) hypervectors ``F = sign(W_F)`` in ``{-1, +1}``.
    value_memory : ndarray of int8, shape (M, D_v)
        Value vectors ``V[m] = sign(ValueBox(m / (M - 1)))`` in ``{-1, +1}``; tiled ``D_f / D_v``
        times at inference.
    class_memory : ndarray of int8, shape (K, D_f)
        Class hypervectors ``C = sign(W_C)`` in ``{-1, +1}``.
    feature_min, feature_max : ndarray of float64, shape (N,)
        The input quantiser (per-feature training range). It is preprocessing, not part of the
        binary model; :meth:`quantizer_bits` counts it separately.
    classes : ndarray of shape (K,)
        Class labels, in the order of the class memory rows.
    class_scale : float
        ``a_C = mean|W_C|``; only used to turn similarities into the probabilities of the torch
        model (``softmax(a_C <C_k, s>)``); it does not change the predicted class.
    """

    feature_memory: np.ndarray
    value_memory: np.ndarray
    class_memory: np.ndarray
    feature_min: np.ndarray
    feature_max: np.ndarray
    classes: np.ndarray
    class_scale: float

    def __post_init__(self) -> None:
        for name in ("feature_memory", "value_memory", "class_memory"):
            memory = getattr(self, name)
            if not np.isin(memory, (-1, 1)).all():
                raise ValueError(f"{name} must contain only -1 and +1.")
        d_feature = self.feature_memory.shape[1]
        if self.class_memory.shape[1] != d_feature or d_feature % self.value_memory.shape[1]:
            raise ValueError(
                f"inconsistent dimensions: feature memory {self.feature_memory.shape}, value "
                f"memory {self.value_memory.shape}, class memory {self.class_memory.shape}; "
                "D_f must be a multiple of D_v and shared by the feature and class memories."
            )

    # ---------------------------------------------------------------- sizes
    n_features = property(lambda self: self.feature_memory.shape[0], doc="N, the number of features.")
    n_levels = property(lambda self: self.value_memory.shape[0], doc="M, the quantisation levels.")
    d_value = property(lambda self: self.value_memory.shape[1], doc="D_v, the value-vector dimension.")
    d_feature = property(lambda self: self.feature_memory.shape[1], doc="D_f, the hypervector dimension.")
    n_classes = property(lambda self: self.class_memory.shape[0], doc="K, the number of classes.")

    def model_bits(self) -> int:
        """Size of the binary memories in bits: ``N D_f + M D_v + K D_f``."""
        return (self.n_features * self.d_feature + self.n_levels * self.d_value
                + self.n_classes * self.d_feature)

    def quantizer_bits(self, bits_per_value: int = 32) -> int:
        """Bits of the input quantiser: a minimum and a maximum per feature (``2 N`` values)."""
        return 2 * self.n_features * bits_per_value

    def inference_ops(self) -> dict[str, int]:
        """Operation counts for one prediction, bit-level (see the module docstring).

        Returns
        -------
        dict
            ``quantize`` (N scalings/roundings), ``value_lookups`` (N table reads),
            ``bind_xnor`` (N D_f), ``bundle_add`` (N D_f counter increments),
            ``bundle_threshold`` (D_f), ``similarity_xnor`` (K D_f), ``similarity_popcount``
            (K D_f bits counted), ``argmax_compare`` (K - 1) and their sum ``binary_ops``
            (every term except ``quantize`` and ``value_lookups``).
        """
        n, d, k = self.n_features, self.d_feature, self.n_classes
        ops = {
            "quantize": n,
            "value_lookups": n,
            "bind_xnor": n * d,
            "bundle_add": n * d,
            "bundle_threshold": d,
            "similarity_xnor": k * d,
            "similarity_popcount": k * d,
            "argmax_compare": k - 1,
        }
        ops["binary_ops"] = sum(v for key, v in ops.items()
                                if key not in ("quantize", "value_lookups"))
        return ops

    # ---------------------------------------------------------------- packed memories
    @cached_property
    def packed_feature_memory(self) -> np.ndarray:
        """``F`` as bits, shape (N, ceil(D_f / 8)), uint8."""
        return _to_bits(self.feature_memory)

    @cached_property
    def packed_value_memory(self) -> np.ndarray:
        """The tiled value vectors as bits, shape (M, ceil(D_f / 8)), uint8."""
        tiled = np.tile(self.value_memory, (1, self.d_feature // self.d_value))
        return _to_bits(tiled)

    @cached_property
    def packed_class_memory(self) -> np.ndarray:
        """``C`` as bits, shape (K, ceil(D_f / 8)), uint8."""
        return _to_bits(self.class_memory)

    # ---------------------------------------------------------------- inference
    def quantize(self, X) -> np.ndarray:
        """Level indices of ``X`` (n_samples x N), see :func:`quantize`."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape (n_samples, {self.n_features}), got {X.shape}.")
        return quantize(X, self.feature_min, self.feature_max, self.n_levels)

    def sample_hypervectors(self, levels: np.ndarray) -> np.ndarray:
        """Packed sample hypervectors ``s`` (bits) from level indices, by XNOR binding and majority."""
        bound = ~(self.packed_feature_memory[None, :, :] ^ self.packed_value_memory[levels])
        ones = np.unpackbits(bound, axis=2, count=self.d_feature).sum(axis=1, dtype=np.int64)
        return np.packbits(2 * ones >= self.n_features, axis=-1)

    def similarities(self, X) -> np.ndarray:
        """``<C_k, s(x)>`` for every sample and class by XOR/popcount.

        Parameters
        ----------
        X : array-like of shape (n_samples, N)
            Raw features (quantised with the stored training ranges).

        Returns
        -------
        ndarray of int64, shape (n_samples, K)
        """
        levels = self.quantize(X)
        out = np.empty((levels.shape[0], self.n_classes), dtype=np.int64)
        for start in range(0, levels.shape[0], _CHUNK_ROWS):
            block = slice(start, start + _CHUNK_ROWS)
            s = self.sample_hypervectors(levels[block])
            hamming = np.bitwise_count(s[:, None, :] ^ self.packed_class_memory[None, :, :])
            out[block] = self.d_feature - 2 * hamming.sum(axis=2, dtype=np.int64)
        return out

    @fill_doc
    def predict(self, X) -> np.ndarray:
        """Class of the most similar class hypervector (the first one on ties); X holds raw features.

        %(predict_labels_sections)s
        """
        return self.classes[np.argmax(self.similarities(X), axis=1)]

    @fill_doc
    def predict_proba(self, X) -> np.ndarray:
        """``softmax(a_C <C_k, s>)``: the probabilities of the torch model in eval mode.

        %(predict_proba_sections)s
        """
        return softmax(self.class_scale * self.similarities(X).astype(np.float64), axis=1)
