"""Parsing trace-summary's text report into the typed model (model.PassReport).

Owns the knowledge of how upstream prints (trace-summary 0.93, ``Interval.format``,
``formatVal``, ``isoTime`` and the main block):

- every block is one ``print()`` of a string that starts with ``"\\n>== "``, so the
  output is cut where a line ``>== `` follows a newline-terminated block; each
  block's text is kept verbatim, and ``"".join(report.parts) == text`` always;
- blocks in upstream order: interval sections (``-i``), Total, the "Top N local
  networks" table, the "N connections did not have any local address" block,
  Incoming, Outgoing, one section per local net with traffic, then the final
  ``First: ... Last: ...`` line;
- a section's table is read by its ``|`` separators (columns widen for IPv6), and
  ``--resolve`` suffixes (``10.0.0.5#1``) are mapped to the ``#1=name`` block.

Nothing here does I/O; ``parse_report`` raises ValueError only for text that is not
a trace-summary report at all.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import replace
from typing import Optional, Union

from conn_summary.model import LocalNetRow, PassReport, Section, TopRow

TIME_FORMAT = "%Y-%m-%d-%H-%M-%S"       # isoTime() in trace-summary
NA = "N/A"

_HEADER_RE = re.compile(r"^>== (?P<title>.*) === (?P<start>\S+) - (?P<end>\S+)$")
_TOTALS_RE = re.compile(r"Connections\s+(?P<conns>\S+) - Payload\s+(?P<payload>\S+) - ")
_LOCAL_TOP_RE = re.compile(r"^>== Top (?P<n>\d+) local networks by number of ")
_NON_LOCAL_RE = re.compile(r"^>== (?P<count>\d+) \S+ did not have any local address\.")
_FIRST_RE = re.compile(r"^First: +(?P<first>\S+) \((?P<first_epoch>[^)]*)\) Last: (?P<last>\S+) (?P<last_epoch>\S+)")
_RESOLVED_RE = re.compile(r"#(?P<n>\d+)=(?P<name>.*?)  ")
_PERCENT_RE = re.compile(r"^(?:(?P<pct>-?\d+(?:\.\d+)?)%|\(\?\?%\))$")

_UNITS = {"k": 1e3, "m": 1e6, "g": 1e9}
# Table column headers -> Section field; ints where the engine prints numbers.
_COLUMNS = {"Ports": "ports", "Sources": "sources", "Destinations": "destinations",
            "Services": "services", "Protocols": "protocols", "States": "states"}
_INT_COLUMNS = {"ports", "protocols"}
_ADDRESS_COLUMNS = {"sources", "destinations"}
UNRESOLVED = "<???>"                    # gethostbyaddr()'s default in trace-summary


def parse_value(text: str) -> float:
    """formatVal() output back to a number: ``" 4.0"`` 4.0, ``"1.5k"`` 1500.0, ``"3.0g"`` 3e9, ``"0"`` 0."""
    t = text.strip()
    if t and t[-1] in _UNITS:
        return float(t[:-1]) * _UNITS[t[-1]]
    return float(t)


def parse_time(text: str, *, utc: bool) -> Optional[float]:
    """isoTime() text to epoch seconds: UTC when the engine ran with TZ=UTC, else this process's zone."""
    if text == NA:
        return None
    st = time.strptime(text, TIME_FORMAT)
    # The engine printed local time of the TZ it inherited from us, so mktime reads it back.
    return float(calendar.timegm(st)) if utc else time.mktime(st)


def _epoch(text: str) -> Optional[float]:
    try:
        v = float(text)
    except ValueError:
        return None
    # isoTime() prints N/A for the empty-interval sentinels 1e20 (start) and 0 (end).
    return None if v in (1e20, 0.0) else v


def split_blocks(text: str) -> list[str]:
    """Cut the report into the strings upstream printed, each kept verbatim.

    A block starts at a ``\\n>== `` that follows a newline (or the start of the text):
    every print() of a section/table begins that way and every block ends with a newline.
    The final ``First:`` line is a block of its own.
    """
    starts = [0]
    pos = text.find("\n>== ", 1)
    while pos != -1:
        if text[pos - 1] == "\n":
            starts.append(pos)
        pos = text.find("\n>== ", pos + 1)
    blocks = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    if blocks and blocks[0] == "":
        blocks.pop(0)
    # Split the First/Last line off the last block (it follows a newline-terminated block).
    if blocks:
        last = blocks[-1]
        if last.startswith("First: "):
            return blocks
        i = last.rfind("\nFirst: ")
        if i != -1:
            blocks[-1:] = [last[:i + 1], last[i + 1:]]
    return blocks


def _to_value(column: str, text: str) -> Union[int, str]:
    if column in _INT_COLUMNS:
        try:
            return int(text)
        except ValueError:
            return text
    return text


def _parse_cell(cell: str) -> Optional[tuple[str, Optional[float]]]:
    """One table cell ``"443    50.0% "`` -> ("443", 50.0); ``"x (??%)"`` -> ("x", None); blank -> None."""
    body = cell.strip()
    if not body:
        return None
    parts = body.rsplit(None, 1)
    if len(parts) == 1:
        # An empty value (e.g. a service of "") leaves only the percentage.
        value, pct_text = "", parts[0]
    else:
        value, pct_text = parts
    if pct_text.endswith("(??%)") and pct_text != "(??%)":
        value, pct_text = (value + " " + pct_text[:-5]).strip(), "(??%)"
    m = _PERCENT_RE.match(pct_text)
    if not m:
        # Not a percentage: keep the text as the value rather than lose it.
        return body, None
    return value.strip(), (float(m.group("pct")) if m.group("pct") is not None else None)


def _parse_table(lines: list[str]) -> tuple[dict[str, list[TopRow]], dict[int, str]]:
    """The top-N table (header line first) and the --resolve names block after it."""
    columns = [c.strip() for c in lines[0].split("|")]
    fields = [_COLUMNS.get(c) for c in columns]
    rows: dict[str, list[TopRow]] = {f: [] for f in fields if f}
    names: dict[int, str] = {}
    in_rows = True
    for line in lines[1:]:
        if in_rows and "|" in line:
            for field, cell in zip(fields, line.split("|")):
                if not field:
                    continue
                parsed = _parse_cell(cell)
                if parsed is None:
                    continue
                value, pct = parsed
                rows[field].append(TopRow(value=_to_value(field, value), percent=pct))
            continue
        in_rows = False
        for m in _RESOLVED_RE.finditer(line + "  "):
            name = m.group("name")
            names[int(m.group("n"))] = name
    return rows, names


def _apply_names(rows: list[TopRow], names: dict[int, str]) -> list[TopRow]:
    out = []
    for r in rows:
        if isinstance(r.value, str) and "#" in r.value:
            addr, _, n = r.value.rpartition("#")
            if n.isdigit():
                name = names.get(int(n))
                out.append(replace(r, value=addr, name=None if name in (None, UNRESOLVED, "") else name))
                continue
        out.append(r)
    return out


def _kind(title: str) -> str:
    if title == "Total":
        return "total"
    if title == "Incoming":
        return "incoming"
    if title == "Outgoing":
        return "outgoing"
    if title == "":
        return "interval"
    return "local-net"


def parse_section(raw: str, *, utc: bool = False) -> Section:
    """One ``>== Title === start - end`` block."""
    lines = raw.split("\n")
    # raw starts with "\n": lines[0] is empty, lines[1] the header.
    m = _HEADER_RE.match(lines[1])
    if not m:
        raise ValueError(f"not a trace-summary section header: {lines[1]!r}")
    # Per-net titles are "CIDR label" and the engine adds a space even for an empty label.
    title = m.group("title").strip()
    tm = _TOTALS_RE.search(lines[2]) if len(lines) > 2 else None
    if not tm:
        raise ValueError(f"no connection totals in section {title!r}: {lines[2:3]!r}")
    tables: dict[str, list[TopRow]] = {}
    table_start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("Ports ")
                        and "|" in ln), None)
    if table_start is not None:
        tables, names = _parse_table(lines[table_start:])
        if names or any("#" in str(r.value) for f in _ADDRESS_COLUMNS for r in tables.get(f, ())):
            for f in _ADDRESS_COLUMNS:
                if f in tables:
                    tables[f] = _apply_names(tables[f], names)
    return Section(
        title=title, kind=_kind(title),
        start_text=m.group("start"), end_text=m.group("end"),
        start=parse_time(m.group("start"), utc=utc), end=parse_time(m.group("end"), utc=utc),
        connections=parse_value(tm.group("conns")), connections_text=tm.group("conns"),
        payload=parse_value(tm.group("payload")), payload_text=tm.group("payload"),
        **{f: tuple(rows) for f, rows in tables.items()},
        raw=raw,
    )


def parse_local_nets(raw: str) -> tuple[LocalNetRow, ...]:
    """Rows ``"    %2d %5s  %-16s %s "`` of the "Top N local networks" table."""
    rows = []
    for line in raw.split("\n")[2:]:
        parts = line.strip().split(None, 3)
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        rows.append(LocalNetRow(rank=int(parts[0]), connections_text=parts[1], network=parts[2],
                                label=parts[3].strip() if len(parts) > 3 else ""))
    return tuple(rows)


def parse_non_local(raw: str) -> tuple[int, tuple[tuple[str, str], ...]]:
    m = _NON_LOCAL_RE.match(raw.split("\n")[1])
    count = int(m.group("count")) if m else 0
    pairs = []
    for line in raw.split("\n")[2:]:
        if " <-> " in line:
            src, _, dst = line.strip().partition(" <-> ")
            pairs.append((src, dst))
    return count, tuple(pairs)


def parse_report(name: str, text: str, *, utc: bool = False) -> PassReport:
    """Parse one pass's whole stdout.

    ``utc``: the engine ran with TZ=UTC (read printed times with timegm); otherwise it
    ran in this process's zone (mktime). The Total section's bounds come from the
    exact epochs of the ``First:``/``Last:`` line.
    """
    blocks = split_blocks(text)
    sections: list[Section] = []
    local_nets: tuple[LocalNetRow, ...] = ()
    local_nets_raw = non_local_raw = first_last_raw = ""
    non_local_count: Optional[int] = None
    non_local_pairs: tuple[tuple[str, str], ...] = ()
    first = last = None
    first_text = last_text = ""
    for block in blocks:
        if block.startswith("First: "):
            first_last_raw = block
            m = _FIRST_RE.match(block)
            if m:
                first_text, last_text = m.group("first"), m.group("last")
                first, last = _epoch(m.group("first_epoch")), _epoch(m.group("last_epoch"))
            continue
        header = block.split("\n", 2)[1] if block.startswith("\n") and "\n" in block[1:] else ""
        if _LOCAL_TOP_RE.match(header):
            local_nets_raw = block
            local_nets = parse_local_nets(block)
        elif _NON_LOCAL_RE.match(header):
            non_local_raw = block
            non_local_count, non_local_pairs = parse_non_local(block)
        elif _HEADER_RE.match(header):
            sections.append(parse_section(block, utc=utc))
        else:
            raise ValueError(f"unexpected text in trace-summary output: {block[:80]!r}")
    if not any(s.kind == "total" for s in sections):
        raise ValueError("trace-summary output has no Total section")
    if first_last_raw:
        # The Total's printed times are whole seconds; the First/Last epochs are exact.
        sections = [replace(s, start=first, end=last) if s.kind == "total" else s for s in sections]
    return PassReport(
        name=name, sections=tuple(sections), local_nets=local_nets, local_nets_raw=local_nets_raw,
        first=first, last=last, raw=text,
        non_local_count=non_local_count, non_local_pairs=non_local_pairs, non_local_raw=non_local_raw,
        first_text=first_text, last_text=last_text, first_last_raw=first_last_raw,
        parts=tuple(blocks),
    )
