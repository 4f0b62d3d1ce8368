"""Option values as users and scripts really give them: empty values, paths that do not
exist, comment lines in files, conflicting output selections, day-long intervals.
Through typer.testing.CliRunner, with exit code, stdout and stderr checked separately.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plaintext import column, passes
# The CLI tests' log, fixtures (the engine, a fixed TZ; the log file) and runner.
from test_cli import HEADER, LOG, _needs, invoke, log, row  # noqa: F401

pytestmark = pytest.mark.engine


# --- empty values -------------------------------------------------------------------------

VALUED = ("--host", "--since", "--until", "--local-nets", "--exclude-nets", "--ports",
          "--trace-summary", "--intervals")


@pytest.mark.parametrize("option", VALUED)
@pytest.mark.parametrize("form", ["equals", "separate", "blank"])
def test_empty_value_is_usage_error(option: str, form: str, log: Path) -> None:
    # `--host "$H"` with H unset: the option must not quietly mean "not given".
    args = {"equals": [f"{option}="], "separate": [option, ""], "blank": [option, "  "]}[form]
    res = invoke(*args, str(log))
    assert res.exit_code == 2
    assert f"{option}: empty value" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("option", ["--host", "--local-nets", "--exclude-nets"])
def test_list_of_nothing_is_usage_error(option: str, log: Path) -> None:
    res = invoke(option, ",", str(log))  # "$A,$B" with both unset
    assert res.exit_code == 2 and f"{option}: empty value" in res.stderr and res.stdout == ""


def test_empty_value_checked_before_version() -> None:
    res = invoke("--version", "--trace-summary=")
    assert res.exit_code == 2 and "--trace-summary: empty value" in res.stderr


# --- files that are not there, and what files may hold -----------------------------------


@pytest.mark.parametrize("option", ["--local-nets", "--exclude-nets", "--ports"])
@pytest.mark.parametrize("value", ["/nonexist.txt", "nets/office", "./typo", "ports.txt"])
def test_missing_file_says_no_such_file(option: str, value: str, log: Path) -> None:
    res = invoke(option, value, str(log))
    assert res.exit_code == 2
    assert f"{option}: no such file: {value}" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("option,value,message", [
    ("--local-nets", "10.0.0.0/33", "'10.0.0.0/33' is not an address or CIDR"),
    ("--exclude-nets", "fe80::/129", "'fe80::/129' is not an address or CIDR"),
    ("--local-nets", "office", "'office' is not an address or CIDR"),
    ("--ports", "http", "'http' is not a port number"),
])
def test_bad_value_is_not_called_a_file(option: str, value: str, message: str, log: Path) -> None:
    res = invoke(option, value, str(log))
    assert res.exit_code == 2 and message in res.stderr and "no such file" not in res.stderr


@pytest.mark.parametrize("option", ["--local-nets", "--ports"])
def test_directory_is_not_a_file(option: str, log: Path, tmp_path: Path) -> None:
    res = invoke(option, str(tmp_path), str(log))
    assert res.exit_code == 2 and f"{tmp_path} is not a regular file" in res.stderr


def test_ports_file_comments_and_blank_lines(tmp_path: Path) -> None:
    hi = tmp_path / "hi.log"
    hi.write_text(HEADER + row(1714564800, "10.0.0.5", "192.0.2.10", 8443)
                  + row(1714564801, "10.0.0.5", "192.0.2.10", 9999)
                  + row(1714564802, "10.0.0.5", "192.0.2.10", 3128))
    ports = tmp_path / "ports"
    ports.write_text("# proxies we run\n\n8443   # the admin UI\n   \n3128, 8080\n#9999\n")
    res = invoke("--ports", str(ports), str(hi))
    assert res.exit_code == 0, res.stderr
    assert sorted(v for v, _ in column(passes(res.stdout)["connections"], "ports")) == ["3128", "8443"]


def test_ports_file_bad_line_names_file_and_line(tmp_path: Path, log: Path) -> None:
    ports = tmp_path / "ports"
    ports.write_text("# ok\n8080\nsquid\n")
    res = invoke("--ports", str(ports), str(log))
    assert res.exit_code == 2 and f"{ports}:3: 'squid' is not a port number" in res.stderr


# --- output selection ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [("--plain", "--format", "json"), ("-f", "rich", "--plain"),
                                  ("--format=json", "--plain")])
def test_plain_with_other_format_is_usage_error(args: tuple[str, ...], log: Path) -> None:
    res = invoke(*args, str(log))
    assert res.exit_code == 2
    assert "--plain and --format" in res.stderr and "exclude each other" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize("fmt", ["plain", "auto"])
def test_plain_agrees_with_plain_or_auto(fmt: str, log: Path) -> None:
    res = invoke("--plain", "--format", fmt, str(log))
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Connections:\n============\n")


# --- help --------------------------------------------------------------------------------


def test_help_shows_file_argument_as_unix_usage() -> None:
    res = invoke("--help")
    assert res.exit_code == 0
    assert "Usage: conn-summary [OPTIONS] [FILE]..." in res.stdout
    arguments = res.stdout.split("Arguments:", 1)[1].split("Options:", 1)[0]
    assert arguments.lstrip().startswith("[FILE]...  conn.log files")
    assert "list[str]" not in res.stdout and "<" not in arguments


# --- intervals -----------------------------------------------------------------------------


def _interval_heads(stdout: str) -> list[str]:
    return [line for line in passes(stdout)["connections"].splitlines() if line.startswith(">==  === ")]


def test_intervals_in_days_are_hours_for_the_engine(tmp_path: Path) -> None:
    two_days = tmp_path / "days.log"
    two_days.write_text(HEADER + row(1714564800, "10.0.0.5", "192.0.2.10", 443)
                        + row(1714564800 + 86400, "10.0.0.5", "192.0.2.10", 443))
    days = invoke("--intervals", "1d", str(two_days))
    assert days.exit_code == 0, days.stderr
    assert _interval_heads(days.stdout) == [">==  === 2024-05-01-00-00-00 - 2024-05-02-00-00-00",
                                            ">==  === 2024-05-02-00-00-00 - 2024-05-03-00-00-00"]
    assert days.stdout == invoke("--intervals", "24h", str(two_days)).stdout
    doc = json.loads(invoke("--intervals", "2d", "--format", "json", str(two_days)).stdout)
    assert (doc["options"]["intervals"], doc["options"]["interval_seconds"]) == ("48h", 172800)


@pytest.mark.parametrize("value,seconds", [("900", 900), ("15m", 900), ("1h", 3600)])
def test_interval_seconds_recorded(value: str, seconds: int, log: Path) -> None:
    doc = json.loads(invoke("--intervals", value, "--format", "json", str(log)).stdout)
    assert (doc["options"]["intervals"], doc["options"]["interval_seconds"]) == (value, seconds)


@pytest.mark.parametrize("value", ["0", "1w", "d", "1.5h", "-1d"])
def test_bad_intervals(value: str, log: Path) -> None:
    res = invoke("--intervals", value, str(log))
    assert res.exit_code == 2 and "is not a length" in res.stderr and "days (1d)" in res.stderr


# --- --progress on a non-terminal -------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_forced_progress_off_terminal_writes_plain_lines(tmp_path: Path) -> None:
    import io

    from conn_summary.progress import ProgressReporter

    big = tmp_path / "conn.log"
    with open(big, "wb") as f:
        f.truncate(40_000_000)          # sparse: only its size matters here
    out, clock = io.StringIO(), _Clock()
    with ProgressReporter([str(big)], enabled=True, interactive=False, stream=out,
                          threshold=16_000_000, every=5.0, clock=clock) as reporter:
        reporter.advance(8_000_000)     # still small: nothing
        assert out.getvalue() == ""
        clock.now += 1
        reporter.lines_read(150_000)
        reporter.advance(12_000_000)    # proved large: a first line
        reporter.advance(10_000_000)    # within 5 s of it: no line
        clock.now += 5
        reporter.lines_read(150_000)
        reporter.advance(10_000_000)
        reporter.engine_started()
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and all(lines[:-1]), "no blank line, ever"
    assert lines[:-1] == [
        "conn-summary: reading input: 20.0 MB of 40.0 MB (50%), 150,000 lines, 20.0 MB/s",
        "conn-summary: reading input: 40.0 MB of 40.0 MB (100%), 300,000 lines, 6.7 MB/s",
        "conn-summary: read 40.0 MB (300,000 lines) in 6.0 s; trace-summary running (2 passes)",
    ]


def test_forced_progress_on_small_input_is_silent(log: Path) -> None:
    res = invoke("--progress", str(log))  # CliRunner: stderr is not a terminal
    assert res.exit_code == 0 and res.stderr == ""


def test_rich_shows_intervals_like_plain(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    res = invoke("--format", "rich", "--intervals", "30", str(log))
    assert res.exit_code == 0, res.stderr
    assert "Intervals · 2 × 30s" in res.stdout
    assert "2024-05-01-12-00-00  2024-05-01-12-00-30" in res.stdout
    assert "…" not in res.stdout
    assert "Intervals" not in invoke("--format", "rich", str(log)).stdout


# --- file names that start with '-' ---------------------------------------------------------


def test_dash_file_name_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-dash.log").write_text(LOG)
    res = invoke("-dash.log")
    assert res.exit_code == 2 and res.stdout == ""
    assert "write ./-dash.log" in res.stderr
    ok = invoke("./-dash.log")
    assert ok.exit_code == 0 and ok.stdout.startswith("Connections:\n")
    assert "write ./" not in invoke("-x", "./-dash.log").stderr  # no such file: no hint
