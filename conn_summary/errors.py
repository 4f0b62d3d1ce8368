"""The project's exceptions and the exit-code table.

Core modules raise these; only cli.py turns them into a message and an exit code.
Each error carries a one-line message and, where there is one, a hint for the fix.
"""

from __future__ import annotations

from typing import Optional


class ExitCode:
    """Documented exit codes (README, ``--help``)."""

    OK = 0
    INTERNAL = 1          # a bug: unexpected exception (traceback only with --debug)
    USAGE = 2             # bad flags or arguments
    INPUT = 3             # input unreadable, corrupt archive, not a conn log
    EMPTY = 4             # the input holds no data lines at all
    NO_CONNECTIONS = 5    # lines were read, but no connection is left to summarize
    STRICT = 6            # --strict and some lines were skipped (summary still printed)
    ENGINE_MISSING = 7    # trace-summary or its SubnetTree module not found
    ENGINE_FAILED = 8     # trace-summary ran and failed
    WRITE = 9             # the temporary copy or the result cannot be written (disk full ...)
    SIGHUP = 129          # hung up (128 + SIGHUP): the terminal or session went away
    BROKEN_PIPE = 141     # stdout closed early (128 + SIGPIPE)
    SIGINT = 130          # interrupted (128 + SIGINT)
    SIGTERM = 143         # terminated (128 + SIGTERM)


class ConnSummaryError(Exception):
    """Base class: a message for the user, an exit code and an optional hint."""

    exit_code: int = ExitCode.INTERNAL

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Picklable with its hint: input errors cross from worker processes (parallel.py).
        return (self.__class__, (self.message, self.hint))


class UsageError(ConnSummaryError):
    exit_code = ExitCode.USAGE


class InputError(ConnSummaryError):
    """An input cannot be read, is a corrupt archive, or is not a conn log."""

    exit_code = ExitCode.INPUT


class EmptyInputError(ConnSummaryError):
    """The inputs hold no data lines at all."""

    exit_code = ExitCode.EMPTY


class NoConnectionsError(ConnSummaryError):
    """Data lines were read but none is left to summarize."""

    exit_code = ExitCode.NO_CONNECTIONS


class StrictError(ConnSummaryError):
    exit_code = ExitCode.STRICT


class WriteError(ConnSummaryError):
    """The canonical copy of the input, or the result, cannot be written."""

    exit_code = ExitCode.WRITE


class EngineMissingError(ConnSummaryError):
    """trace-summary, or the SubnetTree module it imports, cannot be found."""

    exit_code = ExitCode.ENGINE_MISSING


class EngineFailedError(ConnSummaryError):
    """trace-summary ran and failed: carries its argv, exit code and stderr tail."""

    exit_code = ExitCode.ENGINE_FAILED

    def __init__(self, message: str, argv: list[str], returncode: int, stderr_tail: str,
                 hint: Optional[str] = None) -> None:
        super().__init__(message, hint)
        self.argv = argv
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (self.__class__, (self.message, self.argv, self.returncode, self.stderr_tail,
                                 self.hint))
