"""Reproductions of the paper's Figs. 2, 3, 4 and 10 and the REPORT.md writer.

Each experiment runs once in quick mode into a temporary folder (module-scoped fixtures); the tests
check the files, the CSV columns, the numbers against theory.md's golden values (ours, not the
paper's) and against independent computations, and the Claim rows. Fig. 10 reads the UCI files
shipped in data/uci (or SELFDISTILL_DATA_DIR) and FAILS when they are missing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from selfdistill.datasets import power_law_singular_values
from selfdistill.datasets.uci import (
    DataUnavailableError,
    load_uci,
    train_val_test_split,
)
from selfdistill.reproduce import fig2, fig3, fig4, fig10, run_experiment
from selfdistill.reproduce._experiment import (
    Claim,
    ExperimentOutput,
    ReproduceContext,
    interval_verdict,
)
from selfdistill.reproduce._outputs import markdown_table
from selfdistill.reproduce.report import write_report
from selfdistill.theory import excess_risk

ROOT = Path(__file__).resolve().parents[1]
#: A real figure with axes, labels and curves is tens of kB; an empty canvas is a few kB.
MIN_PNG_BYTES = 20_000


def _quick(tmp_path_factory, module, **kwargs):
    out = tmp_path_factory.mktemp(module.NAME)
    ctx = ReproduceContext(out_dir=out, quick=True, progress=False, **kwargs)
    return run_experiment(module.NAME, ctx), out


@pytest.fixture(scope="module")
def fig2_run(tmp_path_factory):
    return _quick(tmp_path_factory, fig2)


@pytest.fixture(scope="module")
def fig3_run(tmp_path_factory):
    return _quick(tmp_path_factory, fig3)


@pytest.fixture(scope="module")
def fig4_run(tmp_path_factory):
    return _quick(tmp_path_factory, fig4)


@pytest.fixture(scope="module")
def fig10_run(tmp_path_factory, uci_mirror):
    return _quick(tmp_path_factory, fig10, data_dir=str(uci_mirror))


def _check_files(output: ExperimentOutput, out: Path, name: str):
    assert output.name == name
    for path in output.files:
        assert Path(path).is_file() and Path(path).stat().st_size > 0, path
        assert Path(path).parent == out
    assert [Path(f).name for f in output.figures] == [f"{name}.png"]
    assert (out / f"{name}.png").stat().st_size > MIN_PNG_BYTES
    assert (out / f"{name}.md").read_text().startswith("| ")
    meta = json.loads((out / f"{name}.json").read_text())
    assert meta["quick"] is True and "numpy" in meta["environment"] and meta["config"]
    assert "QUICK MODE" in output.summary
    for claim in output.claims:
        assert claim.claim and claim.paper and claim.measured and claim.verdict


def _verdicts(output: ExperimentOutput) -> dict[str, str]:
    return {c.claim: c.verdict for c in output.claims}


# ------------------------------------------------------------------------------------- Fig. 2
@pytest.mark.slow
def test_fig2_files_and_columns(fig2_run):
    output, out = fig2_run
    _check_files(output, out, "fig2")
    data = pd.read_csv(out / "fig2.csv")
    config = fig2.QUICK_CONFIG
    assert len(data) == len(config.ranks) * len(config.s_lasts) * len(config.noise_vars)
    for column in ("rank", "s_last", "noise_var", "n_features", "risk_ridge", "risk_one_step",
                   "risk_r_step", "oracle_lb14", "ratio_ridge", "ratio_one_step",
                   "one_step_on_boundary", "one_step_edge", "one_step_edge_gap", "quick"):
        assert column in data.columns
    assert (data["n_features"] == 100).all() and data["quick"].all()


@pytest.mark.slow
def test_fig2_numbers(fig2_run):
    output, out = fig2_run
    data = pd.read_csv(out / "fig2.csv")
    # theta* = u_1 with s_1 = 1: optimal r-step SD equals the bound gamma^2 / (1 + gamma^2) exactly
    np.testing.assert_allclose(data["risk_r_step"], data["noise_var"] / (1 + data["noise_var"]), rtol=1e-12)
    assert (data["r_step_alpha_spread"] < 1e-10).all()  # flat in lambda under distinct s_j
    # ridge >= 1-step >= r-step, and our derived bound holds
    assert (data["risk_ridge"] >= data["risk_one_step"] * (1 - 1e-12)).all()
    assert (data["risk_one_step"] >= data["risk_r_step"]).all()
    assert (data["ratio_ridge"] >= data["derived_lower_bound"]).all()
    # theory.md's table (ours, rounded to 0.1) at the ranks of the quick grid
    checked = 0
    for (g, s_last), cells in fig2.GOLDEN.items():
        for r, (ab, c) in cells.items():
            row = data[(data["noise_var"] == g) & (data["s_last"] == s_last) & (data["rank"] == r)]
            if row.empty:
                continue
            checked += 1
            assert row["ratio_ridge"].iloc[0] == pytest.approx(ab, abs=fig2.GOLDEN_TOL[0])
            if c is not None:
                assert row["ratio_one_step"].iloc[0] == pytest.approx(c, abs=fig2.GOLDEN_TOL[1])
    assert checked >= 12
    # the edge flag is honest: where set, going 10^4 times further changes the risk by < 1e-3
    edge = data[data["one_step_on_boundary"]]
    assert len(edge) > 0 and (edge["one_step_edge_gap"].abs() < 1e-3).all()
    assert set(edge["one_step_edge"]) <= {"alpha->0", "alpha->inf"}


@pytest.mark.slow
def test_fig2_ridge_optimum_matches_a_brute_force_grid():
    """A from the engine's search vs a fine grid of exact ridge risks with an explicit design."""
    config = fig2.Fig2Config()
    row = fig2.gain_at_rank(5, 0.8, 0.01, config)
    s = power_law_singular_values(5, 1.0, 0.8)
    X = np.diag(s)  # n = 5: excess_risk is (1/5) of n * risk
    theta = np.eye(5)[0]
    grid = np.geomspace(1e-4, 10, 4001)
    brute = min(5 * excess_risk(X, theta, 0.01, lam) for lam in grid)
    assert row["risk_ridge"] <= brute * (1 + 1e-12)
    assert row["risk_ridge"] == pytest.approx(brute, rel=1e-5)


@pytest.mark.slow
def test_fig2_claims(fig2_run):
    output, _ = fig2_run
    verdicts = _verdicts(output)
    golden = next(v for c, v in verdicts.items() if "golden" in c)
    assert golden.startswith("matches")
    bound = next(v for c, v in verdicts.items() if "derived bound" in c)
    assert bound == "holds"
    slope = next(v for c, v in verdicts.items() if "condition number" in c)
    assert slope.startswith("reproduced")
    assert "edge" in output.summary


def test_fig2_linear_fit():
    frame = pd.DataFrame({"rank": [1, 2, 3, 4], "ratio_ridge": [3.0, 5.0, 7.0, 9.0]})
    slope, intercept, r2 = fig2.linear_fit(frame)
    assert (slope, intercept, r2) == pytest.approx((2.0, 1.0, 1.0))


# ------------------------------------------------------------------------------------- Fig. 3
def test_fig3_files_and_columns(fig3_run):
    output, out = fig3_run
    _check_files(output, out, "fig3")
    data = pd.read_csv(out / "fig3.csv")
    assert {"panel", "lambda", "k", "risk", "bias", "variance", "oracle_lb14", "grouped_bound",
            "singular_values", "theta_coords", "noise_var", "quick"} <= set(data.columns)
    n_lambda = fig3.QUICK_CONFIG.lambdas().size
    assert len(data) == 3 * n_lambda * 5
    np.testing.assert_allclose(data["bias"] + data["variance"], data["risk"], rtol=1e-12)
    assert (out / "fig3_bound_attainment.csv").is_file()


def test_fig3_golden_values_and_bounds(fig3_run):
    _, out = fig3_run
    data = pd.read_csv(out / "fig3.csv")
    for (panel, lam), expected in fig3.GOLDEN.items():
        part = data[(data["panel"] == panel) & np.isclose(data["lambda"], lam)].sort_values("k")
        np.testing.assert_allclose(part["risk"], expected, atol=fig3.GOLDEN_TOL)
    bounds = data.groupby("panel")[["oracle_lb14", "grouped_bound"]].first()
    assert bounds.loc["a", "oracle_lb14"] == pytest.approx(1 / 11, rel=1e-12)  # gamma^2/(1+gamma^2)
    assert bounds.loc["b", "oracle_lb14"] == pytest.approx(1 / 11, rel=1e-12)  # same bound as (a)
    assert bounds.loc["b", "grouped_bound"] == pytest.approx(1 / 6, rel=1e-12)  # 2g/(1+2g)
    wide = data.pivot_table(index=["panel", "lambda"], columns="k", values="risk")
    assert (np.diff(wide.to_numpy(), axis=1) <= 1e-15).all()  # more steps never hurt
    four = data[data["k"] == 4].set_index("panel")
    np.testing.assert_allclose(four.loc["a", "risk"], 1 / 11, rtol=1e-9)
    np.testing.assert_allclose(four.loc["c", "risk"], four.loc["c", "oracle_lb14"], rtol=1e-9)
    np.testing.assert_allclose(four.loc["b", "risk"], 1 / 6, rtol=1e-9)


def test_fig3_ridge_rows_match_the_closed_form(fig3_run):
    """k = 0 rows against n * risk = sum_j s^2 theta^2 t^2 + gamma^2 a^2, written out here."""
    _, out = fig3_run
    data = pd.read_csv(out / "fig3.csv")
    ridge = data[data["k"] == 0]
    for _, row in ridge.sample(20, random_state=0).iterrows():
        s = np.array(row["singular_values"].split(), dtype=float)
        theta = np.array(row["theta_coords"].split(), dtype=float)
        a = s**2 / (s**2 + row["lambda"])
        expected = np.sum(s**2 * theta**2 * (1 - a) ** 2 + row["noise_var"] * a**2)
        assert row["risk"] == pytest.approx(expected, rel=1e-12)


def test_fig3_claims(fig3_run):
    output, _ = fig3_run
    verdicts = _verdicts(output)
    bound = "Fig. 3: 4-step SD reaches the eq. 14 bound in (a) and (c) but not in (b)"
    assert verdicts[bound] == "reproduced"
    assert verdicts["Fig. 3a: 4 steps are necessary (rank 4, Asmp. 2 holds)"] == "reproduced"
    assert next(v for c, v in verdicts.items() if "golden" in c) == "matches"


# ------------------------------------------------------------------------------------- Fig. 4
def test_fig4_files_and_golden_values(fig4_run):
    output, out = fig4_run
    _check_files(output, out, "fig4")
    data = pd.read_csv(out / "fig4.csv")
    assert {"gap", "k", "step", "xi", "abs_xi", "sign", "xibar", "risk", "alpha", "noise_var",
            "quick"} <= set(data.columns)
    assert len(data) == 5 * (1 + 2 + 3)
    assert (data["sign"] == np.where(data["xi"] >= 0, "+", "-")).all()
    for eps, by_k in fig4.GOLDEN.items():
        for k, expected in by_k.items():
            got = data[np.isclose(data["gap"], eps) & (data["k"] == k)].sort_values("step")["xi"]
            np.testing.assert_allclose(got, expected, rtol=fig4.GOLDEN_RTOL)
    one = data[data["k"] == 1]
    np.testing.assert_allclose(one["xi"], one["one_step_closed_form_xi"], rtol=1e-10)


@pytest.mark.parametrize("k", [1, 2])
def test_fig4_parameters_are_minimisers(fig4_run, k):
    """Perturbing the reported xi (moderate gaps) raises the exact risk of an explicit design."""
    _, out = fig4_run
    data = pd.read_csv(out / "fig4.csv")
    rng = np.random.default_rng(4)
    for eps in (0.2, 0.1):
        part = data[np.isclose(data["gap"], eps) & (data["k"] == k)].sort_values("step")
        xi = part["xi"].to_numpy()
        X = np.diag([1 - j * eps for j in range(4)])
        theta = np.eye(4)[0]
        best = 4 * excess_risk(X, theta, 0.1, 0.125, xi)
        assert best == pytest.approx(part["risk"].iloc[0], rel=1e-10)
        for _ in range(10):
            nudged = xi * (1 + 1e-3 * rng.standard_normal(k))
            assert 4 * excess_risk(X, theta, 0.1, 0.125, nudged) >= best * (1 - 1e-14)


def test_fig4_growth_and_claims(fig4_run):
    output, out = fig4_run
    sizes = fig4.growth(pd.read_csv(out / "fig4.csv")).set_index("k")
    assert sizes.loc[2, "increases as ε shrinks"] and sizes.loc[3, "increases as ε shrinks"]
    assert not sizes.loc[1, "increases as ε shrinks"]  # reported honestly in the claim
    slope = sizes["log-log slope (two smallest ε)"]
    assert slope[3] < slope[2] < -0.5  # |xi| ~ eps^-(k-1): about -1 for k = 2, -2 for k = 3
    verdict = next(v for c, v in _verdicts(output).items() if c.startswith("Fig. 4"))
    assert verdict.startswith("reproduced for k = 2, 3") and "not for k = 1" in verdict


@pytest.mark.slow
def test_thin_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "fig4.py"), "--out", str(tmp_path), "--quick"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )
    assert "Fig. 4" in result.stdout and (tmp_path / "fig4.png").is_file()


# ------------------------------------------------------------------------------------- Fig. 10
def test_alignment_summary_limits():
    aligned = fig10.alignment_summary([0.0, 1.0, 0.0, 0.0])
    assert aligned["max_cos2"] == 1.0 and aligned["n_eff"] == 1.0 and aligned["argmax_direction"] == 2
    assert aligned["directions_for_share"] == 1
    spread = fig10.alignment_summary(np.full(5, 0.2))
    assert spread["n_eff"] == pytest.approx(5.0) and spread["n_eff_over_rank"] == pytest.approx(1.0)
    assert spread["directions_for_share"] == 5
    # normalised first: a theta with 10 % outside the row space gives the same summaries
    assert fig10.alignment_summary([0.45, 0.45])["n_eff"] == pytest.approx(2.0)


def test_fig10_without_data_fails_fast_with_a_clear_error(tmp_path, monkeypatch):
    import selfdistill.datasets.uci as uci_module

    monkeypatch.delenv("SELFDISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr(uci_module, "SHIPPED_DIR", tmp_path / "no-shipped-data")
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", str(tmp_path / "cache"))

    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    empty = tmp_path / "empty"
    empty.mkdir()
    ctx = ReproduceContext(out_dir=tmp_path / "out", data_dir=str(empty), quick=True, progress=False)
    with pytest.raises(DataUnavailableError, match="SELFDISTILL_DATA_DIR|data_dir"):
        run_experiment("fig10", ctx)


@pytest.mark.uci
def test_fig10_files_and_alignment(fig10_run):
    output, out = fig10_run
    _check_files(output, out, "fig10")
    bars = pd.read_csv(out / "fig10.csv")
    splits = pd.read_csv(out / "fig10_per_split.csv")
    assert {"dataset", "seed", "direction", "singular_value", "cos2", "lambda", "split"} <= set(bars.columns)
    assert set(bars["dataset"]) == {"air_quality", "airfoil", "appliances_energy"}
    assert sorted(splits["seed"].unique()) == list(range(fig10.QUICK_SEEDS))
    sums = bars.groupby(["dataset", "seed"])["cos2"].sum()
    null = splits.set_index(["dataset", "seed"])["null_fraction"]
    np.testing.assert_allclose(sums + null.loc[sums.index], 1.0, atol=1e-10)
    assert (null < 1e-12).all()  # a ridge fit lies in the row space
    ranks = splits.groupby("dataset")[["n_features", "rank"]].first()
    assert tuple(ranks.loc["appliances_energy"]) == (27, 26)  # rv1 == rv2
    assert ((splits["n_eff"] >= 1) & (splits["n_eff"] <= splits["rank"])).all()
    means = splits.groupby("dataset")[["max_cos2", "n_eff"]].mean()
    assert means["max_cos2"].idxmin() == "appliances_energy"  # the paper's low-alignment claim
    assert means["n_eff"].idxmax() == "appliances_energy"
    assert means.loc["airfoil", "max_cos2"] > 0.6


@pytest.mark.uci
def test_fig10_cosines_match_an_independent_computation(fig10_run, uci_mirror):
    """Airfoil, seed 0: StandardScaler + Ridge + numpy eigh, written out here."""
    _, out = fig10_run
    bars = pd.read_csv(out / "fig10.csv")
    mine = bars[(bars["dataset"] == "airfoil") & (bars["seed"] == 0)].sort_values("direction")
    X, y = load_uci("airfoil", data_dir=uci_mirror)
    X_tr, X_va, _, y_tr, y_va, _ = train_val_test_split(X, y, (0.3, 0.3, 0.4), random_state=0)
    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_va = scaler.transform(X_tr), scaler.transform(X_va)
    alphas = 10.0 ** np.arange(-3, 6)
    mse = [np.mean((Ridge(alpha=a).fit(Z_tr, y_tr).predict(Z_va) - y_va) ** 2) for a in alphas]
    lam = alphas[int(np.argmin(mse))]
    assert mine["lambda"].iloc[0] == lam
    coef = Ridge(alpha=lam).fit(Z_tr, y_tr).coef_
    evals, evecs = np.linalg.eigh(Z_tr.T @ Z_tr)
    order = np.argsort(evals)[::-1]
    cos2 = (evecs[:, order].T @ coef) ** 2 / (coef @ coef)
    np.testing.assert_allclose(mine["cos2"], cos2, atol=1e-9)
    np.testing.assert_allclose(mine["singular_value"], np.sqrt(evals[order]), rtol=1e-9)


@pytest.mark.uci
def test_fig10_claims(fig10_run):
    output, _ = fig10_run
    verdict = next(v for c, v in _verdicts(output).items() if c.startswith("Fig. 10"))
    # Issue 16: AEP's max cos² interval overlaps Air Quality's, so "reproduced" would be generous.
    assert verdict.split(":")[0] in ("inconclusive", "not reproduced")
    claim = next(c for c in output.claims if c.claim.startswith("Fig. 10"))
    assert "1.96 s.e." in claim.rule and "s.e." in claim.uncertainty


# ------------------------------------------------------------------------------------- report
def _fake_outputs(tmp_path: Path) -> list[ExperimentOutput]:
    figures = tmp_path / "figs"
    figures.mkdir()
    png = figures / "fig3.png"
    png.write_bytes(b"\x89PNG fake")
    return [
        ExperimentOutput(
            name="table1",
            summary="| method | MSE |\n|---|---|\n| ridge | 1.0 |\n",
            files=[tmp_path / "table1.csv"],
            claims=[
                Claim("Table 1: up to 47% lower test MSE than ridge", "47%", "12.3% (Airfoil)",
                      "not reproduced"),
                Claim("Table 1: no gain on AEP", "no gain", "-0.1% on AEP", "reproduced",
                      rule="reproduced if the MSE change's interval contains 0"),
            ],
        ),
        ExperimentOutput(
            name="fig3",
            summary="fig3 summary text",
            files=[png],
            claims=[
                Claim("Fig. 3: bound | reached", "paper text", "gap 1e-16", "reproduced"),
                Claim("(ours) golden values", "—", "max |Δ| 1e-11", "matches"),
            ],
            figures=[png],
        ),
        ExperimentOutput(
            name="kd-omitted-class",
            summary="kd",
            claims=[Claim("Hinton: soft targets transfer the omitted class", "98.6%", "97%", "close")],
        ),
    ]


def test_report_has_a_section_per_experiment_with_its_claims_and_assumptions(tmp_path):
    outputs = _fake_outputs(tmp_path)
    outputs[0].assumptions = ["shared input", "table1 only"]
    outputs[1].assumptions = ["shared input", "γ² = 0.1 is ours"]
    outputs[1].quick = True
    ctx = ReproduceContext(out_dir=tmp_path, seeds=3, progress=False)
    path = write_report(outputs, ctx, failed={"scheduled-kd": "missing optional dependency: x"})
    assert path == tmp_path / "REPORT.md"
    text = path.read_text()
    for fragment in (
        "## Verdicts at a glance",
        "## `table1`",
        "## `fig3`",
        "## `kd-omitted-class`",  # no per-experiment code: any registered name gets a section
        "12.3% (Airfoil)",
        "-0.1% on AEP",
        "Fig. 3: bound \\| reached",  # pipes in claim text are escaped for the Markdown table
        "(ours) golden values",
        "Hinton: soft targets",
        "the MSE change's interval contains 0",  # a claim's rule is printed beside its verdict
        "- table1 only",
        "- γ² = 0.1 is ours",
        "## Shared assumptions",
        "- shared input (`table1`, `fig3`)",
        "QUICK settings",
        "| `fig3` | quick |",
        "| `scheduled-kd` | did not run |",
        "## Experiments that did not run",
        "![fig3](figs/fig3.png)",
        "[table1.csv](table1.csv)",
        "fig3 summary text",
        "| seeds | 3 |",
        "## Environment",
        "| numpy |",
    ):
        assert fragment in text, fragment
    assert text.count("- shared input") == 1  # listed once, not per experiment


def test_report_with_no_outputs(tmp_path):
    ctx = ReproduceContext(out_dir=tmp_path, progress=False)
    text = write_report([], ctx).read_text()
    assert "Experiments in this report: none" in text
    assert "No experiment stated a claim in this run." in text
    assert "QUICK settings" not in text and "## Shared assumptions" not in text


def test_interval_verdict_rule():
    assert interval_verdict(-10.0, 2.0, 0.0) == "reproduced"  # -10 ± 3.9 below 0
    assert interval_verdict(-1.0, 2.0, 0.0) == "inconclusive"
    assert interval_verdict(10.0, 2.0, 0.0) == "not reproduced"
    assert interval_verdict(0.9, 0.01, 0.85, better="higher") == "reproduced"
    assert interval_verdict(0.9, float("nan"), 0.85, better="higher") == "reproduced"
    assert interval_verdict(float("nan"), 0.1, 0.0) == "inconclusive"
    with pytest.raises(ValueError, match="better"):
        interval_verdict(1.0, 0.1, 0.0, better="up")


def test_all_selection_and_cli_prints_verdicts(tmp_path, capsys, monkeypatch):
    """`reproduce all` runs every registered experiment by its ALL_MODES entry; a missing extra is
    reported, not fatal; the CLI prints each experiment's verdicts."""
    from selfdistill import cli
    from selfdistill.reproduce import _base

    calls = []

    def fake_run(name, ctx):
        calls.append((name, ctx.quick))
        if name == "needs-extra":
            raise ImportError("pip install something")
        return ExperimentOutput(name, f"{name} summary", claims=[
            Claim(f"{name} claim", "p", "m", "reproduced", rule=f"{name} rule")])

    monkeypatch.setattr(_base, "EXPERIMENTS", {
        "a": ("m", "first"), "b": ("m", "second"), "c": ("m", "third"), "needs-extra": ("m", "x"),
    })
    monkeypatch.setattr(cli, "EXPERIMENTS", _base.EXPERIMENTS)
    monkeypatch.setattr(_base, "ALL_MODES", {"a": "full", "c": "skip"})
    monkeypatch.setattr(cli, "run_experiment", fake_run)
    assert cli.main(["reproduce", "all", "--out", str(tmp_path), "--no-progress"]) == 0
    assert calls == [("a", False), ("b", True), ("needs-extra", True)]  # unlisted: quick
    out = capsys.readouterr().out
    assert "[reproduced] a claim: m" in out and "rule: b rule" in out
    report = (tmp_path / "REPORT.md").read_text()
    assert "| `needs-extra` | did not run |" in report and "pip install something" in report
    calls.clear()
    assert cli.main(["reproduce", "all", "--full", "--out", str(tmp_path), "--no-progress"]) == 0
    assert calls == [("a", False), ("b", False), ("needs-extra", False)]
    calls.clear()
    assert cli.main(["reproduce", "b", "--out", str(tmp_path), "--no-progress"]) == 0
    assert calls == [("b", False)] and "[reproduced] b claim" in capsys.readouterr().out
    assert cli.main(["reproduce", "needs-extra", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "needs an optional dependency: pip install something" in capsys.readouterr().err


@pytest.mark.slow
def test_report_on_real_outputs(fig2_run, fig3_run, fig4_run, tmp_path):
    outputs = [fig2_run[0], fig3_run[0], fig4_run[0]]
    ctx = ReproduceContext(out_dir=tmp_path / "report", quick=True, progress=False)
    text = write_report(outputs, ctx).read_text()
    for output in outputs:
        link = Path(os.path.relpath(output.figures[0], ctx.out_dir)).as_posix()
        assert f"![{output.name}]({link})" in text  # relative to the report's folder
        assert link.startswith("../") and (ctx.out_dir / link).is_file()
    assert "## `table1`" not in text  # only the experiments that ran
    assert "reproduced" in text and "(ours) Fig. 3 golden values" in text


def test_markdown_table_escapes_pipes_and_formats():
    table = pd.DataFrame({"a|b": ["x|y"], "v": [0.123456789], "ok": [True], "nan": [float("nan")]})
    text = markdown_table(table, digits=3)
    assert text.splitlines()[0] == "| a\\|b | v | ok | nan |"
    assert text.splitlines()[2] == "| x\\|y | 0.123 | yes | — |"


@pytest.mark.parametrize("name", ["Experiment", "Results", "ReproduceContext", "Claim", "run_experiment"])
def test_the_template_and_its_runner_are_documented(name, numpydoc_errors):
    # the experiments' hooks (compute, claims) are documented here, once, not in every module
    import dataclasses

    import selfdistill.reproduce as reproduce

    ignore = {"PR01"} if dataclasses.is_dataclass(getattr(reproduce, name)) else set()
    assert not numpydoc_errors(f"selfdistill.reproduce.{name}", ignore)


def test_every_registered_experiment_fills_in_the_template():
    import selfdistill.reproduce as reproduce

    for name in reproduce.EXPERIMENTS:
        experiment = reproduce.get_experiment(name)
        assert isinstance(experiment, reproduce.Experiment) and experiment.name == name
        assert callable(experiment.compute) and callable(experiment.claims)
        assert all(isinstance(item, str) and item for item in experiment.assumptions), name
