"""Markdown files: blocks from markdown-it-py's token stream and its line maps.

Only top-level tokens make blocks, so a ``#`` line inside a fenced code block or a list item is
never mistaken for a section heading.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from study_tracker.knowledge.documents import Block, Document
from study_tracker.knowledge.ingest.loaders.text import title_from_path

_BLOCK_KINDS = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "fence": "code",
    "code_block": "code",
    "blockquote_open": "quote",
    "table_open": "table",
    "html_block": "html",
}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FM_TITLE = re.compile(r"^title:\s*[\"']?(.+?)[\"']?\s*$", re.M)

# Block structure is all we need: skipping inline parsing halves the parse time.
_parser = MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "text_join"])


def markdown_blocks(text: str, offset_line: int = 0) -> list[Block]:
    """Structure blocks of Markdown ``text`` with character offsets into it."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(line: int) -> int:
        return line_starts[line] if line < len(line_starts) else len(text)

    tokens = _parser.parse(text)
    blocks: list[Block] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.map is None or tok.nesting == -1:
            continue
        first, last = tok.map
        if first < offset_line:
            continue
        start, end = pos(first), pos(last)
        end = start + len(text[start:end].rstrip())
        if end <= start:
            continue
        if tok.type == "heading_open":
            title = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            blocks.append(Block("heading", start, end, level=int(tok.tag[1:]), title=title))
        elif tok.type in _BLOCK_KINDS:
            kind = _BLOCK_KINDS[tok.type]
            parts = None
            if kind == "list":
                parts = _list_items(tokens, i, pos, text)
            blocks.append(Block(kind, start, end, parts=parts))
    return blocks


def _list_items(tokens, i: int, pos, text: str) -> list[tuple[int, int]]:
    """Character spans of the direct items of the list opened at ``tokens[i]``."""
    items = []
    for tok in tokens[i + 1 :]:
        if tok.level == 0:
            break
        if tok.type == "list_item_open" and tok.level == 1 and tok.map:
            s, e = pos(tok.map[0]), pos(tok.map[1])
            items.append((s, s + len(text[s:e].rstrip())))
    return items


def load_markdown(path: Path, text: str) -> Document:
    """A Markdown document; its title is the front matter title, the first ``#`` heading, or the file name."""
    skip_lines = 0
    title = ""
    fm = _FRONT_MATTER.match(text)
    if fm:
        skip_lines = fm.group(0).count("\n")
        m = _FM_TITLE.search(fm.group(0))
        title = m.group(1) if m else ""
    blocks = markdown_blocks(text, offset_line=skip_lines)
    if not title:
        h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
        title = h1.title if h1 else title_from_path(path)
    return Document(
        doc_id=str(path), text=text, kind="markdown", source=str(path), title=title, blocks=blocks
    )
