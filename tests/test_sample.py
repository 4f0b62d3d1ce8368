"""Tests of the synthetic conn.log generator (conn_summary.sample) and the bundled sample.

They prove the committed ``conn_summary/data/sample-conn.log`` is exactly what our code
produces, that generation is deterministic and streamable, that TSV and JSON carry the
same records, that only documentation/private addresses appear, and (with the real
engine) that the sample summarizes into something meaningful.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conn_summary import sample
from conn_summary.sample import DEFAULT_RECORDS, FIELDS, TYPES, generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "conn_summary" / "data" / "sample-conn.log"
ENGINE = ROOT / "vendor" / "trace-summary" / "bin" / "trace-summary"


def _gen(records: int, **kw: Any) -> bytes:
    return b"".join(generate(records, **kw))


def _tsv_rows(data: bytes) -> List[List[str]]:
    return [ln.split("\t") for ln in data.decode("ascii").splitlines() if not ln.startswith("#")]


def _typed(row: List[str]) -> Dict[str, Any]:
    """A TSV row as the dict Zeek's JSON writer would print (unset fields left out)."""
    out: Dict[str, Any] = {}
    for name, typ, v in zip(FIELDS, TYPES, row):
        if v == "-":
            continue
        if typ in ("time", "interval"):
            out[name] = float(v)
        elif typ in ("count", "port"):
            out[name] = int(v)
        elif typ == "bool":
            out[name] = v == "T"
        else:
            out[name] = v
    return out


def test_committed_sample_is_generated_by_our_code() -> None:
    # `make sample` regenerates it; if this fails, the generator changed without it.
    assert SAMPLE.read_bytes() == _gen(DEFAULT_RECORDS, seed=1, fmt="tsv")


def test_deterministic_and_seed_dependent() -> None:
    assert _gen(300, seed=7) == _gen(300, seed=7)
    assert _gen(300, seed=7, fmt="json") == _gen(300, seed=7, fmt="json")
    assert _gen(300, seed=7) != _gen(300, seed=8)


@pytest.mark.parametrize("n", [0, 1, 2047, 2048, 2049, 5000])
def test_record_counts_across_block_boundaries(n: int) -> None:
    tsv = _gen(n, seed=3)
    assert len(_tsv_rows(tsv)) == n
    assert all(len(r) == len(FIELDS) for r in _tsv_rows(tsv))
    js = _gen(n, seed=3, fmt="json").decode("ascii").splitlines()
    assert len(js) == n


def test_streams_in_blocks() -> None:
    # Memory stays flat only if big outputs come in many bounded chunks.
    chunks = list(generate(20_000, seed=1))
    assert len(chunks) > 5
    assert max(len(c) for c in chunks) < 1_000_000


def test_tsv_header_is_zeek_like() -> None:
    lines = _gen(10, seed=1).decode("ascii").splitlines()
    assert lines[0] == "#separator \\x09"
    assert lines[1:5] == ["#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn"]
    assert lines[5] == "#open\t2024-05-01-12-00-00"  # from the default start, in UTC
    assert lines[6].split("\t")[1:] == list(FIELDS)
    assert lines[7].split("\t")[1:] == list(TYPES)
    assert lines[-1].startswith("#close\t2024-05-01-")
    assert sum(ln.startswith("#") for ln in lines) == 9


def test_json_and_tsv_carry_the_same_records() -> None:
    tsv = [_typed(r) for r in _tsv_rows(_gen(3000, seed=5))]
    js = [json.loads(ln) for ln in _gen(3000, seed=5, fmt="json").decode("ascii").splitlines()]
    assert js == tsv
    # Zeek's JSON writer keeps the field order of the TSV header.
    assert list(js[0]) == [f for f in FIELDS if f in js[0]]


def test_realistic_mix() -> None:
    rows = [_typed(r) for r in _tsv_rows(_gen(5000, seed=1))]
    col = lambda name: [r.get(name) for r in rows]  # noqa: E731
    assert {"tcp", "udp", "icmp", "unknown_transport"} <= set(col("proto"))
    unknown = [r for r in rows if r["proto"] == "unknown_transport"]
    assert 0 < len(unknown) < len(rows) * 0.05
    assert {r["ip_proto"] for r in unknown} == {2, 47, 50}
    assert all(r["id.orig_p"] == 0 and r["id.resp_p"] == 0 for r in unknown)
    services = set(col("service"))
    assert {"ssl", "http", "dns", "ssh", "smtp", "ntp", "quic,ssl", None} <= services
    assert {"SF", "S0", "REJ", "RSTO", "RSTR", "SH", "OTH", "S1"} <= set(col("conn_state"))
    # Zeek leaves duration and sizes unset for a lone SYN
    assert any("duration" not in r and "orig_bytes" not in r for r in rows if r["conn_state"] == "S0")
    ts = col("ts")
    assert ts == sorted(ts)
    uids = col("uid")
    assert all(re.fullmatch(r"C[0-9A-Za-z]{17}", u) for u in uids)
    assert len(set(uids)) == len(uids)
    # skewed popularity: the busiest source makes far more than an even share
    srcs: Dict[str, int] = {}
    for r in rows:
        srcs[r["id.orig_h"]] = srcs.get(r["id.orig_h"], 0) + 1
    assert max(srcs.values()) > 5 * len(rows) / len(srcs)
    # heavy tail: the biggest response dwarfs the median
    sizes = sorted(r.get("resp_bytes", 0) for r in rows)
    assert sizes[-1] > 1000 * max(sizes[len(sizes) // 2], 1)
    # both directions and internal-only traffic exist
    assert any(r["local_orig"] and not r["local_resp"] for r in rows)
    assert any(not r["local_orig"] and r["local_resp"] for r in rows)
    assert any(r["local_orig"] and r["local_resp"] for r in rows)


ALLOWED = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",          # RFC 1918
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",      # RFC 5737 documentation
    "224.0.0.0/4",                                            # multicast (IGMP, SSDP)
    "fe80::/10", "fd00::/8", "2001:db8::/32", "ff00::/8",     # link-local, ULA, RFC 3849, mcast
)]


def test_only_documentation_and_private_addresses() -> None:
    for r in _tsv_rows(_gen(5000, seed=2)):
        for a in (r[2], r[4]):
            ip = ipaddress.ip_address(a)
            assert any(ip in n for n in ALLOWED if n.version == ip.version), a


def test_sample_spans_about_an_hour_and_big_logs_longer() -> None:
    def span(n: int) -> float:
        ts = [float(r[0]) for r in _tsv_rows(_gen(n, seed=1))]
        return ts[-1] - ts[0]

    assert 2400 < span(DEFAULT_RECORDS) < 4800
    assert span(20_000) > 5 * 3600


def test_gzip_and_cli(tmp_path: Path) -> None:
    buf1, buf2 = io.BytesIO(), io.BytesIO()
    sample.write(buf1, 500, seed=4, compress=True)
    sample.write(buf2, 500, seed=4, compress=True)
    assert buf1.getvalue() == buf2.getvalue()  # mtime 0: reproducible archives
    assert gzip.decompress(buf1.getvalue()) == _gen(500, seed=4)
    out = tmp_path / "c.json"
    assert sample.main(["--records", "50", "--format", "json", "--seed", "9", "--out", str(out)]) == 0
    assert out.read_bytes() == _gen(50, seed=9, fmt="json")
    assert not (tmp_path / "c.json.tmp").exists()


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(generate(1, fmt="csv"))
    with pytest.raises(ValueError):
        list(generate(-1))


@pytest.mark.engine
def test_vendored_engine_summarizes_the_sample(tmp_path: Path) -> None:
    if not ENGINE.is_file():
        pytest.skip("vendored trace-summary missing: run `make setup` (vendor/trace-summary/fetch.sh)")
    if importlib.util.find_spec("SubnetTree") is None:
        pytest.skip("SubnetTree module missing: pip install pysubnettree")
    local = tmp_path / "local"
    local.write_text("10.0.0.0/8\n172.16.0.0/12\n192.168.0.0/16\nfe80::/10\n")
    proc = subprocess.run(
        [sys.executable, str(ENGINE), "--conn-summaries", "--local-nets", str(local),
         "--external", str(SAMPLE)],
        capture_output=True, text=True, timeout=120, env={"TZ": "UTC", "LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("Ports"))
    table = []
    for ln in lines[head + 1:]:
        if "|" not in ln:
            break
        table.append([c.split() for c in ln.split("|")[:6]])
    ports = [c[0][0] for c in table if c[0]]
    sources = [c[1][0] for c in table if c[1]]
    dests = [c[2][0] for c in table if c[2]]
    protos = {c[4][0] for c in table if c[4]}
    assert len(ports) >= 8 and "443" in ports and "53" in ports
    assert len(sources) >= 8 and len(dests) >= 8
    assert {"6", "17"} <= protos
    doc_nets = [n for n in ALLOWED if str(n) in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    assert any(any(ipaddress.ip_address(d) in n for n in doc_nets) for d in dests if ":" not in d)
    m = re.search(r"Connections\s+([\d.]+)", proc.stdout)
    assert m and float(m.group(1)) > DEFAULT_RECORDS / 3
