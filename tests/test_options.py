"""Option values as users and scripts really give them: empty values, paths that do not
exist, comment lines in files, conflicting output selections, day-long intervals.
Through typer.testing.CliRunner, with exit code, stdout and stderr checked separately.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import require_engine
from conn_summary.cli import app
from test_cli import LOG

pytestmark = pytest.mark.engine


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
