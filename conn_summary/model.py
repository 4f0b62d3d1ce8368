"""The typed result model between parsing and rendering.

Frozen dataclasses only: parse.py builds them from trace-summary's text, the
normalizer's accounting fills InputReport, and every renderer is a pure
function of a Summary. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

SCHEMA_VERSION = 1

# The passes trace-summary is run for: by number of connections, and by bytes (-b).
PASS_CONNECTIONS = "connections"
PASS_BYTES = "bytes"


@dataclass(frozen=True)
class TopRow:
    """One row of a top list: the value and its share of the pass's measure."""

    value: Union[int, str]        # ports and protocols are ints; addresses, services, states str
    percent: Optional[float]      # None when trace-summary printed "(??%)" (zero total)
    name: Optional[str] = None    # resolved host name (--resolve), protocol name, ...


@dataclass(frozen=True)
class Section:
    """One block of trace-summary's report (">== Title === start - end")."""

    title: str                    # "Total", "Incoming", "Outgoing", "10.0.0.0/8 ...", or "" (interval)
    kind: str                     # "total" | "incoming" | "outgoing" | "local-net" | "interval"
    start_text: str               # as printed by the engine (local time of TZ, or "N/A")
    end_text: str
    start: Optional[float]        # epoch seconds, None for "N/A"
    end: Optional[float]
    connections: float            # engine's rounded figure ("1.5k" -> 1500.0)
    connections_text: str         # as printed ("1.5k", "4.0")
    payload: float                # payload bytes, engine's rounded figure
    payload_text: str
    ports: tuple[TopRow, ...] = ()
    sources: tuple[TopRow, ...] = ()
    destinations: tuple[TopRow, ...] = ()
    services: tuple[TopRow, ...] = ()
    protocols: tuple[TopRow, ...] = ()
    states: tuple[TopRow, ...] = ()
    raw: str = ""                 # the section's exact text, as the engine printed it


@dataclass(frozen=True)
class LocalNetRow:
    """A row of trace-summary's "Top N local networks" table."""

    rank: int
    connections_text: str
    network: str
    label: str


@dataclass(frozen=True)
class PassReport:
    """Everything one trace-summary run printed, parsed."""

    name: str                                 # PASS_CONNECTIONS or PASS_BYTES
    sections: tuple[Section, ...]
    local_nets: tuple[LocalNetRow, ...] = ()
    local_nets_raw: str = ""                  # the local-networks block text, verbatim
    first: Optional[float] = None             # epoch of the "First:" line
    last: Optional[float] = None
    raw: str = ""                             # the whole output, verbatim
    # Added by the parser's owner (defaults keep older constructors valid):
    # the "N connections did not have any local address" block (only without --external).
    non_local_count: Optional[int] = None
    non_local_pairs: tuple[tuple[str, str], ...] = ()   # (source, destination) as printed
    non_local_raw: str = ""
    first_text: str = ""                      # "First:"/"Last:" times as printed ("N/A" when empty)
    last_text: str = ""
    first_last_raw: str = ""                  # the final "First: ... Last: ..." line, verbatim
    # Every block exactly as printed, in upstream order: "".join(parts) == raw.
    parts: tuple[str, ...] = ()

    def section(self, kind: str) -> Optional[Section]:
        for s in self.sections:
            if s.kind == kind:
                return s
        return None

    @property
    def total(self) -> Optional[Section]:
        return self.section("total")


@dataclass(frozen=True)
class FileReport:
    """What was read from one input (a file, or stdin)."""

    name: str                     # path as given, or "-" for stdin
    compression: str              # "none" | "gzip" | "bzip2" | "xz" | "zstd"
    format: str                   # "zeek-tsv" | "zeek-json" | "json-array" | "bro1" | "headerless-tsv" | ...
    lines: int                    # data lines seen (header/comment lines not counted)
    records: int                  # data lines written to the canonical file
    skipped: int                  # data lines skipped (reasons in InputReport)
    filtered: int = 0             # records left out by --host/--since/--until
    other: int = 0                # records of other IP protocols (unknown_transport ...)
    excluded: int = 0             # records touching --exclude-nets (the engine drops them)
    internal: int = 0             # local-to-local records (dropped by --external)

    @property
    def balanced(self) -> bool:
        return self.lines == (self.records + self.filtered + self.other + self.excluded
                              + self.internal + self.skipped)


@dataclass(frozen=True)
class SkipReason:
    """Lines skipped for one reason, with a count and the first file:line examples."""

    reason: str                   # e.g. "wrong field count", "bad timestamp"
    count: int
    examples: tuple[str, ...]     # "path:line" of the first few


@dataclass(frozen=True)
class InputReport:
    """The accounting of the input layer: every data line read is exactly one of
    records (handed to the engine), filtered, excluded, internal, other-protocol or skipped."""

    files: tuple[FileReport, ...]
    lines: int                    # data lines read, all files
    records: int                  # records written to the canonical file (handed to the engine)
    filtered: int                 # records left out on purpose by --host/--since/--until
    skipped: tuple[SkipReason, ...]
    # Records whose transport the engine cannot read (Zeek 7.1+ unknown_transport, ...):
    # counted here by IP protocol number (from ip_proto; -1 when unknown), never dropped.
    other_protocols: tuple[tuple[int, int], ...] = ()   # (ip_proto, count), sorted by count desc
    other_protocols_payload: int = 0                     # payload bytes of those records
    # Every record (engine-readable or not) by IP protocol number: ip_proto where the log has
    # it, else derived from proto (tcp 6, udp 17, icmp 1 or 58 for IPv6).
    ip_protocols: tuple[tuple[int, int], ...] = ()
    first_ts: Optional[float] = None                     # earliest ts among records
    last_ts: Optional[float] = None                      # latest ts + duration among records
    # Records the edge view leaves out, as the engine would (edge.py): never written to
    # the canonical file, so neither pass spends time reading them. Time range and
    # ip_protocols above include them: they describe everything that was read.
    excluded: int = 0                                    # an address in --exclude-nets
    internal: int = 0                                    # both addresses local (--external)
    # Files of a log directory deliberately not read, with why (a compressed copy ...).
    set_aside: tuple[tuple[str, str], ...] = ()

    @property
    def skipped_total(self) -> int:
        return sum(s.count for s in self.skipped)

    @property
    def other_total(self) -> int:
        return sum(c for _, c in self.other_protocols)

    @property
    def balanced(self) -> bool:
        """Nothing lost: every data line is a record, filtered, excluded, internal,
        other-protocol or skipped."""
        return self.lines == (self.records + self.filtered + self.excluded + self.internal
                              + self.other_total + self.skipped_total)


@dataclass(frozen=True)
class EngineInfo:
    path: str
    version: str
    source: str                   # how it was found: "flag" | "env" | "vendored" | "PATH" | "prefix"


@dataclass(frozen=True)
class ExactTotals:
    """Exact figures of the Total sections (the engine prints them rounded); exact.py."""

    connections: int              # connections in the Total section
    payload: int                  # payload bytes as the engine counts them (after its clipping)
    bytes: int                    # orig_bytes + resp_bytes (the measure of the bytes pass)


@dataclass(frozen=True)
class Summary:
    """The whole result handed to a renderer."""

    inputs: InputReport
    engine: EngineInfo
    options: dict = field(default_factory=dict)          # options in force, JSON-ready
    passes: tuple[PassReport, ...] = ()                   # connections first, then bytes
    exact: Optional[ExactTotals] = None                   # when asked for and verified

    def pass_(self, name: str) -> Optional[PassReport]:
        for p in self.passes:
            if p.name == name:
                return p
        return None
