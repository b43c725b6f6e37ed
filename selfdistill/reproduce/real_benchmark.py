"""Real-data benchmark: self-distilled ridge against scikit-learn's ``RidgeCV`` on real regressions.

Protocol. For every data set of :data:`~selfdistill.datasets.real.REAL_DATASETS`, every split seed
(a random 70/30 train/test split, ``sklearn.model_selection.train_test_split(random_state=seed)``)
and both feature modes (``"raw"``: as distributed; ``"standardised"``: centred and scaled with the
training part's statistics), fit ``RidgeCV(alphas)`` -- the baseline a user would otherwise pick,
efficient leave-one-out over the same ``alphas`` -- and one ``SelfDistilledRidgeCV(alphas,
n_steps, **config)`` per named configuration, on the training part, and record each model's test
MSE. The estimator's own criterion is never used to judge it: only the held-out test MSE is.

Every row of :func:`run_benchmark`'s frame carries the data set, seed, feature mode, the
configuration (name and JSON), the grid, the chosen alpha, k and xi, the test MSEs, their ratio,
fit times measured in the same process with one BLAS thread, and any warning or error.
:func:`summarize` reduces the rows per data set and configuration; :func:`verdicts` applies the
stated acceptance rules of issue 9 to the numbers and says for each whether it holds.

:func:`synthetic_gain_check` is the "real gains are kept" check on synthetic fixed designs where the
oracle gain of SD over ridge is large; the Airfoil check is :func:`run_benchmark` on Airfoil, raw
features and the paper's coarse grid (:data:`PAPER_COARSE_ALPHAS`).
"""

from __future__ import annotations

import inspect
import json
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from .._progress import progress
from .._validation import POSITIVE_INT, Options, check_params
from ..datasets.real import REAL_DATASETS, load_real

#: The grid shared by RidgeCV and every self-distilled configuration (factor 10, 1e-3 .. 1e5).
DEFAULT_ALPHAS = tuple(10.0 ** np.arange(-3, 6))
#: The paper's coarse grid "{1, ..., 10^4}" (Pareek, Du & Oh 2024, Section 5.3).
PAPER_COARSE_ALPHAS = (1.0, 10.0, 100.0, 1e3, 1e4)
DEFAULT_STEPS = (0, 1, 2, 3)
FEATURE_MODES = ("raw", "standardised")
TEST_FRACTION = 0.3
#: Test MSE ratios within this of 1 count as ties (the same ridge fit, up to rounding), not wins.
TIE_RTOL = 1e-9


def default_configs() -> dict[str, dict]:
    """The configurations compared by default: the estimator's default and every tuning mode.

    Each value is a dict of keyword arguments for ``SelfDistilledRidgeCV`` on top of ``alphas`` and
    ``n_steps`` (which a configuration may override). ``"default"`` passes nothing, so it follows
    whatever the estimator's default is at the time of the run (cross-fitting with 5 folds since the
    tuning rework of issue 9); ``crossfit_cv10`` is the same with 10 folds.
    """
    return {
        "default": {},
        "crossfit_cv10": {"tuning": "crossfit", "cv": 10},
        "gcv": {"tuning": "gcv", "one_shot": "ridge_path"},
        "gcv_paper": {"tuning": "gcv", "one_shot": "gcv_paper"},
        "loo": {"tuning": "loo"},
        "cp": {"tuning": "cp"},
        "validation": {"tuning": "validation"},
    }


EstimatorFactory = Callable[[dict, tuple, tuple, int], object]


def make_sd_estimator(config: dict, alphas: tuple, steps: tuple, seed: int):
    """``SelfDistilledRidgeCV(alphas=alphas, n_steps=steps, **config)``, seeded by the split seed.

    ``random_state`` (used by ``tuning="validation"`` and by any randomised tuning) is set to the
    split seed unless the configuration sets it.

    Parameters
    ----------
    config : dict
        Keyword arguments of ``SelfDistilledRidgeCV`` (may override ``alphas`` and ``n_steps``).
    alphas : tuple of float
        Penalty grid (the paper's lambda on the sum of squares).
    steps : tuple of int
        Candidate numbers of distillation steps.
    seed : int
        The split seed.

    Returns
    -------
    SelfDistilledRidgeCV
        Unfitted.
    """
    from ..linear_model import SelfDistilledRidgeCV

    params = {"alphas": alphas, "n_steps": steps, **config}
    model = SelfDistilledRidgeCV(**params)
    if "random_state" in model.get_params() and "random_state" not in config:
        model.set_params(random_state=seed)
    return model


#: Declarative checks of the benchmark settings (one feature mode per entry of ``features``).
_FEATURE_CONSTRAINTS = {"features": [Options(*FEATURE_MODES)]}
_RUN_CONSTRAINTS = {
    "max_rows": [None, POSITIVE_INT],
    "n_jobs": [POSITIVE_INT],
}
_SIGNAL_CONSTRAINTS = {"signal": [Options("u1", "u1+u2")]}


@dataclass(frozen=True)
class _Task:
    dataset: str
    seed: int
    features: str


def _split_and_scale(X, y, seed: int, features: str):
    X_train, X_test, y_train, y_test = train_test_split(
        np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64),
        test_size=TEST_FRACTION, random_state=seed,
    )
    if features == "standardised":
        mean = X_train.mean(axis=0)
        scale = X_train.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        X_train, X_test = (X_train - mean) / scale, (X_test - mean) / scale
    return X_train, X_test, y_train, y_test


def _timed_fit(model, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    names = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})
    return elapsed, names


def _json(value) -> str:
    def default(v):
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, (np.floating, np.integer)):
            return v.item()
        return str(v)

    return json.dumps(value, default=default, sort_keys=True)


def _run_task(task: _Task, X, y, configs, alphas, steps, factory) -> list[dict]:
    with threadpool_limits(limits=1):
        X_train, X_test, y_train, y_test = _split_and_scale(X, y, task.seed, task.features)
        ridge = RidgeCV(alphas=alphas)
        ridge_time, _ = _timed_fit(ridge, X_train, y_train)
        ridge_mse = float(np.mean((ridge.predict(X_test) - y_test) ** 2))
        base = {
            "dataset": task.dataset, "seed": task.seed, "features": task.features,
            "n_train": X_train.shape[0], "n_test": X_test.shape[0], "n_features": X_train.shape[1],
            "alphas": _json(list(alphas)), "n_steps_grid": _json(list(steps)),
            "ridgecv_alpha": float(ridge.alpha_), "ridgecv_test_mse": ridge_mse, "ridgecv_fit_s": ridge_time,
        }
        rows = []
        for name, config in configs.items():
            row = {**base, "config": name, "config_json": _json(config)}
            try:
                model = factory(dict(config), tuple(alphas), tuple(steps), task.seed)
                fit_time, caught = _timed_fit(model, X_train, y_train)
                test_mse = float(np.mean((model.predict(X_test) - y_test) ** 2))
            except Exception as error:  # recorded in the row: a failing mode is a result
                row.update(test_mse=np.nan, ratio=np.nan, error=f"{type(error).__name__}: {error}"[:300])
                rows.append(row)
                continue
            xi = getattr(model, "xi_", None)
            row.update(
                test_mse=test_mse,
                ratio=test_mse / ridge_mse if ridge_mse > 0 else np.nan,
                alpha=float(getattr(model, "alpha_", np.nan)),
                k=int(getattr(model, "n_steps_", -1)),
                xi=_json(None if xi is None else np.asarray(xi, dtype=float).ravel()),
                max_abs_xi=np.nan if xi is None or np.size(xi) == 0 else float(np.max(np.abs(xi))),
                fit_s=fit_time,
                time_ratio=fit_time / ridge_time if ridge_time > 0 else np.nan,
                n_warnings=len(caught),
                warnings=" | ".join(caught),
                error="",
            )
            rows.append(row)
        return rows


def run_benchmark(
    datasets: Iterable[str] | None = None,
    seeds: Iterable[int] = range(20),
    features: Sequence[str] = FEATURE_MODES,
    configs: Mapping[str, dict] | None = None,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    steps: Sequence[int] = DEFAULT_STEPS,
    *,
    data_dir=None,
    factory: EstimatorFactory = make_sd_estimator,
    max_rows: int | None = None,
    n_jobs: int = 1,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Run the protocol of the module docstring; one row per (data set, seed, features, config).

    Parameters
    ----------
    datasets : iterable of str or None, default=None
        Keys of ``REAL_DATASETS`` (None: all of them).
    seeds : iterable of int, default=range(20)
        Split seeds (one random 70/30 split each).
    features : sequence of {"raw", "standardised"}
        Feature modes.
    configs : mapping of str to dict, optional
        Named keyword arguments for the estimator (default: :func:`default_configs`). Add candidates
        here, e.g. ``{**default_configs(), "crossfit": {"tuning": "crossfit"}}``.
    alphas : sequence of float
        Grid shared by ``RidgeCV`` and the self-distilled estimators (the sklearn/paper lambda on
        the sum of squares).
    steps : sequence of int
        ``n_steps`` of the self-distilled estimators (a configuration may override it).
    data_dir : str or None
        Folder with the raw UCI files (see :func:`~selfdistill.datasets.load_uci`).
    factory : callable, default=make_sd_estimator
        ``factory(config, alphas, steps, seed)`` returns an unfitted estimator; replace it to
        benchmark another estimator class under the same protocol.
    max_rows : int or None
        Use a random subset of this many rows per data set (seeded; for quick runs).
    n_jobs : int, default=1
        joblib workers over (data set, seed, features) tasks; each task uses one BLAS thread.
    show_progress : bool, default=True
        Progress bar on stderr.

    Returns
    -------
    DataFrame
        Columns: dataset, seed, features, n_train, n_test, n_features, alphas, n_steps_grid,
        ridgecv_alpha, ridgecv_test_mse, ridgecv_fit_s, config, config_json, test_mse, ratio
        (test MSE / RidgeCV's), alpha, k, xi (JSON), max_abs_xi, fit_s, time_ratio (fit time /
        RidgeCV's), n_warnings, warnings, error (empty when the fit worked).
    """
    check_params({"max_rows": max_rows, "n_jobs": n_jobs}, _RUN_CONSTRAINTS, "run_benchmark")
    for mode in features:
        check_params({"features": mode}, _FEATURE_CONSTRAINTS, "run_benchmark")
    names = list(REAL_DATASETS) if datasets is None else list(datasets)
    configs = default_configs() if configs is None else dict(configs)
    if not configs:
        raise ValueError("configs is empty: give at least one estimator configuration.")
    alphas, steps, seeds = tuple(float(a) for a in alphas), tuple(int(k) for k in steps), list(seeds)
    data = {}
    for name in names:
        X, y = load_real(name, data_dir)
        if max_rows is not None and len(y) > max_rows:
            keep = np.sort(np.random.default_rng(0).choice(len(y), size=max_rows, replace=False))
            X, y = X.iloc[keep], y.iloc[keep]
        data[name] = (X.to_numpy(np.float64), y.to_numpy(np.float64))
    tasks = [_Task(name, seed, mode) for name in names for seed in seeds for mode in features]
    if n_jobs == 1:
        results = (_run_task(t, *data[t.dataset], configs, alphas, steps, factory) for t in tasks)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_run_task)(t, *data[t.dataset], configs, alphas, steps, factory) for t in tasks
        )
    rows = []
    for task_rows in progress(results, desc="real-data benchmark", total=len(tasks), enabled=show_progress):
        rows.extend(task_rows)
    return pd.DataFrame(rows)


def summarize(runs: pd.DataFrame, by: Sequence[str] = ("dataset", "config")) -> pd.DataFrame:
    """Per group (default: data set x configuration), the change of test MSE against RidgeCV.

    Columns: n_fits, n_errors, median_pct_change and mean_pct_change (of ``100 (ratio - 1)``; < 0
    means better than RidgeCV), wins (fits with a lower test MSE than RidgeCV by more than
    ``TIE_RTOL``), ties (equal to ``TIE_RTOL``: typically the same ridge), worst_ratio (the
    largest test MSE / RidgeCV's), share_above_1_25 and share_above_2, mean_k, k_counts (JSON of
    chosen k), share_k_max (share of fits choosing the largest k offered) and median_time_ratio.

    Parameters
    ----------
    runs : DataFrame
        Rows of :func:`run_benchmark`.
    by : sequence of str, default=("dataset", "config")
        Grouping columns (e.g. add ``"features"``).

    Returns
    -------
    DataFrame
        One row per group, in the order of first appearance.
    """
    def one(group: pd.DataFrame) -> pd.Series:
        ok = group[group["error"] == ""]
        ratio = ok["ratio"].to_numpy(float)
        change = 100 * (ratio - 1)
        k = ok["k"].to_numpy(int) if len(ok) else np.array([], int)
        k_max = max(json.loads(group["n_steps_grid"].iloc[0])) if len(group) else -1
        return pd.Series({
            "n_fits": len(group),
            "n_errors": int((group["error"] != "").sum()),
            "median_pct_change": float(np.median(change)) if len(ok) else np.nan,
            "mean_pct_change": float(np.mean(change)) if len(ok) else np.nan,
            "wins": int(np.sum(ratio < 1 - TIE_RTOL)),
            "ties": int(np.sum(np.abs(ratio - 1) <= TIE_RTOL)),
            "worst_ratio": float(np.max(ratio)) if len(ok) else np.nan,
            "share_above_1_25": float(np.mean(ratio > 1.25)) if len(ok) else np.nan,
            "share_above_2": float(np.mean(ratio > 2)) if len(ok) else np.nan,
            "mean_k": float(np.mean(k)) if len(ok) else np.nan,
            "k_counts": _json({int(v): int(c) for v, c in zip(*np.unique(k, return_counts=True), strict=True)}),
            "share_k_max": float(np.mean(k == k_max)) if len(ok) else np.nan,
            "median_time_ratio": float(ok["time_ratio"].median()) if len(ok) else np.nan,
        })

    keys = list(by)
    table = runs.groupby(keys, sort=False).apply(one, include_groups=False).reset_index()
    # Keep the order of first appearance (data sets as registered, configurations as given).
    order = {key: {v: i for i, v in enumerate(dict.fromkeys(runs[key]))} for key in keys}
    table = table.sort_values(keys, key=lambda col: col.map(order[col.name]), kind="stable")
    return table.reset_index(drop=True)


def _who(config: str) -> str:
    return "the default" if config == "default" else f"configuration {config!r}"


@dataclass(frozen=True)
class Rule:
    """One acceptance rule: a statement, the measured value and whether it holds."""

    rule: str
    measured: float
    threshold: float
    passed: bool
    detail: str


def verdicts(
    runs: pd.DataFrame,
    default: str = "default",
    worst_ratio_limit: float = 1.25,
    median_change_limit: float = 1.0,
    any_mode_limit: float = 2.0,
) -> list[Rule]:
    """Issue 9's acceptance rules on the real-data runs, computed from the numbers.

    1. The default configuration: test MSE <= ``worst_ratio_limit`` x RidgeCV's on every split of
       every data set (both feature modes), and no failed fit.
    2. The default: median change of test MSE against RidgeCV <= ``median_change_limit`` % on
       every data set (over its splits and feature modes).
    3. Every configuration: test MSE <= ``any_mode_limit`` x RidgeCV's on every fit, no failed fit.

    Parameters
    ----------
    runs : DataFrame
        Rows of :func:`run_benchmark`.
    default : str, default="default"
        The configuration judged by rules 1 and 2.
    worst_ratio_limit, median_change_limit, any_mode_limit : float
        The thresholds of rules 1, 2 (in %) and 3.

    Returns
    -------
    list of Rule
        Each with the measured value, the threshold, ``passed`` and a detail line.
    """
    rules = []
    runs = runs.reset_index(drop=True)
    mine = runs[runs["config"] == default]
    if len(mine):
        ok = mine[mine["error"] == ""]
        worst = ok.iloc[int(np.argmax(ok["ratio"].to_numpy()))] if len(ok) else None
        errors = int((mine["error"] != "").sum())
        measured = float(worst["ratio"]) if worst is not None else np.nan
        rules.append(Rule(
            f"{_who(default)}: every split of every data set within {worst_ratio_limit:g}x RidgeCV's test MSE",
            measured, worst_ratio_limit, bool(errors == 0 and measured <= worst_ratio_limit),
            f"worst ratio {measured:.4g} ({worst['dataset']}, {worst['features']}, seed {worst['seed']}); "
            f"{int((ok['ratio'] > worst_ratio_limit).sum())} of {len(mine)} fits above; {errors} failed fits"
            if worst is not None else f"{errors} failed fits",
        ))
        medians = summarize(mine, by=("dataset",)).set_index("dataset")["median_pct_change"]
        over = medians[medians > median_change_limit]
        rules.append(Rule(
            f"{_who(default)}: median change of test MSE vs RidgeCV <= {median_change_limit:+g}% on every data set",
            float(medians.max()), median_change_limit, bool(len(over) == 0 and medians.notna().all()),
            f"largest median change {medians.max():+.3g}% ({medians.idxmax()}); data sets above: "
            + (", ".join(f"{n} ({v:+.3g}%)" for n, v in over.items()) or "none"),
        ))
    ok = runs[runs["error"] == ""]
    errors = int((runs["error"] != "").sum())
    if len(ok):
        worst = ok.iloc[int(np.argmax(ok["ratio"].to_numpy()))]
        per_config = ok.groupby("config", sort=False)["ratio"].max()
        rules.append(Rule(
            f"every configuration: every fit within {any_mode_limit:g}x RidgeCV's test MSE",
            float(worst["ratio"]), any_mode_limit, bool(errors == 0 and worst["ratio"] <= any_mode_limit),
            f"worst {worst['ratio']:.4g} ({worst['config']}, {worst['dataset']}, {worst['features']}, "
            f"seed {worst['seed']}); worst per configuration: "
            + ", ".join(f"{c} {v:.3g}" for c, v in per_config.items()) + f"; {errors} failed fits",
        ))
    return rules


def rules_frame(rules: Iterable[Rule]) -> pd.DataFrame:
    """The rules as a tidy frame (one row per rule)."""
    return pd.DataFrame([r.__dict__ for r in rules])


# --------------------------------------------------------------------------- real gains are kept
#: Synthetic fixed designs with a large oracle gain of SD over ridge (theta* aligned with the top
#: eigenvector(s), low noise, n >= 1000). ``decay``: s_j ~ j^-decay; ``signal``: "u1" or "u1+u2".
SYNTHETIC_DESIGNS = (
    {"n": 1000, "d": 10, "decay": 1.0, "noise_sd": 0.1, "signal": "u1"},
    {"n": 2000, "d": 20, "decay": 1.0, "noise_sd": 0.1, "signal": "u1"},
    {"n": 1000, "d": 10, "decay": 0.5, "noise_sd": 0.05, "signal": "u1"},
    {"n": 2000, "d": 10, "decay": 1.0, "noise_sd": 1.0, "signal": "u1"},
    {"n": 1000, "d": 20, "decay": 1.0, "noise_sd": 0.5, "signal": "u1+u2"},
    {"n": 2000, "d": 50, "decay": 0.7, "noise_sd": 0.2, "signal": "u1"},
    {"n": 1000, "d": 20, "decay": 1.0, "noise_sd": 2.0, "signal": "u1+u2"},
    {"n": 1000, "d": 10, "decay": 0.3, "noise_sd": 1.0, "signal": "u1+u2"},
)


def synthetic_design(n: int, d: int, decay: float, signal: str, seed: int = 0):
    """``(X, theta*)``: X = Q diag(s) V^T with s_j = sqrt(n) j^-decay and random orthonormal Q, V.

    Parameters
    ----------
    n, d : int
        Rows and columns of X (n_samples x n_features).
    decay : float
        Power-law decay of the singular values.
    signal : {"u1", "u1+u2"}
        theta* along the top right singular vector, or the normalised sum of the top two.
    seed : int, default=0
        Seed of Q and V.

    Returns
    -------
    X : ndarray of shape (n, d)
    theta : ndarray of shape (d,)
    """
    check_params({"signal": signal}, _SIGNAL_CONSTRAINTS, "synthetic_design")
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, d)))
    V, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s = np.sqrt(n) * np.arange(1, d + 1, dtype=float) ** (-decay)
    theta = V[:, 0] if signal == "u1" else (V[:, 0] + V[:, 1]) / np.sqrt(2.0)
    return (Q * s) @ V.T, theta


def synthetic_gain_check(
    designs: Sequence[dict] = SYNTHETIC_DESIGNS,
    seeds: Iterable[int] = range(10),
    configs: Mapping[str, dict] | None = None,
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    steps: Sequence[int] = DEFAULT_STEPS,
    *,
    factory: EstimatorFactory = make_sd_estimator,
    min_oracle_gain: float = 0.2,
    show_progress: bool = True,
) -> pd.DataFrame:
    """How much of the oracle gain of SD over ridge the tuned estimators realise.

    For each design, the oracle risks are exact (:class:`~selfdistill.theory.FixedDesignProblem`,
    in-sample excess risk ``(1/n)||X (theta_hat - theta*)||^2``, alpha optimised continuously, xi
    exactly, k in ``steps``): ``oracle_gain = 1 - R*_SD / R*_ridge``. Designs with an oracle gain
    below ``min_oracle_gain`` are left out (they are not the case this check is about). For each
    noise seed, ``y = X theta* + noise_sd * eps``; RidgeCV and every configuration are fitted on
    (X, y) and their realised in-sample excess risk ``mean((prediction - X theta*)^2)`` is recorded;
    ``realised_gain = 1 - excess / ridgecv_excess`` and ``share_of_oracle_gain = realised_gain /
    oracle_gain``.

    Parameters
    ----------
    designs : sequence of dict
        Keyword arguments of :func:`synthetic_design` plus ``noise_sd``.
    seeds : iterable of int
        Noise seeds.
    configs : mapping of str to dict, optional
        Estimator configurations (default: only ``{"default": {}}``).
    alphas, steps : sequences
        Grid shared by RidgeCV and the configurations, and the candidate numbers of steps.
    factory : callable, default=make_sd_estimator
        As in :func:`run_benchmark`.
    min_oracle_gain : float, default=0.2
        Designs below this oracle gain are skipped.
    show_progress : bool, default=True
        Progress bar on stderr.

    Returns
    -------
    DataFrame
        One row per (design, seed, config), with the design's parameters in every row.
    """
    from ..theory import FixedDesignProblem

    configs = {"default": {}} if configs is None else dict(configs)
    alphas, steps, seeds = tuple(float(a) for a in alphas), tuple(int(k) for k in steps), list(seeds)
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the oracle search warns at its range edge; not relevant here
        for number, design in enumerate(progress(designs, desc="synthetic gains", enabled=show_progress)):
            X, theta = synthetic_design(design["n"], design["d"], design["decay"], design["signal"])
            problem = FixedDesignProblem.from_X(X, theta, design["noise_sd"] ** 2)
            oracle = {k: problem.optimal_over_alpha(k, warn=False).risk for k in steps}
            ridge_risk, sd_risk = oracle.get(0, problem.optimal_over_alpha(0, warn=False).risk), min(oracle.values())
            oracle_gain = 1.0 - sd_risk / ridge_risk
            if oracle_gain < min_oracle_gain:
                continue
            signal = X @ theta
            for seed in seeds:
                y = signal + design["noise_sd"] * np.random.default_rng(1000 + seed).normal(size=signal.size)
                ridge = RidgeCV(alphas=alphas).fit(X, y)
                ridge_excess = float(np.mean((ridge.predict(X) - signal) ** 2))
                for name, config in configs.items():
                    model = factory(dict(config), alphas, steps, seed).fit(X, y)
                    excess = float(np.mean((model.predict(X) - signal) ** 2))
                    realised = 1.0 - excess / ridge_excess
                    rows.append({
                        "design": number, **design, "seed": seed, "config": name, "config_json": _json(config),
                        "alphas": _json(list(alphas)), "n_steps_grid": _json(list(steps)),
                        "oracle_ridge_risk": ridge_risk, "oracle_sd_risk": sd_risk, "oracle_gain": oracle_gain,
                        "ridgecv_excess": ridge_excess, "excess": excess, "realised_gain": realised,
                        "share_of_oracle_gain": realised / oracle_gain,
                        "k": int(getattr(model, "n_steps_", -1)), "alpha": float(getattr(model, "alpha_", np.nan)),
                    })
    return pd.DataFrame(rows)


def gain_rules(
    synthetic: pd.DataFrame | None,
    airfoil: pd.DataFrame | None,
    default: str = "default",
    min_share: float = 0.5,
    min_airfoil_gain: float = 5.0,
) -> list[Rule]:
    """The "real gains are kept" rules of issue 9, computed from the numbers.

    4. Synthetic designs with oracle gain >= 20 %: the default's mean ``share_of_oracle_gain``
       (over designs and noise seeds) >= ``min_share``.
    5. Airfoil, raw features, the paper's coarse grid: the default's mean change of test MSE
       against RidgeCV (same grid) <= ``-min_airfoil_gain`` %.

    Parameters
    ----------
    synthetic : DataFrame or None
        Rows of :func:`synthetic_gain_check` (None: rule 4 is skipped).
    airfoil : DataFrame or None
        Rows of :func:`run_benchmark` on Airfoil, raw features, coarse grid (None: rule 5 skipped).
    default : str, default="default"
        The configuration judged.
    min_share, min_airfoil_gain : float
        Thresholds of rules 4 and 5 (the latter in %).

    Returns
    -------
    list of Rule
    """
    rules = []
    if synthetic is not None and len(synthetic):
        mine = synthetic[synthetic["config"] == default]
        share = float(mine["share_of_oracle_gain"].mean())
        per_design = mine.groupby("design")["share_of_oracle_gain"].mean()
        rules.append(Rule(
            f"{_who(default)}: realises >= {min_share:g} of the oracle gain on synthetic designs "
            "with oracle gain >= 20 %",
            share, min_share, bool(share >= min_share),
            f"mean share {share:.3g} (median {mine['share_of_oracle_gain'].median():.3g}) over "
            f"{mine['design'].nunique()} designs x {mine['seed'].nunique()} "
            f"noise seeds (oracle gains {mine.groupby('design')['oracle_gain'].first().min():.0%}-"
            f"{mine.groupby('design')['oracle_gain'].first().max():.0%}); per design: "
            + ", ".join(f"{v:.2f}" for v in per_design),
        ))
    if airfoil is not None and len(airfoil):
        mine = airfoil[(airfoil["config"] == default) & (airfoil["error"] == "")]
        change = 100 * (mine["ratio"] - 1)
        mean_change = float(change.mean())
        rules.append(Rule(
            f"{_who(default)}: Airfoil, raw features, coarse grid {{1..1e4}}: gain >= {min_airfoil_gain:g} % "
            "(mean change of test MSE vs RidgeCV)",
            mean_change, -min_airfoil_gain, bool(len(mine) == len(airfoil[airfoil["config"] == default])
                                                  and mean_change <= -min_airfoil_gain),
            f"mean change {mean_change:+.3g} %, median {change.median():+.3g} % over {len(mine)} splits; "
            f"wins {int((mine['ratio'] < 1 - TIE_RTOL).sum())}/{len(mine)}; RidgeCV alpha on the grid's lower edge in "
            f"{int((mine['ridgecv_alpha'] == min(json.loads(mine['alphas'].iloc[0]))).sum())} splits",
        ))
    return rules


@dataclass
class SuiteResult:
    """Everything one benchmark run produced (tidy frames) and the rules applied to it."""

    runs: pd.DataFrame
    synthetic: pd.DataFrame | None
    airfoil: pd.DataFrame | None
    rules: list[Rule]


def run_suite(
    *,
    gain_checks: bool = True,
    synthetic_designs: Sequence[dict] = SYNTHETIC_DESIGNS,
    synthetic_seeds: Iterable[int] = range(10),
    default: str = "default",
    **benchmark,
) -> SuiteResult:
    """:func:`run_benchmark`, optionally the two "gains are kept" checks, and every rule.

    Parameters
    ----------
    gain_checks : bool, default=True
        Also run :func:`synthetic_gain_check` and the Airfoil check (raw features, the paper's
        coarse grid :data:`PAPER_COARSE_ALPHAS`, the same seeds and configurations).
    synthetic_designs, synthetic_seeds :
        Designs and noise seeds of the synthetic check.
    default : str, default="default"
        The configuration judged by the rules.
    **benchmark
        Keyword arguments of :func:`run_benchmark` (``datasets``, ``seeds``, ``configs``,
        ``alphas``, ``steps``, ``data_dir``, ``max_rows``, ``n_jobs``, ...), with its defaults.

    Returns
    -------
    SuiteResult
    """
    bound = inspect.signature(run_benchmark).bind(**benchmark)
    bound.apply_defaults()
    args = bound.arguments
    args["seeds"] = list(args["seeds"])
    args["configs"] = default_configs() if args["configs"] is None else dict(args["configs"])
    runs = run_benchmark(**args)
    synthetic = airfoil = None
    if gain_checks:
        synthetic = synthetic_gain_check(
            synthetic_designs, synthetic_seeds, args["configs"], args["alphas"], args["steps"],
            show_progress=args["show_progress"],
        )
        airfoil = run_benchmark(**{
            **args, "datasets": ["airfoil"], "features": ["raw"], "alphas": PAPER_COARSE_ALPHAS,
            "max_rows": None, "n_jobs": 1,
        })
    rules = verdicts(runs, default=default) + gain_rules(synthetic, airfoil, default=default)
    return SuiteResult(runs, synthetic, airfoil, rules)
