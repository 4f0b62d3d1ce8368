"""RecordFilter: which records the user asked for (--host/--since/--until, --tcp/--udp).

Owns the filter's meaning: one host/CIDR keeps connections with either endpoint in
it; several keep only connections *between* two different ones (either direction).
Time keeps ``since <= ts < until`` on the connection's start time (epoch seconds).
A transport keeps only connections of that protocol (trace-summary's -t/-u, applied
here too so that what they leave out is counted as filtered, other IP protocols included).
Compiled once into a closure over byte addresses, cached per address, because it
runs once per record.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class RecordFilter:
    hosts: tuple = ()                 # tuple[IPv4Network | IPv6Network, ...]
    since: Optional[float] = None
    until: Optional[float] = None
    proto: Optional[str] = None       # "tcp" | "udp": only that transport

    @property
    def active(self) -> bool:
        return (bool(self.hosts) or self.since is not None or self.until is not None
                or self.proto is not None)


# keep(ts, orig_h, resp_h, proto) -> bool; proto is the engine's spelling (b"tcp"...),
# None for a transport the engine cannot read.
MatchFn = Callable[[float, bytes, bytes, Optional[bytes]], bool]


def compile_filter(rf: Optional[RecordFilter]) -> Optional[MatchFn]:
    """Return keep(ts, orig_h, resp_h, proto) -> bool, or None when nothing is filtered."""
    if rf is None or not rf.active:
        return None
    nets = []
    for n in rf.hosts:
        net = ipaddress.ip_network(n, strict=False) if not isinstance(
            n, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else n
        nets.append((net.version, int(net.network_address), int(net.netmask)))
    since = rf.since
    until = rf.until
    want = rf.proto.encode() if rf.proto else None
    cache: dict = {}

    def member(addr: bytes) -> frozenset:
        # Which of the networks hold addr (an index set, so "between two different
        # networks" can be decided even when networks overlap).
        got = cache.get(addr)
        if got is not None:
            return got
        try:
            text = addr.decode("ascii")
            if ":" in text:
                version, value = 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
            else:
                version, value = 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
            got = frozenset(i for i, (v, base, mask) in enumerate(nets)
                            if v == version and value & mask == base)
        except (UnicodeDecodeError, OSError, ValueError):
            got = frozenset()
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        cache[addr] = got
        return got

    single = len(nets) == 1

    def keep(ts: float, orig: bytes, resp: bytes, proto: Optional[bytes]) -> bool:
        if want is not None and proto != want:
            return False
        if since is not None and ts < since:
            return False
        if until is not None and ts >= until:
            return False
        if not nets:
            return True
        mo = member(orig)
        mr = member(resp)
        if single:
            return bool(mo or mr)
        if not mo or not mr:
            return False
        # Between two *different* networks: some i in mo and j in mr with i != j.
        return not (len(mo) == 1 and mo == mr)

    return keep
