"""The tuning pipeline shared by ``SelfDistilledRidgeCV`` and ``SelfDistilledKernelRidgeCV``.

``fit`` is a thin sequence of stage calls, each stage with one home:

0. parameters and data ...................... :mod:`selfdistill._cv_params`
1. decomposition (a spectral problem) ....... :mod:`selfdistill._problems`
2. candidate filters, 3. criterion .......... :mod:`selfdistill._tuning` (and
   :mod:`selfdistill._crossfit` for the cross-fitted default)
4. honest selection ......................... :mod:`selfdistill._selection`
5. realised model ........................... :mod:`selfdistill._realise` (+ :meth:`model`
   of the spectral problem), fitted attributes and ``cv_results_`` in :mod:`selfdistill._results`.

The estimators supply their constraint table ``_parameter_constraints``, ``_accept_sparse``
(input formats of X) and the hooks ``_problem(X, y, sw, keep_left)`` (stage 1 for their kind of
smoother) and ``_folded_problem`` (all rows and the folds of cross-fitting from one pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._crossfit import crossfit_scores, crossfit_scores_from_moments, ridge_loo_alpha
from ._cv_params import CVParams, Folds, TuningData, split_for_tuning, validate_fit_data
from ._realise import realise
from ._results import TunedMixin, store_tuning_results
from ._selection import (
    NoSafeCandidate,
    Selection,
    one_standard_error_choice,
    select_by_criterion,
    vet,
    warn_fallback,
    warn_on_boundary,
)
from ._tuning import Candidate, GcvReport, RefitCandidates, evaluate_grid
from ._validation import ValidatedParamsMixin, check_noise_var

#: A k-step candidate must beat the best candidate with fewer steps by more than this many
#: standard errors of the paired held-out difference ("one-standard-error rule").
SE_MULTIPLIER = 1.0


@dataclass
class TuningOutcome:
    """Everything stages 1-4 produced: the problem, every candidate, the selection."""

    problem: object
    candidates: list[Candidate]
    selection: Selection
    params: CVParams
    noise_var: np.ndarray | None = None
    extra_columns: dict = field(default_factory=dict)


def estimate_noise_var(sm) -> np.ndarray:
    """Per-target OLS residual variance ``||y_perp||^2 / (n - p0 - r)`` (fixed design, for Cp)."""
    dof = sm.n - sm.p0 - sm.ell.size
    if dof <= 0:
        raise ValueError(
            "tuning='cp' needs the noise variance: it cannot be estimated from the OLS residuals "
            f"because n_samples ({sm.n:g}) <= rank + intercept "
            f"({sm.ell.size + sm.p0}). Pass noise_var=..."
        )
    return sm.y_perp_sq / dof


def tune_by_criterion(est, data: TuningData | None, params: CVParams, problem=None) -> TuningOutcome:
    """gcv / loo / cp / validation: one decomposition, xi exact per (alpha, k), vetted selection.

    ``problem``: an already decomposed problem with its held-out part attached (sufficient
    statistics of dask input or a ``partial_fit`` stream, issue 13) instead of ``data``.
    """
    owner = type(est).__name__
    if problem is None:
        problem = est._problem(data.X, data.y, data.sw, keep_left=params.tuning == "loo")
        if params.tuning == "validation":
            problem.attach_validation(data.X_val, data.y_val, data.sw_val)
    sm = problem.smoother
    noise = None
    if params.tuning == "cp":
        noise = (estimate_noise_var(sm) if est.noise_var is None
                 else np.full(sm.n_targets, check_noise_var(est.noise_var)))
    candidates = evaluate_grid(sm, params.alphas, params.steps, params.tuning,
                               one_shot=params.one_shot, noise_var=noise)
    try:
        selection = select_by_criterion(candidates, sm, params.tuning, owner,
                                        one_shot=params.one_shot, noise_var=noise)
    except NoSafeCandidate as exc:
        if 0 in params.steps:
            raise
        # nothing in the grid is safe: ridge (k = 0) always is; add it and say so
        ridge = evaluate_grid(sm, params.alphas, np.array([0]), params.tuning,
                              one_shot=params.one_shot, noise_var=noise)
        selection = select_by_criterion(ridge, sm, params.tuning, owner,
                                        one_shot=params.one_shot, noise_var=noise)
        selection.notes = exc.notes + ["no candidate of n_steps could be selected: ridge (k = 0) added"]
        offset = len(candidates)  # the ridge candidates' indices follow the grid's
        selection.status = {**exc.status, **{offset + i: why for i, why in selection.status.items()}}
        selection.column += offset
        candidates = candidates + ridge
    warn_fallback(owner, selection, params.tuning)
    warn_on_boundary(owner, selection, candidates, params.alphas, params.steps, params.tuning)
    return TuningOutcome(problem, candidates, selection, params, noise)


def tune_by_crossfit(est, data: TuningData, params: CVParams) -> TuningOutcome:
    """The honest default: (alpha, k) by cross-fitted held-out error, one-SE rule for fewer steps.

    The ridge candidate (k = 0) uses the alpha ``RidgeCV`` would choose (exact leave-one-out on
    all rows), so ``n_steps=(0,)`` reproduces ``RidgeCV``; a k-step candidate replaces it only if
    its cross-fitted error is lower by more than one standard error of the paired difference.
    The chosen (alpha, k) is refitted on all rows (xi by one-shot GCV), realised and vetted; if
    that fails, the next preference (ultimately ridge) is taken.
    """
    owner = type(est).__name__
    steps = [int(k) for k in params.steps]
    folds = folded = scores = None
    if steps != [0]:
        folds = Folds(params.cv, est.random_state, data.X, data.y)
        if folds.partition:
            folded = est._folded_problem(data.X, data.y, data.sw, folds.tests)
    if folded is not None:  # tall dense X: every fold from one pass of moments
        problem = folded.full
        ridge_index, ridge_loo = ridge_loo_alpha(problem.smoother, params.alphas, folded.left_blocks())
        scores = crossfit_scores_from_moments(folded, params.alphas, steps, params.one_shot)
    else:
        problem = est._problem(data.X, data.y, data.sw, keep_left=True)
        ridge_index, ridge_loo = ridge_loo_alpha(problem.smoother, params.alphas)
        if folds is not None:
            scores = crossfit_scores(
                lambda Xp, yp, swp: est._problem(Xp, yp, swp, keep_left=False),
                data.X, data.y, data.sw, params.alphas, steps, folds, params.one_shot,
            )
    sm = problem.smoother
    n_steps = np.tile(params.steps, len(params.alphas))  # of every column (alpha-major, then k)
    candidates, status, mse = _crossfit_candidates(sm, params, scores, ridge_index, ridge_loo, n_steps)
    order = _crossfit_preference(mse, n_steps, status, scores)
    ridge_col = ridge_index * len(steps) + steps.index(0) if 0 in steps else None
    notes = [] if order else ["no candidate of n_steps survived cross-fitting"]
    if ridge_col is None:  # ridge (k = 0) is the safe fallback even when the grid lacks it
        alpha0 = float(params.alphas[ridge_index])
        candidates.append(Candidate(alpha0, 0, np.zeros(0), np.zeros_like(sm.ell),
                                    float(ridge_loo[ridge_index]), {"ridge_fallback": True}))
        ridge_col = len(candidates) - 1
    if ridge_col not in order:
        order = order + [ridge_col]
    selection = _first_realisable(sm, candidates, order, status, notes)
    if notes:
        warn_fallback(owner, selection, "crossfit")
    warn_on_boundary(owner, selection, candidates, params.alphas, params.steps, "crossfit")
    return TuningOutcome(problem, candidates, selection, params)


def _crossfit_candidates(sm, params: CVParams, scores, ridge_index: int, ridge_loo, n_steps: np.ndarray):
    """Candidates refitted on all rows (xi by one-shot GCV), scored by their cross-fitted error.

    Returns the candidates, ``{column: why it may not be selected}`` and the scores (array).
    """
    report = GcvReport.of(sm, params.alphas, int(max(params.steps)), params.one_shot,
                          None if scores is None else scores.full_grid, both=False)
    # ridge only: nothing to cross-fit; alpha and score are RidgeCV's (exact LOO)
    mse = scores.mse if scores is not None else np.asarray(ridge_loo, dtype=float)
    refit = RefitCandidates(report, [int(k) for k in params.steps], mse)
    column = np.arange(n_steps.size)
    status = dict.fromkeys(np.flatnonzero((n_steps == 0) & (column // len(params.steps) != ridge_index)).tolist(),
                           "ridge alpha is chosen by leave-one-out, as RidgeCV")
    if scores is not None:
        failed = (n_steps > 0) & scores.failed
        status.update((col, scores.reasons[col]) for col in np.flatnonzero(failed).tolist())
        undefined = (n_steps > 0) & ~failed & ~np.repeat(report.defined, len(params.steps))
        status.update((col, "one-shot GCV undefined on all rows") for col in np.flatnonzero(undefined).tolist())
    return refit, status, mse


def _crossfit_preference(mse: np.ndarray, n_steps: np.ndarray, status: dict, scores) -> list[int]:
    """Columns in order of preference: the one-SE choice first, then the best of each k (fewest
    steps first); ``mse`` and ``n_steps`` of every column."""
    ok = np.isfinite(mse)
    ok[list(status)] = False
    eligible = np.flatnonzero(ok)
    if scores is None:
        return eligible[:1].tolist()
    if not eligible.size:  # no k-step candidate survived the folds, and ridge is not in the grid
        return []
    # the best of each k (first column of least error), fewest steps first; the overall best is
    # the first of them with the least error
    by_k = [int(of_k[np.argmin(mse[of_k])]) for k in np.unique(n_steps[eligible])
            for of_k in [eligible[n_steps[eligible] == k]]]
    errors = mse[by_k]
    best = int(np.flatnonzero(errors == errors.min())[0])
    # the rule stops at the best column at the latest (a zero gap is within any SE): only the
    # columns up to it need per-row errors, and none when the fewest steps are best already
    compared = by_k[: best + 1]
    pick = best if best == 0 else one_standard_error_choice(
        scores.row_errors(compared), scores.row_weight, list(range(best + 1)), best, SE_MULTIPLIER)
    return [by_k[pick]] + by_k[:pick] + by_k[pick + 1:]


def _first_realisable(sm, candidates, order: list[int], status: dict, notes: list) -> Selection:
    """Realise and vet the refits in ``order``; the first that passes is selected."""
    for col in order:
        cand = candidates[col]
        a, t = sm.shrinkage(cand.alpha)
        real = realise(a, t, cand.u, cand.xibar, sm.z, sm.ell)
        reason = vet(sm, cand, "crossfit", real) if cand.n_steps else ""
        if not reason:
            return Selection(cand, real, cand.mse, col, notes, status)
        status[col] = f"refit on all rows: {reason}"
        notes.append(f"alpha={cand.alpha:g}, n_steps={cand.n_steps}: {status[col]}")
    raise ValueError("no candidate can be realised on all rows; include n_steps=0.")  # pragma: no cover


class SpectralCVMixin(ValidatedParamsMixin, TunedMixin):
    """``fit`` of the CV estimators: the stage sequence of this module's docstring."""

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Choose (alpha, k, xi) and fit the selected model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. ``SelfDistilledRidgeCV`` also takes scipy.sparse X (CSR/CSC; decomposed
            with ``eigh`` of ``X^T X``, never densified; every tuning mode) and dask arrays and
            DataFrames (never materialised: reduced to sufficient statistics in one pass; only
            ``tuning`` in ``{"gcv", "cp", "validation"}``, since ``crossfit`` and ``loo`` need
            per-row errors and leverages; they raise ``NotImplementedError`` there).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Numeric targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (weight 2 = a duplicated row). Under ``gcv`` and ``cp`` the
            selection is exactly invariant to that duplication; under ``loo`` a row of weight 2 is
            left out as a whole, and under ``crossfit`` and ``validation`` the split differs.
        X_val, y_val : array-like, optional
            Held-out data for ``tuning="validation"`` (otherwise an internal split is used; on
            dask input a hash of each row's position and ``random_state`` decides).

        Returns
        -------
        self
        """
        params = CVParams.of(self)
        problem = self._statistics_problem(X, y, sample_weight, X_val, y_val)
        if problem is not None:  # issue 13: already reduced and decomposed (dask input)
            return self._realise(tune_by_criterion(self, None, params, problem), None)
        X, y, sw = validate_fit_data(self, X, y, sample_weight, accept_sparse=self._accept_sparse)
        data = split_for_tuning(self, X, y, sw, X_val, y_val)
        tune = tune_by_crossfit if params.tuning == "crossfit" else tune_by_criterion
        return self._realise(tune(self, data, params), data)

    def _realise(self, outcome: TuningOutcome, data: TuningData | None):
        """Stage 5: the selected model's attributes (every input route ends here)."""
        for name, value in outcome.problem.model(outcome.selection.realised.h).items():
            setattr(self, name, value)
        store_tuning_results(self, outcome)
        self._store_fit_extras(outcome, data)
        return self

    def _store_fit_extras(self, outcome: TuningOutcome, data: TuningData | None) -> None:
        """Estimator-specific attributes (teacher, spectrum, ...)."""

    def _folded_problem(self, X, y, sw, tests):
        """All rows and the training folds of ``tests`` from one pass of moments, or None."""
        return None

    def _statistics_problem(self, X, y, sample_weight, X_val, y_val):
        """A spectral problem built from sufficient statistics of X, or None for in-memory X."""
        return None

