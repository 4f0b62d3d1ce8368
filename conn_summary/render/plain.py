"""Plain text output: trace-summary's own blocks, verbatim.

By default (``sections="total"``) the result equals, byte for byte, what THT's
conn-summary prints: for each pass a heading and the Total section less print()'s
final newline, which is exactly the 15 lines THT keeps with ``head -15`` at the
default top 10 (with another ``-n`` we print the whole section, which THT would cut). Other choices
print more of each pass's blocks, always in upstream order and always cut by
the parser, never by counting lines.
"""

from __future__ import annotations

from conn_summary.errors import UsageError
from conn_summary.model import PassReport, Summary
from conn_summary.render import PASS_HEADINGS

# Names accepted in ``sections`` (a comma-separated list, or "all").
BLOCK_KINDS = ("interval", "total", "local-nets", "non-local", "incoming", "outgoing",
               "local-net", "first-last")


def _selected(sections: str) -> set[str]:
    names = {s.strip() for s in sections.split(",") if s.strip()}
    if not names:
        names = {"total"}
    if "all" in names:
        return set(BLOCK_KINDS)
    unknown = names - set(BLOCK_KINDS)
    if unknown:
        raise UsageError(f"unknown section(s): {', '.join(sorted(unknown))}",
                         hint=f"choose from all, {', '.join(BLOCK_KINDS)}")
    return names


def _block_kind(report: PassReport, block: str) -> str:
    if block == report.local_nets_raw:
        return "local-nets"
    if block == report.non_local_raw:
        return "non-local"
    if block == report.first_last_raw:
        return "first-last"
    for s in report.sections:
        if s.raw == block:
            return s.kind
    return "other"


def tht_total(raw: str) -> str:
    """The Total section as THT shows it.

    The section string ends with a blank line and print() adds one more newline;
    THT's ``head -15`` (at the default top 10) stops before that last one. So THT
    shows the section less print()'s newline: cut here by structure, not by lines.
    """
    return raw[:-1] if raw.endswith("\n\n") else raw


def pass_text(report: PassReport, sections: str = "total") -> str:
    """The chosen blocks of one pass, verbatim, in the order the engine printed them."""
    wanted = _selected(sections)
    if wanted == {"total"}:
        total = report.total
        return tht_total(total.raw) if total is not None else ""
    blocks = report.parts or (report.raw,)
    if wanted >= set(BLOCK_KINDS):
        return "".join(blocks)
    return "".join(b for b in blocks if _block_kind(report, b) in wanted)


def render_plain(summary: Summary, *, sections: str = "total") -> str:
    """Each present pass (connections, then bytes) under THT's heading."""
    return "".join(PASS_HEADINGS.get(p.name, f"{p.name}:\n") + pass_text(p, sections)
                   for p in summary.passes)
