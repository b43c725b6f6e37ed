"""Torch export of the sparse ReLU network and the trainable mode (needs the torch extra).

Each hidden layer is a :class:`SparseLinear`: a trainable vector of weights on a *fixed* set of
allowed connections (the mask, stored as its index list because a dense ``width x width`` mask
would not fit in memory for the larger grids), applied with ``torch.sparse.mm``. Training changes
the values, never the mask. The output layer is linear with weights tied to the basis
coefficients, ``f = h_last . (readout @ coef) + intercept``, exactly as in numpy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._torch import draw_seed, seeded_init, to_numpy, torch, torch_generator
from ._network import SparseReLUNetwork


class SparseLinear(torch.nn.Module):
    """``y = W x + b`` with ``W`` nonzero only on a fixed index set (the connectivity mask).

    Parameters
    ----------
    W : scipy.sparse matrix of shape (out_features, in_features)
        Initial weights; its sparsity pattern becomes the fixed mask.
    bias : ndarray of shape (out_features,)
        Initial bias.
    dtype : torch.dtype
        Parameter dtype.
    """

    def __init__(self, W, bias, dtype=torch.float64):
        super().__init__()
        W = sp.coo_matrix(sp.csr_matrix(W))  # csr -> coo keeps row-major (coalesced) order
        self.shape = W.shape
        self.register_buffer("indices", torch.as_tensor(np.vstack([W.row, W.col]), dtype=torch.long))
        self.values = torch.nn.Parameter(torch.as_tensor(W.data.copy(), dtype=dtype))
        self.bias = torch.nn.Parameter(torch.as_tensor(np.array(bias, copy=True), dtype=dtype))

    def weight(self) -> torch.Tensor:
        """The weight matrix as a sparse COO tensor (differentiable in ``values``)."""
        return torch.sparse_coo_tensor(self.indices, self.values, self.shape,
                                       is_coalesced=True, check_invariants=False)

    def mask(self) -> torch.Tensor:
        """The dense boolean connectivity mask (small layers only: it has out x in entries)."""
        out = torch.zeros(self.shape, dtype=torch.bool)
        out[self.indices[0], self.indices[1]] = True
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to a batch ``x`` of shape (batch, in_features)."""
        return torch.sparse.mm(self.weight(), x.T).T + self.bias


class SparseReLUModule(torch.nn.Module):
    """The SDRN as a torch module: sparse ReLU layers, then the tied linear output layer.

    Parameters
    ----------
    network : SparseReLUNetwork
        The numpy network (hidden layers and read-out).
    coef : ndarray of shape (n_basis - 1,) or (n_basis - 1, n_outputs)
        Output coefficients of the non-constant basis functions.
    intercept : float or ndarray of shape (n_outputs,)
        Output bias.
    dtype : torch.dtype, default=torch.float64
    """

    def __init__(self, network: SparseReLUNetwork, coef, intercept, dtype=torch.float64):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            SparseLinear(W, b, dtype) for W, b in zip(network.weights, network.biases, strict=True)
        )
        self.readout = SparseLinear(network.readout.T, np.zeros(network.readout.shape[1]), dtype)
        self.readout.requires_grad_(False)  # fixed: it only names the units of each basis function
        coef = np.asarray(coef, dtype=np.float64)
        self.squeeze = coef.ndim == 1
        self.coef = torch.nn.Parameter(torch.as_tensor(coef.reshape(coef.shape[0], -1).copy(), dtype=dtype))
        self.intercept = torch.nn.Parameter(
            torch.as_tensor(np.atleast_1d(np.asarray(intercept, dtype=np.float64)).copy(), dtype=dtype))

    def basis(self, x: torch.Tensor) -> torch.Tensor:
        """Basis values (the last hidden layer read through the fixed read-out)."""
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.readout(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network output, shape (batch,) for one output, else (batch, n_outputs)."""
        out = self.basis(x) @ self.coef + self.intercept
        return out[:, 0] if self.squeeze else out

    def to_numpy(self) -> tuple[SparseReLUNetwork, np.ndarray, np.ndarray]:
        """Copy the (trained) weights back into a numpy network with the same masks."""
        weights, biases = [], []
        for layer in self.layers:
            idx = layer.indices.cpu().numpy()
            weights.append(sp.csr_matrix((to_numpy(layer.values), (idx[0], idx[1])), shape=layer.shape))
            biases.append(to_numpy(layer.bias))
        idx = self.readout.indices.cpu().numpy()
        readout = sp.csr_matrix((to_numpy(self.readout.values), (idx[1], idx[0])),
                                shape=self.readout.shape[::-1])
        coef = to_numpy(self.coef)
        coef = coef[:, 0] if self.squeeze else coef
        intercept = to_numpy(self.intercept)
        return SparseReLUNetwork(weights, biases, readout), coef, intercept[0] if self.squeeze else intercept


def _torch_loss(loss: str, tau: float, delta: float):
    """Per-row loss ``rho(target, f)`` in torch (same definitions as ``_losses``)."""
    F = torch.nn.functional
    if loss == "squared":
        return lambda t, f: (t - f) ** 2
    if loss == "absolute":
        return lambda t, f: (t - f).abs()
    if loss == "quantile":
        return lambda t, f: torch.maximum(tau * (t - f), (tau - 1.0) * (t - f))
    if loss == "huber":
        return lambda t, f: F.huber_loss(f, t, reduction="none", delta=delta)
    if loss == "logistic":  # t: probability of the positive class
        return lambda t, f: F.softplus(f) - t * f
    if loss == "hinge":  # t: label in {-1, +1}
        return lambda t, f: torch.relu(1.0 - t * f)
    if loss == "softmax":  # t: probability matrix
        return lambda t, f: -(t * torch.log_softmax(f, dim=1)).sum(dim=1)
    raise ValueError(f"unknown loss {loss!r}")


def fine_tune(network, coef, intercept, X, terms, *, loss, tau, delta, alpha, penalty,
              n_epochs, learning_rate, batch_size, random_state):
    """Train every weight of the network (masks fixed) on ``sum_terms w rho(t, f) + alpha P(coef)``.

    Minibatch Adam on the per-sample average, i.e. on ``(1/n) [sum_i ... + alpha P]`` (same
    minimiser as the sum convention); subgradients at the kinks of Lipschitz losses.

    Returns
    -------
    network, coef, intercept, history
        The trained numpy network, output coefficients and bias, and the loss per epoch.
    """
    seed = draw_seed(random_state)
    with seeded_init(seed):
        module = SparseReLUModule(network, coef, intercept)
    rho = _torch_loss(loss, tau, delta)
    X_t = torch.as_tensor(np.array(X, copy=True), dtype=torch.float64)
    T = [(torch.as_tensor(np.array(t, copy=True), dtype=torch.float64),
          torch.as_tensor(np.array(w, copy=True), dtype=torch.float64)) for t, w in terms]
    n = X_t.shape[0]
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=learning_rate)
    gen = torch_generator(seed)
    history = []
    for _ in range(n_epochs):
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            f = module(X_t[rows])
            data = sum((w[rows] * rho(t[rows], f).reshape(len(rows), -1).sum(dim=1)).sum() for t, w in T)
            pen = module.coef.abs().sum() if penalty == "l1" else (module.coef**2).sum()
            objective = (data + alpha * pen * len(rows) / n) / len(rows)
            opt.zero_grad()
            objective.backward()
            opt.step()
            total += objective.item() * len(rows) / n
        history.append(total)
    net, coef, intercept = module.to_numpy()
    net.meta = dict(network.meta)
    return net, coef, intercept, np.asarray(history)
