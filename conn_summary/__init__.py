"""conn-summary: Zeek conn.log summaries built on Zeek's upstream trace-summary.

This module owns the package version only; see cli.py for the command.
"""

__version__ = "1.0.0"
