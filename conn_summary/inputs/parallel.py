"""Normalizing a large input on every core: blocks of lines read by worker processes.

Normalization runs before the engine and on one core it is a good share of a run.
This module owns the workers: a ``BlockPool`` per normalize() call, started only when
an input turns out to hold more than one block, that hands each block of complete
lines to a forked worker together with the reader state it starts from (layout,
header settings: everything earlier lines decided), and merges the results strictly
in input order, so the canonical file, the accounting and the "first file:line"
examples are exactly what one process reading alone would produce.

A block can change the state (a new header block, a zeek-cut header line). Blocks
handed out before that was known started from a stale state: each result is checked
against the true state when its turn comes, and a mismatch is re-read here, in the
main process, from the true state. Header changes are rare (the first block of a
file, usually), so this costs almost nothing and needs no look-ahead parsing. A
worker that dies, or a machine with one core, means reading here: never a wrong
result, only a slower one.

Workers ignore SIGINT and SIGTERM: interrupting is the main process's to handle
(cli.py, interrupts.py); it shuts the pool down on every exit path, and the workers
die with it if it is killed outright.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable, Iterator, Optional

from ..edge import EdgeView
from ..interrupts import Held, hold_signals
from .filters import RecordFilter, compile_filter
from .normalize import BlockResult, _process_block, _Reader, _Sink, merge_block, process_detached

ENV_WORKERS = "CONN_SUMMARY_WORKERS"   # worker count; 0 or 1 reads everything in-process
MAX_WORKERS = 4                         # beyond this the main process's writing is the limit
IN_FLIGHT_PER_WORKER = 2                # blocks queued per worker: busy, yet memory stays flat

_worker_sink: Optional[_Sink] = None    # one per worker process, kept across its blocks


def default_workers() -> int:
    """Workers to use: $CONN_SUMMARY_WORKERS, else one per usable core (capped)."""
    env = os.environ.get(ENV_WORKERS, "").strip()
    if env.isdigit():
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the main process dies (even by SIGKILL), so no
    orphan is left reading a closed queue."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _init_worker(record_filter: Optional[RecordFilter], view: Optional[EdgeView]) -> None:
    # Ctrl-C and `kill -- -PGID` reach the whole process group: a worker killed while it
    # sends a result would leave the pool waiting forever for the rest of the message.
    # The main process handles both and shuts the pool down; workers finish their block.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    global _worker_sink
    _worker_sink = _Sink(io.BytesIO(), compile_filter(record_filter), view)


def _read_block(state: tuple, block: bytes, base: int, name: str, fmt: str) -> BlockResult:
    assert _worker_sink is not None, "worker not initialised"
    return process_detached(_worker_sink, state, block, base, name, fmt)


class BlockPool:
    """Reads the blocks of normalize()'s inputs on worker processes, merged in order."""

    def __init__(self, record_filter: Optional[RecordFilter], view: Optional[EdgeView],
                 workers: Optional[int] = None) -> None:
        self._filter = record_filter
        self._view = view
        self.workers = default_workers() if workers is None else workers
        self._executor: Optional[ProcessPoolExecutor] = None
        self._broken = False

    def __enter__(self) -> "BlockPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            # After an error or an interrupt nothing queued matters any more.
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    @property
    def parallel(self) -> bool:
        return self.workers >= 2 and not self._broken

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # fork: workers inherit the imported modules and start in milliseconds.
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker, initargs=(self._filter, self._view))
        return self._executor

    def read(self, reader: _Reader, blocks: Iterable[tuple[bytes, int]]) -> None:
        """Process (block, first line number) pairs of one input into `reader`'s sink."""
        it: Iterator[tuple[bytes, int]] = iter(blocks)
        first = next(it, None)
        if first is None:
            return
        # The first block holds the header nearly always: read it here, so the workers
        # start from the state it sets.
        _process_block(reader, *first)
        if not self.parallel:
            for block, base in it:
                _process_block(reader, block, base)
            return
        # Forking and waiting on workers: Ctrl-C/SIGTERM take effect between blocks.
        with hold_signals() as held:
            self._read_parallel(reader, it, held)

    def _read_parallel(self, reader: _Reader, it: Iterator[tuple[bytes, int]], held: Held) -> None:
        pending: deque = deque()
        try:
            for block, base in it:
                held.check()
                if not self.parallel:
                    self._settle_all(reader, pending)
                    _process_block(reader, block, base)
                    continue
                state = reader.state()
                try:
                    future = self._start().submit(_read_block, state, block, base,
                                                  reader.fa.name, reader.fa.format)
                except BrokenProcessPool:
                    self._broken = True
                    self._settle_all(reader, pending)
                    _process_block(reader, block, base)
                    continue
                pending.append((future, state, block, base))
                while len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                    self._settle(reader, *pending.popleft())
            self._settle_all(reader, pending)
        finally:
            for future, *_ in pending:
                future.cancel()

    def _settle_all(self, reader: _Reader, pending: deque) -> None:
        while pending:
            self._settle(reader, *pending.popleft())

    def _settle(self, reader: _Reader, future: Future, state: tuple, block: bytes,
                base: int) -> None:
        if state != reader.state():
            # An earlier block changed the state after this one was handed out.
            future.cancel()
            _process_block(reader, block, base)
            return
        try:
            part = future.result()
        except BrokenProcessPool:
            self._broken = True
            _process_block(reader, block, base)
            return
        merge_block(reader, part)
