"""JSON and JSONL/NDJSON files (optionally zstd-compressed): generic records or Reddit data.

Which field holds the text, the id and the title are options (settings ``knowledge_json_*`` and
``study ingest --text-field/--id-field/--title-field``). Records that look like Reddit posts or
comments are read as Reddit whatever the options say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip, Warn, read_bytes
from study_tracker.knowledge.ingest.loaders.reddit import RedditReader, is_listing, is_reddit_record
from study_tracker.knowledge.ingest.loaders.streams import lines, open_input, read_all


def _field(rec: dict[str, Any], name: str) -> Any:
    """``rec[name]``; a dotted name walks nested objects (``data.body``)."""
    if name in rec:
        return rec[name]
    cur: Any = rec
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


class _RecordReader:
    def __init__(self, path: Path, options: LoaderOptions, warn: Warn) -> None:
        self.path, self.options, self.warn = path, options, warn
        self.reddit = RedditReader(str(path))
        self.no_text = 0
        self.first_no_text: str = ""

    def record(self, rec: Any, where: str) -> Iterator[Document]:
        if not isinstance(rec, dict):
            self._missing(where)
            return
        if is_listing(rec):
            yield from self.reddit.listing(rec)
            return
        if is_reddit_record(rec):
            doc = self.reddit.record(rec)
            if doc is not None:
                yield doc
            return
        text = _field(rec, self.options.text_field)
        if not isinstance(text, str) or not text.strip():
            self._missing(where)
            return
        doc_id = _field(rec, self.options.id_field)
        if doc_id is None and self.options.id_field == "id":
            doc_id = rec.get("_id")  # BEIR corpora name it _id
        title = _field(rec, self.options.title_field)
        meta = {
            k: v
            for k, v in rec.items()
            if isinstance(v, str | int | float | bool) and k != self.options.text_field
        }
        yield Document(
            doc_id=str(doc_id) if doc_id is not None else f"{self.path}#{where}",
            text=text,
            kind="json",
            source=str(self.path),
            title=str(title).strip() if isinstance(title, str | int | float) else "",
            meta={k: v for k, v in list(meta.items())[:20] if len(str(v)) <= 300},
        )

    def _missing(self, where: str) -> None:
        self.no_text += 1
        if not self.first_no_text:
            self.first_no_text = where

    def finish(self) -> None:
        if self.no_text:
            self.warn(
                f"{self.no_text} record(s) without a text field {self.options.text_field!r} skipped "
                f"(first: {self.first_no_text}); set --text-field"
            )


def load_json(path: Path, options: LoaderOptions, warn: Warn, *, compressed: bool) -> Iterator[Document]:
    """A JSON file: a Reddit listing, a list of records, or one record."""
    if compressed:
        if path.stat().st_size == 0:
            raise Skip("empty file")
        data = read_all(path, options, compressed=True)
    else:
        data = read_bytes(path, options)
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise Skip(f"not valid JSON: {e}") from None
    reader = _RecordReader(path, options, warn)
    if is_listing(obj):
        yield from reader.reddit.listing(obj)
        return
    records = obj if isinstance(obj, list) else [obj]
    for n, rec in enumerate(records):
        yield from reader.record(rec, f"item {n}")
    reader.finish()


def load_jsonl(path: Path, options: LoaderOptions, warn: Warn, *, compressed: bool) -> Iterator[Document]:
    """A JSONL/NDJSON file (Pushshift dumps included), streamed line by line; bad lines are skipped."""
    if path.stat().st_size == 0:
        raise Skip("empty file")
    reader = _RecordReader(path, options, warn)
    bad: list[int] = []
    n_lines = 0
    with open_input(path, options, compressed=compressed) as raw:
        for n, line in lines(raw, options.max_line_bytes):
            if not line.strip():
                continue
            n_lines += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                bad.append(n)
                continue
            yield from reader.record(rec, f"line {n}")
    if bad:
        if len(bad) == n_lines:
            raise Skip(f"no valid JSON line ({len(bad)} malformed)")
        shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
        warn(f"{len(bad)} malformed JSON line(s) skipped (line {shown})")
    reader.finish()
