"""The pipeline behind the command: inputs -> canonical TSV -> two engine passes -> model.

Owns the private working directory (created per run, removed on every exit path),
the checks that turn "nothing to summarize" into the right error, and the notes
(skipped lines, other transports, engine warnings) the CLI prints on stderr.
Never prints, never exits.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Callable, Optional

from conn_summary import engine as engine_mod
from conn_summary import exact
from conn_summary.edge import EdgeView
from conn_summary.errors import EmptyInputError, EngineFailedError, NoConnectionsError, WriteError
from conn_summary.inputs import RecordFilter, normalize
from conn_summary.interrupts import hold_signals
from conn_summary.model import (PASS_BYTES, PASS_CONNECTIONS, EngineInfo, InputReport,
                                Summary)
from conn_summary.parse import parse_report
from conn_summary.protocols import protocol_name

ALL_PASSES = (PASS_CONNECTIONS, PASS_BYTES)


@dataclass(frozen=True)
class Request:
    """Everything a run needs, resolved from the command line."""

    paths: tuple[str, ...] = ("-",)
    record_filter: Optional[RecordFilter] = None
    local_nets: tuple[str, ...] = ()
    exclude_nets: Optional[tuple[str, ...]] = None   # None: exclude nothing (--all)
    external: bool = True                            # False with --all
    top: Optional[int] = None
    extra_args: tuple[str, ...] = ()                 # after "--", passed to trace-summary
    utc: bool = False
    tcp: bool = False
    udp: bool = False
    ports: Optional[tuple[int, ...]] = None
    intervals: Optional[str] = None
    passes: tuple[str, ...] = ALL_PASSES
    trace_summary: Optional[str] = None              # --trace-summary
    exact: bool = False                              # also count exact Total figures (JSON)
    options: dict = field(default_factory=dict)      # options in force, for the JSON output


@dataclass(frozen=True)
class Outcome:
    summary: Summary
    notes: tuple[str, ...]                           # one line each, for stderr


def find_engine(explicit: Optional[str]) -> EngineInfo:
    """Locate trace-summary and make sure the SubnetTree module it imports is there."""
    info = engine_mod.locate(explicit)
    engine_mod.check_subnettree()
    return info


def _examples(examples: tuple[str, ...]) -> str:
    return ", ".join(examples)


def input_notes(report: InputReport) -> list[str]:
    """Stderr notes on what the input layer did not hand to the engine: one line per reason."""
    notes = [f"left out {path}: {why}" for path, why in report.set_aside]
    for skip in report.skipped:
        notes.append(f"skipped {skip.count} line{'s' if skip.count != 1 else ''}: {skip.reason}"
                     + (f" (first: {_examples(skip.examples)})" if skip.examples else ""))
    if report.other_protocols:
        parts = ", ".join(
            f"{proto} ({protocol_name(proto) or 'unknown'}): {count}" if proto >= 0 else f"unknown: {count}"
            for proto, count in report.other_protocols)
        notes.append(f"{report.other_total} connection{'s' if report.other_total != 1 else ''} of other "
                     f"IP protocols, counted here but not in trace-summary's tables: {parts}")
    return notes


def _check_report(report: InputReport) -> None:
    names = ", ".join(f.name if f.name != "-" else "standard input" for f in report.files) or "the input"
    if report.lines == 0:
        raise EmptyInputError(f"no connection records in {names} (empty, or headers only)",
                              hint="check that the sensor wrote conn.log rows")
    # Records the edge view hides are read fine: the engine shows them as an empty view.
    readable = report.records + report.excluded + report.internal + report.other_total
    if readable == 0:
        if report.filtered and not report.skipped_total:
            raise NoConnectionsError(
                f"no connections left after --host/--since/--until/--tcp/--udp "
                f"({report.filtered} filtered out)")
        worst = max(report.skipped, key=lambda s: s.count)
        example = f"; e.g. {worst.examples[0]}" if worst.examples else ""
        raise NoConnectionsError(
            f"none of the {report.lines} lines in {names} could be read: "
            f"{worst.reason} on {worst.count}{example}",
            hint="is this a Zeek conn.log? ts must be epoch seconds or ISO 8601, "
                 "addresses IPv4/IPv6, proto tcp/udp/icmp")


def _write_ports(workdir: Path, ports: tuple[int, ...]) -> Path:
    path = workdir / "ports"
    path.write_text("".join(f"{p}\n" for p in ports))
    return path


def _with_exact(summary: Summary, request: Request, canonical: Path, notes: list[str]) -> Summary:
    totals = exact.compute(canonical, local_nets=request.local_nets,
                           exclude_nets=request.exclude_nets, external=request.external,
                           tcp=request.tcp, udp=request.udp)
    if not exact.agrees(totals, summary):
        notes.append("exact totals left out: they do not round to trace-summary's figures")
        return summary
    return replace(summary, exact=totals)


def summarize(request: Request, *, engine: Optional[EngineInfo] = None,
              stdin: Optional[BinaryIO] = None,
              progress: Optional[Callable[[int], None]] = None,
              line_progress: Optional[Callable[[int], None]] = None,
              on_engine_start: Optional[Callable[[], None]] = None) -> Outcome:
    """Run the whole pipeline; raises ConnSummaryError subclasses."""
    if engine is None:
        engine = find_engine(request.trace_summary)
    # Private to this run (mkdtemp makes it 0700): concurrent runs never share files.
    # Creating and removing it happen with Ctrl-C/SIGTERM held, so that an interrupt
    # can neither land between mkdtemp and the try nor cut the removal short.
    with hold_signals():
        workdir = Path(tempfile.mkdtemp(prefix="conn-summary-"))
    try:
        canonical = workdir / "conn.log"
        # Options after "--" may change what the engine keeps: then it alone decides.
        view = None if request.extra_args else EdgeView(
            local_nets=request.local_nets, exclude_nets=request.exclude_nets,
            external=request.external)
        try:
            with open(canonical, "wb") as out:
                report = normalize(list(request.paths), out, record_filter=request.record_filter,
                                   view=view, stdin=stdin, progress=progress,
                                   line_progress=line_progress)
        except OSError as exc:
            # Reading errors arrive as InputError: an OSError here is the copy being written.
            raise WriteError(
                f"cannot write the normalized copy of the input in {workdir.parent}: "
                f"{exc.strerror or exc}",
                hint="set TMPDIR to a file system with room for a copy of the input's records"
            ) from exc
        _check_report(report)
        notes = input_notes(report)
        if on_engine_start is not None:
            on_engine_start()
        engine_request = engine_mod.EngineRequest(
            canonical=canonical,
            workdir=workdir,
            local_nets=request.local_nets,
            exclude_nets=request.exclude_nets,
            external=request.external,
            top=request.top,
            extra_args=request.extra_args,
            utc=request.utc,
            tcp=request.tcp,
            udp=request.udp,
            ports_file=_write_ports(workdir, request.ports) if request.ports else None,
            intervals=request.intervals,
            resolve=False,
        )
        runs = engine_mod.run_passes(engine, engine_request, passes=request.passes)
        passes = []
        for name in request.passes:
            run = runs[name]
            try:
                passes.append(parse_report(name, run.text, utc=request.utc))
            except ValueError as exc:
                # Output we cannot read means an engine we cannot trust with this input.
                raise EngineFailedError(
                    f"trace-summary {engine.version} ({engine.path}) printed no report we can "
                    f"read for the {name} pass: {exc}",
                    argv=list(run.argv), returncode=0,
                    stderr_tail="\n".join(run.text.splitlines()[-5:])) from exc
            if run.corrupt_lines:
                notes.append(f"trace-summary ({name} pass) ignored {run.corrupt_lines} line(s) "
                             "of the normalized input")
            notes.extend(f"trace-summary ({name} pass): {w}" for w in run.warnings)
        summary = Summary(inputs=report, engine=engine, options=dict(request.options),
                          passes=tuple(passes))
        if request.exact and not request.extra_args:
            # Options after "--" can change what the engine counts: claim nothing then.
            summary = _with_exact(summary, request, canonical, notes)
        return Outcome(summary=summary, notes=tuple(notes))
    finally:
        with hold_signals():
            shutil.rmtree(workdir, ignore_errors=True)
