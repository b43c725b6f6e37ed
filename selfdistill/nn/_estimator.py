"""sklearn plumbing shared by the torch classifiers: validation, label encoding, fit/predict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._prediction import ClassScoresMixin
from .._torch import draw_seed, resolve_device, seeded_init, torch_generator
from .._validation import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    InstanceOf,
    RandomState,
    ValidatedParamsMixin,
)
from ._training import TrainingConfig, train_module


def training_parameters_doc(epochs: int, batch_size: int, grad_clip: str, weight_decay_note: str = "") -> str:
    """The numpydoc entries of the training parameters, with one classifier's defaults."""
    return f"""epochs : int, default={epochs}
    Passes over the training set.
batch_size : int, default={batch_size}
    Samples per Adam step.
lr : float, default=1e-3
    Adam learning rate (cosine-annealed to 0 over ``epochs``).
weight_decay : float, default=1e-4
    Adam's L2 weight decay{weight_decay_note}.
grad_clip : float or None, default={grad_clip}
    Bound on the gradient norm of each step (None: no clipping).
device : str or torch.device, default="cpu"
    Where the network is trained and evaluated ("cpu", "cuda", "cuda:1", ...).
random_state : int, RandomState, Generator or None, default=None
    Seeds initialisation and batch order (reproducible on the CPU)."""


#: Constraints of the training parameters every torch classifier has (subclasses add theirs).
TRAINING_CONSTRAINTS = {
    "epochs": [POSITIVE_INT],
    "batch_size": [POSITIVE_INT],
    "lr": [POSITIVE],
    "weight_decay": [NON_NEGATIVE],
    "grad_clip": [None, POSITIVE],
    "device": [InstanceOf((str, torch.device), "a device name ('cpu', 'cuda', 'cuda:1') or a torch.device")],
    "random_state": [RandomState()],
}

_PREDICT_CHUNK = 4096  # rows per forward pass in predict


@dataclass
class FitState:
    """Everything a training loop needs, prepared by :meth:`TorchClassifierBase.begin_fit`."""

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


class TorchClassifierBase(ClassScoresMixin, ValidatedParamsMixin, ClassifierMixin, BaseEstimator):
    """Base of the torch classifiers: subclasses define the network and the input encoding.

    Subclasses declare ``_parameter_constraints`` (``TRAINING_CONSTRAINTS`` plus their own) and
    implement ``_fit_encoder(X)`` (sets fitted preprocessing attributes), ``_encode(X) -> Tensor``
    and ``_build_network(n_features, n_classes)``; they may override ``_check_params(params)``
    (checks that involve several parameters) and ``_after_fit()``. They must have the parameters
    ``epochs``, ``batch_size``, ``lr``, ``weight_decay``, ``grad_clip``, ``device`` and
    ``random_state``.

    Training protocol: :meth:`fit` is ``begin_fit``, one :func:`train_module` loop with the
    cross-entropy loss, and ``end_fit``. A distiller (e.g.
    :class:`~selfdistill.nn.ScheduledKDClassifier`) trains a student with its own loss and batch
    order by calling :meth:`begin_fit`, running the loop on the returned :class:`FitState`, and
    handing the loss curve to :meth:`end_fit`.
    """

    @fill_doc
    def fit(self, X, y):
        """Train on ``(X, y)`` with the cross-entropy loss.

        Parameters
        ----------
        %(X_fit)s
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        %(returns_self)s
        """
        state = self.begin_fit(X, y)
        history = train_module(state.network, state.inputs, state.config,
                               order=state.shuffled_order, loss=state.cross_entropy)
        return self.end_fit(state, history)

    # ------------------------------------------------------------------ training protocol
    @fill_doc
    def begin_fit(self, X, y) -> FitState:
        """Validate the data and parameters, fit the input encoding and build a fresh network.

        Sets ``classes_``, ``n_features_in_`` (and ``feature_names_in_``), ``device_`` and the
        encoder's fitted attributes; the model is fitted only after :meth:`end_fit`.

        Parameters
        ----------
        X, y : array-like of shape (n_samples, n_features) and (n_samples,)
            As in :meth:`fit`.

        Returns
        -------
        FitState
            The network (initialised from ``random_state``), the encoded inputs, the targets as
            class indices, the random generator of batch orders and the optimiser settings.
        """
        params = self._validate_params()
        self._check_params(params)
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs training samples of at least 2 classes; y has "
                f"only the class {self.classes_[0]!r}."
            )
        self.device_ = resolve_device(params.device)
        seed = draw_seed(params.random_state)
        self._fit_encoder(X)
        with seeded_init(seed):
            network = self._build_network(X.shape[1], self.classes_.shape[0])
        network = network.to(device=self.device_, dtype=torch.float64)
        return FitState(
            network=network,
            inputs=self._encode(X),
            targets=torch.as_tensor(y_index, dtype=torch.long, device=self.device_),
            generator=torch_generator(seed, "cpu"),
            config=TrainingConfig(params.epochs, params.batch_size, params.lr, params.weight_decay,
                                  params.grad_clip),
        )

    def end_fit(self, state: FitState, loss_curve: np.ndarray):
        """Finish a fit started by :meth:`begin_fit`: keep the trained network and its loss curve.

        Parameters
        ----------
        state : FitState
            The state returned by :meth:`begin_fit`, its network trained.
        loss_curve : ndarray of shape (epochs,)
            Mean training loss per epoch (stored as ``loss_curve_``).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        self.network_ = state.network.eval()
        self.loss_curve_ = loss_curve
        self._after_fit()
        return self

    def _check_params(self, params) -> None:
        """Hook: checks that involve several (already validated) parameters."""

    def _after_fit(self) -> None:
        """Hook for subclasses (e.g. exporting a binary model)."""

    # ------------------------------------------------------------------ prediction
    @fill_doc
    def decision_logits(self, X) -> np.ndarray:
        """Logits of the trained network in eval mode (``predict_proba`` is their softmax).

        %(predict_logits_sections)s
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        inputs = self._encode(X)
        with torch.no_grad():
            parts = [self.network_(inputs[i:i + _PREDICT_CHUNK])
                     for i in range(0, inputs.shape[0], _PREDICT_CHUNK)]
        return torch.cat(parts).to("cpu", torch.float64).numpy()

    def _class_scores(self, X) -> np.ndarray:
        return self.decision_logits(X)
