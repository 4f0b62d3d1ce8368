"""The progress bar on stderr for large inputs (a rich Progress).

Shown only when asked or when stderr is a terminal, and only once the input has
proved large (so small runs and pipes never flicker). Knows bytes read of the
total where the inputs are regular files, and the rate; then a spinner while the
two trace-summary passes run.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any, Optional, Sequence

# Below this much input a run takes about a second: no bar.
LARGE_INPUT_BYTES = 16 * 1024 * 1024


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
                        if name.startswith(("conn.", "conn_")):
                            total += os.path.getsize(os.path.join(root, name))
            elif path.is_file():
                total += path.stat().st_size
            else:
                return None
        except OSError:
            return None
    return total


class ProgressReporter:
    """Context manager: ``advance(n)`` from the input layer, ``engine_started()`` after it."""

    def __init__(self, paths: Sequence[str], *, enabled: bool,
                 threshold: int = LARGE_INPUT_BYTES) -> None:
        self.enabled = enabled
        self.threshold = threshold
        self.total = _known_total(paths) if enabled else None
        self.consumed = 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> "ProgressReporter":
        return self

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn, TransferSpeedColumn)

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True)
        self._progress.start()
        self._task = self._progress.add_task("reading input", total=self.total,
                                             completed=self.consumed)

    def advance(self, nbytes: int) -> None:
        if not self.enabled:
            return
        self.consumed += nbytes
        if self._progress is None:
            if self.consumed < self.threshold:
                return
            self._start()
        else:
            self._progress.update(self._task, completed=self.consumed)

    def engine_started(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description="trace-summary (2 passes)",
                                  total=None, completed=self.consumed)

    def __exit__(self, exc_type: Optional[type], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
