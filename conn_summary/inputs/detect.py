"""What the bytes are: the format of an input (from its first line) and TSV layouts.

Owns format detection (Zeek TSV with a ``#`` header, a plain zeek-cut style header
line, headerless TSV in Zeek's default order, Zeek JSON lines, a JSON array, Bro 1.x
space-separated logs) and the ``Layout``: where each field the engine needs sits in
a TSV/Bro-1 row, given a header block (separator, unset/empty markers, field names,
any scope separator, extra/custom/reordered columns).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Optional, Sequence

from ..errors import InputError
from ..protocols import CONN_STATES
from .canonical import CANONICAL_FIELDS

# Needed to place a connection; the rest default to unset (id.orig_p to 0).
REQUIRED = ("ts", "id.orig_h", "id.resp_h", "id.resp_p", "proto")

# Fields only a conn log has: other logs with addresses, ports and proto (dns.log,
# weird.log...) have none of them. A header that does not say ``#path conn`` must
# show one of these to be read as a conn log.
CONN_FIELDS = ("conn_state", "history", "duration", "orig_bytes", "resp_bytes", "orig_pkts",
               "resp_pkts", "missed_bytes", "service", "local_orig", "local_resp")

# A conn log's #path: "conn", or conn with a suffix ("conn_eth0", "conn-2024...").
# Other paths that start with "conn" ("conntimelast" in Zeek's own tests) are read when
# their fields are a conn log's; any other #path is not a conn log.
_CONN_PATH = re.compile(r"^conn(?:[^A-Za-z0-9].*)?$")


def is_conn_path(path: str) -> bool:
    """Says outright that this is a conn log."""
    return bool(_CONN_PATH.match(path))


def may_be_conn_path(path: str) -> bool:
    """Could be a conn log, if the fields agree."""
    return path.startswith("conn")


def has_conn_fields(names: Sequence[str]) -> bool:
    return any(f in names for f in CONN_FIELDS)

_SCOPE_RE = re.compile(r"^id(.+?)orig_h$")


def scope_separator(names: Sequence[str]) -> str:
    """The record-scope separator of a field list ("." by default, "_" etc.)."""
    if "id.orig_h" in names:
        return "."
    for n in names:
        m = _SCOPE_RE.match(n)
        if m:
            return m.group(1)
    return "."


@dataclass(frozen=True)
class Layout:
    """Where the canonical fields sit in a row of one header block."""

    sep: bytes
    unset: bytes
    empty: bytes
    idx: tuple                 # 12 indexes (CANONICAL_FIELDS order), -1 when the column is absent
    ip_proto: int              # index of ip_proto, -1 when absent
    nf: Optional[int]          # exact field count of the block, None when only a minimum is known
    min_nf: int
    std: bool                  # standard Zeek TSV: tab, "-", "(empty)", fields 0-11 in default order

    @property
    def maxsplit(self) -> int:
        return max(self.idx) + 1


def layout_from_fields(names: Sequence[str], sep: bytes = b"\t", unset: bytes = b"-",
                       empty: bytes = b"(empty)") -> tuple[Optional[Layout], list[str]]:
    """Build a layout from a #fields list; returns (layout, missing required names)."""
    ssep = scope_separator(names)
    pos = {}
    for i, n in enumerate(names):
        pos.setdefault(n, i)
    idx = []
    missing = []
    for f in CANONICAL_FIELDS:
        i = pos.get(f.replace(".", ssep), -1)
        if i < 0 and f in REQUIRED:
            missing.append(f)
        idx.append(i)
    if missing:
        return None, missing
    idx_t = tuple(idx)
    std = (sep == b"\t" and unset == b"-" and empty == b"(empty)"
           and idx_t == tuple(range(12)) and len(names) >= 12)
    return Layout(sep, unset, empty, idx_t, pos.get("ip_proto", -1), len(names),
                  len(names), std), []


# No header at all: the engine assumes Zeek's default order; so do we (>= 12 columns).
DEFAULT_TSV = Layout(b"\t", b"-", b"(empty)", tuple(range(12)), -1, None, 12, False)

# Bro 1.x: "ts dur orig resp service oport rport proto obytes rbytes state flags addl".
BRO1 = Layout(b" ", b"?", b"?", (0, -1, 2, 5, 3, 6, 7, 4, 1, 8, 9, 10), -1, None, 11, False)


def is_plain_header(names: Sequence[str]) -> bool:
    """A zeek-cut style column-name line (or the pre-2.0 "# ts ..." header body)."""
    return "ts" in names and any(_SCOPE_RE.match(n) for n in names)


def valid_address(text: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
        return True
    except (OSError, ValueError):
        return False


def detect_format(first: bytes, name: str, lineno: int) -> str:
    """Format of an input from its first non-blank line; InputError when not a conn log."""
    c = first[:1]
    if c == b"#":
        return "zeek-tsv"
    if c == b"{":
        return "zeek-json"
    if c == b"[":
        return "json-array"
    text = first.decode("utf-8", "replace")
    if "\t" in text:
        f = text.split("\t")
        if is_plain_header(f):
            return "zeek-tsv-plain-header"
        if _headerless_conn_row(f):
            return "headerless-tsv"
    sp = text.split()
    if len(sp) >= 11 and valid_address(sp[2]) and valid_address(sp[3]):
        return "bro1"
    raise InputError(
        f"{name}:{lineno}: not a conn log: no Zeek header, JSON record or conn record "
        f"(starts {_shown(first)})",
        "give a Zeek conn.log (TSV or JSON, optionally compressed)")


# pcap (both byte orders, micro- and nanosecond) and pcapng (its block type starts "\n\r\r\n").
_PCAP_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
               b"\x0a\x0d\x0d\x0a")


def refuse_capture(head: bytes, name: str) -> None:
    """A packet capture is the commonest wrong input: say so, from its first bytes (a
    pcapng file starts with a newline, so this cannot wait for the first line)."""
    if head.startswith(_PCAP_MAGIC):
        raise InputError(f"{name}: not a conn log: a packet capture (pcap)",
                         "run Zeek on it first (zeek -r FILE), then summarize the conn.log it writes")


def _shown(first: bytes) -> str:
    """The start of a line for a message: quoted text, or hex bytes when it is binary."""
    head = first[:60]
    text = head.decode("utf-8", "replace").strip()
    if "\ufffd" in text or any(ord(c) < 32 and c != "\t" for c in text):
        return "binary data: " + head[:16].hex(" ")
    return repr(text)


def _headerless_conn_row(f: Sequence[str]) -> bool:
    """A headerless line in Zeek's default conn order (addresses at 2 and 4, byte counts
    at 9 and 10, a conn state at 11), not another log's row that happens to hold addresses."""
    if len(f) < 12 or not (valid_address(f[2]) and valid_address(f[4])):
        return False
    counts_ok = all(v == "-" or v.isdigit() for v in (f[9], f[10]))
    state = f[11].strip()
    return counts_ok and (state in CONN_STATES or state == "-")
