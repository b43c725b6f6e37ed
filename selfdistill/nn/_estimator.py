"""sklearn plumbing shared by the torch classifiers: validation, label encoding, fit/predict."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._torch import draw_seed, resolve_device, seeded_init, torch_generator
from ._training import TrainingConfig, train_module

_PREDICT_CHUNK = 4096  # rows per forward pass in predict


@dataclass
class FitState:
    """Everything a training loop needs, prepared by :meth:`TorchClassifierBase._begin_fit`."""

    network: torch.nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    generator: torch.Generator
    config: TrainingConfig

    @property
    def n_samples(self) -> int:
        return int(self.targets.shape[0])

    def shuffled_order(self, epoch: int) -> torch.Tensor:
        """A fresh random permutation every epoch (plain minibatch SGD)."""
        return torch.randperm(self.n_samples, generator=self.generator)

    def cross_entropy(self, epoch: int, logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Mean ``CE(y, softmax(z))`` over the batch."""
        return F.cross_entropy(logits, self.targets[idx])


class TorchClassifierBase(ClassifierMixin, BaseEstimator):
    """Base of the torch classifiers: subclasses define the network and the input encoding.

    Subclasses implement ``_check_params()``, ``_fit_encoder(X)`` (sets fitted preprocessing
    attributes), ``_encode(X) -> Tensor`` and ``_build_network(n_features, n_classes)``, and may
    override ``_after_fit()``. They must have the parameters ``epochs``, ``batch_size``, ``lr``,
    ``weight_decay``, ``grad_clip``, ``device`` and ``random_state``.
    """

    def fit(self, X, y):
        """Train on ``(X, y)`` with the cross-entropy loss; return ``self``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self
        """
        state = self._begin_fit(X, y)
        history = train_module(state.network, state.inputs, state.config,
                               order=state.shuffled_order, loss=state.cross_entropy)
        return self._end_fit(state, history)

    # ------------------------------------------------------------------ fit helpers
    def _begin_fit(self, X, y) -> FitState:
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        config = self._check_training_params()
        self._check_params()
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs training samples of at least 2 classes; y has "
                f"only the class {self.classes_[0]!r}."
            )
        self.device_ = resolve_device(self.device)
        seed = draw_seed(self.random_state)
        self._fit_encoder(X)
        with seeded_init(seed):
            network = self._build_network(X.shape[1], self.classes_.shape[0])
        network = network.to(device=self.device_, dtype=torch.float64)
        return FitState(
            network=network,
            inputs=self._encode(X),
            targets=torch.as_tensor(y_index, dtype=torch.long, device=self.device_),
            generator=torch_generator(seed, "cpu"),
            config=config,
        )

    def _end_fit(self, state: FitState, history: np.ndarray):
        self.network_ = state.network.eval()
        self.loss_curve_ = history
        self._after_fit()
        return self

    def _after_fit(self) -> None:
        """Hook for subclasses (e.g. exporting a binary model)."""

    def _check_training_params(self) -> TrainingConfig:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not _is_real(self.lr) or not self.lr > 0:
            raise ValueError(f"lr must be a positive learning rate, got {self.lr!r}.")
        if not _is_real(self.weight_decay) or not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}.")
        if self.grad_clip is not None and (not _is_real(self.grad_clip) or not self.grad_clip > 0):
            raise ValueError(f"grad_clip must be None or a positive gradient-norm bound, got "
                             f"{self.grad_clip!r}.")
        return TrainingConfig(int(self.epochs), int(self.batch_size), float(self.lr),
                              float(self.weight_decay),
                              None if self.grad_clip is None else float(self.grad_clip))

    # ------------------------------------------------------------------ prediction
    def decision_logits(self, X) -> np.ndarray:
        """Logits of the trained network in eval mode.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_classes)
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        inputs = self._encode(X)
        with torch.no_grad():
            parts = [self.network_(inputs[i:i + _PREDICT_CHUNK])
                     for i in range(0, inputs.shape[0], _PREDICT_CHUNK)]
        return torch.cat(parts).to("cpu", torch.float64).numpy()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``softmax(z)``, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        logits = self.decision_logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The class with the largest logit (the first one on ties).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        logits = self.decision_logits(X)  # checks fitted-ness before classes_ is read
        return self.classes_[np.argmax(logits, axis=1)]


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
