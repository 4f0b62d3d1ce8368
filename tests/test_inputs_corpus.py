"""Every real log in ../shared/corpus: all data lines accounted for, and the same
records whichever way the bytes arrive (gzip, stdin, split in two, concatenated).

Data line rule (as normalize's docstring): a line that is neither blank nor a header/
comment line (``#...``, a plain column-name header) -- this is PROVENANCE.md's
"data" count for every file it lists.
"""

from __future__ import annotations

import gzip
import importlib

import pytest

from helpers_inputs import (CORPUS, corpus_files, need_engine, need_shared, norm, provenance_counts,
                            rows, run_engine)

pytestmark = pytest.mark.corpus
FILES = corpus_files()
IDS = [p.relative_to(CORPUS).as_posix() for p in FILES]
nmod = importlib.import_module("conn_summary.inputs.normalize")


def _raw(p) -> bytes:
    data = p.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_corpus_present():
    need_shared()
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_accounting_and_provenance(path):
    rep, out = norm([str(path)])
    assert rep.balanced and all(f.balanced for f in rep.files)
    f = rep.files[0]
    assert f.lines == rep.lines and f.records == rep.records
    assert len(rows(out)) == rep.records
    want = provenance_counts().get(path.relative_to(CORPUS).as_posix())
    if want:
        assert rep.lines == want[1]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_same_whichever_way_it_arrives(path, tmp_path):
    rep, out = norm([str(path)])
    raw = _raw(path)
    key = (rep.lines, rep.records, rep.other_total, rep.skipped_total)
    # gzip'ed, and piped via stdin
    for data in (gzip.compress(raw), raw):
        r2, o2 = norm(["-"], stdin=data)
        assert o2 == out and (r2.lines, r2.records, r2.other_total, r2.skipped_total) == key
    # split in two files at a line boundary, the second carrying the header lines
    # again (as a rotated log would): same rows, same counts
    cut = raw.find(b"\n", len(raw) // 2) + 1
    if 0 < cut < len(raw):
        hdr = b"".join(l for l in raw[:cut].splitlines(keepends=True) if l.startswith(b"#"))
        hdr = hdr.split(b"#close")[0]
        if raw[cut:].startswith(b"#"):
            hdr = b""
        a, b = tmp_path / "a", tmp_path / "b"
        a.write_bytes(raw[:cut])
        b.write_bytes(hdr + raw[cut:])
        r3, o3 = norm([str(a), str(b)])
        assert rows(o3) == rows(out)
        assert (r3.lines, r3.records, r3.other_total, r3.skipped_total) == key
    # concatenated with itself twice: counts and rows doubled
    r4, o4 = norm(["-"], stdin=raw + (b"" if raw.endswith(b"\n") else b"\n") + raw)
    assert (r4.lines, r4.records, r4.other_total, r4.skipped_total) == tuple(2 * k for k in key)
    assert rows(o4) == rows(out) * 2 and r4.balanced


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fast_path_equals_generic_path(path, monkeypatch):
    a = norm([str(path)])
    monkeypatch.setattr(nmod, "FAST_PATH", False)
    assert norm([str(path)]) == a


@pytest.mark.engine
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_engine_reads_canonical_like_original(path, tmp_path):
    """trace-summary prints the same on our canonical file as on the original (all corpus
    files: those the engine misreads give the same output too, checked at the time of writing)."""
    need_engine()
    orig = tmp_path / "orig.log"
    orig.write_bytes(_raw(path))
    canon = tmp_path / "canon.log"
    canon.write_bytes(norm([str(path)])[1])
    for opts in ((), ("-b",)):
        assert run_engine(str(canon), *opts, "-c") == run_engine(str(orig), *opts, "-c")
