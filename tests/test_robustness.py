"""A shell throws things at the command: closed pipes, closed stdout, SIGINT, SIGTERM,
concurrent runs, odd file names. It must end quietly with the conventional code, end
both trace-summary children, and leave no temp file behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CASES, REPO, base_env, require_engine, require_shared, run_cli
from conn_summary.sample import write as write_sample

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def _needs() -> None:
    require_engine()


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough that a run lasts a few seconds, so signals land mid-run."""
    path = tmp_path_factory.mktemp("big") / "conn.log"
    with open(path, "wb") as out:
        write_sample(out, 150_000, seed=7)
    return path


@pytest.fixture
def private_tmp(tmp_path: Path) -> Path:
    d = tmp_path / "tmpdir"
    d.mkdir()
    return d


def _popen(args: list[str], tmpdir: Path, **kw: object) -> subprocess.Popen:
    env = base_env(TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, "-m", "conn_summary", *args], cwd=REPO, env=env,
                            start_new_session=True, **kw)  # type: ignore[arg-type]


def _live_processes(*needles: str) -> list[str]:
    """Command lines of running (not zombie) processes that contain every needle."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and all(n in cmdline for n in needles):
            found.append(cmdline)
    return found


def _children_of_run(tmpdir: Path) -> list[str]:
    """trace-summary processes of this run (their command line names its temp dir)."""
    return _live_processes(str(tmpdir), "trace-summary")


def _processes_reading(log: Path) -> list[str]:
    """conn-summary processes reading `log`: the run itself or its forked workers."""
    return _live_processes("conn_summary", str(log))


def _wait_until(ready, proc: subprocess.Popen, what: str, limit: float = 60) -> None:
    """Poll ready() until it holds; fail if the run ends first or it never does."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {what}")
        time.sleep(0.01)
    pytest.fail(f"never saw {what}")


def _reading(tmpdir: Path) -> bool:
    """The run has written part of its canonical file: the readers are at work."""
    for canonical in tmpdir.glob("conn-summary-*/conn.log"):
        try:
            if canonical.stat().st_size > 2 << 20:
                return True
        except OSError:
            pass
    return False


def _assert_quiet_end(proc: subprocess.Popen, code: int, tmpdir: Path, log: Path) -> None:
    """The conventional code, no traceback, no half report, nothing left behind."""
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()
    assert b"Traceback" not in err and out == b""
    time.sleep(0.2)
    assert _children_of_run(tmpdir) == [] and _processes_reading(log) == []
    assert list(tmpdir.iterdir()) == []


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                      (signal.SIGHUP, 129)])
def test_signal_mid_run(sig: int, code: int, big_log: Path, private_tmp: Path) -> None:
    proc = _popen([str(big_log)], private_tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_until(lambda: _children_of_run(private_tmp), proc, "trace-summary started")
    # Like Ctrl-C at a terminal: the whole process group gets the signal.
    os.killpg(proc.pid, sig)
    _assert_quiet_end(proc, code, private_tmp, big_log)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143),
                                      (signal.SIGHUP, 129)])
@pytest.mark.parametrize("group", [True, False], ids=["group", "process"])
def test_signal_while_reading(sig: int, code: int, group: bool, big_log: Path,
                              private_tmp: Path) -> None:
    """Mid-normalization, with the reading workers busy: same quiet end, nothing left."""
    proc = _popen([str(big_log)], private_tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_until(lambda: _reading(private_tmp), proc, "the run reading its input")
    if group:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    _assert_quiet_end(proc, code, private_tmp, big_log)


def test_stdout_reader_gone(private_tmp: Path) -> None:
    require_shared()
    proc = _popen([str(CASES / "18-exit-status-and-pipes" / "input.log")], private_tmp,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody will read: the first write gets EPIPE
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 141
    assert err == b""
    assert list(private_tmp.iterdir()) == []


def _base_sample_with_stdout(redirect: str, tmpdir: Path) -> subprocess.CompletedProcess:
    """Run on case 18's base sample from a shell, stdout redirected as given."""
    require_shared()
    log = CASES / "18-exit-status-and-pipes" / "input.log"
    cmd = f'"{sys.executable}" -m conn_summary "{log}" {redirect}'
    return subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=REPO,
                          env=base_env(TMPDIR=str(tmpdir)), timeout=60)


def test_closed_stdout(private_tmp: Path) -> None:
    res = _base_sample_with_stdout(">&-", private_tmp)
    assert res.returncode == 141
    assert b"Traceback" not in res.stderr
    assert list(private_tmp.iterdir()) == []


def _env(tmpdir: Path, unbuffered: bool) -> dict:
    env = base_env(TMPDIR=str(tmpdir))
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"  # as many container images set it
    return env


@pytest.mark.parametrize("unbuffered", [True, False], ids=["PYTHONUNBUFFERED", "buffered"])
def test_head_on_big_output_quiet(unbuffered: bool, big_log: Path, private_tmp: Path) -> None:
    # About 400 KB of output against a 64 KiB pipe and a head that reads one block: the
    # output cannot all fit before head leaves, so 0 would mean a cut went unnoticed.
    cmd = (f'"{sys.executable}" -m conn_summary --sections all -n 200 "{big_log}" | head -1; '
           'echo "rc=${PIPESTATUS[0]}"')
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=REPO,
                         env=_env(private_tmp, unbuffered), timeout=120)
    lines = res.stdout.decode().splitlines()
    assert lines[0] == "Connections:"
    assert lines[-1] == "rc=141"
    assert b"Traceback" not in res.stderr and b"Broken" not in res.stderr
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("fmt,unbuffered", [("plain", True), ("json", True), ("rich", True),
                                            ("rich", False)])
def test_reader_leaving_early_gives_141(fmt: str, unbuffered: bool, big_log: Path,
                                        private_tmp: Path) -> None:
    """A reader takes 10 bytes and closes while 400-700 KB are still to come: 141, quietly.

    Under PYTHONUNBUFFERED the cut used to be lost in a short write (exit 0); rich's own
    broken-pipe handler used to exit 1.
    """
    proc = subprocess.Popen([sys.executable, "-m", "conn_summary", "--sections", "all", "-n", "200",
                             "--format", fmt, str(big_log)], cwd=REPO, env=_env(private_tmp, unbuffered),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    head = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert len(head) == 10
    assert proc.returncode == 141, err
    # Only the run's own note about other IP protocols: nothing about the pipe.
    assert all(line.startswith("conn-summary: ") and "error" not in line for line in err.splitlines())
    assert "Traceback" not in err and "Broken" not in err
    assert list(private_tmp.iterdir()) == []


def test_forced_progress_on_a_pipe_is_plain_lines(big_log: Path, private_tmp: Path) -> None:
    """--progress with stderr a pipe: readable lines, never a bar's stray blank line."""
    res = run_cli(["--progress", str(big_log)], env=base_env(TMPDIR=str(private_tmp)))
    assert res.returncode == 0
    err = res.stderr.decode()
    assert err.endswith("\n") and "" not in err[:-1].split("\n"), repr(err[:200])
    assert "conn-summary: reading input: " in err and "trace-summary running (2 passes)" in err
    assert run_cli([str(big_log)], env=base_env(TMPDIR=str(private_tmp))).stdout == res.stdout


def test_concurrent_runs_do_not_interfere(big_log: Path, private_tmp: Path) -> None:
    single = run_cli([str(big_log)], env=base_env(TMPDIR=str(private_tmp)))
    assert single.returncode == 0
    procs = [_popen([str(big_log)], private_tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs[0][0] == outs[1][0] == single.stdout
    assert list(private_tmp.iterdir()) == []


def test_odd_file_names(tmp_path: Path) -> None:
    require_shared()
    src = CASES / "18-exit-status-and-pipes" / "input.log"
    expected = run_cli([str(src)]).stdout
    for name in ["-dash.log", "with space.log", "conn.00:00:00-01:00:00.log", "$(touch x).log"]:
        odd = tmp_path / name
        shutil.copyfile(src, odd)
        res = subprocess.run([sys.executable, "-m", "conn_summary", f"./{name}"],
                             capture_output=True, cwd=tmp_path, env=base_env(), timeout=60)
        assert res.returncode == 0, (name, res.stderr)
        assert res.stdout == expected
    assert not (tmp_path / "x").exists()


def test_output_that_cannot_be_written(private_tmp: Path) -> None:
    """stdout on a full device: exit 9 naming the problem, no traceback, nothing left."""
    res = _base_sample_with_stdout("> /dev/full", private_tmp)
    assert res.returncode == 9, res.stderr
    assert b"cannot write the result: No space left on device" in res.stderr
    assert b"Traceback" not in res.stderr and list(private_tmp.iterdir()) == []
