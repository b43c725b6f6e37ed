"""Diffusion teachers: a learned EDM denoiser and the exact denoiser of a Gaussian mixture.

Both share one interface (used by :class:`~selfdistill.diffusion.DMD2Distiller`):

- ``denoise(X, sigma[, y])`` -- :math:`D(x;\\sigma) \\approx E[x_0 \\mid x_t = x]` (x0-prediction);
- ``sample(n[, y], n_steps=40, sampler="heun")`` and ``sample_from_noise(Z[, y], ...)`` -- EDM's
  deterministic ODE samplers;
- ``network_`` -- an :class:`EDMDenoiserMLP` whose weights initialise DMD2's generator and fake
  critic; ``real_denoiser(device, dtype)`` -- the frozen module DMD2 queries as :math:`\\mu_{\\rm real}`;
- ``sigma_data_``, ``sigma_min``, ``sigma_max_``, ``training_sigmas_`` (the Karras grid of
  ``n_levels`` noise levels, DMD2's timesteps ``t = 0..n_levels-1``).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._progress import progress
from .._torch import (
    draw_seed,
    frozen_copy,
    resolve_device,
    resolve_dtype,
    seeded_init,
    to_numpy,
    to_tensor,
    torch_generator,
)
from .._validation import (
    Converter,
    Interval,
    Options,
    ValidatedParamsMixin,
    check_positive_int,
    validate_params,
)
from ._constraints import BOOLEAN, COUNT, NON_NEGATIVE, POSITIVE, SEED, TORCH_RUNTIME
from ._edm import karras_grid, n_function_evaluations, sampler_sigmas
from ._losses import denoising_loss
from ._networks import EDMDenoiserMLP, GaussianMixtureDenoiser
from ._samplers import ode_sample
from .data import sample_gaussian_mixture

#: Default ``sigma_max`` in units of ``sigma_data`` (an assumption for low-dimensional toy data:
#: EDM uses 80 = 160 sigma_data on images; 10 sigma_data already makes x_T indistinguishable from
#: N(0, sigma_max^2 I) here, see the class docstrings).
SIGMA_MAX_OVER_SIGMA_DATA = 10.0


def _as_widths(hidden, name: str) -> tuple[int, ...]:
    """Hidden-layer widths: a non-empty sequence of positive integers."""
    try:
        widths = tuple(hidden)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of layer widths such as (128, 128, 128), got {hidden!r}."
        ) from None
    if not widths:
        raise ValueError(f"{name} must contain at least one hidden layer width, got {hidden!r}.")
    return tuple(check_positive_int(w, f"{name}[{i}]") for i, w in enumerate(widths))


_SAMPLER = {"n_steps": [COUNT], "sampler": [Options("heun", "euler")]}


def _as_means(means, name: str) -> np.ndarray:
    return check_array(means, dtype=np.float64, input_name=name)


def _as_positive_values(values, name: str) -> np.ndarray:
    """A number or a 1-D array of finite numbers > 0, as a 1-D float array."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite numbers > 0 (one per component), got {values!r}.")
    return arr


class _EDMTeacher(ValidatedParamsMixin, BaseEstimator):
    """Shared sampling/denoising interface of the teachers (subclasses implement ``fit``)."""

    #: The constraints of the parameters both teachers have (subclasses add their own).
    _shared_constraints = {
        "sigma_min": [POSITIVE],
        "sigma_max": [None, POSITIVE],
        "rho": [POSITIVE],
        "n_levels": [Interval(numbers.Integral, 2, None)],
        "hidden": [Converter(_as_widths, "a non-empty sequence of positive layer widths")],
        "n_iter": [COUNT],
        "batch_size": [COUNT],
        "lr": [POSITIVE],
        "weight_decay": [NON_NEGATIVE],
        **TORCH_RUNTIME,
    }

    def _build_network(self, params, n_features: int, sigma_data: float, seed: int):
        with seeded_init(seed):
            net = EDMDenoiserMLP(n_features, params.hidden, sigma_data, self.n_classes_)
        return net.to(device=self.device_, dtype=self.dtype_)

    # ------------------------------------------------------------------ fitting helpers
    def _set_noise_levels(self, params, sigma_data: float) -> None:
        """Noise grid and torch placement of the fit (``params``: the validated parameters)."""
        sigma_max = (
            SIGMA_MAX_OVER_SIGMA_DATA * sigma_data if params.sigma_max is None else params.sigma_max
        )
        if sigma_max <= params.sigma_min:
            raise ValueError(
                f"sigma_max ({sigma_max:g}) must exceed sigma_min ({params.sigma_min:g}); the "
                "noise grid runs from sigma_min to sigma_max."
            )
        self.sigma_data_ = float(sigma_data)
        self.sigma_max_ = float(sigma_max)
        self.training_sigmas_ = karras_grid(params.n_levels, params.sigma_min, sigma_max, params.rho)
        self.device_, self.dtype_ = params.device, params.dtype

    def _train_network(self, params, net, draw_batch, target_denoiser, seed: int, desc: str):
        """Adam(W) on the EDM-weighted denoising loss with noise levels uniform on the grid."""
        n_iter, batch_size = params.n_iter, params.batch_size
        device, dtype = self.device_, self.dtype_
        gen = torch_generator(seed, device)
        grid = to_tensor(self.training_sigmas_, device=device, dtype=dtype)
        optimiser = torch.optim.AdamW(
            net.parameters(), lr=params.lr, weight_decay=params.weight_decay
        )
        losses = np.empty(n_iter)
        net.train()
        for it in progress(range(n_iter), desc=desc, enabled=params.verbose):
            x0, labels = draw_batch(batch_size, gen)
            t = torch.randint(0, grid.shape[0], (batch_size,), generator=gen, device=device)
            eps = torch.randn(x0.shape, generator=gen, device=device, dtype=dtype)
            loss = denoising_loss(net, x0, grid[t], eps, labels, self.sigma_data_, target_denoiser)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            losses[it] = loss.item()
        net.eval()
        net.requires_grad_(False)
        return losses

    # ------------------------------------------------------------------ public interface
    def real_denoiser(self, device=None, dtype=None) -> torch.nn.Module:
        """A frozen copy of the teacher's denoiser module (DMD2's :math:`\\mu_{\\rm real}`).

        Parameters
        ----------
        device, dtype : optional
            Where and in which precision to place the copy; default: the teacher's own.
        """
        check_is_fitted(self, "network_")
        device = self.device_ if device is None else resolve_device(device)
        dtype = self.dtype_ if dtype is None else resolve_dtype(dtype)
        return frozen_copy(self._teacher_module(), device, dtype)

    def _teacher_module(self) -> torch.nn.Module:
        return self.network_

    def label_indices(self, y, n_samples: int) -> np.ndarray | None:
        """Class indices ``0..n_classes_-1`` of the labels ``y`` (the row order of ``classes_``).

        The conditioning protocol of the teachers: a student (e.g.
        :class:`~selfdistill.diffusion.DMD2Distiller`) passes these indices to the teacher's
        networks.

        Parameters
        ----------
        y : array-like of shape (n_samples,), scalar or None
            Class labels (a scalar labels every sample); ``None`` for an unconditional teacher.
        n_samples : int
            Number of samples the labels are for.

        Returns
        -------
        ndarray of shape (n_samples,) or None
            ``None`` for an unconditional teacher.
        """
        check_is_fitted(self, "n_classes_")
        if self.n_classes_ is None:
            if y is not None:
                raise ValueError(
                    "this teacher is unconditional (fitted without y); do not pass class labels."
                )
            return None
        if y is None:
            raise ValueError(
                f"this teacher is class-conditional (classes {self.classes_.tolist()}); pass y, "
                "one class label per sample (or a single label for all)."
            )
        y = np.asarray(y)
        if y.ndim == 0:
            y = np.full(n_samples, y.item())
        y = y.reshape(-1)
        if y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0]} labels but {n_samples} samples were requested.")
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if np.any(unknown):
            raise ValueError(
                f"y contains labels {np.unique(y[unknown]).tolist()} that the teacher was not "
                f"fitted on; known classes: {self.classes_.tolist()}."
            )
        return idx

    def _labels_tensor(self, y, n_samples: int, device) -> torch.Tensor | None:
        idx = self.label_indices(y, n_samples)
        return None if idx is None else to_tensor(idx, device=device)

    @fill_doc
    def denoise(self, X, sigma, y=None) -> np.ndarray:
        """The teacher's denoiser :math:`D(x;\\sigma[, y]) \\approx E[x_0 \\mid x_t = x]`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Noisy inputs :math:`x_t`.
        sigma : float or array-like of shape (n_samples,)
            Noise level(s), > 0.
        %(y_class_conditional)s

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (X.shape[0],)).copy()
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
            raise ValueError("sigma must be finite and > 0 (the noise standard deviation).")
        device, dtype = self.device_, self.dtype_
        labels = self._labels_tensor(y, X.shape[0], device)
        module = self._teacher_module()
        with torch.no_grad():
            out = module(
                to_tensor(X, device=device, dtype=dtype),
                to_tensor(sigma, device=device, dtype=dtype),
                labels,
            )
        return to_numpy(out)

    @fill_doc
    @validate_params(_SAMPLER)
    def sample_from_noise(
        self, Z, y=None, *, n_steps: int = 40, sampler: str = "heun"
    ) -> np.ndarray:
        """Deterministic ODE sample started at :math:`x = \\sigma_{\\max} Z`.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_features)
            Standard normal noise.
        %(y_class_conditional)s
        n_steps : int, default=40
            ODE steps ``N`` on EDM's sampler discretisation (``rho`` as for training).
        sampler : {"heun", "euler"}, default="heun"
            Heun costs ``2N - 1`` denoiser calls, Euler ``N``; one step of either returns
            :math:`D(\\sigma_{\\max} z;\\sigma_{\\max})`, the "teacher with 1 step".

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "network_")
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(
                f"Z has {Z.shape[1]} columns but the teacher models {self.n_features_in_} features."
            )
        device, dtype = self.device_, self.dtype_
        labels = self._labels_tensor(y, Z.shape[0], device)
        sigmas = sampler_sigmas(n_steps, float(self.sigma_min), self.sigma_max_, float(self.rho))
        out = ode_sample(
            self._teacher_module(),
            to_tensor(Z, device=device, dtype=dtype),
            labels,
            sigmas,
            sampler,
        )
        return to_numpy(out)

    @validate_params(
        {"n_samples": [COUNT], "random_state": [SEED]}
    )
    @fill_doc
    def sample(
        self, n_samples: int, y=None, *, n_steps: int = 40, sampler: str = "heun", random_state=None
    ) -> np.ndarray:
        """Draw ``n_samples`` with the ODE sampler from fresh noise (see :meth:`sample_from_noise`).

        Parameters
        ----------
        n_samples : int
            Number of samples.
        %(y_class_conditional)s
        n_steps : int, default=40
            ODE steps.
        sampler : {"heun", "euler"}, default="heun"
            ODE solver.
        random_state : None, int or RandomState, default=None
            Seeds the noise, drawn in float64 numpy so that CPU and CUDA runs start from the
            same ``Z``.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "network_")
        Z = check_random_state(random_state).standard_normal((n_samples, self.n_features_in_))
        return self.sample_from_noise(Z, y, n_steps=n_steps, sampler=sampler)

    @staticmethod
    @validate_params(_SAMPLER)
    def n_function_evaluations(n_steps: int = 40, sampler: str = "heun") -> int:
        """Network evaluations per sample of :meth:`sample` (Heun ``2N - 1``, Euler ``N``).

        Parameters
        ----------
        n_steps : int, default=40
            ODE steps ``N``.
        sampler : {"heun", "euler"}, default="heun"
            ODE solver.

        Returns
        -------
        int
        """
        return n_function_evaluations(n_steps, sampler)


class DiffusionTeacher(_EDMTeacher):
    """EDM-preconditioned MLP diffusion model trained by denoising score matching.

    The denoiser is :class:`~selfdistill.diffusion._networks.EDMDenoiserMLP`,
    :math:`D(x;\\sigma) = c_{\\rm skip}x + c_{\\rm out}F(c_{\\rm in}x, c_{\\rm noise}[, c])`, fitted by

    .. math::

        \\min_F\\ \\mathbb{E}_{x_0, t, \\varepsilon}\\ \\lambda(\\sigma_t)\\,
        \\lVert D(x_0 + \\sigma_t\\varepsilon;\\sigma_t) - x_0\\rVert^2 / d,\\qquad
        \\lambda(\\sigma) = \\frac{1}{\\sigma^2} + \\frac{1}{\\sigma_d^2},

    with ``t`` uniform on the Karras grid of ``n_levels`` levels between ``sigma_min`` and
    ``sigma_max`` (the grid and weighting DMD2's EDM code trains its fake critic with; EDM itself
    draws :math:`\\ln\\sigma` from a normal -- the grid is the DMD2 convention). Samples come from
    EDM's deterministic Euler/Heun ODE samplers.

    Parameters
    ----------
    hidden : tuple of int, default=(128, 128, 128)
        Widths of the SiLU MLP ``F``.
    sigma_data : float or None, default=None
        :math:`\\sigma_d`; ``None`` uses the data's root-mean-square ``sqrt(mean(X**2))``, the
        second moment that makes :math:`c_{\\rm skip}` the optimal linear skip for uncentred data.
    sigma_min : float, default=0.002
        Smallest noise level of the grid (EDM's value).
    sigma_max : float or None, default=None
        ``None`` means ``10 * sigma_data`` (assumption: scaled to the toy data instead of EDM's 80
        for images in [-1, 1]; at 10 sigma_data the marginal of :math:`x_T` is within a KL of
        about 1e-4 per coordinate of :math:`N(0, \\sigma_{\\max}^2 I)`).
    rho : float, default=7.0
        Karras schedule exponent (EDM's value).
    n_levels : int, default=1000
        Size of the training noise grid (DMD2's ``T``).
    n_iter : int, default=5000
        Optimiser steps.
    batch_size : int, default=512
        Minibatch size (rows of ``X`` drawn with replacement).
    lr : float, default=1e-3
        Learning rate of AdamW.
    weight_decay : float, default=0.0
        AdamW decoupled weight decay (0 gives Adam).
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``.
    dtype : {"float64", "float32"}, default="float64"
    random_state : None, int or RandomState, default=None
        Seeds the weight initialisation and every draw of the fit (reproducible on CPU).
    verbose : bool, default=False
        Progress bar on stderr.

    Attributes
    ----------
    network_ : EDMDenoiserMLP
        The trained denoiser (eval mode, frozen) on ``device_``.
    sigma_data_, sigma_max_ : float
    training_sigmas_ : ndarray of shape (n_levels,)
        Ascending Karras grid.
    classes_ : ndarray or None
        Class labels when fitted with ``y`` (class-conditional), else ``None``.
    n_classes_ : int or None
    loss_curve_ : ndarray of shape (n_iter,)
        Training loss per step.
    n_features_in_ : int
    feature_names_in_ : ndarray
        Only when ``X`` has string column names.
    device_, dtype_ : torch.device, torch.dtype
    """

    _parameter_constraints = {
        **_EDMTeacher._shared_constraints,
        "sigma_data": [None, POSITIVE],
    }

    def __init__(
        self, hidden=(128, 128, 128), sigma_data=None, sigma_min=0.002, sigma_max=None, rho=7.0,
        n_levels=1000, n_iter=5000, batch_size=512, lr=1e-3, weight_decay=0.0, device="cpu",
        dtype="float64", random_state=None, verbose=False,
    ):
        self._store_params(locals())

    def fit(self, X, y=None):
        """Train the denoiser on ``X`` (class-conditional when ``y`` is given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or None
            Class labels; with labels the model is class-conditional and sampling needs ``y``.

        Returns
        -------
        self
        """
        params = self._validate_params()
        if y is None:
            X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
            self.classes_, self.n_classes_, y_idx = None, None, None
        else:
            X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
            check_classification_targets(y)
            self.classes_, y_idx = np.unique(y, return_inverse=True)
            self.n_classes_ = len(self.classes_)
        if params.sigma_data is None:
            sigma_data = float(np.sqrt(np.mean(X**2)))
            if sigma_data == 0:
                raise ValueError("X is identically zero; there is no distribution to model.")
        else:
            sigma_data = params.sigma_data
        self._set_noise_levels(params, sigma_data)
        device, dtype = self.device_, self.dtype_
        rng = check_random_state(params.random_state)
        init_seed, train_seed = draw_seed(rng), draw_seed(rng)
        net = self._build_network(params, X.shape[1], sigma_data, init_seed)
        data = to_tensor(X, device=device, dtype=dtype)
        labels = None if y_idx is None else to_tensor(y_idx, device=device)

        def draw_batch(batch_size, gen):
            idx = torch.randint(0, data.shape[0], (batch_size,), generator=gen, device=device)
            return data[idx], (None if labels is None else labels[idx])

        self.loss_curve_ = self._train_network(
            params, net, draw_batch, None, train_seed, "DSM teacher"
        )
        self.network_ = net
        return self


class GaussianMixtureTeacher(_EDMTeacher):
    """Exact diffusion teacher for an isotropic Gaussian mixture (no teacher error).

    Data model :math:`x_0 \\sim \\sum_k \\pi_k N(\\mu_k, s_k^2 I)`. The denoiser is the exact
    posterior mean (:class:`~selfdistill.diffusion._networks.GaussianMixtureDenoiser`)

    .. math::

        D(x;\\sigma) = \\sum_k w_k(x)\\Bigl(\\mu_k + \\frac{s_k^2}{s_k^2+\\sigma^2}(x - \\mu_k)\\Bigr),
        \\qquad w_k(x) \\propto \\pi_k N(x;\\mu_k,(s_k^2+\\sigma^2)I),

    so :math:`\\mu_{\\rm real}` in DMD2 is exact and an ODE sample with many steps is a sample of
    the mixture up to discretisation error. ``class_conditional=True`` treats the component index
    as the class label (then :math:`w` is the label's one-hot vector).

    DMD2 initialises the generator and the fake critic with the teacher's *weights*, which an
    analytic formula does not have. ``fit`` therefore also trains ``network_``, an
    :class:`EDMDenoiserMLP` regressed onto the exact denoiser with the EDM weighting
    (:math:`\\mathbb{E}\\,\\lambda(\\sigma_t)
    \\lVert D_\\theta(x_t;\\sigma_t) - D(x_t;\\sigma_t)\\rVert^2`,
    ``t`` uniform on the grid); it serves only as that initialisation, never as
    :math:`\\mu_{\\rm real}`.

    Parameters
    ----------
    means : array-like of shape (n_components, n_features)
        Component means :math:`\\mu_k`.
    stds : float or array-like of shape (n_components,), default=0.1
        Per-coordinate standard deviation :math:`s_k` of each component.
    weights : array-like of shape (n_components,) or None, default=None
        Mixture weights (normalised); ``None`` means equal weights.
    class_conditional : bool, default=False
        Treat the component index as a class label (``y`` of ``sample``).
    sigma_min : float, default=0.002
        Smallest noise level of the grid.
    sigma_max : float or None, default=None
        Largest noise level; ``None`` means ``10 * sigma_data_``.
    rho : float, default=7.0
        Karras schedule exponent.
    n_levels : int, default=1000
        Size of the noise grid (DMD2's ``T``).
    hidden : tuple of int, default=(128, 128, 128)
        Widths of the initialisation network ``network_``.
    n_iter : int, default=3000
        Its training steps (on the 2-D ring the loss leaves a plateau after 1000-2000 steps; a
        poorly fitted initialisation makes DMD2's critic start far from the teacher).
    batch_size : int, default=512
        Its minibatch size (fresh mixture samples each step).
    lr : float, default=1e-3
        Its AdamW learning rate.
    weight_decay : float, default=0.0
        Its AdamW weight decay.
    device : str, default="cpu"
        Torch device.
    dtype : {"float64", "float32"}, default="float64"
        Precision.
    random_state : None, int or RandomState, default=None
        Seeds the initialisation network's weights and training draws.
    verbose : bool, default=False
        Progress bar on stderr.

    Attributes
    ----------
    network_ : EDMDenoiserMLP
        Network approximation of the exact denoiser (initialisation for DMD2).
    exact_denoiser_ : GaussianMixtureDenoiser
        The analytic denoiser used by :meth:`denoise`, the samplers and ``real_denoiser``.
    sigma_data_ : float
        Root-mean-square of the mixture,
        :math:`\\sqrt{\\sum_k\\pi_k(\\lVert\\mu_k\\rVert^2/d + s_k^2)}`.
    sigma_max_, training_sigmas_, classes_, n_classes_, loss_curve_, n_features_in_, device_, dtype_
        As in :class:`DiffusionTeacher`.
    """

    _parameter_constraints = {
        **_EDMTeacher._shared_constraints,
        "means": [Converter(_as_means, "a 2-D array of component means")],
        "stds": [Converter(_as_positive_values, "a positive number or one per component")],
        "weights": [None, Converter(_as_positive_values, "positive numbers, one per component")],
        "class_conditional": [BOOLEAN],
    }

    def __init__(
        self, means, stds=0.1, weights=None, class_conditional=False, sigma_min=0.002,
        sigma_max=None, rho=7.0, n_levels=1000, hidden=(128, 128, 128), n_iter=3000, batch_size=512,
        lr=1e-3, weight_decay=0.0, device="cpu", dtype="float64", random_state=None, verbose=False,
    ):
        self._store_params(locals())

    @staticmethod
    def _mixture(params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Means, per-component stds and normalised weights from the validated parameters."""
        means = params.means
        k = means.shape[0]
        if params.stds.shape[0] not in (1, k):
            raise ValueError(f"stds must be a number or have one entry per component ({k}).")
        stds = np.broadcast_to(params.stds, (k,)).copy()
        if params.weights is None:
            return means, stds, np.full(k, 1.0 / k)
        if params.weights.shape[0] != k:
            raise ValueError(
                f"weights must hold {k} finite positive numbers (one per component), "
                f"got {params.weights.tolist()!r}."
            )
        return means, stds, params.weights / params.weights.sum()

    def fit(self, X=None, y=None):
        """Set up the exact denoiser and train the initialisation network ``network_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or None
            Not used for fitting (the mixture is given); when passed, it must have
            ``means.shape[1]`` columns. Accepted so that the teacher fits into pipelines.
        y : None
            Ignored (the classes of a class-conditional mixture are its components).

        Returns
        -------
        self
        """
        params = self._validate_params()
        means, stds, weights = self._mixture(params)
        d = means.shape[1]
        if X is not None:
            X = check_array(X, dtype=np.float64, input_name="X")
            if X.shape[1] != d:
                raise ValueError(f"X has {X.shape[1]} columns but the mixture means have {d}.")
        self.n_features_in_ = d
        conditional = params.class_conditional
        self.classes_ = np.arange(means.shape[0]) if conditional else None
        self.n_classes_ = means.shape[0] if conditional else None
        sigma_data = float(np.sqrt(np.sum(weights * (np.sum(means**2, axis=1) / d + stds**2))))
        self._set_noise_levels(params, sigma_data)
        device, dtype = self.device_, self.dtype_
        self.exact_denoiser_ = GaussianMixtureDenoiser(
            means, stds**2, np.log(weights), conditional
        ).to(device=device, dtype=dtype)
        rng = check_random_state(params.random_state)
        init_seed, train_seed = draw_seed(rng), draw_seed(rng)
        net = self._build_network(params, d, sigma_data, init_seed)
        means_t = to_tensor(means, device=device, dtype=dtype)
        stds_t = to_tensor(stds, device=device, dtype=dtype)
        weights_t = to_tensor(weights, device=device, dtype=dtype)

        def draw_batch(batch_size, gen):
            comp = torch.multinomial(weights_t, batch_size, replacement=True, generator=gen)
            noise = torch.randn((batch_size, d), generator=gen, device=device, dtype=dtype)
            return means_t[comp] + stds_t[comp, None] * noise, (comp if conditional else None)

        self.loss_curve_ = self._train_network(
            params, net, draw_batch, self.exact_denoiser_, train_seed, "GMM teacher init network"
        )
        self.network_ = net
        return self

    def _teacher_module(self) -> torch.nn.Module:
        return self.exact_denoiser_

    @validate_params({"n_samples": [COUNT]})
    def sample_data(self, n_samples: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """Exact samples of the mixture and their component labels (the "real data").

        Parameters
        ----------
        n_samples : int
            Number of points.
        random_state : None, int or RandomState, default=None
            Seed of the draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        components : ndarray of shape (n_samples,)
        """
        means, stds, weights = self._mixture(self._validate_params())
        return sample_gaussian_mixture(means, stds, n_samples, weights, random_state)


__all__ = ["DiffusionTeacher", "GaussianMixtureTeacher"]
