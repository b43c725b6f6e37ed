"""A small float MLP classifier in torch: the teacher of the scheduled-KD experiments."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._docstrings import fill_doc
from .._validation import Converter, Interval
from ._estimator import TRAINING_CONSTRAINTS, TorchClassifierBase, training_parameters_doc


def _layer_widths(sizes, name: str) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (one int means one hidden layer)."""
    if isinstance(sizes, numbers.Integral):
        sizes = (sizes,)
    try:
        widths = tuple(sizes)
    except TypeError:
        widths = None
    if widths is None or not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and h >= 1
                             for h in widths):
        raise ValueError(f"{name} must be a tuple of positive integers, got {sizes!r}.")
    return tuple(int(h) for h in widths)


@fill_doc(training_parameters=training_parameters_doc(100, 64, "None"))
class TorchMLPClassifier(TorchClassifierBase):
    r"""Multilayer perceptron with ReLU units on standardised inputs, trained by Adam.

    ``z(x) = W_L relu(... relu(W_1 \tilde x + b_1) ...) + b_L`` with
    ``\tilde x = (x - mean) / sd`` (training statistics; a constant feature keeps ``sd = 1``),
    trained on the mean cross-entropy ``-(1/n) sum_i log softmax(z(x_i))_{y_i}`` with Adam
    (``weight_decay`` is Adam's coupled L2 term), cosine learning-rate annealing and optional
    dropout after every hidden layer. It shares the training loop, seeding and
    device handling of :class:`LDCClassifier`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64,)
        Widths of the hidden layers.
    dropout : float in [0, 1), default=0.0
        Dropout probability after every hidden layer (training only).
    %(training_parameters)s

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, network_, loss_curve_, device_
        As in :class:`LDCClassifier`.
    mean_, scale_ : ndarray of shape (n_features,)
        Input standardisation.
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [Converter(_layer_widths, "a tuple of positive integers")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(self, hidden_layer_sizes=(64,), dropout=0.0, epochs=100, batch_size=64,
                 lr=1e-3, weight_decay=1e-4, grad_clip=None, device="cpu", random_state=None):
        self.hidden_layer_sizes, self.dropout, self.epochs = hidden_layer_sizes, dropout, epochs
        self.batch_size, self.lr, self.weight_decay = batch_size, lr, weight_decay
        self.grad_clip, self.device, self.random_state = grad_clip, device, random_state

    def _layer_sizes(self, n_features: int, n_classes: int) -> list[int]:
        return [n_features, *_layer_widths(self.hidden_layer_sizes, "hidden_layer_sizes"), n_classes]

    def _fit_encoder(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(axis=0)
        sd = X.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)

    def _encode(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((X - self.mean_) / self.scale_, dtype=torch.float64,
                               device=self.device_)

    def _build_network(self, n_features: int, n_classes: int) -> nn.Module:
        sizes = self._layer_sizes(n_features, n_classes)
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
                if self.dropout > 0:
                    layers.append(nn.Dropout(float(self.dropout)))
        return nn.Sequential(*layers)

    def n_parameters(self) -> int:
        """Number of weights and biases."""
        check_is_fitted(self, "network_")
        return sum(p.numel() for p in self.network_.parameters())

    def model_bits(self, bits_per_weight: int = 32) -> int:
        """Storage of the parameters at ``bits_per_weight`` bits each.

        Parameters
        ----------
        bits_per_weight : int, default=32
            Bits per stored weight (32: float32 deployment).

        Returns
        -------
        int
        """
        return self.n_parameters() * bits_per_weight

    def inference_ops(self) -> dict[str, int]:
        """Float operation counts of one prediction.

        ``standardize`` (2 per feature), ``mac`` (multiply-accumulates of the linear layers),
        ``relu`` (hidden units) and ``float_ops = standardize + 2 mac + relu``.
        """
        check_is_fitted(self, "network_")
        sizes = self._layer_sizes(self.n_features_in_, len(self.classes_))
        mac = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        ops = {"standardize": 2 * sizes[0], "mac": mac, "relu": sum(sizes[1:-1])}
        ops["float_ops"] = ops["standardize"] + 2 * mac + ops["relu"]
        return ops
