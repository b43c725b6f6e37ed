"""A dependency-free progress bar for long runs (stderr; silent when disabled)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class progress(Iterator[T]):  # noqa: N801 - used like tqdm: ``for x in progress(xs, desc=...)``
    """Wrap an iterable and draw ``desc [#####.....] i/n elapsed`` on stderr.

    Parameters
    ----------
    iterable : iterable
        Items to iterate over.
    desc : str, default=""
        Label shown before the bar.
    total : int or None, default=None
        Number of items; taken from ``len(iterable)`` when possible.
    enabled : bool, default=True
        When False the wrapper is a plain pass-through (used by tests and ``--no-progress``).
    stream : file-like, default=sys.stderr
        Where the bar is drawn. On a non-terminal stream only the final line is written.
    """

    def __init__(
        self,
        iterable: Iterable[T],
        desc: str = "",
        total: int | None = None,
        enabled: bool = True,
        stream=None,
    ) -> None:
        self._it = iter(iterable)
        if total is None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except TypeError:
                total = None
        self.total = total
        self.desc = desc
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.count = 0
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        if self.enabled and self._tty:
            self._draw()

    def __iter__(self) -> progress[T]:
        return self

    def __next__(self) -> T:
        try:
            item = next(self._it)
        except StopIteration:
            if self.enabled:
                self._draw(final=True)
            raise
        self.count += 1
        if self.enabled and self._tty and time.perf_counter() - self._last_draw > 0.1:
            self._draw()
        return item

    def _draw(self, final: bool = False) -> None:
        elapsed = time.perf_counter() - self._start
        self._last_draw = time.perf_counter()
        if self.total:
            width = 30
            filled = int(width * self.count / self.total)
            bar = "#" * filled + "." * (width - filled)
            text = f"{self.desc} [{bar}] {self.count}/{self.total} {elapsed:6.1f}s"
        else:
            text = f"{self.desc} {self.count} done {elapsed:6.1f}s"
        if self._tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()
