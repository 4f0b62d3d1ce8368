"""Input layer, one dialect/feature at a time: plain values in, report + canonical rows out."""

from __future__ import annotations

import bz2
import gzip
import io
import ipaddress
import json
import lzma
import os

import pytest
import zstandard

from conn_summary.errors import InputError
from conn_summary.inputs import CANONICAL_HEADER, RecordFilter, normalize
import importlib

# The package re-exports the function `normalize`, which shadows the module's name.
nmod = importlib.import_module("conn_summary.inputs.normalize")

from helpers_inputs import norm, norm_bytes, rows

FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
          "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
          "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()


def header(fields=FIELDS, sep="\t", path="conn", unset="-") -> str:
    s = "\\x09" if sep == "\t" else sep
    return (f"#separator {s}\n#set_separator{sep},\n#empty_field{sep}(empty)\n#unset_field{sep}{unset}\n"
            f"#path{sep}{path}\n#open{sep}2024-05-01-12-00-00\n#fields{sep}" + sep.join(fields) + "\n"
            f"#types{sep}" + sep.join(["x"] * len(fields)) + "\n")


RECS = [
    ("1714564800.100000", "CAbc1", "10.0.0.5", "50001", "192.0.2.10", "443", "tcp", "ssl", "1.500000", "1000", "9000", "SF"),
    ("1714564810.200000", "CAbc2", "10.0.0.5", "50002", "192.0.2.10", "443", "tcp", "ssl", "2.000000", "500", "4500", "SF"),
    ("1714564820.300000", "CAbc3", "10.0.0.6", "53000", "198.51.100.7", "53", "udp", "dns", "0.050000", "40", "120", "SF"),
    ("1714564830.400000", "CAbc4", "192.168.1.20", "51000", "203.0.113.50", "80", "tcp", "http", "0.800000", "300", "2700", "SF"),
    ("1714564840.500000", "CAbc5", "10.0.0.5", "50003", "10.0.0.6", "445", "tcp", "-", "0.100000", "0", "0", "REJ"),
]
TAIL = ["-", "-", "0", "-", "1", "0", "1", "0", "-"]
EXPECTED = [("\t".join(r)).encode() for r in RECS]


def tsv(recs=RECS, **kw) -> str:
    return header(**kw) + "".join("\t".join(list(r) + TAIL) + "\n" for r in recs) + "#close\t2024\n"


def test_header_is_the_documented_one():
    assert CANONICAL_HEADER.splitlines()[5].split("\t")[1:] == FIELDS[:12]
    rep, out = norm_bytes(b"")
    assert out == CANONICAL_HEADER.encode()
    assert rep.lines == 0 and rep.records == 0 and rep.files[0].format == "empty"


def test_standard_tsv():
    rep, out = norm_bytes(tsv().encode())
    assert rows(out) == EXPECTED
    assert (rep.lines, rep.records, rep.balanced) == (5, 5, True)
    assert rep.files[0].format == "zeek-tsv" and rep.files[0].compression == "none"
    assert rep.first_ts == pytest.approx(1714564800.1)
    assert rep.last_ts == pytest.approx(1714564840.6)
    assert dict(rep.ip_protocols) == {6: 4, 17: 1}


def test_fast_and_generic_paths_agree(monkeypatch):
    data = tsv().encode()
    a = norm_bytes(data)
    monkeypatch.setattr(nmod, "FAST_PATH", False)
    assert norm_bytes(data) == a


def test_reordered_extra_columns_and_custom_first():
    fields = ["_node_name"] + FIELDS[::-1]
    recs = "".join("\t".join(["worker-1"] + (list(r) + TAIL)[::-1]) + "\n" for r in RECS)
    rep, out = norm_bytes((header(fields) + recs).encode())
    assert rows(out) == EXPECTED and rep.balanced


def test_missing_optional_columns():
    fields = ["ts", "id.orig_h", "id.resp_h", "id.resp_p", "proto"]
    body = "1714564800.100000\t10.0.0.5\t192.0.2.10\t443\ttcp\n"
    rep, out = norm_bytes((header(fields) + body).encode())
    # Unset byte counts are written 0 (canonical.UNSET_COUNT), the rest "-".
    assert rows(out) == [b"1714564800.100000\t-\t10.0.0.5\t0\t192.0.2.10\t443\ttcp\t-\t-\t0\t0\t-"]


def test_missing_required_fields_is_an_error():
    with pytest.raises(InputError) as e:
        norm_bytes((header(["ts", "uid", "id.orig_h", "proto"]) + "1\tC\t1.2.3.4\ttcp\n").encode())
    assert "id.resp_h" in e.value.message and "id.resp_p" in e.value.message and "-:7" in e.value.message


def test_comma_separator_and_custom_unset():
    rep, out = norm_bytes(tsv(sep=",", unset="XXX").replace("\t", ",").encode())
    assert rows(out) == EXPECTED


def test_unset_field_honoured():
    recs = [r[:7] + ("XXX", "XXX", "XXX", "XXX", "XXX") for r in RECS[:1]]
    _, out = norm_bytes(tsv(recs, unset="XXX").encode())
    assert rows(out) == [b"\t".join(x.encode() for x in RECS[0][:7]) + b"\t-\t-\t0\t0\t-"]


def test_separator_header_with_tab():
    data = tsv().replace("#separator \\x09", "#separator\t\\x09")
    assert rows(norm_bytes(data.encode())[1]) == EXPECTED


def test_types_before_fields_and_no_close():
    h = header().splitlines()
    h[6], h[7] = h[7], h[6]
    data = "\n".join(h) + "\n" + tsv().split(h[7] + "\n")[1].replace("#close\t2024\n", "")
    assert rows(norm_bytes(data.encode())[1]) == EXPECTED


def test_several_header_blocks_each_governs_its_rows():
    a = tsv(RECS[:2])
    fields = FIELDS[::-1]
    b = header(fields) + "".join("\t".join((list(r) + TAIL)[::-1]) + "\n" for r in RECS[2:])
    rep, out = norm_bytes((a + b).encode())
    assert rows(out) == EXPECTED and rep.lines == 5


def test_close_in_the_middle_keeps_the_header():
    data = tsv(RECS[:2]).replace("#close\t2024\n", "") + "#close\t2024\n" + \
        "".join("\t".join(list(r) + TAIL) + "\n" for r in RECS[2:])
    assert rows(norm_bytes(data.encode())[1]) == EXPECTED


def test_crlf_nul_non_utf8_and_truncated_last_line():
    data = tsv().replace("\n", "\r\n").encode()
    assert rows(norm_bytes(data)[1]) == EXPECTED
    bad = tsv().encode().replace(b"CAbc3", b"CA\xffb\x00c3").replace(b"\tdns\t", b"\td\rns\t")
    rep, out = norm_bytes(bad)
    r = rows(out)
    assert r[2].split(b"\t")[1] == "CA\ufffdb c3".encode() and r[2].split(b"\t")[7] == b"d ns"
    out.decode("utf-8")  # the engine opens its input as UTF-8 text
    cut = tsv().replace("#close\t2024\n", "")[:-40].encode()
    rep, out = norm_bytes(cut)
    assert rep.records == 4 and rep.skipped[0].reason == "wrong field count" and rep.balanced
    assert rep.skipped[0].examples[0].startswith("-:13:")


def test_plain_header_line_and_pre20_header():
    plain = "\t".join(FIELDS) + "\n" + "".join("\t".join(list(r) + TAIL) + "\n" for r in RECS)
    rep, out = norm_bytes(plain.encode())
    assert rows(out) == EXPECTED and rep.lines == 5 and rep.files[0].format == "zeek-tsv-plain-header"
    pre = "# " + plain
    rep, out = norm_bytes(pre.encode())
    assert rows(out) == EXPECTED and rep.lines == 5


def test_headerless_tsv_default_order():
    data = "".join("\t".join(list(r) + TAIL) + "\n" for r in RECS)
    rep, out = norm_bytes(data.encode())
    assert rows(out) == EXPECTED and rep.files[0].format == "headerless-tsv"


def _json_rec(r, style="flat", ts=None):
    d = {"ts": float(r[0]) if ts is None else ts, "uid": r[1], "proto": r[6],
         "duration": float(r[8]), "orig_bytes": int(r[9]), "resp_bytes": int(r[10]), "conn_state": r[11]}
    if r[7] != "-":
        d["service"] = r[7]
    ids = {"orig_h": r[2], "orig_p": int(r[3]), "resp_h": r[4], "resp_p": int(r[5])}
    if style == "nested":
        d["id"] = ids
    else:
        sep = "." if style == "flat" else "_"
        d.update({f"id{sep}{k}": v for k, v in ids.items()})
    return d


def _expected_json():
    # JSON durations are numbers: written as the number's text (1.5, not 1.500000).
    return [b"\t".join(x.encode() for x in r[:8] + (repr(float(r[8])),) + r[9:]) for r in RECS]


@pytest.mark.parametrize("style", ["flat", "nested", "underscore"])
def test_json_lines(style):
    data = "".join(json.dumps(_json_rec(r, style)) + "\n" for r in RECS)
    rep, out = norm_bytes(data.encode())
    assert rows(out) == _expected_json() and rep.files[0].format == "zeek-json"


def test_json_array_and_timestamp_forms():
    recs = [_json_rec(r) for r in RECS]
    recs[0]["ts"] = "2024-05-01T12:00:00.1Z"
    recs[1]["ts"] = "2024-05-01T14:00:10.200000000+02:00"
    recs[2]["ts"] = 1714564820300
    recs[3]["ts"] = "1714564830.4"
    data = json.dumps(recs, indent=2).encode()
    rep, out = norm_bytes(data)
    assert rows(out) == _expected_json() and rep.files[0].format == "json-array"
    assert rep.lines == 5


def test_json_omitted_keys_are_unset_and_bad_lines_counted():
    data = (json.dumps({"ts": 1.0, "id.orig_h": "10.0.0.1", "id.resp_h": "10.0.0.2", "id.resp_p": 80,
                        "proto": "tcp", "conn_state": "S0"}) + "\n{broken\n"
            + json.dumps({"ts": 2.0, "uid": "x"}) + "\n")
    rep, out = norm_bytes(data.encode())
    assert rows(out) == [b"1.000000\t-\t10.0.0.1\t0\t10.0.0.2\t80\ttcp\t-\t-\t0\t0\tS0"]
    assert {s.reason: s.count for s in rep.skipped} == {"malformed JSON": 1, "not a conn record": 1}
    assert rep.balanced and rep.lines == 3


def test_bro1():
    data = ("1300475169.780331 ? 141.142.220.235 173.192.163.128 http 6705 80 tcp ? ? OTH L cc=1\n"
            "1300475168.859163 0.5 141.142.220.118 208.80.152.3 http 49998 80 tcp 1130 734 S1 L %4\n")
    rep, out = norm_bytes(data.encode())
    assert rep.files[0].format == "bro1"
    assert rows(out) == [
        b"1300475169.780331\t-\t141.142.220.235\t6705\t173.192.163.128\t80\ttcp\thttp\t-\t0\t0\tOTH",
        b"1300475168.859163\t-\t141.142.220.118\t49998\t208.80.152.3\t80\ttcp\thttp\t0.5\t1130\t734\tS1"]


def test_bad_values_are_counted_with_examples():
    recs = [RECS[0], ("XXXXXXXXXX.XXXXXX",) + RECS[1][1:], RECS[2][:2] + ("10.0.0.999",) + RECS[2][3:],
            RECS[3][:5] + ("70000",) + RECS[3][6:]]
    rep, out = norm_bytes(tsv(recs).encode())
    got = {s.reason: (s.count, s.examples) for s in rep.skipped}
    assert got == {"bad timestamp (ts)": (1, ("-:10: 'XXXXXXXXXX.XXXXXX'",)),
                   "bad address": (1, ("-:11: '10.0.0.999'",)),
                   "bad port": (1, ("-:12: '70000'",))}
    assert rep.records == 1 and rep.balanced


def test_examples_are_capped_at_three():
    recs = [("x",) + RECS[0][1:]] * 10
    rep, _ = norm_bytes(tsv(recs).encode())
    assert rep.skipped[0].count == 10 and len(rep.skipped[0].examples) == 3


def test_unknown_transport_counted_not_written():
    fields = FIELDS + ["ip_proto"]
    recs = "".join("\t".join(list(r) + TAIL + [p]) + "\n" for r, p in
                   [(RECS[0], "6"), (RECS[1][:6] + ("unknown_transport",) + RECS[1][7:], "47")])
    rep, out = norm_bytes((header(fields) + recs).encode())
    assert rows(out) == EXPECTED[:1]
    assert rep.other_protocols == ((47, 1),) and rep.other_protocols_payload == 5000
    assert dict(rep.ip_protocols) == {6: 1, 47: 1} and rep.balanced


@pytest.mark.parametrize("comp", ["gzip", "bzip2", "xz", "zstd"])
def test_compression_files_and_stdin(tmp_path, comp):
    raw = tsv().encode()
    packed = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
              "zstd": zstandard.ZstdCompressor().compress}[comp](raw)
    p = tmp_path / "noext"
    p.write_bytes(packed)
    rep, out = norm([str(p)])
    assert rows(out) == EXPECTED and rep.files[0].compression == comp
    rep2, out2 = norm_bytes(packed)
    assert out2 == out and rep2.files[0].compression == comp


@pytest.mark.parametrize("comp", ["gzip", "bzip2", "xz", "zstd"])
def test_truncated_or_corrupt_archive(tmp_path, comp):
    raw = tsv(RECS * 200).encode()
    packed = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
              "zstd": zstandard.ZstdCompressor().compress}[comp](raw)
    p = tmp_path / "cut.log"
    p.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError) as e:
        norm([str(p)])
    assert str(p) in e.value.message
    q = tmp_path / "corrupt.log"
    q.write_bytes(packed[:10] + bytes(b ^ 0x55 for b in packed[10:]))
    with pytest.raises(InputError) as e:
        norm([str(q)])
    assert str(q) in e.value.message


def test_missing_and_unreadable_files_fail_before_writing(tmp_path):
    good = tmp_path / "a.log"
    good.write_text(tsv())
    out = io.BytesIO()
    with pytest.raises(InputError) as e:
        normalize([str(good), str(tmp_path / "nope.log")], out)
    assert "nope.log" in e.value.message and out.getvalue() == b""
    if os.geteuid() != 0:
        locked = tmp_path / "locked.log"
        locked.write_text(tsv())
        locked.chmod(0)
        with pytest.raises(InputError):
            normalize([str(locked)], io.BytesIO())


def test_directory_archive_in_time_order(tmp_path):
    d = tmp_path / "logs" / "2024-05-01"
    d.mkdir(parents=True)
    (d / "conn.13:00:00-14:00:00.log.gz").write_bytes(gzip.compress(tsv(RECS[2:]).encode()))
    (d / "conn.12:00:00-13:00:00.log.gz").write_bytes(gzip.compress(tsv(RECS[:2]).encode()))
    (d / "dns.12:00:00-13:00:00.log.gz").write_bytes(b"junk")
    (d / "conn-summary.12:00:00-13:00:00.log.gz").write_bytes(b"junk")
    rep, out = norm([str(tmp_path / "logs")])
    assert rows(out) == EXPECTED
    assert [os.path.basename(f.name) for f in rep.files] == [
        "conn.12:00:00-13:00:00.log.gz", "conn.13:00:00-14:00:00.log.gz"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as e:
        norm([str(empty)])
    assert str(empty) in e.value.message


def test_several_inputs_and_stdin_together(tmp_path):
    a = tmp_path / "a.log"
    a.write_text(tsv(RECS[:2]))
    rep, out = norm([str(a), "-"], stdin=tsv(RECS[2:]).encode())
    assert rows(out) == EXPECTED and [f.name for f in rep.files] == [str(a), "-"]


def test_not_a_conn_log():
    with pytest.raises(InputError) as e:
        norm_bytes(tsv(path="dns").encode())
    assert "'dns'" in e.value.message
    with pytest.raises(InputError):
        norm_bytes(b"\n>== Total === 2024\n   - Connections 5.0\n")
    with pytest.raises(InputError) as e:
        norm_bytes(b'{"ts": 1, "query": "example.com", "id.orig_h": "10.0.0.1"}\n')
    assert "id.resp_h" in e.value.message
    rep, out = norm_bytes(tsv(path="conn_eth0").encode())
    assert rows(out) == EXPECTED


def test_progress_reports_raw_bytes(tmp_path):
    p = tmp_path / "big.log.gz"
    p.write_bytes(gzip.compress(tsv(RECS * 40000).encode()))
    seen, lines = [], []
    rep = normalize([str(p)], io.BytesIO(), progress=seen.append, line_progress=lines.append)
    assert sum(seen) == p.stat().st_size and len(seen) >= 1
    # Every line, header lines included, once.
    assert sum(lines) == len(gzip.decompress(p.read_bytes()).splitlines()) and len(lines) > 1
    assert rep.lines <= sum(lines)


def test_filters_hosts_and_time():
    one = RecordFilter(hosts=(ipaddress.ip_network("10.0.0.6/32"),))
    rep, out = norm_bytes(tsv().encode(), record_filter=one)
    assert [r.split(b"\t")[1] for r in rows(out)] == [b"CAbc3", b"CAbc5"] and rep.filtered == 3
    two = RecordFilter(hosts=(ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("192.0.2.0/24")))
    rep, out = norm_bytes(tsv().encode(), record_filter=two)
    assert [r.split(b"\t")[1] for r in rows(out)] == [b"CAbc1", b"CAbc2"] and rep.balanced
    t = RecordFilter(since=1714564810.2, until=1714564830.4)
    rep, out = norm_bytes(tsv().encode(), record_filter=t)
    assert [r.split(b"\t")[1] for r in rows(out)] == [b"CAbc2", b"CAbc3"]
    assert rep.filtered == 3 and rep.balanced and rep.first_ts == pytest.approx(1714564810.2)
