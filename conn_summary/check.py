"""``conn-summary --check``: the health check for containers and CI smoke jobs.

Verifies, in order, that trace-summary is found, that SubnetTree imports, and that a
round trip on the bundled sample gives a non-empty summary; reports each step and
returns the exit code a run would end with: 7 (engine or SubnetTree missing) or 8
(the round trip failed), so a health check tells "not installed" from "broken".
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, TextIO

from conn_summary.errors import ConnSummaryError, ExitCode

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-conn.log"


def run_check(trace_summary: Optional[str], out: TextIO) -> int:
    """Write one line per check to ``out``; return the exit code (ExitCode.OK when all pass)."""
    from conn_summary import engine as engine_mod
    from conn_summary.request import build_request
    from conn_summary.summarize import summarize

    def line(ok: bool, what: str) -> None:
        out.write(f"{'ok  ' if ok else 'FAIL'} {what}\n")

    try:
        info = engine_mod.locate(trace_summary)
        line(True, f"trace-summary {info.version} at {info.path} (found via {info.source})")
    except ConnSummaryError as exc:
        line(False, f"trace-summary: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        return ExitCode.ENGINE_MISSING
    try:
        engine_mod.check_subnettree()
        line(True, "SubnetTree module imports")
    except ConnSummaryError as exc:
        line(False, f"SubnetTree: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        return ExitCode.ENGINE_MISSING
    if not SAMPLE.is_file():
        line(False, f"bundled sample missing: {SAMPLE}")
        return ExitCode.ENGINE_FAILED  # the round trip cannot run: a broken install
    try:
        outcome = summarize(build_request(paths=[str(SAMPLE)], trace_summary=trace_summary),
                            engine=info)
    except ConnSummaryError as exc:
        line(False, f"round trip on the bundled sample: {exc.message}")
        return ExitCode.ENGINE_FAILED
    report = outcome.summary.inputs
    totals = [p.total for p in outcome.summary.passes]
    ok = (report.balanced and report.records > 0 and len(totals) == 2
          and all(t is not None and t.connections > 0 for t in totals))
    conns = totals[0].connections_text.strip() if totals and totals[0] is not None else "?"
    line(ok, f"round trip on the bundled sample: {report.lines} lines read, {report.records} "
             f"records, {conns} external connections in the summary, both passes parsed")
    return ExitCode.OK if ok else ExitCode.ENGINE_FAILED
