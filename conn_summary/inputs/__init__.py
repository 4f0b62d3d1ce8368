"""The input layer's public API: normalize inputs into one canonical TSV.

Re-exports what the CLI and the engine layer use; everything else in this package
is an implementation detail.
"""

from __future__ import annotations

from .canonical import CANONICAL_FIELDS, CANONICAL_HEADER, CANONICAL_HEADER_BYTES
from .filters import RecordFilter
from .normalize import normalize

__all__ = ["normalize", "RecordFilter", "CANONICAL_HEADER", "CANONICAL_HEADER_BYTES",
           "CANONICAL_FIELDS"]
