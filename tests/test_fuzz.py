"""Fuzzing the input layer: random bytes and mutated real logs into normalize().

Never an exception other than InputError, and the accounting always balances. The
fast TSV loop and the generic path must agree on every mutated input too.
Examples: CONN_SUMMARY_FUZZ_EXAMPLES (default 800; `make fuzz` sets 20000).
"""

from __future__ import annotations

import gzip
import importlib
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from conn_summary.errors import InputError

from helpers_inputs import corpus_files, norm_bytes

N = int(os.environ.get("CONN_SUMMARY_FUZZ_EXAMPLES", "800"))
nmod = importlib.import_module("conn_summary.inputs.normalize")
SETTINGS = settings(max_examples=N, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))

SYNTH = (b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
         b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
         b"orig_bytes\tresp_bytes\tconn_state\tip_proto\n"
         b"1714564800.100000\tC1\t10.0.0.5\t50001\t192.0.2.10\t443\ttcp\tssl\t1.5\t1000\t9000\tSF\t6\n"
         b"1714564801.000000\tC2\t10.0.0.5\t0\t192.0.2.20\t0\tunknown_transport\t-\t0.1\t0\t0\tOTH\t47\n"
         b"1714564802.000000\tC3\tfe80::1\t0\tff02::1\t0\ticmp\t-\t-\t-\t-\tOTH\t58\n")
JSYNTH = (b'{"ts":"2024-05-01T12:00:00.1Z","uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":1,'
          b'"id.resp_h":"192.0.2.1","id.resp_p":443,"proto":"tcp","duration":1.5,"conn_state":"SF"}\n') * 3


def _seeds() -> list[bytes]:
    seeds = [SYNTH, JSYNTH, b"[" + JSYNTH.replace(b"}\n", b"},") + b"{}]"]
    for p in corpus_files():
        data = p.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        seeds.append(data[:6000])   # the header and a few dozen lines keep examples fast
    return seeds


SEEDS = _seeds()
TOKENS = [b"\t", b"\n", b"\r", b"\x00", b"#", b"{", b"[", b"-", b"(empty)", b",", b" ", b"\xff",
          b"#fields\tts\tid.orig_h\n", b"#separator ,\n", b"#path\tdns\n", b"\r\n", b"9" * 30,
          b"nan", b"1e400", b"::", b"unknown_transport", b"\"ts\":", b"}"]


def _check(data: bytes) -> None:
    try:
        rep, _ = norm_bytes(data)
    except InputError:
        return
    assert rep.balanced and all(f.balanced for f in rep.files)
    assert sum(f.lines for f in rep.files) == rep.lines


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    _check(data)
    _check(b"#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tproto\n" + data)


@SETTINGS
@given(st.sampled_from(range(len(SEEDS))),
       st.lists(st.tuples(st.integers(0, 5), st.floats(0, 1), st.integers(0, len(TOKENS) - 1),
                          st.integers(1, 64)), min_size=1, max_size=8),
       st.booleans())
def test_mutated_logs(seed_i, ops, compress):
    data = bytearray(SEEDS[seed_i])
    for op, where, tok, n in ops:
        pos = int(where * len(data))
        if op == 0:
            data[pos:pos] = TOKENS[tok]
        elif op == 1:
            del data[pos:pos + n]
        elif op == 2 and data:
            data[min(pos, len(data) - 1)] ^= n
        elif op == 3:
            data = data[:pos]
        elif op == 4:
            line_end = data.find(b"\n", pos)
            data[pos:pos] = data[pos:line_end + 1] if line_end > 0 else b""
        else:
            data[pos:pos + n] = TOKENS[tok] * (n % 4)
    data = bytes(data)
    if compress:
        data = gzip.compress(data)
    _check(data)
    # The fast loop is only an optimisation of the generic path: same results.
    try:
        a = norm_bytes(data)
    except InputError as e:
        a = e.message
    nmod.FAST_PATH = False
    try:
        try:
            b = norm_bytes(data)
        except InputError as e:
            b = e.message
    finally:
        nmod.FAST_PATH = True
    assert a == b
