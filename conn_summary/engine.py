"""Finding and running the upstream trace-summary script (the engine).

This is the only module that starts a subprocess. It owns:
- the resolution order of the engine (``locate``) and the SubnetTree check;
- turning an ``EngineRequest`` into trace-summary's argv and net files;
- running the connections and bytes passes concurrently with the ``sh`` package,
  sorting their stderr into counted noise and kept warnings, and raising
  ``EngineFailedError`` (never printing) when a pass fails;
- a registry of running children so the CLI can end them on SIGINT/SIGTERM.

Resolution order of ``locate`` (first hit wins):
1. the ``--trace-summary`` flag (``explicit``);
2. the environment variable ``CONN_SUMMARY_TRACE_SUMMARY``;
3. the vendored copy ``vendor/trace-summary/bin/trace-summary`` (``make setup`` fetches it);
4. ``trace-summary`` on ``PATH``;
5. the Zeek prefixes ``/opt/zeek/bin``, ``/usr/local/zeek/bin``, ``/opt/bro/bin``, ``/usr/local/bro/bin``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

import sh

from conn_summary.errors import EngineFailedError, EngineMissingError
from conn_summary.interrupts import Held, hold_signals
from conn_summary.model import PASS_BYTES, PASS_CONNECTIONS, EngineInfo

ENV_VAR = "CONN_SUMMARY_TRACE_SUMMARY"
SCRIPT_NAME = "trace-summary"
REPO_ROOT = Path(__file__).resolve().parents[1]
VENDORED = REPO_ROOT / "vendor" / "trace-summary" / "bin" / SCRIPT_NAME
ZEEK_PREFIXES: tuple[str, ...] = ("/opt/zeek/bin", "/usr/local/zeek/bin", "/opt/bro/bin", "/usr/local/bro/bin")
SUBNETTREE_HINT = "pip install 'pysubnettree>=0.38.1'"
MISSING_HINT = f"run `make setup` (fetches the pinned copy), or set {ENV_VAR} to a trace-summary script"
STDERR_TAIL_LINES = 5

# The script carries its version as `VERSION = "0.93"`; reading it avoids starting Python.
_VERSION_RE = re.compile(r'''^VERSION\s*=\s*["']([^"']+)["']''', re.MULTILINE)


# ---------------------------------------------------------------------------
# Locating the engine


def read_version(path: Path) -> str:
    """The script's VERSION string, read from its text (never by running it); "unknown" if absent."""
    try:
        with open(path, "rb") as f:
            head = f.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return "unknown"
    m = _VERSION_RE.search(head)
    return m.group(1) if m else "unknown"


def _info(path: Path, source: str) -> EngineInfo:
    return EngineInfo(path=str(path), version=read_version(path), source=source)


def locate(explicit: Optional[str] = None, *,
           environ: Optional[Mapping[str, str]] = None,
           vendored: Optional[Path] = None,
           search_path: Optional[str] = None,
           prefixes: Optional[Sequence[str]] = None) -> EngineInfo:
    """Find trace-summary by the documented order (see the module docstring).

    The keyword-only arguments exist for tests; callers pass only ``explicit``.
    A flag or environment value naming a missing file is an error (we never fall
    back silently from something the user asked for).
    """
    env = os.environ if environ is None else environ
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise EngineMissingError(f"trace-summary not found at {explicit} (given with --trace-summary)",
                                     hint=MISSING_HINT)
        return _info(p, "flag")
    from_env = env.get(ENV_VAR)
    if from_env:
        p = Path(from_env).expanduser()
        if not p.is_file():
            raise EngineMissingError(f"trace-summary not found at {from_env} (from {ENV_VAR})",
                                     hint=MISSING_HINT)
        return _info(p, "env")
    v = VENDORED if vendored is None else vendored
    if v.is_file():
        return _info(v, "vendored")
    on_path = shutil.which(SCRIPT_NAME, path=search_path if search_path is not None else env.get("PATH"))
    if on_path:
        return _info(Path(on_path), "PATH")
    for prefix in (ZEEK_PREFIXES if prefixes is None else prefixes):
        p = Path(prefix) / SCRIPT_NAME
        if p.is_file():
            return _info(p, "prefix")
    raise EngineMissingError("trace-summary not found (flag, environment, vendored copy, PATH, Zeek prefixes)",
                             hint=MISSING_HINT)


def check_subnettree(module: str = "SubnetTree") -> None:
    """Make sure the engine's SubnetTree import will work in this interpreter.

    The engine runs as ``[sys.executable, script]``, so this process's import
    path is the one that matters. find_spec is cheap; the real import also
    catches a broken build (e.g. a compiled module for another Python).
    """
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise EngineMissingError(f"the {module} module (pysubnettree) is not installed for {sys.executable}",
                                 hint=SUBNETTREE_HINT)
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken binary module raises anything from ImportError to OSError
        raise EngineMissingError(f"the {module} module (pysubnettree) cannot be imported: {exc}",
                                 hint=SUBNETTREE_HINT) from exc


# ---------------------------------------------------------------------------
# Requests and results


@dataclass(frozen=True)
class EngineRequest:
    """What to ask trace-summary for; nets are "CIDR" or "CIDR label" strings."""

    canonical: Path                           # the normalized TSV (a real file, never a pipe)
    workdir: Path                             # private temp dir for the net files
    local_nets: tuple[str, ...] = ()
    exclude_nets: Optional[tuple[str, ...]] = None   # None: no --exclude-nets
    external: bool = True
    top: Optional[int] = None
    extra_args: tuple[str, ...] = ()          # passed through after ours (after `--` on our CLI)
    utc: bool = False
    tcp: bool = False
    udp: bool = False
    ports_file: Optional[Path] = None
    intervals: Optional[str] = None
    resolve: bool = False


@dataclass(frozen=True)
class EngineRun:
    """One finished pass: its argv, stdout text and sorted stderr."""

    argv: tuple[str, ...]
    text: str
    warnings: tuple[str, ...] = ()            # stderr lines that are neither noise nor corrupt lines
    bandwidth_warnings: int = 0               # "... exceeds bandwidth" lines (counted, not kept)
    corrupt_lines: int = 0                    # "Ignoring corrupt line" / "Invalid ... on line"


def _write_nets(path: Path, nets: Iterable[str]) -> Path:
    # trace-summary's readNetworks: one "CIDR [label]" per line.
    path.write_text("".join(f"{n.strip()}\n" for n in nets if n.strip()), encoding="utf-8")
    return path


def write_net_files(request: EngineRequest) -> tuple[Path, Optional[Path]]:
    """Write the local and exclude net files into the request's workdir."""
    local = _write_nets(request.workdir / "local.nets", request.local_nets)
    exclude = None
    if request.exclude_nets is not None:
        exclude = _write_nets(request.workdir / "exclude.nets", request.exclude_nets)
    return local, exclude


def build_argv(engine: EngineInfo, request: EngineRequest, pass_name: str,
               local_file: Path, exclude_file: Optional[Path]) -> list[str]:
    """The full argv of one pass, interpreter first (the shebang may name a Python without SubnetTree)."""
    if pass_name not in (PASS_CONNECTIONS, PASS_BYTES):
        raise ValueError(f"unknown pass {pass_name!r}")
    argv = [sys.executable, engine.path, "--conn-summaries", "--local-nets", str(local_file)]
    if request.external:
        argv.append("--external")
    if exclude_file is not None:
        argv += ["--exclude-nets", str(exclude_file)]
    if pass_name == PASS_BYTES:
        argv.append("-b")
    if request.top is not None:
        argv += ["-n", str(request.top)]
    if request.tcp:
        argv.append("-t")
    if request.udp:
        argv.append("-u")
    if request.ports_file is not None:
        argv += ["-p", str(request.ports_file)]
    if request.intervals:
        argv += ["-i", str(request.intervals)]
    if request.resolve:
        argv.append("-r")
    argv += list(request.extra_args)
    argv.append(str(request.canonical))
    return argv


def engine_env(utc: bool, base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The pinned environment: C locale, UTF-8 stdio, TZ=UTC only when asked (else the user's TZ)."""
    env = dict(os.environ if base is None else base)
    env["LC_ALL"] = "C"
    env["PYTHONIOENCODING"] = "utf-8"
    if utc:
        env["TZ"] = "UTC"
    return env


_BANDWIDTH = "exceeds bandwidth"
_CORRUPT = ("Ignoring corrupt line", "Invalid starting time on line", "Invalid duration on line")


def classify_stderr(stderr: str) -> tuple[tuple[str, ...], int, int]:
    """Split stderr into (kept warnings, bandwidth-noise count, corrupt-line count)."""
    warnings: list[str] = []
    bandwidth = corrupt = 0
    for line in stderr.splitlines():
        if not line.strip():
            continue
        if line.endswith(_BANDWIDTH):
            bandwidth += 1
        elif line.startswith(_CORRUPT):
            corrupt += 1
        else:
            warnings.append(line)
    return tuple(warnings), bandwidth, corrupt


def stderr_tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    """The last few meaningful stderr lines (bandwidth noise left out)."""
    kept = [ln for ln in stderr.splitlines() if ln.strip() and not ln.endswith(_BANDWIDTH)]
    return "\n".join(kept[-lines:])


# ---------------------------------------------------------------------------
# Running, with a registry so signals can end every child

_running: dict[int, "sh.RunningCommand"] = {}   # by id(): RunningCommand is unhashable
_running_lock = threading.Lock()
_POLL_SECONDS = 0.01


def _register(proc: "sh.RunningCommand") -> None:
    with _running_lock:
        _running[id(proc)] = proc


def _unregister(proc: "sh.RunningCommand") -> None:
    with _running_lock:
        _running.pop(id(proc), None)


def _end(proc: "sh.RunningCommand", sig: int = signal.SIGTERM) -> None:
    """Signal a child's process group (it runs in its own group, see run_passes)."""
    try:
        if proc.process.is_alive()[0]:
            proc.process.signal_group(sig)
    except (OSError, ProcessLookupError):
        pass  # already gone


def stop_running(grace: float = 1.0) -> None:
    """End every running engine child: SIGTERM, then SIGKILL after ``grace`` seconds.

    Safe to call from a signal handler or another thread, and when nothing runs.
    """
    with _running_lock:
        procs = list(_running.values())
    for p in procs:
        _end(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        while time.monotonic() < deadline:
            try:
                if not p.process.is_alive()[0]:
                    break
            except OSError:
                break
            time.sleep(_POLL_SECONDS)
        else:
            _end(p, signal.SIGKILL)


terminate_all = stop_running  # the other name the design mentions


def running_count() -> int:
    """How many engine children are registered (tests check nothing is left behind)."""
    with _running_lock:
        return len(_running)


def _start(argv: list[str], env: dict[str, str]) -> "sh.RunningCommand":
    cmd = sh.Command(argv[0])
    return cmd(*argv[1:],
               _bg=True, _bg_exc=False,          # we wait and report ourselves
               _env=env,
               _tty_out=False,                   # a pipe: exact bytes, no terminal translation
               _new_group=True,                  # so stop_running can end it with any children
               _ok_code=list(range(256)),        # exit codes are judged here, not by sh
               _decode_errors="replace",
               _truncate_exc=False)


def _returncode(proc: "sh.RunningCommand") -> int:
    try:
        proc.wait()
    except sh.ErrorReturnCode as exc:  # killed by a signal: sh raises SignalException
        return int(exc.exit_code)
    return int(proc.exit_code)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _failure(engine: EngineInfo, pass_name: str, argv: list[str], code: int, err: str) -> EngineFailedError:
    tail = stderr_tail(err)
    last = tail.splitlines()[-1] if tail else "no error output"
    how = f"exit status {code}" if code >= 0 else f"signal {-code}"
    message = (f"trace-summary {engine.version} ({engine.path}) failed in the {pass_name} pass "
               f"({how}): {last}")
    return EngineFailedError(message, argv=argv, returncode=code, stderr_tail=tail,
                             hint="the engine's own error is above; another trace-summary can be "
                                  f"chosen with --trace-summary or {ENV_VAR}")


def run_passes(engine: EngineInfo, request: EngineRequest,
               passes: Sequence[str] = (PASS_CONNECTIONS, PASS_BYTES)) -> dict[str, EngineRun]:
    """Run the requested passes concurrently; return their results by pass name.

    The first pass that fails raises EngineFailedError after every other pass
    has been ended (no orphan child, no half report). An exception in this
    thread (KeyboardInterrupt, ...) also ends the children before propagating.
    """
    local_file, exclude_file = write_net_files(request)
    env = engine_env(request.utc)
    argvs = {name: build_argv(engine, request, name, local_file, exclude_file) for name in passes}
    # Ctrl-C/SIGTERM take effect at held.check() below, never inside a fork or sh's locks.
    with hold_signals() as held:
        return _run(engine, argvs, env, held)


def _run(engine: EngineInfo, argvs: dict[str, list[str]], env: dict[str, str],
         held: Held) -> dict[str, EngineRun]:
    procs: dict[str, "sh.RunningCommand"] = {}
    try:
        for name, argv in argvs.items():
            held.check()
            try:
                procs[name] = _start(argv, env)
            except (OSError, sh.CommandNotFound) as exc:
                raise EngineFailedError(
                    f"trace-summary {engine.version} ({engine.path}) could not be started: {exc}",
                    argv=argv, returncode=-1, stderr_tail="") from exc
            _register(procs[name])
        # Poll rather than block on one child, so a failure of either is seen at once.
        pending = dict(procs)
        while pending:
            held.check()
            for name, proc in list(pending.items()):
                if proc.process.is_alive()[0]:
                    continue
                del pending[name]
                code = _returncode(proc)
                if code != 0:
                    err = _decode(proc.process.stderr)
                    raise _failure(engine, name, argvs[name], code, err)
            if pending:
                time.sleep(_POLL_SECONDS)
        results: dict[str, EngineRun] = {}
        for name, proc in procs.items():
            warnings, bandwidth, corrupt = classify_stderr(_decode(proc.process.stderr))
            results[name] = EngineRun(argv=tuple(argvs[name]), text=_decode(proc.process.stdout),
                                      warnings=warnings, bandwidth_warnings=bandwidth,
                                      corrupt_lines=corrupt)
        return results
    finally:
        # On success this is a no-op; on failure or interrupt it ends the others.
        for proc in procs.values():
            _end(proc, signal.SIGKILL)
            try:
                proc.process.wait()
            except Exception:
                pass
            _unregister(proc)
