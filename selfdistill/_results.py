"""Fitted attributes of the CV estimators: the selection, ``cv_results_`` and the report hook.

The attributes a selection needs (``alpha_``, ``n_steps_``, ``xi_``, ``coef_``, ...) are set by
``fit``. Those that only *report* on the candidates (``cv_results_``, ``best_by_steps_``) are
computed on first access from a small :class:`TuningRecord` kept by ``fit`` (issue 9: at 10^4 x
20 they cost about a seventh of the whole fit) and then cached like ordinary attributes; the
record holds the candidates and the decomposition without its rows, so the fitted estimator
pickles small and ``clone`` is unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._realise import per_step_xi_many, realise
from ._tuning import gcv_candidates


@dataclass
class TuningRecord:
    """What the reported attributes are computed from on first access (picklable, no rows).

    ``status[i]``: why candidate i could not be selected ("" when it could; a rejection in a fold
    is worded by ``str`` on first report, see :class:`~selfdistill._crossfit.FoldReason`); ``selected``: the
    index of the selected candidate; ``problem``: the decomposition without its rows (its
    ``model(h)`` gives coefficients), None where the estimator reports no models per k.
    """

    candidates: Sequence  # a list, or the crossfit refits built on demand
    status: list
    selected: int
    tuning: str
    one_shot: str
    alphas: np.ndarray
    steps: list
    smoother: object
    problem: object = None


class reported:
    """A fitted attribute computed by ``compute(record)`` from ``_tuning_record`` on first access.

    A non-data descriptor: the value is then cached in the instance's ``__dict__`` (an ordinary
    attribute from then on, pickled with it); ``fit`` drops the cache. Unfitted: AttributeError,
    so ``hasattr`` and ``check_is_fitted(est, name)`` behave as for an eager attribute.
    """

    def __init__(self, compute):
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        record = obj.__dict__.get("_tuning_record")
        if record is None:
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r} (not fitted)")
        value = obj.__dict__[self.name] = self.compute(record)
        return value


REPORTED = ("cv_results_", "best_by_steps_")


def store_tuning_results(est, outcome) -> None:
    """``alpha_``, ``n_steps_``, ``xi_``, ``xibar_``, ``best_score_``, notes, and the record of
    the reported attributes (``cv_results_``, ``best_by_steps_``)."""
    selection = outcome.selection
    best = selection.candidate
    est.alpha_ = best.alpha
    est.n_steps_ = best.n_steps
    est.xibar_ = best.xibar
    est.xi_ = selection.realised.xi
    est.best_score_ = -selection.score
    est.noise_var_ = outcome.noise_var
    est.tuning_notes_ = list(selection.notes)
    candidates, params = outcome.candidates, outcome.params
    compact = outcome.problem.without_rows() if hasattr(outcome.problem, "without_rows") else None
    sm = compact.smoother if compact is not None else replace(
        outcome.problem.smoother, left=None, y_tilde=None, root_w=None, val_map=None, y_val=None)
    est._tuning_record = TuningRecord(
        candidates,
        [selection.status.get(i, "") for i in range(len(candidates))],  # by index: crossfit's are built on demand
        selection.column,
        params.tuning, params.one_shot, np.asarray(params.alphas, dtype=float),
        [int(k) for k in params.steps],
        sm,
        compact,
    )
    for name in REPORTED:
        est.__dict__.pop(name, None)
    est.one_shot_identity_ = one_shot_identity(candidates) if params.tuning == "gcv" else None


def cv_results_from(record: TuningRecord) -> dict:
    """One entry per candidate, as arrays (object arrays for xi/xibar); ``status`` says why a
    candidate could not be selected ("" when it could)."""
    candidates, tuning = record.candidates, record.tuning
    mse = np.array([c.mse for c in candidates])
    order = np.argsort(np.where(np.isnan(mse), np.inf, mse), kind="stable")
    rank = np.empty(mse.size, dtype=int)
    rank[order] = np.arange(1, mse.size + 1)
    results = {
        "alpha": np.array([c.alpha for c in candidates]),
        "n_steps": np.array([c.n_steps for c in candidates]),
        "mse": mse,
        "score": -mse,
        "rank": rank,
        "xibar": _object_array([c.xibar for c in candidates]),
        "xi": _object_array(per_step_xi_many([c.xibar for c in candidates])),
        "status": np.array(record.status, dtype=str),
        "selected": np.arange(len(candidates)) == record.selected,
    }
    if tuning in ("gcv", "crossfit"):
        extras = _one_shot_extras(record)
        for key in ("mse_ridge_path", "mse_gcv_paper"):
            results[key] = np.array([e.get(key, np.inf) for e in extras])
        for key in ("xibar_ridge_path", "xibar_gcv_paper"):
            results[key] = _object_array([e.get(key, np.zeros(c.n_steps)) for e, c in zip(extras, candidates, strict=True)])
    return results


def _one_shot_extras(record: TuningRecord) -> list[dict]:
    """Both one-shot GCV estimates of every candidate; the refits of ``crossfit`` solved only the
    selected estimator, the other one is solved here, on first access to ``cv_results_``."""
    extras = [c.extra for c in record.candidates]
    if record.tuning != "crossfit" or not extras or {"mse_ridge_path", "mse_gcv_paper"} <= extras[0].keys():
        return extras
    both = gcv_candidates(record.smoother, record.alphas, max(record.steps), record.one_shot)
    n_grid = len(record.alphas) * len(record.steps)
    return [{**both[col // len(record.steps)][c.n_steps].extra, **c.extra} if col < n_grid else c.extra
            for col, c in enumerate(record.candidates)]


def best_by_steps_from(record: TuningRecord) -> dict:
    """``best_by_steps_``: the best candidate per k that is realisable in float64 (``crossfit``:
    only eligible ones), with its coefficients."""
    # crossfit: only its eligible candidates; other criteria: the criterion's best per k that
    # is realisable in float64 (statistical vetting not applied: reproduces e.g. the paper's
    # validation protocol per k; "status" says whether the selection would have rejected it)
    sm, problem = record.smoother, record.problem
    vetted = record.tuning == "crossfit"
    out = {}
    order = sorted(range(len(record.candidates)),
                   key=lambda i: (record.candidates[i].mse, -record.candidates[i].alpha))
    for i in order:
        cand, status = record.candidates[i], record.status[i]
        if cand.n_steps in out or not np.isfinite(cand.mse) or (vetted and status):
            continue
        a_k, t_k = sm.shrinkage(cand.alpha)
        real = realise(a_k, t_k, cand.u, cand.xibar, sm.z, sm.ell)
        if not real.ok:
            continue
        out[cand.n_steps] = {
            "alpha": cand.alpha, "xi": real.xi, "xibar": cand.xibar, "mse": cand.mse, "status": str(status),
            **{key.rstrip("_"): value for key, value in problem.model(real.h).items()},
        }
    return dict(sorted(out.items()))


def one_shot_identity(candidates) -> dict | None:
    """Check the exact identity between the two one-shot GCV estimators (Follow-ups §2.6).

    For every 1-step candidate: the optimal risks agree, and
    ``xi_gcv_paper / xi_ridge_path = (1 - df_2) / (1 - df_1)``. Returns the largest relative
    deviations (machine precision when the identity holds), or None without 1-step candidates
    (or when every risk is 0, e.g. a constant target, where there is nothing to compare).
    """
    risk_dev, ratio_dev = 0.0, 0.0
    checked = 0
    for c in candidates:
        if c.n_steps != 1 or not np.isfinite(c.extra.get("mse_ridge_path", np.inf)):
            continue
        e = c.extra
        scale = abs(e["mse_ridge_path"])
        if scale == 0.0:
            continue
        risk_dev = max(risk_dev, abs(e["mse_gcv_paper"] - e["mse_ridge_path"]) / scale)
        xi_rp, xi_gp = e["xibar_ridge_path"][0], e["xibar_gcv_paper"][0]
        if xi_rp != 0.0:
            expected = (1 - e["df2"]) / (1 - e["df1"])
            ratio_dev = max(ratio_dev, abs(xi_gp / xi_rp / expected - 1.0))
        checked += 1
    if not checked:
        return None
    return {"n_candidates": checked, "max_rel_risk_difference": float(risk_dev),
            "max_rel_xi_ratio_error": float(ratio_dev)}


class TunedMixin:
    """Adds :meth:`report` to the CV estimators."""

    def report(self):
        """A :class:`~selfdistill.report.TuningReport` of every candidate (table, summary, plot)."""
        from .report import TuningReport

        check_is_fitted(self, "cv_results_")
        return TuningReport.from_estimator(self)

    cv_results_ = reported(cv_results_from)


def _object_array(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out
