"""Reading back the plain (THT) text in tests: totals and columns of each pass.

Deliberately independent of conn_summary.parse, so CLI tests check what a user's
script would see rather than our own parser's view of it.
"""

from __future__ import annotations

import re

COLUMNS = ("ports", "sources", "destinations", "services", "protocols", "states")


def passes(text: str) -> dict:
    """{'connections': block, 'bytes': block} from THT-style output."""
    out = {}
    parts = re.split(r"^(Connections:\n=+\n|Bytes:\n=+\n)", text, flags=re.M)
    for i in range(1, len(parts) - 1, 2):
        name = "connections" if parts[i].startswith("Connections") else "bytes"
        out[name] = parts[i + 1]
    return out


def totals(block: str) -> tuple[str, str]:
    m = re.search(r"- Connections\s+(\S+) - Payload\s+(\S+) -", block)
    assert m, f"no totals line in:\n{block}"
    return m.group(1), m.group(2)


def column(block: str, name: str) -> list[tuple[str, str]]:
    """[(value, percent-with-%)] of one column of the Total table, padded rows skipped."""
    index = COLUMNS.index(name)
    rows = []
    in_table = False
    for line in block.splitlines():
        if line.lstrip().startswith("Ports"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.strip():
            break
        cell = line.split("|")[index].strip()
        if cell:
            value, percent = cell.rsplit(None, 1)
            rows.append((value, percent))
    return rows
