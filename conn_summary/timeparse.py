"""Parsing of user-given time bounds (``--since``/``--until``) into epoch seconds.

Accepted: ISO 8601 with ``Z`` or an offset (fraction optional), epoch seconds, and
trace-summary's own ``YYYY-MM-DD-HH-MM-SS``. Without a zone, a time means UTC: the
same bound selects the same connections whatever TZ the machine has.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from conn_summary.errors import UsageError

_EPOCH = re.compile(r"^\d+(\.\d+)?$")
_TS_STYLE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")


def parse_time(text: str, option: str) -> float:
    value = text.strip()
    if _EPOCH.match(value):
        return float(value)
    m = _TS_STYLE.match(value)
    if m:
        try:
            dt = datetime(*(int(g) for g in m.groups()), tzinfo=timezone.utc)
        except ValueError as exc:
            raise UsageError(f"{option}: '{text}' is not a valid time ({exc})")
        return dt.timestamp()
    iso = value
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    # datetime.fromisoformat on Python < 3.11 wants exactly 3 or 6 fraction digits.
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", iso)
    if m:
        iso = f"{m.group(1)}.{(m.group(2) + '000000')[:6]}{m.group(3)}"
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(
            f"{option}: '{text}' is not a time",
            hint="use ISO 8601 (2024-05-01T12:00:00Z, +02:00 offsets), epoch seconds, "
                 "or YYYY-MM-DD-HH-MM-SS; times without a zone are UTC",
        )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
