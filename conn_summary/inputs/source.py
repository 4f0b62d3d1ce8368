"""Opening inputs: files, directories (Zeek log archives) and stdin, decompressed by magic bytes.

Owns everything about getting bytes: which files a directory contributes (conn logs,
in time order), checking every input can be opened before anything is written,
recognising gzip/bzip2/xz/zstd from the first bytes (never the name), streaming the
decompressed bytes, counting raw bytes for the progress callback, and turning
decompressor failures into an InputError that names the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import stat
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Optional, Sequence

from ..errors import InputError

try:  # zstandard is a declared dependency; stay importable without it.
    import zstandard as _zstd
except ImportError:  # pragma: no cover
    _zstd = None

BLOCK_SIZE = 1 << 20           # 1 MiB: as fast as larger blocks, and a third of the memory
_PROGRESS_STEP = 1 << 20

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)

_DECOMP_ERRORS: tuple = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)
if _zstd is not None:
    _DECOMP_ERRORS = _DECOMP_ERRORS + (_zstd.ZstdError,)


def sniff_compression(head: bytes) -> str:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


@dataclass(frozen=True)
class InputSpec:
    """One input to read: a file path, or "-" for stdin."""

    name: str


# In a log directory: conn.log, zeekctl's conn.HH:MM:SS-HH:MM:SS.log.gz, conn_eth0.log ...
# Not conn-summary.*.log.gz (zeekctl's trace-summary reports, kept beside the logs), not
# conn.log.bak or conn.log~, and not conn_long logs: their interim records of long
# connections would count those connections twice.
_CONN_LOG_NAME = re.compile(r"^conn(?:[._].*)?\.log(?:\.(?:gz|bz2|xz|zst))?$")
_COMPRESSED_SUFFIX = re.compile(r"\.(?:gz|bz2|xz|zst)$")


def is_conn_log_name(basename: str) -> bool:
    return bool(_CONN_LOG_NAME.match(basename)) and not basename.startswith("conn_long")


@dataclass(frozen=True)
class Expanded:
    """The inputs to read, in order, and files of a directory deliberately not read."""

    specs: tuple[InputSpec, ...]
    set_aside: tuple[tuple[str, str], ...]   # (path, why)


def _directory_logs(directory: str) -> tuple[list[str], list[tuple[str, str]]]:
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in files if is_conn_log_name(f))
    found.sort()
    # conn.log next to conn.log.gz holding the same log: read the plain one only.
    present = set(found)
    keep, aside = [], []
    for f in found:
        plain = _COMPRESSED_SUFFIX.sub("", f)
        if plain != f and plain in present and _starts_alike(plain, f):
            aside.append((f, f"a compressed copy of {os.path.basename(plain)}, which is read"))
        else:
            keep.append(f)
    return keep, aside


def _starts_alike(plain: str, packed: str, size: int = 1 << 16) -> bool:
    """Does the compressed file begin with the same bytes as the plain one (a copy of it,
    or of an earlier state of a log still being written)? Anything else is read too."""
    try:
        with open(plain, "rb") as fh:
            head = fh.read(size)
        opened = open_input(InputSpec(packed), None, None)
        try:
            other = b""
            for chunk in opened.blocks(size):
                other += chunk
                if len(other) >= size:
                    break
        finally:
            opened.close()
    except (OSError, InputError):
        return False
    return bool(head) and other[:len(head)] == head


def expand(paths: Sequence[str]) -> Expanded:
    """Resolve paths to inputs and check each can be opened, before any output.

    Directories contribute their conn logs (recursively) sorted by path, which is
    time order for zeekctl's ``YYYY-MM-DD/conn.HH:MM:SS-HH:MM:SS.log.gz`` names.
    """
    specs: list[InputSpec] = []
    aside: list[tuple[str, str]] = []
    for p in paths:
        if p == "-":
            specs.append(InputSpec("-"))
            continue
        if os.path.isdir(p):
            found, skipped = _directory_logs(p)
            if not found:
                raise InputError(f"{p}: directory holds no conn logs",
                                 "expected files named conn.log, conn.*.log.gz or conn_*.log")
            for f in found:
                _check_readable(f)
                specs.append(InputSpec(f))
            aside.extend(skipped)
            continue
        _check_readable(p)
        specs.append(InputSpec(p))
    return Expanded(tuple(specs), tuple(aside))


def _check_readable(path: str) -> None:
    """Fail early, before any output, for a path that cannot be read.

    Only a regular file is opened (and read from) here: a FIFO, /dev/stdin or a
    process substitution (/dev/fd/N) can be read once only, so for those the one
    real open is open_input's, and a check here would eat their first bytes.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", "check the path") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied", "check the file's permissions")
        return
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", "check the path") from None
    except IsADirectoryError:  # pragma: no cover - handled by isdir above
        raise InputError(f"{path}: is a directory") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


class _Counting(io.RawIOBase):
    """Raw reader that replays a sniffed prefix, then the stream, counting bytes for progress."""

    def __init__(self, prefix: bytes, stream: BinaryIO,
                 progress: Optional[Callable[[int], None]]) -> None:
        self._prefix = prefix
        self._stream = stream
        self._progress = progress
        self._pending = len(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        chunk = self._stream.read(len(b))
        if not chunk:
            self.flush_progress()
            return 0
        n = len(chunk)
        b[:n] = chunk
        if self._progress is not None:
            self._pending += n
            if self._pending >= _PROGRESS_STEP:
                self._progress(self._pending)
                self._pending = 0
        return n

    def flush_progress(self) -> None:
        if self._progress is not None and self._pending:
            self._progress(self._pending)
        self._pending = 0


class _ZstdReader:
    """zstd frames in a row, streamed; a cut-short last frame is an error.

    (zstandard's stream_reader ends silently on a truncated frame.)
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._dctx = _zstd.ZstdDecompressor()
        self._dobj = self._dctx.decompressobj()
        self._fed = False      # bytes fed to the current frame and not yet finished

    def read(self, size: int) -> bytes:
        parts: list[bytes] = []
        got = 0
        while got < size:
            data = self._raw.read(1 << 20)
            if not data:
                if self._fed:
                    raise EOFError("compressed file ended before the end-of-frame marker")
                break
            while data:
                out = self._dobj.decompress(data)
                self._fed = True
                if out:
                    parts.append(out)
                    got += len(out)
                if self._dobj.eof:
                    data = self._dobj.unused_data
                    self._dobj = self._dctx.decompressobj()
                    self._fed = False
                else:
                    data = b""
        return b"".join(parts)

    def close(self) -> None:
        pass


def _read_head(stream: BinaryIO, n: int) -> bytes:
    # Pipes may return short reads: loop until n bytes or EOF.
    head = b""
    while len(head) < n:
        chunk = stream.read(n - len(head))
        if not chunk:
            break
        head += chunk
    return head


class Opened:
    """An opened input: its decompressed byte blocks, its name and compression."""

    def __init__(self, name: str, raw: BinaryIO, close_raw: bool,
                 progress: Optional[Callable[[int], None]]) -> None:
        self.name = name
        self._raw = raw
        self._close_raw = close_raw
        head = _read_head(raw, 6)
        self.compression = sniff_compression(head)
        self._counting = _Counting(head, raw, progress)
        buffered = io.BufferedReader(self._counting, buffer_size=1 << 20)
        self._reader: BinaryIO
        if self.compression == "gzip":
            self._reader = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
        elif self.compression == "bzip2":
            self._reader = bz2.BZ2File(buffered, "rb")  # type: ignore[assignment]
        elif self.compression == "xz":
            self._reader = lzma.LZMAFile(buffered, "rb")  # type: ignore[assignment]
        elif self.compression == "zstd":
            if _zstd is None:  # pragma: no cover
                raise InputError(f"{name}: zstd-compressed, but the zstandard module is missing",
                                 "pip install zstandard")
            self._reader = _ZstdReader(buffered)  # type: ignore[assignment]
        else:
            self._reader = buffered  # type: ignore[assignment]

    def blocks(self, size: Optional[int] = None) -> Iterator[bytes]:
        """Decompressed data in large blocks (memory stays flat whatever the size)."""
        size = size or BLOCK_SIZE  # read at call time: tests shrink it to make many blocks
        while True:
            try:
                chunk = self._reader.read(size)
            except _DECOMP_ERRORS as exc:
                if self.compression == "none":
                    raise InputError(f"{self.name}: read error: {exc}") from None
                raise InputError(
                    f"{self.name}: corrupt or truncated {self.compression} archive ({exc})",
                    "re-copy the file, or check it with the matching tool (e.g. gzip -t)") from None
            if not chunk:
                self._counting.flush_progress()
                return
            yield chunk

    def close(self) -> None:
        try:
            if self._reader is not None and self.compression != "none":
                self._reader.close()
        except Exception:  # closing a broken decompressor must not mask the real error
            pass
        if self._close_raw:
            self._raw.close()


def open_input(spec: InputSpec, stdin: Optional[BinaryIO],
               progress: Optional[Callable[[int], None]]) -> Opened:
    if spec.name == "-":
        import sys
        stream = stdin if stdin is not None else sys.stdin.buffer
        return Opened("-", stream, False, progress)
    try:
        fh = open(spec.name, "rb")
    except OSError as exc:
        raise InputError(f"{spec.name}: cannot open: {exc.strerror or exc}") from None
    return Opened(spec.name, fh, True, progress)
