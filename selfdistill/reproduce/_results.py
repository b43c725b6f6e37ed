"""Result sets on disk: check the output folder first, write into a staging folder, commit whole.

An experiment writes its files (CSV, Markdown, JSON, PNG) into a fresh staging folder inside the
output folder; only when it has finished are they moved into place, all of them under one lock and
with Ctrl-C held back until the last one is in. So an interrupted run leaves the previous result
set untouched, and two runs into the same folder never mix: the last one to commit wins, whole.
A hidden manifest ``.<experiment>.files.json`` lists each committed set, so files that the previous
set had and the new one lacks are removed rather than left beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

_STAGE_PREFIX = ".staging-"


class OutputFolderError(ValueError):
    """The output folder cannot receive results; the message is one line naming the fix."""


def check_out_dir(out) -> Path:
    """Return ``out`` as an absolute folder that exists and is writable, before any computation.

    Raises
    ------
    OutputFolderError
        When ``out`` is a file, cannot be created, or does not accept new files.
    """
    out = Path(out).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out} is a file, not a folder; pass a folder path.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=".write-check-", dir=out))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputFolderError(
            f"--out {out} is not a writable folder ({reason}); pass a folder you can write to."
        ) from exc
    return out


@contextlib.contextmanager
def staging_folder(out: Path, name: str) -> Iterator[Path]:
    """Yield an empty staging folder in ``out``; commit its files as ``name``'s set on success.

    On any exception (Ctrl-C included) the staging folder is deleted and ``out`` is unchanged.
    """
    stage = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}{name}-", dir=out))
    try:
        yield stage
        _commit(stage, out, name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, out: Path, name: str) -> None:
    new = sorted(entry.name for entry in stage.iterdir())
    manifest = out / f".{name}.files.json"
    with _folder_lock(out), _interrupts_held():
        old = _read_manifest(manifest)
        for entry in new:
            target = out / entry
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(stage / entry, target)
        for entry in set(old) - set(new):
            target = out / entry
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        temporary = manifest.with_name(manifest.name + ".tmp")
        temporary.write_text(json.dumps(new, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, manifest)


def _read_manifest(path: Path) -> list[str]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    # Only plain names of this folder: a damaged manifest must never delete anything elsewhere.
    return [n for n in names if isinstance(n, str) and n and Path(n).name == n and n[0] != "."]


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``folder`` (POSIX ``flock``; no lock where unavailable)."""
    try:
        import fcntl
    except ImportError:  # Windows: commits are still whole, but not serialised across processes
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back SIGINT (Ctrl-C) until the block has finished, then raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
