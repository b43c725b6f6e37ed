"""Smoke test of ``selfdistill reproduce dmd2 --quick`` (needs torch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from selfdistill.reproduce import ReproduceContext, run_experiment  # noqa: E402
from selfdistill.reproduce.dmd2 import METHODS, ring_target  # noqa: E402


@pytest.mark.slow
def test_quick_run_writes_consistent_outputs(tmp_path):
    ctx = ReproduceContext(out_dir=tmp_path, seeds=1, quick=True, progress=False)
    output = run_experiment("dmd2", ctx)
    assert output.name == "dmd2" and "[QUICK]" in output.summary and output.quick
    assert "**Headline**" in output.summary
    for path in output.files:
        assert path.exists() and path.stat().st_size > 0
    assert len(output.figures) == 4
    assert all(f.suffix == ".png" and f.stat().st_size > 20_000 for f in output.figures)

    raw = pd.read_csv(tmp_path / "dmd2_results.csv")
    # three data sets, every method plus the real-vs-real floor row
    assert len(raw) == 3 * (len(METHODS) + 1)
    assert {"dataset", "method", "seed", "nfe", "teacher_iter", "quick", "dtype"} <= set(
        raw.columns
    )
    assert raw["quick"].all() and (raw["seed"] == 0).all()
    nfe = raw.set_index(["dataset", "method"])["nfe"]
    assert nfe[("ring", "teacher_40")] == 79 and nfe[("digits", "dmd2_gan")] == 1
    assert nfe[("ring", "dmd2_4step_bs")] == 4 and nfe[("ring", "teacher_4")] == 4
    ring = raw[raw["dataset"].str.startswith("ring")]
    digits = raw[raw["dataset"] == "digits"]
    assert ring["energy_distance"].between(0, 10).all()
    for column in ("on_mode", "weight_tv", "precision", "recall"):
        assert ring[column].between(0, 1).all(), column
    floor = raw[raw["method"] == "data_floor"].set_index("dataset")
    assert floor.loc["ring", "on_mode"] > 0.9  # fresh data are on the modes
    assert floor.loc["digits", "fid_digits"] > 0  # held-out reference: real vs real is not 0
    assert digits["fid_digits"].notna().all()
    generated = digits[digits["method"] != "data_floor"]
    assert generated["class_accuracy"].between(0, 1).all()
    # Teacher rows carry no student settings; student rows carry them.
    students = raw[raw["method"].str.startswith("dmd")]
    assert students["dfake_gen_update_ratio"].notna().all()
    assert set(students.loc[students["method"] == "dmd", "regression_weight"]) == {0.25}
    assert np.isnan(raw.loc[raw["method"] == "teacher_1", "max_iter"]).all()

    summary = pd.read_csv(tmp_path / "dmd2_summary.csv")
    assert len(summary) == 3 * (len(METHODS) + 1) and (summary["n_seeds"] == 1).all()
    assert len(output.claims) == 5
    for claim in output.claims:  # computed verdicts with their rule and uncertainty
        assert claim.rule and claim.uncertainty and claim.verdict
    parts = ring_target(summary)
    assert set(parts) == {"on_mode", "weight_tv", "ed_ratio"}
    assert all(v in ("reproduced", "not reproduced", "inconclusive") for _, v in parts.values())
