"""Ctrl-C, SIGTERM and SIGHUP while child processes start and run: held, then raised at a
safe point.

Python raises KeyboardInterrupt (and cli.py's Terminated) between any two bytecodes of
the main thread. While children are being forked and watched, that can land inside a
library's critical section: the logging module's lock is taken around every fork and
by ``sh``'s loggers, and an interrupt between its acquire and its release leaves it
held, so sh's output threads, and the main thread joining them, wait forever (seen:
Ctrl-C just as the second trace-summary pass starts hung the run).

``hold_signals()`` replaces both handlers by one that only records the signal; the
code inside calls ``held.check()`` at points where stopping is safe (its own loops),
which unwinds to its cleanup; on the way out the old handlers come back and the held
signal is raised again, so the caller sees exactly the KeyboardInterrupt / Terminated
it would have seen, only a few milliseconds later and with no lock left held.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

# SIGHUP: the terminal or ssh session went away; it must clean up like the other two.
HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """Unwinds from a check() to hold_signals(), which re-raises the signal."""


class Held:
    """The signals received while held; check() stops the held block if there is one."""

    def __init__(self) -> None:
        self.pending: list[int] = []

    def check(self) -> None:
        if self.pending:
            raise _Stop()


@contextmanager
def hold_signals() -> Iterator[Held]:
    held = Held()
    if threading.current_thread() is not threading.main_thread():
        # Signals only ever reach the main thread; elsewhere nothing is held.
        yield held
        return

    def record(signum: int, frame: object) -> None:
        held.pending.append(signum)

    # An ignored signal stays ignored (a background job's SIGINT, nohup's SIGHUP...).
    previous = {s: signal.signal(s, record) for s in HELD_SIGNALS
                if signal.getsignal(s) is not signal.SIG_IGN}
    stopped = False
    try:
        yield held
    except _Stop:
        stopped = True
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if held.pending:
            # The old handler runs now: KeyboardInterrupt, Terminated, or the default action.
            signal.raise_signal(held.pending[0])
    if stopped:
        # The old handler returned instead of raising, but the block was already stopped:
        # never let the caller carry on as if it had finished.
        raise KeyboardInterrupt()
