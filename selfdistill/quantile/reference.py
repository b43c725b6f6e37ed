"""Loader of the R ``qrjoint`` reference outputs shipped in the repository's ``data/qrjoint``.

The folder holds, per case, the data as fitted, R's posterior medians and 95% bands of
``beta(tau)`` and the run's metadata (see its README). It is found through ``directory``, else the
environment variable ``SELFDISTILL_QRJOINT_DIR``, else a ``qrjoint`` folder next to
``SELFDISTILL_DATA_DIR``, else the shipped copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import Converter, HasMethods, InstanceOf, Options, validate_params
from ._checks import as_level_grid

CASES = ("locscale", "rightcens", "plasma")
#: The copy shipped with the repository (numbers produced by R's qrjoint 2.0-3; no R code).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "qrjoint"

#: Model matrix of the plasma case in R's column order (treatment contrasts, as fitted by R).
PLASMA_TERMS = ("Age", "Sex2", "SmokStat2", "SmokStat3", "Quetelet", "VitUse1", "VitUse2", "Calories",
                "Fat", "Fiber", "Alcohol", "Cholesterol", "BetaDiet")


@dataclass
class ReferenceCase:
    """One reference case: design, response, censoring codes, R's coefficient summary and metadata."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    censoring: np.ndarray
    coef: pd.DataFrame
    meta: dict

    def truth(self, taus):
        """Known coefficient functions (locscale, rightcens): ``1 + Phi^{-1}(tau)``, ``2 + Phi^{-1}(tau)``."""
        from scipy.stats import norm

        if self.name not in ("locscale", "rightcens"):
            raise ValueError(f"case {self.name!r} has no known truth")
        z = norm.ppf(np.asarray(taus, dtype=float))
        return np.column_stack([1.0 + z, 2.0 + z])


def _csv(folder: Path, stem: str) -> Path:
    """``stem.csv`` in ``folder``, or its xz-compressed copy (as shipped in ``data/qrjoint``)."""
    plain = folder / f"{stem}.csv"
    return plain if plain.is_file() else folder / f"{stem}.csv.xz"


def reference_dir(directory=None) -> Path | None:
    """The reference folder, or None when it cannot be found."""
    candidates = [directory, os.environ.get("SELFDISTILL_QRJOINT_DIR")]
    data_dir = os.environ.get("SELFDISTILL_DATA_DIR")
    if data_dir:
        candidates.append(Path(data_dir).parent / "qrjoint")
    candidates.append(SHIPPED_DIR)
    for c in candidates:
        if c and _csv(Path(c), "locscale_coef").is_file():
            return Path(c)
    return None


@validate_params({"case": [Options(*CASES)]})
def load_reference(case: str, directory=None) -> ReferenceCase:
    """Load one case of the R reference outputs.

    Raises
    ------
    ValueError
        For an unknown case.
    FileNotFoundError
        When the folder cannot be found (say where to point it).
    """
    folder = reference_dir(directory)
    if folder is None:
        raise FileNotFoundError(
            "qrjoint reference outputs not found: pass directory=, or set SELFDISTILL_QRJOINT_DIR "
            "(or SELFDISTILL_DATA_DIR with a sibling 'qrjoint' folder)."
        )
    data = pd.read_csv(_csv(folder, f"{case}_data"))
    coef = pd.read_csv(_csv(folder, f"{case}_coef"))
    meta = pd.read_csv(_csv(folder, f"{case}_meta")).iloc[0].to_dict()
    if case == "plasma":
        factors = data[["Sex", "SmokStat", "VitUse"]].astype(int).astype(str)
        dummies = pd.get_dummies(factors, drop_first=True, dtype=float, prefix_sep="")
        X = pd.concat([data.drop(columns=["Sex", "SmokStat", "VitUse"]), dummies], axis=1)
        X = X[list(PLASMA_TERMS)].astype(float)
        y = data["BetaPlasma"].to_numpy(float)
    else:
        X = data[["x"]].astype(float)
        y = data["y"].to_numpy(float)
    cens = data["cens"].to_numpy(int) if "cens" in data else np.zeros(len(y), dtype=int)
    return ReferenceCase(case, X, y, cens, coef, meta)


def _as_level_range(tau_range, name):
    """Converter: ``(low, high)`` levels with ``0 < low < high < 1``."""
    levels = as_level_grid(tau_range, name)
    if levels.size != 2:
        raise ValueError(f"{name} must be two levels (low, high), got {tau_range!r}.")
    return levels


@validate_params({
    "estimator": [HasMethods("coef_at")],
    "case": [InstanceOf(ReferenceCase, "a ReferenceCase from load_reference")],
    "tau_range": [Converter(_as_level_range, "two increasing levels in (0, 1)")],
})
def band_agreement(estimator, case: ReferenceCase, tau_range=(0.05, 0.95)) -> pd.DataFrame:
    """Per (tau, term) on R's grid: our estimate, R's band, and whether the estimate lies inside it."""
    ref = case.coef
    ref = ref[(ref["tau"] >= tau_range[0] - 1e-9) & (ref["tau"] <= tau_range[1] + 1e-9)]
    taus = np.sort(ref["tau"].unique())
    est = estimator.coef_at(taus)
    terms = ["(Intercept)"] + list(case.X.columns)
    rows = []
    for j, term in enumerate(terms):
        r = ref[ref["term"] == term].sort_values("tau")
        if len(r) != taus.size:
            raise ValueError(f"reference has no complete path for term {term!r}")
        rows.append(pd.DataFrame({
            "tau": taus, "term": term, "estimate": est[:, j], "r_lower": r["lower"].to_numpy(),
            "r_median": r["median"].to_numpy(), "r_upper": r["upper"].to_numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    out["inside"] = (out["estimate"] >= out["r_lower"]) & (out["estimate"] <= out["r_upper"])
    return out
