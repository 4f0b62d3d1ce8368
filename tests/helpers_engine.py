"""Shared helpers of the engine, parse and render tests: the recorded engine outputs.

The parser and renderer tests run on real trace-summary output recorded from small
hand-written canonical TSV inputs (tests/goldens/inputs/). This module names those
scenarios, loads the recorded text, builds Summaries from it, and re-records it:

    .venv/bin/python tests/helpers_engine.py      # re-record with the vendored engine

The engine tests compare a live run against the recording, so a stale recording fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
GOLDENS = TESTS / "goldens"
INPUTS = GOLDENS / "inputs"
RECORDED = GOLDENS / "engine"

if str(REPO) not in sys.path:  # when run as a script
    sys.path.insert(0, str(REPO))

from conn_summary.model import (  # noqa: E402
    PASS_BYTES, PASS_CONNECTIONS, EngineInfo, FileReport, InputReport, PassReport, SkipReason, Summary,
)

# The nets THT's conn-summary uses (see ../shared/tools/tht_like.sh).
THT_LOCAL = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10")
THT_EXCLUDE = ("0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
               "255.255.255.255/32", "::1/128", "ff00::/8")
LABELLED_LOCAL = ("10.0.0.0/8 Corp LAN", "172.16.0.0/12", "192.168.0.0/16 Home",
                  "fe80::/10", "2001:db8:aaaa::/48 v6 lab")
PASSES = (PASS_CONNECTIONS, PASS_BYTES)


@dataclass(frozen=True)
class Scenario:
    name: str
    input: str
    local_nets: tuple[str, ...] = THT_LOCAL
    exclude_nets: Optional[tuple[str, ...]] = THT_EXCLUDE
    external: bool = True
    top: Optional[int] = None
    intervals: Optional[str] = None
    resolve: bool = False
    tz: str = "UTC"                 # the engine prints local times: recorded in this zone

    @property
    def utc(self) -> bool:
        return self.tz == "UTC"


SCENARIOS = {s.name: s for s in (
    # The base sample the way THT runs it: 4 external connections, 18.2k.
    Scenario("base", "base.log"),
    # Same, recorded in another zone: the parser must read header times with mktime.
    Scenario("base-gmt5", "base.log", tz="GMT+5"),
    # Everything (no --external), few rows, interval sections and the --resolve block.
    Scenario("base-all", "base.log", external=False, exclude_nets=None, top=3, intervals="10",
             resolve=True),
    # IPv6 (wide columns), labelled nets, inbound and outbound, non-local block.
    Scenario("mixed", "mixed.log", local_nets=LABELLED_LOCAL, external=False, top=5),
    # Nothing at all: N/A times, zero totals.
    Scenario("empty", "empty.log"),
)}


def recorded_path(scenario: str, pass_name: str) -> Path:
    return RECORDED / f"{scenario}.{pass_name}.txt"


def recorded(scenario: str, pass_name: str) -> str:
    # newline="" keeps the text byte for byte (the parser's round trip depends on it).
    with open(recorded_path(scenario, pass_name), encoding="utf-8", newline="") as f:
        return f.read()


def request_for(scenario: Scenario, workdir: Path):
    from conn_summary.engine import EngineRequest
    return EngineRequest(canonical=INPUTS / scenario.input, workdir=workdir,
                         local_nets=scenario.local_nets, exclude_nets=scenario.exclude_nets,
                         external=scenario.external, top=scenario.top, utc=scenario.utc,
                         intervals=scenario.intervals, resolve=scenario.resolve)


class tz_set:
    """Context manager: run with TZ set (the engine inherits it; time.mktime follows it)."""

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self.old: Optional[str] = None

    def __enter__(self) -> "tz_set":
        self.old = os.environ.get("TZ")
        os.environ["TZ"] = self.tz
        time.tzset()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = self.old
        time.tzset()


def run_scenario(scenario: Scenario, engine: EngineInfo):
    """Run both passes of a scenario with the given engine; returns run_passes' dict."""
    from conn_summary.engine import run_passes
    with tempfile.TemporaryDirectory() as d, tz_set(scenario.tz):
        return run_passes(engine, request_for(scenario, Path(d)))


def parsed(scenario: str, pass_name: str) -> PassReport:
    from conn_summary.parse import parse_report
    sc = SCENARIOS[scenario]
    with tz_set(sc.tz):
        return parse_report(pass_name, recorded(scenario, pass_name), utc=sc.utc)


TEST_ENGINE = EngineInfo(path="/opt/test/trace-summary", version="0.93", source="vendored")


def base_inputs() -> InputReport:
    """The input accounting of the base sample read from one plain TSV file."""
    return InputReport(
        files=(FileReport(name="conn.log", compression="none", format="zeek-tsv",
                          lines=5, records=5, skipped=0),),
        lines=5, records=5, filtered=0, skipped=(),
        ip_protocols=((6, 4), (17, 1)),
        first_ts=1714564800.1, last_ts=1714564840.6)


def mixed_inputs() -> InputReport:
    """Accounting with skipped lines and other-protocol records, for the renderers."""
    return InputReport(
        files=(FileReport(name="mixed.log.gz", compression="gzip", format="zeek-tsv",
                          lines=15, records=10, skipped=1),
               FileReport(name="-", compression="none", format="zeek-json",
                          lines=0, records=0, skipped=0)),
        lines=15, records=10, filtered=0,
        skipped=(SkipReason(reason="wrong field count", count=1, examples=("mixed.log.gz:12",)),),
        other_protocols=((47, 2), (6, 1), (50, 1)), other_protocols_payload=10000,
        ip_protocols=((6, 8), (17, 2), (47, 2), (1, 1), (50, 1)),
        first_ts=1714564800.0, last_ts=1714564810.0)


def summary_for(scenario: str, inputs: Optional[InputReport] = None, *,
                passes: tuple[str, ...] = PASSES, options: Optional[dict] = None) -> Summary:
    sc = SCENARIOS[scenario]
    if inputs is None:
        inputs = mixed_inputs() if sc.input == "mixed.log" else base_inputs()
    opts = {"sections": "total", "utc": sc.utc, "top": sc.top or 10}
    opts.update(options or {})
    return Summary(inputs=inputs, engine=TEST_ENGINE, options=opts,
                   passes=tuple(parsed(scenario, p) for p in passes))


def record_all() -> None:
    """Re-record every scenario with the vendored engine."""
    from conn_summary.engine import check_subnettree, locate
    check_subnettree()
    engine = locate()
    RECORDED.mkdir(parents=True, exist_ok=True)
    for sc in SCENARIOS.values():
        runs = run_scenario(sc, engine)
        for name, run in runs.items():
            with open(recorded_path(sc.name, name), "w", encoding="utf-8", newline="") as f:
                f.write(run.text)
        print(f"{sc.name}: recorded with {engine.path} {engine.version}")


if __name__ == "__main__":
    record_all()
