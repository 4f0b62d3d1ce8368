"""The renderers: pure functions of a model.Summary.

- ``plain.render_plain``: trace-summary's own text (THT-identical by default) -> str
- ``json.render_json``: the schema-versioned JSON document -> str
- ``rich.render_rich``: terminal tables -> a rich renderable

Each submodule is imported on use, so plain and JSON output never load rich.
"""

from __future__ import annotations

PASS_HEADINGS = {
    # THT's conn-summary prints these two headings before each pass's first 15 lines.
    "connections": "Connections:\n============\n",
    "bytes": "Bytes:\n======\n",
}

PASS_TITLES = {"connections": "By connections", "bytes": "By bytes"}
