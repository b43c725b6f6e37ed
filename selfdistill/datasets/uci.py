"""The three UCI regression datasets of Pareek, Du & Oh (NeurIPS 2024), Table 1.

``load_uci(name)`` returns ``(X, y)`` as a float64 DataFrame and Series, after the dataset's
documented preprocessing (row filtering and column selection only: **no standardisation**; fit
``standardize`` on the training part of a split instead). ``UCI_DATASETS`` describes each dataset:
UCI id, DOI, licence, citation, target, features, preprocessing, the raw file and its SHA-256, the
shape after preprocessing, and which choices are assumptions.

Where the data come from, in order:

1. ``data_dir=`` or else the ``SELFDISTILL_DATA_DIR`` environment variable (an override): a folder
   with the raw files exactly as UCI publishes them (plain or xz-compressed), in the layout
   ``<folder>/<file>`` of the project's data mirror (e.g. ``air_quality/AirQualityUCI.csv``) or
   directly ``<file>``. Relative paths are made absolute when read.
2. The copies shipped in the repository's ``data/uci`` folder (xz-compressed; present when the
   package runs from a source checkout, e.g. ``pip install -e .``).
3. The download cache in the user's cache folder (see ``cache_dir``): earlier downloads, each
   checked against the SHA-256 recorded when it was written.
4. A download with ``ucimlrepo`` (``pip install "selfdistill[uci]"``), written to the cache. The
   repository's host is probed first with a short timeout, so an offline machine gets a
   ``DataUnavailableError`` (a ``RuntimeError``) within a second, naming the settings to provide.

Sources 1 and 2 are checked against the official file's SHA-256 in the registry (after
decompression); a mismatch raises ``ValueError``. The raw file and the download give the same
``(X, y)``: ``ucimlrepo`` serves UCI's generated CSV (comma separated, decimal points, a header with
the variable names) rather than the raw file, so each dataset has one parse rule for its raw file
and the columns are matched by name after parsing.

The paper does not say how it preprocessed the data (the Data page of the documentation, §1, "Open item"). Every
choice that is ours rather than confirmed is listed in ``UCIDataset.assumptions``.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._cache import CACHE_ENV, default_cache_dir, read_cached_frame, write_cached_frame
from ._download import DownloadError, fetch_uci_frame
from ._files import find_raw_file, read_verified
from ._splits import standardize, train_val_test_split
from ._uci_registry import ALIASES, UCI_DATASETS, UCIDataset

__all__ = [
    "DATA_DIR_ENV",
    "UCI_DATASETS",
    "DataUnavailableError",
    "UCIDataset",
    "load_uci",
    "standardize",
    "train_val_test_split",
]

#: Environment variable naming the folder with the raw UCI files.
DATA_DIR_ENV = "SELFDISTILL_DATA_DIR"
#: The xz-compressed raw files shipped with a source checkout (``<repository>/data/uci``).
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "uci"


class DataUnavailableError(RuntimeError):
    """No source could provide the dataset; the message lists what was tried and how to fix it."""


def load_uci(name, data_dir=None, *, cache_dir=None, download=None):
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
        ``ValueError``; a folder without the file falls through to the shipped copy, the cache and
        the download.
    cache_dir : str, path or None, default=None
        Cache folder for downloads. ``None`` uses ``SELFDISTILL_CACHE_DIR`` if set, else the user
        cache folder by platform convention (``$XDG_CACHE_HOME/selfdistill``,
        ``~/Library/Caches/selfdistill`` on macOS, ``%LOCALAPPDATA%\\selfdistill`` on Windows,
        ``~/.cache/selfdistill`` otherwise). Files go to ``<cache_dir>/uci/<folder>/``.
    download : bool or None, default=None
        ``None``: download with ``ucimlrepo`` if nothing local is found and
        ``archive.ics.uci.edu`` answers within 0.75 s. ``True``: download without that check.
        ``False``: never touch the network.

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
        Unknown name; ``data_dir`` is not a folder; the raw file's or the cached file's SHA-256 is
        wrong; the data lack an expected column.
    DataUnavailableError
        (a ``RuntimeError``) when no source has the data; the message says which setting or
        folder to provide.

    Notes
    -----
    ``X.attrs`` and ``y.attrs`` record the provenance: ``dataset``, ``source`` (``"data_dir"``,
    ``"shipped"``, ``"cache"`` or ``"ucimlrepo"``), ``location`` (path or URL) and ``sha256``
    where known.

    Preprocessing is row filtering and column selection only (``UCI_DATASETS[name]
    .preprocessing``); choices not confirmed from the paper are listed in ``.assumptions``.
    Standardise with training statistics only, after splitting (``train_val_test_split``,
    ``standardize``).

    Examples
    --------
    >>> X, y = load_uci("airfoil")  # doctest: +SKIP
    >>> X.shape, y.name  # doctest: +SKIP
    ((1503, 5), 'scaled-sound-pressure')
    """
    spec = _lookup(name)
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

    root = Path(cache_dir).expanduser().absolute() if cache_dir is not None else default_cache_dir()
    cache_path = root / "uci" / spec.folder / f"ucimlrepo_{spec.uci_id}.json"
    frame = read_cached_frame(cache_path)
    if frame is not None:
        X, y = _preprocess(frame, spec, f"{cache_path}")
        _warn_if_shape_differs(X, spec, f"the cached copy {cache_path}")
        return _with_provenance(X, y, spec, "cache", str(cache_path), None)
    tried.append(f"cache {cache_path}: not there")

    if download is False:
        tried.append("download: disabled (download=False)")
        raise DataUnavailableError(_unavailable_message(spec, tried, root))
    try:
        frame, provenance = fetch_uci_frame(spec.uci_id, probe=download is None)
    except DownloadError as exc:
        tried.append(f"download: {exc}")
        raise DataUnavailableError(_unavailable_message(spec, tried, root)) from exc
    X, y = _preprocess(frame, spec, f"ucimlrepo id={spec.uci_id}")
    _warn_if_shape_differs(X, spec, "the downloaded copy")
    try:
        write_cached_frame(cache_path, frame, dict(provenance, dataset=spec.name))
    except OSError as exc:
        warnings.warn(
            f"could not write the download to the cache {cache_path} ({exc}); it will be "
            f"downloaded again next time. Set {CACHE_ENV} or cache_dir= to a writable folder.",
            UserWarning,
            stacklevel=2,
        )
    return _with_provenance(X, y, spec, "ucimlrepo", provenance.get("data_url"), None)


def _load_raw_file(path: Path, spec: UCIDataset, source: str):
    """Parse a raw UCI file (plain or .xz) after checking its SHA-256."""
    data = read_verified(path, spec.sha256, f"{spec.title} (UCI {spec.uci_id})")
    frame = pd.read_csv(io.BytesIO(data), **_csv_options(spec))
    X, y = _preprocess(frame, spec, f"{path}")
    if X.shape != spec.shape:  # the checksum passed, so this is a bug in the parse rules
        raise RuntimeError(
            f"{spec.name}: preprocessing of the verified file gave X of shape {X.shape}, "
            f"the registry says {spec.shape}; please report this."
        )
    return _with_provenance(X, y, spec, source, str(path), spec.sha256)


def _lookup(name) -> UCIDataset:
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, one of {sorted(UCI_DATASETS)}; got {name!r}.")
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = ALIASES.get(key, key)
    if key not in UCI_DATASETS:
        raise ValueError(f"unknown UCI dataset {name!r}; choose one of {sorted(UCI_DATASETS)}.")
    return UCI_DATASETS[key]


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
    """Select, convert and filter the registry's columns: the one rule shared by every source."""
    frame = frame.dropna(how="all")  # blank lines (Air Quality's raw file ends with 114 of them)
    wanted = (*spec.features, spec.target)
    columns = _match_columns(frame.columns, wanted, spec, source)
    pairs = zip(wanted, columns, strict=True)
    data = pd.DataFrame({name: _as_float(frame[column], name, source) for name, column in pairs})
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


def _key(column) -> str:
    return re.sub(r"[^0-9a-z]", "", str(column).lower())


def _match_columns(available, wanted, spec: UCIDataset, source: str) -> list:
    """Map each wanted name to a column: exactly, else ignoring case and punctuation."""
    by_key: dict[str, list] = {}
    for column in available:
        by_key.setdefault(_key(column), []).append(column)
    matched, missing = [], []
    for name in wanted:
        if name in available:
            matched.append(name)
        elif len(by_key.get(_key(name), [])) == 1:
            matched.append(by_key[_key(name)][0])
        else:
            missing.append(name)
    if missing:
        raise ValueError(
            f"{source}: the {spec.title} data lack the columns {missing} (found "
            f"{[str(c) for c in available]}). This is not the expected UCI table; check the file "
            "or delete the cached copy."
        )
    return matched


def _as_float(column: pd.Series, name: str, source: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(np.float64)
    # Text columns: accept decimal commas (the raw Air Quality style) as well as points.
    text = column.astype("string").str.strip().str.replace(",", ".", regex=False)
    try:
        return pd.to_numeric(text, errors="raise").astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: column {name!r} holds non-numeric values ({exc}).") from exc


def _warn_if_shape_differs(X: pd.DataFrame, spec: UCIDataset, what: str) -> None:
    if X.shape != spec.shape:
        warnings.warn(
            f"{spec.name}: {what} gives X of shape {X.shape} after preprocessing, but the official "
            f"file gives {spec.shape}; UCI may have changed the data. Use the raw file "
            f"(data_dir= or {DATA_DIR_ENV}) for results comparable with the registry.",
            UserWarning,
            stacklevel=3,
        )


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
        '  - or go online with the "uci" extra installed (pip install "selfdistill[uci]") to '
        f"download it once into the cache {cache_root}."
    )
