"""Structure-aware, token-bounded chunking.

A chunk never crosses a section boundary, keeps lists, tables and code blocks whole when they fit,
and has at most ``max_tokens`` tokens of the embedding model's own tokenizer, counting the heading
path that is prepended to it. Blocks that do not fit are split at list items, then lines, then
sentences, then word-aligned token windows. Offsets always point into the original text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from study_tracker.knowledge.documents import Block, Chunk, Document
from study_tracker.knowledge.ingest.clean import index_text, needs_repair

#: Bump when chunk boundaries or chunk text change: indexes built by another version are rebuilt.
CHUNKER_VERSION = 4

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"[^\n]+")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+(?=\s|$)|$)|[^\s]+", re.M)
_MAX_PATH_TOKENS = 64  # a runaway heading path must not eat the passage's budget

Span = tuple[int, int]


def load_tokenizer(model_dir: Path):
    """The model's fast tokenizer from ``tokenizer.json`` (``tokenizers``: no torch, quick to import)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def paragraph_blocks(text: str) -> list[Block]:
    """Paragraph blocks of plain text: runs of non-blank lines."""
    blocks, pos = [], 0
    for m in [*_BLANK_LINE.finditer(text), None]:
        end = m.start() if m else len(text)
        s, e = _strip(text, pos, end)
        if e > s:
            blocks.append(Block("paragraph", s, e))
        pos = m.end() if m else len(text)
    return blocks


def _strip(text: str, s: int, e: int) -> Span:
    seg = text[s:e]
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    return s + lead, max(s + lead, e - trail)


class Chunker:
    """Splits documents into chunks that fit the embedding model's window.

    Args:
        tokenizer: a ``tokenizers.Tokenizer`` (the model's own, see :func:`load_tokenizer`).
        max_tokens: the window, special tokens included (all-MiniLM-L6-v2: 256).
        overlap: tokens of the previous chunk repeated at the start of the next one inside a section.
    """

    def __init__(self, tokenizer, max_tokens: int = 256, overlap: int = 0) -> None:
        self.tok = tokenizer
        special = len(tokenizer.encode("", add_special_tokens=True).ids)
        self.budget = max_tokens - special
        if self.budget < 16:
            raise ValueError(f"knowledge_chunk_tokens={max_tokens} leaves no room for text.")
        self.max_tokens = max_tokens
        self.overlap = max(0, min(overlap, self.budget // 2))
        self._path_cache: dict[tuple[str, ...], tuple[str, int]] = {}
        self._repair = True

    def count(self, texts: Sequence[str]) -> list[int]:
        """Token counts without special tokens."""
        if not texts:
            return []
        if len(texts) == 1:  # encode_batch's thread pool costs more than it saves on one text
            return [len(self.tok.encode(texts[0], add_special_tokens=False).ids)]
        return [len(e.ids) for e in self.tok.encode_batch(list(texts), add_special_tokens=False)]

    def chunk(self, doc: Document) -> list[Chunk]:
        """The chunks of ``doc`` in reading order."""
        text = doc.text
        self._repair = needs_repair(text)
        blocks = doc.blocks if doc.blocks is not None else paragraph_blocks(text)
        # 1. Units: non-heading blocks with the heading path they sit under.
        units: list[tuple[Block, tuple[str, ...]]] = []
        stack: list[tuple[int, str]] = []
        for b in blocks:
            if b.kind == "heading":
                while stack and stack[-1][0] >= b.level:
                    stack.pop()
                stack.append((b.level, b.title))
                continue
            units.append((b, self._path(doc.title, stack)))
        if not units:  # a document of headings only still gets indexed
            s, e = _strip(text, 0, len(text))
            if e <= s:
                return []
            units = [(Block("paragraph", s, e), (doc.title,) if doc.title else ())]
        # 2. Clean and count all units in one tokenizer batch, split the ones that do not fit.
        cleans = [self._clean(doc, b.start, b.end) for b, _ in units]
        counts = self.count(cleans)
        pieces: list[tuple[int, int, str, int, tuple[str, ...]]] = []
        for (b, path), clean, n in zip(units, cleans, counts, strict=True):
            limit = self.budget - self._path_text(path)[1]
            if not clean:
                continue
            if n <= limit:
                pieces.append((b.start, b.end, clean, n, path))
            else:
                for s, e, c, k in self._fit(doc, b.start, b.end, limit=limit, parts=b.parts, level=0):
                    pieces.append((s, e, c, k, path))
        # 3. Pack consecutive pieces of one section up to the budget.
        return self._pack(doc, pieces)

    def _clean(self, doc: Document, start: int, end: int) -> str:
        return index_text(doc.text[start:end], doc.kind, self._repair)

    # --- heading paths ---

    def _path(self, title: str, stack: list[tuple[int, str]]) -> tuple[str, ...]:
        heads = [t for _, t in stack if t]
        if title and (not heads or heads[0] != title):
            heads.insert(0, title)
        return tuple(heads)

    def _path_text(self, path: tuple[str, ...]) -> tuple[str, int]:
        """The header line prepended to a chunk and its token cost (header + line break)."""
        hit = self._path_cache.get(path)
        if hit is None:
            header = index_text(" > ".join(path), "text").replace("\n", " ") if path else ""
            n = self.count([header])[0] if header else 0
            if n > _MAX_PATH_TOKENS:
                enc = self.tok.encode(header, add_special_tokens=False)
                header = header[: enc.offsets[_MAX_PATH_TOKENS - 1][1]] + " ..."
                n = self.count([header])[0]
            hit = (header, n)
            if len(self._path_cache) > 10_000:
                self._path_cache.clear()
            self._path_cache[path] = hit
        return hit

    # --- splitting ---

    def _fit(
        self, doc: Document, s: int, e: int, *, limit: int, parts: list[Span] | None, level: int
    ) -> list[tuple[int, int, str, int]]:
        """Split ``text[s:e]`` into consecutive pieces of at most ``limit`` tokens each (cleaned)."""
        text = doc.text
        spans: list[Span] = []
        while level <= 3 and len(spans) < 2:
            spans = self._spans(text, s, e, parts=parts if level == 0 else None, level=level, limit=limit)
            level += 1
        if len(spans) < 2:  # cannot split further: one word over the limit; keep it (the model truncates)
            clean = self._clean(doc, s, e)
            return [(s, e, clean, self.count([clean])[0])]
        cleans = [self._clean(doc, a, b) for a, b in spans]
        counts = self.count(cleans)
        out: list[tuple[int, int, str, int]] = []
        for (a, b), c, n in zip(spans, cleans, counts, strict=True):
            if not c:
                continue
            if n <= limit:
                out.append((a, b, c, n))
            else:
                out.extend(self._fit(doc, a, b, limit=limit, parts=None, level=level))
        return self._merge(doc, out, limit)

    def _spans(
        self, text: str, s: int, e: int, *, parts: list[Span] | None, level: int, limit: int
    ) -> list[Span]:
        if level == 0:
            return [p for p in (parts or []) if s <= p[0] < p[1] <= e]
        if level == 1:
            out = [_strip(text, s + m.start(), s + m.end()) for m in _LINE.finditer(text[s:e])]
            return [(a, b) for a, b in out if b > a]
        if level == 2:
            out = []
            for m in _SENTENCE.finditer(text[s:e]):
                a, b = _strip(text, s + m.start(), s + m.end())
                if b > a:
                    out.append((a, b))
            return out
        return self._token_windows(text, s, e, limit)

    def _token_windows(self, text: str, s: int, e: int, limit: int) -> list[Span]:
        """Word-aligned windows of at most ``limit`` tokens of the original text."""
        enc = self.tok.encode(text[s:e], add_special_tokens=False)
        offsets, words = enc.offsets, enc.word_ids
        spans, i, n = [], 0, len(offsets)
        size = max(1, int(limit * 0.9))  # cleaning can add a token or two; leave room
        while i < n:
            j = min(n, i + size)
            if j < n and words[j] is not None:
                k = j
                while k > i + 1 and words[k - 1] == words[j]:
                    k -= 1
                j = k
            a, b = s + offsets[i][0], s + offsets[j - 1][1]
            spans.append((a, b))
            i = j
        return spans

    def _merge(
        self, doc: Document, pieces: list[tuple[int, int, str, int]], limit: int
    ) -> list[tuple[int, int, str, int]]:
        """Greedily join consecutive pieces while they fit (lines back into paragraphs, sentences...)."""
        out: list[tuple[int, int, str, int]] = []
        for p in pieces:
            # WordPiece counts add up across whitespace, so the sum is the merged count; _pack
            # re-counts every finished chunk and splits it if a tokenizer disagrees.
            if out and out[-1][3] + p[3] <= limit:
                a, b, clean, n = out[-1]
                sep = "\n" if "\n" in doc.text[b : p[0]] else " "
                out[-1] = (a, p[1], clean + sep + p[2], n + p[3])
                continue
            out.append(p)
        return out

    # --- packing ---

    def _pack(self, doc: Document, pieces: list[tuple[int, int, str, int, tuple[str, ...]]]) -> list[Chunk]:
        chunks: list[Chunk] = []
        group: list[tuple[int, int, str, int, tuple[str, ...]]] = []

        def emit() -> None:
            if not group:
                return
            path = group[0][4]
            header, header_tokens = self._path_text(path)
            start, end = group[0][0], group[-1][1]
            body = "\n\n".join(p[2] for p in group)
            index = f"{header}\n{body}" if header else body
            # WordPiece counts add up across whitespace; a tokenizer that merges across the joins
            # can only differ by about one token per join, so only near-full chunks are re-counted.
            n = header_tokens + sum(p[3] for p in group)
            if n + len(group) >= self.budget:
                n = self.count([index])[0]
            if n > self.budget and len(group) > 1:  # a tokenizer that is not additive: split the group
                half = group[len(group) // 2 :]
                del group[len(group) // 2 :]
                emit()
                group[:] = half
                emit()
                return
            chunks.append(
                Chunk(
                    seq=len(chunks),
                    start=start,
                    end=end,
                    heading_path=list(path),
                    text=doc.text[start:end],
                    index_text=index,
                    n_tokens=n + (self.max_tokens - self.budget),
                )
            )
            group.clear()

        used = 0
        for p in pieces:
            path = p[4]
            limit = self.budget - self._path_text(path)[1]
            if group and (group[0][4] != path or used + p[3] > limit):
                same_section = group[0][4] == path
                tail = self._overlap_tail(group) if same_section and self.overlap else []
                emit()
                group.extend(tail)
                used = sum(t[3] for t in tail)
                if used + p[3] > limit:
                    group.clear()
                    used = 0
            group.append(p)
            used += p[3]
        emit()
        return chunks

    def _overlap_tail(self, group: list) -> list:
        tail: list = []
        total = 0
        for p in reversed(group[1:]):
            if total + p[3] > self.overlap:
                break
            tail.insert(0, p)
            total += p[3]
        return tail
