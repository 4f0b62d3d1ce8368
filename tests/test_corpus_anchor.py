"""The drop-in promise on real logs: for every uncompressed log in ../shared/corpus,
``conn-summary FILE | cat`` is byte-identical to the anchor (THT's procedure,
../shared/tools/tht_like.sh) with the same trace-summary and TZ.

Where they differ, the file is listed in DIFFERENCES with the reason, and the test
proves the reason: the anchor is wrong there, shown by a count we can check.
Also: a pipe gives what the file gives, for every corpus file (compressed ones too),
and several files are summarized together.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS, require_engine, require_shared, run_anchor, run_cli
from plaintext import passes, totals

pytestmark = [pytest.mark.engine, pytest.mark.corpus]

# THT's local nets: ours add fc00::/7 (IPv6 unique-local space is private too).
ANCHOR_LOCAL_NETS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fe80::/10"

# file -> (kind, reason). No corpus file has fc00::/7 hosts, so our extra local net
# changes none of them (test_unique_local_is_local shows that difference on its own).
# Kinds:
#   "unreadable":  the anchor cannot read any timestamp and prints an empty summary with
#                  exit 0; we refuse with exit 5 naming the field, all lines counted skipped.
DIFFERENCES: dict[str, tuple[str, str]] = {
    "cisagov+icsnpp-bacnet/analyzer.basic__conn.log": (
        "unreadable", "btest baseline: every ts is XXXXXXXXXX.XXXXXX (357 of 357 lines)"),
    "zeek+zeek/bro-1.5.3__istate__events-send__conn.log": (
        "unreadable", "old istate harness: every ts is xxxxxxxxxx.xxxxxx (3 of 3 lines)"),
}


def corpus_logs(compressed: bool) -> list[str]:
    if not CORPUS.is_dir():
        return []
    out = []
    for path in sorted(CORPUS.rglob("*")):
        rel = path.relative_to(CORPUS).as_posix()
        if not path.is_file() or rel.startswith("trace-summary-testsuite/") \
                or "expected-conn-summary" in rel or rel.endswith(".md"):
            continue
        if path.suffix == ".gz" and not compressed:
            continue
        out.append(rel)
    return out


@pytest.fixture(autouse=True)
def _needs() -> None:
    require_shared()
    require_engine()


@pytest.mark.parametrize("rel", corpus_logs(compressed=False))
def test_plain_output_matches_anchor(rel: str, tmp_path: Path) -> None:
    path = CORPUS / rel
    ours = run_cli([str(path)])
    anchor = run_anchor(path.read_bytes(), tmp_path)
    kind, reason = DIFFERENCES.get(rel, ("same", ""))
    if kind == "same":
        assert ours.returncode == 0, ours.stderr.decode()
        assert ours.stdout == anchor.stdout
        assert b"Traceback" not in ours.stderr
    elif kind == "unreadable":
        assert ours.returncode == 5
        assert ours.stdout == b""
        assert b"bad timestamp" in ours.stderr
        lines = reason.split("(")[-1].split(" of ")[0]
        assert f"none of the {lines} lines".encode() in ours.stderr
        assert totals(passes(anchor.stdout.decode())["connections"]) == ("0", "0")
    else:  # pragma: no cover - a typo in DIFFERENCES
        pytest.fail(f"unknown difference kind {kind}")


@pytest.mark.parametrize("rel", corpus_logs(compressed=True))
def test_pipe_equals_file(rel: str) -> None:
    path = CORPUS / rel
    by_name = run_cli([str(path)])
    by_pipe = run_cli([], stdin=path.read_bytes())
    assert by_pipe.returncode == by_name.returncode
    assert by_pipe.stdout == by_name.stdout


def test_three_files_together(tmp_path: Path) -> None:
    names = ["SuperCowPowers+zat/conn.log", "int13h+bromebrew/conn.log",
             "bbaugnies+DPI-MPTCP/conn.log"]
    paths = [CORPUS / n for n in names]
    together = run_cli([str(p) for p in paths])
    concatenated = b"".join(p.read_bytes() for p in paths)
    assert together.returncode == 0, together.stderr
    # One stream holding the three logs one after another is the same input.
    assert run_cli([], stdin=concatenated).stdout == together.stdout
    one = totals(passes(run_cli([str(paths[0])]).stdout.decode())["connections"])
    assert totals(passes(together.stdout.decode())["connections"]) != one


def test_unique_local_is_local(tmp_path: Path) -> None:
    """The one deliberate difference: fd00::/8 <-> fd00::/8 is internal traffic for us,
    external for the anchor; with THT's local nets we print what the anchor prints."""
    header = (CORPUS.parent / "cases" / "18-exit-status-and-pipes" / "input.log").read_bytes()
    head = b"".join(l for l in header.splitlines(keepends=True) if l.startswith(b"#") and
                    not l.startswith(b"#close"))
    rows = [
        b"1714564800.1\tC1\tfd00::5\t5000\tfd00::6\t443\ttcp\tssl\t1.0\t100\t200\tSF" + b"\t-" * 9,
        b"1714564801.1\tC2\t10.0.0.5\t5001\t192.0.2.10\t80\ttcp\thttp\t1.0\t300\t400\tSF" + b"\t-" * 9,
    ]
    log = head + b"\n".join(rows) + b"\n"
    ours = run_cli(["-"], stdin=log)
    anchor = run_anchor(log, tmp_path)
    assert totals(passes(ours.stdout.decode())["connections"])[0] == "1.0"
    assert totals(passes(anchor.stdout.decode())["connections"])[0] == "2.0"
    assert run_cli(["--local-nets", ANCHOR_LOCAL_NETS], stdin=log).stdout == anchor.stdout
