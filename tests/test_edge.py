"""Tests of the edge view (conn_summary.edge) and of the normalizer leaving out what the
engine would drop: the accounting of excluded and internal records, and, with the real
trace-summary, that its output is the same whether or not those records are in its input."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from conftest import SAMPLE, require_engine
from conn_summary.edge import EXCLUDED, LOCAL, EdgeView, address_classifier, hidden_by
from conn_summary.nets import DEFAULT_EXCLUDE_NETS, DEFAULT_LOCAL_NETS
from helpers_inputs import corpus_files, norm, norm_bytes, rows, run_engine

VIEW = EdgeView(local_nets=DEFAULT_LOCAL_NETS, exclude_nets=DEFAULT_EXCLUDE_NETS, external=True)

HEADER = ("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
          "id.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n")


def _row(orig: str, resp: str, ts: str = "1714564800.0") -> str:
    return f"{ts}\tC1\t{orig}\t1234\t{resp}\t443\ttcp\tssl\t1.0\t10\t20\tSF\n"


# --- classification ---------------------------------------------------------------------


@pytest.mark.parametrize("address, expected", [
    ("10.1.2.3", LOCAL), ("192.168.0.1", LOCAL), ("fd00::5", LOCAL), ("fe80::1", LOCAL),
    ("198.51.100.7", 0), ("2001:db8::1", 0),
    ("127.0.0.1", EXCLUDED), ("224.0.0.251", EXCLUDED), ("ff02::fb", EXCLUDED),
    ("0.0.0.0", EXCLUDED), ("::1", EXCLUDED),
])
def test_classifier_uses_the_engines_nets(address, expected):
    assert address_classifier(VIEW)(address.encode()) == expected


def test_classifier_rejects_malformed_addresses():
    classify = address_classifier(VIEW)
    for bad in (b"10.0.0.256", b"not-an-ip", b"", b"1.2.3", b"\xff\xfe"):
        assert classify(bad) is None


def test_without_external_local_does_not_matter():
    classify = address_classifier(EdgeView(DEFAULT_LOCAL_NETS, DEFAULT_EXCLUDE_NETS, external=False))
    assert classify(b"10.1.2.3") == 0 and classify(b"127.0.0.1") == EXCLUDED


def test_no_view_only_validates():
    for view in (None, EdgeView(DEFAULT_LOCAL_NETS, None, external=False)):
        classify = address_classifier(view)
        assert classify(b"127.0.0.1") == 0 and classify(b"10.0.0.1") == 0
        assert classify(b"nope") is None


def test_hidden_by_follows_the_engines_order():
    assert hidden_by(0, 0) is None
    assert hidden_by(LOCAL, 0) is None and hidden_by(0, LOCAL) is None
    assert hidden_by(LOCAL, LOCAL) == "internal"
    # The engine checks the excluded nets before --external.
    assert hidden_by(LOCAL | EXCLUDED, LOCAL) == "excluded"
    assert hidden_by(0, EXCLUDED) == "excluded"


# --- accounting -------------------------------------------------------------------------


def _mixed_log() -> bytes:
    return (HEADER
            + _row("10.0.0.1", "198.51.100.1")      # crosses the edge: kept
            + _row("198.51.100.1", "192.168.1.9")   # inbound: kept
            + _row("10.0.0.1", "10.0.0.2")          # internal
            + _row("fd00::1", "fe80::2")            # internal (IPv6 private)
            + _row("10.0.0.1", "224.0.0.251")       # excluded (multicast)
            + _row("127.0.0.1", "127.0.0.1")        # excluded (loopback)
            + _row("10.0.0.1", "300.1.1.1")         # bad address: skipped
            ).encode()


def test_view_counts_what_it_leaves_out():
    rep, canon = norm_bytes(_mixed_log(), view=VIEW)
    assert (rep.lines, rep.records, rep.internal, rep.excluded, rep.skipped_total) == (7, 2, 2, 2, 1)
    assert rep.balanced and rep.files[0].balanced
    assert [r.split(b"\t")[2] for r in rows(canon)] == [b"10.0.0.1", b"198.51.100.1"]
    # Time range and protocol counts describe everything read, hidden records included.
    assert dict(rep.ip_protocols) == {6: 6}


def test_no_view_writes_every_record():
    rep, canon = norm_bytes(_mixed_log())
    assert (rep.records, rep.internal, rep.excluded) == (6, 0, 0)
    assert len(rows(canon)) == 6


def test_fast_and_generic_paths_hide_the_same(monkeypatch):
    import importlib

    normalize_mod = importlib.import_module("conn_summary.inputs.normalize")
    data = _mixed_log() * 3
    fast = norm_bytes(data, view=VIEW)
    monkeypatch.setattr(normalize_mod, "FAST_PATH", False)
    assert norm_bytes(data, view=VIEW) == fast


def test_json_records_are_hidden_too():
    lines = [
        '{"ts":1714564800.0,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2",'
        '"id.resp_p":53,"proto":"udp","conn_state":"SF"}',
        '{"ts":1714564801.0,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"198.51.100.2",'
        '"id.resp_p":53,"proto":"udp","conn_state":"SF"}',
    ]
    rep, canon = norm_bytes(("\n".join(lines) + "\n").encode(), view=VIEW)
    assert (rep.records, rep.internal) == (1, 1) and len(rows(canon)) == 1


# --- the engine does not notice -------------------------------------------------------


def _engine_both_passes(canonical: Path, workdir: Path) -> str:
    local = workdir / "local"
    local.write_text("".join(n + "\n" for n in DEFAULT_LOCAL_NETS))
    excl = workdir / "excl"
    excl.write_text("".join(n + "\n" for n in DEFAULT_EXCLUDE_NETS))
    opts = ("--conn-summaries", "--local-nets", str(local), "--external", "--exclude-nets", str(excl))
    return (run_engine(str(canonical), *opts) + run_engine(str(canonical), *opts, "-b")
            + run_engine(str(canonical), *opts, "-b", "-n", "3", "-i", "1h"))


def _inputs_for_engine_check() -> list[Path]:
    # The bundled sample, and the real logs with the most internal and excluded traffic.
    picked = [SAMPLE]
    for p in corpus_files():
        if p.name.endswith((".log", ".gz", ".labeled")) and p.stat().st_size > 50_000:
            picked.append(p)
    return picked


@pytest.mark.engine
@pytest.mark.parametrize("path", _inputs_for_engine_check(), ids=lambda p: p.name)
def test_engine_output_is_the_same_without_the_hidden_records(path: Path):
    require_engine()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        full_rep, full = norm([str(path)])
        view_rep, viewed = norm([str(path)], view=VIEW)
        # The view moves records (of any protocol) to internal/excluded, nothing else.
        assert (view_rep.records + view_rep.other_total + view_rep.internal + view_rep.excluded
                == full_rep.records + full_rep.other_total)
        assert view_rep.balanced and view_rep.lines == full_rep.lines
        (work / "full.log").write_bytes(full)
        (work / "view.log").write_bytes(viewed)
        assert (_engine_both_passes(work / "view.log", work)
                == _engine_both_passes(work / "full.log", work))


def test_a_net_subnettree_cannot_parse_is_left_out_as_the_engine_does():
    from conn_summary.edge import subnet_tree

    tree = subnet_tree(["10.0.0.0/8 corp", "not-a-net", "# a comment", "", "192.0.2.0/24"])
    assert b"\x0a\x01\x02\x03" in tree and b"\xc0\x00\x02\x07" in tree
    assert b"\x08\x08\x08\x08" not in tree
