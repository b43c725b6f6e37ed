"""UCI benchmark runner: the paper's protocol, one-shot tuning, and protocol sensitivity.

The paper's protocol (Pareek, Du & Oh 2024, Section 5.3, quoted in Theory §4.2): split
each dataset 30/30/40 into train/validation/test, fit ridge and k-step SD on the training part,
choose lambda (on a grid with a factor 10 between values) and the imitation parameters on the
validation part, and report the test MSE. The seeds, the preprocessing and whether an intercept was
fitted are not stated (UNCONFIRMED): we standardise the features with training statistics, fit an
intercept, and repeat over seeds; :func:`protocol_sensitivity` shows how much these choices matter.

Everything returns tidy ``pandas.DataFrame`` objects with the seed and the configuration in every
row. Parallelism uses joblib (``n_jobs``); on a cluster, wrap the call in
``joblib.parallel_config(backend="dask")`` (with a ``dask.distributed.Client``) or
``backend="ray"`` (after ``ray.util.joblib.register_ray()``) -- the tasks are independent
(dataset, seed) pairs.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .._progress import progress
from ..datasets import load_uci, train_val_test_split
from ..exceptions import GridBoundaryWarning
from ..linear_model import SelfDistilledRidgeCV

PAPER_DATASETS = ("air_quality", "airfoil", "appliances_energy")
#: The paper's grid: "a factor of 10 difference between consecutive values (e.g. {1, ..., 10^4})".
PAPER_COARSE_ALPHAS = 10.0 ** np.arange(0, 5)
DEFAULT_ALPHAS = 10.0 ** np.arange(-3, 6)
FINE_ALPHAS = np.logspace(-3, 5, 33)
ONE_SHOT_TUNINGS = ("gcv", "loo", "cp")


def method_name(n_steps: int) -> str:
    """'ridge' for k = 0, else 'k-step SD'."""
    return "ridge" if n_steps == 0 else f"{n_steps}-step SD"


def _fit_and_score(X_fit, y_fit, X_test, y_test, n_steps, alphas, tuning, fit_intercept, X_val=None, y_val=None):
    """One tuned fit over every k at once; one result row per k (its best alpha and xi)."""
    model = SelfDistilledRidgeCV(alphas=alphas, n_steps=n_steps, tuning=tuning, fit_intercept=fit_intercept)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GridBoundaryWarning)  # recorded per row below instead
        if X_val is None:
            model.fit(X_fit, y_fit)
        else:
            model.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    fit_time = time.perf_counter() - start
    rows = []
    for k, best in model.best_by_steps_.items():
        prediction = X_test @ best["coef"] + best["intercept"]
        rows.append(
            {
                "n_steps": k,
                "alpha": best["alpha"],
                "alpha_on_grid_edge": bool(len(alphas) > 1 and best["alpha"] in (min(alphas), max(alphas))),
                "xi": None if best["xi"] is None else tuple(np.round(best["xi"], 10)),
                "xibar": tuple(np.round(best["xibar"], 10)),
                "criterion_mse": best["mse"],
                "test_mse": float(np.mean((y_test - prediction) ** 2)),
                "fit_time_s": fit_time,  # one fit tunes every k
            }
        )
    return rows


def _one_seed(*args):
    # Small dense problems: one BLAS thread per task avoids oversubscription under joblib.
    with threadpool_limits(limits=1):
        return _one_seed_rows(*args)


def _one_seed_rows(name, X, y, seed, n_steps, split, alphas, tuning, one_shot, standardize_features, fit_intercept):
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(
        X.to_numpy(float), y.to_numpy(float), fractions=split, random_state=seed
    )
    config = {
        "dataset": name,
        "seed": seed,
        "split": "/".join(f"{f:g}" for f in split),
        "alphas": json.dumps([float(a) for a in alphas]),
        "standardize": standardize_features,
        "fit_intercept": fit_intercept,
        "n_train": len(y_tr),
        "n_val": len(y_va),
        "n_test": len(y_te),
    }
    rows = []
    if standardize_features:  # training statistics only
        scaler = StandardScaler().fit(X_tr)
        X_tr_s, X_va_s, X_te_s = (scaler.transform(part) for part in (X_tr, X_va, X_te))
    else:
        X_tr_s, X_va_s, X_te_s = X_tr, X_va, X_te
    for result in _fit_and_score(
        X_tr_s, y_tr, X_te_s, y_te, n_steps, alphas, tuning, fit_intercept, X_val=X_va_s, y_val=y_va
    ):
        rows.append(
            {**config, "method": method_name(result["n_steps"]), "protocol": "paper split", "tuning": tuning, **result}
        )
    if one_shot:
        X_all, y_all = np.vstack([X_tr, X_va]), np.concatenate([y_tr, y_va])
        X_all_s, X_te_s2 = X_all, X_te
        if standardize_features:
            scaler = StandardScaler().fit(X_all)
            X_all_s, X_te_s2 = scaler.transform(X_all), scaler.transform(np.asarray(X_te))
        for tuning_1 in one_shot:
            for result in _fit_and_score(X_all_s, y_all, X_te_s2, y_te, n_steps, alphas, tuning_1, fit_intercept):
                rows.append(
                    {**config, "method": method_name(result["n_steps"]), "protocol": "one-shot (train+val)",
                     "tuning": tuning_1, **result}
                )
    return rows


def run_uci(
    datasets: Sequence[str] = PAPER_DATASETS,
    n_steps: Sequence[int] = (0, 1, 2),
    seeds: Iterable[int] = range(10),
    split: tuple[float, float, float] = (0.3, 0.3, 0.4),
    alphas=DEFAULT_ALPHAS,
    tuning: str = "validation",
    *,
    one_shot: Sequence[str] = (),
    standardize_features: bool = True,
    fit_intercept: bool = True,
    data_dir: str | None = None,
    n_jobs: int | None = None,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Ridge vs k-step SD on the UCI datasets under the paper's split protocol.

    For every dataset and seed the rows are split ``split`` (train/validation/test), features are
    standardised with training statistics (``standardize_features``), and for each k in
    ``n_steps`` a :class:`~selfdistill.SelfDistilledRidgeCV` with ``n_steps=(k,)`` chooses alpha on
    ``alphas`` and xi exactly on the validation part (``tuning="validation"``). With ``one_shot``
    (e.g. ``("gcv", "loo", "cp")``) the same models are also tuned without a validation split,
    on train + validation together, and scored on the same test part.

    Parameters
    ----------
    datasets : sequence of str
        Names understood by :func:`selfdistill.datasets.load_uci`.
    n_steps : sequence of int
        Numbers of distillation steps (0 = ridge); each is its own method.
    seeds : iterable of int
        One random split per seed.
    split : (float, float, float)
        Train/validation/test fractions (the paper's 30/30/40 by default).
    alphas : sequence of float
        Penalty grid (the paper's lambda on the sum of squares).
    tuning : str
        Tuning on the paper split ("validation" is the paper's protocol).
    one_shot : sequence of str
        Extra tunings on train + validation ("gcv", "loo", "cp").
    standardize_features, fit_intercept : bool
    data_dir : str, optional
        Folder with the raw UCI files (else ``SELFDISTILL_DATA_DIR``, the cache, or a download).
    n_jobs : int or None
        joblib workers over (dataset, seed) tasks. None defers to an enclosing
        ``joblib.parallel_config`` (one worker without one). To run the tasks on a dask cluster::

            from distributed import Client
            import joblib
            client = Client()  # or Client("tcp://scheduler:8786")
            with joblib.parallel_config(backend="dask"):
                frame = run_uci()

        (``joblib.parallel_backend("dask")`` is the older spelling of the same.) Results are
        identical to a local run: every task is seeded by its (dataset, seed) pair.
    show_progress : bool
        Progress bar over tasks.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, seed, protocol, tuning, method) with the chosen alpha, xi, k, the
        criterion's MSE, the test MSE, the fit time and the configuration.
    """
    seeds = list(seeds)
    data = {name: load_uci(name, data_dir=data_dir) for name in datasets}
    tasks = [(name, seed) for name in datasets for seed in seeds]
    alphas = np.asarray(alphas, dtype=float)
    job = delayed(_one_seed)
    calls = (
        job(name, *data[name], seed, tuple(n_steps), split, alphas, tuning, tuple(one_shot),
            standardize_features, fit_intercept)
        for name, seed in progress(tasks, desc="UCI runs", enabled=show_progress)
    )
    results = Parallel(n_jobs=n_jobs)(calls)
    return pd.DataFrame([row for rows in results for row in rows])


def summarize_uci(frame: pd.DataFrame, baseline: str = "ridge") -> pd.DataFrame:
    """Mean ± standard error of the test MSE per method, % change vs ridge, paired tests over seeds.

    The comparison is within each (dataset, protocol, tuning) group and paired by seed: the
    p-values come from a paired t-test (``scipy.stats.ttest_rel``) and a Wilcoxon signed-rank test
    of the method's test MSE against the baseline's on the same splits.

    Outliers are flagged, not hidden: ``max_abs_xi`` is the largest per-step ``|xi|`` the method
    chose on any split, and ``one_split_dominates`` is True when the mean change is at least one
    percentage point and one split's % change alone outweighs the sum of all other splits'
    absolute changes (so the mean is that split's; NaN for the baseline and with fewer than three
    splits).
    """
    keys = ["dataset", "protocol", "tuning"]
    out = []
    for group_key, group in frame.groupby(keys, sort=False):
        base = group[group["method"] == baseline].set_index("seed")["test_mse"]
        for method, rows in group.groupby("method", sort=False):
            mse = rows.set_index("seed")["test_mse"]
            paired = pd.concat([mse, base], axis=1, keys=["m", "b"]).dropna()
            change = 100.0 * (paired["m"] / paired["b"] - 1.0)
            size = change.abs().to_numpy()
            dominates = (
                bool(size.max() > size.sum() - size.max() and abs(change.mean()) >= 1.0)
                if method != baseline and len(size) >= 3 else np.nan
            )
            record = dict(zip(keys, group_key, strict=True))
            record.update(
                method=method,
                n_seeds=len(mse),
                test_mse_mean=mse.mean(),
                test_mse_se=mse.std(ddof=1) / np.sqrt(len(mse)) if len(mse) > 1 else np.nan,
                pct_change_vs_ridge=100.0 * (mse.mean() / base.mean() - 1.0) if len(base) else np.nan,
                pct_change_se=change.std(ddof=1) / np.sqrt(len(change)) if len(change) > 1 else np.nan,
                median_alpha=rows["alpha"].median(),
                share_xi_negative=float(np.mean([x is not None and len(x) > 0 and x[-1] < 0 for x in rows["xi"]])),
                max_abs_xi=max((abs(v) for x in rows["xi"] if x is not None for v in x), default=np.nan),
                one_split_dominates=dominates,
            )
            if method != baseline and len(paired) > 1 and np.any(paired["m"] != paired["b"]):
                record["p_ttest"] = stats.ttest_rel(paired["m"], paired["b"]).pvalue
                record["p_wilcoxon"] = stats.wilcoxon(paired["m"], paired["b"]).pvalue
            else:
                record["p_ttest"] = record["p_wilcoxon"] = np.nan
            out.append(record)
    return pd.DataFrame(out)


def protocol_sensitivity(
    datasets: Sequence[str] = PAPER_DATASETS,
    seeds: Iterable[int] = range(10),
    n_steps: int = 2,
    *,
    data_dir: str | None = None,
    n_jobs: int = 1,
    show_progress: bool = True,
) -> pd.DataFrame:
    """How the k-step gain over ridge depends on unstated protocol choices.

    Crosses the paper's coarse grid ``{1, 10, ..., 10^4}`` with a fine grid (33 values from 1e-3 to
    1e5), raw with standardised features, and an intercept with none; each cell is the paper's
    validation protocol for ridge and for ``n_steps``-step SD. Returns one row per
    (dataset, grid, features, intercept) with the mean % change of the test MSE vs ridge, its
    standard error over seeds, the share of seeds where the last xi is negative (the sign rule: xi < 0
    undoes over-regularisation, typical when the coarse grid's smallest alpha is too large) and how
    often ridge's alpha sat on the grid's edge.
    """
    seeds = list(seeds)
    cells = [
        (grid_name, grid, standardized, intercept)
        for grid_name, grid in (("coarse {1..1e4}", PAPER_COARSE_ALPHAS), ("fine 1e-3..1e5", FINE_ALPHAS))
        for standardized in (False, True)
        for intercept in (True, False)
    ]
    rows = []
    for grid_name, grid, standardized, intercept in progress(cells, desc="protocol cells", enabled=show_progress):
        frame = run_uci(
            datasets, (0, n_steps), seeds, alphas=grid, standardize_features=standardized,
            fit_intercept=intercept, data_dir=data_dir, n_jobs=n_jobs, show_progress=False,
        )
        for name, group in frame.groupby("dataset", sort=False):
            ridge = group[group["n_steps"] == 0].set_index("seed")
            sd = group[group["n_steps"] == n_steps].set_index("seed")
            change = 100.0 * (sd["test_mse"] / ridge["test_mse"] - 1.0)
            rows.append(
                {
                    "dataset": name,
                    "grid": grid_name,
                    "features": "standardised" if standardized else "raw",
                    "intercept": intercept,
                    "n_steps": n_steps,
                    "n_seeds": len(seeds),
                    "pct_change_mean": change.mean(),
                    "pct_change_se": change.std(ddof=1) / np.sqrt(len(change)) if len(change) > 1 else np.nan,
                    "best_pct_change": change.min(),
                    "ridge_test_mse": ridge["test_mse"].mean(),
                    "sd_test_mse": sd["test_mse"].mean(),
                    "share_last_xi_negative": float(np.mean([x[-1] < 0 for x in sd["xi"] if x])),
                    "ridge_alpha_on_edge": float(ridge["alpha_on_grid_edge"].mean()),
                    "ridge_median_alpha": ridge["alpha"].median(),
                }
            )
    return pd.DataFrame(rows)
