"""Fitted attributes of the CV estimators: the selection, ``cv_results_`` and the report hook."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._realise import per_step_xi_many


class TunedMixin:
    """Adds :meth:`report` to the CV estimators."""

    def report(self):
        """A :class:`~selfdistill.report.TuningReport` of every candidate (table, summary, plot)."""
        from .report import TuningReport

        check_is_fitted(self, "cv_results_")
        return TuningReport.from_estimator(self)


def store_tuning_results(est, outcome) -> None:
    """``alpha_``, ``n_steps_``, ``xi_``, ``xibar_``, ``best_score_``, ``cv_results_``, notes."""
    selection = outcome.selection
    best = selection.candidate
    est.alpha_ = best.alpha
    est.n_steps_ = best.n_steps
    est.xibar_ = best.xibar
    est.xi_ = selection.realised.xi
    est.best_score_ = -selection.score
    est.noise_var_ = outcome.noise_var
    est.tuning_notes_ = list(selection.notes)
    est.cv_results_ = cv_results_from(outcome.candidates, outcome.params.tuning, selection)
    est.one_shot_identity_ = (
        one_shot_identity(outcome.candidates) if outcome.params.tuning == "gcv" else None
    )


def cv_results_from(candidates, tuning: str, selection) -> dict:
    """One entry per candidate, as arrays (object arrays for xi/xibar); ``status`` says why a
    candidate could not be selected ("" when it could)."""
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
        "status": np.array([selection.status.get(id(c), "") for c in candidates], dtype=str),
        "selected": np.array([c is selection.candidate for c in candidates]),
    }
    if tuning in ("gcv", "crossfit"):
        for key in ("mse_ridge_path", "mse_gcv_paper"):
            results[key] = np.array([c.extra.get(key, np.inf) for c in candidates])
        for key in ("xibar_ridge_path", "xibar_gcv_paper"):
            results[key] = _object_array([c.extra.get(key, np.zeros(c.n_steps)) for c in candidates])
    return results


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


def _object_array(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out
