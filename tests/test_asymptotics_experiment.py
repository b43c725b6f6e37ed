"""The ``dang-fig6`` reproduction (quick mode): files, numbers against the library, claims."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from selfdistill import FixedDesignProblem, RandomDesignSD, excess_risk
from selfdistill.reproduce import EXPERIMENTS, ReproduceContext, dang_fig6, run_experiment

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dang_fig6")
    return run_experiment("dang-fig6", ReproduceContext(out_dir=out, quick=True, progress=False)), out


def test_registered_with_a_thin_script():
    assert EXPERIMENTS["dang-fig6"][0] == "selfdistill.reproduce.dang_fig6"
    script = (ROOT / "experiments" / "dang_fig6.py").read_text()
    assert '"reproduce", "dang-fig6"' in script


def test_files_figures_and_metadata(run):
    output, out = run
    assert output.name == "dang-fig6"
    for path in output.files:
        assert Path(path).is_file() and Path(path).stat().st_size > 0, path
    # the runner lists the files of a result set by name
    assert [Path(f).name for f in output.figures] == ["dang_fig6.png", "dang_fig6_bridge.png",
                                                      "dang_fig6_sign_rule.png"]
    for figure in output.figures:
        assert Path(figure).stat().st_size > 20_000
    meta = json.loads((out / "dang_fig6.json").read_text())
    assert meta["quick"] is True and meta["config"]["n_grid"] == dang_fig6.QUICK_CONFIG.n_grid
    assert "QUICK MODE" in output.summary


def test_heat_map_numbers_match_the_library(run):
    _, out = run
    heat = pd.read_csv(out / "dang_fig6.csv")
    config = dang_fig6.QUICK_CONFIG
    assert len(heat) == len(dang_fig6.SIGMAS) * config.n_grid**2 * 2
    assert (heat["rel_gap"] >= -1e-10).all()  # nothing beats the Bayes rule
    np.testing.assert_allclose(heat["ridge_opt_lam"], heat["gamma"] / heat["snr"], rtol=1e-12)
    row = heat[(heat["sigma"] == "identity")].iloc[5]
    model = RandomDesignSD([1.0], None, row["gamma"], 1.0, signal_energy=row["snr"])
    assert row["sd_risk"] == pytest.approx(model.optimal(row["lam"]).risk, rel=1e-12)
    assert row["ridge_opt_risk"] == pytest.approx(model.ridge(row["gamma"] / row["snr"]).risk, rel=1e-12)


def test_bridge_rows_reproduce_from_their_seeds(run):
    _, out = run
    rows = pd.read_csv(out / "dang_fig6_bridge.csv")
    np.testing.assert_allclose(rows["alpha"], rows["n"] * rows["lam"])
    row = rows.iloc[-1]
    n, p = int(row["n"]), int(row["p"])
    idx = np.arange(p)
    sigma = 0.5 ** np.abs(idx[:, None] - idx[None, :])
    s, V = np.linalg.eigh(sigma)
    s, V = s[::-1], V[:, ::-1]
    b = np.zeros(p)
    b[: round(0.1 * p)] = np.sqrt(2.0 / round(0.1 * p))
    X = np.random.default_rng(int(row["seed"])).standard_normal((n, p)) @ (V @ (np.sqrt(s)[:, None] * V.T))
    exact = excess_risk(X, V @ b, 1.0, row["alpha"], kind="population", covariance=sigma)
    assert row["ridge_excess_risk"] == pytest.approx(exact, rel=1e-10)
    one = FixedDesignProblem.from_X(X, V @ b, 1.0).one_step(row["alpha"], kind="population", covariance=sigma)
    assert row["sd_excess_risk"] == pytest.approx(one.risk, rel=1e-10)
    de = RandomDesignSD(s, b, p / n, 1.0).optimal(row["lam"])
    assert row["de_sd_excess_risk"] == pytest.approx(de.excess_risk, rel=1e-12)


def test_claims_have_computed_verdicts(run):
    output, _ = run
    verdicts = {c.claim.split(":")[0]: c.verdict for c in output.claims}
    assert len(output.claims) == 7
    for claim in output.claims:
        assert claim.claim and claim.paper and claim.measured and claim.verdict
    assert verdicts["Theorem 2.2 (limit)"] == "reproduced"
    assert verdicts["Corollary 3.2"] == "reproduced"
    assert verdicts["Lecoiu et al. (claim 4)"].startswith("reproduced")
    assert verdicts["Lecoiu et al. (claims 2–3)"].startswith("not checkable exactly")


def test_thin_script_parses_the_usual_options():
    env = {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "experiments" / "dang_fig6.py"), "--help"],
                            capture_output=True, text=True, env=env, check=True)
    for option in ("--out", "--seeds", "--quick", "--no-progress"):
        assert option in result.stdout


def test_claims_render_in_the_report(run, tmp_path):
    from selfdistill.reproduce.report import write_report

    output, out = run
    ctx = ReproduceContext(out_dir=out, quick=True, progress=False)
    text = write_report([output], ctx, folder=tmp_path).read_text()
    for claim in output.claims:
        assert claim.verdict in text
    assert "dang_fig6_bridge.png" in text
