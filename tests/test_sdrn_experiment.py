"""The ``sdrn`` experiment runs end to end and reports claims with computed verdicts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from selfdistill.reproduce import EXPERIMENTS, ReproduceContext, get_experiment, run_experiment
from selfdistill.reproduce import sdrn as experiment


def test_registered_with_a_quick_configuration():
    assert EXPERIMENTS["sdrn"][0] == "selfdistill.reproduce.sdrn"
    assert get_experiment("sdrn") is experiment.EXPERIMENT and experiment.EXPERIMENT.quick is experiment.QUICK
    assert experiment.QUICK.sizes[-1] < experiment.SDRNConfig().sizes[-1]


@pytest.mark.slow  # ~15 s on a loaded 2-core host
def test_tiny_run_writes_tables_figure_and_verdicts(tmp_path, monkeypatch):
    tiny = dataclasses.replace(experiment.QUICK, dims=(2,), sizes=(100, 200), n_test=500, mlp_max_iter=20,
                               robust_n=150, sd_n=120, real_datasets=())
    monkeypatch.setattr(experiment, "EXPERIMENT", dataclasses.replace(experiment.EXPERIMENT, quick=tiny))
    out = run_experiment("sdrn", ReproduceContext(out_dir=tmp_path, quick=True, progress=False))
    names = {p.name for p in out.files}
    assert {"sdrn_per_seed.csv", "sdrn_slopes.csv", "sdrn.png", "sdrn_report.md"} <= names
    raw = pd.read_csv(tmp_path / "sdrn_per_seed.csv")
    assert set(raw.study) == {"rates", "robustness", "sd"}
    assert raw.seed.notna().all() and raw.quick.all()
    rates = raw[raw.study == "rates"]
    assert set(rates.method) == {"SDRN", "dense MLP (same size)", "kernel ridge (LOO)"}
    # the MLP is matched to the SDRN's size within one hidden unit's worth of parameters
    size = rates.pivot_table(index="n", columns="method", values="n_params")
    assert np.all(np.abs(size["SDRN"] - size["dense MLP (same size)"]) < 0.1 * size["SDRN"])
    slopes = pd.read_csv(tmp_path / "sdrn_slopes.csv")
    assert (slopes["theory (1-D, s = 2)"] == -0.8).all()
    assert len(out.claims) == 6
    allowed = {"confirmed", "partly", "not confirmed", "consistent"}
    assert all(c.verdict in allowed for c in out.claims)
    assert "reconstruction" in (tmp_path / "sdrn_report.md").read_text()
