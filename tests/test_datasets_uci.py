"""UCI data layer: sources, checksums, the download through fetch_file and its cache, offline errors, splits.

Tests on the real files use the ``uci_mirror`` fixture (the shipped data/uci decompressed, or
SELFDISTILL_DATA_DIR): they never skip. Nothing here touches the network: an autouse fixture makes
every socket connection and urlopen call fail unless a test installs a fake UCI server, which
serves a zip archive built from the mirror file, so that scikit-learn's own ``fetch_file``
(download, checksum, atomic rename) runs unchanged. The same fixture hides the shipped data, so
that the later sources (cache, download) are reached.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import math
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import selfdistill.datasets.uci as uci_module
from selfdistill.datasets import UCI_DATASETS, load_uci
from selfdistill.datasets._uci_registry import _REGISTRY
from selfdistill.datasets.uci import DataUnavailableError, train_val_test_split

# --------------------------------------------------------------------------------------------
# fixtures: no network, a private cache, a fake UCI server
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
    monkeypatch.setattr(uci_module, "DOWNLOAD_RETRIES", 0)  # one test below checks the retry


class _Response(io.BytesIO):
    """What urlopen returns, as far as urllib's urlretrieve uses it (read, info, with)."""

    def info(self):
        return {}


class FakeUCI:
    """Stands in for urllib.request.urlopen: serves one zip archive at one address."""

    def __init__(self, url: str, archive: bytes, failures: int = 0):
        self.url, self.archive, self.failures = url, archive, failures
        self.calls: list[str] = []

    def __call__(self, url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        self.calls.append(full)
        if full != self.url:
            raise urllib.error.URLError(f"unexpected URL {full}")
        if self.failures:
            self.failures -= 1
            raise urllib.error.URLError("502 Bad Gateway (a transient outage)")
        return self.respond()

    def respond(self):
        return _Response(self.archive)


def _zip_of(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


def _serve(monkeypatch, name: str, raw: bytes, *, trust: bool = True, fake_class=FakeUCI, **kwargs):
    """Serve UCI's archive of ``name`` holding ``raw``; with ``trust`` the registry expects it."""
    spec = UCI_DATASETS[name]
    archive = _zip_of(spec.filename, raw)
    if trust:  # our zip is not byte-identical to UCI's: make the registry expect its SHA-256
        digest = hashlib.sha256(archive).hexdigest()
        monkeypatch.setitem(_REGISTRY, name, dataclasses.replace(spec, archive_sha256=digest))
    fake = fake_class(spec.archive_url, archive, **kwargs)
    monkeypatch.setattr(urllib.request, "urlopen", fake)
    return fake


def _raw(uci_mirror: Path, name: str) -> bytes:
    spec = UCI_DATASETS[name]
    return (uci_mirror / spec.folder / spec.filename).read_bytes()


def _archive_path(cache_root: Path, name: str) -> Path:
    spec = UCI_DATASETS[name]
    return cache_root / "uci" / spec.folder / f"{spec.slug}.zip"


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
# the download: scikit-learn's fetch_file on UCI's archive (fake server), and the cache
# --------------------------------------------------------------------------------------------


def test_archive_addresses_are_ucis_download_links():
    for spec in UCI_DATASETS.values():
        assert spec.url == f"https://archive.ics.uci.edu/dataset/{spec.uci_id}/{spec.slug}"
        assert spec.archive_url == f"https://archive.ics.uci.edu/static/public/{spec.uci_id}/{spec.slug}.zip"
        assert len(spec.archive_sha256) == 64 and spec.archive_sha256 != spec.sha256


@pytest.mark.uci
@pytest.mark.parametrize("name", sorted(UCI_DATASETS))
def test_download_and_mirror_give_the_same_data(uci_mirror, name, tmp_path, monkeypatch):
    spec = UCI_DATASETS[name]
    X_raw, y_raw = load_uci(name, data_dir=uci_mirror)
    fake = _serve(monkeypatch, name, _raw(uci_mirror, name))
    X_dl, y_dl = load_uci(name, cache_dir=tmp_path)
    assert fake.calls == [spec.archive_url]
    assert X_dl.attrs["source"] == "download" and X_dl.attrs["location"] == spec.archive_url
    assert X_dl.attrs["sha256"] == spec.sha256
    pd.testing.assert_frame_equal(X_dl, X_raw, check_exact=True)
    pd.testing.assert_series_equal(y_dl, y_raw, check_exact=True)
    assert sorted(p.name for p in _archive_path(tmp_path, name).parent.iterdir()) == [f"{spec.slug}.zip"]

    # The archive went to the cache: later loads read it without the network, checked again.
    monkeypatch.setattr(urllib.request, "urlopen", _refuse_urlopen)
    for download in (False, True):
        X_c, y_c = load_uci(name, cache_dir=tmp_path, download=download)
        assert X_c.attrs["source"] == "cache"
        pd.testing.assert_frame_equal(X_c, X_raw, check_exact=True)
        pd.testing.assert_series_equal(y_c, y_raw, check_exact=True)


def test_an_archive_with_the_wrong_checksum_is_refused_and_not_kept(uci_mirror, tmp_path, monkeypatch):
    # The registry keeps UCI's official archive hash; our home-made zip does not have it.
    fake = _serve(monkeypatch, "airfoil", _raw(uci_mirror, "airfoil"), trust=False)
    with pytest.raises(DataUnavailableError, match="SHA256 checksum") as info:
        load_uci("airfoil", cache_dir=tmp_path)
    assert fake.calls == [UCI_DATASETS["airfoil"].archive_url]
    assert isinstance(info.value.__cause__, OSError)
    assert list(_archive_path(tmp_path, "airfoil").parent.iterdir()) == [], "a bad download was kept"


def test_a_cached_archive_is_checked_on_every_load(uci_mirror, tmp_path, monkeypatch):
    raw = bytearray(_raw(uci_mirror, "airfoil"))
    raw[0:3] = b"801"  # a valid file, but not the official one
    archive = _archive_path(tmp_path, "airfoil")
    archive.parent.mkdir(parents=True)
    archive.write_bytes(_zip_of(UCI_DATASETS["airfoil"].filename, bytes(raw)))
    with pytest.raises(ValueError, match="not have the SHA-256"):
        load_uci("airfoil", cache_dir=tmp_path, download=False)
    archive.write_bytes(b"PK not really a zip")
    with pytest.raises(ValueError, match="not a readable zip archive"):
        load_uci("airfoil", cache_dir=tmp_path, download=False)
    # Online, fetch_file replaces an archive whose SHA-256 is not the expected one.
    fake = _serve(monkeypatch, "airfoil", _raw(uci_mirror, "airfoil"))
    with pytest.warns(UserWarning, match="differs from expected"):
        X, _ = load_uci("airfoil", cache_dir=tmp_path)
    assert fake.calls and X.attrs["source"] == "download" and X.shape == (1503, 5)


def test_a_transient_failure_is_retried(uci_mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(uci_module, "DOWNLOAD_RETRIES", 1)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    fake = _serve(monkeypatch, "airfoil", _raw(uci_mirror, "airfoil"), failures=1)
    with pytest.warns(UserWarning, match="Retry downloading"):
        X, _ = load_uci("airfoil", cache_dir=tmp_path)
    assert len(fake.calls) == 2 and X.attrs["source"] == "download"


class _SlowFakeUCI(FakeUCI):
    """Runs ``during()`` after the first chunk of the archive has been handed out."""

    during = None

    def respond(self):
        fake = self

        class Slow(_Response):
            def read(self, size=-1):
                chunk = super().read(size)
                if fake.during is not None and chunk:
                    during, fake.during = fake.during, None
                    during()
                return chunk

        return Slow(self.archive)


def test_a_reader_during_a_download_never_sees_half_an_archive(uci_mirror, tmp_path, monkeypatch):
    fake = _serve(monkeypatch, "airfoil", _raw(uci_mirror, "airfoil"), fake_class=_SlowFakeUCI)
    seen = []

    def read_the_cache_now():
        try:
            load_uci("airfoil", cache_dir=tmp_path, download=False)
        except DataUnavailableError as exc:  # a cache miss: the expected outcome
            seen.append(exc)
        # a ValueError ("not a readable zip archive") would be the race, and fails the test

    fake.during = read_the_cache_now
    X, _ = load_uci("airfoil", cache_dir=tmp_path)
    assert len(seen) == 1 and "not there" in str(seen[0])
    assert X.attrs["source"] == "download"


def test_concurrent_loads_share_one_archive(uci_mirror, tmp_path, monkeypatch):
    fake = _serve(monkeypatch, "airfoil", _raw(uci_mirror, "airfoil"))
    start = threading.Barrier(4)

    def load(_):
        start.wait()
        return load_uci("airfoil", cache_dir=tmp_path)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(load, range(4)))
    for X, y in results:
        pd.testing.assert_frame_equal(X, results[0][0], check_exact=True)
        pd.testing.assert_series_equal(y, results[0][1], check_exact=True)
    assert 1 <= len(fake.calls) <= 4
    folder = _archive_path(tmp_path, "airfoil").parent
    assert [p.name for p in folder.iterdir()] == ["airfoil+self+noise.zip"], "temporary files left"


def test_default_cache_comes_from_the_environment_or_sklearns_data_home(tmp_path, monkeypatch):
    assert uci_module._cache_root(None) == tmp_path / "default-cache"
    assert uci_module._cache_root(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("SELFDISTILL_CACHE_DIR")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn-data"))
    assert uci_module._cache_root(None) == tmp_path / "sklearn-data" / "selfdistill"
    monkeypatch.setenv("SELFDISTILL_CACHE_DIR", "rel-cache")
    assert uci_module._cache_root(None) == Path.cwd() / "rel-cache"


def test_default_cache_is_outside_the_package_and_the_repository(monkeypatch):
    monkeypatch.delenv("SELFDISTILL_CACHE_DIR")
    monkeypatch.delenv("SCIKIT_LEARN_DATA", raising=False)
    cache = uci_module._cache_root(None).resolve()
    for inside in (Path(uci_module.__file__).resolve().parents[1], REPO_DATA.parents[1]):
        assert inside not in (cache, *cache.parents), f"cache {cache} lies inside {inside}"


# --------------------------------------------------------------------------------------------
# offline behaviour: says what to provide
# --------------------------------------------------------------------------------------------


def _assert_helpful(message: str, cache_dir: Path):
    for needed in (
        "SELFDISTILL_DATA_DIR",
        "data_dir=",
        "--data-dir",
        "airfoil_self_noise/airfoil_self_noise.dat",
        "data/uci",
        UCI_DATASETS["airfoil"].archive_url,
        str(cache_dir),
    ):
        assert needed in message, f"{needed!r} missing from: {message}"


def test_offline_error_says_what_was_tried_and_what_to_provide(tmp_path):
    with pytest.raises(DataUnavailableError) as info:
        load_uci("airfoil", cache_dir=tmp_path / "cache")
    assert isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, urllib.error.URLError)
    message = str(info.value)
    _assert_helpful(message, tmp_path / "cache")
    assert "SELFDISTILL_DATA_DIR is not set" in message and "network disabled" in message


def test_download_false_never_touches_the_network(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("network used although download=False")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    with pytest.raises(DataUnavailableError, match="disabled") as info:
        load_uci("air_quality", data_dir=tmp_path, cache_dir=tmp_path / "c", download=False)
    assert not (tmp_path / "c").exists(), "download=False created the cache folder"
    assert "air_quality" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"download": None}, "download must be True or False"),
        ({"data_dir": 3}, "data_dir must be a path"),
        ({"cache_dir": ["x"]}, "cache_dir must be a path"),
    ],
)
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=f"load_uci: {match}"):
        load_uci("airfoil", **kwargs)


# --------------------------------------------------------------------------------------------
# splits
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
