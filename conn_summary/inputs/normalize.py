"""Records -> the canonical TSV, with the accounting of every data line.

Owns reading: it walks each input's decompressed bytes line by line (JSON arrays
element by element), follows header blocks, turns each record into one canonical
row (or counts it as filtered, other-protocol or skipped with a reason), and builds
the InputReport. What counts as a *data line*: every line that is not blank and is
not a header/comment line (``#...``, a plain column-name header line); in a JSON
array, every element. So ``lines == records + filtered + other + skipped`` always.

Speed: blocks of a few MiB, kept as ``bytes``; a fast loop for standard Zeek TSV
blocks that only validates and joins, handing any line it is unsure about to the
generic per-line path (the source of truth), so both give identical results.
"""

from __future__ import annotations

import calendar
import codecs
import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Iterator, Optional, Sequence

from ..errors import InputError
from ..model import FileReport, InputReport, SkipReason
from .canonical import CANONICAL_HEADER_BYTES, UNSET_COUNT
from .detect import (BRO1, CONN_FIELDS, DEFAULT_TSV, Layout, REQUIRED, detect_format,
                     has_conn_fields, is_conn_path, is_plain_header, layout_from_fields,
                     may_be_conn_path, refuse_capture, scope_separator)
from ..edge import EXCLUDED, LOCAL, EdgeView, address_classifier, hidden_by
from .filters import MatchFn, RecordFilter, compile_filter
from .source import expand, open_input

if TYPE_CHECKING:
    from .parallel import BlockPool

# Skip reasons (stable strings: the CLI and tests print/compare them).
R_FIELDS = "wrong field count"
R_TS = "bad timestamp (ts)"
R_ADDR = "bad address"
R_PORT = "bad port"
R_JSON = "malformed JSON"
R_NOTCONN = "not a conn record"

MAX_EXAMPLES = 3
_INF = float("inf")
_ADDR_CACHE_LIMIT = 200_000      # bounded: memory stays flat on huge inputs
# Times the engine can print: from 1970 (it drops earlier ones: its --min-time is 0) to
# before 1e11 s (year 5138; it crashes on 1e20 and misprints beyond year 9999). A number
# at or above 1e11 is read as milliseconds (Zeek's JSON::TS_MILLIS), and must then land
# in the same range: anything else is a bad timestamp, never a year 56302.
MAX_EPOCH = 1e11

_ENGINE_PROTOS = {b"tcp": b"tcp", b"udp": b"udp", b"icmp": b"icmp",
                  # Bro 1.x single-letter spellings the engine also accepts.
                  b"t": b"tcp", b"u": b"udp", b"i": b"icmp"}
_IPP = {b"tcp": 6, b"udp": 17, b"icmp": 1}

_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{0,9}))?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$")
_PLAIN_RE = re.compile(r"^\d+(\.\d*)?$")

# Use the fast loop (tests switch it off to prove both paths agree).
FAST_PATH = True

_JSON = json.JSONDecoder(parse_float=str)   # keep float literals verbatim (durations)


def _fmt(t: float) -> bytes:
    return b"%.6f" % t


def _iso_epoch(text: str) -> Optional[tuple[float, bytes]]:
    """ISO 8601 (0-9 fraction digits; Z, an offset, or none = UTC) -> (epoch, "%.6f")."""
    m = _ISO_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    if not 1 <= int(mo) <= 12:
        return None
    try:
        secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
        month_days = calendar.monthrange(int(y), int(mo))[1]
    except (ValueError, OverflowError):
        return None
    # timegm normalizes out-of-range parts (Feb 30 -> Mar 1): check them against the calendar.
    if not (1 <= int(d) <= month_days and int(h) < 24 and int(mi) < 60 and int(s) <= 60):
        return None
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        off_h, off_m = int(digits[:2]), (int(digits[2:4]) if len(digits) > 2 else 0)
        if off_h > 23 or off_m > 59:   # no zone is a day or more away from UTC
            return None
        secs -= sign * (off_h * 3600 + off_m * 60)
    # Integer microseconds so a 9-digit fraction rounds exactly, not via float.
    ns = int((frac or "").ljust(9, "0")[:9])
    micros = (ns + 500) // 1000
    secs += micros // 1_000_000
    micros %= 1_000_000
    text_out = b"%d.%06d" % (secs, micros)
    t = secs + micros / 1e6
    if not 0 <= t < MAX_EPOCH:
        return None
    return t, text_out


def _seconds(t: float) -> Optional[float]:
    """A numeric ts in seconds or milliseconds -> seconds; None when out of range (or NaN)."""
    if not t >= 0:          # negative, or NaN
        return None
    if t >= MAX_EPOCH:
        t /= 1000.0
        if t >= MAX_EPOCH:  # also +inf
            return None
    return t


def duration_in_range(du: bytes, t: float) -> tuple[bytes, float]:
    """(duration text, seconds) for a row starting at t; "-" and 0.0 when unreadable, negative,
    or ending past MAX_EPOCH: as the engine does with a duration it cannot read."""
    if du == b"-":
        return du, 0.0
    try:
        d = float(du)
    except ValueError:
        return b"-", 0.0
    if not (d >= 0 and t + d < MAX_EPOCH):   # NaN fails too
        return b"-", 0.0
    return du, d


def ts_from_text(raw: bytes) -> Optional[tuple[float, bytes]]:
    """A timestamp field -> (epoch seconds, canonical text); None when unreadable.

    A plain decimal in seconds is kept verbatim (the engine reads it with float());
    anything else readable (millis, exponent, ISO 8601) is written as %.6f.
    """
    try:
        t = float(raw)
    except ValueError:
        try:
            got = _iso_epoch(raw.decode("utf-8", "replace"))
        except ValueError:
            return None
        return got
    secs = _seconds(t)
    if secs is None:
        return None
    if secs == t and _PLAIN_RE.match(raw.decode("ascii", "replace")):
        return t, raw
    return secs, _fmt(secs)


def ts_from_json(v: object) -> Optional[tuple[float, bytes]]:
    """A JSON ts (number, numeric string, ISO string) -> (epoch, "%.6f")."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        t = float(v)
    elif isinstance(v, str):
        try:
            t = float(v)
        except ValueError:
            got = _iso_epoch(v)
            if got is None:
                return None
            return got
    else:
        return None
    secs = _seconds(t)
    if secs is None:
        return None
    return secs, _fmt(secs)


def _clean(v: bytes) -> bytes:
    """No tab/CR/NUL inside a value, and valid UTF-8 (the engine opens its input as text)."""
    if b"\t" in v or b"\r" in v or b"\x00" in v or b"\n" in v:
        v = v.replace(b"\t", b" ").replace(b"\r", b" ").replace(b"\x00", b" ").replace(b"\n", b" ")
    if not v.isascii():
        v = v.decode("utf-8", "replace").encode("utf-8")
    return v


def _example(name: str, lineno: int, detail: str) -> str:
    if len(detail) > 80:
        detail = detail[:77] + "..."
    return f"{name}:{lineno}: {detail}"


class _FileAcct:
    __slots__ = ("name", "compression", "format", "lines", "records", "skipped",
                 "filtered", "other", "excluded", "internal")

    def __init__(self, name: str, compression: str) -> None:
        self.name = name
        self.compression = compression
        self.format = "empty"
        self.lines = 0
        self.records = 0
        self.skipped = 0
        self.filtered = 0
        self.other = 0
        self.excluded = 0
        self.internal = 0


class _Sink:
    """Shared state of one normalize() call: output rows, totals, skip reasons."""

    def __init__(self, out: BinaryIO, keep: Optional[MatchFn],
                 view: Optional[EdgeView] = None) -> None:
        self.out = out
        self.rows: list[bytes] = []
        self.keep = keep
        self.hiding = bool(view and view.drops_anything)   # may the view hide records?
        self.classify = address_classifier(view)
        self.skips: dict[str, list] = {}
        self.other: Counter = Counter()
        self.other_payload = 0
        self.ipp: Counter = Counter()
        self.first = _INF
        self.last = -_INF
        # address bytes -> edge.LOCAL/EXCLUDED bits, for valid addresses only
        self.addr_cls: dict = {}
        self.ports_ok: set = set()     # well-formed port fields seen (the fast loop's cache)

    def flush(self) -> None:
        if self.rows:
            self.rows.append(b"")
            self.out.write(b"\n".join(self.rows))
            self.rows.clear()  # in place: the fast loop holds a bound append

    def merge(self, part: "BlockResult") -> None:
        """Add what a block read elsewhere (parallel.py) contributed, in input order."""
        self.flush()
        self.out.write(part.rows)
        for reason, (count, examples) in part.skips.items():
            ent = self.skips.setdefault(reason, [0, []])
            ent[0] += count
            ent[1].extend(examples[:MAX_EXAMPLES - len(ent[1])])
        self.other.update(part.other)
        self.other_payload += part.other_payload
        self.ipp.update(part.ipp)
        self.first = min(self.first, part.first)
        self.last = max(self.last, part.last)

    def addr_class(self, a: bytes) -> Optional[int]:
        """The address's edge class (0 when no view applies), None when it is malformed."""
        got = self.addr_cls.get(a)
        if got is not None:
            return got
        got = self.classify(a)
        if got is not None:
            if len(self.addr_cls) >= _ADDR_CACHE_LIMIT:
                self.addr_cls.clear()
            self.addr_cls[a] = got
        return got


def is_canonical_port(v: bytes) -> bool:
    """0..65535 written as the engine's int() and our rows spell it (no sign, no leading 0)."""
    return v.isdigit() and len(v) <= 5 and int(v) <= 65535 and (v[0] != 48 or len(v) == 1)


def _port(v: bytes) -> Optional[bytes]:
    if is_canonical_port(v):
        return v
    v = v.strip()
    if v.isdigit() and int(v) <= 65535:
        return str(int(v)).encode()
    return None


class _Reader:
    """Reads one input's lines; header blocks change the layout as they come."""

    def __init__(self, sink: _Sink, fa: _FileAcct, layout: Layout) -> None:
        self.sink = sink
        self.fa = fa
        self.name = fa.name
        self.layout = layout
        # Pending header-block settings (a #separator line opens a new block).
        self.h_sep = b"\t"
        self.h_unset = b"-"
        self.h_empty = b"(empty)"
        self.h_names: Optional[list[str]] = None
        self.h_path: Optional[str] = None        # this header block's #path, if it has one
        self.json_checked = False
        self.json_sep = "."

    # ---- the state a block starts from (parallel.py hands it to a worker) -------
    def state(self) -> tuple:
        """Everything earlier lines decided that later lines depend on (comparable)."""
        return (self.layout, self.h_sep, self.h_unset, self.h_empty,
                None if self.h_names is None else tuple(self.h_names), self.h_path,
                self.json_checked, self.json_sep)

    def restore(self, state: tuple) -> None:
        (self.layout, self.h_sep, self.h_unset, self.h_empty, names, self.h_path,
         self.json_checked, self.json_sep) = state
        self.h_names = None if names is None else list(names)

    # ---- accounting helpers -------------------------------------------------
    def skip(self, reason: str, lineno: int, detail: str) -> None:
        self.fa.skipped += 1
        ent = self.sink.skips.get(reason)
        if ent is None:
            ent = self.sink.skips[reason] = [0, []]
        ent[0] += 1
        if len(ent[1]) < MAX_EXAMPLES:
            ent[1].append(_example(self.name, lineno, detail))

    def accept(self, lineno: int, t: float, ts: bytes, uid: bytes, oh: bytes, op: bytes,
               rh: bytes, rp: bytes, proto: Optional[bytes], ipp: int, sv: bytes, du: bytes,
               d: float, ob: bytes, rb: bytes, st: bytes, co: int, cr: int) -> None:
        """A validated record: filter it, count it, write it (engine protocols only).

        proto is the engine's spelling, None for a transport it cannot read (ipp then
        holds ip_proto, -1 when unknown); co/cr are the addresses' edge classes."""
        sink = self.sink
        keep = sink.keep
        if keep is not None and not keep(t, oh, rh, proto):
            self.fa.filtered += 1
            return
        # For engine protocols the transport decides the number (ip_proto agrees in real logs,
        # and the fast path must not need the ip_proto column).
        if proto is not None:
            ipp = 58 if proto == b"icmp" and b":" in oh else _IPP[proto]
        sink.ipp[ipp] += 1
        if t < sink.first:
            sink.first = t
        if t + d > sink.last:
            sink.last = t + d
        why = hidden_by(co, cr) if sink.hiding else None
        if why == "excluded":
            self.fa.excluded += 1
        elif why == "internal":
            self.fa.internal += 1
        elif proto is None:
            # The engine cannot read it (unknown_transport, gre, ...): count, never write.
            sink.other[ipp] += 1
            sink.other_payload += (int(ob) if ob.isdigit() else 0) + (int(rb) if rb.isdigit() else 0)
            self.fa.other += 1
        else:
            sink.rows.append(b"\t".join((ts, uid, oh, op, rh, rp, proto, sv, du, ob, rb, st)))
            self.fa.records += 1

    # ---- headers --------------------------------------------------------------
    def header(self, line: bytes, lineno: int) -> None:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if text.startswith("#separator"):
            parts = text.split()
            if len(parts) >= 2:
                val = parts[1]
                # "\x09"-style escapes, as Zeek writes them (and the engine decodes them).
                val = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), val)
                if val:
                    self.h_sep = val.encode("utf-8", "replace")
            self.h_unset, self.h_empty, self.h_names = b"-", b"(empty)", None
            self.h_path = None
            return
        sep = self.h_sep.decode("utf-8", "replace")
        body = text[1:]
        key, _, val = body.partition(sep)
        if key == "unset_field":
            self.h_unset = val.encode("utf-8", "replace")
            self._rebuild(lineno)
        elif key == "empty_field":
            self.h_empty = val.encode("utf-8", "replace")
            self._rebuild(lineno)
        elif key == "path":
            self.h_path = val
            if not may_be_conn_path(val):
                raise InputError(
                    f"{self.name}:{lineno}: not a conn log: #path is {val!r}",
                    "conn-summary reads Zeek conn logs (#path conn)")
        elif key == "fields":
            self.h_names = val.split(sep)
            self._rebuild(lineno)
        elif key in ("types", "set_separator", "open", "close"):
            pass
        else:
            # The pre-2.0 writer's single "# ts<TAB>uid..." header line.
            names = body.strip(" ").split("\t")
            if is_plain_header(names):
                self.h_sep, self.h_unset, self.h_empty = b"\t", b"-", b"(empty)"
                self.h_names = names
                self._rebuild(lineno)

    def _rebuild(self, lineno: int) -> None:
        if self.h_names is None:
            return
        lay, missing = layout_from_fields(self.h_names, self.h_sep, self.h_unset, self.h_empty)
        if lay is None:
            raise InputError(
                f"{self.name}:{lineno}: not a conn log: #fields lacks {', '.join(missing)}",
                "a conn log needs ts, id.orig_h, id.resp_h, id.resp_p and proto")
        if not (self.h_path and is_conn_path(self.h_path)) and not has_conn_fields(self.h_names):
            # Without "#path conn", addresses, ports and proto are not enough (dns.log has them).
            raise InputError(
                f"{self.name}:{lineno}: not a conn log: the fields have none of a conn log's own "
                f"({', '.join(CONN_FIELDS[:5])}, ...)",
                "conn-summary reads Zeek conn logs")
        self.layout = lay

    def plain_header(self, line: bytes, lineno: int) -> bool:
        """A zeek-cut style column-name line: becomes the layout, is not a data line."""
        if not line.startswith(b"ts"):
            names = line.decode("utf-8", "replace").split("\t")
            if "ts" not in names:
                return False
        names = line.decode("utf-8", "replace").rstrip("\r").split("\t")
        if not is_plain_header(names):
            return False
        self.h_sep, self.h_unset, self.h_empty, self.h_names = b"\t", b"-", b"(empty)", names
        self._rebuild(lineno)
        return True

    # ---- one line, generic (the source of truth) ----------------------------
    def line(self, line: bytes, lineno: int) -> None:
        if not line.strip(b" \t\r"):
            return  # blank lines carry nothing: not data lines
        c = line[0]
        if c == 35:  # '#'
            self.header(line, lineno)
            return
        if c == 123 or c == 91:  # '{' or '['
            self.json_line(line, lineno)
            return
        lay = self.layout
        f = line.split(lay.sep)
        n = len(f)
        if (lay.nf is not None and n != lay.nf) or n < lay.min_nf:
            if self.plain_header(line, lineno):
                return
            self.fa.lines += 1
            want = str(lay.nf) if lay.nf is not None else f"at least {lay.min_nf}"
            self.skip(R_FIELDS, lineno, f"{n} fields, expected {want}")
            return
        its, iuid, ioh, iop, irh, irp, ipr, isv, idu, iob, irb, ist = lay.idx
        raw_ts = f[its]
        got = ts_from_text(raw_ts)
        if got is None:
            if self.plain_header(line, lineno):
                return
            self.fa.lines += 1
            self.skip(R_TS, lineno, repr(raw_ts.decode("utf-8", "replace")))
            return
        self.fa.lines += 1
        t, ts = got
        oh = f[ioh]
        rh = f[irh]
        co = self.sink.addr_class(oh)
        cr = self.sink.addr_class(rh)
        if co is None or cr is None:
            bad = oh if co is None else rh
            self.skip(R_ADDR, lineno, repr(bad.decode("utf-8", "replace")))
            return
        op = _port(f[iop]) if iop >= 0 else b"0"
        rp = _port(f[irp])
        if op is None or rp is None:
            bad = f[iop] if op is None else f[irp]
            self.skip(R_PORT, lineno, repr(bad.decode("utf-8", "replace")))
            return
        unset, empty = lay.unset, lay.empty
        raw_pr = f[ipr]
        proto = _ENGINE_PROTOS.get(raw_pr.strip().lower())
        ipp = -1
        if proto is None and lay.ip_proto >= 0 and lay.ip_proto < n:
            v = f[lay.ip_proto].strip()
            if v.isdigit():
                ipp = int(v)

        def txt(i: int) -> bytes:
            if i < 0:
                return b"-"
            v = f[i]
            if not v or v == unset or v == empty:
                return b"-"
            return _clean(v)

        uid = txt(iuid)
        sv = txt(isv)
        st = txt(ist)
        du, d = duration_in_range(txt(idu), t)
        ob = f[iob] if iob >= 0 else UNSET_COUNT
        rb = f[irb] if irb >= 0 else UNSET_COUNT
        if not ob.isdigit():
            ob = UNSET_COUNT
        if not rb.isdigit():
            rb = UNSET_COUNT
        self.accept(lineno, t, ts, uid, oh, op, rh, rp, proto, ipp, sv, du, d, ob, rb, st, co, cr)

    # ---- the fast loop for standard Zeek TSV --------------------------------
    def fast(self, lines: list, i: int, base: int, lay: Layout) -> int:
        """Process lines[i:] while the layout stays `lay`; returns where it stopped.

        Only validates and joins; any line it is unsure about goes to line().
        """
        sink = self.sink
        fa = self.fa
        append = sink.rows.append
        cls_get = sink.addr_cls.get
        addr_class = sink.addr_class
        hiding = sink.hiding
        # Ports already seen well-formed: one set lookup validates the common case, and
        # the set only grows with distinct values (65536 at most). In the test below a new
        # well-formed port is added on the way (set.add returns None, hence "not").
        ports = sink.ports_ok
        port_ok = is_canonical_port
        keep = sink.keep
        nrest = lay.nf - 13  # type: ignore[operator]  # tabs after the 12th field
        first, last = sink.first, sink.last
        nl = nrec = nfilt = nexcl = nint = 0
        c_tcp = c_udp = c_icmp = c_icmp6 = 0
        n = len(lines)
        slow = self.line
        max_epoch = MAX_EPOCH
        tcp, udp, icmp, dash, zero = b"tcp", b"udp", b"icmp", b"-", UNSET_COUNT
        try:
            while i < n:
                line = lines[i]
                i += 1
                if not line:
                    continue
                c = line[0]
                f = line.split(b"\t", 12)
                if c < 48 or c > 57 or (
                        (len(f) != 13 or f[12].count(b"\t") != nrest) if nrest >= 0
                        else len(f) != 12):
                    slow(line, base + i - 1)
                    if self.layout is not lay:
                        return i
                    continue
                ts, uid, oh, op, rh, rp, pr, sv, du, ob, rb, st = f[:12]
                try:
                    t = float(ts)
                except ValueError:
                    slow(line, base + i - 1)
                    continue
                co = cls_get(oh)
                if co is None:
                    co = addr_class(oh)
                cr = cls_get(rh)
                if cr is None:
                    cr = addr_class(rh)
                if (co is None or cr is None
                        or not (0.0 <= t < max_epoch) or not ts.replace(b".", b"", 1).isdigit()
                        or (op not in ports and not (port_ok(op) and not ports.add(op)))
                        or (rp not in ports and not (port_ok(rp) and not ports.add(rp)))
                        or (pr != tcp and pr != udp and pr != icmp)):
                    slow(line, base + i - 1)
                    continue
                if du == dash:
                    d = 0.0
                else:
                    try:
                        d = float(du)
                    except ValueError:
                        slow(line, base + i - 1)
                        continue
                    if not (d >= 0 and t + d < max_epoch):   # NaN fails too
                        slow(line, base + i - 1)
                        continue
                if keep is not None and not keep(t, oh, rh, pr):
                    nl += 1
                    nfilt += 1
                    continue
                nl += 1
                if pr == b"tcp":
                    c_tcp += 1
                elif pr == b"udp":
                    c_udp += 1
                elif b":" in oh:
                    c_icmp6 += 1
                else:
                    c_icmp += 1
                if t < first:
                    first = t
                if t + d > last:
                    last = t + d
                if hiding:
                    # edge.hidden_by, inline: this loop runs once per record.
                    if (co | cr) & EXCLUDED:
                        nexcl += 1
                        continue
                    if co & cr & LOCAL:
                        nint += 1
                        continue
                nrec += 1
                if (ob.isdigit() and rb.isdigit()
                        and sv and uid and st and sv != b"(empty)" and uid != b"(empty)"
                        and st != b"(empty)"):
                    # Nothing to rewrite: the row is the line up to its 12th field.
                    append(line[:len(line) - len(f[12]) - 1] if nrest >= 0 else line)
                else:
                    if not ob.isdigit():
                        ob = zero
                    if not rb.isdigit():
                        rb = zero
                    if not sv or sv == b"(empty)":
                        sv = dash
                    if not uid or uid == b"(empty)":
                        uid = dash
                    if not st or st == b"(empty)":
                        st = dash
                    append(b"\t".join((ts, uid, oh, op, rh, rp, pr, sv, du, ob, rb, st)))
            return i
        finally:
            fa.lines += nl
            fa.records += nrec
            fa.filtered += nfilt
            fa.excluded += nexcl
            fa.internal += nint
            ipp = sink.ipp
            if c_tcp:
                ipp[6] += c_tcp
            if c_udp:
                ipp[17] += c_udp
            if c_icmp:
                ipp[1] += c_icmp
            if c_icmp6:
                ipp[58] += c_icmp6
            if first < sink.first:
                sink.first = first
            if last > sink.last:
                sink.last = last

    # ---- JSON -------------------------------------------------------------------
    def json_line(self, line: bytes, lineno: int) -> None:
        self.fa.lines += 1
        text = line.decode("utf-8", "replace")
        try:
            obj = _JSON.decode(text)
        except ValueError as exc:
            self.skip(R_JSON, lineno, str(exc))
            return
        self.json_record(obj, lineno)

    def _json_check(self, obj: dict, lineno: int) -> None:
        """The first JSON object of an input decides whether it is a conn log at all."""
        path = obj.get("_path")
        if isinstance(path, str) and not may_be_conn_path(path):
            raise InputError(f"{self.name}:{lineno}: not a conn log: _path is {path!r}",
                             "conn-summary reads Zeek conn logs")
        keys = list(obj.keys())
        ssep = scope_separator(keys)
        nested = isinstance(obj.get("id"), dict)
        missing = []
        for f in REQUIRED:
            if f.startswith("id."):
                if not ((nested and f[3:] in obj["id"]) or f.replace(".", ssep) in obj):
                    missing.append(f)
            elif f not in obj:
                missing.append(f)
        if self.fa.format not in ("zeek-json", "json-array"):
            # A stray JSON line inside a TSV log is a bad line, not a verdict on the file.
            self.json_sep = ssep
            return
        if missing:
            raise InputError(
                f"{self.name}:{lineno}: not a conn log: JSON record lacks {', '.join(missing)}",
                "a conn log needs ts, id.orig_h, id.resp_h, id.resp_p and proto")
        if not has_conn_fields(obj):
            raise InputError(
                f"{self.name}:{lineno}: not a conn log: JSON record has no conn fields "
                f"(conn_state, history, duration, bytes ...)",
                "conn-summary reads Zeek conn logs")
        self.json_sep = ssep

    def json_record(self, obj: object, lineno: int) -> None:
        """One decoded JSON value (a line's, or an array element's); fa.lines already counted."""
        if not isinstance(obj, dict):
            self.skip(R_NOTCONN, lineno, f"JSON {type(obj).__name__}, not an object")
            return
        if not self.json_checked:
            self._json_check(obj, lineno)
            self.json_checked = True
        ssep = self.json_sep
        k_oh, k_op, k_rh, k_rp = _id_keys(ssep)
        oh = obj.get(k_oh)
        if oh is not None:
            op, rh, rp = obj.get(k_op), obj.get(k_rh), obj.get(k_rp)
        else:
            idv = obj.get("id")
            if isinstance(idv, dict):
                oh, op, rh, rp = idv.get("orig_h"), idv.get("orig_p"), idv.get("resp_h"), idv.get("resp_p")
            else:
                s2 = scope_separator(list(obj.keys()))
                if s2 != ssep and ("id" + s2 + "orig_h") in obj:
                    self.json_sep = s2
                    self.json_record(obj, lineno)
                    return
                rh = obj.get(k_rh)
                op = rp = None
        if oh is None or rh is None or "proto" not in obj:
            miss = [n for n, v in (("id.orig_h", oh), ("id.resp_h", rh),
                                   ("proto", obj.get("proto"))) if v is None]
            self.skip(R_NOTCONN, lineno, "missing " + ", ".join(miss))
            return
        got = ts_from_json(obj.get("ts"))
        if got is None:
            self.skip(R_TS, lineno, repr(obj.get("ts", "<missing>")))
            return
        t, ts = got
        sink = self.sink
        if not isinstance(oh, str) or not isinstance(rh, str):
            self.skip(R_ADDR, lineno, repr(oh if not isinstance(oh, str) else rh))
            return
        boh, brh = oh.encode("utf-8", "replace"), rh.encode("utf-8", "replace")
        co, cr = sink.addr_class(boh), sink.addr_class(brh)
        if co is None or cr is None:
            self.skip(R_ADDR, lineno, repr(oh if co is None else rh))
            return
        bop = b"0" if op is None else _json_port(op)
        brp = _json_port(rp)
        if bop is None or brp is None:
            self.skip(R_PORT, lineno, repr(op if bop is None else rp))
            return
        pv = obj.get("proto")
        proto = _JSON_PROTOS.get(pv) if type(pv) is str else None   # type: ignore[arg-type]
        if proto is None and isinstance(pv, str):
            proto = _ENGINE_PROTOS.get(pv.strip().lower().encode("utf-8", "replace"))
        ipp = -1
        if proto is None:
            v = obj.get("ip_proto")
            if isinstance(v, int) and not isinstance(v, bool):
                ipp = v
            elif isinstance(v, str) and v.isdigit():
                ipp = int(v)
        du, d = duration_in_range(_json_text(obj.get("duration")), t)
        self.accept(lineno, t, ts, _json_text(obj.get("uid")), boh, bop, brh, brp, proto, ipp,
                    _json_text(obj.get("service")), du, d, _json_count(obj.get("orig_bytes")),
                    _json_count(obj.get("resp_bytes")), _json_text(obj.get("conn_state")), co, cr)


_JSON_PROTOS = {k.decode(): v for k, v in _ENGINE_PROTOS.items()}


@functools.lru_cache(maxsize=8)
def _id_keys(ssep: str) -> tuple[str, str, str, str]:
    """The four flat id keys for a scope separator ("id.orig_h", ... or "id_orig_h", ...)."""
    return tuple("id" + ssep + f for f in ("orig_h", "orig_p", "resp_h", "resp_p"))  # type: ignore[return-value]


def _json_port(v: object) -> Optional[bytes]:
    if type(v) is int:  # the common case first (type(), not isinstance: bool is an int)
        return str(v).encode() if 0 <= v <= 65535 else None
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return str(v).encode() if 0 <= v <= 65535 else None
    if isinstance(v, str):
        return _port(v.encode("utf-8", "replace"))
    return None


def _json_text(v: object) -> bytes:
    """A JSON string-ish value as canonical text: unset/empty -> "-"."""
    if type(v) is str and v.isascii() and v.isprintable():
        # The common case (a plain word): nothing to clean.
        return v.encode() if v else b"-"
    if v is None or isinstance(v, bool):
        return b"-"
    if isinstance(v, list):
        v = ",".join(str(x) for x in v)
    s = str(v)
    if not s:
        return b"-"
    return _clean(s.encode("utf-8", "replace"))


def _json_count(v: object) -> bytes:
    """A byte count; unset or unreadable -> UNSET_COUNT, as for TSV."""
    if type(v) is int:
        return str(v).encode() if v >= 0 else UNSET_COUNT
    if isinstance(v, bool) or v is None:
        return UNSET_COUNT
    if isinstance(v, int):
        return str(v).encode() if v >= 0 else UNSET_COUNT
    if isinstance(v, str) and v.isdigit() and v.isascii():
        return v.encode()
    return UNSET_COUNT


# ---- blocks read apart from the main process (parallel.py) -----------------------

_COUNTS = ("lines", "records", "skipped", "filtered", "other", "excluded", "internal")


@dataclass(frozen=True)
class BlockResult:
    """What one block of lines contributed: canonical rows, accounting, the state after it."""

    rows: bytes
    counts: tuple               # _FileAcct deltas, in _COUNTS order
    skips: dict                 # reason -> [count, examples]
    other: Counter
    other_payload: int
    ipp: Counter
    first: float
    last: float
    state: tuple                # the reader's state after the block


def process_detached(sink: _Sink, state: tuple, block: bytes, base: int, name: str,
                     fmt: str) -> BlockResult:
    """Read one block from `state` into a private sink (whose out is a BytesIO).

    The sink's address cache is kept between calls; everything else starts empty.
    """
    fa = _FileAcct(name, "none")
    fa.format = fmt
    reader = _Reader(sink, fa, DEFAULT_TSV)
    reader.restore(state)
    sink.skips, sink.other, sink.other_payload, sink.ipp = {}, Counter(), 0, Counter()
    sink.first, sink.last = _INF, -_INF
    _process_block(reader, block, base)
    out = sink.out
    rows = out.getvalue()  # type: ignore[attr-defined]
    out.seek(0)
    out.truncate()
    return BlockResult(rows, tuple(getattr(fa, c) for c in _COUNTS), sink.skips, sink.other,
                       sink.other_payload, sink.ipp, sink.first, sink.last, reader.state())


def merge_block(reader: _Reader, part: BlockResult) -> None:
    """Account for a block read elsewhere as if this reader had read it."""
    reader.sink.merge(part)
    fa = reader.fa
    for c, n in zip(_COUNTS, part.counts):
        setattr(fa, c, getattr(fa, c) + n)
    reader.restore(part.state)


# ---- driving one input ----------------------------------------------------------

def _process_block(reader: _Reader, block: bytes, base: int) -> None:
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    dirty = b"\r" in block or b"\x00" in block
    if not dirty and not block.isascii():
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            dirty = True
    lines = block.split(b"\n")
    n = len(lines)
    i = 0
    while i < n:
        lay = reader.layout
        if FAST_PATH and lay.std and not dirty:
            i = reader.fast(lines, i, base, lay)
            continue
        if lines[i]:
            reader.line(lines[i], base + i)
        i += 1
    reader.sink.flush()


def _lines_blocks(chunks: Iterable[bytes],
                  on_lines: Optional[Callable[[int], None]] = None) -> Iterator[tuple[bytes, int]]:
    """Complete-line blocks with the line number of their first line (on_lines: a count
    of each block's lines, for the progress display)."""
    tail = b""
    base = 1
    for chunk in chunks:
        data = tail + chunk if tail else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            tail = data
            continue
        block = data[:cut]
        tail = data[cut + 1:]
        yield block, base
        n = block.count(b"\n") + 1
        base += n
        if on_lines is not None:
            on_lines(n)
    if tail:
        # A last line without newline (or cut short): still a line.
        yield tail.rstrip(b"\r"), base
        if on_lines is not None:
            on_lines(1)


def _read_json_array(reader: _Reader, chunks: Iterable[bytes]) -> None:
    """A JSON array file (or several arrays/objects in a row), element by element, streaming."""
    dec = codecs.getincrementaldecoder("utf-8")("replace")
    buf = ""
    pos = 0
    lineno = 1
    it = iter(chunks)
    eof = False
    fa = reader.fa

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = next(it, None)
        if chunk is None:
            eof = True
            buf = buf[pos:] + dec.decode(b"", final=True)
        else:
            buf = buf[pos:] + dec.decode(chunk)
        pos = 0
        return True

    while True:
        # Skip structure between elements.
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,[]\x00\ufeff":
                if buf[pos] == "\n":
                    lineno += 1
                pos += 1
            if pos < len(buf) or not more():
                break
        if pos >= len(buf):
            break
        start_line = lineno
        while True:
            try:
                obj, end = _JSON.raw_decode(buf, pos)
                break
            except ValueError as exc:
                err = exc
                if more():
                    continue
                obj = None
                end = -1
                break
        fa.lines += 1
        if end < 0:
            reader.skip(R_JSON, start_line, str(err))
            # Resynchronise at the next object.
            nxt = buf.find("{", pos + 1)
            stop = nxt if nxt >= 0 else len(buf)
            lineno += buf.count("\n", pos, stop)
            pos = stop
            continue
        lineno += buf.count("\n", pos, end)
        pos = end
        reader.json_record(obj, start_line)
        if len(reader.sink.rows) >= 4096:
            reader.sink.flush()
    reader.sink.flush()


def _read_input(sink: _Sink, spec, stdin, progress, files: list, pool: "BlockPool",
                line_progress: Optional[Callable[[int], None]] = None) -> None:
    import itertools
    opened = open_input(spec, stdin, progress)
    try:
        fa = _FileAcct(opened.name, opened.compression)
        files.append(fa)
        blocks = opened.blocks()
        # Gather enough to hold the first non-blank line (or reach EOF).
        buf = b""
        for chunk in blocks:
            buf += chunk
            body = buf.lstrip(b" \t\r\n\xef\xbb\xbf")
            if b"\n" in body or len(buf) > (16 << 20):
                break
        refuse_capture(buf, fa.name)
        if buf.startswith(b"\xef\xbb\xbf"):
            buf = buf[3:]  # a UTF-8 BOM is not part of the first line
        lineno = 1
        first = None
        for ln in buf.split(b"\n"):
            if ln.strip(b" \t\r"):
                first = ln.rstrip(b"\r")
                break
            lineno += 1
        if first is None:
            return  # empty input (or only blank lines): no data lines, format "empty"
        fmt = detect_format(first, fa.name, lineno)
        fa.format = fmt
        reader = _Reader(sink, fa, BRO1 if fmt == "bro1" else DEFAULT_TSV)
        chunks = itertools.chain((buf,), blocks)
        if fmt == "json-array":
            _read_json_array(reader, chunks)
            return
        pool.read(reader, _lines_blocks(chunks, line_progress))
    finally:
        opened.close()


def normalize(paths: Sequence[str], out: BinaryIO, *, record_filter: Optional[RecordFilter] = None,
              view: Optional[EdgeView] = None, stdin: Optional[BinaryIO] = None,
              progress: Optional[Callable[[int], None]] = None,
              line_progress: Optional[Callable[[int], None]] = None,
              workers: Optional[int] = None) -> InputReport:
    """Read every input, write ONE canonical TSV to `out`, and account for every data line.

    With a `view`, records the engine would drop under it (edge.py) are counted as
    excluded/internal instead of written. Large inputs are read by `workers` processes
    (default: one per core, parallel.py), with the same result as one. `progress` hears
    of raw bytes read, `line_progress` of lines, as they go.

    Raises InputError (before writing anything) when an input cannot be opened, and
    while reading for a corrupt/truncated archive or an input that is not a conn log.
    """
    from .parallel import BlockPool  # it builds on this module

    inputs = expand(list(paths))
    sink = _Sink(out, compile_filter(record_filter), view)
    out.write(CANONICAL_HEADER_BYTES)
    files: list[_FileAcct] = []
    with BlockPool(record_filter, view, workers) as pool:
        for spec in inputs.specs:
            _read_input(sink, spec, stdin, progress, files, pool, line_progress)
    sink.flush()
    return replace(_report(sink, files), set_aside=inputs.set_aside)


def _report(sink: _Sink, files: list) -> InputReport:
    skipped = tuple(SkipReason(r, c, tuple(ex))
                    for r, (c, ex) in sorted(sink.skips.items(), key=lambda kv: (-kv[1][0], kv[0])))
    other = tuple(sorted(sink.other.items(), key=lambda kv: (-kv[1], kv[0])))
    ipp = tuple(sorted(sink.ipp.items(), key=lambda kv: (-kv[1], kv[0])))
    records = sum(f.records for f in files)
    return InputReport(
        files=tuple(FileReport(f.name, f.compression, f.format, f.lines, f.records, f.skipped,
                               f.filtered, f.other, f.excluded, f.internal)
                    for f in files),
        lines=sum(f.lines for f in files),
        records=records,
        filtered=sum(f.filtered for f in files),
        excluded=sum(f.excluded for f in files),
        internal=sum(f.internal for f in files),
        skipped=skipped,
        other_protocols=other,
        other_protocols_payload=sink.other_payload,
        ip_protocols=ipp,
        first_ts=sink.first if sink.first != _INF else None,
        last_ts=sink.last if sink.last != -_INF else None,
    )

