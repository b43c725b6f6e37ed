"""The sparse deep ReLU network: construction from ReLU blocks and layer-by-layer evaluation.

Every hidden unit is ``ReLU(w . h + b)`` with a handful of nonzero weights ``w`` into the previous
layer; the output layer is linear. Blocks (all exact identities on the stated domains):

- **clip / scale** (layer 1): ``z = ReLU(a x + c) - ReLU(a x + c - 1)`` maps a raw feature into
  [0, 1]; ``a, c`` hold the min-max scaling, so points outside the training range are clipped to
  the nearest face of the cube.
- **hat** (layer 2): ``max(0, 1 - |u|) = ReLU(u + 1) - 2 ReLU(u) + ReLU(u - 1)``, ``u = 2^r z - i``;
  the linear factor is ``ReLU(z) = z``.
- **square** (Yarotsky 2017): with the tooth ``g(t) = 2 ReLU(t) - 4 ReLU(t - 1/2) + 2 ReLU(t - 1)``
  and ``g_s`` its ``s``-fold composition, ``sq_m(t) = t - sum_{s=1}^m g_s(t) / 4^s`` is the
  piecewise-linear interpolant of ``t^2`` on the mesh ``2^-m``, so ``0 <= sq_m(t) - t^2 <= 2^(-2m-2)``
  on [0, 1]. One layer per ``s``: three units for ``g_s`` and one for the running sum, which is
  nonnegative (it interpolates ``t^2``), so passing it through a ReLU is exact.
- **multiplication**: ``xy = ((x + y)/2)^2 - (|x - y|/2)^2`` with ``|t| = ReLU(t) + ReLU(-t)``; both
  squares carry errors in ``[0, 2^(-2m-2)]``, so ``|x~y - xy| <= 2^(-2m-2)``. The result is clipped
  back into [0, 1] (two units), which can only reduce the error and keeps the next block's
  inputs in its domain. A product of ``k`` factors is a balanced binary tree of such blocks, with
  error at most ``(k - 1) 2^(-2m-2)``; equal sub-products are shared between basis functions.
- **pass-through**: a nonnegative value that waits for a deeper sibling is carried by
  ``ReLU(h) = h``, one unit per layer, so that every basis function ends in the last hidden layer.

Each block connects only its own inputs: the network is sparse by construction, not pruned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._validation import POSITIVE_INT, Options, validate_params
from ._sparse_grid import Factor


# ----------------------------------------------------------------------------- affine expressions
class _Expr:
    """An affine form ``sum_u c_u h_u + const`` over the units ``h`` of the current last layer."""

    __slots__ = ("const", "terms")

    def __init__(self, terms=None, const=0.0):
        self.terms = dict(terms or {})
        self.const = float(const)

    def __add__(self, other):
        if not isinstance(other, _Expr):
            return _Expr(self.terms, self.const + float(other))
        terms = dict(self.terms)
        for u, c in other.terms.items():
            terms[u] = terms.get(u, 0.0) + c
        return _Expr(terms, self.const + other.const)

    def __sub__(self, other):
        return self + (-1.0) * other if isinstance(other, _Expr) else self + (-float(other))

    def __rmul__(self, scalar):
        s = float(scalar)
        return _Expr({u: s * c for u, c in self.terms.items()}, s * self.const)


class _LayerBuilder:
    """Collects the ReLU units of one new layer as sparse rows over the previous layer."""

    def __init__(self, n_inputs: int):
        self.n_inputs = n_inputs
        self.rows, self.cols, self.vals, self.bias = [], [], [], []

    def relu(self, expr: _Expr) -> _Expr:
        """Add the unit ``ReLU(expr)``; return it as an expression over the new layer."""
        unit = len(self.bias)
        for u, c in expr.terms.items():
            if c != 0.0:
                self.rows.append(unit)
                self.cols.append(u)
                self.vals.append(c)
        self.bias.append(expr.const)
        return _Expr({unit: 1.0})

    def finish(self) -> tuple[sp.csr_matrix, np.ndarray]:
        W = sp.csr_matrix(
            (np.asarray(self.vals, dtype=np.float64), (self.rows, self.cols)),
            shape=(len(self.bias), self.n_inputs),
        )
        W.sum_duplicates()
        return W, np.asarray(self.bias, dtype=np.float64)


# ----------------------------------------------------------------------------- blocks
class _PassBlock:
    """Carries a nonnegative value through layers unchanged: ``ReLU(h) = h``."""

    def __init__(self, expr: _Expr):
        self.out = expr

    def advance(self, layer: _LayerBuilder, step: int) -> None:
        self.out = layer.relu(self.out)


class _SquareTrack:
    """State of ``sq_m(t)`` over the ``m`` layers of a square block (see the module docstring)."""

    def __init__(self, t: _Expr, m: int):
        self.m = m
        self.t = t
        self.acc = None  # running sum t - sum_{r<s} g_r / 4^r, as a unit of the last layer
        self.tooth = None  # the three units of g_s's last layer

    def _g(self) -> _Expr:
        a, b, c = self.tooth
        return 2.0 * a - 4.0 * b + 2.0 * c

    def advance(self, layer: _LayerBuilder, s: int) -> None:
        """Layer ``s = 1..m``: units for ``g_s`` (from ``g_{s-1}``) and for the running sum."""
        if s == 1:
            previous, acc = self.t, self.t
        else:
            previous = self._g()
            acc = self.acc - (0.25 ** (s - 1)) * previous
        self.acc = layer.relu(acc)
        self.tooth = (layer.relu(previous), layer.relu(previous - 0.5), layer.relu(previous - 1.0))

    def value(self) -> _Expr:
        return self.acc - (0.25**self.m) * self._g()


class _MultBlock:
    """``x * y`` for ``x, y`` in [0, 1] in ``m + 2`` layers, clipped to [0, 1]."""

    def __init__(self, x: _Expr, y: _Expr, m: int):
        self.x, self.y, self.m = x, y, m
        self.squares = None
        self.out = None

    def advance(self, layer: _LayerBuilder, step: int) -> None:
        m = self.m
        if step == 0:
            half_sum = layer.relu(0.5 * (self.x + self.y))
            pos = layer.relu(self.x - self.y)
            neg = layer.relu(self.y - self.x)
            self.squares = (_SquareTrack(half_sum, m), _SquareTrack(0.5 * (pos + neg), m))
        elif step <= m:
            for track in self.squares:
                track.advance(layer, step)
        else:  # step m + 1: clip the product into [0, 1]
            product = self.squares[0].value() - self.squares[1].value()
            low = layer.relu(product)
            high = layer.relu(product - 1.0)
            self.out = low - high


def mult_layers(m: int) -> int:
    """Number of hidden layers of one multiplication block with sawtooth depth ``m``."""
    return m + 2


# ----------------------------------------------------------------------------- the network
@dataclass
class SparseReLUNetwork:
    """A feed-forward ReLU network with sparse layers and a linear read-out of the basis.

    Attributes
    ----------
    weights : list of scipy.sparse.csr_matrix
        ``weights[k]`` has shape (units of layer k+1, units of layer k); layer 0 is the input.
    biases : list of ndarray
        One bias per hidden unit.
    readout : scipy.sparse.csr_matrix of shape (units of the last layer, n_basis)
        Basis values ``phi = readout.T @ h_last``. The output layer of a fitted model is linear,
        ``f(x) = h_last . (readout @ coef) + intercept``: its weights are tied to the basis
        coefficients ``coef`` (the clip block's two units of a product share ``+-coef_k``).
    meta : dict
        Construction settings (``mult_depth``, ``n_stages``, ``n_basis``).
    """

    weights: list
    biases: list
    readout: sp.csr_matrix
    meta: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """Number of hidden (ReLU) layers."""
        return len(self.weights)

    @property
    def widths(self) -> list[int]:
        """Units per hidden layer."""
        return [b.size for b in self.biases]

    def n_params(self, n_outputs: int = 1) -> int:
        """Trainable parameters: every allowed connection and bias, plus the output coefficients."""
        hidden = sum(W.nnz + b.size for W, b in zip(self.weights, self.biases, strict=True))
        return int(hidden + n_outputs * (self.readout.shape[1] + 1))

    def hidden(self, X: np.ndarray) -> np.ndarray:
        """Activations of the last hidden layer, shape (units, n_samples) (feature-major)."""
        H = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
        for W, b in zip(self.weights, self.biases, strict=True):
            H = W @ H
            H += b[:, None]
            np.maximum(H, 0.0, out=H)
        return H

    def basis(self, X: np.ndarray) -> np.ndarray:
        """Values of the non-constant basis functions, shape (n_samples, n_basis)."""
        return np.asarray(self.readout.T @ self.hidden(X)).T

    def forward(self, X: np.ndarray, coef: np.ndarray, intercept) -> np.ndarray:
        """The network's output ``phi(x) @ coef + intercept`` on raw inputs ``X`` (float64)."""
        return self.basis(X) @ np.asarray(coef, dtype=np.float64) + np.asarray(intercept)

    def copy(self) -> SparseReLUNetwork:
        """A deep copy (the trainable mode changes the hidden weights of its own copy)."""
        return SparseReLUNetwork([W.copy() for W in self.weights], [b.copy() for b in self.biases],
                                 self.readout.copy(), dict(self.meta))


def _clip_layer(offset: np.ndarray, scale: np.ndarray, builder: _LayerBuilder) -> list[_Expr]:
    """Layer 1: ``z_j = clip(scale_j x_j + offset_j, 0, 1)`` as two ReLUs per feature."""
    z = []
    for j, (a, c) in enumerate(zip(scale, offset, strict=True)):
        u = _Expr({j: float(a)}, float(c))
        z.append(builder.relu(u) - builder.relu(u - 1.0))
    return z


def _factor_layer(factors, z, builder: _LayerBuilder) -> dict:
    """Layer 2: every distinct 1-D factor, a hat as three ReLUs or ``ReLU(z) = z``."""
    out = {}
    for f in factors:
        if f.level == 1:
            out[f] = builder.relu(z[f.feature])
        else:
            u = (2.0 ** (f.level - 1)) * z[f.feature] - float(f.index)
            out[f] = builder.relu(u + 1.0) - 2.0 * builder.relu(u) + builder.relu(u - 1.0)
    return out


def _tree_stages(n_factors: int) -> int:
    return 0 if n_factors <= 1 else math.ceil(math.log2(n_factors))


@validate_params({"mult_depth": [POSITIVE_INT]})
def build_network(basis, mult_depth: int, scale: np.ndarray, offset: np.ndarray) -> SparseReLUNetwork:
    """Assemble the network for the basis functions ``basis`` (tuples of :class:`Factor`).

    The constant basis function (empty tuple) is the output bias and gets no read-out column.

    Parameters
    ----------
    basis : list of tuple of Factor
        Basis functions; the empty tuple is skipped.
    mult_depth : int
        Sawtooth depth ``m`` of the multiplication blocks.
    scale, offset : ndarray of shape (n_features,)
        Min-max scaling ``z = clip(scale * x + offset, 0, 1)``.
    """
    m = int(mult_depth)
    d = len(scale)
    functions = [b for b in basis if len(b) > 0]
    weights, biases = [], []

    def push(builder):
        W, b = builder.finish()
        weights.append(W)
        biases.append(b)
        return len(b)

    builder = _LayerBuilder(d)
    z = _clip_layer(offset, scale, builder)
    width = push(builder)

    factors = sorted({f for b in functions for f in b}, key=lambda f: (f.feature, f.level, f.index))
    builder = _LayerBuilder(width)
    nodes = {(f,): e for f, e in _factor_layer(factors, z, builder).items()}
    width = push(builder)

    n_stages = max((_tree_stages(len(b)) for b in functions), default=0)
    for stage in range(1, n_stages + 1):
        chunk = 2**stage
        blocks = {}
        for b in functions:
            for start in range(0, len(b), chunk):
                key = b[start : start + chunk]
                if key in blocks:
                    continue
                half = chunk // 2
                if len(key) <= half:  # already complete: wait for the siblings
                    blocks[key] = _PassBlock(nodes[key])
                else:
                    blocks[key] = _MultBlock(nodes[key[:half]], nodes[key[half:]], m)
        for step in range(mult_layers(m)):
            builder = _LayerBuilder(width)
            for block in blocks.values():
                block.advance(builder, step)
            width = push(builder)
        nodes = {key: block.out for key, block in blocks.items()}

    rows, cols, vals = [], [], []
    for k, b in enumerate(functions):
        for u, c in nodes[b].terms.items():
            rows.append(u)
            cols.append(k)
            vals.append(c)
        if nodes[b].const != 0.0:  # never happens for these blocks; guard the linear read-out
            raise AssertionError("a basis function ended with a constant offset")
    readout = sp.csr_matrix((vals, (rows, cols)), shape=(width, len(functions)))
    return SparseReLUNetwork(weights, biases, readout,
                             meta={"mult_depth": m, "n_stages": n_stages, "n_basis": len(functions) + 1})


@validate_params({"kind": [Options("square", "multiply")], "mult_depth": [POSITIVE_INT]})
def block_network(kind: str, mult_depth: int) -> SparseReLUNetwork:
    """A stand-alone block for checks: ``"square"`` (input t) or ``"multiply"`` (inputs x, y).

    Inputs must lie in [0, 1]. The single read-out column (``net.basis(X)[:, 0]``) is the output.

    Parameters
    ----------
    kind : {"square", "multiply"}
        Which block.
    mult_depth : int
        Sawtooth depth ``m``.

    Returns
    -------
    SparseReLUNetwork
        ``m`` layers (square) or ``m + 2`` layers (multiply).
    """
    m = int(mult_depth)
    n_inputs = {"square": 1, "multiply": 2}[kind]
    weights, biases = [], []
    width = n_inputs
    inputs = [_Expr({j: 1.0}) for j in range(n_inputs)]
    if kind == "square":
        block = _SquareTrack(inputs[0], m)
        steps = range(1, m + 1)
    else:
        block = _MultBlock(inputs[0], inputs[1], m)
        steps = range(mult_layers(m))
    for step in steps:
        builder = _LayerBuilder(width)
        block.advance(builder, step)
        W, b = builder.finish()
        weights.append(W)
        biases.append(b)
        width = b.size
    out = block.value() if kind == "square" else block.out
    rows = list(out.terms)
    readout = sp.csr_matrix((list(out.terms.values()), (rows, [0] * len(rows))), shape=(width, 1))
    if out.const != 0.0:
        raise AssertionError("the block's output has a constant offset")
    return SparseReLUNetwork(weights, biases, readout)


__all__ = ["Factor", "SparseReLUNetwork", "block_network", "build_network", "mult_layers"]
