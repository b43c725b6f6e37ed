"""The download cache: where it lives, and checked, race-free CSV round trips.

A cached dataset is two files in ``<cache>/uci/<folder>/``:

- the frame ``ucimlrepo`` returned, as CSV, under a content-addressed name
  ``ucimlrepo_<id>-<first 16 hex digits of its SHA-256>.csv``, and
- the record ``ucimlrepo_<id>.json``: the CSV's name, its full SHA-256 and the provenance.

Each file is written to a temporary name and moved into place with ``os.replace`` (atomic), the CSV
first and the record last, and a CSV is never overwritten by different bytes (its name is its hash).
So a reader that arrives at any moment of a write sees either no record (a cache miss) or a record
whose CSV is complete: a valid cache is never reported corrupt, while a CSV that no longer matches
its record (edited, truncated) is refused. Temporary files left by an interrupted write (a killed
process) are removed by the next write once they are ``STALE_TEMPORARY_S`` old.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

#: Environment variable that overrides the cache folder.
CACHE_ENV = "SELFDISTILL_CACHE_DIR"
#: Age (seconds) after which a ``*.tmp`` file in a cache folder counts as debris of a dead write.
STALE_TEMPORARY_S = 600.0


def default_cache_dir() -> Path:
    """Return the user's cache folder for ``selfdistill``, by platform convention.

    In order: ``$SELFDISTILL_CACHE_DIR``; ``$XDG_CACHE_HOME/selfdistill``;
    ``%LOCALAPPDATA%\\selfdistill`` on Windows; ``~/Library/Caches/selfdistill`` on macOS;
    ``~/.cache/selfdistill`` otherwise. Never a folder inside the package or the working tree.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore relative values
        return Path(xdg) / "selfdistill"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "selfdistill"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "selfdistill"
    return Path.home() / ".cache" / "selfdistill"


def read_cached_frame(record_path: Path) -> pd.DataFrame | None:
    """Return the frame cached under the record ``record_path``; ``None`` when there is none.

    Raises ``ValueError`` when the record is unreadable, or its CSV is missing or does not have
    the recorded SHA-256.
    """
    try:
        text = record_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    fix = f"delete the folder {record_path.parent} so that the dataset is downloaded again."
    try:
        record = json.loads(text)
        name, expected = str(record["file"]), str(record["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the cache record {record_path} is not readable ({exc}); {fix}") from exc
    if Path(name).name != name:
        raise ValueError(f"the cache record {record_path} names a file outside its folder; {fix}")
    try:
        data = (record_path.parent / name).read_bytes()
    except FileNotFoundError as exc:
        raise ValueError(
            f"the cache record {record_path} names {name}, which is missing; {fix}"
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(
            f"the cached file {record_path.parent / name} is corrupted or was edited (SHA-256 "
            f"{actual}, recorded {expected}); {fix}"
        )
    # The CSV holds repr() of float64 values, which pandas' parser reads back bit for bit (tested).
    return pd.read_csv(io.BytesIO(data))


def write_cached_frame(record_path: Path, frame: pd.DataFrame, provenance: dict) -> Path:
    """Cache ``frame`` under the record ``record_path`` (see the module docstring); return the CSV path."""
    folder = record_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    data = frame.to_csv(index=False).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    csv_path = folder / f"{record_path.stem}-{digest[:16]}.csv"
    _write_atomically(csv_path, data)
    record = dict(provenance, sha256=digest, file=csv_path.name)
    _write_atomically(record_path, json.dumps(record, indent=2, sort_keys=True).encode("utf-8"))
    return csv_path


def remove_stale_temporaries(folder: Path, max_age_s: float = STALE_TEMPORARY_S) -> list[Path]:
    """Delete ``*.tmp`` files in ``folder`` older than ``max_age_s`` seconds; return them.

    Younger ones may belong to a write in progress in another process and are left alone.
    """
    removed = []
    now = time.time()
    for path in folder.glob("*.tmp"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                path.unlink()
                removed.append(path)
        except OSError:  # gone already, or not ours to delete: not worth failing a load
            continue
    return removed


def _write_atomically(path: Path, data: bytes) -> None:
    handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # only still there when the write failed
