"""Helpers for the input-layer tests: paths to ../shared, corpus listing, and small
wrappers that run normalize() on bytes/paths and run the real trace-summary.

Not a conftest: tests import from here (paths and skips come from conftest).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence


from conn_summary.edge import EdgeView
from conn_summary.inputs import RecordFilter, normalize
from conn_summary.model import InputReport

# Where things are, and the skips when they are absent: conftest's, one definition.
from conftest import CASES, CORPUS, ENGINE, REPO, SHARED  # noqa: E402,F401
from conftest import require_engine as need_engine  # noqa: E402,F401
from conftest import require_shared as need_shared  # noqa: E402,F401

TESTSUITE = CORPUS / "trace-summary-testsuite" / "testing"


def corpus_files() -> list[Path]:
    """Every real log in the corpus (not upstream's test suite, not reference reports)."""
    if not CORPUS.is_dir():
        return []
    out = []
    for p in sorted(CORPUS.rglob("*")):
        rel = p.relative_to(CORPUS).as_posix()
        if (p.is_file() and not rel.startswith("trace-summary-testsuite/")
                and "expected-conn-summary/" not in rel and p.name != "PROVENANCE.md"):
            out.append(p)
    return out


def provenance_counts() -> dict[str, tuple[int, int]]:
    """local path -> (lines total, data lines) from PROVENANCE.md's table."""
    prov = CORPUS / "PROVENANCE.md"
    got: dict[str, tuple[int, int]] = {}
    if not prov.is_file():
        return got
    for line in prov.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 8 and cells[1].startswith("`"):
            tot = cells[7]
            if "/" in tot:
                a, b = tot.split("/")
                got[cells[1].strip("`")] = (int(a), int(b))
    return got


def norm(paths: Sequence[str], stdin: Optional[bytes] = None,
         record_filter: Optional[RecordFilter] = None,
         view: Optional[EdgeView] = None) -> tuple[InputReport, bytes]:
    out = io.BytesIO()
    rep = normalize(list(paths), out, record_filter=record_filter, view=view,
                    stdin=io.BytesIO(stdin) if stdin is not None else None)
    return rep, out.getvalue()


def norm_bytes(data: bytes, **kw) -> tuple[InputReport, bytes]:
    return norm(["-"], stdin=data, **kw)


def rows(canon: bytes) -> list[bytes]:
    return [l for l in canon.split(b"\n") if l and not l.startswith(b"#")]


def run_engine(path: str, *opts: str, tz: str = "GMT+5", cwd: Optional[str] = None) -> str:
    env = dict(os.environ, TZ=tz, LC_ALL="C")
    r = subprocess.run([sys.executable, str(ENGINE), *opts, path], capture_output=True,
                       text=True, env=env, cwd=cwd)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout
