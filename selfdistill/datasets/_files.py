"""Find a raw data file (plain or xz-compressed) in a folder and check it against its SHA-256.

The SHA-256 is always the one of the raw file as UCI publishes it, so a compressed copy is
decompressed (in memory) before it is hashed: one record serves both forms.
"""

from __future__ import annotations

import hashlib
import lzma
from pathlib import Path

#: Suffix of the compressed copies shipped in the repository's ``data/uci`` folder.
COMPRESSED_SUFFIX = ".xz"


def find_raw_file(directory: Path, folder: str, filename: str) -> Path | None:
    """Return the first existing of ``directory/folder/filename[.xz]`` and ``directory/filename[.xz]``.

    The first layout is the one of the project's data mirror and of ``data/uci`` (one folder per
    dataset); the second lets a user drop the file straight into a folder.
    """
    for base in (directory / folder / filename, directory / filename):
        for candidate in (base, base.with_name(base.name + COMPRESSED_SUFFIX)):
            if candidate.is_file():
                return candidate
    return None


def read_raw_bytes(path: Path) -> bytes:
    """Return the raw file's bytes, decompressing an ``.xz`` copy."""
    if path.name.endswith(COMPRESSED_SUFFIX):
        with lzma.open(path, "rb") as handle:
            return handle.read()
    return path.read_bytes()


def read_verified(path: Path, expected: str, what: str) -> bytes:
    """Return the raw bytes of ``path``, or raise ``ValueError`` when their SHA-256 is not ``expected``."""
    try:
        data = read_raw_bytes(path)
    except (lzma.LZMAError, EOFError) as exc:
        raise ValueError(
            f"{path} is not a readable xz file ({exc}); replace it with the official UCI file "
            "(plain or xz-compressed) or remove it."
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(
            f"{path} does not have the SHA-256 of the official {what} file: got {actual}, "
            f"expected {expected}. The file was changed (re-saved by a spreadsheet program, "
            "converted line endings, truncated download, ...). Replace it with the file exactly "
            "as UCI publishes it, or remove it so that load_uci falls back to its next source."
        )
    return data
