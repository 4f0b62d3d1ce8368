"""Exact totals for the Total sections, which trace-summary prints only rounded
("Connections 5.1k - Payload 57.7m").

The JSON output is for scripts and CI, which want the real counts. They come from one
extra read of the canonical file applying the engine's own selection rules (proto
filter, excluded nets, --external, and its 700 Mbit/s payload clipping) with the same
SubnetTree module, and are kept only when they round to exactly what the engine
printed for both passes: a disagreement means the rules drifted, and then no exact
figure is claimed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from conn_summary.edge import packed as _packed
from conn_summary.edge import subnet_tree as _tree
from conn_summary.model import ExactTotals, Summary

# trace-summary's "bandwidth exceeded due to Bro bug" threshold, in Mbit/s.
_MAX_MBPS = 700


def _count(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def compute(canonical: Path, *, local_nets: Iterable[str], exclude_nets: Optional[Iterable[str]],
            external: bool, tcp: bool, udp: bool) -> ExactTotals:
    """One pass over the canonical TSV with trace-summary's selection rules."""
    local = _tree(local_nets)
    excluded = _tree(exclude_nets or ())
    connections = payload = total_bytes = 0
    packed = lru_cache(maxsize=1 << 16)(_packed)
    with open(canonical, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            (_ts, _uid, orig, _op, resp, _rp, proto, _svc, duration, orig_b, resp_b,
             _state) = line.rstrip("\n").split("\t")
            if (tcp and proto != "tcp") or (udp and proto != "udp"):
                continue
            o, r = packed(orig), packed(resp)
            if o in excluded or r in excluded:
                continue
            if external and o in local and r in local:
                continue
            ob, rb = _count(orig_b), _count(resp_b)
            connections += 1
            total_bytes += ob + rb
            d = float(duration) if duration != "-" else 0.0
            if d:
                to_mbps = 8 / (1024 * 1024 * d)
                if ob * to_mbps > _MAX_MBPS:
                    ob = 0
                if rb * to_mbps > _MAX_MBPS:
                    rb = 0
            payload += ob + rb
    return ExactTotals(connections=connections, payload=payload, bytes=total_bytes)


def format_val(value: float) -> str:
    """trace-summary's formatVal: 4.0, 1.5k, 18.2m, 3.0g (and a bare 0)."""
    for prefix, unit, factor in (("", "g", 1e9), ("", "m", 1e6), ("", "k", 1e3), (" ", "", 1e0)):
        if value >= factor:
            return "%s%3.1f%s" % (prefix, value / factor, unit)
    return str(value)


def agrees(exact: ExactTotals, summary: Summary) -> bool:
    """Do the exact figures round to what the engine printed in every Total section?"""
    for p in summary.passes:
        total = p.total
        if total is None:
            return False
        if (format_val(exact.connections).strip() != total.connections_text.strip()
                or format_val(exact.payload).strip() != total.payload_text.strip()):
            return False
    return True
