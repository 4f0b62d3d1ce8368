"""Tests of reading on worker processes (conn_summary.inputs.parallel): whatever the input,
the canonical file and the accounting are exactly those of one process reading alone.

Blocks are shrunk to a few KiB so that small inputs span many blocks, header changes
land in blocks already handed out, and errors come from workers."""

from __future__ import annotations

import gzip
import io

import pytest

import conn_summary.inputs.source as source
from conn_summary.edge import EdgeView
from conn_summary.errors import InputError
from conn_summary.inputs import RecordFilter, normalize
from conn_summary.inputs.parallel import ENV_WORKERS, BlockPool, default_workers
from conn_summary.nets import DEFAULT_EXCLUDE_NETS, DEFAULT_LOCAL_NETS, parse_hosts
from conn_summary.sample import write as write_sample
from helpers_inputs import corpus_files

VIEW = EdgeView(DEFAULT_LOCAL_NETS, DEFAULT_EXCLUDE_NETS, external=True)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "BLOCK_SIZE", 4096)


def _read(data_or_paths, workers: int, **kw):
    out = io.BytesIO()
    if isinstance(data_or_paths, bytes):
        rep = normalize(["-"], out, stdin=io.BytesIO(data_or_paths), workers=workers, **kw)
    else:
        rep = normalize([str(p) for p in data_or_paths], out, workers=workers, **kw)
    return rep, out.getvalue()


def _same_both_ways(data_or_paths, **kw):
    alone = _read(data_or_paths, 1, **kw)
    assert _read(data_or_paths, 2, **kw) == alone
    assert _read(data_or_paths, 3, **kw) == alone
    return alone


def _sample(records: int, seed: int = 3, fmt: str = "tsv") -> bytes:
    buf = io.BytesIO()
    write_sample(buf, records, seed=seed, fmt=fmt)
    return buf.getvalue()


def test_generated_tsv_and_json():
    for fmt in ("tsv", "json"):
        rep, canon = _same_both_ways(_sample(3000, fmt=fmt), view=VIEW)
        assert rep.records > 1000 and rep.internal > 0 and rep.balanced


def test_with_filters():
    rf = RecordFilter(hosts=parse_hosts(["10.0.0.0/8"]), since=1714566000.0)
    rep, _ = _same_both_ways(_sample(3000), record_filter=rf)
    assert rep.filtered > 0


def test_header_blocks_changing_mid_stream():
    # Three logs in a row, each with its own header (one with columns reordered by name):
    # workers handed blocks before a header arrives must not be trusted.
    a = _sample(800, seed=1)
    lines = _sample(800, seed=2).decode().splitlines(keepends=True)
    fields = next(l for l in lines if l.startswith("#fields")).rstrip("\n").split("\t")[1:]
    order = list(reversed(range(len(fields))))
    b = []
    for line in lines:
        if line.startswith("#fields"):
            b.append("#fields\t" + "\t".join(fields[i] for i in order) + "\n")
        elif line.startswith("#types"):
            types = line.rstrip("\n").split("\t")[1:]
            b.append("#types\t" + "\t".join(types[i] for i in order) + "\n")
        elif line.startswith("#"):
            b.append(line)
        else:
            cols = line.rstrip("\n").split("\t")
            b.append("\t".join(cols[i] for i in order) + "\n")
    data = a + "".join(b).encode() + _sample(800, seed=4)
    rep, canon = _same_both_ways(data)
    assert rep.balanced and rep.records + rep.other_total == rep.lines


def test_skip_examples_keep_input_order():
    good = _sample(2000).decode().splitlines(keepends=True)
    for i in (300, 900, 1500, 1800):
        good[i] = "garbage\tline\n"
    rep, _ = _same_both_ways("".join(good).encode())
    (skip,) = rep.skipped
    assert skip.count == 4
    assert [e.split(":")[1] for e in skip.examples] == ["301", "901", "1501"]


def test_error_in_a_later_block_is_raised_as_alone():
    data = _sample(2000) + b"#path\tdns\n" + _sample(10)
    with pytest.raises(InputError) as alone:
        _read(data, 1)
    with pytest.raises(InputError) as parallel:
        _read(data, 2)
    assert parallel.value.message == alone.value.message and "#path is 'dns'" in alone.value.message
    assert parallel.value.hint == alone.value.hint


def test_compressed_and_several_files(tmp_path):
    plain = tmp_path / "conn.log"
    plain.write_bytes(_sample(1500, seed=5))
    packed = tmp_path / "conn.2.log.gz"
    packed.write_bytes(gzip.compress(_sample(1500, seed=6)))
    rep, _ = _same_both_ways([plain, packed, plain])
    assert len(rep.files) == 3 and rep.files[0] == rep.files[2]


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_corpus_file(path):
    _same_both_ways([path], view=VIEW)


def test_worker_count(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(ENV_WORKERS, "1")
    assert default_workers() == 1 and not BlockPool(None, None).parallel
    monkeypatch.setenv(ENV_WORKERS, "3")
    assert default_workers() == 3
    monkeypatch.delenv(ENV_WORKERS)
    assert 1 <= default_workers() <= 4


def test_dead_worker_means_reading_here(monkeypatch: pytest.MonkeyPatch):
    """A pool that breaks (a worker killed) gives the same result, read in-process."""
    import os
    import signal

    import conn_summary.inputs.parallel as parallel

    calls = {"n": 0}
    real = parallel.process_detached

    def dying(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args)

    data = _sample(3000)
    alone = _read(data, 1)
    monkeypatch.setattr(parallel, "process_detached", dying)   # forked workers see it too
    assert _read(data, 2) == alone
