"""The command through typer.testing.CliRunner: each option, each output format, each
exit code, with stdout and stderr checked separately.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import REPO, require_engine
from conn_summary import __version__
from conn_summary.cli import app
from plaintext import column, passes, totals

pytestmark = pytest.mark.engine

SCHEMA = json.loads((REPO / "schema" / "conn-summary.schema.json").read_text())

HEADER = ("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
          "service\tduration\torig_bytes\tresp_bytes\tconn_state\n")


def row(ts: float, orig: str, resp: str, port: int, proto: str = "tcp", service: str = "-",
        orig_bytes: int = 100, resp_bytes: int = 200, state: str = "SF") -> str:
    return (f"{ts:.6f}\tC{int(ts)}\t{orig}\t40000\t{resp}\t{port}\t{proto}\t{service}\t1.0\t"
            f"{orig_bytes}\t{resp_bytes}\t{state}\n")


# Hand-made log: 2 internal hosts talking to 3 external ones, plus internal-only traffic.
LOG = HEADER + "".join([
    row(1714564800, "10.0.0.5", "192.0.2.10", 443, service="ssl", resp_bytes=9000),
    row(1714564810, "10.0.0.5", "192.0.2.10", 443, service="ssl"),
    row(1714564820, "10.0.0.6", "198.51.100.7", 53, proto="udp", service="dns"),
    row(1714564830, "10.0.0.6", "203.0.113.50", 80, service="http"),
    row(1714564840, "10.0.0.5", "10.0.0.6", 445, state="REJ"),
    row(1714564850, "2001:db8::1", "10.0.0.5", 22, service="ssh"),
])


@pytest.fixture(autouse=True)
def _needs(monkeypatch: pytest.MonkeyPatch) -> None:
    require_engine()
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("CONN_SUMMARY_TRACE_SUMMARY", raising=False)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "conn.log"
    path.write_text(LOG)
    return path


def invoke(*args: str, input: bytes | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def conn_block(stdout: str) -> str:
    return passes(stdout)["connections"]


def test_help_lists_options_and_exit_codes() -> None:
    res = invoke("--help")
    assert res.exit_code == 0
    for option in ("--all", "--top", "--local-nets", "--exclude-nets", "--tcp", "--udp", "--ports",
                   "--host", "--since", "--until", "--utc", "--intervals", "--resolve",
                   "--sections", "--only", "--format", "--strict", "--fail-on-empty", "--check"):
        assert option in res.stdout
    assert "Exit codes" in res.stdout


def test_version_names_engine() -> None:
    res = invoke("--version")
    assert res.exit_code == 0
    assert f"conn-summary {__version__}" in res.stdout
    assert "trace-summary 0.93" in res.stdout and "vendored" in res.stdout


@pytest.mark.parametrize("order", ["flag-first", "version-first"])
def test_version_follows_trace_summary_flag(tmp_path: Path, order: str) -> None:
    fake = tmp_path / "trace-summary"
    fake.write_text('VERSION = "0.42"\n')
    args = ["--trace-summary", str(fake), "--version"]
    res = invoke(*(args if order == "flag-first" else ["--version", *args[:2]]))
    assert res.exit_code == 0, res.stdout
    assert f"trace-summary 0.42 ({fake}, found via flag)" in res.stdout
    assert res.stderr == ""


@pytest.mark.parametrize("order", ["flag-first", "version-first"])
def test_version_with_missing_engine_reports_it(tmp_path: Path, order: str) -> None:
    nope = str(tmp_path / "nope")
    args = ["--trace-summary", nope, "--version"]
    res = invoke(*(args if order == "flag-first" else ["--version", "--trace-summary", nope]))
    assert res.exit_code == 0
    assert "trace-summary: not found (" in res.stdout and nope in res.stdout
    assert "vendored" not in res.stdout


def test_version_with_missing_env_engine_reports_it(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("CONN_SUMMARY_TRACE_SUMMARY", str(tmp_path / "gone"))
    res = invoke("-V")
    assert res.exit_code == 0
    assert invoke("--check").exit_code == 7   # judging the install is --check's
    assert "trace-summary: not found (" in res.stdout and "gone" in res.stdout


def test_default_external_only(log: Path) -> None:
    res = invoke(str(log))
    assert res.exit_code == 0, res.stderr
    assert res.stderr == ""
    assert totals(conn_block(res.stdout))[0] == "5.0"  # the internal-only REJ is left out


def test_all_keeps_internal(log: Path) -> None:
    assert totals(conn_block(invoke("--all", str(log)).stdout))[0] == "6.0"


def test_stdin_dash_and_none(log: Path) -> None:
    data = log.read_bytes()
    assert invoke("-", input=data).stdout == invoke(str(log)).stdout
    assert invoke(input=data).stdout == invoke(str(log)).stdout


def test_top_n(log: Path) -> None:
    out = conn_block(invoke("-n", "2", str(log)).stdout)
    assert column(out, "ports") == [("443", "40.0%"), ("80", "20.0%")] or len(column(out, "ports")) == 2
    assert len(column(out, "destinations")) == 2


def test_passthrough_after_double_dash(log: Path) -> None:
    out = conn_block(invoke(str(log), "--", "-n", "1").stdout)
    assert column(out, "ports") == [("443", "40.0%")]


def test_local_nets_replace_and_extend(log: Path, tmp_path: Path) -> None:
    # With only 10.0.0.5/32 local, 10.0.0.5 <-> 10.0.0.6 crosses the edge.
    replaced = invoke("--local-nets", "10.0.0.5/32", str(log))
    assert totals(conn_block(replaced.stdout))[0] == "6.0"
    nets = tmp_path / "nets"
    nets.write_text("# our nets\n10.0.0.0/8 office\n")
    from_file = invoke("--local-nets", str(nets), "--sections", "all", str(log))
    assert "10.0.0.0/8" in from_file.stdout and "office" in from_file.stdout
    extended = invoke("--local-nets", "default", "--local-nets", "2001:db8::/32", str(log))
    assert totals(conn_block(extended.stdout))[0] == "4.0"  # the ssh from 2001:db8::1 is now internal


def test_exclude_nets(log: Path) -> None:
    res = invoke("--exclude-nets", "192.0.2.0/24", str(log))
    assert totals(conn_block(res.stdout))[0] == "3.0"
    both = invoke("--exclude-nets", "default,192.0.2.0/24", str(log))
    assert both.stdout == res.stdout


def test_bad_cidr_is_usage_error(log: Path) -> None:
    res = invoke("--local-nets", "10.0.0.0/33", str(log))
    assert res.exit_code == 2
    assert "10.0.0.0/33" in res.stderr and res.stdout == ""


def test_tcp_udp(log: Path) -> None:
    assert totals(conn_block(invoke("--udp", str(log)).stdout))[0] == "1.0"
    assert totals(conn_block(invoke("--tcp", str(log)).stdout))[0] == "4.0"
    assert invoke("--tcp", "--udp", str(log)).exit_code == 2


def test_ports_list(log: Path, tmp_path: Path) -> None:
    hi = tmp_path / "hi.log"
    hi.write_text(HEADER + row(1714564800, "10.0.0.5", "192.0.2.10", 8443)
                  + row(1714564801, "10.0.0.5", "192.0.2.10", 9999))
    # trace-summary counts ports >= 1024 in the Ports column only when listed.
    res = invoke("--ports", "8443", str(hi))
    ports = [v for v, _ in column(conn_block(res.stdout), "ports")]
    assert ports == ["8443"]
    assert invoke("--ports", "http", str(hi)).exit_code == 2


def test_host_one_and_between(log: Path) -> None:
    one = invoke("--host", "10.0.0.6", str(log))
    assert totals(conn_block(one.stdout))[0] == "2.0"
    between = invoke("--host", "10.0.0.5", "--host", "192.0.2.0/24", str(log))
    assert totals(conn_block(between.stdout))[0] == "2.0"
    nothing = invoke("--host", "10.9.9.9", str(log))
    assert nothing.exit_code == 5 and "no connections" in nothing.stderr


def test_since_until_utc(log: Path) -> None:
    res = invoke("--all", "--since", "2024-05-01T12:00:15Z", "--until", "1714564845", str(log))
    assert totals(conn_block(res.stdout))[0] == "3.0"
    offset = invoke("--all", "--since", "2024-05-01T14:00:15+02:00", str(log))
    assert totals(conn_block(offset.stdout))[0] == "4.0"
    ts_style = invoke("--all", "--since", "2024-05-01-12-00-15", str(log))
    assert ts_style.stdout == offset.stdout
    assert invoke("--since", "yesterday", str(log)).exit_code == 2


def test_utc_flag_overrides_tz(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    utc = invoke(str(log)).stdout
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert invoke(str(log)).stdout != utc
    assert invoke("--utc", str(log)).stdout == utc


def test_intervals(log: Path) -> None:
    res = invoke("--intervals", "30", str(log))
    assert res.exit_code == 0
    assert res.stdout.count(">==  === ") >= 2 and ">== Total" in res.stdout
    assert invoke("--intervals", "soon", str(log)).exit_code == 2


def test_sections_all_and_only(log: Path) -> None:
    res = invoke("--sections", "all", str(log))
    assert ">== Incoming" in res.stdout and ">== Outgoing" in res.stdout
    assert "local networks" in res.stdout
    only = invoke("--only", "bytes", str(log))
    assert set(passes(only.stdout)) == {"bytes"}


def test_json_document(log: Path) -> None:
    res = invoke("--format", "json", str(log))
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["schema_version"] == 1
    totals = doc["inputs"]["totals"]
    # One of the six is internal-only: counted, not handed to the engine (edge view).
    assert (totals["lines"], totals["records"], totals["internal"], totals["excluded"]) == (6, 5, 1, 0)
    assert totals["balanced"] is True
    every = invoke("--format", "json", "--all", str(log))
    assert json.loads(every.stdout)["inputs"]["totals"]["records"] == 6
    total = doc["passes"]["connections"]["total"]
    assert total["totals"]["connections"] == 5
    assert total["ports"][0] == {"value": 443, "percent": 40.0}
    assert total["time_range"]["start"] == "2024-05-01T12:00:00Z"
    assert doc["options"]["external"] is True and doc["engine"]["version"] == "0.93"


def test_rich_rendering(log: Path) -> None:
    res = invoke("--format", "rich", "--explain", str(log))
    assert res.exit_code == 0
    assert "6 tcp" in res.stdout and "17 udp" in res.stdout
    assert "REJ" not in res.stdout or "rejected" in res.stdout.lower()
    assert "SF" in res.stdout


def test_strict_and_skips(tmp_path: Path, log: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text(LOG + "garbage line\n" + "1714564900.0\tCx\tnot-an-ip\t1\t192.0.2.1\t80\ttcp\t-\t1\t1\t1\tSF\n")
    res = invoke(str(bad))
    assert res.exit_code == 0
    assert "skipped 1 line: wrong field count" in res.stderr
    assert "bad address" in res.stderr and f"{bad}:9" in res.stderr
    strict = invoke("--strict", str(bad))
    assert strict.exit_code == 6
    assert strict.stdout == res.stdout  # the summary is still printed
    assert invoke("--strict", str(log)).exit_code == 0


def test_fail_on_empty(tmp_path: Path) -> None:
    internal = tmp_path / "internal.log"
    internal.write_text(HEADER + row(1714564800, "10.0.0.5", "10.0.0.6", 445))
    assert invoke(str(internal)).exit_code == 0
    res = invoke("--fail-on-empty", str(internal))
    assert res.exit_code == 5 and "no connection" in res.stderr


def test_empty_input_exit_4(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("")
    res = invoke(str(empty))
    assert res.exit_code == 4 and "empty.log" in res.stderr
    headers_only = tmp_path / "headers.log"
    headers_only.write_text(HEADER)
    assert invoke(str(headers_only)).exit_code == 4


def test_directory_archive(tmp_path: Path) -> None:
    day = tmp_path / "2024-05-01"
    day.mkdir()
    (day / "conn.00:00:00-01:00:00.log").write_text(HEADER + row(1714564800, "10.0.0.5", "192.0.2.10", 443))
    (day / "conn.01:00:00-02:00:00.log").write_text(HEADER + row(1714568400, "10.0.0.5", "192.0.2.10", 80))
    (day / "dns.00:00:00-01:00:00.log").write_text("#path\tdns\n")
    res = invoke("--format", "json", str(tmp_path))
    doc = json.loads(res.stdout)
    assert [Path(f["name"]).name for f in doc["inputs"]["files"]] == [
        "conn.00:00:00-01:00:00.log", "conn.01:00:00-02:00:00.log"]
    assert doc["passes"]["connections"]["total"]["totals"]["connections"] == 2


def test_engine_missing(tmp_path: Path, log: Path) -> None:
    res = invoke("--trace-summary", str(tmp_path / "nope"), str(log))
    assert res.exit_code == 7
    assert "nope" in res.stderr and res.stdout == ""


def test_env_engine_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "trace-summary"
    fake.write_text('VERSION = "0.42"\n')
    monkeypatch.setenv("CONN_SUMMARY_TRACE_SUMMARY", str(fake))
    res = invoke("--version")
    assert "trace-summary 0.42" in res.stdout and "env" in res.stdout


def test_check() -> None:
    res = invoke("--check")
    assert res.exit_code == 0
    assert res.stdout.count("ok  ") == 3
    assert "round trip on the bundled sample" in res.stdout


def test_check_fails_without_engine(tmp_path: Path) -> None:
    # Missing is 7, as for a run; 8 is kept for an engine that is there and fails.
    res = invoke("--check", "--trace-summary", str(tmp_path / "nope"))
    assert res.exit_code == 7 and "FAIL trace-summary" in res.stdout


def test_check_round_trip_failure_exits_8(tmp_path: Path) -> None:
    fake = tmp_path / "trace-summary"
    fake.write_text('VERSION = "9.9"\nraise ValueError("boom")\n')
    res = invoke("--check", "--trace-summary", str(fake))
    assert res.exit_code == 8
    assert res.stdout.count("ok  ") == 2 and "FAIL round trip on the bundled sample" in res.stdout


def test_unreadable_file(tmp_path: Path) -> None:
    res = invoke(str(tmp_path / "missing.log"))
    assert res.exit_code == 3
    assert "missing.log" in res.stderr and "Traceback" not in res.stderr


def test_resolve_names_loopback(tmp_path: Path) -> None:
    lo = tmp_path / "lo.log"
    lo.write_text(HEADER + row(1714564800, "127.0.0.1", "10.0.0.1", 80))
    res = invoke("--all", "--resolve", "--format", "json", str(lo))
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["passes"]["connections"]["total"]["sources"][0]["name"] == "localhost"
    plain = invoke("--all", "--resolve", str(lo))
    assert "127.0.0.1  localhost" in plain.stdout


def test_a_full_temporary_disk_is_exit_9(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    import errno

    import conn_summary.summarize as summarize_mod

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(summarize_mod, "normalize", full)
    res = invoke(str(log))
    assert res.exit_code == 9 and res.stdout == ""
    assert "cannot write the normalized copy" in res.stderr and "TMPDIR" in res.stderr
