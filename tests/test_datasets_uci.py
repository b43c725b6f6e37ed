"""UCI data layer: sources, checksums, cache, offline errors, ucimlrepo parity, splits.

Tests on the real files need the data uci_mirror: they skip (with a reason) when SELFDISTILL_DATA_DIR
is unset and FAIL when it is set but the files are missing. Nothing here touches the network: an
autouse fixture makes every socket connection and urlopen call fail unless a test installs a fake
UCI server, which serves API-shaped JSON and a CSV built from the uci_mirror file, so that ucimlrepo's
own fetch and parse code runs unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

from selfdistill.datasets import UCI_DATASETS, load_uci
from selfdistill.datasets.uci import DataUnavailableError, standardize, train_val_test_split

# Read once at import: the autouse fixture below removes the variable from each test's environment.
API_URL = "https://archive.ics.uci.edu/api/dataset?id={}"
DATA_URL = "https://archive.ics.uci.edu/static/public/{}/data.csv"


# --------------------------------------------------------------------------------------------
# fixtures: no network, a private cache, the uci_mirror, a fake UCI server
# --------------------------------------------------------------------------------------------


def _refuse_connection(*args, **kwargs):
    raise OSError("network disabled in tests")


def _refuse_urlopen(url, *args, **kwargs):
    raise urllib.error.URLError("network disabled in tests")


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Fail every connection, unset SELFDISTILL_DATA_DIR, send the default cache to tmp_path."""
    monkeypatch.delenv("SELFDISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr(socket, "create_connection", _refuse_connection)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", str(tmp_path / "default-cache"))


class _Response(io.BytesIO):
    """What urlopen returns, as far as ucimlrepo and pandas use it (read, headers, with)."""

    def __init__(self, payload: bytes):
        super().__init__(payload)
        self.headers: dict[str, str] = {}


class FakeUCI:
    """Stands in for urllib.request.urlopen: the UCI API JSON, then the dataset's CSV."""

    def __init__(self, uci_id: int, name: str, csv_text: str, target: str | None):
        self.uci_id = uci_id
        self.csv_bytes = csv_text.encode()
        header = next(csv.reader(io.StringIO(csv_text)))
        self.metadata = {
            "uci_id": uci_id,
            "name": name,
            "data_url": DATA_URL.format(uci_id),
            "variables": [
                {"name": col, "role": "Target" if col == target else "Feature"} for col in header
            ],
            "additional_info": None,
            "intro_paper": None,
        }
        self.calls: list[str] = []

    def __call__(self, url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        self.calls.append(full)
        if full == API_URL.format(self.uci_id):
            return _Response(json.dumps({"status": 200, "data": dict(self.metadata)}).encode())
        if full == DATA_URL.format(self.uci_id):
            return _Response(self.csv_bytes)
        raise urllib.error.URLError(f"unexpected URL {full}")


def _serve(monkeypatch, fake: FakeUCI) -> FakeUCI:
    monkeypatch.setattr(urllib.request, "urlopen", fake)
    return fake


# UCI's generated CSV (comma separated, decimal points, a header of variable names), built from
# the raw uci_mirror file by text edits only, so that no parse rule of the loader is reused.
def _uci_csv_air_quality(raw: bytes) -> str:
    lines = []
    for line in raw.decode("ascii").splitlines():
        if not line.strip(";"):
            continue  # the file's empty trailing rows
        line = line.rstrip(";")  # the two empty trailing columns
        lines.append(line.replace(",", ".").replace(";", ","))
    return "\n".join(lines) + "\n"


def _uci_csv_airfoil(raw: bytes) -> str:
    spec = UCI_DATASETS["airfoil"]
    header = ",".join((*spec.features, spec.target))
    rows = [line.replace("\t", ",") for line in raw.decode("ascii").splitlines()]
    return "\n".join([header, *rows]) + "\n"


def _uci_csv_appliances(raw: bytes) -> str:
    rows = (
        ",".join(field.strip('" ') for field in line.split(","))
        for line in raw.decode("ascii").splitlines()
    )
    return "\n".join(rows) + "\n"


_UCI_CSV = {
    "air_quality": _uci_csv_air_quality,
    "airfoil": _uci_csv_airfoil,
    "appliances_energy": _uci_csv_appliances,
}
_UCI_TARGET = {
    "air_quality": None,
    "airfoil": "scaled-sound-pressure",
    "appliances_energy": "Appliances",
}


def _fake_for(name: str, uci_mirror: Path) -> FakeUCI:
    spec = UCI_DATASETS[name]
    raw = (uci_mirror / spec.folder / spec.filename).read_bytes()
    return FakeUCI(spec.uci_id, spec.title, _UCI_CSV[name](raw), _UCI_TARGET[name])


def _tiny_airfoil_csv(header: list[str], n_rows: int = 12) -> str:
    rng = np.random.default_rng(7)
    values = rng.uniform(0.0, 100.0, size=(n_rows, len(header)))
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in values)
    return ",".join(header) + "\n" + body + "\n"


_AIRFOIL_HEADER = [*UCI_DATASETS["airfoil"].features, UCI_DATASETS["airfoil"].target]


# --------------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------------


def test_registry_is_complete_and_read_only():
    assert set(UCI_DATASETS) == {"air_quality", "airfoil", "appliances_energy"}
    ids = {name: spec.uci_id for name, spec in UCI_DATASETS.items()}
    assert ids == {"air_quality": 360, "airfoil": 291, "appliances_energy": 374}
    for spec in UCI_DATASETS.values():
        assert spec.doi.startswith("10.24432/") and spec.doi in spec.citation
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.shape[1] == len(spec.features) and spec.target not in spec.features
        assert "CC BY 4.0" in spec.licence and spec.assumptions and spec.preprocessing
    with pytest.raises(TypeError):
        UCI_DATASETS["new"] = UCI_DATASETS["airfoil"]  # type: ignore[index]


def test_registry_hashes_agree_with_the_mirror_manifest(uci_mirror):
    listed = dict(
        reversed(line.split()) for line in (uci_mirror / "SHA256SUMS").read_text().splitlines() if line
    )
    for spec in UCI_DATASETS.values():
        assert listed[f"{spec.folder}/{spec.filename}"] == spec.sha256


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("AEP", "appliances_energy"),
        ("Air Quality", "air_quality"),
        ("airfoil_self_noise", "airfoil"),
        ("appliances-energy-prediction", "appliances_energy"),
    ],
)
def test_aliases_resolve(alias, key, tmp_path):
    # An empty data_dir and download=False: the error names the dataset the alias resolved to.
    with pytest.raises(DataUnavailableError, match=UCI_DATASETS[key].filename):
        load_uci(alias, data_dir=tmp_path, download=False)


@pytest.mark.parametrize("bad", ["iris", "", 360, None])
def test_unknown_name_is_a_value_error(bad):
    with pytest.raises(ValueError, match="air_quality"):
        load_uci(bad)


# --------------------------------------------------------------------------------------------
# the real files: shapes, preprocessing against independent parsers, rank deficiency
# --------------------------------------------------------------------------------------------


@pytest.mark.uci
@pytest.mark.parametrize("name", sorted(UCI_DATASETS))
def test_mirror_shapes_names_and_dtypes(uci_mirror, name):
    spec = UCI_DATASETS[name]
    X, y = load_uci(name, data_dir=uci_mirror)
    assert X.shape == spec.shape and y.shape == (spec.shape[0],)
    assert tuple(X.columns) == spec.features and y.name == spec.target
    assert (X.dtypes == np.float64).all() and y.dtype == np.float64
    assert np.isfinite(X.to_numpy()).all() and np.isfinite(y.to_numpy()).all()
    assert isinstance(X.index, pd.RangeIndex) and X.index.equals(y.index)
    assert X.attrs["source"] == "data_dir" and X.attrs["sha256"] == spec.sha256


@pytest.mark.uci
def test_environment_variable_is_used_when_no_data_dir_is_given(uci_mirror, monkeypatch):
    monkeypatch.setenv("SELFDISTILL_DATA_DIR", str(uci_mirror))
    X, y = load_uci("airfoil")
    assert X.attrs["source"] == "data_dir" and X.shape == (1503, 5)


@pytest.mark.uci
def test_air_quality_matches_a_plain_python_parse(uci_mirror):
    # Reference: the csv module, decimal commas by hand, -200 rows dropped (Dang et al.'s rule).
    spec = UCI_DATASETS["air_quality"]
    with open(uci_mirror / spec.folder / spec.filename, newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, body = rows[0], [r for r in rows[1:] if any(r)]
    assert len(body) == 9357
    columns = [header.index(c) for c in (*spec.features, spec.target)]
    values = np.array([[float(r[i].replace(",", ".")) for i in columns] for r in body])
    kept = values[~(values == -200).any(axis=1)]
    X, y = load_uci("air_quality", data_dir=uci_mirror)
    np.testing.assert_array_equal(X.to_numpy(), kept[:, :-1])
    np.testing.assert_array_equal(y.to_numpy(), kept[:, -1])
    assert y.name == "NO2(GT)" and not (X == -200).any().any()
    # Consistent with Dang, Patil & Rinaldo's n_train = 5175 for a 70 % split (followups.md 2.3).
    assert math.floor(0.7 * len(y)) == 5175


@pytest.mark.uci
def test_airfoil_matches_loadtxt(uci_mirror):
    spec = UCI_DATASETS["airfoil"]
    reference = np.loadtxt(uci_mirror / spec.folder / spec.filename)
    X, y = load_uci("airfoil", data_dir=uci_mirror)
    np.testing.assert_array_equal(X.to_numpy(), reference[:, :5])
    np.testing.assert_array_equal(y.to_numpy(), reference[:, 5])


@pytest.mark.uci
def test_appliances_drops_only_date_and_is_rank_deficient(uci_mirror):
    spec = UCI_DATASETS["appliances_energy"]
    X, y = load_uci("appliances_energy", data_dir=uci_mirror)
    raw = pd.read_csv(uci_mirror / spec.folder / spec.filename)
    assert list(X.columns) == [c for c in raw.columns if c not in ("date", "Appliances")]
    np.testing.assert_array_equal(y.to_numpy(), raw["Appliances"].to_numpy(float))
    assert (X["rv1"] == X["rv2"]).all()
    centred = X.to_numpy() - X.to_numpy().mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    assert s[-1] < 1e-12 * s[0]  # one exact zero direction (rv1 - rv2)
    assert np.linalg.matrix_rank(centred) == 26
    assert np.linalg.matrix_rank(centred[:, :-1]) == 26  # dropping rv2 restores full rank


# --------------------------------------------------------------------------------------------
# checksums and data_dir handling
# --------------------------------------------------------------------------------------------


@pytest.mark.uci
def test_one_changed_byte_fails_the_checksum(uci_mirror, tmp_path):
    spec = UCI_DATASETS["airfoil"]
    data = bytearray((uci_mirror / spec.folder / spec.filename).read_bytes())
    data[0:3] = b"801"  # "800" Hz -> "801" Hz: still a valid file, but not the official one
    (tmp_path / spec.folder).mkdir()
    (tmp_path / spec.folder / spec.filename).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256") as info:
        load_uci("airfoil", data_dir=tmp_path)
    assert spec.sha256 in str(info.value)


def test_a_wrong_file_fails_the_checksum_without_the_mirror(tmp_path):
    (tmp_path / "airfoil_self_noise.dat").write_text("800\t0\t0.3048\t71.3\t0.00266337\t126.201\n")
    with pytest.raises(ValueError, match="not have the SHA-256"):
        load_uci("airfoil", data_dir=tmp_path)


@pytest.mark.uci
def test_file_directly_in_data_dir_is_accepted(uci_mirror, tmp_path):
    spec = UCI_DATASETS["airfoil"]
    shutil.copy(uci_mirror / spec.folder / spec.filename, tmp_path / spec.filename)
    X, y = load_uci("airfoil", data_dir=tmp_path)
    X_ref, y_ref = load_uci("airfoil", data_dir=uci_mirror)
    pd.testing.assert_frame_equal(X, X_ref, check_exact=True)
    pd.testing.assert_series_equal(y, y_ref, check_exact=True)


def test_missing_data_dir_is_a_value_error(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="data_dir=.*is not a folder"):
        load_uci("airfoil", data_dir=tmp_path / "nope")
    monkeypatch.setenv("SELFDISTILL_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="SELFDISTILL_DATA_DIR=.*is not a folder"):
        load_uci("airfoil")


# --------------------------------------------------------------------------------------------
# offline behaviour: fast, and says what to provide
# --------------------------------------------------------------------------------------------


def _assert_helpful(message: str, cache_dir: Path):
    for needed in (
        "SELFDISTILL_DATA_DIR",
        "data_dir=",
        "--data-dir",
        "airfoil_self_noise/airfoil_self_noise.dat",
        "../shared/uci",
        'pip install "selfdistill[uci]"',
        str(cache_dir),
    ):
        assert needed in message, f"{needed!r} missing from: {message}"


def test_offline_error_within_a_second(tmp_path, monkeypatch):
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as info:
        load_uci("airfoil", cache_dir=tmp_path / "cache")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    _assert_helpful(message, tmp_path / "cache")
    assert "SELFDISTILL_DATA_DIR is not set" in message and "offline" in message


def test_hanging_network_is_abandoned_within_a_second(tmp_path, monkeypatch):
    # A DNS lookup that hangs ignores socket timeouts; the probe thread is left behind.
    def hang(*args, **kwargs):
        time.sleep(3.0)
        raise OSError("gave up")

    monkeypatch.setattr(socket, "create_connection", hang)
    calls = []
    monkeypatch.setattr(
        urllib.request, "urlopen", lambda *a, **k: calls.append(a) or _refuse_urlopen(*a)
    )
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError, match="could not be reached"):
        load_uci("airfoil", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert time.perf_counter() - start < 1.0
    assert calls == []  # ucimlrepo was never called


def test_reachable_host_but_failing_download_is_reported(tmp_path, monkeypatch):
    class _Socket:
        def close(self):
            pass

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: _Socket())
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError, match="ucimlrepo failed: ConnectionError") as info:
        load_uci("airfoil", cache_dir=tmp_path / "cache")
    assert time.perf_counter() - start < 1.0
    assert isinstance(info.value.__cause__.__cause__, ConnectionError)
    _assert_helpful(str(info.value), tmp_path / "cache")


def test_download_false_never_touches_the_network(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("network used although download=False")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    with pytest.raises(DataUnavailableError, match="disabled"):
        load_uci("air_quality", data_dir=tmp_path, cache_dir=tmp_path / "c", download=False)


def test_missing_ucimlrepo_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ucimlrepo", None)  # makes `import ucimlrepo` fail
    with pytest.raises(DataUnavailableError, match="ucimlrepo is not installed"):
        load_uci("airfoil", cache_dir=tmp_path / "cache", download=True)


# --------------------------------------------------------------------------------------------
# ucimlrepo route (fake server) and the cache
# --------------------------------------------------------------------------------------------


@pytest.mark.uci
@pytest.mark.parametrize("name", sorted(UCI_DATASETS))
def test_mirror_and_ucimlrepo_give_the_same_data(uci_mirror, name, tmp_path, monkeypatch):
    spec = UCI_DATASETS[name]
    X_raw, y_raw = load_uci(name, data_dir=uci_mirror)
    fake = _serve(monkeypatch, _fake_for(name, uci_mirror))
    X_dl, y_dl = load_uci(name, cache_dir=tmp_path, download=True)
    assert fake.calls == [API_URL.format(spec.uci_id), DATA_URL.format(spec.uci_id)]
    assert X_dl.attrs["source"] == "ucimlrepo"
    assert X_dl.attrs["location"] == DATA_URL.format(spec.uci_id)
    pd.testing.assert_frame_equal(X_dl, X_raw, check_exact=True)
    pd.testing.assert_series_equal(y_dl, y_raw, check_exact=True)

    # The download went to the cache; reading it back needs no network and gives the same bits.
    cached = tmp_path / "uci" / spec.folder / f"ucimlrepo_{spec.uci_id}.csv"
    record = json.loads(cached.with_name(cached.name + ".json").read_text())
    assert record["uci_id"] == spec.uci_id and record["data_url"] == DATA_URL.format(spec.uci_id)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    X_c, y_c = load_uci(name, cache_dir=tmp_path, download=False)
    assert X_c.attrs["source"] == "cache"
    pd.testing.assert_frame_equal(X_c, X_raw, check_exact=True)
    pd.testing.assert_series_equal(y_c, y_raw, check_exact=True)


def test_cache_round_trip_is_exact_and_checked(tmp_path, monkeypatch):
    fake = _serve(
        monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(_AIRFOIL_HEADER), None)
    )
    with pytest.warns(UserWarning, match=r"shape \(12, 5\)"):
        X1, y1 = load_uci("airfoil", cache_dir=tmp_path, download=True)
    assert len(fake.calls) == 2
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    with pytest.warns(UserWarning, match="cached copy"):
        X2, y2 = load_uci("airfoil", cache_dir=tmp_path)  # download=None: cache comes first
    assert X2.attrs["source"] == "cache"
    pd.testing.assert_frame_equal(X1, X2, check_exact=True)
    pd.testing.assert_series_equal(y1, y2, check_exact=True)

    cached = tmp_path / "uci" / "airfoil_self_noise" / "ucimlrepo_291.csv"
    cached.write_text(cached.read_text().replace("\n", "\n0", 1))  # edit one value
    with pytest.raises(ValueError, match="corrupted or was edited"):
        load_uci("airfoil", cache_dir=tmp_path)
    cached.with_name(cached.name + ".json").unlink()
    with pytest.raises(ValueError, match="no readable checksum record"):
        load_uci("airfoil", cache_dir=tmp_path)


def test_default_cache_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", str(tmp_path / "env-cache"))
    _serve(
        monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(_AIRFOIL_HEADER), None)
    )
    with pytest.warns(UserWarning):
        load_uci("airfoil", download=True)
    assert (tmp_path / "env-cache" / "uci" / "airfoil_self_noise" / "ucimlrepo_291.csv").is_file()


def test_columns_match_ignoring_case_and_punctuation(tmp_path, monkeypatch):
    renamed = [c.replace("-", " ").title() for c in _AIRFOIL_HEADER]  # "Attack Angle", ...
    _serve(monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(renamed), None))
    with pytest.warns(UserWarning):
        X, y = load_uci("airfoil", cache_dir=tmp_path, download=True)
    assert tuple(X.columns) == UCI_DATASETS["airfoil"].features
    assert y.name == "scaled-sound-pressure"


def test_unexpected_table_names_the_missing_columns(tmp_path, monkeypatch):
    header = [*_AIRFOIL_HEADER[:-1], "something-else"]
    _serve(monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(header), None))
    with pytest.raises(ValueError, match="lack the columns.*scaled-sound-pressure"):
        load_uci("airfoil", cache_dir=tmp_path, download=True)


# --------------------------------------------------------------------------------------------
# splits and standardisation
# --------------------------------------------------------------------------------------------


def test_split_sizes_partition_and_reproducibility():
    X = pd.DataFrame({"a": np.arange(1503.0), "b": -np.arange(1503.0)})
    y = pd.Series(np.arange(1503.0) * 2, name="t")
    parts = train_val_test_split(X, y, random_state=3)
    X_tr, X_va, X_te, y_tr, y_va, y_te = parts
    assert [len(p) for p in parts] == [450, 450, 603, 450, 450, 603]
    rows = np.concatenate([X_tr.index, X_va.index, X_te.index])
    assert np.array_equal(np.sort(rows), np.arange(1503))
    for Xp, yp in ((X_tr, y_tr), (X_va, y_va), (X_te, y_te)):
        assert Xp.index.equals(yp.index) and np.array_equal(yp.to_numpy(), 2 * Xp["a"].to_numpy())
    again = train_val_test_split(X, y, random_state=3)
    other = train_val_test_split(X, y, random_state=4)
    assert all(p.equals(q) for p, q in zip(parts, again, strict=True))
    assert not X_tr.equals(other[0])


def test_sequential_split_keeps_order():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, (0.7, 0.0, 0.3), shuffle=False)
    assert y_tr.tolist() == list(range(7)) and y_va.size == 0 and y_te.tolist() == [7, 8, 9]


@given(
    n=st.integers(1, 400),
    twentieths=st.tuples(st.integers(1, 18), st.integers(0, 18)).filter(lambda t: sum(t) < 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_is_a_partition_property(n, twentieths, seed):
    # Fractions a/20 make the expected sizes exact integers: floor(a * n / 20) = a * n // 20.
    a, b = twentieths
    fractions = (a / 20, b / 20, (20 - a - b) / 20)
    sizes = (a * n // 20, b * n // 20)
    y = np.arange(n)
    if sizes[0] == 0 or (b > 0 and sizes[1] == 0) or n - sum(sizes) == 0:
        with pytest.raises(ValueError, match="would be empty"):
            train_val_test_split(np.zeros((n, 1)), y, fractions, seed)
        return
    _, _, _, y_tr, y_va, y_te = train_val_test_split(np.zeros((n, 1)), y, fractions, seed)
    assert (len(y_tr), len(y_va)) == sizes
    assert np.array_equal(np.sort(np.concatenate([y_tr, y_va, y_te])), y)


def test_split_sizes_resist_round_off():
    # 0.29 * 100 = 28.999999999999996 in floating point; the train part still gets 29 rows.
    parts = train_val_test_split(np.zeros((100, 1)), np.zeros(100), (0.29, 0.29, 0.42), 0)
    assert [len(p) for p in parts[:3]] == [29, 29, 42]


@pytest.mark.parametrize(
    ("fractions", "match"),
    [
        ((0.5, 0.5), "three"),
        ((0.3, 0.3, 0.3), "sum to 1"),
        ((-0.1, 0.6, 0.5), ">= 0"),
        ((0.0, 0.5, 0.5), "train part would be empty"),
        ("abc", "three numbers"),
    ],
)
def test_split_rejects_bad_fractions(fractions, match):
    with pytest.raises(ValueError, match=match):
        train_val_test_split(np.zeros((10, 2)), np.zeros(10), fractions)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="one target per row"):
        train_val_test_split(np.zeros((10, 2)), np.zeros(9))


def test_standardize_uses_training_statistics_like_standard_scaler(rng):
    train = rng.normal(3.0, 2.0, size=(50, 4))
    train[:, 2] = 0.1  # constant column: sklearn keeps scale 1
    val, test = rng.normal(size=(20, 4)), rng.normal(size=(30, 4))
    z_train, z_val, z_test, (mean, scale) = standardize(train, val, test, return_stats=True)
    scaler = StandardScaler().fit(train)
    for z, part in ((z_train, train), (z_val, val), (z_test, test)):
        np.testing.assert_allclose(z, scaler.transform(part), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-14)
    np.testing.assert_allclose(scale, scaler.scale_, rtol=1e-14)
    np.testing.assert_allclose(z_test * scale + mean, test, rtol=1e-13, atol=1e-13)
    live = [0, 1, 3]
    np.testing.assert_allclose(z_train[:, live].mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(z_train[:, live].std(axis=0), 1.0, rtol=1e-13)


def test_standardize_keeps_pandas_labels():
    X_tr = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 3.0]}, index=[10, 11, 12])
    X_te = pd.DataFrame({"a": [4.0], "b": [6.0]}, index=[99])
    y_tr = pd.Series([1.0, 3.0, 5.0], index=[10, 11, 12], name="t")
    (z_tr, z_te) = standardize(X_tr, X_te)
    (zy,) = standardize(y_tr)
    assert list(z_te.columns) == ["a", "b"] and z_te.index.tolist() == [99]
    assert z_te.loc[99, "a"] == pytest.approx((4.0 - 2.0) / np.sqrt(2.0 / 3.0))
    assert zy.name == "t" and zy.index.tolist() == [10, 11, 12]


def test_standardize_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN or infinite"):
        standardize(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="columns"):
        standardize(np.zeros((3, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="columns"):
        standardize(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0]}))
    with pytest.raises(ValueError, match="empty"):
        standardize(np.zeros((0, 2)))
