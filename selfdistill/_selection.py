"""Stage 4 of the tuning pipeline: choose a candidate honestly, and only one that can be realised.

Two selectors:

* :func:`select_by_criterion` (``gcv``, ``loo``, ``cp``, ``validation``): the lowest criterion
  wins (ties: fewer steps, then larger alpha) -- *among the candidates that pass* :func:`vet`:
  realisable in float64 as per-step xi (:mod:`selfdistill._realise`), degrees of freedom
  ``p0 + sum(h)`` in ``[0, n)`` (except under ``validation``, which does not use them), not wildly optimistic (an in-sample criterion below half the
  plain GCV of the same realised filter), and re-scored from the realised filter/xi to the
  scored value (``RESCORE_RTOL``). A rejected optimum falls back to the next candidate, with a
  :class:`~selfdistill.exceptions.TuningFallbackWarning` and an entry in ``cv_results_["status"]``.
* :func:`select_by_crossfit` (the default): (alpha, k) by cross-fitted held-out error with a
  one-standard-error preference for fewer steps (see :mod:`selfdistill._crossfit`).

:func:`warn_on_boundary` then says what is wrong with an edge choice; it never advises more steps
or more extreme penalties for a choice that is unstable.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._realise import Realised, realise
from ._tuning import Candidate, SpectralSmoother, criterion_of_realised
from .exceptions import GridBoundaryWarning, TuningFallbackWarning

#: An in-sample criterion (gcv, loo, cp) below this share of the plain GCV of the same realised
#: filter, ``RSS(h) / n / (1 - df(h) / n)^2``, is "wildly optimistic" and disqualifies the candidate.
OPTIMISM_FACTOR = 0.5
#: The realised model's criterion must equal the scored one to this relative tolerance.
RESCORE_RTOL = 1e-6
#: A realised filter value outside ``[-FILTER_SLACK, 1 + FILTER_SLACK]`` disqualifies a candidate.
#: Per direction the fixed-design risk ``(1 - h)^2 (s theta)^2 + h^2 sigma^2`` of a filter value
#: above 1 exceeds that of ``h = 1`` (OLS) and of a negative one that of ``h = 0``, whatever theta
#: and sigma: such values are inadmissible, and far outside [0, 1] they mark xi that fit noise
#: (issue 9: |xi| ~ 1e3 .. 1e14 with test MSE 1.5-3.5x ridge's). The slack leaves room for the
#: polynomial coupling of the directions (the oracle xi* may overshoot slightly).
FILTER_SLACK = 0.2
#: Per-step |xi| above this marks a choice as unstable in the boundary warnings.
UNSTABLE_XI = 1e3
IN_SAMPLE = ("gcv", "loo", "cp")


class NoSafeCandidate(ValueError):
    """No candidate of the grid passes :func:`vet`; carries the rejections."""

    def __init__(self, message: str, notes: list, status: dict):
        super().__init__(message)
        self.notes, self.status = notes, status


@dataclass
class Selection:
    """The selected candidate, its realisation, and what was rejected on the way."""

    candidate: Candidate
    realised: Realised
    score: float
    column: int  # the candidate's index in the list (or grid) it was selected from
    notes: list[str] = field(default_factory=list)
    status: dict = field(default_factory=dict)  # index of a rejected candidate -> the reason


def degrees_of_freedom(sm: SpectralSmoother, h: np.ndarray) -> float:
    return sm.p0 + float(np.sum(h))


def filter_reason(sm: SpectralSmoother, h: np.ndarray, check_df: bool = True) -> str:
    """Why the filter ``h`` is inadmissible ("" if it is not): values far outside [0, 1], or
    (``check_df``) degrees of freedom ``p0 + sum(h)`` outside ``[0, n)`` -- the range where GCV,
    Cp and the one-shot estimators are defined (held-out validation does not use them)."""
    bad, word = filter_verdicts(h[None, :], sm.p0, sm.n, check_df)
    return word(0) if bad[0] else ""


def filter_verdicts(h: np.ndarray, p0: int, n, check_df: bool = True):
    """:func:`filter_reason` of every row of ``h`` (one filter per row, total weight ``n``, a
    number or one per row) in one vectorised pass: ``(bad, word)``, the rejected rows and a
    :class:`FilterVerdicts` ``row -> reason`` (rows are worded only when asked)."""
    if h.shape[1] == 0:  # rank-0 design (constant columns): no direction to vet
        return np.zeros(h.shape[0], dtype=bool), _no_reason
    n = np.broadcast_to(np.asarray(n, dtype=float), h.shape[:1])
    # one row per direction: the reductions over directions then run across all filters at once
    # (reducing many 20-value rows one by one costs 4x more); min and max propagate NaN and show
    # any infinity, so they also tell which filters are finite
    by_direction = np.ascontiguousarray(h.T)
    with np.errstate(invalid="ignore"):
        low, high = np.minimum.reduce(by_direction), np.maximum.reduce(by_direction)
        finite = np.isfinite(low) & np.isfinite(high)
        df = p0 + np.add.reduce(by_direction)
        outside = (low < -FILTER_SLACK) | (high > 1.0 + FILTER_SLACK)
        bad_df = ~((df >= 0.0) & (df < n)) if check_df else np.zeros(h.shape[0], dtype=bool)
    return ~finite | outside | bad_df, FilterVerdicts(finite, outside, low, high, df, n)


@dataclass(frozen=True)
class FilterVerdicts:
    """What :func:`filter_verdicts` measured per row; ``verdicts(row)`` words why the row was
    rejected. Picklable, so a fitted estimator can word its rejections on first report
    (``cv_results_["status"]``) instead of formatting every one during ``fit``."""

    finite: np.ndarray
    outside: np.ndarray
    low: np.ndarray
    high: np.ndarray
    df: np.ndarray
    n: np.ndarray

    def __call__(self, row: int) -> str:
        if not self.finite[row]:
            return "non-finite filter"
        if self.outside[row]:
            return (f"filter values in [{self.low[row]:.3g}, {self.high[row]:.3g}], far outside [0, 1] "
                    "(inadmissible)")
        return f"degrees of freedom {self.df[row]:.4g} outside [0, n={self.n[row]:g})"


def _no_reason(row: int) -> str:
    return ""


def vet(sm: SpectralSmoother, cand: Candidate, method: str, real: Realised) -> str:
    """The reason ``cand`` may not be selected, or "" when it may."""
    if not np.isfinite(cand.mse):
        return "criterion undefined"
    if not real.ok:
        return f"unrealisable: {real.reason}"
    reason = filter_reason(sm, real.h, check_df=method != "validation") if cand.n_steps else ""
    if reason:
        return reason
    df = degrees_of_freedom(sm, real.h)
    if method in IN_SAMPLE and cand.n_steps:
        rss = float(np.sum(sm.y_perp_sq) + np.sum(sm.z**2 * (real.one_minus_h**2)[:, None]))
        plain = rss / (sm.n * sm.n_targets) / (1.0 - df / sm.n) ** 2
        if cand.mse < OPTIMISM_FACTOR * plain:
            return (f"wildly optimistic: criterion {cand.mse:.4g} < {OPTIMISM_FACTOR:g} x the plain "
                    f"GCV {plain:.4g} of the same filter")
    return ""


def _preferred(pool: list[Candidate]) -> Candidate:
    best_mse = min(c.mse for c in pool)
    tol = 1e-10 * max(abs(best_mse), np.finfo(float).tiny)
    near = [c for c in pool if c.mse <= best_mse + tol]
    return min(near, key=lambda c: (c.n_steps, -c.alpha))


def select_by_criterion(
    candidates: list[Candidate], sm: SpectralSmoother, method: str, owner: str,
    *, one_shot: str = "ridge_path", noise_var=None,
) -> Selection:
    """Lowest criterion among the candidates that pass :func:`vet` and re-score exactly."""
    pool = [c for c in candidates if np.isfinite(c.mse)]
    column = {id(c): i for i, c in enumerate(candidates)}  # rejections are reported by index
    if not pool:
        raise ValueError(
            f"{owner}: the tuning criterion is undefined for every candidate (e.g. GCV needs more "
            "samples than degrees of freedom); use more data, larger alphas or another tuning."
        )
    status: dict = {}
    notes: list[str] = []
    while pool:
        pick = _preferred(pool)
        a, t = sm.shrinkage(pick.alpha)
        real = realise(a, t, pick.u, pick.xibar, sm.z, sm.ell)
        reason = vet(sm, pick, method, real)
        score = pick.mse
        if not reason:
            score = criterion_of_realised(
                sm, method, pick.alpha, real.xi, real.h, real.one_minus_h,
                one_shot=one_shot, noise_var=noise_var,
            )
            if not abs(score - pick.mse) <= RESCORE_RTOL * abs(pick.mse) + 1e-300:
                reason = (f"the realised model's criterion {score:.8g} differs from the scored "
                          f"{pick.mse:.8g}")
        if not reason:
            return Selection(pick, real, score, column[id(pick)], notes, status)
        status[column[id(pick)]] = reason
        notes.append(f"alpha={pick.alpha:g}, n_steps={pick.n_steps}: {reason}")
        pool.remove(pick)
    raise NoSafeCandidate(
        f"{owner}: no candidate can be selected safely ({len(notes)} rejected; first: {notes[0]}). "
        "Include n_steps=0 (ridge) or larger alphas.", notes, status,
    )


def warn_fallback(owner: str, selection: Selection, method: str) -> None:
    if not selection.notes:
        return
    best = selection.candidate
    more = f" (and {len(selection.notes) - 1} more rejected)" if len(selection.notes) > 1 else ""
    warnings.warn(
        f"{owner}: the {method} optimum was rejected -- {selection.notes[0]}{more}; fell back to "
        f"alpha={best.alpha:g}, n_steps={best.n_steps} (criterion {selection.score:.6g}). "
        "cv_results_['status'] and report() list every rejection.",
        TuningFallbackWarning,
        stacklevel=4,
    )


def warn_on_boundary(owner: str, selection: Selection, candidates: list[Candidate],
                     alphas: np.ndarray, steps: np.ndarray, method: str) -> None:
    """Warn (:class:`GridBoundaryWarning`) about an edge choice, saying what is actually wrong."""
    best, real = selection.candidate, selection.realised
    xi_max = float(np.max(np.abs(real.xi))) if real.xi is not None and real.xi.size else 0.0
    unstable = xi_max > UNSTABLE_XI
    on_alpha_edge = alphas.size > 1 and best.alpha in (alphas.min(), alphas.max())
    on_step_edge = steps.size > 1 and best.n_steps == steps.max() and best.n_steps > 0
    if unstable and (on_alpha_edge or on_step_edge):
        warnings.warn(
            f"{owner}: the selected alpha={best.alpha:g}, n_steps={best.n_steps} lies on the edge "
            f"of the grid with per-step |xi| up to {xi_max:.3g}: an unstable, probably overfitted "
            "choice (large xi undo the penalty). Do not extend the grid towards it; prefer "
            "tuning='crossfit', fewer steps or larger alphas.",
            GridBoundaryWarning,
            stacklevel=4,
        )
        return
    if on_alpha_edge:
        side = "smallest" if best.alpha == alphas.min() else "largest"
        warnings.warn(
            f"{owner}: the selected alpha={best.alpha:g} is the {side} value of the grid; the "
            "optimum may lie outside it. Extend `alphas`.",
            GridBoundaryWarning,
            stacklevel=4,
        )
    if on_step_edge and method in IN_SAMPLE + ("validation",):
        previous = [c for c in candidates if c.alpha == best.alpha and c.n_steps == steps[-2]]
        if previous and previous[0].mse > best.mse * (1 + 1e-3):
            warnings.warn(
                f"{owner}: the selected n_steps={best.n_steps} is the largest of the grid, but "
                f"'{method}' is optimistic in k (xi is fitted to the same criterion), so this does "
                "not show that more steps help; compare k honestly with tuning='crossfit'.",
                GridBoundaryWarning,
                stacklevel=4,
            )


def one_standard_error_choice(errors: np.ndarray, row_weight: np.ndarray, by_k: list[int],
                              best: int, multiplier: float = 1.0) -> int:
    """First of ``by_k`` (one column per k, fewest steps first) within ``multiplier`` SE of ``best``.

    ``errors`` holds per-row held-out squared errors (rows weighted by ``row_weight``, summed over
    targets), one column per candidate. The standard error is that of the weighted mean *paired*
    difference with the best candidate over the held-out rows (a ratio estimator:
    ``sqrt(sum_i (d_i - w_i m)^2) / W``; ``std / sqrt(n)`` for unit weights).
    """
    total = float(row_weight.sum())
    for col in by_k:
        diff = errors[:, col] - errors[:, best]
        gap = float(diff.sum()) / total
        se = float(np.sqrt(np.sum((diff - row_weight * gap) ** 2))) / total
        if gap <= multiplier * se:
            return col
    return best
