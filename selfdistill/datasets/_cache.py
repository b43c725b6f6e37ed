"""The local cache for downloaded datasets: where it lives, and checked CSV round trips.

A cached dataset is the frame ``ucimlrepo`` returned, written as CSV, plus a JSON sidecar holding
the CSV's SHA-256 and the download's provenance. Reading refuses a CSV whose hash no longer matches
its sidecar, so a half-written or edited cache never passes for data.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from ._files import sha256_of

#: Environment variable that overrides the cache folder.
CACHE_ENV = "SELFDISTILL_CACHE_DIR"

# selfdistill/datasets/_cache.py -> the repository root when running from a checkout.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def default_cache_dir() -> Path:
    """Return the folder downloads are cached in.

    In order: ``$SELFDISTILL_CACHE_DIR``; ``data/cache`` of the source checkout when the package
    runs from one (editable install); else the user cache folder (``$XDG_CACHE_HOME/selfdistill``,
    ``%LOCALAPPDATA%/selfdistill`` on Windows, ``~/.cache/selfdistill`` otherwise).
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if (_CHECKOUT_ROOT / "pyproject.toml").is_file() and (_CHECKOUT_ROOT / "data").is_dir():
        return _CHECKOUT_ROOT / "data" / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "selfdistill"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "selfdistill"
    return Path.home() / ".cache" / "selfdistill"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def read_cached_frame(path: Path) -> pd.DataFrame | None:
    """Return the cached frame at ``path``, ``None`` when nothing is cached there.

    Raises ``ValueError`` when the CSV exists but its sidecar is missing or its hash differs.
    """
    if not path.is_file():
        return None
    sidecar = _sidecar(path)
    try:
        expected = json.loads(sidecar.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"the cached file {path} has no readable checksum record {sidecar.name}; "
            f"delete {path} so that the dataset is downloaded again."
        ) from exc
    actual = sha256_of(path)
    if actual != expected:
        raise ValueError(
            f"the cached file {path} is corrupted or was edited (SHA-256 {actual}, recorded "
            f"{expected}); delete it and its {sidecar.name} so that the dataset is downloaded "
            "again."
        )
    # The CSV holds repr() of float64 values, which pandas' parser reads back bit for bit (tested).
    return pd.read_csv(path)


def write_cached_frame(path: Path, frame: pd.DataFrame, provenance: dict) -> None:
    """Write ``frame`` to ``path`` (CSV) and its SHA-256 plus ``provenance`` to the sidecar.

    Both files are written to temporary names first and renamed, so an interrupted write leaves
    no half file under the final name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_csv = _temporary_name(path)
    try:
        frame.to_csv(tmp_csv, index=False)
        record = dict(provenance, sha256=sha256_of(tmp_csv), file=path.name)
        tmp_json = _temporary_name(_sidecar(path))
        try:
            tmp_json.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp_csv, path)
            os.replace(tmp_json, _sidecar(path))
        finally:
            tmp_json.unlink(missing_ok=True)
    finally:
        tmp_csv.unlink(missing_ok=True)


def _temporary_name(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(name)
