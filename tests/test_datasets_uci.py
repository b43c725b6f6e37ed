"""UCI data layer: sources, checksums, cache, offline errors, ucimlrepo parity, splits.

Tests on the real files use the ``uci_mirror`` fixture (the shipped data/uci decompressed, or
SELFDISTILL_DATA_DIR): they never skip. Nothing here touches the network: an autouse fixture makes
every socket connection and urlopen call fail unless a test installs a fake UCI server, which serves
API-shaped JSON and a CSV built from the mirror file, so that ucimlrepo's own fetch and parse code
runs unchanged; those tests skip cleanly where ucimlrepo (the "uci" extra) is not installed. The
same fixture hides the shipped data, so that the later sources (cache, download) are reached.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
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

import selfdistill.datasets.uci as uci_module
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
    """Fail every connection, unset SELFDISTILL_DATA_DIR, hide the shipped data, private cache."""
    monkeypatch.delenv("SELFDISTILL_DATA_DIR", raising=False)
    monkeypatch.setattr(socket, "create_connection", _refuse_connection)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.setattr(uci_module, "SHIPPED_DIR", tmp_path / "no-shipped-data")


@pytest.fixture
def ucimlrepo():
    """The "uci" extra: tests that run ucimlrepo's own code skip cleanly without it."""
    return pytest.importorskip("ucimlrepo")


def _record(cache_root: Path, name: str) -> Path:
    spec = UCI_DATASETS[name]
    return cache_root / "uci" / spec.folder / f"ucimlrepo_{spec.uci_id}.json"


def _cached_csv(cache_root: Path, name: str) -> Path:
    record = _record(cache_root, name)
    return record.parent / json.loads(record.read_text())["file"]


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
# the data shipped in the repository (data/uci): the first source, no setting needed
# --------------------------------------------------------------------------------------------

REPO_DATA = Path(__file__).resolve().parents[1] / "data" / "uci"


@pytest.mark.uci
@pytest.mark.parametrize("name", sorted(UCI_DATASETS))
def test_shipped_data_load_without_any_setting(uci_mirror, name, monkeypatch):
    monkeypatch.setattr(uci_module, "SHIPPED_DIR", REPO_DATA)
    X, y = load_uci(name, download=False)
    spec = UCI_DATASETS[name]
    assert X.attrs["source"] == "shipped", "load_uci did not take the data shipped in data/uci"
    assert X.attrs["location"] == str(REPO_DATA / spec.folder / f"{spec.filename}.xz")
    X_ref, y_ref = load_uci(name, data_dir=uci_mirror)
    pd.testing.assert_frame_equal(X, X_ref, check_exact=True)
    pd.testing.assert_series_equal(y, y_ref, check_exact=True)


def test_shipped_data_carry_their_checksums_and_licence():
    listed = dict(
        reversed(line.split()) for line in (REPO_DATA / "SHA256SUMS").read_text().splitlines()
    )
    licence = (REPO_DATA.parent / "README.md").read_text()
    assert "CC BY 4.0" in licence and "creativecommons.org/licenses/by/4.0" in licence
    for spec in UCI_DATASETS.values():
        assert listed[f"{spec.folder}/{spec.filename}"] == spec.sha256, "SHA256SUMS disagrees"
        assert (REPO_DATA / spec.folder / f"{spec.filename}.xz").is_file(), "data file not shipped"
        assert spec.doi in licence, f"attribution (DOI {spec.doi}) missing from data/README.md"
        assert spec.doi in (REPO_DATA / spec.folder / "README.md").read_text()


@pytest.mark.uci
def test_override_comes_before_the_shipped_data(uci_mirror, monkeypatch):
    monkeypatch.setattr(uci_module, "SHIPPED_DIR", REPO_DATA)
    X, _ = load_uci("airfoil", data_dir=uci_mirror)
    assert X.attrs["source"] == "data_dir"
    monkeypatch.setenv("SELFDISTILL_DATA_DIR", str(uci_mirror))
    assert load_uci("airfoil")[0].attrs["location"].startswith(str(uci_mirror))


def test_compressed_file_in_data_dir_is_accepted_and_checked(tmp_path):
    spec = UCI_DATASETS["airfoil"]
    compressed = REPO_DATA / spec.folder / f"{spec.filename}.xz"
    shutil.copy(compressed, tmp_path / compressed.name)
    X, _ = load_uci("airfoil", data_dir=tmp_path)
    assert X.shape == spec.shape and X.attrs["sha256"] == spec.sha256
    (tmp_path / compressed.name).write_bytes(compressed.read_bytes()[:-50])  # truncated
    with pytest.raises(ValueError, match="not a readable xz file"):
        load_uci("airfoil", data_dir=tmp_path)


@pytest.mark.uci
def test_relative_data_dir_is_resolved_where_it_is_read(uci_mirror, tmp_path, monkeypatch):
    # A relative SELFDISTILL_DATA_DIR (e.g. ../shared/uci) is taken from the current folder, and
    # the provenance records the absolute path, valid in any other working folder.
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    relative = Path("..") / "mirror"
    shutil.copytree(uci_mirror / "airfoil_self_noise", tmp_path / "mirror" / "airfoil_self_noise")
    monkeypatch.setenv("SELFDISTILL_DATA_DIR", str(relative))
    X, _ = load_uci("airfoil")
    assert Path(X.attrs["location"]).is_absolute(), "relative data path was not made absolute"
    monkeypatch.setenv("SELFDISTILL_DATA_DIR", str(Path("..") / "elsewhere"))
    with pytest.raises(ValueError, match=r"elsewhere.*is not a folder \(relative paths"):
        load_uci("airfoil")


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
        "data/uci",
        'pip install "selfdistill[uci]"',
        str(cache_dir),
    ):
        assert needed in message, f"{needed!r} missing from: {message}"


def test_offline_error_within_a_second(tmp_path, monkeypatch, ucimlrepo):
    start = time.perf_counter()
    with pytest.raises(DataUnavailableError) as info:
        load_uci("airfoil", cache_dir=tmp_path / "cache")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    _assert_helpful(message, tmp_path / "cache")
    assert "SELFDISTILL_DATA_DIR is not set" in message and "offline" in message


def test_hanging_network_is_abandoned_within_a_second(tmp_path, monkeypatch, ucimlrepo):
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


def test_reachable_host_but_failing_download_is_reported(tmp_path, monkeypatch, ucimlrepo):
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
def test_mirror_and_ucimlrepo_give_the_same_data(uci_mirror, name, tmp_path, monkeypatch, ucimlrepo):
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
    record = json.loads(_record(tmp_path, name).read_text())
    assert record["uci_id"] == spec.uci_id and record["data_url"] == DATA_URL.format(spec.uci_id)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    X_c, y_c = load_uci(name, cache_dir=tmp_path, download=False)
    assert X_c.attrs["source"] == "cache"
    pd.testing.assert_frame_equal(X_c, X_raw, check_exact=True)
    pd.testing.assert_series_equal(y_c, y_raw, check_exact=True)


def test_cache_round_trip_is_exact_and_checked(tmp_path, monkeypatch, ucimlrepo):
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

    cached = _cached_csv(tmp_path, "airfoil")
    cached.write_text(cached.read_text().replace("\n", "\n0", 1))  # edit one value
    with pytest.raises(ValueError, match="corrupted or was edited.*delete the folder"):
        load_uci("airfoil", cache_dir=tmp_path)
    cached.unlink()
    with pytest.raises(ValueError, match="which is missing.*delete the folder"):
        load_uci("airfoil", cache_dir=tmp_path)
    _record(tmp_path, "airfoil").write_text("{not json")
    with pytest.raises(ValueError, match="record .* is not readable.*delete the folder"):
        load_uci("airfoil", cache_dir=tmp_path)


def test_default_cache_dir_comes_from_the_environment(tmp_path, monkeypatch, ucimlrepo):
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", str(tmp_path / "env-cache"))
    _serve(
        monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(_AIRFOIL_HEADER), None)
    )
    with pytest.warns(UserWarning):
        load_uci("airfoil", download=True)
    assert _cached_csv(tmp_path / "env-cache", "airfoil").is_file()


def test_default_cache_is_the_users_cache_folder_not_the_checkout(tmp_path, monkeypatch):
    from selfdistill.datasets._cache import default_cache_dir

    monkeypatch.delenv("SELFDISTILL_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "selfdistill"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_cache_dir() == tmp_path / "home" / "Library" / "Caches" / "selfdistill"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "appdata"))
    assert default_cache_dir() == tmp_path / "appdata" / "selfdistill"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "selfdistill"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # the XDG spec: ignore relative values
    assert default_cache_dir() == tmp_path / "appdata" / "selfdistill"
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", "rel-cache")
    assert default_cache_dir() == Path.cwd() / "rel-cache"


def test_default_cache_is_outside_the_package_and_the_repository(monkeypatch):
    from selfdistill.datasets._cache import default_cache_dir

    monkeypatch.delenv("SELFDISTILL_CACHE_DIR")
    cache = default_cache_dir().resolve()
    for inside in (Path(uci_module.__file__).resolve().parents[1], REPO_DATA.parents[1]):
        assert inside not in (cache, *cache.parents), f"cache {cache} lies inside {inside}"


def _small_frame(seed: int) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(size=(50, 3))
    return pd.DataFrame(values, columns=["a", "b", "c"])


def test_reader_during_the_first_write_never_sees_a_corrupt_cache(tmp_path, monkeypatch):
    # Deterministic interleaving: a reader runs right after every file operation of the writer.
    from selfdistill.datasets import _cache

    record = tmp_path / "uci" / "x" / "ucimlrepo_1.json"
    frame = _small_frame(0)
    seen = []
    real_replace = os.replace

    def replace_then_read(src, dst):
        real_replace(src, dst)
        seen.append(_cache.read_cached_frame(record))  # raises if the cache looks corrupt

    monkeypatch.setattr(_cache.os, "replace", replace_then_read)
    _cache.write_cached_frame(record, frame, {"uci_id": 1})
    assert seen[0] is None, "the record appeared before its data file"
    pd.testing.assert_frame_equal(seen[-1], frame, check_exact=True)
    # A second writer with different bytes: readers see the old or the new frame, never an error.
    seen.clear()
    _cache.write_cached_frame(record, _small_frame(1), {"uci_id": 1})
    assert [f.equals(frame) for f in seen] == [True, False]


def test_concurrent_readers_and_writers_agree(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from selfdistill.datasets._cache import read_cached_frame, write_cached_frame

    frame = _small_frame(0)
    for trial in range(40):
        record = tmp_path / f"t{trial}" / "ucimlrepo_1.json"
        with ThreadPoolExecutor(max_workers=4) as pool:
            writes = [pool.submit(write_cached_frame, record, frame, {}) for _ in range(2)]
            reads = [pool.submit(read_cached_frame, record) for _ in range(6)]
            for future in writes:
                future.result()
            for future in reads:
                got = future.result()  # a "corrupt cache" ValueError here is the race
                assert got is None or got.equals(frame)
        assert not list(record.parent.glob("*.tmp")), "temporary files left behind"


def test_interrupted_writes_leave_no_debris(tmp_path, monkeypatch):
    from selfdistill.datasets import _cache

    record = tmp_path / "uci" / "x" / "ucimlrepo_1.json"
    record.parent.mkdir(parents=True)
    old = record.parent / "ucimlrepo_1.json.abc123.tmp"  # left by a killed process
    young = record.parent / "ucimlrepo_1.json.def456.tmp"  # another process writing right now
    old.write_text("half")
    young.write_text("half")
    os.utime(old, (time.time() - 2 * _cache.STALE_TEMPORARY_S,) * 2)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(_cache.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _cache.write_cached_frame(record, _small_frame(0), {})
    assert not old.exists(), "stale *.tmp debris was not cleaned up"
    assert young.exists(), "a fresh *.tmp of a concurrent write was deleted"
    assert sorted(p.name for p in record.parent.iterdir()) == [young.name]
    assert _cache.read_cached_frame(record) is None


def test_columns_match_ignoring_case_and_punctuation(tmp_path, monkeypatch, ucimlrepo):
    renamed = [c.replace("-", " ").title() for c in _AIRFOIL_HEADER]  # "Attack Angle", ...
    _serve(monkeypatch, FakeUCI(291, "Airfoil Self-Noise", _tiny_airfoil_csv(renamed), None))
    with pytest.warns(UserWarning):
        X, y = load_uci("airfoil", cache_dir=tmp_path, download=True)
    assert tuple(X.columns) == UCI_DATASETS["airfoil"].features
    assert y.name == "scaled-sound-pressure"


def test_unexpected_table_names_the_missing_columns(tmp_path, monkeypatch, ucimlrepo):
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
