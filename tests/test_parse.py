"""Tests of conn_summary.parse on recorded real trace-summary output (tests/goldens/engine)."""

from __future__ import annotations

import calendar
import time

import pytest

from conn_summary.model import LocalNetRow, TopRow
from conn_summary.parse import _parse_cell, parse_report, parse_time, parse_value, split_blocks
from helpers_engine import PASSES, SCENARIOS, parsed, recorded, tz_set

ALL = [(s, p) for s in SCENARIOS for p in PASSES]


@pytest.mark.parametrize("scenario,pass_name", ALL)
def test_round_trip_byte_for_byte(scenario, pass_name):
    text = recorded(scenario, pass_name)
    report = parsed(scenario, pass_name)
    assert "".join(report.parts) == text == report.raw
    for s in report.sections:
        assert s.raw.startswith("\n>== ") and s.raw in report.parts
        if s.kind != "interval":
            assert s.raw.endswith("\n\n")  # the section's own trailing newline, plus print()'s
    assert report.first_last_raw == report.parts[-1]
    assert report.first_last_raw.startswith("First: ") and report.first_last_raw.endswith("\n")


DEFAULT_LAYOUT = [(s, p) for s, p in ALL if SCENARIOS[s].top in (None, 10) and not SCENARIOS[s].intervals]


@pytest.mark.parametrize("scenario,pass_name", DEFAULT_LAYOUT)
def test_total_is_the_first_15_lines_at_top_10(scenario, pass_name):
    """THT keeps `head -15`: at the default top 10 that is the Total section less the
    final newline of its print() (the section already ends with a blank line)."""
    text = recorded(scenario, pass_name)
    head15 = "".join(text.splitlines(keepends=True)[:15])
    raw = parsed(scenario, pass_name).total.raw
    assert raw.endswith("\n\n\n") and raw[:-1] == head15


def test_base_connections():
    r = parsed("base", "connections")
    t = r.total
    assert (t.title, t.kind, t.connections, t.connections_text, t.payload, t.payload_text) == (
        "Total", "total", 4.0, "4.0", 18200.0, "18.2k")
    assert t.ports == (TopRow(443, 50.0), TopRow(80, 25.0), TopRow(53, 25.0))
    assert t.sources == (TopRow("10.0.0.5", 50.0), TopRow("192.168.1.20", 25.0), TopRow("10.0.0.6", 25.0))
    assert t.destinations[0] == TopRow("192.0.2.10", 50.0)
    assert t.services == (TopRow("ssl", 50.0), TopRow("http", 25.0), TopRow("dns", 25.0))
    assert t.protocols == (TopRow(6, 75.0), TopRow(17, 25.0))
    assert t.states == (TopRow("SF", 100.0),)
    assert [s.kind for s in r.sections] == ["total", "incoming", "outgoing", "local-net", "local-net"]
    assert [s.title for s in r.sections][3:] == ["10.0.0.0/8", "192.168.0.0/16"]
    incoming = r.section("incoming")
    assert (incoming.connections, incoming.payload, incoming.start, incoming.end, incoming.ports) == (
        0.0, 0.0, None, None, ())
    assert (incoming.start_text, incoming.connections_text) == ("N/A", "0")
    assert r.local_nets[0] == LocalNetRow(rank=1, connections_text="3.0", network="10.0.0.0/8", label="")
    assert r.local_nets_raw.startswith("\n>== Top 10 local networks by number of connections\n\n")
    assert r.non_local_count is None and r.non_local_pairs == ()


def test_base_bytes_percentages():
    t = parsed("base", "bytes").total
    assert [(r.value, r.percent) for r in t.ports] == [(443, 82.6), (80, 16.5), (53, 0.9)]
    assert t.protocols == (TopRow(6, 99.1), TopRow(17, 0.9))


def test_times_utc_and_first_last_exact():
    r = parsed("base", "connections")
    assert (r.first, r.last) == (1714564800.1, 1714564831.2)
    assert (r.total.start, r.total.end) == (r.first, r.last)  # exact epochs, not whole seconds
    assert (r.first_text, r.last_text) == ("2024-05-01-12-00-00", "2024-05-01-12-00-31")
    out = r.section("outgoing")
    assert (out.start, out.end) == (1714564800.0, 1714564831.0)


def test_times_in_local_zone_use_mktime():
    # Recorded with TZ=GMT+5: printed 07:00, the same instants as the UTC recording.
    utc = parsed("base", "connections")
    local = parsed("base-gmt5", "connections")
    assert local.total.start_text == "2024-05-01-07-00-00"
    for a, b in zip(utc.sections, local.sections):
        assert (a.start, a.end) == (b.start, b.end)
    with tz_set("GMT+5"):
        assert parse_time("2024-05-01-07-00-00", utc=False) == 1714564800.0
    assert parse_time("2024-05-01-12-00-00", utc=True) == calendar.timegm((2024, 5, 1, 12, 0, 0))
    assert parse_time("N/A", utc=True) is None


def test_empty_report():
    r = parsed("empty", "bytes")
    assert (r.first, r.last, r.first_text, r.last_text) == (None, None, "N/A", "N/A")
    t = r.total
    assert (t.start, t.end, t.connections, t.payload, t.ports, t.states) == (None, None, 0.0, 0.0, (), ())
    assert [n.connections_text for n in r.local_nets] == ["0"] * 4


def test_ipv6_widened_columns_and_labels():
    r = parsed("mixed", "connections")
    t = r.total
    assert TopRow("2001:db8:ffff:ffff:ffff:ffff:ffff:2", 20.0) in t.destinations
    assert t.services[0] == TopRow("-", 40.0)
    assert t.protocols == (TopRow(6, 70.0), TopRow(17, 20.0), TopRow(1, 10.0))
    out = r.section("outgoing")
    assert out.sources[3] == TopRow("2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", 14.3)
    assert out.destinations[4] == TopRow("192.0.2.33", 14.3)   # a longer column than its neighbours
    assert [s.title for s in r.sections if s.kind == "local-net"] == [
        "10.0.0.0/8 Corp LAN", "172.16.0.0/12", "2001:db8:aaaa::/48 v6 lab"]
    assert r.local_nets[2] == LocalNetRow(3, "1.0", "2001:db8:aaaa::/48", "v6 lab")
    assert r.local_nets[3] == LocalNetRow(4, "0", "192.168.0.0/16", "Home")
    assert r.non_local_count == 2
    assert r.non_local_pairs == (("192.0.2.50", "198.51.100.60"), ("192.0.2.51", "198.51.100.61"))
    assert r.non_local_raw.startswith("\n>== 2 connections did not have any local address.")
    assert (t.payload, t.payload_text) == (2.5e6, "2.5m")
    assert r.section("local-net").payload_text == "14.2k"


def test_intervals_and_resolve_suffixes():
    r = parsed("base-all", "connections")
    intervals = [s for s in r.sections if s.kind == "interval"]
    assert len(intervals) == 5 and all(s.title == "" and s.ports == () for s in intervals)
    assert [s.connections for s in intervals] == [1.0] * 5
    assert intervals[2].payload_text == "160.0" and intervals[4].payload_text == "0"
    assert intervals[0].start == 1714564800.0 and intervals[0].end == 1714564810.0
    assert r.sections[len(intervals)].kind == "total"
    t = r.total
    # "#N" suffixes are gone; unresolved names ("<???>") are not names.
    assert t.sources == (TopRow("10.0.0.5", 60.0), TopRow("192.168.1.20", 20.0), TopRow("10.0.0.6", 20.0))
    assert t.states == (TopRow("SF", 80.0), TopRow("REJ", 20.0))


def test_resolved_names_map_to_rows():
    text = recorded("base-all", "connections")
    for n, host in ((1, "a.example"), (2, "b.example"), (4, "d.example"), (6, "f.example")):
        text = text.replace(f"#{n}=<???>", f"#{n}={host}", 1)
    t = parse_report("connections", text, utc=True).total
    assert t.sources[0] == TopRow("10.0.0.5", 60.0, name="a.example")
    assert t.destinations[0] == TopRow("192.0.2.10", 40.0, name="b.example")
    assert t.sources[1] == TopRow("192.168.1.20", 20.0, name=None)
    assert t.destinations[1].name == "d.example" and t.destinations[2].name == "f.example"


@pytest.mark.parametrize("text,value", [
    (" 4.0", 4.0), ("1.5k", 1500.0), ("18.2m", 18.2e6), ("3.0g", 3e9), ("0", 0.0), (" 160.0", 160.0),
    ("999.9", 999.9), ("1.0k", 1000.0)])
def test_parse_value(text, value):
    assert parse_value(text) == pytest.approx(value)


@pytest.mark.parametrize("cell,expected", [
    ("     443    50.0% ", ("443", 50.0)),
    (" 10.0.0.5            50.0% ", ("10.0.0.5", 50.0)),
    (" 443   (??%) ", ("443", None)),
    ("               50.0% ", ("", 50.0)),
    (" SF     100.0% ", ("SF", 100.0)),
    ("                    ", None),
])
def test_parse_cell(cell, expected):
    assert _parse_cell(cell) == expected


def test_unknown_percentages_when_total_is_zero():
    # What the engine prints when the pass's measure is zero: fmt() falls back to "(??%)".
    text = recorded("base", "bytes").replace("82.6%", "(??%)", 1)
    t = parse_report("bytes", text, utc=True).total
    assert t.ports[0] == TopRow(443, None)


def test_split_blocks_keeps_everything():
    text = recorded("mixed", "bytes")
    blocks = split_blocks(text)
    assert "".join(blocks) == text
    assert [b.split("\n")[1][:12] for b in blocks[:-1]][:4] == [
        ">== Total ==", ">== Top 5 lo", ">== 2 connec", ">== Incoming"]


def test_not_a_report():
    with pytest.raises(ValueError):
        parse_report("connections", "Traceback (most recent call last):\n")
    with pytest.raises(ValueError):
        parse_report("connections", "")


def test_local_time_parse_follows_process_zone():
    with tz_set("GMT+5"):
        r = parse_report("connections", recorded("base-gmt5", "connections"), utc=False)
        assert r.section("outgoing").start == time.mktime(time.strptime("2024-05-01-07-00-00",
                                                                         "%Y-%m-%d-%H-%M-%S"))
    assert r.section("outgoing").start == 1714564800.0
