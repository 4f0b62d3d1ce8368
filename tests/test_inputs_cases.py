"""Reported problem cases (../shared/cases) at the input level, values from its README."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conn_summary.errors import InputError
from conn_summary.inputs import RecordFilter

from helpers_inputs import CASES, need_shared, norm, rows

pytestmark = pytest.mark.corpus

BASE_FIRST = 1714564800.1   # 2024-05-01 12:00:00.1 UTC


@pytest.fixture(autouse=True)
def _shared():
    need_shared()


def test_01_stdin_equals_file_and_big_is_exact():
    f = CASES / "01-stdin-pipe" / "input.log"
    a = norm([str(f)])
    b = norm(["-"], stdin=f.read_bytes())
    assert a[1] == b[1] and a[0].records == b[0].records == 5
    big = subprocess.run([sys.executable, str(CASES / "01-stdin-pipe" / "make_big.py")],
                         capture_output=True, check=True).stdout
    rep, out = norm(["-"], stdin=big)
    assert rep.records == 1000 and len(rows(out)) == 1000 and rep.balanced
    assert sum(int(r.split(b"\t")[9]) + int(r.split(b"\t")[10]) for r in rows(out)) == 300_000


def test_03_gzip_file_and_stdin():
    gz = CASES / "03-gzip" / "input.log.gz"
    base = norm([str(CASES / "01-stdin-pipe" / "input.log")])[1]
    assert norm([str(gz)])[1] == base
    assert norm(["-"], stdin=gz.read_bytes())[1] == base


def test_04_multiple_files():
    d = CASES / "04-multiple-files"
    rep, out = norm([str(d / "input-a.log"), str(d / "input-b.log")])
    assert rep.records == 4 and len(rep.files) == 2
    rep, out = norm([str(d / f"input-{x}.log") for x in "abc"])
    assert rep.records == 5 and len(rows(out)) == 5
    with pytest.raises(InputError) as e:
        norm([str(d / "input-a.log"), str(d / "input-missing.log")])
    assert "input-missing.log" in e.value.message


@pytest.mark.parametrize("name", ["input-ts-iso-no-fraction.json", "input-ts-iso-offset.json",
                                  "input-ts-iso-zeek-default.json", "input-ts-millis.json"])
def test_06_json_timestamps(name):
    rep, out = norm([str(CASES / "06-json-timestamps" / name)])
    assert rep.records == 5 and rep.balanced and not rep.skipped
    # The no-fraction file holds whole seconds: its first record is 12:00:00.0.
    first = 1714564800.0 if "no-fraction" in name else BASE_FIRST
    assert rep.first_ts == pytest.approx(first, abs=1e-6)
    assert rows(out)[0].split(b"\t")[0] == b"%.6f" % first


def test_06_all_timestamps_unreadable_names_field_and_value(tmp_path):
    src = (CASES / "06-json-timestamps" / "input-ts-millis.json").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(re.sub(r'"ts":(\d+)', r'"ts":"yesterday \1"', src))
    rep, _ = norm([str(bad)])
    assert rep.records == 0 and rep.lines == 5
    (reason,) = rep.skipped
    assert reason.reason == "bad timestamp (ts)" and reason.count == 5
    assert reason.examples[0].startswith(f"{bad}:1: 'yesterday 17")


def test_07_unknown_transport():
    rep, out = norm([str(CASES / "07-unknown-transport" / "input.log")])
    assert dict(rep.ip_protocols) == {47: 2, 6: 1, 50: 1}
    assert rep.records == 1 and rep.other_total == 3 and rep.lines == 4 and rep.balanced
    assert rep.other_protocols == ((47, 2), (50, 1))
    payload = sum(int(r.split(b"\t")[9]) + int(r.split(b"\t")[10]) for r in rows(out))
    assert payload + rep.other_protocols_payload == 10_000


def test_13_since_any_zone():
    rep, out = norm([str(CASES / "13-time-zones" / "input.log")],
                    record_filter=RecordFilter(since=1714564815.0))
    assert [r.split(b"\t")[1] for r in rows(out)] == [b"CAbc3", b"CAbc4", b"CAbc5"]
    assert rep.filtered == 2 and rep.balanced


def test_14_not_a_conn_log():
    d = CASES / "14-not-a-conn-log"
    with pytest.raises(InputError) as e:
        norm([str(d / "input-dns.log")])
    assert "input-dns.log" in e.value.message and "dns" in e.value.message
    with pytest.raises(InputError) as e:
        norm([str(d / "input-conn-summary-report.log")])
    assert "input-conn-summary-report.log" in e.value.message and "not a conn log" in e.value.message
