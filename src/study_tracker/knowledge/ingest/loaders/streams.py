"""Bounded reads of compressed and streamed inputs: a file is refused (``Skip``) before it can fill
the memory, whatever its compressed size says.

A 32 KB ``.zst`` can inflate to gigabytes, and a JSONL file may hold one line of a gigabyte; the
size on disk says nothing about either. So every byte that comes out of a decompressor is
counted against a cap, and lines are read with a length limit (``readline(limit)`` never holds
more than the limit), so memory stays bounded by the caps, not by the input.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip

# Pushshift dumps are compressed with a long window (up to 2 GB); the default limit refuses them.
_ZSTD_MAX_WINDOW = 2**31

#: Text and JSON compress 3 to 30 times with zstd; a stream that inflates further than this is
#: built to do harm (a run of zeros compresses about 30,000 times).
MAX_INFLATE_RATIO = 200
#: Below this much output the ratio is not checked: tiny, repetitive files are legitimate.
RATIO_FLOOR_BYTES = 64 * 1024 * 1024

_MB = 1024 * 1024


def _mb(n: int) -> str:
    if n % _MB == 0:
        return f"{n // _MB} MB"
    return f"{n / _MB:.1f} MB" if n >= _MB else f"{n:,} bytes"


class _Capped(io.RawIOBase):
    """A binary stream that raises ``Skip`` once more than ``limit`` bytes have come out of it."""

    def __init__(self, inner: Any, limit: int, why: str) -> None:
        self.inner, self.limit, self.why = inner, limit, why
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self.inner.read(len(view))
        except Exception as e:  # zstandard.ZstdError: a corrupt frame surfaces while streaming
            if type(e).__name__ == "ZstdError":
                raise Skip(f"corrupt zstd stream: {e}") from None
            raise
        n = len(data)
        view[:n] = data
        self.count += n
        if self.limit and self.count > self.limit:
            raise Skip(self.why)
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


def inflate_limit(path: Path, options: LoaderOptions, *, whole: bool) -> tuple[int, str]:
    """The most bytes a compressed ``path`` may inflate to, and the reason given when it does.

    ``whole``: the file is read into memory at once (``.json.zst``), so the whole-file limit
    applies to its decompressed size.
    """
    compressed = path.stat().st_size
    by_ratio = max(MAX_INFLATE_RATIO * compressed, RATIO_FLOOR_BYTES)
    caps = [(options.max_inflated_bytes, "setting STUDY_KNOWLEDGE_MAX_INFLATED_MB")]
    if whole and options.max_file_bytes:
        caps.append((options.max_file_bytes, "setting STUDY_KNOWLEDGE_MAX_FILE_MB"))
    caps = [(n, s) for n, s in caps if n]
    limit, setting = min(caps) if caps else (0, "")
    if not limit or by_ratio < limit:
        why = (
            f"decompression bomb: {_mb(compressed)} inflates past {_mb(by_ratio)} "
            f"(more than {MAX_INFLATE_RATIO} times its size); reading stopped there"
        )
        return by_ratio, why
    return (
        limit,
        f"too large when decompressed: over the {_mb(limit)} limit ({setting}); reading stopped there",
    )


def open_input(path: Path, options: LoaderOptions, *, compressed: bool, whole: bool = False) -> IO[bytes]:
    """``path`` as a buffered binary stream; a zstd file is decompressed with its output capped."""
    raw = path.open("rb")
    if not compressed:
        return raw
    import zstandard

    reader = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW).stream_reader(raw, closefd=True)
    limit, why = inflate_limit(path, options, whole=whole)
    return io.BufferedReader(_Capped(reader, limit, why), buffer_size=1 << 20)


def read_all(path: Path, options: LoaderOptions, *, compressed: bool) -> bytes:
    """The whole (decompressed) content of ``path``, refused past the caps before it is all held."""
    with open_input(path, options, compressed=compressed, whole=True) as f:
        return f.read()


def lines(stream: IO[bytes], max_line: int) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line; a line longer than ``max_line`` bytes refuses the file."""
    n = 0
    while True:
        line = stream.readline(max_line + 1) if max_line else stream.readline()
        if not line:
            return
        n += 1
        if max_line and len(line) > max_line and not line.endswith(b"\n"):
            raise Skip(
                f"line {n} is longer than the {_mb(max_line)} limit (setting STUDY_KNOWLEDGE_MAX_LINE_MB); "
                "reading stopped there"
            )
        yield n, line.decode("utf-8", errors="replace")
