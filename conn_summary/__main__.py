"""Entry point for ``python -m conn_summary``."""

from conn_summary.cli import main

if __name__ == "__main__":
    main()
