"""Find a raw data file in a user-given folder and check it against its published SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_raw_file(directory: Path, folder: str, filename: str) -> Path | None:
    """Return ``directory/folder/filename`` or ``directory/filename``, whichever exists first.

    The first layout is the one of the project's data mirror (one folder per dataset); the second
    lets a user drop the file straight into a folder.
    """
    for candidate in (directory / folder / filename, directory / filename):
        if candidate.is_file():
            return candidate
    return None


def verify_sha256(path: Path, expected: str, what: str) -> str:
    """Return the file's SHA-256, or raise ``ValueError`` when it is not ``expected``."""
    actual = sha256_of(path)
    if actual != expected:
        raise ValueError(
            f"{path} does not have the SHA-256 of the official {what} file: got {actual}, "
            f"expected {expected}. The file was changed (re-saved by a spreadsheet program, "
            "converted line endings, truncated download, ...). Replace it with the file exactly "
            "as UCI publishes it, or remove it so that load_uci falls back to its cache or a "
            "download."
        )
    return actual
