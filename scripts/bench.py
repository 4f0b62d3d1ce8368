#!/usr/bin/env python3
"""Side-by-side benchmark of conn-summary against the anchor (THT's procedure).

This script owns ``make bench``: it generates cached synthetic conn logs with
``conn_summary.sample`` under ``bench-out/`` (TSV and JSON, plain and gzip), then, for
each input and in the same run, times three ways of getting the same summary:

* ``cs-file``   ``conn-summary --plain FILE``
* ``cs-stdin``  ``conn-summary --plain < FILE``
* ``anchor``    ``tht_like.sh "<wrapper>" < FILE`` (``zcat FILE |`` for gzip), where the
  wrapper execs the SAME vendored trace-summary with the SAME Python

measuring wall time, CPU time of the whole process tree, peak RSS of the tree (sum over
descendants, polled from /proc) and conn-summary's own peak RSS (VmHWM of the top
process). It checks the outputs are byte-identical to the anchor's, prints a table and
writes everything as JSON so runs can be compared over time. It is never part of the
unit tests.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
PY = ROOT / ".venv" / "bin" / "python"
CS = ROOT / ".venv" / "bin" / "conn-summary"
ENGINE = ROOT / "vendor" / "trace-summary" / "bin" / "trace-summary"
ANCHOR = Path(os.environ.get("CONN_SUMMARY_ANCHOR",
                             str(ROOT.parent / "shared" / "tools" / "tht_like.sh")))
PAGE = os.sysconf("SC_PAGE_SIZE")
POLL_S = 0.02

# The anchor's local nets (tht_like.sh): conn-summary's defaults add fc00::/7, so a
# control run with these nets tells a policy difference from a real discrepancy.
ANCHOR_LOCAL_NETS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fe80::/10"

# Both tools print times in the local zone and sort with the C locale: pin both.
ENV = dict(os.environ, TZ="UTC", LC_ALL="C")


# --------------------------------------------------------------------------- inputs


def _generator_key() -> str:
    """Cache key: inputs are regenerated whenever the generator's code changes."""
    return hashlib.sha256((ROOT / "conn_summary" / "sample.py").read_bytes()).hexdigest()[:10]


def ensure_input(size: int, fmt: str, gz: bool) -> Path:
    """Generate (once) and return bench-out/conn-<size>-<key>.<fmt>[.gz]."""
    OUT.mkdir(exist_ok=True)
    plain = OUT / ("conn-%d-%s.%s" % (size, _generator_key(), fmt))
    if not plain.exists():
        t = time.monotonic()
        print("generating %s ..." % plain.name, file=sys.stderr, flush=True)
        subprocess.run([str(PY), "-m", "conn_summary.sample", "--records", str(size),
                        "--format", fmt, "--out", str(plain)], cwd=ROOT, check=True)
        print("  %.1fs" % (time.monotonic() - t), file=sys.stderr, flush=True)
    if not gz:
        return plain
    packed = plain.with_name(plain.name + ".gz")
    if not packed.exists():
        tmp = packed.with_name(packed.name + ".tmp")
        # level 6 = gzip's default, what rotated Zeek logs usually are
        with open(plain, "rb") as src, gzip.GzipFile(tmp, "wb", compresslevel=6, mtime=0) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.replace(packed)
    return packed


def anchor_wrapper() -> Path:
    """tht_like.sh takes a command string: give it a script running OUR engine and Python."""
    OUT.mkdir(exist_ok=True)
    w = OUT / "trace-summary-wrapper.sh"
    w.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (PY, ENGINE))
    w.chmod(0o755)
    return w


# --------------------------------------------------------------------------- measuring


def _stat(pid: int) -> Optional[Tuple[int, int]]:
    """(ppid, rss bytes) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rfind(b")") + 2:].split()  # comm may contain spaces/parens
    return int(rest[1]), int(rest[21]) * PAGE


def _hwm(pid: int) -> int:
    """VmHWM (peak RSS) of one process in bytes; 0 if it is gone."""
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _pss(pid: int) -> int:
    """Proportional set size of one process in bytes (shared pages split among sharers)."""
    try:
        with open("/proc/%d/smaps_rollup" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(root: int) -> Tuple[int, int]:
    """(RSS sum, PSS sum) of ``root`` and all its descendants (ppid links in /proc).

    The RSS sum counts a page shared by n processes n times (the Python binary and
    libraries of every interpreter, the pages forked workers share with their parent);
    the PSS sum counts it once: the memory the tree really takes.
    """
    kids: Dict[int, List[int]] = {}
    rss: Dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st:
                kids.setdefault(st[0], []).append(int(name))
                rss[int(name)] = st[1]
    total_rss = total_pss = 0
    todo = [root]
    while todo:
        p = todo.pop()
        total_rss += rss.get(p, 0)
        total_pss += _pss(p)
        todo.extend(kids.get(p, ()))
    return total_rss, total_pss


@dataclass
class Run:
    tool: str
    round: int
    wall_s: float
    cpu_s: float
    tree_rss: int
    tree_pss: int
    own_rss: int
    rc: int
    out_sha256: str
    stderr_lines: int


def measure(tool: str, rnd: int, argv: Sequence[str], stdin: Optional[Path], out: Path,
            err: Path) -> Run:
    """Run argv once; wall, tree CPU (RUSAGE_CHILDREN delta), tree and own peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = {"tree": 0, "pss": 0, "own": 0}
    with open(out, "wb") as fo, open(err, "wb") as fe, \
            (open(stdin, "rb") if stdin else open(os.devnull, "rb")) as fi:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdin=fi, stdout=fo, stderr=fe, cwd=ROOT, env=ENV)
        done = threading.Event()

        def poll() -> None:
            # A thread, so the wait() below reaps the child the moment it exits and
            # the wall time does not include a polling interval.
            while not done.is_set():
                rss, pss = tree_memory(proc.pid)
                peak["tree"] = max(peak["tree"], rss)
                peak["pss"] = max(peak["pss"], pss)
                peak["own"] = max(peak["own"], _hwm(proc.pid))
                done.wait(POLL_S)

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(err, "rb") as fe:
        nerr = sum(1 for _ in fe)
    return Run(tool, rnd, wall, cpu, peak["tree"], peak["pss"], peak["own"], rc,
               hashlib.sha256(out.read_bytes()).hexdigest(), nerr)


def commands(path: Path, gz: bool, wrapper: Path) -> Dict[str, Tuple[List[str], Optional[Path]]]:
    """tool -> (argv, stdin file) for one input."""
    if gz:
        # what THT users do with rotated logs: the anchor cannot read gzip itself
        anchor = ["bash", "-c", 'zcat "$1" | bash "$2" "$3"', "anchor",
                  str(path), str(ANCHOR), str(wrapper)]
        anchor_in = None
    else:
        anchor = ["bash", str(ANCHOR), str(wrapper)]
        anchor_in = path
    return {
        "cs-file": ([str(CS), "--plain", str(path)], None),
        "cs-stdin": ([str(CS), "--plain"], path),
        "anchor": (anchor, anchor_in),
    }


def cs_works() -> Tuple[bool, str]:
    """Is the conn-summary command there and able to summarize the bundled sample?"""
    if not CS.exists():
        return False, "%s missing (pip install -e .)" % CS
    p = subprocess.run([str(CS), "--plain", str(ROOT / "conn_summary/data/sample-conn.log")],
                       capture_output=True, text=True, env=ENV, cwd=ROOT)
    if p.returncode != 0:
        return False, "conn-summary exits %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    return True, ""


# --------------------------------------------------------------------------- reporting


@dataclass
class InputResult:
    input: str
    size: int
    fmt: str
    gzip: bool
    bytes: int
    runs: List[Run] = field(default_factory=list)
    identical: Dict[str, Optional[bool]] = field(default_factory=dict)
    diff_lines: Dict[str, int] = field(default_factory=dict)
    control_identical: Optional[bool] = None  # conn-summary with the anchor's local nets
    medians: Dict[str, Dict[str, float]] = field(default_factory=dict)
    ratios: Dict[str, Dict[str, float]] = field(default_factory=dict)


def _mib(n: float) -> str:
    return "%.0f MiB" % (n / 2**20)


def _diff_count(a: Path, b: Path) -> int:
    la, lb = a.read_bytes().splitlines(), b.read_bytes().splitlines()
    n = sum(1 for x, y in zip(la, lb) if x != y)
    return n + abs(len(la) - len(lb))


def summarize(res: InputResult) -> None:
    tools = sorted({r.tool for r in res.runs})
    for t in tools:
        ok = [r for r in res.runs if r.tool == t and r.rc == 0]
        if not ok:
            continue
        res.medians[t] = {
            "wall_s": statistics.median(r.wall_s for r in ok),
            "cpu_s": statistics.median(r.cpu_s for r in ok),
            "tree_rss": max(r.tree_rss for r in ok),
            "tree_pss": max(r.tree_pss for r in ok),
            "own_rss": max(r.own_rss for r in ok),
        }
    a = res.medians.get("anchor")
    for t in ("cs-file", "cs-stdin"):
        m = res.medians.get(t)
        if a and m:
            res.ratios[t] = {k: m[k] / a[k] for k in ("wall_s", "cpu_s", "tree_rss", "tree_pss")
                             if a[k]}


def print_table(results: List[InputResult]) -> None:
    hdr = "%-30s %-9s %9s %9s %10s %10s %9s  %s" % (
        "input", "tool", "wall", "cpu", "tree RSS", "tree PSS", "own RSS", "output vs anchor")
    print(hdr)
    print("-" * len(hdr))
    for res in results:
        for t in ("anchor", "cs-file", "cs-stdin"):
            m = res.medians.get(t)
            fails = [r for r in res.runs if r.tool == t and r.rc != 0]
            if not m:
                if fails:
                    print("%-30s %-9s  FAILED (rc=%d)" % (res.input, t, fails[0].rc))
                elif any(r.tool == "anchor" for r in res.runs) or t == "anchor":
                    print("%-30s %-9s  not run" % (res.input, t))
                continue
            if t == "anchor":
                note = "(reference)"
            elif t not in res.identical:
                note = "(no anchor run to compare with)"
            elif res.identical[t]:
                note = "identical"
            else:
                note = "DIFFERS (%d lines)" % res.diff_lines.get(t, -1)
                if res.control_identical:
                    note += "; identical with anchor's local nets"
                elif res.control_identical is False:
                    note += "; differs even with anchor's local nets"
            print("%-30s %-9s %8.2fs %8.2fs %10s %10s %9s  %s" % (
                res.input, t, m["wall_s"], m["cpu_s"], _mib(m["tree_rss"]), _mib(m["tree_pss"]),
                _mib(m["own_rss"]) if t != "anchor" else "-", note))
        for t, r in res.ratios.items():
            print("%-30s %-9s %8.2fx %8.2fx %9.2fx %9.2fx  (%s / anchor)" % (
                "", "ratio", r.get("wall_s", 0), r.get("cpu_s", 0), r.get("tree_rss", 0),
                r.get("tree_pss", 0), t))
        print()


# --------------------------------------------------------------------------- main


def bench_input(size: int, fmt: str, gz: bool, rounds: int, tools: Sequence[str],
                wrapper: Path) -> InputResult:
    path = ensure_input(size, fmt, gz)
    res = InputResult(path.name, size, fmt, gz, path.stat().st_size)
    cmds = commands(path, gz, wrapper)
    work = OUT / "runs"
    work.mkdir(exist_ok=True)
    outs: Dict[str, Path] = {}
    for rnd in range(rounds):
        # rotate the order each round so caches and thermal drift favour no one
        order = list(tools[rnd % len(tools):]) + list(tools[:rnd % len(tools)])
        for t in order:
            argv, stdin = cmds[t]
            out = work / ("%s.%s.out" % (path.name, t))
            err = work / ("%s.%s.err" % (path.name, t))
            r = measure(t, rnd, argv, stdin, out, err)
            res.runs.append(r)
            outs[t] = out
            print("  %-24s %-9s round %d: %6.2fs wall %6.2fs cpu %s tree rc=%d" % (
                path.name, t, rnd, r.wall_s, r.cpu_s, _mib(r.tree_rss), r.rc),
                file=sys.stderr, flush=True)
    if "anchor" in outs:
        for t in tools:
            if t != "anchor" and t in outs:
                same = outs[t].read_bytes() == outs["anchor"].read_bytes()
                res.identical[t] = same
                res.diff_lines[t] = 0 if same else _diff_count(outs["anchor"], outs[t])
        if any(v is False for v in res.identical.values()):
            # Not timed: is the difference only the local-nets policy (fc00::/7)?
            ctl = work / ("%s.control.out" % path.name)
            with open(ctl, "wb") as fo:
                subprocess.run([str(CS), "--plain", "--local-nets", ANCHOR_LOCAL_NETS, str(path)],
                               stdout=fo, stderr=subprocess.DEVNULL, env=ENV, cwd=ROOT)
            res.control_identical = ctl.read_bytes() == outs["anchor"].read_bytes()
    summarize(res)
    return res


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="100000,1000000", help="comma list of record counts")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="100k records only, 1 round")
    p.add_argument("--big", action="store_true",
                   help="also a 5M-record TSV run checking conn-summary's own memory stays flat")
    p.add_argument("--formats", default="tsv,json,tsv.gz,json.gz",
                   help="which inputs (default: %(default)s)")
    p.add_argument("--json-out", default=None,
                   help="results file (default bench-out/results-YYYYmmdd-HHMMSS.json)")
    a = p.parse_args(argv)
    sizes = [100_000] if a.quick else [int(s) for s in a.sizes.split(",") if s]
    rounds = 1 if a.quick else a.rounds
    kinds = [(k.split(".")[0], k.endswith(".gz")) for k in a.formats.split(",") if k]

    for need in (PY, ENGINE, ANCHOR):
        if not need.exists():
            print("bench: %s missing (run `make setup`)" % need, file=sys.stderr)
            return 2
    ok, why = cs_works()
    tools: List[str] = ["anchor"]
    if ok:
        tools += ["cs-file", "cs-stdin"]
    else:
        print("bench: conn-summary not usable, timing the anchor only: %s" % why, file=sys.stderr)
    wrapper = anchor_wrapper()

    started = _dt.datetime.now()
    # Shared machines are noisy: say how busy this one was when the run began.
    load_before = os.getloadavg()
    print("load average before the run: %.2f %.2f %.2f (%d cores)" % (load_before + (os.cpu_count() or 0,)),
          file=sys.stderr)
    results: List[InputResult] = []
    for size in sizes:
        for fmt, gz in kinds:
            results.append(bench_input(size, fmt, gz, rounds, tools, wrapper))
    big: Optional[Dict[str, object]] = None
    if a.big and ok:
        # memory flatness: the 5M run's own RSS against the smallest size's
        r5 = bench_input(5_000_000, "tsv", False, 1, ["cs-file", "cs-stdin"], wrapper)
        results.append(r5)
        base = next((r for r in results if r.fmt == "tsv" and not r.gzip), None)
        if base and base is not r5 and "cs-file" in base.medians and "cs-file" in r5.medians:
            big = {t: {"own_rss_5M": r5.medians[t]["own_rss"],
                       "own_rss_base": base.medians[t]["own_rss"], "base_size": base.size,
                       "growth": r5.medians[t]["own_rss"] / base.medians[t]["own_rss"]}
                   for t in ("cs-file", "cs-stdin") if t in r5.medians and t in base.medians}

    print()
    print_table(results)
    # The target: on a 1M-line TSV file, conn-summary's wall time <= 0.55x the anchor's.
    for res in results:
        if res.size == 1_000_000 and res.fmt == "tsv" and not res.gzip and "cs-file" in res.ratios:
            ratio = res.ratios["cs-file"]["wall_s"]
            print("target, 1M TSV file: wall %.2fx the anchor's (target <= 0.55x): %s" % (
                ratio, "met" if ratio <= 0.55 else "NOT met"))
    if big:
        for t, b in big.items():
            print("memory flatness %s: own RSS %s at 5M vs %s at %d records (x%.2f)" % (
                t, _mib(b["own_rss_5M"]), _mib(b["own_rss_base"]), b["base_size"], b["growth"]))

    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=ROOT).stdout.strip()
    doc = {
        "schema": 1,
        "started": started.isoformat(timespec="seconds"),
        "git": rev,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_before": list(load_before)},
        "rounds": rounds,
        "generator": _generator_key(),
        "anchor": str(ANCHOR),
        "engine": str(ENGINE),
        "big": big,
        "inputs": [dict(asdict(r)) for r in results],
    }
    out = Path(a.json_out) if a.json_out else OUT / ("results-%s.json" % started.strftime("%Y%m%d-%H%M%S"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print("results: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
