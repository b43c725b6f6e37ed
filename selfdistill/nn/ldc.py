"""LDC: the low-dimensional computing classifier of Duan, Xu & Ren (tinyML 2022)."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._validation import POSITIVE_INT, Interval
from ._binary import LDCBinaryModel, quantize
from ._estimator import TRAINING_CONSTRAINTS, TorchClassifierBase, training_parameters_doc
from ._ldc_network import LDCNetwork
from ._ste import sign_pm1


@fill_doc(training_parameters=training_parameters_doc(
    50, 128, "1.0", " (applies to the latent weights too, as in MicroVSA)"))
class LDCClassifier(TorchClassifierBase):
    r"""Low-dimensional computing (LDC) classifier: a binary vector-symbolic model trained by backprop.

    Duan, Xu & Ren, "A Brain-Inspired Low-Dimensional Computing Classifier for Inference on Tiny
    Devices", tinyML Research Symposium 2022 (arXiv:2203.04894), as implemented in the same
    group's MicroVSA training code. Each of the ``N`` features is quantised to one of ``M``
    levels; a shared *ValueBox* maps level ``u = m / (M-1)`` to a value vector
    ``v(u) = \operatorname{sign}(\mathrm{Lin}_2(\mathrm{BN}(\mathrm{Lin}_1(u)))) \in \{\pm1\}^{D_v}``
    (tiled to ``D_f``); features are bound to binary feature vectors and bundled into a sample
    hypervector, which is compared with binary class vectors:

    .. math::

        s(x) = \operatorname{sign}\Big(\sum_{i=1}^N F_i \odot v(u_i)\Big), \qquad
        z_k(x) = a_C \langle C_k, s(x) \rangle, \qquad \hat y = \arg\max_k z_k,

    with ``F = sign(W_F)`` (N x D_f), ``C = sign(W_C)`` (K x D_f), ``a_C = mean|W_C|`` and
    ``sign(0) = +1``. Training minimises the mean cross-entropy
    ``-(1/n) sum_i log softmax(z(x_i))_{y_i}`` with straight-through estimators (ApproxSign for
    activations, clipped identity for weights; see :func:`~selfdistill.nn.approx_sign` and
    :func:`~selfdistill.nn.binarize_weight`) by Adam with cosine learning-rate annealing and
    gradient-norm clipping (MicroVSA's recipe). After training, the model is exported to a
    genuinely binary model, ``binary_model_`` (:class:`LDCBinaryModel`), whose XNOR/popcount
    predictions (:meth:`predict_binary`) equal :meth:`predict` exactly.

    Parameters
    ----------
    d_value : int, default=8
        Dimension ``D_v`` of the value vectors.
    d_feature : int, default=64
        Dimension ``D_f`` of feature, sample and class hypervectors (a multiple of ``d_value``).
    n_levels : int, default=256
        Quantisation levels ``M`` of every feature.
    hidden : int, default=20
        Width of the ValueBox.
    %(training_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    feature_min_, feature_max_ : ndarray of shape (N,)
        The quantiser: each feature's training range (``[0, 1]`` after min-max scaling).
    network_ : torch.nn.Module
        The trained network (eval mode).
    binary_model_ : LDCBinaryModel
        The exported binary model.
    loss_curve_ : ndarray of shape (epochs,)
        Mean training loss per epoch.
    device_ : torch.device

    Notes
    -----
    Choices that are ours, not the paper's or MicroVSA's (assumptions):

    - Inputs are min-max scaled per feature on the training data and quantised to ``M`` levels
      (rounded) for training as well as inference; MicroVSA scales all features with one fixed
      range, trains on continuous values and quantises only at inference (by truncation). With
      per-feature ranges, features of very different scales (EEG channels) share one ValueBox.
    - The final epoch is kept. MicroVSA keeps the epoch with the best accuracy on its evaluation
      set, which is model selection on test data when that set is the test split.
    - MicroVSA's oscillation-damping step that freezes latent weights whose sign flips often
      (after epoch 15) is not implemented.
    """

    _parameter_constraints = {
        "d_value": [POSITIVE_INT],
        "d_feature": [POSITIVE_INT],
        "n_levels": [Interval(numbers.Integral, 2, None)],
        "hidden": [POSITIVE_INT],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(self, d_value=8, d_feature=64, n_levels=256, hidden=20, epochs=50,
                 batch_size=128, lr=1e-3, weight_decay=1e-4, grad_clip=1.0, device="cpu",
                 random_state=None):
        self.d_value, self.d_feature, self.n_levels = d_value, d_feature, n_levels
        self.hidden, self.epochs, self.batch_size, self.lr = hidden, epochs, batch_size, lr
        self.weight_decay, self.grad_clip, self.device = weight_decay, grad_clip, device
        self.random_state = random_state

    # ------------------------------------------------------------------ TorchClassifierBase hooks
    def _check_params(self, params) -> None:
        if params.d_feature % params.d_value:
            raise ValueError(f"d_feature ({params.d_feature}) must be a multiple of d_value "
                             f"({params.d_value}): value vectors are tiled to d_feature.")

    def _fit_encoder(self, X: np.ndarray) -> None:
        self.feature_min_ = X.min(axis=0)
        self.feature_max_ = X.max(axis=0)

    def _encode(self, X: np.ndarray) -> torch.Tensor:
        levels = quantize(X, self.feature_min_, self.feature_max_, int(self.n_levels))
        return torch.as_tensor(levels, device=self.device_)

    def _build_network(self, n_features: int, n_classes: int) -> LDCNetwork:
        return LDCNetwork(n_features, n_classes, int(self.n_levels), int(self.d_value),
                          int(self.d_feature), int(self.hidden))

    def _after_fit(self) -> None:
        self.binary_model_ = self._export()

    # ------------------------------------------------------------------ binary model
    def _export(self) -> LDCBinaryModel:
        net = self.network_
        with torch.no_grad():
            memories = [sign_pm1(t).to("cpu").numpy().astype(np.int8)
                        for t in (net.feature_weight, net.value_table(), net.class_weight)]
            scale = float(net.class_scale())
        return LDCBinaryModel(*memories, feature_min=self.feature_min_.copy(),
                              feature_max=self.feature_max_.copy(), classes=self.classes_.copy(),
                              class_scale=scale)

    def export(self) -> LDCBinaryModel:
        """The trained model as binary memories (``{-1, +1}``, also bit-packed) + the quantiser."""
        check_is_fitted(self, "binary_model_")
        return self.binary_model_

    @fill_doc
    def predict_binary(self, X) -> np.ndarray:
        """Predict with the exported binary model: numpy XNOR/popcount, no torch.

        Equal to :meth:`predict` (torch, eval mode) on every input.

        %(predict_labels_sections)s
        """
        check_is_fitted(self, "binary_model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.binary_model_.predict(X)

    def model_bits(self) -> int:
        """Bits of the binary memories, ``N D_f + M D_v + K D_f`` (the quantiser excluded)."""
        return self.export().model_bits()

    def inference_ops(self) -> dict[str, int]:
        """Bit-level operation counts of one prediction (see :meth:`LDCBinaryModel.inference_ops`)."""
        return self.export().inference_ops()
