"""Tests of conn_summary.engine: locating trace-summary, the SubnetTree check, argv and
environment, stderr sorting, and running passes (with stub engines, and the real one)."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import CASES, ENGINE, require_engine, require_shared
from conn_summary import engine as eng
from conn_summary.errors import EngineFailedError, EngineMissingError, ExitCode
from conn_summary.model import EngineInfo
from helpers_engine import INPUTS, SCENARIOS, recorded, run_scenario


def _script(path: Path, body: str, version: str = "9.99") -> Path:
    path.write_text(f'#!/usr/bin/env python3\nVERSION = "{version}" # Automatically filled in.\n'
                    + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def _request(tmp_path: Path, **kw) -> eng.EngineRequest:
    canonical = tmp_path / "conn.log"
    canonical.write_text((INPUTS / "base.log").read_text())
    args = dict(canonical=canonical, workdir=tmp_path, local_nets=("10.0.0.0/8 corp", "fe80::/10"),
                exclude_nets=("127.0.0.0/8",), external=True)
    args.update(kw)
    return eng.EngineRequest(**args)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running; /proc tells (Linux); elsewhere assume alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


# --- locate -----------------------------------------------------------------------------


def test_locate_flag_reads_version_without_running(tmp_path):
    # The stub would fail if run; locate only reads its VERSION line.
    s = _script(tmp_path / "ts", "raise SystemExit(3)\n", version="1.2.3")
    info = eng.locate(str(s), environ={}, vendored=tmp_path / "none", search_path="", prefixes=())
    assert info == EngineInfo(path=str(s), version="1.2.3", source="flag")


def test_locate_missing_flag_names_it(tmp_path):
    with pytest.raises(EngineMissingError) as exc:
        eng.locate(str(tmp_path / "nope"), environ={})
    assert str(tmp_path / "nope") in exc.value.message
    assert "--trace-summary" in exc.value.message
    assert exc.value.exit_code == ExitCode.ENGINE_MISSING


def test_locate_env_before_vendored(tmp_path):
    s = _script(tmp_path / "ts", "")
    vend = _script(tmp_path / "vendored", "")
    info = eng.locate(None, environ={eng.ENV_VAR: str(s)}, vendored=vend)
    assert (info.source, info.path) == ("env", str(s))


def test_locate_missing_env_names_variable(tmp_path):
    with pytest.raises(EngineMissingError) as exc:
        eng.locate(None, environ={eng.ENV_VAR: str(tmp_path / "gone")})
    assert eng.ENV_VAR in exc.value.message and "gone" in exc.value.message


def test_locate_order_vendored_path_prefix(tmp_path):
    vend = _script(tmp_path / "vendored", "")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    on_path = _script(bindir / "trace-summary", "")
    prefix = tmp_path / "opt-zeek-bin"
    prefix.mkdir()
    in_prefix = _script(prefix / "trace-summary", "")
    kw = dict(environ={}, search_path=str(bindir), prefixes=(str(prefix),))
    assert eng.locate(None, vendored=vend, **kw).source == "vendored"
    info = eng.locate(None, vendored=tmp_path / "absent", **kw)
    assert (info.source, info.path) == ("PATH", str(on_path))
    kw["search_path"] = str(tmp_path / "empty")
    info = eng.locate(None, vendored=tmp_path / "absent", **kw)
    assert (info.source, info.path) == ("prefix", str(in_prefix))


def test_locate_nothing_found_hints(tmp_path):
    with pytest.raises(EngineMissingError) as exc:
        eng.locate(None, environ={}, vendored=tmp_path / "absent", search_path=str(tmp_path),
                   prefixes=(str(tmp_path),))
    assert "make setup" in exc.value.hint and eng.ENV_VAR in exc.value.hint


def test_read_version_unknown(tmp_path):
    p = tmp_path / "ts"
    p.write_text("print('no version here')\n")
    assert eng.read_version(p) == "unknown"
    assert eng.read_version(tmp_path / "missing") == "unknown"


def test_vendored_location_is_repo_relative():
    assert eng.VENDORED == Path(eng.__file__).resolve().parents[1] / "vendor/trace-summary/bin/trace-summary"


# --- SubnetTree -------------------------------------------------------------------------


def test_check_subnettree_ok():
    eng.check_subnettree()


def test_check_subnettree_missing_has_pip_hint():
    with pytest.raises(EngineMissingError) as exc:
        eng.check_subnettree("SubnetTree_does_not_exist_xyz")
    assert exc.value.hint == "pip install 'pysubnettree>=0.38.1'"


def test_check_subnettree_broken_import(tmp_path, monkeypatch):
    (tmp_path / "BrokenTree_xyz.py").write_text("raise OSError('wrong ELF class')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(EngineMissingError) as exc:
        eng.check_subnettree("BrokenTree_xyz")
    assert "wrong ELF class" in exc.value.message and "pysubnettree" in exc.value.hint


# --- argv, env, stderr ------------------------------------------------------------------


def test_build_argv_shapes(tmp_path):
    info = EngineInfo(path="/x/trace-summary", version="0.93", source="flag")
    req = eng.EngineRequest(canonical=Path("/w/conn.log"), workdir=tmp_path, local_nets=("10.0.0.0/8",),
                            exclude_nets=("127.0.0.0/8",), external=True, top=20,
                            extra_args=("-m",), intervals="1h", tcp=True)
    local, excl = eng.write_net_files(req)
    conns = eng.build_argv(info, req, "connections", local, excl)
    assert conns == [sys.executable, "/x/trace-summary", "--conn-summaries", "--local-nets", str(local),
                     "--external", "--exclude-nets", str(excl), "-n", "20", "-t", "-i", "1h", "-m",
                     "/w/conn.log"]
    byts = eng.build_argv(info, req, "bytes", local, excl)
    assert byts == conns[:8] + ["-b"] + conns[8:]
    assert local.read_text() == "10.0.0.0/8\n" and excl.read_text() == "127.0.0.0/8\n"
    plain = eng.EngineRequest(canonical=Path("/w/c"), workdir=tmp_path, external=False)
    local, excl = eng.write_net_files(plain)
    assert excl is None
    assert eng.build_argv(info, plain, "connections", local, excl) == [
        sys.executable, "/x/trace-summary", "--conn-summaries", "--local-nets", str(local), "/w/c"]


def test_engine_env_pins_locale_and_tz():
    env = eng.engine_env(True, base={"TZ": "Europe/Berlin", "LC_ALL": "de_DE.UTF-8", "HOME": "/h"})
    assert env == {"TZ": "UTC", "LC_ALL": "C", "PYTHONIOENCODING": "utf-8", "HOME": "/h"}
    assert eng.engine_env(False, base={"TZ": "Europe/Berlin"})["TZ"] == "Europe/Berlin"
    assert "TZ" not in eng.engine_env(False, base={})


def test_classify_stderr():
    err = ("UID CAbc1 originator exceeds bandwidth\n1714564800.000000 originator exceeds bandwidth\n"
           "Ignoring corrupt line: a\tb\nInvalid starting time on line: x\nInvalid duration on line: y\n"
           "Can't parse local network 'bogus'\n\n")
    assert eng.classify_stderr(err) == (("Can't parse local network 'bogus'",), 2, 3)


# --- running (stub engines) -------------------------------------------------------------

_ECHO = """
import json, os, sys
print("\\n>== Total === N/A - N/A")
print(json.dumps({"argv": sys.argv[1:], "tz": os.environ.get("TZ"), "lc": os.environ.get("LC_ALL")}))
for i in range(3):
    print("UID C%d originator exceeds bandwidth" % i, file=sys.stderr)
print("Ignoring corrupt line: junk", file=sys.stderr)
print("Can't parse exclude network 'x'", file=sys.stderr)
"""


def test_run_passes_stub_success(tmp_path):
    import json
    info = EngineInfo(path=str(_script(tmp_path / "ts", _ECHO)), version="9.99", source="flag")
    runs = eng.run_passes(info, _request(tmp_path, utc=True))
    assert set(runs) == {"connections", "bytes"}
    for name, run in runs.items():
        payload = json.loads(run.text.splitlines()[2])
        assert payload["argv"] == list(run.argv[2:])
        assert ("-b" in payload["argv"]) == (name == "bytes")
        assert payload["argv"][-1] == str(tmp_path / "conn.log")  # the real file, never a pipe
        assert (payload["tz"], payload["lc"]) == ("UTC", "C")
        assert run.bandwidth_warnings == 3 and run.corrupt_lines == 1
        assert run.warnings == ("Can't parse exclude network 'x'",)
    assert (tmp_path / "local.nets").read_text() == "10.0.0.0/8 corp\nfe80::/10\n"
    assert eng.running_count() == 0


def test_run_passes_only_one_pass(tmp_path):
    info = EngineInfo(path=str(_script(tmp_path / "ts", _ECHO)), version="9.99", source="flag")
    assert list(eng.run_passes(info, _request(tmp_path), passes=("bytes",))) == ["bytes"]


_CRASH = """
import sys
def lookup(nets):
    return nets["10.0.0.0/8"].pkts / 0 if False else int("N/A")
print("partial output")
print("1 originator exceeds bandwidth", file=sys.stderr)
lookup({})
"""


def test_stub_engine_crash_is_one_line_error(tmp_path):
    info = EngineInfo(path=str(_script(tmp_path / "ts", _CRASH, version="0.94")), version="0.94",
                      source="flag")
    with pytest.raises(EngineFailedError) as exc:
        eng.run_passes(info, _request(tmp_path))
    err = exc.value
    assert "\n" not in err.message
    assert "trace-summary 0.94" in err.message and info.path in err.message
    assert "ValueError: invalid literal for int()" in err.message
    assert err.returncode == 1 and err.exit_code == ExitCode.ENGINE_FAILED
    assert err.argv[:2] == [sys.executable, info.path]
    tail = err.stderr_tail.splitlines()
    assert 1 < len(tail) <= eng.STDERR_TAIL_LINES and tail[-1].startswith("ValueError")
    assert "exceeds bandwidth" not in err.stderr_tail
    assert eng.running_count() == 0


_SLOW_OR_FAIL = """
import os, sys, time
open(os.path.join(os.path.dirname(sys.argv[-1]), "pid-" + ("b" if "-b" in sys.argv else "c")), "w").write(str(os.getpid()))
if "-b" in sys.argv:
    time.sleep(0.3)
    raise RuntimeError("bytes pass broke")
time.sleep(60)
"""


def test_failure_ends_the_other_pass(tmp_path):
    info = EngineInfo(path=str(_script(tmp_path / "ts", _SLOW_OR_FAIL)), version="9.99", source="flag")
    t0 = time.monotonic()
    with pytest.raises(EngineFailedError) as exc:
        eng.run_passes(info, _request(tmp_path))
    assert time.monotonic() - t0 < 20
    assert "bytes pass" in exc.value.message and "RuntimeError: bytes pass broke" in exc.value.message
    pid = int((tmp_path / "pid-c").read_text())
    assert not _alive(pid), "the connections pass was left running"
    assert eng.running_count() == 0


def test_stop_running_ends_both_children(tmp_path):
    body = """
    import os, sys, time
    open(os.path.join(os.path.dirname(sys.argv[-1]), "pid-" + ("b" if "-b" in sys.argv else "c")), "w").write(str(os.getpid()))
    time.sleep(60)
    """
    info = EngineInfo(path=str(_script(tmp_path / "ts", body)), version="9.99", source="flag")
    outcome: dict = {}

    def run() -> None:
        try:
            eng.run_passes(info, _request(tmp_path))
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            outcome["exc"] = e

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 20
    while not ((tmp_path / "pid-b").exists() and (tmp_path / "pid-c").exists()):
        assert time.monotonic() < deadline, "stub engines did not start"
        time.sleep(0.02)
    time.sleep(0.1)  # let both pid files be written completely
    eng.stop_running()
    t.join(20)
    assert not t.is_alive()
    assert isinstance(outcome.get("exc"), EngineFailedError)
    assert "signal" in outcome["exc"].message
    for f in ("pid-b", "pid-c"):
        assert not _alive(int((tmp_path / f).read_text()))
    assert eng.running_count() == 0


def test_stop_running_with_nothing_running():
    eng.stop_running()
    assert eng.terminate_all is eng.stop_running


def test_engine_not_startable(tmp_path, monkeypatch):
    monkeypatch.setattr(eng.sys, "executable", str(tmp_path / "no-python"))
    info = EngineInfo(path=str(tmp_path / "ts"), version="9.99", source="flag")
    with pytest.raises(EngineFailedError) as exc:
        eng.run_passes(info, _request(tmp_path))
    assert "could not be started" in exc.value.message
    assert eng.running_count() == 0


# --- the real engine --------------------------------------------------------------------


@pytest.mark.engine
def test_real_engine_matches_recorded_outputs():
    """The recorded outputs the parser and renderer tests use are what the engine prints."""
    require_engine()
    info = eng.locate(str(ENGINE))
    assert info.version == "0.93"
    for sc in SCENARIOS.values():
        if sc.resolve:
            continue  # name lookups depend on the network; its shape is covered by test_parse
        runs = run_scenario(sc, info)
        for name, run in runs.items():
            assert run.text == recorded(sc.name, name), (sc.name, name)
            assert run.warnings == ()


@pytest.mark.engine
def test_real_engine_case_08_local_nets(tmp_path):
    """The vendored 0.93 engine handles a local net without connections: 4 connections, 18.2k."""
    require_engine()
    require_shared()
    case = CASES / "08-engine-crash-local-net"
    nets = tuple(ln.strip() for ln in (case / "local.nets").read_text().splitlines() if ln.strip())
    req = eng.EngineRequest(canonical=case / "input.log", workdir=tmp_path, local_nets=nets,
                            exclude_nets=None, external=True, utc=True)
    from conn_summary.parse import parse_report
    runs = eng.run_passes(eng.locate(str(ENGINE)), req)
    for name, run in runs.items():
        total = parse_report(name, run.text, utc=True).total
        assert (total.connections, total.payload_text) == (4.0, "18.2k")
    assert eng.running_count() == 0


@pytest.mark.engine
def test_real_engine_bad_option_fails_cleanly(tmp_path):
    require_engine()
    info = eng.locate(str(ENGINE))
    with pytest.raises(EngineFailedError) as exc:
        eng.run_passes(info, _request(tmp_path, top=-1))
    assert "Top-n value cannot be negative" in exc.value.message
    assert "0.93" in exc.value.message
