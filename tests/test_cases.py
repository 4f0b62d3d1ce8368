"""The reported problem cases in ../shared/cases, end to end through the command.

Each test states the expected behaviour from ../shared/cases/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CASES, REPO, base_env, require_engine, require_shared, run_cli
from plaintext import column, passes, totals

pytestmark = [pytest.mark.engine, pytest.mark.corpus]

BASE = CASES / "18-exit-status-and-pipes" / "input.log"

# What THT's conn-summary prints for the base sample (anchor output, TZ=GMT+5): the
# exact bytes scripts parse today.
BASE_EXPECTED_ROWS = {
    "connections": [("443", "50.0%"), ("80", "25.0%"), ("53", "25.0%")],
    "bytes": [("443", "82.6%"), ("80", "16.5%"), ("53", "0.9%")],
}


@pytest.fixture(autouse=True)
def _needs() -> None:
    require_shared()
    require_engine()


def assert_base_sample(stdout: bytes, connections: str = "4.0") -> None:
    blocks = passes(stdout.decode())
    assert set(blocks) == {"connections", "bytes"}
    for name, rows in BASE_EXPECTED_ROWS.items():
        assert totals(blocks[name]) == (connections, "18.2k")
        if connections == "4.0":
            assert column(blocks[name], "ports") == rows


def test_18_base_sample_exit_0_empty_stderr() -> None:
    res = run_cli([str(BASE)])
    assert res.returncode == 0
    assert res.stderr == b""
    assert_base_sample(res.stdout)
    # 15 lines per pass, as THT's `head -15`, each pass under its THT heading.
    lines = res.stdout.decode().split("\n")
    assert lines[0] == "Connections:" and lines[1] == "============"
    assert lines[17] == "Bytes:" and lines[18] == "======"
    assert len(lines) == 2 + 15 + 2 + 15 + 1


def test_18_head_closes_pipe_quietly() -> None:
    cmd = f'"{sys.executable}" -m conn_summary "{BASE}" | head -3; echo "status=${{PIPESTATUS[0]}}"'
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=REPO, env=base_env(),
                         timeout=120)
    assert res.stdout.decode().splitlines()[:3] == ["Connections:", "============", ""]
    assert b"Traceback" not in res.stderr and b"BrokenPipe" not in res.stderr
    status = int(res.stdout.decode().rsplit("status=", 1)[1])
    assert status in (0, 141)  # 141 when the pipe closed before we finished writing


def test_18_failure_is_nonzero(tmp_path: Path) -> None:
    res = run_cli([str(tmp_path / "missing.log")])
    assert res.returncode == 3
    assert b"missing.log" in res.stderr
    assert res.stdout == b""


def test_01_pipe_equals_file() -> None:
    src = CASES / "01-stdin-pipe" / "input.log"
    from_file = run_cli([str(src)])
    from_pipe = run_cli([], stdin=src.read_bytes())
    assert from_file.returncode == from_pipe.returncode == 0
    assert from_pipe.stdout == from_file.stdout
    assert_base_sample(from_pipe.stdout)


def test_01_big_pipe_is_exact_every_run() -> None:
    big = subprocess.run([sys.executable, str(CASES / "01-stdin-pipe" / "make_big.py")],
                         capture_output=True, check=True, timeout=60).stdout
    outputs = set()
    for _ in range(3):
        res = run_cli(["--all"], stdin=big)
        assert res.returncode == 0, res.stderr
        assert totals(passes(res.stdout.decode())["connections"]) == ("1.0k", "300.0k")
        outputs.add(res.stdout)
    assert len(outputs) == 1


def test_03_gzip_file_and_stdin() -> None:
    gz = CASES / "03-gzip" / "input.log.gz"
    plain = run_cli([str(BASE)]).stdout
    assert run_cli([str(gz)]).stdout == plain
    assert run_cli([], stdin=gz.read_bytes()).stdout == plain


def test_03_truncated_gzip_is_an_error(tmp_path: Path) -> None:
    data = (CASES / "03-gzip" / "input.log.gz").read_bytes()
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    res = run_cli([str(cut)])
    assert res.returncode == 3
    assert b"cut.log.gz" in res.stderr
    assert res.stdout == b""


def test_04_multiple_files() -> None:
    d = CASES / "04-multiple-files"
    ab = run_cli([str(d / "input-a.log"), str(d / "input-b.log")])
    assert ab.returncode == 0
    block = passes(ab.stdout.decode())["connections"]
    assert totals(block) == ("4.0", "22.0k")
    assert column(block, "ports") == [("443", "50.0%"), ("22", "50.0%")]
    abc = run_cli([str(d / "input-a.log"), str(d / "input-b.log"), str(d / "input-c.log")])
    block = passes(abc.stdout.decode())["connections"]
    assert totals(block) == ("5.0", "22.1k")
    assert column(block, "ports") == [("443", "40.0%"), ("22", "40.0%"), ("80", "20.0%")]


def test_04_missing_file_no_partial_result(tmp_path: Path) -> None:
    d = CASES / "04-multiple-files"
    res = run_cli([str(d / "input-a.log"), str(tmp_path / "nope.log")])
    assert res.returncode == 3
    assert b"nope.log" in res.stderr
    assert res.stdout == b""


@pytest.mark.parametrize("name", ["input-ts-iso-no-fraction.json", "input-ts-iso-offset.json",
                                  "input-ts-iso-zeek-default.json", "input-ts-millis.json"])
def test_06_json_timestamps(name: str) -> None:
    path = CASES / "06-json-timestamps" / name
    res = run_cli([str(path), "--utc"])
    assert res.returncode == 0, res.stderr
    block = passes(res.stdout.decode())["connections"]
    assert totals(block) == ("4.0", "18.2k")
    assert ">== Total === 2024-05-01-12-00-00 - " in block
    res_all = run_cli([str(path), "--all"])
    assert totals(passes(res_all.stdout.decode())["connections"]) == ("5.0", "18.2k")


def test_06_all_timestamps_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"ts":"yesterday","id.orig_h":"10.0.0.5","id.orig_p":1,"id.resp_h":"192.0.2.1",'
                   '"id.resp_p":443,"proto":"tcp","duration":1.0,"orig_bytes":1,"resp_bytes":2,'
                   '"conn_state":"SF"}\n' * 3)
    res = run_cli([str(bad)])
    assert res.returncode == 5
    err = res.stderr.decode()
    assert "ts" in err and "yesterday" in err and "bad.json" in err


def test_07_unknown_transport_counted_not_corrupt() -> None:
    res = run_cli([str(CASES / "07-unknown-transport" / "input.log")])
    assert res.returncode == 0
    assert totals(passes(res.stdout.decode())["connections"]) == ("1.0", "10.0k")
    err = res.stderr.decode()
    assert "corrupt" not in err.lower()
    assert "47 (gre): 2" in err and "50 (esp): 1" in err


def test_08_engine_local_nets_no_crash() -> None:
    d = CASES / "08-engine-crash-local-net"
    res = run_cli([str(d / "input.log"), "--local-nets", str(d / "local.nets")])
    assert res.returncode == 0, res.stderr
    assert totals(passes(res.stdout.decode())["connections"]) == ("4.0", "18.2k")


def test_08_crashing_engine_is_one_line_error(tmp_path: Path) -> None:
    fake = tmp_path / "trace-summary"
    fake.write_text('VERSION = "9.9"\nraise ValueError("max() arg is an empty sequence")\n')
    res = run_cli([str(BASE), "--trace-summary", str(fake)])
    assert res.returncode == 8
    err = res.stderr.decode()
    assert "9.9" in err and str(fake) in err and "ValueError" in err
    assert res.stdout == b""


def test_10_missing_subnettree(tmp_path: Path) -> None:
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "SubnetTree.py").write_text('raise ModuleNotFoundError("No module named \'SubnetTree\'")\n')
    env = base_env(PYTHONPATH=str(stub))
    helped = run_cli(["--help"], env=env)
    assert helped.returncode == 0 and b"Usage" in helped.stdout
    version = run_cli(["--version"], env=env)
    # --version always works: it says what is missing (--check is the one that fails).
    assert version.returncode == 0 and b"SubnetTree: missing" in version.stdout
    assert b"pysubnettree" in version.stdout and b"Traceback" not in version.stderr
    check = run_cli(["--check"], env=env)
    assert check.returncode == 7 and b"FAIL SubnetTree" in check.stdout
    res = run_cli([str(BASE)], env=env)
    assert res.returncode == 7
    err = res.stderr.decode()
    assert "Traceback" not in err
    assert "pysubnettree" in err


def test_09_subnettree_inbound_sections_all() -> None:
    d = CASES / "09-subnettree-inbound"
    res = run_cli([str(d / "input.log"), "--local-nets", str(d / "local.nets"), "--sections", "all"])
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert totals(passes(out)["connections"])[0] == "2.0"
    incoming = out.split(">== Incoming", 1)[1]
    outgoing = out.split(">== Outgoing", 1)[1]
    assert "Connections  1.0 - Payload 5.0k" in incoming.split(">==")[0]
    assert "Connections  1.0 - Payload 1.0k" in outgoing.split(">==")[0]


@pytest.mark.parametrize("tz", ["UTC", "GMT+5", "Asia/Tokyo"])
def test_13_since_is_utc_in_any_tz(tz: str) -> None:
    res = run_cli([str(CASES / "13-time-zones" / "input.log"), "--all", "--since",
                   "2024-05-01T12:00:15Z"], tz=tz)
    assert res.returncode == 0, res.stderr
    assert totals(passes(res.stdout.decode())["connections"])[0] == "3.0"


def test_13_plain_times_follow_tz_unless_utc() -> None:
    path = str(CASES / "13-time-zones" / "input.log")
    utc = run_cli([path, "--all", "--utc"], tz="Asia/Tokyo").stdout.decode()
    local = run_cli([path, "--all"], tz="UTC").stdout.decode()
    tokyo = run_cli([path, "--all"], tz="Asia/Tokyo").stdout.decode()
    assert utc == local
    assert tokyo != local and "2024-05-01-21-00" in tokyo


def test_14_not_a_conn_log() -> None:
    d = CASES / "14-not-a-conn-log"
    dns = run_cli([str(d / "input-dns.log")])
    assert dns.returncode == 3 and b"dns" in dns.stderr and b"input-dns.log" in dns.stderr
    report = run_cli([str(d / "input-conn-summary-report.log")])
    assert report.returncode == 3 and b"input-conn-summary-report.log" in report.stderr
    assert dns.stdout == report.stdout == b""


def test_16_exact_counts_every_run() -> None:
    path = str(CASES / "16-exact-counts" / "input.log")
    runs = {run_cli([path]).stdout for _ in range(3)}
    assert len(runs) == 1
    block = passes(runs.pop().decode())["connections"]
    assert totals(block) == ("40.0", "12.0k")
    assert [p for _, p in column(block, "sources")] == ["25.0%"] * 4
    assert [p for _, p in column(block, "destinations")] == ["20.0%"] * 5
    assert column(block, "ports") == [("443", "100.0%")]
