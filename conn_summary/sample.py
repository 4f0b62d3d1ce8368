"""Realistic synthetic Zeek ``conn.log`` files: the bundled sample and benchmark inputs.

This module owns the generator (``generate``) and its small dev CLI
(``python -m conn_summary.sample``). It writes what a Zeek 6/7 sensor writes: the TSV
format with its header block and ``#close`` trailer, or Zeek's JSON lines (``ts`` as an
epoch number, unset fields omitted), including Zeek 7.1's ``unknown_transport`` rows
with ``ip_proto``.

Only documentation (RFC 5737, RFC 3849) and private/link-local ranges are used, so no
real public address ever appears in a sample.

Determinism is a contract: the same arguments give the same bytes on every machine and
every Python >= 3.9. So the only randomness is one ``random.Random(seed)``, and it is
only asked for integers (``randrange``/``getrandbits``) and ``random()`` -- never for
``expovariate``/``paretovariate`` and friends, whose results go through libm and may
differ in the last bit between platforms. Heavy tails are built from integer
"power-of-two buckets" instead. No set or dict iteration order feeds the output.
"""

from __future__ import annotations

import argparse
import gzip
import ipaddress
import os
import sys
import time
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from math import isqrt
from random import Random
from typing import BinaryIO, Iterator, List, Optional, Sequence, Tuple

__all__ = ["generate", "FIELDS", "TYPES", "DEFAULT_RECORDS", "main"]

#: Records in the bundled ``conn_summary/data/sample-conn.log``.
DEFAULT_RECORDS = 400

FIELDS: Tuple[str, ...] = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
    "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
    "tunnel_parents", "ip_proto",
)
TYPES: Tuple[str, ...] = (
    "time", "string", "addr", "port", "addr", "port", "enum", "string",
    "interval", "count", "count", "string", "bool", "bool",
    "count", "string", "count", "count", "count", "count",
    "set[string]", "count",
)

# How each field is spelled in Zeek's JSON writer: quoted string, bool, or bare number.
_JSON_STR = frozenset({"uid", "id.orig_h", "id.resp_h", "proto", "service", "conn_state", "history"})
_JSON_BOOL = frozenset({"local_orig", "local_resp"})
_JSON_KINDS: Tuple[str, ...] = tuple(
    "s" if f in _JSON_STR else "b" if f in _JSON_BOOL else "n" for f in FIELDS
)

# Rows are yielded in blocks of this many records: big enough that join/encode
# overhead vanishes, small enough that memory stays flat for millions of records.
_BLOCK = 2048

# One sample hour holds this many records; bigger logs span longer (see _span_us).
_RECORDS_PER_HOUR = 400

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

Row = List[Optional[str]]  # 22 TSV tokens; None = unset


# --------------------------------------------------------------------------- helpers


class _Pick:
    """Weighted choice with integer weights only (``randrange`` + bisect): portable."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: Sequence[object], weights: Sequence[int]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: Random) -> object:
        return self.items[bisect_right(self.cum, rng.randrange(self.total))]


def _zipf(n: int) -> List[int]:
    """Integer Zipf(s=1) weights: rank k gets ~1/k, so top lists have a clear head."""
    return [1_000_000 // (k + 1) for k in range(n)]


class _Tail:
    """A heavy-tailed integer: pick a power-of-two bucket, then a uniform value inside it.

    Bucket weights fall off geometrically (by ``decay`` percent per doubling), which
    gives the straight-line log-log tail of real byte counts without libm.
    """

    __slots__ = ("pick",)

    def __init__(self, lo_exp: int, hi_exp: int, decay: int) -> None:
        weights, w = [], 1_000_000
        for _ in range(lo_exp, hi_exp + 1):
            weights.append(max(w, 1))
            w = w * decay // 100
        self.pick = _Pick(list(range(lo_exp, hi_exp + 1)), weights)

    def __call__(self, rng: Random) -> int:
        k = self.pick(rng)
        assert isinstance(k, int)
        return rng.randrange(1 << k, 1 << (k + 1))


def _uid(rng: Random) -> str:
    """Zeek-like uid: 'C' + 17 base62 characters (Zeek draws them from its own RNG too)."""
    n = rng.getrandbits(102)  # 62**17 > 2**101: every character position varies
    out = ["C"]
    for _ in range(17):
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "".join(out)


def _secs(us: int) -> str:
    """Microseconds as Zeek prints times/intervals: seconds with 6 decimals, exact."""
    return "%d.%06d" % divmod(us, 1_000_000)


def _v4(rng: Random, prefix: str, lo: int = 1, hi: int = 254) -> str:
    return "%s.%d" % (prefix, rng.randrange(lo, hi + 1))


def _v6(base: str, rng: Random, bits: int = 64) -> str:
    """A random interface id under ``base`` (compressed lowercase form, as Zeek writes)."""
    net = int(ipaddress.IPv6Address(base))
    return str(ipaddress.IPv6Address(net | rng.getrandbits(bits)))


def _unique(rng: Random, n: int, make) -> List[str]:  # type: ignore[no-untyped-def]
    """``n`` distinct values from ``make(rng)``, in draw order (the set only tests membership)."""
    seen: set = set()
    out: List[str] = []
    while len(out) < n:
        v = make(rng)
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class _World:
    """The hosts of one synthetic site and the outside world it talks to."""

    clients: _Pick          # internal IPv4 workstations (Zipf: a few are very busy)
    client_list: List[str]
    resolver: str           # internal DNS resolver (internal-to-internal traffic)
    mail: str               # internal mail server (inbound smtp)
    web: str                # internal web server (inbound https)
    files: str              # internal file/AD server (lateral smb/ldap/krb)
    ssh: str                # internal bastion (inbound ssh brute force)
    vpn: str                # internal VPN gateway (gre/esp tunnels)
    ll6: List[str]          # fe80:: link-local hosts (multicast chatter)
    ula6: List[str]         # fd00::/8 unique-local hosts
    ula_resolver: str
    ext: _Pick              # popular external services (Zipf)
    ext6: _Pick             # popular external IPv6 services (Zipf)
    vpn_peers: List[str]


def _build_world(rng: Random) -> _World:
    clients = (
        _unique(rng, 18, lambda r: _v4(r, "10.1.%d" % r.randrange(0, 4), 10, 250))
        + _unique(rng, 5, lambda r: _v4(r, "172.16.%d" % r.randrange(0, 2), 10, 250))
        + _unique(rng, 5, lambda r: _v4(r, "192.168.1", 10, 250))
    )
    rng.shuffle(clients)  # so the busiest host is not always from the same range
    ext = _unique(
        rng, 160,
        lambda r: _v4(r, ("192.0.2", "198.51.100", "203.0.113")[r.randrange(3)]),
    )
    ext6 = _unique(rng, 30, lambda r: _v6("2001:db8:%x::" % r.randrange(1, 0x400), r, 16))
    return _World(
        clients=_Pick(clients, _zipf(len(clients))),
        client_list=clients,
        resolver="10.0.0.53",
        mail="10.0.0.25",
        web="172.16.10.80",
        files="10.0.0.10",
        ssh="192.168.0.22",
        vpn="10.0.0.1",
        ll6=_unique(rng, 4, lambda r: _v6("fe80::", r)),
        ula6=_unique(rng, 4, lambda r: _v6("fd00:5eed:1::", r)),
        ula_resolver="fd00:5eed:1::53",
        ext=_Pick(ext, _zipf(len(ext))),
        ext6=_Pick(ext6, _zipf(len(ext6))),
        vpn_peers=ext[-3:],
    )


def _scanner(rng: Random) -> str:
    """A one-off external source: the long tail of distinct hosts real logs have."""
    if rng.randrange(8) == 0:
        return _v6("2001:db8:bad::", rng)
    return _v4(rng, ("192.0.2", "198.51.100", "203.0.113")[rng.randrange(3)])


# --------------------------------------------------------------------------- connections

# Byte-count distributions: (lowest bucket exponent, highest, percent kept per doubling).
_REQ = _Tail(7, 22, 55)        # client requests: mostly small, a few uploads
_RESP = _Tail(8, 31, 72)       # server responses: long tail up to GBs
_SMALL = _Tail(5, 10, 60)      # dns/ntp/handshake-sized payloads
_DUR_MS = _Tail(3, 22, 78)     # durations in ms: ~10 ms (an RTT) to ~hours

# TCP outcomes: (conn_state, weight). SF dominates like on real networks.
_TCP_OUTCOME = _Pick(
    ["SF", "S0", "REJ", "RSTO", "RSTR", "SH", "S1", "OTH", "RSTOS0", "S3"],
    [760, 60, 35, 50, 35, 15, 20, 15, 5, 5],
)
_SCAN_OUTCOME = _Pick(["S0", "REJ", "RSTR", "SF", "RSTOS0"], [55, 30, 8, 5, 2])
_SCAN_PORTS = _Pick(
    [23, 445, 3389, 22, 8080, 80, 443, 1433, 5900, 6379, 2323, 8443, 3306, 25, 21],
    _zipf(15),
)

# The fastest a connection may look (bytes per µs ~= 400 Mbit/s): trace-summary
# flags anything above 700 Mbit/s as a Bro bug, which real sensors rarely produce.
_BYTES_PER_US = 50


def _tcp(rng: Random, state: str, v6: bool, req: _Tail = _REQ, resp: _Tail = _RESP
         ) -> Tuple[Optional[str], Optional[str], Optional[str], str, int, int, int, int, int]:
    """(duration, orig_bytes, resp_bytes, history, orig_pkts, orig_ip, resp_pkts, resp_ip, missed)."""
    hdr = 60 if v6 else 40
    if state == "S0":
        pk = 1 + (rng.randrange(4) == 0) * rng.randrange(1, 3)  # SYN retransmits
        dur = None if pk == 1 else _secs(rng.randrange(1_000_000, 3 * 1_000_000 * pk))
        ob = rb = None if pk == 1 else "0"
        return dur, ob, rb, "S", pk, pk * (hdr + 4 + 20), 0, 0, 0
    if state == "REJ":
        rtt = rng.randrange(200, 90_000)
        return _secs(rtt), "0", "0", "Sr", 1, hdr + 24, 1, hdr, 0
    if state == "RSTOS0":
        return _secs(rng.randrange(100, 5_000_000)), "0", "0", "ShR", 2, 2 * hdr + 24, 0, 0, 0
    if state == "SH":
        return _secs(rng.randrange(100, 2_000_000)), "0", "0", "SF", 2, 2 * hdr + 24, 0, 0, 0
    ob = req(rng)
    rb = resp(rng)
    if state in ("RSTO", "RSTR", "S1", "OTH"):
        # cut short: keep some of the response only
        rb = rb // (1 + rng.randrange(8))
    dur_us = max(_DUR_MS(rng) * 1000 + rng.randrange(1000), (ob + rb) // _BYTES_PER_US)
    opk = 2 + ob // 1200 + rb // 12000  # data segments + ACKs of the response
    rpk = 2 + rb // 1400 + ob // 12000
    history = {
        "SF": "ShADadFf", "RSTO": "ShADadR", "RSTR": "ShADadr", "S1": "ShADad",
        "OTH": "DdA" if rng.randrange(2) else "Dd", "S3": "ShADadf",
    }[state]
    if state == "OTH":  # mid-stream pickup: no handshake seen
        opk, rpk = max(1, opk - 2), max(1, rpk - 2)
    missed = 0
    if rng.randrange(200) == 0 and rb > 10_000:  # capture loss, as real sensors show
        missed = rng.randrange(1, rb // 10)
        history = history.replace("d", "dg", 1)
    return (_secs(dur_us), str(ob), str(rb), history,
            opk, ob + opk * (hdr + 12), rpk, rb + rpk * (hdr + 12), missed)


def _udp(rng: Random, v6: bool, replied: bool = True, req: _Tail = _SMALL,
         resp: _Tail = _SMALL, multi: bool = False
         ) -> Tuple[Optional[str], Optional[str], Optional[str], str, int, int, int, int, int, str]:
    """Like ``_tcp`` plus the conn_state (SF when answered, S0 when not)."""
    hdr = 48 if v6 else 28
    ob = req(rng)
    if not replied:
        pk = 1 + multi * rng.randrange(0, 3)
        dur = None if pk == 1 else _secs(rng.randrange(100_000, 3_000_000))
        return dur, str(ob * pk) if pk > 1 else str(ob), "0", "D", pk, pk * (ob + hdr), 0, 0, 0, "S0"
    rb = resp(rng)
    opk = 1 + (multi * (ob // 1200))
    rpk = 1 + (multi * (rb // 1200))
    dur_us = max(rng.randrange(300, 120_000) * (1 + multi * 200), (ob + rb) // _BYTES_PER_US)
    return (_secs(dur_us), str(ob), str(rb), "Dd", opk, ob + opk * hdr, rpk, rb + rpk * hdr, 0, "SF")


def _eph(rng: Random) -> int:
    """An ephemeral source port (Linux and Windows ranges)."""
    return rng.randrange(32768, 61000) if rng.randrange(3) else rng.randrange(49152, 65536)


def _is_local(addr: str) -> str:
    """Zeek's local_orig/local_resp for a sensor whose Site::local_nets are our ranges."""
    if addr.startswith(("10.", "192.168.", "fe80:", "fd")):
        return "T"
    if addr.startswith("172."):
        return "T" if 16 <= int(addr.split(".")[1]) <= 31 else "F"
    return "F"


# Connection kinds with their share per thousand; each maps to a builder below.
_KINDS = _Pick(
    ["https", "quic", "http", "dns_int", "dns_ext", "ntp", "ssh_out", "ssh_in", "smtp_in",
     "smtp_out", "web_in", "scan", "lateral", "icmp", "v6_mcast", "v6_ula", "tunnel", "udp_misc"],
    [300, 60, 60, 180, 50, 20, 15, 25, 20, 10, 40, 60, 60, 30, 20, 25, 10, 15],
)


def _row(rng: Random, w: _World, ts: str) -> Row:
    """One connection of a randomly chosen kind, as 22 TSV tokens."""
    kind = _KINDS(rng)
    v6 = False
    proto, ip_proto = "tcp", "6"
    service: Optional[str] = None
    if kind in ("https", "http", "ssh_out"):
        oh = w.clients(rng)
        if kind == "https" and rng.randrange(10) == 0:
            rh, v6 = w.ext6(rng), True
        else:
            rh = w.ext(rng)
        op, rp = _eph(rng), {"https": 443, "http": 80, "ssh_out": 22}[kind]
        if kind == "http" and rng.randrange(6) == 0:
            rp = 8080
        state = _TCP_OUTCOME(rng)
        svc = {"https": "ssl", "http": "http", "ssh_out": "ssh"}[kind]
        t = _tcp(rng, state, v6)
    elif kind == "quic":
        oh, rh, op, rp = w.clients(rng), w.ext(rng), _eph(rng), 443
        proto, ip_proto, svc = "udp", "17", "quic,ssl"
        *u, state = _udp(rng, False, req=_REQ, resp=_RESP, multi=True)
        t = tuple(u)  # type: ignore[assignment]
    elif kind in ("dns_int", "dns_ext", "ntp"):
        if kind == "dns_int":
            oh, rh, rp, svc = w.clients(rng), w.resolver, 53, "dns"
        elif kind == "dns_ext":
            oh, rh, rp, svc = w.resolver, w.ext(rng), 53, "dns"
        else:
            oh, rh, rp, svc = w.clients(rng), w.ext(rng), 123, "ntp"
        op = 123 if kind == "ntp" and rng.randrange(2) else _eph(rng)
        if kind != "ntp" and rng.randrange(40) == 0:  # big answers fall back to TCP
            state = _TCP_OUTCOME(rng)
            t = _tcp(rng, state, False, req=_SMALL, resp=_SMALL)
        else:
            proto, ip_proto = "udp", "17"
            *u, state = _udp(rng, False, replied=rng.randrange(25) != 0)
            t = tuple(u)  # type: ignore[assignment]
    elif kind in ("ssh_in", "smtp_in", "web_in"):
        oh = _scanner(rng) if kind == "ssh_in" and rng.randrange(2) else w.ext(rng)
        v6 = ":" in oh
        rh = {"ssh_in": w.ssh, "smtp_in": w.mail, "web_in": w.web}[kind]
        if v6:  # the servers are dual-stacked in the ULA range
            rh = w.ula6[0]
        op = _eph(rng)
        rp = {"ssh_in": 22, "smtp_in": 25, "web_in": 443 if rng.randrange(4) else 80}[kind]
        svc = {"ssh_in": "ssh", "smtp_in": "smtp,ssl" if rng.randrange(3) else "smtp",
               "web_in": "ssl" if rp == 443 else "http"}[kind]
        state = _SCAN_OUTCOME(rng) if kind == "ssh_in" and rng.randrange(2) else _TCP_OUTCOME(rng)
        t = _tcp(rng, state, v6, req=_RESP if kind == "smtp_in" else _REQ,
                 resp=_SMALL if kind == "smtp_in" else _RESP)
    elif kind == "smtp_out":
        oh, rh, op, rp, svc = w.mail, w.ext(rng), _eph(rng), 25, "smtp"
        state = _TCP_OUTCOME(rng)
        t = _tcp(rng, state, False, req=_RESP, resp=_SMALL)
    elif kind == "scan":
        oh = _scanner(rng)
        v6 = ":" in oh
        rh = w.ula6[rng.randrange(len(w.ula6))] if v6 else w.client_list[
            rng.randrange(len(w.client_list))]
        op = _eph(rng)
        rp = _SCAN_PORTS(rng) if rng.randrange(3) else rng.randrange(1, 65536)  # type: ignore[assignment]
        svc = "-"
        state = _SCAN_OUTCOME(rng)
        t = _tcp(rng, state, v6, req=_SMALL, resp=_SMALL)
    elif kind == "lateral":
        oh, rh, op = w.clients(rng), w.files, _eph(rng)
        rp, svc = _Pick_lateral(rng)
        state = _TCP_OUTCOME(rng)
        t = _tcp(rng, state, False)
    elif kind == "icmp":
        proto, ip_proto, svc = "icmp", "1", "-"
        if rng.randrange(3):  # echo request out
            oh, rh, op, rp = w.clients(rng), w.ext(rng), 8, 0
        else:  # unreachables from outside
            oh, rh, op, rp = w.ext(rng), w.clients(rng), 3, rng.randrange(0, 4)
        n = 1 + rng.randrange(6)
        size = 56 if op == 8 else 36
        replied = op == 8 and rng.randrange(5) != 0
        t = (_secs(rng.randrange(10_000, 6_000_000)) if n > 1 else None,
             str(n * size), str(n * size) if replied else "0", "-",
             n, n * (size + 28), n if replied else 0, n * (size + 28) if replied else 0, 0)
        state = "OTH"
    elif kind == "v6_mcast":
        oh, v6, proto, ip_proto, svc = w.ll6[rng.randrange(len(w.ll6))], True, "udp", "17", "dns"
        rh, rp = ("ff02::fb", 5353) if rng.randrange(3) else ("ff02::1:3", 5355)
        op = rp if rp == 5353 else _eph(rng)
        *u, state = _udp(rng, True, replied=False, multi=True)
        t = tuple(u)  # type: ignore[assignment]
    elif kind == "v6_ula":
        oh, v6 = w.ula6[rng.randrange(len(w.ula6))], True
        op = _eph(rng)
        if rng.randrange(3):
            rh, rp, svc = w.ext6(rng), 443, "ssl"
            state = _TCP_OUTCOME(rng)
            t = _tcp(rng, state, True)
        else:  # ULA-internal DNS: internal-to-internal only if fc00::/7 counts as local
            rh, rp, svc, proto, ip_proto = w.ula_resolver, 53, "dns", "udp", "17"
            *u, state = _udp(rng, True)
            t = tuple(u)  # type: ignore[assignment]
    elif kind == "tunnel":
        # Zeek 7.1 unknown_transport: no ports, no payload sizes, the IP protocol number
        proto, svc, state = "unknown_transport", "-", "OTH"
        which = rng.randrange(3)
        if which == 0:
            oh, rh, ip_proto = w.vpn, w.vpn_peers[rng.randrange(3)], "47"   # GRE
        elif which == 1:
            oh, rh, ip_proto = w.vpn, w.vpn_peers[rng.randrange(3)], "50"   # ESP
        else:
            oh, rh, ip_proto = w.clients(rng), "224.0.0.22", "2"             # IGMP reports
        op = rp = 0
        n = 1 if ip_proto == "2" else 1 + rng.randrange(400)
        size = 32 if ip_proto == "2" else 20 + rng.randrange(60, 1400)
        rn = 0 if ip_proto == "2" else n - n // 3
        t = (_secs(rng.randrange(1000, 60_000_000)) if n > 1 else None, None, None, "-",
             n, n * size, rn, rn * size, 0)
    else:  # udp_misc: ssdp, netbios, wireguard
        proto, ip_proto = "udp", "17"
        m = rng.randrange(3)
        oh, op = w.clients(rng), _eph(rng)
        if m == 0:
            rh, rp, svc = "239.255.255.250", 1900, "-"
            *u, state = _udp(rng, False, replied=False)
        elif m == 1:
            rh, rp, svc, op = w.files, 137, "-", 137
            *u, state = _udp(rng, False)
        else:
            rh, rp, svc = w.ext(rng), 51820, "-"
            *u, state = _udp(rng, False, req=_REQ, resp=_RESP, multi=True)
        t = tuple(u)  # type: ignore[assignment]

    dur, ob, rb, history, opk, oip, rpk, rip, missed = t
    if state in ("S0", "REJ", "RSTOS0", "SH") and proto == "tcp":
        svc = "-"  # no payload seen: Zeek cannot identify the service
    service = None if svc == "-" else svc
    assert isinstance(oh, str) and isinstance(rh, str)
    return [
        ts, _uid(rng), oh, str(op), rh, str(rp), proto, service,
        dur, ob, rb, state, _is_local(oh), _is_local(rh),
        str(missed), None if history == "-" else history,
        str(opk), str(oip), str(rpk), str(rip), None, ip_proto,
    ]


_LATERAL = _Pick([(445, "smb,gssapi"), (389, "ldap"), (88, "krb_tcp"), (3389, "rdp"), (135, "dce_rpc")],
                 [50, 20, 15, 10, 5])


def _Pick_lateral(rng: Random) -> Tuple[int, str]:  # noqa: N802 - keeps _row readable
    v = _LATERAL(rng)
    assert isinstance(v, tuple)
    return v


# --------------------------------------------------------------------------- output


def _span_us(records: int) -> int:
    """Time covered by the log: 1 h for the sample, growing with sqrt(size) beyond it.

    Linear growth would stretch 1M records over 100+ days at a toy site's rate;
    sqrt growth means bigger logs are both longer (1M -> ~50 h) and busier, like a
    bigger site. trace-summary's cost does not depend on the span (no intervals).
    """
    # integer square root: float ** 0.5 goes through libm and need not be portable
    root_micro = isqrt(max(records, _RECORDS_PER_HOUR) * 10**12 // _RECORDS_PER_HOUR)
    return 3600 * root_micro


def _zeek_time(epoch: float) -> str:
    """Zeek's #open/#close stamp; UTC so the bytes do not depend on the machine's TZ."""
    return time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(epoch))


def _tsv_header(start: float) -> bytes:
    return (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tconn\n#open\t%s\n#fields\t%s\n#types\t%s\n"
        % (_zeek_time(start), "\t".join(FIELDS), "\t".join(TYPES))
    ).encode("ascii")


def _json_line(row: Row) -> str:
    parts = []
    for name, kind, v in zip(FIELDS, _JSON_KINDS, row):
        if v is None:
            continue  # Zeek's JSON writer omits unset fields
        if kind == "s":
            parts.append('"%s":"%s"' % (name, v))  # our tokens never need escaping
        elif kind == "b":
            parts.append('"%s":%s' % (name, "true" if v == "T" else "false"))
        else:
            parts.append('"%s":%s' % (name, v))
    return "{" + ",".join(parts) + "}\n"


def _tsv_line(row: Row) -> str:
    return "\t".join("-" if v is None else v for v in row) + "\n"


def generate(records: int, *, seed: int = 1, fmt: str = "tsv",
             start: float = 1714564800.0) -> Iterator[bytes]:
    """Yield a synthetic Zeek conn log of ``records`` connections, in blocks of bytes.

    ``fmt`` is ``"tsv"`` (Zeek's default writer, with header and ``#close``) or
    ``"json"`` (one JSON object per line). Both formats carry the same records for the
    same seed. Memory stays flat whatever ``records`` is.
    """
    if fmt not in ("tsv", "json"):
        raise ValueError("fmt must be 'tsv' or 'json', not %r" % (fmt,))
    if records < 0:
        raise ValueError("records must be >= 0")
    rng = Random(seed)
    world = _build_world(rng)
    start_us = int(round(start * 1_000_000))
    span = _span_us(records)
    # Uniform gaps in [0, 2*mean]: integer-only and timestamps never go backwards.
    gap_max = 2 * span // max(records, 1) + 1
    line = _tsv_line if fmt == "tsv" else _json_line
    if fmt == "tsv":
        yield _tsv_header(start)
    now = start_us
    block: List[str] = []
    for _ in range(records):
        now += rng.randrange(gap_max)
        block.append(line(_row(rng, world, _secs(now))))
        if len(block) >= _BLOCK:
            yield "".join(block).encode("ascii")
            block = []
    if block:
        yield "".join(block).encode("ascii")
    if fmt == "tsv":
        # Zeek closes the log at rotation time; derive it from the span, not the clock.
        yield ("#close\t%s\n" % _zeek_time((start_us + span) / 1_000_000)).encode("ascii")


# --------------------------------------------------------------------------- dev CLI


def write(out: BinaryIO, records: int, *, seed: int = 1, fmt: str = "tsv",
          start: float = 1714564800.0, compress: bool = False) -> None:
    """Write ``generate(...)`` to ``out``; gzip with a zero mtime so bytes stay reproducible."""
    if compress:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
            for chunk in generate(records, seed=seed, fmt=fmt, start=start):
                gz.write(chunk)
    else:
        for chunk in generate(records, seed=seed, fmt=fmt, start=start):
            out.write(chunk)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m conn_summary.sample",
        description="Write a realistic synthetic Zeek conn.log (deterministic for a seed).",
    )
    p.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="connections (default %(default)s)")
    p.add_argument("--format", choices=("tsv", "json"), default="tsv", dest="fmt")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--start", type=float, default=1714564800.0, help="first timestamp (epoch)")
    p.add_argument("--gzip", action="store_true", help="gzip the output (reproducible: mtime 0)")
    p.add_argument("--out", default="-", help="output path, or - for stdout (default)")
    a = p.parse_args(argv)
    if a.records < 0:
        p.error("--records must be >= 0")
    if a.out == "-":
        write(sys.stdout.buffer, a.records, seed=a.seed, fmt=a.fmt, start=a.start, compress=a.gzip)
        sys.stdout.buffer.flush()
    else:
        # write to a temp name first so an interrupted run never leaves a truncated log
        tmp = a.out + ".tmp"
        with open(tmp, "wb") as f:
            write(f, a.records, seed=a.seed, fmt=a.fmt, start=a.start, compress=a.gzip)
        os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
