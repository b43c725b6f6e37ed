"""The three UCI regression datasets of Pareek, Du & Oh (NeurIPS 2024), Table 1.

``load_uci(name)`` returns ``(X, y)`` as a float64 DataFrame and Series, after the dataset's
documented preprocessing (row filtering and column selection only: **no standardisation**; fit a
``sklearn.preprocessing.StandardScaler`` on the training part of a split instead, e.g. in a
``Pipeline``). ``UCI_DATASETS`` describes each dataset: UCI id, DOI, licence, citation, target,
features, preprocessing, the raw file and its SHA-256, the shape after preprocessing, and which
choices are assumptions.

Where the data come from, in order (every source yields the official raw file, checked against its
SHA-256 in the registry after decompression, and parsed by one rule per dataset):

1. ``data_dir=`` or else the ``SELFDISTILL_DATA_DIR`` environment variable (an override): a folder
   with the raw files exactly as UCI publishes them (plain or xz-compressed), in the layout
   ``<folder>/<file>`` of the project's data mirror (e.g. ``air_quality/AirQualityUCI.csv``) or
   directly ``<file>``. Relative paths are made absolute when read.
2. The copies shipped in the repository's ``data/uci`` folder (xz-compressed; present when the
   package runs from a source checkout, e.g. ``pip install -e .``).
3. UCI's official zip archive, fetched once with scikit-learn's ``sklearn.datasets.fetch_file``
   (download, SHA-256 of the archive, atomic write into the cache folder, retry) and read from
   that cache afterwards; see ``cache_dir``. ``download=False`` reads the cache only.

A mismatching SHA-256 raises ``ValueError``. The archive addresses (``UCIDataset.archive_url``) and
their SHA-256 are the ones independent public projects quote for UCI's downloads (see
``data/uci/*/README.md``); they could not be checked against the live server from our network-less
development machines (an unconfirmed assumption; ``fetch_file`` refuses any other bytes).

The paper does not say how it preprocessed the data (the Data page of the documentation, §1, "Open item"). Every
choice that is ours rather than confirmed is listed in ``UCIDataset.assumptions``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import Boolean, Converter, InstanceOf, validate_params
from ._files import find_raw_file, read_verified
from ._splits import train_val_test_split
from ._uci_registry import ALIASES, UCI_DATASETS, UCIDataset

__all__ = [
    "DATA_DIR_ENV",
    "UCI_DATASETS",
    "DataUnavailableError",
    "UCIDataset",
    "load_uci",
    "train_val_test_split",
]

#: Environment variable naming the folder with the raw UCI files.
DATA_DIR_ENV = "SELFDISTILL_DATA_DIR"
#: Environment variable that overrides the download cache folder.
CACHE_ENV = "SELFDISTILL_CACHE_DIR"
#: The xz-compressed raw files shipped with a source checkout (``<repository>/data/uci``).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "uci"
#: Retries of a failed download (``fetch_file``'s ``n_retries``; one second apart).
DOWNLOAD_RETRIES = 1

_PATH = InstanceOf((str, os.PathLike), "a path (str or os.PathLike)")


class DataUnavailableError(RuntimeError):
    """No source could provide the dataset; the message lists what was tried and how to fix it."""


def _lookup(name, param: str = "name") -> UCIDataset:
    """The registry entry for ``name``: case, spaces and hyphens ignored, aliases resolved."""
    if not isinstance(name, str):
        raise ValueError(f"{param} must be a string, one of {sorted(UCI_DATASETS)}; got {name!r}.")
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = ALIASES.get(key, key)
    if key not in UCI_DATASETS:
        raise ValueError(f"unknown UCI dataset {name!r}; choose one of {sorted(UCI_DATASETS)}.")
    return UCI_DATASETS[key]


@validate_params(
    {
        "name": [Converter(_lookup, f"one of {sorted(UCI_DATASETS)}")],
        "data_dir": [_PATH, None],
        "cache_dir": [_PATH, None],
        "download": [Boolean()],
    }
)
def load_uci(name, data_dir=None, *, cache_dir=None, download=True):
    """Load one of the paper's UCI regression datasets as ``(X, y)``.

    Parameters
    ----------
    name : {"air_quality", "airfoil", "appliances_energy"}
        Dataset key in ``UCI_DATASETS`` (also accepted: the mirror's folder names
        ``"airfoil_self_noise"``, ``"appliances_energy_prediction"`` and the paper's ``"aep"``;
        case, spaces and hyphens are ignored).
    data_dir : str, path or None, default=None
        Folder holding the raw UCI file as ``<folder>/<filename>`` (the layout of the project's
        data mirror) or ``<filename>``, each plain or ``.xz``-compressed. ``None`` uses the
        ``SELFDISTILL_DATA_DIR`` environment variable if set. A folder that does not exist raises
        ``ValueError``; a folder without the file falls through to the shipped copy and the
        download cache.
    cache_dir : str, path or None, default=None
        Folder for downloaded archives. ``None`` uses ``SELFDISTILL_CACHE_DIR`` if set, else
        ``<scikit-learn data home>/selfdistill`` (``sklearn.datasets.get_data_home()``:
        ``$SCIKIT_LEARN_DATA`` or ``~/scikit_learn_data``). Archives go to
        ``<cache_dir>/uci/<folder>/``.
    download : bool, default=True
        Download UCI's archive when neither a local file nor the cache has the data. ``False``:
        never touch the network. An offline machine gets a ``DataUnavailableError`` after one
        retry (about a second) where name resolution fails at once, as it usually does.

    Returns
    -------
    X : DataFrame of shape ``UCI_DATASETS[name].shape``
        Float64 features named as in ``UCI_DATASETS[name].features``, with a fresh RangeIndex
        (rows keep the file's order). Not standardised.
    y : Series
        Float64 target named ``UCI_DATASETS[name].target``, with the same index as ``X``.

    Raises
    ------
    ValueError
        Unknown name; ``data_dir`` is not a folder; the raw file's SHA-256 is wrong.
    DataUnavailableError
        (a ``RuntimeError``) when no source has the data; the message says which setting or
        folder to provide.

    Notes
    -----
    ``X.attrs`` and ``y.attrs`` record the provenance: ``dataset``, ``source`` (``"data_dir"``,
    ``"shipped"``, ``"cache"`` or ``"download"``), ``location`` (path or URL) and ``sha256`` (of
    the raw file, always checked).

    Preprocessing is row filtering and column selection only (``UCI_DATASETS[name]
    .preprocessing``); choices not confirmed from the paper are listed in ``.assumptions``.
    Standardise with training statistics only, after splitting (``train_val_test_split``, then
    ``StandardScaler`` fitted on the training part).

    Examples
    --------
    >>> X, y = load_uci("airfoil")  # doctest: +SKIP
    >>> X.shape, y.name  # doctest: +SKIP
    ((1503, 5), 'scaled-sound-pressure')
    """
    spec = name  # converted to the registry entry by the constraint table
    tried = []

    directory, setting = _data_dir_setting(data_dir)
    if directory is not None:
        path = find_raw_file(directory, spec.folder, spec.filename)
        if path is not None:
            return _load_raw_file(path, spec, "data_dir")
        tried.append(
            f"{setting} {directory}: holds neither {spec.folder}/{spec.filename} nor "
            f"{spec.filename} (plain or .xz)"
        )
    else:
        tried.append(f"no data_dir argument, and {DATA_DIR_ENV} is not set")

    shipped = find_raw_file(SHIPPED_DIR, spec.folder, spec.filename)
    if shipped is not None:
        return _load_raw_file(shipped, spec, "shipped")
    tried.append(f"shipped data {SHIPPED_DIR}: not there (not running from a source checkout)")

    root = _cache_root(cache_dir)
    archive = root / "uci" / spec.folder / f"{spec.slug}.zip"
    before = _file_identity(archive)
    if not download:
        if before is not None:
            return _load_raw_file(archive, spec, "cache")
        tried += [f"cache {archive}: not there", "download: disabled (download=False)"]
        raise DataUnavailableError(_unavailable_message(spec, tried, root))
    try:
        _fetch_archive(spec, archive)
    except OSError as exc:  # URLError, HTTPError, a wrong checksum, an unwritable folder
        tried.append(f"cache {archive}: {'not there' if before is None else 'not the official archive'}")
        tried.append(f"download {spec.archive_url}: {type(exc).__name__}: {exc}")
        raise DataUnavailableError(_unavailable_message(spec, tried, root)) from exc
    if _file_identity(archive) == before:  # fetch_file kept the cached archive (SHA-256 matched)
        return _load_raw_file(archive, spec, "cache")
    X, y = _load_raw_file(archive, spec, "download")
    X.attrs["location"] = y.attrs["location"] = spec.archive_url
    return X, y


def _file_identity(path: Path) -> tuple[int, int] | None:
    """``(inode, mtime)`` of ``path``, or None when it does not exist: a download replaces both."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _fetch_archive(spec: UCIDataset, archive: Path) -> None:
    """Make ``archive`` UCI's official zip: kept when its SHA-256 matches, else downloaded.

    ``fetch_file`` downloads to a temporary file of its own, checks the SHA-256 and renames the
    file into place, so concurrent loads never see half an archive and a failed download leaves
    nothing behind.
    """
    from sklearn.datasets import fetch_file

    archive.parent.mkdir(parents=True, exist_ok=True)
    fetch_file(
        spec.archive_url,
        folder=archive.parent,
        local_filename=archive.name,
        sha256=spec.archive_sha256,
        n_retries=DOWNLOAD_RETRIES,
    )


def _cache_root(cache_dir) -> Path:
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV)
    if cache_dir:
        return Path(cache_dir).expanduser().absolute()
    from sklearn.datasets import get_data_home

    return Path(get_data_home()) / "selfdistill"


def _load_raw_file(path: Path, spec: UCIDataset, source: str):
    """Parse a raw UCI file (plain, .xz, or the member of UCI's .zip) after checking its SHA-256."""
    member = spec.filename if path.suffix == ".zip" else None
    data = read_verified(path, spec.sha256, f"{spec.title} (UCI {spec.uci_id})", member)
    frame = pd.read_csv(io.BytesIO(data), **_csv_options(spec))
    X, y = _preprocess(frame, spec, f"{path}")
    if X.shape != spec.shape:  # the checksum passed, so this is a bug in the parse rules
        raise RuntimeError(
            f"{spec.name}: preprocessing of the verified file gave X of shape {X.shape}, "
            f"the registry says {spec.shape}; please report this."
        )
    return _with_provenance(X, y, spec, source, str(path), spec.sha256)


def _data_dir_setting(data_dir) -> tuple[Path | None, str]:
    if data_dir is not None:
        directory, setting = Path(data_dir).expanduser().absolute(), "data_dir"
    elif os.environ.get(DATA_DIR_ENV):
        directory = Path(os.environ[DATA_DIR_ENV]).expanduser().absolute()
        setting = DATA_DIR_ENV
    else:
        return None, ""
    if not directory.is_dir():
        raise ValueError(
            f"{setting}={str(directory)!r} is not a folder (relative paths are taken from the "
            "current folder). Point it to a folder holding the raw UCI files, e.g. the "
            "repository's data/uci, or unset it to use the shipped data, the cache or a download."
        )
    return directory, setting


def _csv_options(spec: UCIDataset) -> dict:
    options = dict(spec.read_csv_options)
    if "names" in options:
        options["names"] = list(options["names"])
    return options


def _preprocess(
    frame: pd.DataFrame, spec: UCIDataset, source: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Select, convert and filter the registry's columns of the parsed raw file."""
    frame = frame.dropna(how="all")  # blank lines (Air Quality's raw file ends with 114 of them)
    wanted = [*spec.features, spec.target]
    missing_columns = [name for name in wanted if name not in frame.columns]
    if missing_columns:  # only reachable with a registry that does not fit its verified file
        raise RuntimeError(f"{source}: the {spec.title} data lack the columns {missing_columns}.")
    data = frame[wanted].astype(np.float64)
    missing = data.isna()
    if spec.missing_code is not None:
        missing |= data == spec.missing_code
        data = data.loc[~missing.any(axis=1)]
    elif missing.any().any():
        bad = [str(c) for c in data.columns[missing.any()]]
        raise ValueError(
            f"{source}: {spec.title} has empty entries in {bad}, but the official data have "
            "none; the file is damaged or not the UCI dataset."
        )
    data = data.reset_index(drop=True)
    return data.loc[:, list(spec.features)], data[spec.target]


def _with_provenance(X, y, spec: UCIDataset, source: str, location, digest):
    attrs = {"dataset": spec.name, "source": source, "location": location, "sha256": digest}
    X.attrs.update(attrs)
    y.attrs.update(attrs)
    return X, y


def _unavailable_message(spec: UCIDataset, tried: list[str], cache_root: Path) -> str:
    looked = "\n".join(f"  - {item}" for item in tried)
    return (
        f"cannot load the UCI dataset {spec.name!r} ({spec.title}, UCI id {spec.uci_id}). "
        f"Looked for it here:\n{looked}\n"
        "Fix it in one of three ways:\n"
        "  - run from a source checkout of selfdistill (pip install -e .), which ships the file "
        f"in data/uci/{spec.folder}/;\n"
        f"  - pass data_dir=DIR (CLI: --data-dir DIR) or set {DATA_DIR_ENV}=DIR, where DIR holds "
        f"the raw UCI file {spec.folder}/{spec.filename} (or {spec.filename} directly, plain or "
        ".xz), e.g. a checkout's data/uci;\n"
        f"  - or go online (download=True, the default) to download UCI's archive "
        f"{spec.archive_url} once into the cache {cache_root}."
    )
