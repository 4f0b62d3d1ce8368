"""The command line: the only module that talks to the user.

Parses argv (Typer), splits off the options after ``--`` for trace-summary, runs the
pipeline (summarize.py), prints the result on stdout and notes on stderr, and maps
every outcome to a documented exit code (errors.ExitCode). Tracebacks only with --debug.
"""

from __future__ import annotations

import functools
import os
import select
import signal
import sys
from enum import Enum
from typing import Any, Callable, List, Optional

import typer

from conn_summary import __version__
from conn_summary.errors import (ConnSummaryError, ExitCode, NoConnectionsError,
                                 StrictError, UsageError, WriteError)

EPILOG = (
    "Exit codes: 0 ok; 2 usage; 3 input unreadable or not a conn log; 4 empty input; "
    "5 no connections (after reading/filtering, or with --fail-on-empty); 6 --strict and lines "
    "were skipped; 7 trace-summary or SubnetTree missing (--check too); 8 trace-summary "
    "failed (or the --check round trip did); "
    "9 the normalized copy or the result cannot be written (disk full); "
    "130/143/129 interrupted/terminated/hung up; 141 output pipe closed.\n\n"
    "trace-summary is found by: --trace-summary, $CONN_SUMMARY_TRACE_SUMMARY, the vendored copy "
    "(make setup), trace-summary on PATH, /opt/zeek/bin, /usr/local/zeek/bin, /opt/bro/bin, "
    "/usr/local/bro/bin."
)


class OutputFormat(str, Enum):
    auto = "auto"
    rich = "rich"
    plain = "plain"
    json = "json"


class Sections(str, Enum):
    total = "total"
    all = "all"


class Only(str, Enum):
    connections = "connections"
    bytes = "bytes"


class PassthroughCommand(typer.core.TyperCommand):
    """Keeps everything after the first ``--`` for trace-summary (THT's calling convention)."""

    def parse_args(self, ctx: Any, args: List[str]) -> List[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta["passthrough"] = tuple(args[cut + 1:])
            args = args[:cut]
        else:
            ctx.meta["passthrough"] = ()
        given = list(args)  # click consumes the list it parses
        try:
            return super().parse_args(ctx, args)
        except Exception as exc:
            # click's NoSuchOption, matched by name: newer Typer vendors its own click.
            # `conn-summary -dash.log` reads the file name as options (and after `--` it
            # would go to trace-summary): say how to name it.
            if type(exc).__name__ == "NoSuchOption" and isinstance(getattr(exc, "message", None), str):
                named = [a for a in given if a.startswith("-") and a != "-" and os.path.isfile(a)]
                if named:
                    exc.message += f" (to summarize the file {named[0]}, write ./{named[0]})"
            raise

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Typer lists the argument as ``FILE <list[str]>`` (its Python type); show it as the
        usage line does, ``[FILE]...``, the way Unix usages read."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((" ".join(param.get_usage_pieces(ctx)), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


app = typer.Typer(
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Terminated(BaseException):
    """Raised from the SIGTERM/SIGHUP handler so cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_terminate(signum: int, frame: Any) -> None:
    raise Terminated(signum)


# Signals that end a run like SIGTERM (cleanup, children ended, exit 128 + the signal).
_TERMINATING = (signal.SIGTERM, signal.SIGHUP)


def _install_terminate_handlers() -> dict[int, Any]:
    """Our handler for SIGTERM and SIGHUP, unless the signal is ignored (nohup): the old
    handlers, to put back."""
    previous = {}
    for sig in _TERMINATING:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, _on_terminate)
    return previous


def _err(message: str) -> None:
    try:
        sys.stderr.write(f"conn-summary: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # stderr closed or gone: the exit code still tells


def _version_report(trace_summary: Optional[str]) -> str:
    """The --version text: our version, the engine a run would use and SubnetTree's state.

    It reports and always succeeds (--version must work on a broken install, to say
    what is broken); judging the install is --check's job, with exit 7 or 8."""
    from conn_summary import engine as engine_mod

    lines = [f"conn-summary {__version__}"]
    try:
        # The same resolution as a run: --trace-summary, then the environment, then the rest.
        info = engine_mod.locate(trace_summary)
        lines.append(f"trace-summary {info.version} ({info.path}, found via {info.source})")
    except ConnSummaryError as exc:
        lines.append(f"trace-summary: not found ({exc.message})")
    try:
        engine_mod.check_subnettree()
        lines.append("SubnetTree: available")
    except ConnSummaryError as exc:
        lines.append(f"SubnetTree: missing ({exc.hint or exc.message})")
    return "\n".join(lines) + "\n"


def _reject_empty(values: dict[str, Any]) -> None:
    """An empty option value is a usage error, never "option not given": scripts write
    ``--host "$H"``, and with H unset a silent no-op would summarize the wrong traffic."""
    for option, value in values.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None and not item.strip():
                raise UsageError(f"{option}: empty value",
                                 hint=f"give {option} a value (is a shell variable unset?) or leave it out")


def _write_all(stream: Any, text: str) -> None:
    """Write ``text`` to ``stream`` completely, or raise (BrokenPipeError when the reader left).

    Under PYTHONUNBUFFERED=1 (common in container images) a text stream's binary layer is
    the raw file, and TextIOWrapper.write drops whatever a short write(2) did not take: a
    reader that leaves mid-write makes write(2) return a partial count instead of EPIPE, so
    the rest vanished with exit 0. Writing the bytes ourselves, looping on short writes,
    makes the next write fail with EPIPE as it must.
    """
    binary = getattr(stream, "buffer", None)
    if binary is None:  # a stream without a byte layer (StringIO): nothing can be cut short
        stream.write(text)
        stream.flush()
        return
    try:
        stream.flush()  # whatever went through the text layer first stays first
        encoding = getattr(stream, "encoding", None) or "utf-8"
        data = memoryview(text.encode(encoding, getattr(stream, "errors", None) or "strict"))
        while data:
            written = binary.write(data)
            if written is None:  # a non-blocking stdout that is full: wait until it drains
                select.select([], [binary.fileno()], [])
                continue
            data = data[written:]
        binary.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:  # a full disk, /dev/full, an I/O error: not a closed pipe
        raise WriteError(f"cannot write the result: {exc.strerror or exc}") from exc


class _WholeWrites:
    """A stdout proxy for writers we do not control (rich's Console, --check): every
    write goes through _write_all; isatty, fileno, encoding and the rest are stdout's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        _write_all(self._stream, text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _write_stdout(text: str) -> None:
    _write_all(sys.stdout, text)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # None (closed at start) or closed file
        return False


def _stdin_binary() -> Any:
    return getattr(sys.stdin, "buffer", sys.stdin)


def _no_connections(summary: Any) -> bool:
    for p in summary.passes:
        total = p.total
        if total is not None and total.connections > 0:
            return False
    return summary.inputs.other_total == 0


def _print_summary(summary: Any, fmt: str, sections: str, explain: bool, resolve: bool) -> None:
    if fmt == "json":
        from conn_summary.render.json import render_json

        _write_stdout(render_json(summary))
    elif fmt == "rich":
        from rich.console import Console

        from conn_summary.render.rich import render_rich

        class StdoutConsole(Console):
            def on_broken_pipe(self) -> None:
                # rich's own handler ends the process with exit 1; hand the error to
                # _guarded instead, which ends quietly with the documented 141.
                self.quiet = True
                raise BrokenPipeError()

        StdoutConsole(file=_WholeWrites(sys.stdout)).print(
            render_rich(summary, explain=explain, sections=sections))
        sys.stdout.flush()
    else:
        from conn_summary.render.plain import render_plain

        text = render_plain(summary, sections=sections)
        if resolve:
            from conn_summary.resolve import names_block

            text += names_block(summary)
        _write_stdout(text)


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _stop_engine() -> None:
    try:
        from conn_summary import engine as engine_mod

        engine_mod.stop_running()
    except Exception:  # cleanup must never mask the real outcome
        pass


def _guarded(command: Callable[..., None]) -> Callable[..., None]:
    """Map every way a run can end to its exit code, inside the command, so that the
    console script and typer.testing.CliRunner behave the same."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        debug = bool(kwargs.get("debug"))
        previous = _install_terminate_handlers() if _main_thread() else {}
        try:
            command(*args, **kwargs)
        except typer.Exit:
            raise
        except ConnSummaryError as exc:
            _report_error(exc, debug)
            raise typer.Exit(exc.exit_code)
        except BrokenPipeError:
            _stop_engine()
            _silence_stdout()
            raise typer.Exit(ExitCode.BROKEN_PIPE)
        except KeyboardInterrupt:
            _stop_engine()
            _err("interrupted")
            raise typer.Exit(ExitCode.SIGINT)
        except Terminated as stop:
            _stop_engine()
            raise typer.Exit(128 + stop.signum)

        except Exception as exc:  # a bug: one line, traceback only on request
            if debug:
                import traceback

                traceback.print_exc(file=sys.stderr)
            else:
                _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
            raise typer.Exit(ExitCode.INTERNAL)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return wrapper


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _report_error(exc: ConnSummaryError, debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    _err(f"error: {exc.message}")
    tail = getattr(exc, "stderr_tail", "")
    if tail:
        for line in tail.rstrip("\n").splitlines():
            sys.stderr.write(f"  | {line}\n")
    if exc.hint:
        _err(f"hint: {exc.hint}")


@app.command(cls=PassthroughCommand, epilog=EPILOG)
@_guarded
def conn_summary(
    ctx: typer.Context,
    files: Optional[List[str]] = typer.Argument(
        None, metavar="FILE",
        help="conn.log files or Zeek log directories (plain, gzip, bzip2, xz, zstd; TSV or JSON); "
             "'-' or none: standard input. Options after '--' go to trace-summary."),
    all_traffic: bool = typer.Option(False, "-a", "--all",
                                     help="All traffic: keep internal-only connections and noise nets."),
    top: Optional[int] = typer.Option(None, "-n", "--top", min=1, metavar="N", help="Show the top N of each list (default 10)."),
    local_nets: List[str] = typer.Option(
        [], "--local-nets", metavar="CIDR|FILE",
        help="Local networks (repeatable; CIDRs, comma lists or files of 'CIDR [label]' lines). "
             "Replaces the defaults (RFC 1918, fe80::/10, fc00::/7); add 'default' to extend them."),
    exclude_nets: List[str] = typer.Option(
        [], "--exclude-nets", metavar="CIDR|FILE",
        help="Networks to leave out (repeatable, as --local-nets). Replaces the default noise nets "
             "(0.0.0.0/32, 127/8, 169.254/16, 224/4, broadcast, ::1, ff00::/8); 'default' extends them."),
    tcp: bool = typer.Option(False, "--tcp", help="Only TCP connections."),
    udp: bool = typer.Option(False, "--udp", help="Only UDP connections."),
    ports: Optional[str] = typer.Option(
        None, "--ports", metavar="LIST|FILE",
        help="trace-summary's port list: the Ports column counts ports below 1024 plus these "
             "(e.g. 8080,3128, or a file of ports by line; '#' starts a comment)."),
    host: List[str] = typer.Option(
        [], "--host", metavar="ADDR|CIDR",
        help="Only connections involving this host or network (repeatable: connections between them)."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="TIME",
        help="Only connections starting at or after TIME (ISO 8601, epoch, or YYYY-MM-DD-HH-MM-SS; UTC unless a zone is given)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="TIME",
                                        help="Only connections starting before TIME (as --since)."),
    utc: bool = typer.Option(False, "--utc", help="Print times in UTC whatever TZ says."),
    intervals: Optional[str] = typer.Option(
        None, "--intervals", metavar="LEN",
        help="Also summarize per interval of LEN (seconds, or with an m/h/d suffix: 30m, 1h, 1d)."),
    sections: Sections = typer.Option(
        Sections.total, "--sections",
        help="total: the Total sections (THT); all: also local networks, Incoming and Outgoing."),
    only: Optional[Only] = typer.Option(None, "--only", help="Run only one pass: connections or bytes."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.auto, "--format", "-f",
        help="auto: rich on a terminal, plain otherwise; plain: THT's text; json: schema-versioned document."),
    plain: bool = typer.Option(False, "--plain", help="Same as --format plain (not with another --format)."),
    resolve: bool = typer.Option(
        False, "--resolve",
        help="Reverse DNS of the top sources and destinations (all lookups share a 2 s deadline)."),
    explain: bool = typer.Option(False, "--explain", help="Rich output: explain the states and services shown."),
    strict: bool = typer.Option(False, "--strict", help="Exit 6 if any input line was skipped (after printing the summary)."),
    fail_on_empty: bool = typer.Option(False, "--fail-on-empty",
                                       help="Exit 5 if the summary holds no connection."),
    check: bool = typer.Option(False, "--check",
                               help="Check the engine, SubnetTree and a round trip on the bundled sample, then exit."),
    trace_summary: Optional[str] = typer.Option(None, "--trace-summary", metavar="PATH",
                                                help="The trace-summary script to run."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress",
        help="Progress on stderr for a large input: a bar on a terminal, plain lines elsewhere "
             "(default: only when stderr is a terminal)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
    # Not eager: --version must see --trace-summary wherever it stands on the command line.
    version: bool = typer.Option(False, "--version", "-V",
                                 help="Show the version, which trace-summary a run would use, and "
                                      "whether it and SubnetTree are there (--check judges)."),
) -> None:
    """Summarize Zeek conn.log files: top ports, sources, destinations, services, protocols
    and states, by connections and by bytes, for traffic crossing the network edge."""
    passthrough: tuple = ctx.meta.get("passthrough", ())
    if sys.stdout is None:
        # Started with stdout closed (`>&-`): nobody can read a result; end as for EPIPE.
        raise BrokenPipeError()
    _reject_empty({"--host": host, "--since": since, "--until": until, "--local-nets": local_nets,
                   "--exclude-nets": exclude_nets, "--ports": ports, "--trace-summary": trace_summary,
                   "--intervals": intervals})
    if version:
        _write_stdout(_version_report(trace_summary))
        raise typer.Exit(ExitCode.OK)
    if check:
        from conn_summary.check import run_check

        raise typer.Exit(run_check(trace_summary, _WholeWrites(sys.stdout)))

    paths = list(files or [])
    if not paths:
        if sys.stdin is None or _is_terminal(sys.stdin):
            typer.echo(ctx.get_help())
            raise typer.Exit(ExitCode.USAGE)
        paths = ["-"]
    if tcp and udp:
        raise UsageError("--tcp and --udp exclude each other")
    if plain:
        if output_format not in (OutputFormat.auto, OutputFormat.plain):
            # Two different answers to "which output?": refuse rather than pick one.
            raise UsageError(f"--plain and --format {output_format.value} exclude each other",
                             hint="--plain is the same as --format plain: give one of them")
        output_format = OutputFormat.plain
    fmt = output_format.value
    if fmt == "auto":
        fmt = "rich" if _is_terminal(sys.stdout) else "plain"

    from conn_summary.request import build_request

    request = build_request(
        paths=paths, all_traffic=all_traffic, top=top, local_nets=local_nets,
        exclude_nets=exclude_nets, tcp=tcp, udp=udp, ports=ports, hosts=host, since=since,
        until=until, utc=utc, intervals=intervals, sections=sections.value,
        only=only.value if only else None, output_format=fmt, resolve=resolve,
        trace_summary=trace_summary,
        passthrough=passthrough,
    )
    from conn_summary.progress import ProgressReporter
    from conn_summary.summarize import summarize

    err_terminal = _is_terminal(sys.stderr)
    show_progress = progress if progress is not None else err_terminal
    # Forced on a non-terminal: plain lines, not a bar's cursor moves.
    with ProgressReporter(paths, enabled=show_progress, interactive=err_terminal,
                          stream=sys.stderr) as reporter:
        outcome = summarize(request, stdin=_stdin_binary(), progress=reporter.advance,
                            line_progress=reporter.lines_read,
                            on_engine_start=reporter.engine_started)
    summary = outcome.summary
    for note in outcome.notes:
        _err(note)
    if resolve:
        from conn_summary.resolve import with_names

        summary = with_names(summary)

    shown = sections.value
    if intervals and shown == "total":
        # Per-interval totals are what --intervals asks for: show them before the Total.
        shown = "interval,total"
    _print_summary(summary, fmt, shown, explain, resolve)

    if fail_on_empty and _no_connections(summary):
        raise NoConnectionsError("the summary holds no connection (--fail-on-empty)")
    if strict and summary.inputs.skipped_total:
        raise StrictError(f"{summary.inputs.skipped_total} input line(s) were skipped (--strict)")


def main() -> None:
    """Console-script entry point."""
    try:
        app(prog_name="conn-summary")
    except BrokenPipeError:  # raised by a late flush, after the command returned
        _silence_stdout()
        sys.exit(ExitCode.BROKEN_PIPE)
