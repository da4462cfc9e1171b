"""Compressed and streamed inputs are bounded: a real decompression bomb (32 KB of zstd that
inflates to 1 GiB) and a file of one endless line are refused with a message naming the cap, and
the process reading them stays small (measured in a child process, whose peak RSS is its own).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import zstandard

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.loaders import load_file
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from tests.knowledge.kb_helpers import WordHashEncoder

GIB = 1 << 30
MB = 1 << 20


def zstd_of(path: Path, chunk: bytes, total: int) -> Path:
    """``path`` written as a zstd stream of ``chunk`` repeated up to ``total`` bytes (never held whole)."""
    with path.open("wb") as f, zstandard.ZstdCompressor(level=3).stream_writer(f) as w:
        for _ in range(total // len(chunk)):
            w.write(chunk)
    return path


def bomb(path: Path) -> Path:
    """1 GiB of zeros: about 32 KB on disk, and no newline anywhere."""
    return zstd_of(path, bytes(MB), GIB)


def load_in_child(path: Path, options: LoaderOptions) -> dict:  # type: ignore[type-arg]
    """Load ``path`` in a fresh interpreter; its peak RSS growth (KiB) and the reason it was skipped."""
    script = textwrap.dedent(
        f"""
        import json, resource
        from pathlib import Path
        from study_tracker.knowledge.ingest.loaders import load_file
        from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        skip = None
        try:
            docs = sum(1 for _ in load_file(Path({str(path)!r}), LoaderOptions(**{_fields(options)!r}), print))
        except Skip as e:
            skip, docs = str(e), -1
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"grew_kib": after - before, "skip": skip, "docs": docs}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _fields(options: LoaderOptions) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__slots__}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "dump.json.zst",
            "too large when decompressed: over the 8 MB limit (setting STUDY_KNOWLEDGE_MAX_FILE_MB)",
        ),
        ("dump.jsonl.zst", "line 1 is longer than the 4 MB limit (setting STUDY_KNOWLEDGE_MAX_LINE_MB)"),
    ],
)
def test_a_decompression_bomb_is_refused_and_memory_stays_bounded(
    tmp_path: Path, name: str, reason: str
) -> None:
    path = bomb(tmp_path / name)
    assert path.stat().st_size < 64 * 1024  # what today's size check saw: a small file
    options = LoaderOptions(max_file_bytes=8 * MB, max_line_bytes=4 * MB)
    result = load_in_child(path, options)
    assert result["skip"] is not None and reason in result["skip"], result
    assert result["grew_kib"] < 80 * 1024, result  # 1 GiB inflated would be over 1,000,000 KiB


def test_a_bomb_of_valid_lines_stops_at_the_inflation_ratio(tmp_path: Path) -> None:
    """Short valid records, so no line cap trips: the ratio to the compressed size does."""
    line = json.dumps({"text": "the same sentence again " * 200}).encode() + b"\n"
    path = zstd_of(tmp_path / "records.jsonl.zst", line * 64, 256 * MB)
    docs = 0
    with pytest.raises(Skip, match=r"decompression bomb: .* inflates past 64 MB \(more than 200 times"):
        for _ in load_file(path, LoaderOptions(), print):
            docs += 1
    assert 0 < docs < 64 * MB // len(line) + 1  # the stream was cut at the cap, not read to its end


def test_the_inflated_size_setting_caps_streams(tmp_path: Path) -> None:
    line = json.dumps({"text": "a record"}).encode() + b"\n"
    path = zstd_of(tmp_path / "records.ndjson.zst", line * 1000, 4 * MB)
    with pytest.raises(Skip, match=r"over the 1 MB limit \(setting STUDY_KNOWLEDGE_MAX_INFLATED_MB\)"):
        list(load_file(path, LoaderOptions(max_inflated_bytes=1 * MB), print))


def test_a_long_line_in_a_plain_jsonl_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    good = json.dumps({"text": "fine"}) + "\n"
    path.write_text(good + json.dumps({"text": "x" * 3000}) + "\n" + good)
    with pytest.raises(Skip, match="line 2 is longer than the 2,000 bytes limit"):
        list(load_file(path, LoaderOptions(max_line_bytes=2000), print))
    # a line of exactly the limit (newline included) is fine
    exact = tmp_path / "exact.jsonl"
    record = json.dumps({"text": "y" * 100})
    exact.write_text(record + "\n")
    docs = list(load_file(exact, LoaderOptions(max_line_bytes=len(record) + 1), print))
    assert [d.text for d in docs] == ["y" * 100]


def test_legitimate_compressed_records_still_load(tmp_path: Path) -> None:
    records = [{"id": i, "text": f"record number {i} about queues"} for i in range(2000)]
    raw = "".join(json.dumps(r) + "\n" for r in records).encode()
    path = tmp_path / "ok.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(raw))
    assert len(list(load_file(path, LoaderOptions(), print))) == 2000
    whole = tmp_path / "ok.json.zst"
    whole.write_bytes(zstandard.ZstdCompressor().compress(json.dumps(records).encode()))
    assert len(list(load_file(whole, LoaderOptions(), print))) == 2000


def test_ingest_names_the_bomb_and_indexes_the_rest(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    bomb(folder / "huge.json.zst")
    (folder / "note.md").write_text("# Queues\n\nA dead-letter queue keeps messages that failed.\n")
    report = ingest_paths([folder], settings=settings, encoder=WordHashEncoder())
    skipped = dict(report.skipped)
    assert list(skipped) == [str(folder / "huge.json.zst")]
    assert "too large when decompressed" in skipped[str(folder / "huge.json.zst")]
    assert report.files_new == 1 and report.chunks_added >= 1
