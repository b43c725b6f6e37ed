"""Schedules of scheduled knowledge distillation: teacher weight xi(e), difficulty, data order.

Liu, Duan, Xu & Ren (2024, arXiv:2403.13844) describe "a simple scheduled knowledge
distillation method based on curriculum data order ... controlled by an alpha scheduler"; their
alpha weights the teacher, which this package calls ``xi`` everywhere (``alpha`` is always a
penalty here). The functional form of xi(e), its direction, the difficulty measure and the
pacing are not in the parts of the paper we could read; everything here is a configurable
reconstruction (UNCONFIRMED):

- ``xi(e) = xi_start + (xi_end - xi_start) * s(e / (E - 1))`` for epochs
  ``e = 0..E-1``, with ``s`` one of linear ``s(u) = u``, cosine ``s(u) = (1 - cos(pi u)) / 2``,
  step ``s(u) = 1[u >= 1/2]``, constant ``s(u) = 0`` (vanilla KD with ``xi_start``), or a
  user function;
- difficulty of a training sample from the teacher: its cross-entropy ``-log p_T(y | x)``
  (default), its negative margin, or ``1 - max_k p_T(k | x)``;
- curriculum order easy -> hard (or the controls hard -> easy and random);
- baby-steps pacing ``g(e) = min(1, g_0 + (1 - g_0) e / (f E))``: the fraction of the training set,
  easiest first, visible in epoch ``e`` (all of it from epoch ``f E`` on).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.utils import check_random_state

from .._validation import (
    FRACTION,
    POSITIVE_INT,
    Converter,
    InstanceOf,
    Options,
    RandomState,
    validate_params,
)

SCHEDULES = ("linear", "cosine", "step", "constant")
CURRICULA = ("easy_to_hard", "random", "hard_to_easy")
DIFFICULTIES = ("teacher_ce", "teacher_margin", "teacher_confidence")

_SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "cosine": lambda u: 0.5 * (1.0 - np.cos(np.pi * u)),
    "step": lambda u: (u >= 0.5).astype(np.float64),
    "constant": np.zeros_like,
}


def check_pacing(pacing, name: str = "pacing") -> tuple[float, float] | None:
    """Return the baby-steps pacing as None or a pair ``(g0, f)`` with ``0 < g0, f <= 1``."""
    if pacing is None:
        return None
    try:
        g0, f = (float(v) for v in pacing)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be None or a pair (g0, f), got {pacing!r}.") from None
    if not (0.0 < g0 <= 1.0 and 0.0 < f <= 1.0):
        raise ValueError(f"{name} (g0, f) needs 0 < g0 <= 1 (starting fraction) and 0 < f <= 1 "
                         f"(fraction of the epochs until all data are used), got {pacing!r}.")
    return g0, f


#: Constraints of the schedule parameters, shared by :func:`xi_schedule` and the estimator.
TEACHER_WEIGHT = FRACTION
SCHEDULE = [Options(*SCHEDULES), InstanceOf(Callable, "a callable s(u) on [0, 1]")]
PACING = [Converter(check_pacing, "None or a pair (g0, f)")]


@validate_params({
    "n_epochs": [POSITIVE_INT],
    "xi_start": [TEACHER_WEIGHT],
    "xi_end": [TEACHER_WEIGHT],
    "schedule": SCHEDULE,
})
def xi_schedule(n_epochs: int, xi_start: float = 0.1, xi_end: float = 0.9,
                schedule="linear") -> np.ndarray:
    r"""Teacher weight of every epoch, ``xi(e) = xi_0 + (xi_1 - xi_0) s(e / (E - 1))``.

    ``xi`` weights the TEACHER term of the distillation loss
    ``xi T^2 KL(q(v;T) || q(z;T)) + (1 - xi) CE(y, q(z;1))`` (the paper's "alpha").

    Parameters
    ----------
    n_epochs : int
        ``E >= 1`` (with ``E = 1`` the single epoch has ``u = 0``).
    xi_start, xi_end : float in [0, 1]
        ``xi_0`` and ``xi_1``. A weight outside ``[0, 1]`` would give one of the two cross-entropy
        terms a negative weight, and the loss would be unbounded below.
    schedule : {"linear", "cosine", "step", "constant"} or callable
        The shape ``s`` on ``[0, 1]``; ``"constant"`` keeps ``xi_start`` throughout. A callable
        receives the array of ``u`` values and must return finite values of the same shape.

    Returns
    -------
    ndarray of shape (n_epochs,)
        Monotone from ``xi_start`` to ``xi_end`` for the named non-constant shapes.
    """
    u = np.arange(n_epochs) / max(n_epochs - 1, 1)
    shape = (schedule if callable(schedule) else _SHAPES[schedule])(u)
    shape = np.asarray(shape, dtype=np.float64)
    if shape.shape != u.shape or not np.all(np.isfinite(shape)):
        raise ValueError("a schedule function must return one finite value per epoch.")
    xis = xi_start + (xi_end - xi_start) * shape
    if np.any(xis < 0.0) or np.any(xis > 1.0):
        raise ValueError("the schedule leaves [0, 1] (the shape s(u) must stay in [0, 1]).")
    return xis


@validate_params({"n_epochs": [POSITIVE_INT], "pacing": PACING})
def pacing_fractions(n_epochs: int, pacing) -> np.ndarray:
    """Fraction of the training set visible in every epoch (baby steps).

    Parameters
    ----------
    n_epochs : int
        Number of epochs ``E``.
    pacing : None or (g0, f)
        ``None``: the whole set every epoch. ``(g0, f)`` with ``0 < g0 <= 1`` and ``0 < f <= 1``:
        ``g(e) = min(1, g0 + (1 - g0) e / (f E))``.

    Returns
    -------
    ndarray of shape (n_epochs,)
        Non-decreasing, starts at ``g0``, equals 1 from epoch ``f E`` on.
    """
    if pacing is None:
        return np.ones(n_epochs)
    g0, f = pacing
    return np.minimum(1.0, g0 + (1.0 - g0) * np.arange(n_epochs) / (f * n_epochs))


@validate_params({"kind": [Options(*DIFFICULTIES)]})
def teacher_difficulty(proba: np.ndarray, y_index: np.ndarray, kind: str = "teacher_ce"):
    r"""Difficulty of each training sample for the teacher (higher = harder).

    Parameters
    ----------
    proba : ndarray of shape (n, K)
        Teacher probabilities on the training samples.
    y_index : ndarray of shape (n,)
        Column of the true class of each sample.
    kind : {"teacher_ce", "teacher_margin", "teacher_confidence"}
        ``teacher_ce``: ``-log p_T(y|x)`` (probabilities floored at 1e-300);
        ``teacher_margin``: ``max_{k != y} p_T(k|x) - p_T(y|x)``;
        ``teacher_confidence``: ``1 - max_k p_T(k|x)`` (ignores the label).

    Returns
    -------
    ndarray of shape (n,)
    """
    proba = np.asarray(proba, dtype=np.float64)
    y_index = np.asarray(y_index)
    rows = np.arange(proba.shape[0])
    p_true = proba[rows, y_index]
    if kind == "teacher_ce":
        return -np.log(np.maximum(p_true, 1e-300))
    if kind == "teacher_margin":
        others = proba.copy()
        others[rows, y_index] = -np.inf
        return others.max(axis=1) - p_true
    return 1.0 - proba.max(axis=1)  # teacher_confidence


@validate_params({"curriculum": [Options(*CURRICULA)], "random_state": [RandomState()]})
def curriculum_order(difficulty: np.ndarray, curriculum: str = "easy_to_hard",
                     random_state=None) -> np.ndarray:
    """Presentation order of the samples: a permutation of ``range(n)``.

    Parameters
    ----------
    difficulty : array-like of shape (n,)
        Difficulty of every sample (higher = harder), e.g. :func:`teacher_difficulty`.
    curriculum : {"easy_to_hard", "hard_to_easy", "random"}, default="easy_to_hard"
        ``easy_to_hard`` sorts by increasing difficulty, ``hard_to_easy`` by decreasing
        difficulty (both stable: ties keep the sample order); ``random`` is a permutation drawn
        from ``random_state`` (the control that keeps any pacing but removes the teacher's
        ranking).
    random_state : int, RandomState or None, default=None
        Only used by ``random``.

    Returns
    -------
    ndarray of int, shape (n,)
    """
    difficulty = np.asarray(difficulty, dtype=np.float64)
    if curriculum == "easy_to_hard":
        return np.argsort(difficulty, kind="stable")
    if curriculum == "hard_to_easy":
        return np.argsort(-difficulty, kind="stable")
    return check_random_state(random_state).permutation(difficulty.shape[0])  # random
