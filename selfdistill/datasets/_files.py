"""Find a raw UCI file (plain, xz-compressed, or inside UCI's zip archive) and check its SHA-256.

The SHA-256 is always the one of the raw file as UCI publishes it, so a compressed copy is
decompressed (in memory) before it is hashed: one record serves every form. Everything here is the
standard library (``hashlib``, ``lzma``, ``zipfile``); downloading and caching are scikit-learn's
``fetch_file`` (see :mod:`selfdistill.datasets.uci`).
"""

from __future__ import annotations

import hashlib
import lzma
import zipfile
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


def read_verified(path: Path, expected: str, what: str, member: str | None = None) -> bytes:
    """Return the raw bytes of ``path`` (its ``member`` for a zip archive), checked against ``expected``.

    Raises ``ValueError`` when the file cannot be read as what its name says (a truncated ``.xz``,
    a damaged zip, a zip without ``member``) or when the raw bytes do not have the SHA-256
    ``expected``.
    """
    try:
        if member is not None:
            with zipfile.ZipFile(path) as archive:
                data = archive.read(member)
        elif path.name.endswith(COMPRESSED_SUFFIX):
            with lzma.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (lzma.LZMAError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        kind = f"zip archive holding {member}" if member is not None else "xz file"
        raise ValueError(
            f"{path} is not a readable {kind} ({exc}); replace it with the official UCI file "
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
