"""Tests of the renderers (plain, JSON, rich) on Summaries built from recorded engine output.

Rich output is compared with golden files under tests/goldens/; they are rewritten only
when CONN_SUMMARY_REGEN_GOLDENS=1 (``make goldens``).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from conftest import REPO, require_engine, run_anchor
from conn_summary.errors import UsageError
from conn_summary.model import SCHEMA_VERSION, TopRow
from conn_summary.render.json import iso_utc, render_json
from conn_summary.render.plain import render_plain
from conn_summary.render.rich import bar, render_rich
from helpers_engine import GOLDENS, INPUTS, SCENARIOS, recorded, summary_for, tz_set

SCHEMA = json.loads((REPO / "schema" / "conn-summary.schema.json").read_text())
REGEN = os.environ.get("CONN_SUMMARY_REGEN_GOLDENS") == "1"


def _head15(text: str) -> str:
    return "".join(text.splitlines(keepends=True)[:15])


# --- plain ------------------------------------------------------------------------------


def test_plain_default_is_tht_layout():
    expected = ("Connections:\n============\n" + _head15(recorded("base", "connections"))
                + "Bytes:\n======\n" + _head15(recorded("base", "bytes")))
    assert render_plain(summary_for("base")) == expected


@pytest.mark.engine
def test_plain_default_equals_the_anchor(tmp_path):
    """Byte for byte what THT's procedure prints for the same input (TZ=GMT+5 both sides)."""
    require_engine()
    anchor = run_anchor((INPUTS / "base.log").read_bytes(), tmp_path, tz="GMT+5")
    assert anchor.returncode == 0, anchor.stderr.decode()
    assert anchor.stdout.decode() == render_plain(summary_for("base-gmt5"))


def test_plain_only_one_pass():
    s = summary_for("base", passes=("bytes",))
    assert render_plain(s) == "Bytes:\n======\n" + _head15(recorded("base", "bytes"))


def test_plain_all_is_whole_output_in_upstream_order():
    for sc in SCENARIOS:
        out = render_plain(summary_for(sc), sections="all")
        assert out == ("Connections:\n============\n" + recorded(sc, "connections")
                       + "Bytes:\n======\n" + recorded(sc, "bytes"))
    out = render_plain(summary_for("mixed"), sections="all")
    order = [out.index(m) for m in (">== Total", ">== Top 5 local", ">== 2 connections did not",
                                    ">== Incoming", ">== Outgoing", ">== 10.0.0.0/8 Corp LAN", "First:")]
    assert order == sorted(order)


def test_plain_chosen_sections():
    s = summary_for("mixed", passes=("connections",))
    out = render_plain(s, sections="total,incoming")
    p = s.passes[0]
    assert out == "Connections:\n============\n" + p.total.raw + p.section("incoming").raw
    assert render_plain(s, sections="first-last").endswith("1714564810.000000\n")
    with pytest.raises(UsageError):
        render_plain(s, sections="bogus")


# --- JSON -------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_json_validates(scenario):
    doc = json.loads(render_json(summary_for(scenario, options={"sections": "all", "only": None})))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_json_content_base():
    doc = json.loads(render_json(summary_for("base")))
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["engine"] == {"path": "/opt/test/trace-summary", "version": "0.93", "source": "vendored"}
    assert doc["options"] == {"sections": "total", "utc": True, "top": 10}
    assert doc["inputs"]["totals"]["balanced"] is True
    assert doc["inputs"]["ip_protocols"] == [{"ip_proto": 6, "name": "tcp", "count": 4},
                                             {"ip_proto": 17, "name": "udp", "count": 1}]
    conns = doc["passes"]["connections"]["total"]
    assert conns["totals"] == {"connections": 4.0, "connections_text": "4.0",
                               "payload": 18200.0, "payload_text": "18.2k"}
    assert conns["ports"] == [{"value": 443, "percent": 50.0}, {"value": 80, "percent": 25.0},
                              {"value": 53, "percent": 25.0}]
    assert conns["protocols"][0] == {"value": 6, "percent": 75.0, "name": "tcp"}
    assert conns["sources"][0] == {"value": "10.0.0.5", "percent": 50.0}
    assert conns["time_range"] == {"start": "2024-05-01T12:00:00.100000Z",
                                   "end": "2024-05-01T12:00:31.200000Z",
                                   "start_epoch": 1714564800.1, "end_epoch": 1714564831.2}
    byts = doc["passes"]["bytes"]["total"]
    assert [r["percent"] for r in byts["ports"]] == [82.6, 16.5, 0.9]
    incoming = doc["passes"]["connections"]["sections"][0]
    assert incoming["kind"] == "incoming"
    assert incoming["time_range"] == {"start": None, "end": None, "start_epoch": None, "end_epoch": None}


def test_json_mixed_inputs_and_extras():
    doc = json.loads(render_json(summary_for("mixed")))
    inputs = doc["inputs"]
    assert inputs["other_protocols"] == [{"ip_proto": 47, "name": "gre", "count": 2},
                                         {"ip_proto": 6, "name": "tcp", "count": 1},
                                         {"ip_proto": 50, "name": "esp", "count": 1}]
    assert inputs["skipped"] == [{"reason": "wrong field count", "count": 1,
                                  "examples": ["mixed.log.gz:12"]}]
    assert inputs["files"][0]["compression"] == "gzip"
    p = doc["passes"]["connections"]
    assert p["non_local"]["count"] == 2
    assert p["non_local"]["examples"][0] == {"source": "192.0.2.50", "destination": "198.51.100.60"}
    assert p["local_networks"][0] == {"rank": 1, "network": "10.0.0.0/8", "label": "Corp LAN",
                                      "connections_text": "6.0"}
    assert p["total"]["totals"]["payload"] == 2.5e6


def test_json_resolved_names_and_unknown_percent():
    s = summary_for("base")
    conns = s.passes[0]
    total = replace(conns.total, sources=(TopRow("10.0.0.5", None, name="a.example"),))
    s = replace(s, passes=(replace(conns, sections=(total,) + conns.sections[1:]), s.passes[1]))
    doc = json.loads(render_json(s))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["passes"]["connections"]["total"]["sources"] == [
        {"value": "10.0.0.5", "percent": None, "name": "a.example"}]


def test_iso_utc():
    assert iso_utc(1714564800.0) == "2024-05-01T12:00:00Z"
    assert iso_utc(None) is None


# --- rich -------------------------------------------------------------------------------


def _text(summary, width: int, explain: bool = False, sections: str | None = None) -> str:
    console = Console(width=width, record=True, color_system=None, file=open(os.devnull, "w"))
    with tz_set("GMT+5"):
        console.print(render_rich(summary, explain=explain, sections=sections))
    return console.export_text()


def _line_with(text: str, *needles: str) -> bool:
    return any(all(n in line for n in needles) for line in text.splitlines())


def test_rich_wide_puts_passes_side_by_side():
    out = _text(summary_for("base"), 160)
    assert _line_with(out, "By connections", "By bytes")
    assert _line_with(out, "443", "50.0%", "82.6%")
    assert "6 tcp" in out and "17 udp" in out
    assert "Time (UTC)    2024-05-01 12:00:00 → 2024-05-01 12:00:40" in out
    assert "2024-05-01 07:00:00 -0500" in out           # local time, in the process's zone
    assert "trace-summary 0.93 (vendored: /opt/test/trace-summary)" in out
    assert "5 lines read · 5 records summarized · 0 skipped" in out


def test_rich_narrow_stacks_passes():
    out = _text(summary_for("base"), 100)
    assert not _line_with(out, "By connections", "By bytes")
    assert out.index("By connections") < out.index("By bytes")
    assert max(len(line) for line in out.splitlines()) <= 100


def test_rich_other_protocols_and_skips():
    out = _text(summary_for("mixed"), 160)
    assert "47 gre: 2 · 6 tcp: 1 · 50 esp: 1 · payload 10.0k" in out
    assert "1 skipped (wrong field count: 1)" in out
    assert "mixed.log.gz (gzip, zeek-tsv), stdin (zeek-json)" in out
    assert "Other protocols" not in _text(summary_for("base"), 160)


def test_rich_explain_legend():
    out = _text(summary_for("mixed"), 160, explain=True)
    assert "Legend" in out
    assert _line_with(out, "S0", "Connection attempt seen, no reply.")
    assert _line_with(out, "REJ", "Connection attempt rejected.")
    assert _line_with(out, "service ssh", "Secure Shell.")
    assert "Legend" not in _text(summary_for("mixed"), 160)


def test_rich_all_sections():
    out = _text(summary_for("mixed", options={"sections": "all"}), 160)
    for needle in ("Incoming", "Outgoing", "10.0.0.0/8 Corp LAN", "Local networks by connections",
                   "2 connections had no local address", "192.0.2.50 ↔ 198.51.100.60"):
        assert needle in out
    assert "Incoming" not in _text(summary_for("mixed"), 160)


def test_rich_shows_intervals_when_asked():
    s = summary_for("base-all", options={"sections": "total", "intervals": "10"})
    out = _text(s, 100, sections="interval,total")   # what the CLI passes for --intervals
    assert "Intervals · 5 × 10s" in out
    assert _line_with(out, "Start", "End", "Connections", "Payload")
    assert _line_with(out, "2024-05-01-12-00-20", "2024-05-01-12-00-30", "1", "160.0")
    assert out.count("Intervals") == 1               # both passes print the same intervals
    assert "Intervals" not in _text(s, 100)          # sections "total" alone: no intervals
    assert "Intervals" in _text(replace(s, options={"sections": "all"}), 100)


@pytest.mark.parametrize("width", [80, 60])
def test_rich_narrow_keeps_titles_whole(width):
    for scenario in ("base-all", "mixed", "empty"):
        out = _text(summary_for(scenario, options={"sections": "all", "intervals": "10"}), width)
        assert "…" not in out, (scenario, [ln for ln in out.splitlines() if "…" in ln][:3])
        assert max(len(line) for line in out.splitlines()) <= width
    narrow = _text(summary_for("base-all", options={"sections": "all", "intervals": "10"}), 60)
    assert _line_with(narrow, "Start", "Connections", "Payload") and not _line_with(narrow, "End")


def test_rich_empty_summary():
    out = _text(summary_for("empty"), 100)
    assert "0 connections · payload 0" in out and "none" in out


def test_bar():
    assert bar(100.0) == "██████████" and bar(0.0) == " " * 10 and bar(None) == ""
    assert bar(50.0) == "█████     " and bar(0.3).startswith("▏")


@pytest.mark.parametrize("name,scenario,width,explain,options", [
    ("rich-base-160.txt", "base", 160, False, {}),
    ("rich-base-100-explain.txt", "base", 100, True, {}),
    ("rich-mixed-160-all.txt", "mixed", 160, True, {"sections": "all"}),
    ("rich-base-all-80-all.txt", "base-all", 80, False, {"sections": "all", "intervals": "10"}),
])
def test_rich_golden(name, scenario, width, explain, options):
    out = _text(summary_for(scenario, options=options), width, explain=explain)
    golden: Path = GOLDENS / name
    if REGEN or not golden.exists():
        if not REGEN:
            pytest.fail(f"golden {golden.name} missing: run `make goldens`")
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")
