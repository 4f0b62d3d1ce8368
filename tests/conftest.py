"""Shared test fixtures: where the repo, ../shared and the vendored engine are, and
helpers to run conn-summary and the anchor procedure as subprocesses.

Tests needing ../shared skip with a reason when it is absent; tests needing the real
trace-summary skip when it is absent, except in CI (CI=true), where its absence fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
CASES = SHARED / "cases"
ANCHOR = SHARED / "tools" / "tht_like.sh"
ENGINE = REPO / "vendor" / "trace-summary" / "bin" / "trace-summary"
SAMPLE = REPO / "conn_summary" / "data" / "sample-conn.log"

# Upstream's own test suite runs with this zone; any fixed zone keeps runs comparable.
TEST_TZ = "GMT+5"


def require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"../shared not present ({SHARED}): the corpus and cases live beside the repo")


def require_engine() -> None:
    if not ENGINE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"vendored trace-summary missing in CI ({ENGINE}); make setup must fetch it")
        pytest.skip(f"vendored trace-summary not fetched ({ENGINE}); run 'make setup'")


@pytest.fixture
def shared() -> Path:
    require_shared()
    return SHARED


@pytest.fixture
def engine_path() -> Path:
    require_engine()
    return ENGINE


def base_env(tz: str = TEST_TZ, **extra: str) -> dict:
    env = dict(os.environ)
    env["TZ"] = tz
    env.pop("CONN_SUMMARY_TRACE_SUMMARY", None)
    env.update(extra)
    return env


def run_cli(args: Sequence[str], *, stdin: Optional[bytes] = None, tz: str = TEST_TZ,
            env: Optional[dict] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m conn_summary`` as a user would from a shell (stdout is a pipe)."""
    return subprocess.run([sys.executable, "-m", "conn_summary", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=REPO,
                          env=env if env is not None else base_env(tz))


def engine_wrapper(tmp_path: Path) -> Path:
    """tht_like.sh takes a command: a tiny script running the vendored engine with our Python."""
    wrapper = tmp_path / "trace-summary-cmd"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ENGINE}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def run_anchor(log: bytes, tmp_path: Path, tz: str = TEST_TZ) -> subprocess.CompletedProcess:
    """The anchor procedure (THT's conn-summary) with the same engine and Python."""
    require_shared()  # the procedure itself lives in ../shared/tools
    return subprocess.run(["bash", str(ANCHOR), str(engine_wrapper(tmp_path))], input=log,
                          capture_output=True, timeout=300, env=base_env(tz))
