"""Reader for the sktime/aeon ``.ts`` text format of time-series classification archives.

Hand-written on purpose: the maintained readers (aeon's and sktime's ``.ts`` loaders) come
only with aeon or sktime and their heavy dependency trees, for a format this small.

The format (as written by the UEA/UCR archive and aeon) is plain text:

- lines starting with ``#`` are comments, blank lines are ignored;
- a header of ``@tag value`` lines, case-insensitive tags: ``@problemName``, ``@timeStamps``,
  ``@missing``, ``@univariate``, ``@dimensions``, ``@equalLength``, ``@seriesLength``,
  ``@classLabel true <label> <label> ...`` (or ``false``), ``@targetLabel``;
- ``@data``, then one case per line: the channels separated by ``:``, each channel a
  comma-separated list of numbers (``?`` = missing, read as NaN), and with
  ``@classLabel true`` the class label as the last ``:``-separated field.

Only the information in the data rows is trusted for shapes: the archives contain headers that
disagree with their rows (EyesOpenShut declares ``@seriesLength 127`` and has 128 values per
channel; Blink declares ``@equalLength false`` and every row has 510 values). Series stored with
time stamps (``@timeStamps true``, ``(t, v)`` tuples) are refused with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["TsData", "parse_ts", "read_ts"]


@dataclass(frozen=True)
class TsData:
    """A parsed ``.ts`` file.

    Attributes
    ----------
    X : ndarray of shape (n_cases, n_channels, series_length)
        The series, float64 (missing values ``?`` as NaN).
    y : ndarray of shape (n_cases,) or None
        Class labels as strings; None when the file has ``@classLabel false``.
    class_labels : tuple of str
        The labels declared in the header, in header order (empty without class labels).
    problem_name : str
        The ``@problemName`` value ('' if absent).
    header : dict
        Every header tag (lower-cased) and its raw value string.
    """

    X: np.ndarray
    y: np.ndarray | None
    class_labels: tuple[str, ...]
    problem_name: str
    header: dict[str, str] = field(default_factory=dict)


def read_ts(path) -> TsData:
    """Parse the ``.ts`` file at ``path`` (see the module docstring for the format).

    Parameters
    ----------
    path : str or path-like
        The file (UTF-8 text).

    Returns
    -------
    TsData
    """
    path = Path(path)
    with open(path, encoding="utf-8") as handle:
        return parse_ts(handle, source=str(path))


def parse_ts(lines, source: str = "<string>") -> TsData:
    """Parse ``.ts`` content given as an iterable of lines (or one string).

    Parameters
    ----------
    lines : str or iterable of str
        The file content.
    source : str, optional
        Name used in error messages (default: ``"<string>"``).

    Returns
    -------
    TsData

    Raises
    ------
    ValueError
        On a malformed header or row: a missing ``@data`` section, rows with a different number
        of channels, series of unequal length, a label not declared in ``@classLabel``, a value
        that is not a number, or time-stamped series.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    header: dict[str, str] = {}
    rows: list[list[np.ndarray]] = []
    labels: list[str] = []
    in_data = False
    has_labels = False
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            tag, _, value = line.partition(" ")
            tag = tag.lower()
            if not tag.startswith("@"):
                raise ValueError(f"{source}, line {number}: expected a '@tag' header line before "
                                 f"'@data', got {line[:40]!r}.")
            if tag == "@data":
                in_data = True
                has_labels = _check_header(header, source)
            else:
                header[tag[1:]] = value.strip()
            continue
        fields = line.split(":")
        if has_labels:
            labels.append(fields.pop().strip())
        rows.append([_parse_channel(text, source, number) for text in fields])
    if not in_data:
        raise ValueError(f"{source}: no '@data' line found; is this a .ts file?")
    if not rows:
        raise ValueError(f"{source}: the '@data' section is empty.")
    X = _stack(rows, header, source)
    class_labels = _declared_labels(header) if has_labels else ()
    y = None
    if has_labels:
        y = np.asarray(labels, dtype=str)
        unknown = sorted(set(labels) - set(class_labels))
        if unknown:
            raise ValueError(f"{source}: labels {unknown} are not declared in '@classLabel' "
                             f"({list(class_labels)}).")
    return TsData(X=X, y=y, class_labels=class_labels,
                  problem_name=header.get("problemname", ""), header=header)


def _check_header(header: dict[str, str], source: str) -> bool:
    """Validate the tags that change how rows are read; return whether rows carry a label."""
    if header.get("timestamps", "false").lower() == "true":
        raise ValueError(f"{source}: series with time stamps ('@timeStamps true') are not "
                         "supported; only value lists are.")
    label_spec = header.get("classlabel", "false").split()
    if not label_spec or label_spec[0].lower() not in ("true", "false"):
        raise ValueError(f"{source}: '@classLabel' must start with true or false, got "
                         f"{header.get('classlabel')!r}.")
    if header.get("targetlabel", "false").split()[:1] == ["true"]:
        raise ValueError(f"{source}: regression files ('@targetLabel true') are not supported; "
                         "only classification files are.")
    has_labels = label_spec[0].lower() == "true"
    if has_labels and len(label_spec) < 2:
        raise ValueError(f"{source}: '@classLabel true' must list the class labels.")
    return has_labels


def _declared_labels(header: dict[str, str]) -> tuple[str, ...]:
    return tuple(header["classlabel"].split()[1:])


def _parse_channel(text: str, source: str, number: int) -> np.ndarray:
    values = text.replace("?", "nan").split(",")
    try:
        return np.array(values, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{source}, line {number}: a channel contains a value that is not a "
                         f"number ({exc}).") from None


def _stack(rows: list[list[np.ndarray]], header: dict[str, str], source: str) -> np.ndarray:
    n_channels = {len(row) for row in rows}
    if len(n_channels) != 1:
        raise ValueError(f"{source}: rows have different numbers of channels {sorted(n_channels)}.")
    (d,) = n_channels
    declared = _declared_channels(header)
    if declared is not None and declared != d:
        raise ValueError(f"{source}: the header declares {declared} channel(s) but the rows "
                         f"have {d}.")
    lengths = {len(channel) for row in rows for channel in row}
    if len(lengths) != 1:
        raise ValueError(f"{source}: series of unequal length (from {min(lengths)} to "
                         f"{max(lengths)} values) are not supported; resample them to one length.")
    return np.stack([np.stack(row) for row in rows])


def _declared_channels(header: dict[str, str]) -> int | None:
    if "dimensions" in header:
        try:
            return int(header["dimensions"])
        except ValueError:
            return None  # an unreadable declaration is not trusted; the rows decide
    if header.get("univariate", "").lower() == "true":
        return 1
    return None
