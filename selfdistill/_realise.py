"""Stage 5 of the tuning pipeline: the model a user actually gets from a scored candidate.

The criteria score a candidate in their own well-conditioned basis (the filter deviation ``u``
of :mod:`selfdistill._tuning`). The estimator a user can rebuild is the sequential procedure with
per-step ``xi`` (``SelfDistilledRidge(alpha_, xi_)``). :func:`realise` converts the candidate to
per-step xi, runs the cancellation-free recursion ``d_i = xi_i (t + a d_{i-1})`` and compares the
realised filter with the scored one. When the per-step form does not exist or does not reproduce
the scored filter to ``REALISE_RTOL`` (huge xi: the polynomial's coefficients cancel in float64),
the candidate is *unrealisable* and must not be selected (issue 9: the realised model was not the
candidate the criterion scored, e.g. xi ~ 1e13 on raw air-quality data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _filters

#: Largest relative difference between the scored and the realised filter's fitted values and
#: coefficients (each weighted by the targets' spectral coordinates) accepted as "the same model".
REALISE_RTOL = 1e-6


@dataclass
class Realised:
    """A candidate turned into the sequential procedure: per-step xi and its filter."""

    xi: np.ndarray | None
    h: np.ndarray | None
    one_minus_h: np.ndarray | None
    error: float
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def step_filters(a: np.ndarray, t: np.ndarray, xi: np.ndarray) -> list[np.ndarray]:
    """Filters ``h`` of the teacher and of each of the k students (k + 1 arrays)."""
    d = np.zeros_like(a)
    filters = [a.copy()]
    for value in xi:
        d = value * (t + a * d)
        filters.append(_filters.filter_from_deviation(a, t, d)[0])
    return filters


def per_step_xi(xibar: np.ndarray) -> np.ndarray | None:
    """Per-step xi for ``xibar``, or None when no finite per-step form exists."""
    try:
        xi = _filters.xibar_to_xi(xibar)
    except (ValueError, OverflowError, FloatingPointError):
        return None
    if xi is None or not np.all(np.isfinite(xi)):
        return None
    return np.asarray(xi, dtype=np.float64)


def per_step_xi_many(xibars: list[np.ndarray]) -> list[np.ndarray | None]:
    """:func:`per_step_xi` of many candidates: ``xi_k = S_1``, ``xi_{k-q+1} = S_q / S_{q-1}`` for
    the tail sums S, vectorised over the candidates with the same k; a candidate with a zero or
    non-finite tail sum takes the scalar path (which handles those cases)."""
    out: list[np.ndarray | None] = [None] * len(xibars)
    by_k: dict[int, list[int]] = {}
    for index, xibar in enumerate(xibars):
        by_k.setdefault(np.size(xibar), []).append(index)
    for k, indices in by_k.items():
        rows = np.array([np.asarray(xibars[i], dtype=np.float64).reshape(k) for i in indices]).reshape(len(indices), k)
        tails = np.cumsum(rows[:, ::-1], axis=1)[:, ::-1]
        xi = np.zeros_like(rows)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if k:
                xi[:, k - 1] = tails[:, 0]
                xi[:, : k - 1] = tails[:, 1:][:, ::-1] / tails[:, :-1][:, ::-1]
        simple = np.all(np.isfinite(rows), axis=1) & np.all(tails[:, :-1] != 0.0, axis=1) \
            & np.all(np.isfinite(xi), axis=1)
        for position, index in enumerate(indices):
            out[index] = xi[position] if simple[position] else per_step_xi(xibars[index])
    return out


def realise(a: np.ndarray, t: np.ndarray, u: np.ndarray, xibar: np.ndarray, z: np.ndarray,
            ell: np.ndarray) -> Realised:
    """Realise a candidate (scored filter ``a - u``, parameters ``xibar``) as per-step SD.

    The relative error is measured on the fitted values (weights ``|z|``) and on the coefficients
    (weights ``|z| / sqrt(ell)``), whichever is larger.
    """
    if xibar.size == 0:
        return Realised(np.zeros(0), a.copy(), t.copy(), 0.0)
    xi = per_step_xi(xibar)
    if xi is None:
        return Realised(None, None, None, np.inf, "no finite per-step xi")
    with np.errstate(over="ignore", invalid="ignore"):
        d = _filters.deviation_from_xi(a, t, xi)
        h, one_minus_h = _filters.filter_from_deviation(a, t, d)
        if not (np.all(np.isfinite(h)) and np.all(np.isfinite(one_minus_h))):
            return Realised(xi, None, None, np.inf, "per-step xi overflow the filter")
        zn = np.sqrt(np.sum(z**2, axis=1))
        diff = np.abs(a - u - h)
        error = 0.0
        for weight in (zn, zn / np.sqrt(np.where(ell > 0, ell, 1.0))):
            scale = np.linalg.norm((a - u) * weight)
            if scale > 0:
                error = max(error, float(np.linalg.norm(diff * weight) / scale))
            elif np.linalg.norm(diff * weight) > 0:
                error = np.inf
    if not error <= REALISE_RTOL:
        return Realised(xi, h, one_minus_h, error,
                        f"per-step xi reproduce the scored filter only to {error:.1e} (max |xi| "
                        f"{np.max(np.abs(xi)):.3g})")
    return Realised(xi, h, one_minus_h, error)
