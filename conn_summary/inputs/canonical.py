"""The canonical TSV handed to trace-summary: its fixed header and its row layout.

Owns what the engine reads: one header block, the 12 fields trace-summary uses, in
its default order, tab separated, ``-`` for unset (0 for unset byte counts, see
UNSET_COUNT). Every trace-summary version reads
this file the same way (no JSON, no custom separators, no second header block).
"""

from __future__ import annotations

# The fields trace-summary reads (getLogInfo's field_names), in its default order.
CANONICAL_FIELDS: tuple[str, ...] = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
    "service", "duration", "orig_bytes", "resp_bytes", "conn_state",
)
CANONICAL_TYPES: tuple[str, ...] = (
    "time", "string", "addr", "port", "addr", "port", "enum",
    "string", "interval", "count", "count", "string",
)

# No #open/#close: the engine ignores them and they would make output depend on the clock.
CANONICAL_HEADER: str = (
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tconn\n"
    "#fields\t" + "\t".join(CANONICAL_FIELDS) + "\n"
    "#types\t" + "\t".join(CANONICAL_TYPES) + "\n"
)
CANONICAL_HEADER_BYTES: bytes = CANONICAL_HEADER.encode("ascii")

UNSET: bytes = b"-"

# An unset (or unreadable) orig_bytes/resp_bytes is written as 0: the engine reads both
# the same way (its int() of "-" fails and it counts 0), but "-" costs it an exception
# per field in each pass, and scans are whole logs of connections without byte counts.
UNSET_COUNT: bytes = b"0"


def write_row(out_rows: list, values: tuple) -> None:
    """Append one canonical row (12 already-validated byte strings) to a row buffer.

    The normalizer builds rows inline for speed; this helper is the reference form
    used by the slow paths so both spell a row the same way.
    """
    out_rows.append(b"\t".join(values))
