"""Targets for distillation: label encoding, probability matrices, soft targets, the BAN controls.

- :func:`encode_targets` turns hard labels or a probability matrix into an (n, K) target matrix.
- :func:`soften` is the teacher's tempered softmax ``q(v; T)`` from its probabilities.
- :func:`dkpp_permute` is Furlanello et al.'s "dark knowledge with permuted predictions".
- :func:`cwtm_weights` is their "confidence weighted by teacher max" sample weighting.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import softmax
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets

from .._validation import (
    POSITIVE,
    Converter,
    RandomState,
    check_sample_weight,
    validate_params,
)

#: Rows of a probability matrix must sum to 1 within this absolute tolerance.
ROW_SUM_ATOL = 1e-6


#: The distillation temperature ``T`` of every table and function of :mod:`selfdistill.kd`.
TEMPERATURE = POSITIVE


def require_xi_in_unit_interval(xi: float, reason: str) -> float:
    """Refuse a teacher weight outside [0, 1] where it would make the objective ill-posed.

    ``xi`` outside [0, 1] is legitimate where the objective stays convex (Das & Sanghavi 2023
    find ``xi > 1`` optimal under heavy label noise); ``reason`` says why it is refused here.
    """
    if not 0.0 <= xi <= 1.0:
        raise ValueError(f"xi must lie in [0, 1] here, got {xi}: {reason}")
    return xi


def check_probability_matrix(P, n_samples: int, n_classes: int | None, name: str) -> np.ndarray:
    """Return ``P`` as a float64 (n_samples, n_classes) matrix of probabilities (rows sum to 1)."""
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != n_samples or (n_classes is not None and P.shape[1] != n_classes):
        expected = f"({n_samples}, {n_classes if n_classes is not None else 'n_classes'})"
        raise ValueError(f"{name} must have shape {expected}, got {P.shape}.")
    if not np.all(np.isfinite(P)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if np.any(P < 0):
        raise ValueError(f"{name} has negative entries; a probability matrix must be >= 0.")
    row_sums = P.sum(axis=1)
    worst = float(np.max(np.abs(row_sums - 1.0))) if n_samples else 0.0
    if worst > ROW_SUM_ATOL:
        raise ValueError(
            f"every row of {name} must sum to 1 (a probability distribution over the classes); "
            f"the worst row is off by {worst:.3g}. Normalise the rows (P / P.sum(axis=1, "
            "keepdims=True)) or pass hard labels as a 1-D array."
        )
    return P / row_sums[:, None]


def encode_labels(y, classes: np.ndarray) -> np.ndarray:
    """Return the column index in ``classes`` of every label in ``y`` (ValueError if unknown)."""
    sorter = np.argsort(classes, kind="stable")
    pos = np.searchsorted(classes, y, sorter=sorter)
    idx = sorter[np.minimum(pos, len(classes) - 1)]
    unknown = classes[idx] != y
    if np.any(unknown):
        missing = np.unique(np.asarray(y)[unknown])
        raise ValueError(
            f"y contains labels {missing.tolist()} that are not among the classes "
            f"{classes.tolist()}; pass classes that include every label."
        )
    return idx


def check_classes(classes) -> np.ndarray:
    """Return ``classes`` as a 1-D array of distinct labels."""
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.size == 0:
        raise ValueError(f"classes must be a non-empty 1-D sequence, got shape {classes.shape}.")
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes must be distinct, got {classes.tolist()}.")
    return classes


def encode_targets(y, classes=None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes_, P)``: the class labels and the (n_samples, n_classes) target matrix.

    ``y`` is either hard labels of shape (n_samples,) -- one-hot rows in the order of ``classes``
    (default: the sorted distinct labels) -- or a probability matrix of shape
    (n_samples, n_classes) with ``n_classes >= 2`` whose columns follow ``classes`` (default
    ``0..n_classes-1``). A column vector (n_samples, 1) is read as labels, with a warning, as
    sklearn does.
    """
    y_arr = np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape "
            "of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y_arr = y_arr.ravel()
    if y_arr.ndim == 2:
        P = check_probability_matrix(y_arr, len(y_arr), None, "y (probability matrix)")
        if classes is None:
            classes = np.arange(P.shape[1])
        classes = check_classes(classes)
        if len(classes) != P.shape[1]:
            raise ValueError(
                f"y has {P.shape[1]} columns but {len(classes)} classes were given; "
                "give one class label per column."
            )
        return classes, P
    if y_arr.ndim != 1:
        raise ValueError(f"y must be 1-D labels or a 2-D probability matrix, got shape {y_arr.shape}.")
    check_classification_targets(y_arr)
    classes = np.unique(y_arr) if classes is None else check_classes(classes)
    P = np.zeros((len(y_arr), len(classes)))
    P[np.arange(len(y_arr)), encode_labels(y_arr, classes)] = 1.0
    return classes, P


@validate_params({"temperature": [TEMPERATURE]})
def soften(proba, temperature: float) -> np.ndarray:
    """Teacher soft targets ``q(v; T)`` from the teacher's ordinary (T = 1) probabilities.

    A classifier's logits ``v`` are only defined up to a per-row constant, and
    ``log predict_proba = v - logsumexp(v)`` is one valid choice, so for any classifier with
    ``predict_proba``::

        q(v; T) = softmax(log p / T) = p ** (1 / T) / sum_k p_k ** (1 / T)

    exactly. Zero probabilities stay zero at every temperature.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities at temperature 1 (rows sum to 1, entries >= 0).
    temperature : float
        ``T > 0``; ``T > 1`` flattens the distribution, ``T < 1`` sharpens it.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The softened probabilities; rows sum to 1.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(
            f"proba must be a 2-D (n_samples, n_classes) probability matrix, got shape {proba.shape}."
        )
    if not np.all(np.isfinite(proba)) or np.any(proba < 0) or np.any(proba.sum(axis=1) <= 0):
        raise ValueError(
            "proba must hold finite, non-negative probabilities with a positive sum in every row "
            "(the teacher's predict_proba output); check the teacher for NaN predictions."
        )
    with np.errstate(divide="ignore"):  # log(0) = -inf is the intended "impossible class"
        log_p = np.log(proba)
    return softmax(log_p / temperature, axis=1)


@validate_params({"random_state": [RandomState()]})
def dkpp_permute(proba, random_state=None) -> np.ndarray:
    """Dark knowledge with permuted predictions (DKPP; Furlanello et al. 2018).

    In every row the arg-max entry stays where it is and the remaining (non-max) probabilities
    are randomly permuted among the remaining columns (an independent permutation per row). This
    keeps each row's confidence profile -- the max value and the multiset of the other values --
    but destroys which classes the teacher finds similar. Ties for the max go to the first column
    (``np.argmax``).

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Teacher probabilities.
    random_state : int, RandomState or None
        Source of the permutations.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The permuted probabilities (rows still sum to 1).
    """
    proba = np.asarray(proba, dtype=np.float64)
    rng = check_random_state(random_state)
    n, k = proba.shape
    top = np.argmax(proba, axis=1)
    others = np.array([np.delete(np.arange(k), j) for j in range(k)])[top]  # (n, k - 1) columns
    # argsort of uniform noise = one independent uniform permutation per row
    shuffled = np.take_along_axis(others, np.argsort(rng.random_sample((n, k - 1)), axis=1), axis=1)
    out = proba.copy()
    rows = np.arange(n)[:, None]
    out[rows, shuffled] = proba[rows, others]
    return out


def _probability_rows(P, name: str) -> np.ndarray:
    """Converter: any number of rows of class probabilities (see check_probability_matrix)."""
    return check_probability_matrix(P, np.shape(P)[0] if np.ndim(P) else -1, None, name)


@validate_params({"proba": [Converter(_probability_rows, "a (n_samples, n_classes) probability matrix")]})
def cwtm_weights(proba, sample_weight=None) -> np.ndarray:
    """Confidence-weighted-by-teacher-max weights (CWTM; Furlanello et al. 2018).

    ``w_i = s_i max_k p_ik / sum_u s_u max_k p_uk``: each sample's weight is the teacher's
    confidence in its top class, normalised over the whole training set (the paper normalises
    over a mini-batch; here the batch is the full training set). The weights sum to 1.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Teacher probabilities.
    sample_weight : array-like of shape (n_samples,), default=None
        Prior sample weights ``s_i`` (unit weights when None).

    Returns
    -------
    ndarray of shape (n_samples,)
        The weights ``w_i`` (they sum to 1).
    """
    confidence = np.max(proba, axis=1)
    sample_weight = check_sample_weight(sample_weight, proba.shape[0])
    if sample_weight is not None:
        confidence = confidence * sample_weight
    return confidence / np.sum(confidence)
