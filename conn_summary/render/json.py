"""JSON output: one schema-versioned document per run.

Owns the document's shape, published as ``schema/conn-summary.schema.json``
(JSON Schema draft 2020-12; tests validate every output against it). Times are
ISO 8601 UTC with ``Z`` plus the epoch; numbers are numbers (ports and protocol
numbers are integers, addresses strings); the engine's rounded figures keep
their printed text beside them (``connections_text``) so nothing is re-rounded.
Changing the shape incompatibly means bumping model.SCHEMA_VERSION.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Optional

from conn_summary.model import (
    SCHEMA_VERSION, InputReport, PassReport, Section, Summary, TopRow,
)
from conn_summary.protocols import protocol_name

TOP_LISTS = ("ports", "sources", "destinations", "services", "protocols", "states")


def iso_utc(epoch: Optional[float]) -> Optional[str]:
    """``2024-05-01T12:00:00.100000Z``; whole seconds print without a fraction."""
    if epoch is None:
        return None
    dt = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return dt.isoformat().replace("+00:00", "Z")


def time_range(start: Optional[float], end: Optional[float]) -> dict[str, Any]:
    return {"start": iso_utc(start), "end": iso_utc(end), "start_epoch": start, "end_epoch": end}


def _proto_rows(pairs: tuple[tuple[int, int], ...]) -> list[dict[str, Any]]:
    return [{"ip_proto": p, "name": protocol_name(p), "count": c} for p, c in pairs]


def inputs_doc(inputs: InputReport) -> dict[str, Any]:
    return {
        "files": [{"name": f.name, "compression": f.compression, "format": f.format,
                   "lines": f.lines, "records": f.records, "skipped": f.skipped,
                   "filtered": f.filtered, "other": f.other, "excluded": f.excluded,
                   "internal": f.internal}
                  for f in inputs.files],
        "totals": {"lines": inputs.lines, "records": inputs.records, "filtered": inputs.filtered,
                   "excluded": inputs.excluded, "internal": inputs.internal,
                   "skipped": inputs.skipped_total, "other_protocols": inputs.other_total,
                   "other_protocols_payload": inputs.other_protocols_payload,
                   "balanced": inputs.balanced},
        "skipped": [{"reason": s.reason, "count": s.count, "examples": list(s.examples)}
                    for s in inputs.skipped],
        "set_aside": [{"name": name, "reason": why} for name, why in inputs.set_aside],
        "other_protocols": _proto_rows(inputs.other_protocols),
        "ip_protocols": _proto_rows(inputs.ip_protocols),
        "time_range": time_range(inputs.first_ts, inputs.last_ts),
    }


def _row(list_name: str, row: TopRow) -> dict[str, Any]:
    d: dict[str, Any] = {"value": row.value, "percent": row.percent}
    name = row.name
    if name is None and list_name == "protocols" and isinstance(row.value, int):
        name = protocol_name(row.value)
    if name is not None:
        d["name"] = name
    return d


def section_doc(s: Section) -> dict[str, Any]:
    d: dict[str, Any] = {
        "title": s.title,
        "kind": s.kind,
        "time_range": time_range(s.start, s.end),
        "time_text": {"start": s.start_text, "end": s.end_text},
        "totals": {"connections": s.connections, "connections_text": s.connections_text,
                   "payload": s.payload, "payload_text": s.payload_text},
    }
    for name in TOP_LISTS:
        d[name] = [_row(name, r) for r in getattr(s, name)]
    return d


def pass_doc(p: PassReport) -> dict[str, Any]:
    total = p.total
    return {
        "name": p.name,
        "time_range": time_range(p.first, p.last),
        "total": section_doc(total) if total is not None else None,
        # Everything else the engine printed, in its order (intervals, Incoming, Outgoing, nets).
        "sections": [section_doc(s) for s in p.sections if s is not total],
        "local_networks": [{"rank": r.rank, "network": r.network, "label": r.label,
                            "connections_text": r.connections_text} for r in p.local_nets],
        "non_local": (None if p.non_local_count is None else
                      {"count": p.non_local_count,
                       "examples": [{"source": a, "destination": b} for a, b in p.non_local_pairs]}),
    }


def summary_doc(summary: Summary) -> dict[str, Any]:
    """The document as plain Python values (json.dumps-ready)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "inputs": inputs_doc(summary.inputs),
        "options": dict(summary.options),
        "engine": {"path": summary.engine.path, "version": summary.engine.version,
                   "source": summary.engine.source},
        "passes": {p.name: pass_doc(p) for p in summary.passes},
        # The Total sections' exact figures (the engine prints them rounded), or null.
        "exact_totals": (None if summary.exact is None else
                         {"connections": summary.exact.connections,
                          "payload": summary.exact.payload, "bytes": summary.exact.bytes}),
    }


def render_json(summary: Summary) -> str:
    """Indented, key order fixed by construction, ending with a newline."""
    return json.dumps(summary_doc(summary), indent=2, ensure_ascii=False, default=str) + "\n"
