"""Tuning reports for the cross-validated self-distillation estimators."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._validation import Interval, validate_params


@dataclass
class TuningReport:
    """Every (alpha, k) candidate of a fitted CV estimator, with the selected one.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per candidate: ``alpha``, ``n_steps``, ``mse`` (the criterion's estimate of the
        mean squared error), ``score`` (= -mse), ``rank``, ``xi`` and ``xibar`` (tuples), plus the
        criterion-specific columns (both one-shot estimates under ``gcv``).
    best : dict
        The selected ``alpha``, ``n_steps``, ``xi``, ``xibar`` and ``mse``.
    meta : dict
        Estimator class, tuning method and its parameters.
    """

    results: pd.DataFrame
    best: dict
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_estimator(cls, est) -> TuningReport:
        """Build the report from a fitted estimator with ``cv_results_``."""
        frame = pd.DataFrame(
            {key: (list(map(_as_tuple, value)) if value.dtype == object else value)
             for key, value in est.cv_results_.items()}
        )
        best = {
            "alpha": est.alpha_,
            "n_steps": est.n_steps_,
            "xi": _as_tuple(est.xi_),
            "xibar": _as_tuple(est.xibar_),
            "mse": -est.best_score_,
        }
        meta = {"estimator": type(est).__name__, **est.get_params(deep=False),
                "notes": list(getattr(est, "tuning_notes_", []))}
        return cls(frame, best, meta)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the candidate table, with the tuning configuration in every row."""
        frame = self.results.copy()
        frame["selected"] = (frame["alpha"] == self.best["alpha"]) & (
            frame["n_steps"] == self.best["n_steps"]
        )
        for key in ("estimator", "tuning", "one_shot", "fit_intercept"):
            if key in self.meta:
                frame[key] = self.meta[key]
        return frame

    @validate_params({"digits": [Interval(numbers.Integral, 1, 17)]})
    def summary(self, digits: int = 4) -> str:
        """Text table of the best candidate for each k (alpha, xi, estimated MSE)."""
        frame = self.results
        if "status" in frame:  # only candidates that could be selected
            frame = frame[frame["status"] == ""]
        frame = frame[np.isfinite(frame["mse"])]
        best_rows = frame.loc[frame.groupby("n_steps")["mse"].idxmin()].sort_values("n_steps")
        ridge = best_rows.loc[best_rows["n_steps"] == 0, "mse"]
        lines = [
            f"{self.meta.get('estimator', 'estimator')} (tuning={self.meta.get('tuning')!r}): "
            f"selected alpha={self.best['alpha']:.4g}, n_steps={self.best['n_steps']}, "
            f"estimated MSE={self.best['mse']:.{digits}g}",
            f"{'k':>3} {'alpha':>10} {'est. MSE':>12} {'vs ridge':>9}  xi (per step)",
        ]
        for _, row in best_rows.iterrows():
            change = (
                f"{100 * (row['mse'] / ridge.iloc[0] - 1):+8.2f}%" if len(ridge) and np.isfinite(row["mse"])
                else f"{'':>9}"
            )
            xi = "ridge" if row["n_steps"] == 0 else _format_xi(row["xi"], digits)
            lines.append(f"{row['n_steps']:>3} {row['alpha']:>10.4g} {row['mse']:>12.{digits}g} {change}  {xi}")
        for note in self.meta.get("notes", []):
            lines.append(f"rejected: {note}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Estimated MSE vs alpha for each k, with the 1-step xi* vs alpha on a twin axis.

        As in Dang, Patil & Rinaldo (2026): dotted vertical lines mark where the 1-step xi*
        crosses 0 (the ridge optimum, by the sign rule) and 1.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        frame = self.results
        for k, group in frame.groupby("n_steps"):
            group = group.sort_values("alpha")
            label = "ridge (k = 0)" if k == 0 else f"{k}-step SD"
            ax.plot(group["alpha"], group["mse"], marker="o", ms=3, label=label)
        ax.set_xscale("log")
        ax.set_xlabel(r"$\alpha$ (ridge penalty $\lambda$ on the sum of squares)")
        ax.set_ylabel(f"estimated MSE ({self.meta.get('tuning', '')})")
        ax.axvline(self.best["alpha"], color="grey", lw=0.8, ls="--")
        one = frame[frame["n_steps"] == 1].sort_values("alpha")
        if len(one):
            twin = ax.twinx()
            xi = np.array([x[0] if x else np.nan for x in one["xi"]], dtype=float)
            twin.plot(one["alpha"], xi, color="black", ls=":", lw=1.2, label=r"1-step $\xi^*$")
            twin.set_yscale("symlog", linthresh=1.0)
            twin.set_ylabel(r"1-step $\xi^*(\alpha)$ (symlog)")
            for level in (0.0, 1.0):
                twin.axhline(level, color="black", lw=0.5, alpha=0.4)
            lines, labels = ax.get_legend_handles_labels()
            more, more_labels = twin.get_legend_handles_labels()
            ax.legend(lines + more, labels + more_labels, fontsize=8)
        else:
            ax.legend(fontsize=8)
        ax.set_title(
            f"selected: alpha={self.best['alpha']:.3g}, k={self.best['n_steps']}"
        )
        return ax


def _as_tuple(value):
    if value is None:
        return None
    return tuple(float(v) for v in np.atleast_1d(value))


def _format_xi(xi, digits: int) -> str:
    if xi is None:
        return "(no finite per-step xi)"
    return "[" + ", ".join(f"{v:.{digits}g}" for v in xi) + "]"
