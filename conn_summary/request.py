"""Turn command-line values into a summarize.Request: validate, resolve defaults,
and record the options in force (for the JSON output). Raises UsageError."""

from __future__ import annotations

import re
from typing import Optional, Sequence

from conn_summary.errors import UsageError
from conn_summary.inputs import RecordFilter
from conn_summary.nets import (DEFAULT_EXCLUDE_NETS, DEFAULT_LOCAL_NETS, parse_hosts, parse_ports,
                               resolve_nets)
from conn_summary.summarize import ALL_PASSES, Request
from conn_summary.timeparse import parse_time

_INTERVAL = re.compile(r"^([1-9]\d*)([mhd]?)$")
_UNIT_SECONDS = {"": 1, "m": 60, "h": 3600, "d": 86400}


def interval_length(text: str) -> tuple[str, int]:
    """``--intervals`` value -> (the length as trace-summary takes it, seconds).

    trace-summary knows seconds, ``m`` and ``h`` only; a ``d`` suffix becomes hours
    (1d -> 24h), so the engine, the plain output and the JSON options all agree.
    """
    m = _INTERVAL.match(text.strip())
    if not m:
        raise UsageError(f"--intervals: '{text}' is not a length",
                         hint="seconds (900), minutes (15m), hours (1h) or days (1d)")
    count, unit = int(m.group(1)), m.group(2)
    engine_text = f"{count * 24}h" if unit == "d" else f"{count}{unit}"
    return engine_text, count * _UNIT_SECONDS[unit]


def build_request(*, paths: Sequence[str], all_traffic: bool = False, top: Optional[int] = None,
                  local_nets: Sequence[str] = (), exclude_nets: Sequence[str] = (),
                  tcp: bool = False, udp: bool = False, ports: Optional[str] = None,
                  hosts: Sequence[str] = (), since: Optional[str] = None, until: Optional[str] = None,
                  utc: bool = False, intervals: Optional[str] = None, sections: str = "total",
                  only: Optional[str] = None, output_format: str = "plain", resolve: bool = False,
                  trace_summary: Optional[str] = None, passthrough: Sequence[str] = ()) -> Request:
    locals_ = resolve_nets(local_nets, DEFAULT_LOCAL_NETS, "--local-nets")
    if all_traffic:
        if exclude_nets:
            raise UsageError("--all and --exclude-nets exclude each other")
        excluded = None
    else:
        excluded = resolve_nets(exclude_nets, DEFAULT_EXCLUDE_NETS, "--exclude-nets")
    host_nets = parse_hosts(hosts)
    since_ts = parse_time(since, "--since") if since else None
    until_ts = parse_time(until, "--until") if until else None
    if since_ts is not None and until_ts is not None and until_ts <= since_ts:
        raise UsageError("--until must be later than --since")
    interval_seconds = None
    if intervals is not None:
        intervals, interval_seconds = interval_length(intervals)
    port_list = parse_ports(ports) if ports else None
    # --tcp/--udp go to the engine too; filtering here as well counts what they leave out.
    record_filter = RecordFilter(hosts=host_nets, since=since_ts, until=until_ts,
                                 proto="tcp" if tcp else "udp" if udp else None)
    if not record_filter.active:
        record_filter = None
    passes = (only,) if only else ALL_PASSES
    options = {
        "all": all_traffic,
        "external": not all_traffic,
        "top": top if top is not None else 10,
        "local_nets": list(locals_),
        "exclude_nets": list(excluded) if excluded is not None else [],
        "tcp": tcp,
        "udp": udp,
        "ports": list(port_list) if port_list else None,
        "hosts": [str(n) for n in host_nets],
        "since": since_ts,
        "until": until_ts,
        "utc": utc,
        "intervals": intervals,               # as handed to trace-summary (1d reads 24h)
        "interval_seconds": interval_seconds,
        "sections": sections,
        "passes": list(passes),
        "format": output_format,
        "resolve": resolve,
        "trace_summary_args": list(passthrough),
    }
    return Request(
        paths=tuple(paths), record_filter=record_filter, local_nets=locals_,
        exclude_nets=excluded, external=not all_traffic, top=top,
        extra_args=tuple(passthrough), utc=utc, tcp=tcp, udp=udp, ports=port_list,
        intervals=intervals, passes=passes, trace_summary=trace_summary, options=options,
        exact=output_format == "json",
    )
