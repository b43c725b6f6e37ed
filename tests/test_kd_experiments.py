"""Smoke tests of the KD reproduction experiments (quick configuration, one seed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selfdistill.reproduce import (
    ReproduceContext,
    born_again,
    get_experiment,
    kd_omitted_class,
    run_experiment,
)


def _check_outputs(output, name):
    assert output.name == name
    for path in output.files:
        assert path.exists() and path.stat().st_size > 0, path
    assert output.figures and all(p.suffix == ".png" for p in output.figures)
    assert output.summary.count("|") > 10
    assert output.claims


def test_registry_points_at_these_modules():
    assert get_experiment("kd-omitted-class") is kd_omitted_class.EXPERIMENT
    assert get_experiment("born-again") is born_again.EXPERIMENT
    assert kd_omitted_class.EXPERIMENT.compute is kd_omitted_class.run


@pytest.mark.slow
def test_omitted_class_quick(tmp_path):
    output = run_experiment("kd-omitted-class", ReproduceContext(tmp_path, seeds=1, quick=True, progress=False))
    _check_outputs(output, "kd-omitted-class")
    raw = pd.read_csv(tmp_path / "kd_omitted_class_per_seed.csv")
    assert set(raw.teacher) == {"mlp", "kernel"} and raw.quick.all()
    acc = raw.set_index(["teacher", "model"])
    for kind in ("mlp", "kernel"):
        # Hard labels without a single 3: the student cannot predict 3, exactly.
        assert acc.loc[(kind, "student, hard labels, transfer set"), "acc_omitted"] == 0.0
        assert acc.loc[(kind, "teacher (all digits)"), "acc_overall"] > 0.95
        soft = acc.loc[(kind, "student, soft targets, transfer set")]
        fixed = acc.loc[(kind, "student, soft targets + bias, transfer set")]
        # Full run, 10 seeds, cross-fitted targets: soft-target accuracy on 3s 0.944 +- 0.006
        # (MLP) and 0.652 +- 0.015 (kernel); with the bias chosen on the transfer set >= 0.98.
        assert soft.acc_omitted > {"mlp": 0.6, "kernel": 0.3}[kind]
        assert fixed.acc_omitted > 0.85
        assert fixed.bias > 0 and np.isnan(soft.bias)
        assert soft.acc_overall > acc.loc[(kind, "student, hard labels, transfer set"), "acc_overall"]
    assert output.claims[0].verdict == "confirmed"
    # soft targets are out-of-fold teacher predictions, and their near-one-hot share is reported
    assert (raw.soft_targets == "cross-fitted").all()
    assert raw["share_targets_above_0.99"].between(0, 1).all()
    for claim in output.claims:
        assert claim.rule and claim.uncertainty


def test_prior_correction_bias_formula():
    logits = np.log(np.array([[0.98, 0.01, 0.01], [0.5, 0.49, 0.01]]))
    # the student's mean probability of column 2 on the transfer set is 0.01 -> log(0.1 / 0.01)
    assert kd_omitted_class.prior_correction_bias(logits, 2, 0.1) == pytest.approx(np.log(10.0))


def test_symmetric_label_noise_always_changes_flipped_labels():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 500)
    noisy = born_again.symmetric_label_noise(y, 0.3, 10, rng)
    assert np.mean(noisy != y) == pytest.approx(0.3, abs=0.02)
    flipped = noisy[noisy != y]
    assert set(np.unique(flipped)) == set(range(10))  # every class is a possible wrong label


@pytest.mark.slow
def test_born_again_quick(tmp_path):
    output = run_experiment("born-again", ReproduceContext(tmp_path, seeds=1, quick=True, progress=False))
    _check_outputs(output, "born-again")
    cls = pd.read_csv(tmp_path / "born_again_classification_per_seed.csv")
    ban = cls[(cls.method == "ban")].set_index(["noise", "generation"]).accuracy
    assert ban[(0.5, 3)] > ban[(0.5, 1)] + 0.02  # 10 seeds of the full run: +0.038 to +0.070
    assert ban[(0.0, 1)] > 0.94  # 10 seeds: 0.952 to 0.973
    reg = pd.read_csv(tmp_path / "born_again_regression_per_replicate.csv")
    theory = pd.read_csv(tmp_path / "born_again_regression_theory.csv")
    # Without noise the fits are deterministic: measured error == exact expected error.
    clean = reg[reg.noise == 0.0].merge(theory, on=["noise", "method", "xi", "generation"])
    np.testing.assert_allclose(clean.error, clean.theory_error, rtol=1e-8)
    optimum = theory[theory.method == "kd-optimal-xi"].set_index("noise").xi
    assert optimum[0.5] > 1.0 > optimum[0.0]
    # Summary CSVs hold numbers (mean, s.e. columns); "mean ± s.e." strings only in the Markdown.
    for stem in ("classification_generations", "classification_xi", "regression_generations",
                 "regression_xi"):
        text = (tmp_path / f"born_again_{stem}.csv").read_text()
        assert "±" not in text, f"born_again_{stem}.csv stores formatted strings"
        table = pd.read_csv(tmp_path / f"born_again_{stem}.csv")
        means = [c for c in table.columns if c.endswith("_mean")]
        assert means and (table[means].dtypes == np.float64).all()
        assert (tmp_path / f"born_again_{stem}.md").read_text().startswith("| ")
    assert output.claims[0].verdict == "confirmed"
