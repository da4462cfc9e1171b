"""Reading a roadmap file: at most the size cap (``STUDY_ROADMAP_MAX_MB``), then decoded to text.

Both edges (``study roadmap import`` and the Roadmaps page) read through here, so a 50 MB file is
refused after cap + 1 bytes with a message naming the file and the setting, never read whole.
"""

from __future__ import annotations

from typing import IO

from study_tracker.config import Settings
from study_tracker.errors import PayloadTooLarge, RoadmapError

_MB = 1024 * 1024


def max_bytes(settings: Settings) -> int:
    """The largest roadmap accepted, in bytes."""
    return int(settings.roadmap_max_mb * _MB)


def read_capped(stream: IO[bytes], *, name: str, settings: Settings, field_name: str = "file") -> bytes:
    """Up to the roadmap cap of ``stream``; one byte more refuses it.

    Raises:
        PayloadTooLarge: the file is over ``STUDY_ROADMAP_MAX_MB`` (413; the CLI exits 2).
    """
    cap = max_bytes(settings)
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise PayloadTooLarge.field(
            field_name,
            f"{name} is larger than the roadmap limit of {settings.roadmap_max_mb:g} MB "
            "(setting STUDY_ROADMAP_MAX_MB)",
        )
    return data


def decode_upload(data: bytes, *, name: str, field_name: str = "file") -> str:
    """Bytes of an uploaded or read file as text (UTF-8, with or without BOM; UTF-16 with BOM).

    Raises:
        RoadmapError: empty, binary or not decodable; names the field and the file.
    """
    if not data.strip():
        raise RoadmapError.field(field_name, f"{name} is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise RoadmapError.field(field_name, f"{name} is not a text file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # cp1252 files are common enough: read them as such rather than refuse, ftfy fixes the rest.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise RoadmapError.field(
                field_name, f"{name} is not UTF-8 text (byte {exc.start}: {exc.reason})"
            ) from None
