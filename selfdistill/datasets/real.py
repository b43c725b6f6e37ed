"""Real regression data sets that install offline with the project's own dependencies.

The real-data benchmark (``benchmarks/real_data.py``, ``selfdistill reproduce real-data``) runs on
these: the paper's three UCI sets (:func:`~selfdistill.datasets.load_uci`), the data set bundled
with scikit-learn that needs no download (diabetes), and regression problems among the data sets
bundled with statsmodels. Each loader returns the features *as distributed* (raw units, never
standardised) as a float64 ``DataFrame`` and the target as a float64 ``Series``; rows with a
missing value are dropped. Which column is the target and which are features is our choice for
the statsmodels sets (their ``endog`` is sometimes a count or an ordinal scale) and is written
next to each entry in :data:`REAL_DATASETS`.

Data sets considered and left out: scikit-learn's California housing (needs a download),
linnerud (20 rows, three targets); statsmodels' longley, stackloss, copper, committee, cpunish,
scotland, spector, statecrime (fewer than 60 rows), modechoice and heart (binary or censored
targets), co2, elnino, nile, sunspots, macrodata, fertility, elec_equip (time series).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .._validation import InstanceOf, Options, validate_params


@dataclass(frozen=True)
class RealDataset:
    """One entry of :data:`REAL_DATASETS`.

    Attributes
    ----------
    name : str
        Key used by :func:`load_real`.
    source : str
        Where the data come from (package and data set).
    target : str
        What ``y`` is.
    description : str
        Features and the choices we made.
    loader : callable
        ``loader(data_dir) -> (X, y)``.
    """

    name: str
    source: str
    target: str
    description: str
    loader: Callable[[str | None], tuple[pd.DataFrame, pd.Series]]


def _uci(name: str):
    def load(data_dir):
        from .uci import load_uci

        return load_uci(name, data_dir)

    return load


def _statsmodels_frame(name: str) -> pd.DataFrame:
    from importlib import import_module

    return import_module(f"statsmodels.datasets.{name}").load_pandas().data.copy()


def _split(frame: pd.DataFrame, target: str, features: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    frame = frame.dropna(subset=[target, *features])
    X = frame[features].astype("float64").reset_index(drop=True)
    y = frame[target].astype("float64").reset_index(drop=True).rename(target)
    return X, y


def _diabetes(data_dir):
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(as_frame=True, scaled=False)
    return _split(bunch.frame, "target", list(bunch.feature_names))


def _randhie(data_dir):
    frame = _statsmodels_frame("randhie")
    return _split(frame, "mdvis", [c for c in frame.columns if c != "mdvis"])


def _fair(data_dir):
    frame = _statsmodels_frame("fair")
    return _split(frame, "affairs", [c for c in frame.columns if c != "affairs"])


def _star98(data_dir):
    frame = _statsmodels_frame("star98")
    frame["share_above"] = frame["NABOVE"] / (frame["NABOVE"] + frame["NBELOW"])
    features = [c for c in frame.columns if c not in ("NABOVE", "NBELOW", "share_above")]
    return _split(frame, "share_above", features)


def _grunfeld(data_dir):
    frame = _statsmodels_frame("grunfeld")
    firms = pd.get_dummies(frame["firm"].astype(str), prefix="firm", drop_first=True, dtype="float64")
    frame = pd.concat([frame.drop(columns="firm"), firms], axis=1)
    return _split(frame, "invest", ["value", "capital", "year", *firms.columns])


def _anes96(data_dir):
    frame = _statsmodels_frame("anes96")
    features = ["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"]
    return _split(frame, "PID", features)


def _engel(data_dir):
    return _split(_statsmodels_frame("engel"), "foodexp", ["income"])


def _ccard(data_dir):
    frame = _statsmodels_frame("ccard")
    return _split(frame, "AVGEXP", ["AGE", "INCOME", "INCOMESQ", "OWNRENT"])


#: name -> :class:`RealDataset`, in the order the benchmark reports them.
REAL_DATASETS: dict[str, RealDataset] = {
    entry.name: entry
    for entry in (
        RealDataset(
            "air_quality", "UCI 360 (load_uci)", "NO2(GT)", "8 sensor and weather covariates", _uci("air_quality")
        ),
        RealDataset("airfoil", "UCI 291 (load_uci)", "scaled sound pressure", "5 physical features", _uci("airfoil")),
        RealDataset(
            "appliances_energy", "UCI 374 (load_uci)", "Appliances (energy use, Wh)", "the 27 sensor and weather columns",
            _uci("appliances_energy"),
        ),
        RealDataset(
            "diabetes", "scikit-learn load_diabetes(scaled=False)", "disease progression after one year",
            "age, sex, BMI, blood pressure, six serum measurements (raw units)", _diabetes,
        ),
        RealDataset(
            "randhie", "statsmodels randhie", "mdvis (number of outpatient visits)",
            "the 9 exogenous variables of the RAND health insurance experiment", _randhie,
        ),
        RealDataset(
            "fair", "statsmodels fair", "affairs (time spent in extramarital affairs)",
            "the 8 survey variables", _fair,
        ),
        RealDataset(
            "star98", "statsmodels star98", "NABOVE / (NABOVE + NBELOW), share above the national median",
            "the 20 school-district variables, interactions included (strongly collinear)", _star98,
        ),
        RealDataset(
            "grunfeld", "statsmodels grunfeld", "invest (gross investment)",
            "value, capital, year and firm indicators (first firm dropped)", _grunfeld,
        ),
        RealDataset(
            "anes96", "statsmodels anes96", "PID (party identification, 0-6 scale)",
            "logpopul, TVnews, selfLR, ClinLR, DoleLR, age, educ, income (vote left out)", _anes96,
        ),
        RealDataset("engel", "statsmodels engel", "foodexp (food expenditure)", "income (one feature)", _engel),
        RealDataset(
            "ccard", "statsmodels ccard", "AVGEXP (average credit card expenditure)",
            "AGE, INCOME, INCOMESQ, OWNRENT (72 rows: the small-sample case)", _ccard,
        ),
    )
}


@validate_params(
    {
        "name": [Options(*REAL_DATASETS)],
        "data_dir": [InstanceOf((str, os.PathLike), "a path (str or os.PathLike)"), None],
    }
)
def load_real(name: str, data_dir=None) -> tuple[pd.DataFrame, pd.Series]:
    """Load one of the :data:`REAL_DATASETS` as ``(X, y)`` in raw units.

    Parameters
    ----------
    name : str
        A key of :data:`REAL_DATASETS`.
    data_dir : str, path or None, default=None
        Folder with the raw UCI files, passed to :func:`~selfdistill.datasets.load_uci` for the UCI
        sets (``None``: ``SELFDISTILL_DATA_DIR``, the cache or a download); ignored by the others,
        which ship inside scikit-learn and statsmodels.

    Returns
    -------
    X : DataFrame of shape (n_samples, n_features)
        Float64 features, not standardised, fresh RangeIndex.
    y : Series of shape (n_samples,)
        Float64 target with the same index.

    Raises
    ------
    ValueError
        If ``name`` is not a known data set.
    """
    return REAL_DATASETS[name].loader(data_dir)
