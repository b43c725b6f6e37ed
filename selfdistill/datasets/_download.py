"""Download a UCI dataset with ``ucimlrepo``, failing fast when the repository is unreachable.

``ucimlrepo.fetch_ucirepo`` calls ``urllib.request.urlopen`` without a timeout, so on a network that
drops packets (instead of refusing them) it would hang until the operating system gives up. Before
calling it we therefore probe ``archive.ics.uci.edu:443`` from a daemon thread and wait at most
``PROBE_TIMEOUT_S``: a probe stuck in DNS resolution (which ignores socket timeouts) is abandoned.
"""

from __future__ import annotations

import socket
import threading
import urllib.error

import pandas as pd

UCI_HOST = "archive.ics.uci.edu"
UCI_PORT = 443
#: Seconds the connectivity probe may take before the repository counts as unreachable.
PROBE_TIMEOUT_S = 0.75


class DownloadError(RuntimeError):
    """The dataset could not be downloaded; the message says why in one line."""


def network_reachable(
    host: str = UCI_HOST, port: int = UCI_PORT, timeout: float = PROBE_TIMEOUT_S
) -> bool:
    """Return whether a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    outcome: list[bool] = []

    def probe() -> None:
        try:
            connection = socket.create_connection((host, port), timeout=timeout)
        except OSError:
            outcome.append(False)
        else:
            connection.close()
            outcome.append(True)

    worker = threading.Thread(target=probe, name="selfdistill-uci-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(outcome and outcome[0])


def fetch_uci_frame(uci_id: int, probe: bool = True) -> tuple[pd.DataFrame, dict]:
    """Return UCI's CSV for dataset ``uci_id`` as ``ucimlrepo`` parses it, and its provenance.

    Parameters
    ----------
    uci_id : int
        The dataset's id in the UCI repository (the ``id`` argument of ``fetch_ucirepo``).
    probe : bool, default=True
        Check that the repository answers within ``PROBE_TIMEOUT_S`` before downloading.

    Returns
    -------
    frame : DataFrame
        Every column of the served CSV (``fetch_ucirepo(id=...).data.original``).
    provenance : dict
        ``uci_id``, ``data_url`` and the ``ucimlrepo`` version.

    Raises
    ------
    DownloadError
        When ``ucimlrepo`` is not installed, the repository is unreachable, or the download fails.
    """
    try:
        import ucimlrepo
        from ucimlrepo.fetch import DatasetNotFoundError
    except ImportError as exc:
        raise DownloadError(
            'ucimlrepo is not installed (install the extra: pip install "selfdistill[uci]")'
        ) from exc
    if probe and not network_reachable():
        raise DownloadError(
            f"{UCI_HOST}:{UCI_PORT} could not be reached within {PROBE_TIMEOUT_S} s (offline?)"
        )
    try:
        result = ucimlrepo.fetch_ucirepo(id=int(uci_id))
    except (ConnectionError, DatasetNotFoundError, urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"ucimlrepo failed: {type(exc).__name__}: {exc}") from exc
    provenance = {
        "uci_id": int(uci_id),
        "data_url": result.metadata.get("data_url"),
        "ucimlrepo_version": _version_of("ucimlrepo"),
    }
    return result.data.original, provenance


def _version_of(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
