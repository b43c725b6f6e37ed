"""Shared plumbing of the self-distillation estimators (validation, spectral smoother, selection)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _filters
from ._spectral import SpectralDesign
from ._tuning import ONE_SHOT_METHODS, TUNING_METHODS, Candidate, SpectralSmoother
from ._validation import (
    check_alpha,
    check_alpha_grid,
    check_n_steps_grid,
    check_noise_var,
    check_xi,
)
from .exceptions import GridBoundaryWarning


def check_common_cv_params(est) -> tuple[np.ndarray, np.ndarray]:
    """Validate the parameters shared by the CV estimators; return (alphas, steps)."""
    alphas = check_alpha_grid(est.alphas, "alphas")
    steps = check_n_steps_grid(est.n_steps, "n_steps")
    if est.tuning not in TUNING_METHODS:
        raise ValueError(f"tuning must be one of {TUNING_METHODS}, got {est.tuning!r}.")
    if est.one_shot not in ONE_SHOT_METHODS:
        raise ValueError(f"one_shot must be one of {ONE_SHOT_METHODS}, got {est.one_shot!r}.")
    if not 0.0 < float(est.validation_fraction) < 1.0:
        raise ValueError(
            f"validation_fraction must be in (0, 1), got {est.validation_fraction!r}."
        )
    if est.noise_var is not None:
        check_noise_var(est.noise_var)
    return alphas, steps


def check_fixed_params(alpha, xi) -> tuple[float, np.ndarray]:
    """Validate ``alpha`` (> 0) and per-step ``xi`` (finite; a scalar means one step)."""
    return check_alpha(alpha), check_xi(xi)


def smoother_from_design(
    design: SpectralDesign, n_total: float, p0: int, y_tilde=None, root_w=None
) -> SpectralSmoother:
    """The tuning view of a linear design decomposition."""
    z = design.z
    y_perp_sq = np.maximum(design.y_sq_norm - np.sum(z**2, axis=0), 0.0)
    return SpectralSmoother(
        ell=design.singular_values**2,
        z=z,
        y_perp_sq=y_perp_sq,
        n=float(n_total),
        p0=p0,
        left=design.left,
        y_tilde=y_tilde,
        root_w=root_w,
    )


def estimate_noise_var(smoother: SpectralSmoother) -> np.ndarray:
    """Per-target OLS residual variance ``||y_perp||^2 / (n - p0 - r)`` (fixed design, for Cp)."""
    dof = smoother.n - smoother.p0 - smoother.ell.size
    if dof <= 0:
        raise ValueError(
            "tuning='cp' needs the noise variance: it cannot be estimated from the OLS residuals "
            f"because n_samples ({smoother.n:g}) <= rank + intercept "
            f"({smoother.ell.size + smoother.p0}). Pass noise_var=..."
        )
    return smoother.y_perp_sq / dof


def select_candidate(
    candidates: list[Candidate], alphas: np.ndarray, steps: np.ndarray, owner: str
) -> Candidate:
    """Lowest criterion; ties (rtol 1e-10) go to fewer steps, then to larger alpha.

    Warns (:class:`GridBoundaryWarning`) when the chosen alpha is the smallest or largest of a grid
    with several values, or when k is the largest of the grid and its last step still improved the
    criterion by more than 0.1% (the criterion never increases with k, so a flat edge is benign).
    """
    finite = [c for c in candidates if np.isfinite(c.mse)]
    if not finite:
        raise ValueError(
            f"{owner}: the tuning criterion is undefined for every candidate (e.g. GCV needs more "
            "samples than degrees of freedom); use more data, larger alphas or another tuning."
        )
    best_mse = min(c.mse for c in finite)
    tol = 1e-10 * max(abs(best_mse), np.finfo(float).tiny)
    near = [c for c in finite if c.mse <= best_mse + tol]
    best = min(near, key=lambda c: (c.n_steps, -c.alpha))
    if alphas.size > 1 and best.alpha in (alphas.min(), alphas.max()):
        side = "smallest" if best.alpha == alphas.min() else "largest"
        warnings.warn(
            f"{owner}: the selected alpha={best.alpha:g} is the {side} value of the grid; the "
            "optimum may lie outside it. Extend `alphas`.",
            GridBoundaryWarning,
            stacklevel=3,
        )
    if steps.size > 1 and best.n_steps == steps.max():
        previous = [c for c in finite if c.alpha == best.alpha and c.n_steps == steps[-2]]
        if previous and previous[0].mse > best.mse * (1 + 1e-3):
            warnings.warn(
                f"{owner}: the selected n_steps={best.n_steps} is the largest of the grid and its "
                "last step still lowered the criterion by more than 0.1%; more steps may help.",
                GridBoundaryWarning,
                stacklevel=3,
            )
    return best


def prepare_validation(est, X, y, sw, X_val, y_val):
    """Check the sample count and, under ``tuning="validation"``, split or validate held-out data.

    Returns ``(X, y, sw, X_val, y_val, sw_val)`` where the first three are the training part.
    """
    owner = type(est).__name__
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither.")
    if X_val is not None and est.tuning != "validation":
        raise ValueError(f"X_val/y_val are only used with tuning='validation', not {est.tuning!r}.")
    if X.shape[0] < 2:
        raise ValueError(
            f"{owner} needs at least 2 samples to tune, got {X.shape[0]} sample (n_samples = 1)."
        )
    if est.tuning != "validation":
        return X, y, sw, None, None, None
    if X_val is None:
        parts = train_test_split(
            X, y, *(() if sw is None else (sw,)),
            test_size=est.validation_fraction, random_state=est.random_state,
        )
        X_tr, X_va, y_tr, y_va = parts[:4]
        sw_tr, sw_va = (parts[4], parts[5]) if sw is not None else (None, None)
        return X_tr, y_tr, sw_tr, X_va, y_va, sw_va
    X_val = validate_data(est, X_val, reset=False, dtype=np.float64)
    y_val = np.asarray(y_val, dtype=np.float64)
    if y_val.shape[0] != X_val.shape[0] or y_val.ndim != y.ndim:
        raise ValueError(f"y_val must have shape {(X_val.shape[0],) + y.shape[1:]}, got {y_val.shape}.")
    if not np.all(np.isfinite(y_val)):
        raise ValueError("Input y_val contains NaN or infinity.")
    return X, y, sw, X_val, y_val, None


def noise_for_cp(est, smoother: SpectralSmoother) -> np.ndarray | None:
    """Per-target noise variance for ``tuning="cp"`` (given, or estimated); None otherwise."""
    if est.tuning != "cp":
        return None
    if est.noise_var is None:
        return estimate_noise_var(smoother)
    return np.full(smoother.n_targets, check_noise_var(est.noise_var))


def set_tuning_attributes(est, best: Candidate, candidates: list[Candidate], noise) -> None:
    """Store the selection (``alpha_``, ``n_steps_``, ``xi_``, ...) and ``cv_results_``."""
    est.alpha_ = best.alpha
    est.n_steps_ = best.n_steps
    est.xibar_ = best.xibar
    est.xi_ = xi_from_xibar(best.xibar, type(est).__name__)
    est.best_score_ = -best.mse
    est.noise_var_ = noise
    est.cv_results_ = cv_results_from(candidates, est.tuning)
    if est.tuning == "gcv":
        est.one_shot_identity_ = one_shot_identity(candidates)


def one_shot_identity(candidates: list[Candidate]) -> dict | None:
    """Check the exact identity between the two one-shot GCV estimators (followups.md 2.6).

    For every 1-step candidate: the optimal risks agree, and
    ``xi_gcv_paper / xi_ridge_path = (1 - df_2) / (1 - df_1)``. Returns the largest relative
    deviations (machine precision when the identity holds), or None without 1-step candidates.
    """
    risk_dev, ratio_dev = 0.0, 0.0
    checked = 0
    for c in candidates:
        if c.n_steps != 1 or not np.isfinite(c.mse):
            continue
        e = c.extra
        risk_dev = max(risk_dev, abs(e["mse_gcv_paper"] - e["mse_ridge_path"]) / abs(e["mse_ridge_path"]))
        xi_rp, xi_gp = e["xibar_ridge_path"][0], e["xibar_gcv_paper"][0]
        if xi_rp != 0.0:
            expected = (1 - e["df2"]) / (1 - e["df1"])
            ratio_dev = max(ratio_dev, abs(xi_gp / xi_rp / expected - 1.0))
        checked += 1
    if not checked:
        return None
    return {"n_candidates": checked, "max_rel_risk_difference": float(risk_dev), "max_rel_xi_ratio_error": float(ratio_dev)}


class TunedMixin:
    """Adds :meth:`report` to the CV estimators."""

    def report(self):
        """A :class:`~selfdistill.report.TuningReport` of every candidate (table, summary, plot)."""
        from .report import TuningReport

        check_is_fitted(self, "cv_results_")
        return TuningReport.from_estimator(self)


def best_per_step(candidates: list[Candidate]) -> dict[int, Candidate]:
    """The lowest-criterion candidate for each k (ties go to the larger alpha)."""
    best: dict[int, Candidate] = {}
    for cand in candidates:
        if not np.isfinite(cand.mse):
            continue
        current = best.get(cand.n_steps)
        if current is None or (cand.mse, -cand.alpha) < (current.mse, -current.alpha):
            best[cand.n_steps] = cand
    return dict(sorted(best.items()))


def xi_from_xibar(xibar: np.ndarray, owner: str) -> np.ndarray | None:
    """Per-step xi for reporting, or None (with a warning) when no finite xi exists."""
    try:
        return _filters.xibar_to_xi(xibar)
    except ValueError as exc:
        warnings.warn(f"{owner}: {exc} xi_ is None; xibar_ holds the selected parameters.", stacklevel=3)
        return None


def format_coef(coef: np.ndarray, y_ndim: int) -> np.ndarray:
    """Engine layout (n_features, T) -> sklearn layout ((n_features,) or (T, n_features))."""
    return coef[:, 0] if y_ndim == 1 else coef.T.copy()


def intercept_from(design: SpectralDesign, coef_ft: np.ndarray, fit_intercept: bool, y_ndim: int):
    """``y_offset - x_offset @ coef`` (0.0 without an intercept), in sklearn's layout."""
    if not fit_intercept:
        return 0.0 if y_ndim == 1 else np.zeros(coef_ft.shape[1])
    intercept = design.y_offset - design.x_offset @ coef_ft
    return float(intercept[0]) if y_ndim == 1 else intercept


def step_filters(a: np.ndarray, t: np.ndarray, xi: np.ndarray) -> list[np.ndarray]:
    """Filters ``h`` of the teacher and of each of the k students (k + 1 arrays)."""
    d = np.zeros_like(a)
    filters = [a.copy()]
    for value in xi:
        d = value * (t + a * d)
        filters.append(_filters.filter_from_deviation(a, t, d)[0])
    return filters


def cv_results_from(candidates, tuning: str) -> dict:
    """``cv_results_``: one entry per candidate, as arrays (object arrays for xi/xibar)."""
    mse = np.array([c.mse for c in candidates])
    order = np.argsort(mse, kind="stable")
    rank = np.empty(mse.size, dtype=int)
    rank[order] = np.arange(1, mse.size + 1)
    results = {
        "alpha": np.array([c.alpha for c in candidates]),
        "n_steps": np.array([c.n_steps for c in candidates]),
        "mse": mse,
        "score": -mse,
        "rank": rank,
        "xibar": _object_array([c.xibar for c in candidates]),
        "xi": _object_array([safe_xi(c.xibar) for c in candidates]),
    }
    if tuning == "gcv":
        for key in ("mse_ridge_path", "mse_gcv_paper"):
            results[key] = np.array([c.extra.get(key, np.inf) for c in candidates])
        for key in ("xibar_ridge_path", "xibar_gcv_paper"):
            results[key] = _object_array([c.extra.get(key, np.zeros(c.n_steps)) for c in candidates])
    return results


def _object_array(items) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def safe_xi(xibar):
    try:
        return _filters.xibar_to_xi(xibar)
    except ValueError:
        return None
