"""Reverse DNS for ``--resolve``: names for the top sources and destinations.

Lookups run in daemon threads under ONE overall deadline, so an offline machine or a
dead resolver costs at most that long (upstream's -r waits up to 5 s per address,
twice). Names are attached to the model's rows; an address without an answer by the
deadline keeps ``name=None``.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from typing import Callable, Iterable, Optional

from conn_summary.model import PassReport, Section, Summary, TopRow

DEFAULT_DEADLINE = 2.0


def _lookup(address: str) -> Optional[str]:
    try:
        return socket.gethostbyaddr(address)[0]
    except (OSError, UnicodeError):
        return None


def resolve_all(addresses: Iterable[str], *, deadline: float = DEFAULT_DEADLINE,
                lookup: Callable[[str], Optional[str]] = _lookup) -> dict[str, Optional[str]]:
    """Look up every address at once; return what answered within the deadline."""
    names: dict[str, Optional[str]] = {}
    lock = threading.Lock()

    def work(addr: str) -> None:
        name = lookup(addr)
        with lock:
            names[addr] = name

    threads = []
    for addr in dict.fromkeys(addresses):
        # Daemon threads: a lookup stuck past the deadline must not hold up the exit.
        t = threading.Thread(target=work, args=(addr,), daemon=True)
        t.start()
        threads.append(t)
    end = time.monotonic() + deadline
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    with lock:
        return dict(names)


def _host_rows(section: Section) -> Iterable[str]:
    for row in section.sources + section.destinations:
        yield str(row.value)


def _named(rows: tuple[TopRow, ...], names: dict[str, Optional[str]]) -> tuple[TopRow, ...]:
    return tuple(replace(r, name=names.get(str(r.value)) or r.name) for r in rows)


def with_names(summary: Summary, *, deadline: float = DEFAULT_DEADLINE,
               lookup: Callable[[str], Optional[str]] = _lookup) -> Summary:
    """The summary with resolved names on the source and destination rows of every section."""
    addresses = [a for p in summary.passes for s in p.sections for a in _host_rows(s)]
    names = resolve_all(addresses, deadline=deadline, lookup=lookup)

    def section(s: Section) -> Section:
        return replace(s, sources=_named(s.sources, names), destinations=_named(s.destinations, names))

    passes: list[PassReport] = [replace(p, sections=tuple(section(s) for s in p.sections))
                                for p in summary.passes]
    return replace(summary, passes=tuple(passes))


def names_block(summary: Summary) -> str:
    """Plain-text appendix: 'address  name' for every resolved top host, once each."""
    seen: dict[str, str] = {}
    for p in summary.passes:
        for s in p.sections:
            for row in s.sources + s.destinations:
                if row.name:
                    seen.setdefault(str(row.value), row.name)
    if not seen:
        return "Names:\n======\n(no reverse DNS answers)\n"
    width = max(len(a) for a in seen)
    return "Names:\n======\n" + "".join(f"{a:<{width}}  {n}\n" for a, n in seen.items())
