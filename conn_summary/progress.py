"""Progress on stderr for large inputs.

Shown only when asked (``--progress``) or when stderr is a terminal, and only once the
input has proved large (so small runs never flicker). On a terminal: a rich bar with
bytes read of the total (where the inputs are regular files) and the rate, then a
spinner while the two trace-summary passes run. On anything else (a log file, a CI
job): plain ``conn-summary: ...`` lines, at most one every few seconds, since cursor
tricks there only leave debris (rich's bar printed a lone blank line).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Optional, Sequence, TextIO

from conn_summary.inputs.source import is_conn_log_name

# Below this much input a run takes about a second: no bar.
LARGE_INPUT_BYTES = 16 * 1024 * 1024
# Plain progress lines: often enough to show life in a CI log, rarely enough not to flood it.
PLAIN_EVERY_SECONDS = 5.0


def _known_total(paths: Sequence[str]) -> Optional[int]:
    """Total size of the inputs when all are regular files or directories of them."""
    total = 0
    for p in paths:
        if p == "-":
            return None
        path = Path(p)
        try:
            if path.is_dir():
                for root, _dirs, names in os.walk(path):
                    for name in names:
                        if is_conn_log_name(name):   # what the directory contributes
                            total += os.path.getsize(os.path.join(root, name))
            elif path.is_file():
                total += path.stat().st_size
            else:
                return None
        except OSError:
            return None
    return total


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB"   # decimal units, as rich's bar shows them


class ProgressReporter:
    """Context manager: ``advance(n)`` from the input layer, ``engine_started()`` after it.

    ``interactive``: stderr is a terminal (the rich bar); otherwise plain lines on ``stream``.
    """

    def __init__(self, paths: Sequence[str], *, enabled: bool, interactive: bool = True,
                 stream: Optional[TextIO] = None, threshold: int = LARGE_INPUT_BYTES,
                 every: float = PLAIN_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.interactive = interactive
        self.stream = stream
        self.threshold = threshold
        self.every = every
        self.clock = clock
        self.total = _known_total(paths) if enabled else None
        self.consumed = 0
        self.lines = 0                    # lines read so far (headers included)
        self._progress: Any = None
        self._task: Any = None
        self._started_at = clock()
        self._last_line: Optional[float] = None   # plain mode: when the last line was written

    def __enter__(self) -> "ProgressReporter":
        return self

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TransferSpeedColumn)

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TextColumn("{task.fields[lines]:,} lines"), TransferSpeedColumn(), TimeElapsedColumn(),
            console=Console(file=self._out()), transient=True)
        self._progress.start()
        self._task = self._progress.add_task("reading input", total=self.total,
                                             completed=self.consumed, lines=self.lines)

    def _line(self, text: str) -> None:
        out = self._out()
        out.write(f"conn-summary: {text}\n")
        out.flush()
        self._last_line = self.clock()

    def _reading_line(self) -> None:
        read = _megabytes(self.consumed)
        if self.total:
            read += f" of {_megabytes(self.total)} ({min(100.0, 100 * self.consumed / self.total):.0f}%)"
        elapsed = self.clock() - self._started_at
        rate = f", {_megabytes(self.consumed / elapsed)}/s" if elapsed > 0 else ""
        self._line(f"reading input: {read}, {self.lines:,} lines{rate}")

    def lines_read(self, n: int) -> None:
        """From the input layer, per block: n more lines read (shown beside the bytes)."""
        self.lines += n
        if self._progress is not None:
            self._progress.update(self._task, lines=self.lines)

    def advance(self, nbytes: int) -> None:
        if not self.enabled:
            return
        self.consumed += nbytes
        if not self.interactive:
            if self._last_line is None:
                if self.consumed >= self.threshold:
                    self._reading_line()
            elif self.clock() - self._last_line >= self.every:
                self._reading_line()
            return
        if self._progress is None:
            if self.consumed < self.threshold:
                return
            self._start()
        else:
            self._progress.update(self._task, completed=self.consumed)

    def engine_started(self) -> None:
        if not self.interactive:
            if self.enabled and self._last_line is not None:  # only once the input proved large
                elapsed = self.clock() - self._started_at
                self._line(f"read {_megabytes(self.consumed)} ({self.lines:,} lines) in "
                           f"{elapsed:.1f} s; trace-summary running (2 passes)")
            return
        if self._progress is not None:
            self._progress.update(self._task, description="trace-summary (2 passes)",
                                  total=None, completed=self.consumed)

    def __exit__(self, exc_type: Optional[type], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
