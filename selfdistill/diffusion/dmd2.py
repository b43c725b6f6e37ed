"""DMD2: distil a diffusion teacher into a one-step (or few-step) generator.

Yin et al., "Improved Distribution Matching Distillation for Fast Image Synthesis", NeurIPS 2024
(arXiv 2405.14867), following the official implementation (``tianweiy/DMD2``); the original DMD
(Yin et al., CVPR 2024) is the ``regression_weight > 0`` mode.
"""

from __future__ import annotations

import copy
import math
import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils import TransformerTags, check_array, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._progress import progress
from .._torch import (
    draw_seed,
    seeded_init,
    to_numpy,
    to_tensor,
    torch_generator,
    trainable_copy,
)
from .._validation import Converter, Interval, Options, ValidatedParamsMixin, validate_params
from ._constraints import (
    BOOLEAN,
    COUNT,
    FRACTION,
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    SEED,
    TORCH_RUNTIME,
)
from ._dmd2_trainer import DMD2Settings, DMD2Trainer, student_sample
from ._edm import student_grid_indices
from ._networks import GANHead
from .metrics import energy_distance
from .teachers import _EDMTeacher

#: A run stops when a generator sample exceeds this multiple of ``sigma_max + max|X|``.
DIVERGENCE_FACTOR = 100.0

_LOSS_COLUMNS = ("loss_dm", "loss_gen_gan", "loss_regression", "loss_generator", "loss_fake",
                 "loss_disc", "sample_abs_max")


def _check_divergence(record: dict, iteration: int, bound: float, lr) -> None:
    """Raise when iteration ``iteration`` produced a non-finite loss or exploding samples."""
    bad = [
        f"{name}={record[name]:.3g}"
        for name in _LOSS_COLUMNS
        if name in record and not np.isfinite(record[name])
    ]
    size = record.get("sample_abs_max", 0.0)
    if bad or size > bound:
        what = ", ".join(bad) if bad else f"generator samples reached |x| = {size:.3g} > {bound:.3g}"
        raise RuntimeError(
            f"DMD2 training diverged at iteration {iteration} ({what}). The networks are no longer "
            f"usable; lower the learning rate (lr={lr!r}) or keep gradient clipping "
            "(max_grad_norm) on, then refit."
        )


def _as_teacher(teacher, name: str) -> _EDMTeacher:
    """The teacher itself, unwrapped from a ``FrozenEstimator``."""
    inner = teacher.estimator if isinstance(teacher, FrozenEstimator) else teacher
    if not isinstance(inner, _EDMTeacher):
        raise ValueError(
            f"{name} must be a DiffusionTeacher or GaussianMixtureTeacher (fitted, or to be "
            f"fitted on X; optionally in a FrozenEstimator), got {type(teacher).__name__}."
        )
    return inner


def _as_grid_indices(steps, name: str) -> np.ndarray:
    """A 1-D array of non-negative integer grid indices (the checks against the grid are in fit)."""
    arr = np.asarray(steps)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError(
            f"{name} must be a 1-D sequence of non-negative integer grid indices, strictly "
            f"decreasing (e.g. [999, 749, 499, 249]), got {steps!r}."
        )
    return arr.astype(np.int64)


def _as_betas(betas, name: str) -> tuple[float, float]:
    """AdamW's ``(beta1, beta2)``, each in [0, 1)."""
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError):
        b1 = b2 = np.nan
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"{name} must be a pair of numbers in [0, 1), got {betas!r}.")
    return b1, b2


def _lr_factor(step: int, warmup: int, n_steps: int, schedule: str) -> float:
    """Learning-rate multiplier of optimiser step ``step`` (0-based) out of ``n_steps``.

    Linear warm-up ``min(1, (step + 1) / warmup)``; then 1 ("constant", official) or the cosine
    ``(1 + cos(pi * p)) / 2`` of the post-warm-up progress ``p = (step - warmup) / (n_steps - warmup)``
    ("cosine", decaying to 0 at the last step).
    """
    factor = 1.0 if warmup == 0 else min(1.0, (step + 1) / warmup)
    if schedule == "cosine" and step >= warmup:
        progress = min(1.0, (step - warmup) / max(1, n_steps - warmup))
        factor *= 0.5 * (1.0 + math.cos(math.pi * progress))
    return factor


class DMD2Distiller(ValidatedParamsMixin, BaseEstimator):
    r"""Improved Distribution Matching Distillation (DMD2) of a diffusion teacher.

    Three networks with the teacher's architecture: the frozen teacher :math:`\mu_{\rm real}`, the
    fake critic :math:`\mu_{\rm fake}` (a copy of the teacher, trained only on generator samples)
    and the generator :math:`G_\theta` (initialised from the teacher). A one-step sample is
    :math:`x = G_\theta(\sigma_{\max} z;\sigma_{\max})`, :math:`z\sim N(0,I)`.

    **Distribution matching (generator).** For each generator sample :math:`x`, draw a grid level
    :math:`t \sim U\{\lfloor 0.02T\rfloor..\lfloor 0.98T\rfloor\}` (``min_t``, ``max_t``),
    :math:`x_t = x + \sigma_t\varepsilon`, and without gradient

    .. math::

        g = \frac{\mu_{\rm fake}(x_t) - \mu_{\rm real}(x_t)}{\mathrm{mean}_{\rm coords}|x - \mu_{\rm real}(x_t)|},
        \qquad L_{\rm DM} = \tfrac12\,\mathrm{mean}\bigl(x - \mathrm{sg}(x - g)\bigr)^2,

    so that :math:`\partial L_{\rm DM}/\partial x = g/\mathrm{numel}(x)`: descent moves samples
    along :math:`\mu_{\rm real} - \mu_{\rm fake}`, the normalised difference of scores (DMD's
    approximate KL gradient).

    **Fake critic.** On detached generator samples, :math:`L_{\rm fake} = \mathrm{mean}\,
    \lambda(\sigma_t)(\mu_{\rm fake}(x_t;\sigma_t) - x)^2`, :math:`t \sim U\{0..T-1\}`,
    :math:`\lambda(\sigma) = 1/\sigma^2 + 1/\sigma_d^2`.

    **GAN (``gan=True``).** A head :math:`D` on the fake critic's last hidden layer, fed samples
    noised at :math:`t \sim U\{0..T_{\rm GAN}-1\}` ("diffusion GAN"):
    :math:`L_D = \mathrm{mean}\,\mathrm{softplus}(D(\tilde x_{\rm fake})) +
    \mathrm{mean}\,\mathrm{softplus}(-D(\tilde x_{\rm real}))` (real = rows of ``X``) and
    :math:`L_G = \mathrm{mean}\,\mathrm{softplus}(-D(\tilde G(z)))`. The head shares the critic's
    optimiser, so :math:`L_D` also trains the critic's backbone.

    **Update schedule (two time-scale rule).** Iteration ``k`` draws a batch; if
    ``k % dfake_gen_update_ratio == 0`` the generator takes a step on
    ``dm_loss_weight * L_DM + gen_gan_weight * L_G + regression_weight * L_reg`` with the critic and
    head frozen (both optimisers are zeroed afterwards); then, every iteration, the critic takes a
    step on ``L_fake + disc_gan_weight * L_D`` using the same, detached, generator output.
    Gradients are clipped to ``max_grad_norm``; both optimisers are AdamW with a linear warm-up.

    **Multi-step generator.** With ``n_student_steps = N`` the student samples on the grid levels
    ``range(T-1, 0, -(T // N))`` (``[999, 749, 499, 249]`` for ``N = 4``, ``T = 1000``): predict
    :math:`\hat x_0 = G(x_{t_j};\sigma_{t_j})`, re-noise :math:`x_{t_{j+1}} = \hat x_0 +
    \sigma_{t_{j+1}}\varepsilon'` with fresh noise, output the last :math:`\hat x_0`. During
    training each iteration picks one level ``k`` uniformly; with ``backward_simulation=True`` the
    generator input is the state that the student's own sampler reaches after ``k`` steps from
    fresh noise (run without gradient), otherwise a real sample forward-noised to the level (the
    training/inference mismatch DMD2 removes; the top level is pure noise in both cases). The
    gradient-carrying :math:`\hat x_0` at level ``k`` feeds the DM loss, the GAN and the critic.

    **Original DMD (``regression_weight > 0``).** Adds :math:`L_{\rm reg} = \mathrm{mean}
    (G(\sigma_{\max} z) - y)^2` on ``n_regression_pairs`` noise/sample pairs :math:`(z, y)`
    precomputed with the teacher's deterministic Heun sampler from the same :math:`z`. DMD uses
    LPIPS and :math:`\lambda_{\rm reg} = 0.25` [recalled]; the squared error replaces LPIPS on toy
    data. Use ``dfake_gen_update_ratio=1, gan=False`` for DMD's setting.

    Parameters
    ----------
    teacher : DiffusionTeacher or GaussianMixtureTeacher
        The teacher. Its ``network_`` initialises the generator and the fake critic; its
        ``real_denoiser`` is :math:`\mu_{\rm real}`; its Karras grid provides ``T`` and
        :math:`\sigma_t`. A fitted teacher is used as it is (never modified); an unfitted one is
        cloned and fitted on ``(X, y)`` in :meth:`fit`. ``sklearn.base.clone`` of the distiller
        clones the teacher unfitted, so wrap a pre-fitted teacher in
        ``sklearn.frozen.FrozenEstimator`` to keep it through cloning (e.g. in a grid search).
    n_student_steps : int, default=1
        Generator calls per sample (1: one-step generator).
    student_timesteps : sequence of int or None, default=None
        Descending grid indices of the student levels; ``None`` uses DMD2's rule above.
    dfake_gen_update_ratio : int, default=5
        ``r``: critic steps per generator step (official: 5 ImageNet/SDXL, 10 SD v1.5).
    dm_loss_weight : float, default=1.0
        Weight of :math:`L_{\rm DM}` in the generator loss (official: 1).
    gan : bool, default=True
        Add the GAN head and losses.
    gen_gan_weight : float, default=3e-3
        Generator GAN weight (official ImageNet-64; 1e-3 SD v1.5, 5e-3 SDXL).
    disc_gan_weight : float, default=1e-2
        Discriminator GAN weight in the critic's loss (official, all settings).
    diffusion_gan_max_t : int or None, default=None
        GAN noise levels ``t < diffusion_gan_max_t``; ``None`` is the whole grid (official: 1000 = T).
    backward_simulation : bool, default=True
        Multi-step students: train on the student's own simulated states (else on noised data).
    min_t, max_t : float, default=0.02, 0.98
        DM noise levels as fractions of ``T`` (inclusive grid indices ``int(min_t*T)..int(max_t*T)``).
    dm_normalizer : {"sample", "batch"}, default="sample"
        Normaliser of the DM direction: DMD's per-sample :math:`\mathrm{mean}|x-\mu_{\rm real}|`
        ("sample", official) or its batch mean ("batch", our ablation: it stops down-weighting
        samples far from :math:`\mu_{\rm real}`, such as samples between the modes of a mixture).
    regression_weight : float, default=0.0
        > 0 selects the original DMD's regression term (one-step students only).
    n_regression_pairs : int, default=4096
        Size of DMD's precomputed noise/sample set.
    regression_teacher_steps : int, default=40
        Heun steps of the teacher for the regression pairs.
    regression_pretrain_iter : int, default=0
        > 0: before DMD2, train the generator alone for this many steps on the regression loss to
        ``n_regression_pairs`` teacher ODE pairs (its own AdamW optimiser, same ``lr``,
        ``batch_size`` and clipping), as the official one-step SDXL model initialises its
        generator ("ODE pre-training"); one-step students only. The pairs are shared with
        ``regression_weight``.
    generator_init : {"teacher", "random"}, default="teacher"
        DMD2 initialises from the teacher; "random" is an ablation.
    lr : float, default=1e-3
        Learning rate of both optimisers (official: 2e-6 for ImageNet-64's 300M-parameter U-Net;
        this default is tuned for the toy MLPs -- an assumption, not the paper's value: on the
        2-D ring, 1e-4 leaves the student far from the data after 3000 iterations).
    betas : tuple of float, default=(0.9, 0.999)
        AdamW betas (official).
    weight_decay : float, default=0.01
        AdamW weight decay (official).
    warmup : int, default=100
        Linear warm-up over the first ``warmup`` steps of each optimiser, factor
        ``min(1, (s + 1) / warmup)``, then constant (official: "constant_with_warmup" with 500
        steps over 10^5 iterations; 100 is our assumption for runs of a few thousand
        iterations, where the generator takes only ``max_iter / r`` steps).
    lr_schedule : {"constant", "cosine"}, default="constant"
        After the warm-up: constant (official) or a cosine decay to 0 over each optimiser's
        steps (``ceil(max_iter / r)`` generator, ``max_iter`` critic steps; a training choice of
        ours, the analogue of the official ImageNet run's second stage at a 4x lower rate).
    ema_decay : float in [0, 1), default=0.0
        > 0: sample from an exponential moving average of the generator's weights,
        :math:`\bar\theta \leftarrow d\,\bar\theta + (1-d)\,\theta` after every generator step
        (the first step sets :math:`\bar\theta = \theta`; standard in diffusion training, an
        assumption here, not DMD2's recorded setting). The live generator still produces the
        critic's and the GAN's samples. 0: no averaging.
    max_grad_norm : float or None, default=10.0
        Gradient-norm clipping of each update (official: 10); ``None`` disables it.
    max_iter : int, default=3000
        Training iterations (critic steps); the generator takes ``ceil(max_iter / r)`` steps.
    batch_size : int, default=256
        Generator samples (and real rows) per iteration.
    device : str, default="cpu"
        Torch device, e.g. ``"cuda"``.
    dtype : {"float64", "float32"}, default="float64"
        Precision of all networks.
    random_state : None, int or RandomState, default=None
        Seeds initialisation and every draw of ``fit`` (reproducible on CPU) and, in
        :meth:`score`, the generator noise.
    verbose : bool, default=False
        Progress bar on stderr.

    Attributes
    ----------
    teacher_ : DiffusionTeacher or GaussianMixtureTeacher
        The fitted teacher that was distilled.
    generator_ : EDMDenoiserMLP
        The trained generator (eval mode, frozen), on ``device_``.
    fake_critic_ : EDMDenoiserMLP
    gan_head_ : GANHead or None
    student_timesteps_ : ndarray of int
        Grid indices of the student's levels (descending).
    student_sigmas_ : ndarray
        Their noise levels.
    history_ : pandas.DataFrame
        One row per iteration: ``generator_updated`` (bool), ``student_level`` (backward-simulated
        level ``k``), the losses ``loss_dm``, ``loss_gen_gan``, ``loss_regression``,
        ``loss_generator``, ``loss_fake``, ``loss_disc``, the mean GAN logits, gradient norms
        before clipping and learning rates; generator columns are NaN on critic-only iterations.
    n_function_evaluations_ : int
        Generator calls per sample (``n_student_steps``).
    pretrain_loss_curve_ : ndarray of shape (regression_pretrain_iter,)
        Regression loss of each ODE pre-training step (empty without pre-training).
    n_features_in_ : int
    feature_names_in_ : ndarray
        Only when ``X`` has string column names.
    device_, dtype_ : torch.device, torch.dtype

    Notes
    -----
    Adaptations to low-dimensional data, all documented assumptions: MLP networks instead of
    U-Nets, so the "bottleneck" feeding the GAN head is the critic's last hidden layer and the head
    is a two-layer MLP; the squared error instead of LPIPS in DMD mode; no classifier-free
    guidance (DMD2's ImageNet setting does not use it); float64 by default instead of BF16. The
    generator's class labels are those of the real batch of the same iteration (the empirical
    label distribution).
    """

    def __init__(
        self, teacher, n_student_steps=1, student_timesteps=None, dfake_gen_update_ratio=5,
        dm_loss_weight=1.0, gan=True, gen_gan_weight=3e-3, disc_gan_weight=1e-2,
        diffusion_gan_max_t=None, backward_simulation=True, min_t=0.02, max_t=0.98,
        dm_normalizer="sample", regression_weight=0.0, n_regression_pairs=4096,
        regression_teacher_steps=40, regression_pretrain_iter=0, generator_init="teacher", lr=1e-3,
        betas=(0.9, 0.999), weight_decay=0.01, warmup=100, lr_schedule="constant", ema_decay=0.0,
        max_grad_norm=10.0, max_iter=3000, batch_size=256, device="cpu", dtype="float64",
        random_state=None, verbose=False,
    ):
        self._store_params(locals())

    _parameter_constraints = {
        "teacher": [Converter(_as_teacher, "a DiffusionTeacher or GaussianMixtureTeacher")],
        "n_student_steps": [COUNT],
        "student_timesteps": [None, Converter(_as_grid_indices, "a 1-D sequence of grid indices")],
        "dfake_gen_update_ratio": [COUNT],
        "dm_loss_weight": [NON_NEGATIVE],
        "gan": [BOOLEAN],
        "gen_gan_weight": [NON_NEGATIVE],
        "disc_gan_weight": [NON_NEGATIVE],
        "diffusion_gan_max_t": [None, COUNT],
        "backward_simulation": [BOOLEAN],
        "min_t": [FRACTION],
        "max_t": [FRACTION],
        "dm_normalizer": [Options("sample", "batch")],
        "regression_weight": [NON_NEGATIVE],
        "n_regression_pairs": [COUNT],
        "regression_teacher_steps": [COUNT],
        "regression_pretrain_iter": [NON_NEGATIVE_INT],
        "generator_init": [Options("teacher", "random")],
        "lr": [POSITIVE],
        "betas": [Converter(_as_betas, "a pair of numbers in [0, 1)")],
        "weight_decay": [NON_NEGATIVE],
        "warmup": [NON_NEGATIVE_INT],
        "lr_schedule": [Options("constant", "cosine")],
        "ema_decay": [Interval(numbers.Real, 0, 1, closed="left")],
        "max_grad_norm": [None, POSITIVE],
        "max_iter": [COUNT],
        "batch_size": [COUNT],
        **TORCH_RUNTIME,
    }

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _fitted_teacher(teacher: _EDMTeacher, X, y) -> _EDMTeacher:
        """The teacher to distil: ``teacher`` itself when fitted, else a clone fitted on ``(X, y)``."""
        try:
            check_is_fitted(teacher, "network_")
        except NotFittedError:
            teacher = clone(teacher).fit(X, y)
        return teacher

    @staticmethod
    def _student_timesteps(params, n_levels: int) -> np.ndarray:
        n_steps, steps = params.n_student_steps, params.student_timesteps
        if steps is None:
            if n_steps > n_levels:
                raise ValueError(
                    f"n_student_steps ({n_steps}) exceeds the teacher's {n_levels} noise levels."
                )
            return student_grid_indices(n_steps, n_levels)
        if (
            steps.shape[0] != n_steps
            or np.any(steps >= n_levels)
            or np.any(np.diff(steps) >= 0)
        ):
            raise ValueError(
                f"student_timesteps must be {n_steps} strictly decreasing integer grid indices in "
                f"[0, {n_levels - 1}] (one per student step, e.g. [999, 749, 499, 249]), got "
                f"{steps.tolist()!r}."
            )
        return steps

    @staticmethod
    def _settings(params, teacher: _EDMTeacher, n_levels: int) -> DMD2Settings:
        """The run's settings; checks between parameters and against the teacher's grid."""
        if params.min_t > params.max_t:
            raise ValueError(f"min_t ({params.min_t}) must not exceed max_t ({params.max_t}).")
        dm_min = int(params.min_t * n_levels)
        dm_max = min(int(params.max_t * n_levels), n_levels - 1)
        gan_max = n_levels if params.diffusion_gan_max_t is None else params.diffusion_gan_max_t
        if gan_max > n_levels:
            raise ValueError(
                f"diffusion_gan_max_t ({gan_max}) exceeds the teacher's {n_levels} noise levels."
            )
        one_step_only = [
            name for name in ("regression_weight", "regression_pretrain_iter")
            if getattr(params, name) > 0
        ]
        if one_step_only and params.n_student_steps > 1:
            raise ValueError(
                f"{one_step_only[0]} > 0 (original DMD's regression, ODE-pair pre-training) is "
                f"defined for one-step students; set n_student_steps=1 or {one_step_only[0]}=0."
            )
        return DMD2Settings(
            dfake_gen_update_ratio=params.dfake_gen_update_ratio,
            dm_loss_weight=params.dm_loss_weight,
            gan=params.gan,
            gen_gan_weight=params.gen_gan_weight,
            disc_gan_weight=params.disc_gan_weight,
            gan_max_index=gan_max,
            backward_simulation=params.backward_simulation,
            dm_min_index=dm_min,
            dm_max_index=dm_max,
            regression_weight=params.regression_weight,
            max_grad_norm=params.max_grad_norm,
            batch_size=params.batch_size,
            sigma_data=teacher.sigma_data_,
            dm_normalizer=params.dm_normalizer,
        )

    @staticmethod
    def _optimiser(params, parameters, n_steps: int):
        """AdamW with warm-up and ``lr_schedule`` over ``n_steps`` steps (see :func:`_lr_factor`)."""
        optimiser = torch.optim.AdamW(
            parameters, lr=params.lr, betas=params.betas, weight_decay=params.weight_decay
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda step: _lr_factor(step, params.warmup, n_steps, params.lr_schedule)
        )
        return optimiser, scheduler

    # ------------------------------------------------------------------ training
    def _build_trainer(self, X, y=None, params=None) -> DMD2Trainer:
        """Set the fitted attributes that sampling needs and assemble the run's state.

        ``params`` are the validated parameters (validated here when ``None``).
        """
        if params is None:
            params = self._validate_params()
        X = validate_data(self, X, dtype=np.float64)
        teacher = self.teacher_ = self._fitted_teacher(params.teacher, X, y)
        if X.shape[1] != teacher.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but the teacher models {teacher.n_features_in_}."
            )
        label_idx = teacher.label_indices(y, X.shape[0])
        n_levels = teacher.training_sigmas_.shape[0]
        self.student_timesteps_ = self._student_timesteps(params, n_levels)
        self.student_sigmas_ = teacher.training_sigmas_[self.student_timesteps_]
        self.n_function_evaluations_ = int(self.student_timesteps_.shape[0])
        settings = self._settings(params, teacher, n_levels)
        device = self.device_ = params.device
        dtype = self.dtype_ = params.dtype

        rng = check_random_state(params.random_state)
        init_seed, train_seed = draw_seed(rng), draw_seed(rng)
        critic = trainable_copy(teacher.network_, device, dtype)
        generator = trainable_copy(teacher.network_, device, dtype)
        with seeded_init(init_seed):  # initialise on the CPU so that seeds mean the same everywhere
            if params.generator_init == "random":
                # Same architecture, freshly initialised weights (an ablation of DMD2's init).
                fresh = copy.deepcopy(teacher.network_).to("cpu")
                for layer in fresh.modules():
                    if isinstance(layer, torch.nn.Linear):
                        layer.reset_parameters()
                generator = trainable_copy(fresh, device, dtype)
            head = GANHead(critic.feature_dim) if settings.gan else None
        if head is not None:
            head = head.to(device=device, dtype=dtype)
        generator_steps = -(-params.max_iter // settings.dfake_gen_update_ratio)
        generator_optimiser, generator_scheduler = self._optimiser(
            params, generator.parameters(), generator_steps
        )
        critic_params = list(critic.parameters()) + (
            [] if head is None else list(head.parameters())
        )
        critic_optimiser, critic_scheduler = self._optimiser(params, critic_params, params.max_iter)
        ema = (
            None
            if params.ema_decay == 0
            else torch.optim.swa_utils.AveragedModel(
                generator,
                multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(params.ema_decay),
            )
        )
        pairs = None
        if settings.regression_weight > 0 or params.regression_pretrain_iter > 0:
            pairs = self._regression_pairs(params, teacher, label_idx, rng, device, dtype)

        self.generator_, self.fake_critic_, self.gan_head_ = generator, critic, head
        return DMD2Trainer(
            generator=generator,
            critic=critic,
            head=head,
            real_denoiser=teacher.real_denoiser(device, dtype),
            grid=to_tensor(teacher.training_sigmas_, device=device, dtype=dtype),
            student_sigmas=to_tensor(self.student_sigmas_, device=device, dtype=dtype),
            data=to_tensor(X, device=device, dtype=dtype),
            labels=None if label_idx is None else to_tensor(label_idx, device=device),
            settings=settings,
            generator_optimiser=generator_optimiser,
            critic_optimiser=critic_optimiser,
            generator_scheduler=generator_scheduler,
            critic_scheduler=critic_scheduler,
            torch_gen=torch_generator(train_seed, device),
            regression_pairs=pairs,
            generator_ema=ema,
        )

    @staticmethod
    def _regression_pairs(params, teacher, label_idx, rng, device, dtype):
        """DMD v1's paired set: teacher ODE (Heun) samples from stored noise ``z``."""
        Z = rng.standard_normal((params.n_regression_pairs, teacher.n_features_in_))
        pair_idx = None if label_idx is None else rng.choice(label_idx, size=Z.shape[0])
        pair_labels = None if pair_idx is None else teacher.classes_[pair_idx]
        Y = teacher.sample_from_noise(
            Z, pair_labels, n_steps=params.regression_teacher_steps, sampler="heun"
        )
        return (
            to_tensor(Z, device=device, dtype=dtype),
            to_tensor(Y, device=device, dtype=dtype),
            None if pair_idx is None else to_tensor(pair_idx, device=device),
        )

    def fit(self, X, y=None):
        """Distil the teacher into the generator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Real data: the GAN's real samples and, for multi-step students without backward
            simulation, the data that is forward-noised into generator inputs (and the training
            data of an unfitted teacher). The DM loss itself uses only the teacher.
        y : array-like of shape (n_samples,) or None
            Class labels of ``X``; required exactly when the teacher is class-conditional.

        Returns
        -------
        self
        """
        params = self._validate_params()
        trainer = self._build_trainer(X, y, params)
        # Samples beyond this bound are divergence, not generation: the generator's input has
        # scale sigma_max and the data scale sigma_data.
        bound = DIVERGENCE_FACTOR * (self.teacher_.sigma_max_ + float(np.max(np.abs(X))))
        records = []
        pretrain_losses = []
        if params.regression_pretrain_iter > 0:
            # Its own optimiser and warm-up: DMD2 then starts from the pre-trained weights afresh.
            optimiser, scheduler = self._optimiser(
                params, self.generator_.parameters(), params.regression_pretrain_iter
            )
            for _ in range(params.regression_pretrain_iter):
                pretrain_losses.append(trainer.regression_pretrain_step(optimiser))
                scheduler.step()
        self.pretrain_loss_curve_ = np.asarray(pretrain_losses, dtype=float)
        try:
            for k in progress(range(params.max_iter), desc="DMD2", enabled=params.verbose):
                record = trainer.iteration(k)
                _check_divergence(record, k, bound, params.lr)
                records.append(record)
        except RuntimeError:
            # A diverged run must not look fitted.
            for name in ("generator_", "fake_critic_", "gan_head_"):
                self.__dict__.pop(name, None)
            raise
        if trainer.generator_ema is not None:
            # Sample from the averaged weights; the live generator only fed the critic.
            self.generator_ = trainer.generator_ema.module
        for module in (self.generator_, self.fake_critic_, self.gan_head_):
            if module is not None:
                module.eval()
                module.requires_grad_(False)
        columns = [
            "iteration",
            "generator_updated",
            "student_level",
            "loss_dm",
            "dm_direction_abs_mean",
            "loss_gen_gan",
            "loss_regression",
            "loss_generator",
            "grad_norm_generator",
            "lr_generator",
            "sample_abs_max",
            "loss_fake",
            "loss_disc",
            "logit_real",
            "logit_fake",
            "grad_norm_critic",
            "lr_critic",
        ]
        history = pd.DataFrame.from_records(records)
        self.history_ = history.reindex(columns=[c for c in columns if c in history.columns])
        self.n_iter_ = params.max_iter
        return self

    # ------------------------------------------------------------------ generation
    @fill_doc
    def transform(self, Z, y=None) -> np.ndarray:
        """Map noise to samples deterministically.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_student_steps * n_features)
            Standard normal noise: the first ``n_features`` columns are the initial noise
            :math:`z` (the generator sees :math:`\\sigma_{\\max} z`), block ``j >= 1`` is the fresh
            noise used to re-noise before student step ``j``.
        %(y_class_conditional)s

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "generator_")
        Z = check_array(Z, dtype=np.float64, input_name="Z")
        d, n_steps = self.n_features_in_, self.n_function_evaluations_
        if Z.shape[1] != d * n_steps:
            raise ValueError(
                f"X has {Z.shape[1]} features, but DMD2Distiller is expecting {n_steps * d} "
                "features as input: the noise Z must have "
                f"n_student_steps * n_features = {n_steps} * {d} = {n_steps * d} "
                f"columns (initial noise, then one re-noising block per further step), got "
                f"{Z.shape[1]}."
            )
        labels_idx = self.teacher_.label_indices(y, Z.shape[0])
        device, dtype = self.device_, self.dtype_
        blocks = to_tensor(Z, device=device, dtype=dtype).reshape(Z.shape[0], n_steps, d)
        labels = None if labels_idx is None else to_tensor(labels_idx, device=device)
        sigmas = to_tensor(self.student_sigmas_, device=device, dtype=dtype)
        with torch.no_grad():
            out = student_sample(
                self.generator_, blocks[:, 0], blocks[:, 1:].transpose(0, 1), sigmas, labels
            )
        return to_numpy(out)

    @validate_params(
        {"n_samples": [COUNT], "random_state": [SEED]}
    )
    @fill_doc
    def sample(self, n_samples: int, y=None, random_state=None) -> np.ndarray:
        """Draw ``n_samples`` from the student (``n_student_steps`` generator calls each).

        Parameters
        ----------
        n_samples : int
            Number of samples.
        %(y_class_conditional)s
        random_state : None, int or RandomState, default=None
            Seeds the float64 numpy noise passed to :meth:`transform`.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self, "generator_")
        Z = check_random_state(random_state).standard_normal(
            (n_samples, self.n_features_in_ * self.n_function_evaluations_)
        )
        return self.transform(Z, y)

    def score(self, X, y=None) -> float:
        """Negative energy distance between ``len(X)`` student samples and ``X`` (higher is better).

        Samples are conditioned on ``y`` for a class-conditional teacher and drawn with the noise
        seeded by ``random_state`` (reproducible for an integer seed).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Reference data.
        y : array-like of shape (n_samples,) or None
            Class labels of ``X`` (class-conditional teacher only).

        Returns
        -------
        float
        """
        check_is_fitted(self, "generator_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        samples = self.sample(X.shape[0], y, random_state=self.random_state)
        return -energy_distance(samples, X)

    def __sklearn_tags__(self):
        # transform() maps noise to samples: it is a transformer of (n, n_student_steps * d) noise,
        # not of X; its output is always float64 (the numpy noise is cast before the networks).
        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags
