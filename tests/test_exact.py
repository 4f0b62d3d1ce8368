"""Exact Total figures (exact.py): the engine's selection rules replayed on the canonical
file, checked against the engine's rounded figures on every corpus log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CORPUS, require_engine, require_shared, run_cli
from conn_summary.exact import compute, format_val
from conn_summary.inputs import CANONICAL_HEADER
from conn_summary.nets import DEFAULT_EXCLUDE_NETS, DEFAULT_LOCAL_NETS


def canonical(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "canon.tsv"
    path.write_text(CANONICAL_HEADER + "".join(r + "\n" for r in rows))
    return path


ROWS = [
    # external, 1000 + 9000 bytes
    "1714564800.1\tC1\t10.0.0.5\t1\t192.0.2.10\t443\ttcp\tssl\t1.5\t1000\t9000\tSF",
    # internal only: left out with --external
    "1714564801.1\tC2\t10.0.0.5\t1\t10.0.0.6\t445\ttcp\t-\t0.1\t0\t0\tREJ",
    # excluded (multicast)
    "1714564802.1\tC3\t10.0.0.5\t1\t224.0.0.251\t5353\tudp\tdns\t0.1\t10\t0\tS0",
    # 100 MB in 0.01 s: over 700 Mbit/s, so the engine drops it from the payload (not from bytes)
    "1714564803.1\tC4\t10.0.0.7\t1\t198.51.100.7\t80\ttcp\thttp\t0.01\t100000000\t20\tSF",
    # udp, unset bytes and duration
    "1714564804.1\tC5\t10.0.0.7\t1\t198.51.100.8\t53\tudp\tdns\t-\t-\t-\tS0",
]


def test_compute_applies_engine_rules(tmp_path: Path) -> None:
    path = canonical(tmp_path, ROWS)
    t = compute(path, local_nets=DEFAULT_LOCAL_NETS, exclude_nets=DEFAULT_EXCLUDE_NETS,
                external=True, tcp=False, udp=False)
    assert (t.connections, t.payload, t.bytes) == (3, 10020, 100010020)
    everything = compute(path, local_nets=DEFAULT_LOCAL_NETS, exclude_nets=None, external=False,
                         tcp=False, udp=False)
    assert everything.connections == 5
    assert compute(path, local_nets=DEFAULT_LOCAL_NETS, exclude_nets=None, external=False,
                   tcp=False, udp=True).connections == 2


def test_format_val_is_the_engines() -> None:
    assert [format_val(v) for v in (0, 4, 999, 1000, 1549, 18160, 2_500_000, 3e9)] == [
        "0", " 4.0", " 999.0", "1.0k", "1.5k", "18.2k", "2.5m", "3.0g"]


@pytest.mark.engine
@pytest.mark.corpus
@pytest.mark.parametrize("rel", ["habuiphuchust+zeekids/conn.log", "LubyRuffy+brobeat/conn.log",
                                 "activecm+rita/missing_host/2024-04-19",
                                 "taleibhans+Trickbot-Netwrok-Analysis-Playbook/conn.log",
                                 "EvansWJ-dev+ZeekLogs/conn.log"])
def test_exact_totals_agree_on_real_logs(rel: str) -> None:
    require_shared()
    require_engine()
    for extra in ([], ["--all"], ["--tcp"]):
        res = run_cli([str(CORPUS / rel), "--format", "json", *extra])
        if extra == ["--tcp"] and res.returncode == 5:
            # A log without TCP (EvansWJ: ICMP and UDP only): everything filtered out.
            assert b"no connections left" in res.stderr and rel.startswith("EvansWJ")
            continue
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        exact = doc["exact_totals"]
        assert exact is not None, res.stderr
        total = doc["passes"]["connections"]["total"]["totals"]
        assert format_val(exact["connections"]).strip() == total["connections_text"].strip()
        assert exact["connections"] <= doc["inputs"]["totals"]["records"]


@pytest.mark.engine
def test_no_exact_claim_with_passthrough_options(tmp_path: Path) -> None:
    require_engine()
    path = canonical(tmp_path, ROWS)
    res = run_cli([str(path), "--format", "json", "--", "-n", "3"])
    assert json.loads(res.stdout)["exact_totals"] is None
    assert json.loads(run_cli([str(path), "--format", "json"]).stdout)["exact_totals"] == {
        "connections": 3, "payload": 10020, "bytes": 100010020}
