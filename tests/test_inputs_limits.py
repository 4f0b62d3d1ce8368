"""Input-layer limits: inputs readable only once, numbers the engine cannot take, other
logs that look like conn logs, and filters that must count what they leave out."""

from __future__ import annotations

import os
import threading

import pytest

from conftest import require_engine, run_cli
from conn_summary.edge import EdgeView
from conn_summary.errors import InputError
from conn_summary.inputs import RecordFilter
from conn_summary.nets import DEFAULT_EXCLUDE_NETS, DEFAULT_LOCAL_NETS
from helpers_inputs import norm, norm_bytes, rows

HEADER = ("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
          "id.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n")
GOOD = "1714564800.100000\tC1\t10.0.0.5\t50001\t192.0.2.10\t443\ttcp\tssl\t1.5\t1000\t9000\tSF\n"


def _row(ts: str = "1714564800.1", duration: str = "1.5", proto: str = "tcp",
         orig: str = "10.0.0.5") -> str:
    return f"{ts}\tC1\t{orig}\t50001\t192.0.2.10\t443\t{proto}\tssl\t{duration}\t1000\t9000\tSF\n"


# --- inputs that can be read once -------------------------------------------------------


def test_fifo_is_read_once_and_whole(tmp_path):
    fifo = tmp_path / "conn.fifo"
    os.mkfifo(fifo)
    data = (HEADER + GOOD * 5000).encode()

    def feed() -> None:
        with open(fifo, "wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    rep, canon = norm([str(fifo)])
    writer.join(timeout=10)
    assert rep.lines == rep.records == 5000 and len(rows(canon)) == 5000


def test_process_substitution_path(tmp_path):
    r, w = os.pipe()
    os.write(w, (HEADER + GOOD * 3).encode())
    os.close(w)
    try:
        rep, _ = norm([f"/dev/fd/{r}"])
    finally:
        os.close(r)
    assert rep.records == 3


# --- numbers the engine cannot print -------------------------------------------------------


@pytest.mark.parametrize("ts", ["1e20", "-1", "-0.5", "171456481714564810.200000",
                                "1714564800123456", "nan", "inf"])
def test_timestamps_out_of_range_are_skipped(ts):
    rep, canon = norm_bytes((HEADER + _row(ts=ts) + GOOD).encode())
    assert rep.records == 1 and rep.skipped_total == 1
    assert rep.skipped[0].reason == "bad timestamp (ts)"


def test_milliseconds_are_still_read():
    rep, canon = norm_bytes((HEADER + _row(ts="1714564800100")).encode())
    assert rep.records == 1 and rows(canon)[0].startswith(b"1714564800.100000\t")


def test_iso_times_out_of_range_are_skipped():
    lines = ['{"ts":"%s","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.1",'
             '"id.resp_p":53,"proto":"udp","conn_state":"SF"}' % ts
             for ts in ("1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z", "2024-05-01T12:00:00Z")]
    rep, _ = norm_bytes(("\n".join(lines) + "\n").encode())
    assert rep.records == 1 and rep.skipped_total == 2


@pytest.mark.parametrize("ts", ["2024-02-30T12:00:10Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                                "2024-05-01T12:00:00+25:00", "2024-05-01T12:00:00+99:99",
                                "0000-01-01T00:00:00Z"])
def test_impossible_iso_times_are_skipped(ts):
    line = ('{"ts":"%s","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.1",'
            '"id.resp_p":53,"proto":"udp","conn_state":"SF"}\n' % ts)
    rep, _ = norm_bytes(line.encode() + line.replace(ts, "2024-02-29T23:59:59+05:30").encode())
    assert rep.records == 1 and rep.skipped_total == 1 and rep.first_ts == 1709231399.0


@pytest.mark.parametrize("duration", ["1e300", "-100", "nan", "inf", "99999999999"])
def test_unusable_durations_become_unset(duration):
    rep, canon = norm_bytes((HEADER + _row(duration=duration)).encode())
    assert rep.records == 1 and rep.skipped_total == 0
    assert rows(canon)[0].split(b"\t")[8] == b"-"
    assert rep.last_ts == rep.first_ts


@pytest.mark.engine
def test_the_engine_is_never_handed_an_impossible_time(tmp_path):
    require_engine()
    log = tmp_path / "conn.log"
    log.write_text(HEADER + GOOD + _row(ts="1e20") + _row(ts="-1") + _row(duration="1e300"))
    res = run_cli([str(log), "--all"])
    assert res.returncode == 0, res.stderr
    assert b"Connections  2.0" in res.stdout
    assert b"skipped 2 lines: bad timestamp (ts)" in res.stderr


# --- other logs that look like conn logs ----------------------------------------------------

DNS_FIELDS = ("ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\t"
              "qclass\tqclass_name")
DNS_ROW = "1714564800.0\tC1\t10.0.0.1\t5353\t198.51.100.53\t53\tudp\t4242\t0.1\texample.com\t1\tC_INTERNET"


def test_dns_log_without_path_is_refused():
    data = f"#separator \\x09\n#fields\t{DNS_FIELDS}\n{DNS_ROW}\n".encode()
    with pytest.raises(InputError, match="none of a conn log's own"):
        norm_bytes(data)


def test_headerless_dns_rows_are_refused():
    with pytest.raises(InputError, match="not a conn log"):
        norm_bytes(f"{DNS_ROW}\n".encode())


def test_headerless_conn_rows_are_read():
    rep, _ = norm_bytes(GOOD.encode() * 2)
    assert rep.files[0].format == "headerless-tsv" and rep.records == 2


@pytest.mark.parametrize("path, ok", [("conn", True), ("conn_eth0", True), ("conntimelast", True),
                                      ("connection", True), ("dns", False), ("xconn", False)])
def test_path_with_conn_fields(path, ok):
    data = HEADER.replace("#path\tconn", f"#path\t{path}") + GOOD
    if ok:
        assert norm_bytes(data.encode())[0].records == 1
    else:
        with pytest.raises(InputError, match="#path is"):
            norm_bytes(data.encode())


def test_path_that_only_starts_with_conn_needs_conn_fields():
    data = f"#separator \\x09\n#path\tconnection\n#fields\t{DNS_FIELDS}\n{DNS_ROW}\n"
    with pytest.raises(InputError, match="none of a conn log's own"):
        norm_bytes(data.encode())


def test_packet_capture_and_binary_say_what_they_are():
    with pytest.raises(InputError, match="packet capture") as pcap:
        norm_bytes(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(40))
    assert "zeek -r" in (pcap.value.hint or "")
    with pytest.raises(InputError, match="packet capture"):
        norm_bytes(b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a" + bytes(40))   # pcapng
    with pytest.raises(InputError, match="binary data: 00 ff") as binary:
        norm_bytes(b"\x00\xff\x13\x37 not text\n")
    assert "\ufffd" not in binary.value.message


# --- filters count what they leave out -----------------------------------------------------


def test_transport_filter_counts_as_filtered():
    data = (HEADER + _row() + _row(proto="udp") + _row(proto="unknown_transport")).encode()
    rep, canon = norm_bytes(data, record_filter=RecordFilter(proto="udp"))
    assert (rep.records, rep.filtered, rep.other_total) == (1, 2, 0) and rep.balanced
    rep, _ = norm_bytes(data, record_filter=RecordFilter(proto="tcp"))
    assert (rep.records, rep.filtered) == (1, 2)


def test_other_protocols_follow_the_view():
    view = EdgeView(DEFAULT_LOCAL_NETS, DEFAULT_EXCLUDE_NETS, external=True)
    data = (HEADER + _row(proto="unknown_transport")
            + _row(proto="unknown_transport").replace("192.0.2.10", "10.9.9.9")
            + _row(proto="unknown_transport").replace("192.0.2.10", "224.0.0.22")).encode()
    rep, _ = norm_bytes(data, view=view)
    assert (rep.other_total, rep.internal, rep.excluded) == (1, 1, 1) and rep.balanced
    # Every record read still shows in the protocol break-down.
    assert dict(rep.ip_protocols) == {-1: 3}


# --- log directories ------------------------------------------------------------------


def test_directory_reads_conn_logs_once(tmp_path):
    import gzip

    log = (HEADER + GOOD).encode()
    for name in ("conn.log", "conn_eth0.log", "conn.00:00:00-01:00:00.log.gz"):
        data = gzip.compress(log) if name.endswith(".gz") else log
        (tmp_path / name).write_bytes(data)
    (tmp_path / "conn.log.gz").write_bytes(gzip.compress(log))       # a copy of conn.log
    for other in ("conn.log.bak", "conn.log~", "conn_long.log", "dns.log",
                  "conn-summary.00:00:00-01:00:00.log.gz"):
        (tmp_path / other).write_bytes(log)
    rep, _ = norm([str(tmp_path)])
    assert sorted(os.path.basename(f.name) for f in rep.files) == [
        "conn.00:00:00-01:00:00.log.gz", "conn.log", "conn_eth0.log"]
    assert rep.records == 3
    assert [(os.path.basename(p), why) for p, why in rep.set_aside] == [
        ("conn.log.gz", "a compressed copy of conn.log, which is read")]


def test_directory_reads_a_compressed_log_that_is_not_a_copy(tmp_path):
    import gzip

    (tmp_path / "conn.log").write_text(HEADER + GOOD)
    other = GOOD.replace("10.0.0.5", "10.0.0.99")
    (tmp_path / "conn.log.gz").write_bytes(gzip.compress((HEADER + other + other).encode()))
    rep, _ = norm([str(tmp_path)])
    assert rep.records == 3 and rep.set_aside == () and len(rep.files) == 2
