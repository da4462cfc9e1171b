"""HTML files: visible text as a sequence of blocks (headings, paragraphs, whole lists, code, tables).

The document's text is the extracted text (not the markup), so offsets and highlights are in what a
reader sees. Navigation, scripts and styles are dropped; ``<main>`` or ``<article>`` is preferred
when the page has one.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag

from study_tracker.knowledge.documents import Block, Document
from study_tracker.knowledge.ingest.loaders.text import title_from_path

_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "template")
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_PARAGRAPHS = {"p", "dd", "dt", "figcaption", "caption", "address", "summary"}
_SPACE = re.compile(r"\s+")


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []

    def add(self, kind: str, text: str, *, level: int = 0, parts: list[str] | None = None) -> None:
        text = text.strip("\n") if kind == "code" else text.strip()
        if not text:
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        spans = None
        if parts:
            spans, cursor = [], start
            for p in parts:
                i = text.find(p, cursor - start)
                if i >= 0:
                    spans.append((start + i, start + i + len(p)))
                    cursor = start + i + len(p)
        self.parts.append(text)
        self.length += len(text)
        title = text if kind == "heading" else ""
        self.blocks.append(Block(kind, start, self.length, level=level, title=title, parts=spans))

    def text(self) -> str:
        return "".join(self.parts)


def _inline(tag: Tag) -> str:
    return _SPACE.sub(" ", tag.get_text(" ")).strip()


def _list_items(tag: Tag, depth: int = 0) -> list[str]:
    items = []
    for li in tag.find_all("li", recursive=False):
        nested = [c for c in li.find_all(["ul", "ol"], recursive=False)]
        for n in nested:
            n.extract()
        line = "  " * depth + "- " + _inline(li)
        items.append(line)
        for n in nested:
            items.extend(_list_items(n, depth + 1))
    return items


def _table(tag: Tag) -> str:
    rows = []
    for tr in tag.find_all("tr"):
        cells = [_inline(c) for c in tr.find_all(["th", "td"])]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _walk(node: Tag, out: _Builder) -> None:
    pending: list[str] = []  # loose inline text directly inside a container

    def flush() -> None:
        if pending:
            out.add("paragraph", _SPACE.sub(" ", " ".join(pending)))
            pending.clear()

    for child in node.children:
        if isinstance(child, NavigableString):
            if child.strip() and type(child) is NavigableString:
                pending.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in _HEADINGS:
            flush()
            out.add("heading", _inline(child), level=_HEADINGS[name])
        elif name in _PARAGRAPHS:
            flush()
            out.add("paragraph", _inline(child))
        elif name in ("ul", "ol", "dl"):
            flush()
            items = _list_items(child) if name != "dl" else [_inline(c) for c in child.find_all(["dt", "dd"])]
            out.add("list", "\n".join(items), parts=items)
        elif name == "pre":
            flush()
            out.add("code", child.get_text())
        elif name == "table":
            flush()
            out.add("table", _table(child))
        elif name == "blockquote":
            flush()
            out.add("quote", _inline(child))
        elif name in ("br",):
            continue
        elif name in (
            "a",
            "span",
            "em",
            "strong",
            "b",
            "i",
            "code",
            "small",
            "sup",
            "sub",
            "abbr",
            "mark",
            "u",
        ):
            pending.append(child.get_text(" "))
        else:  # div, section, article, main, li outside lists...: recurse
            flush()
            _walk(child, out)
    flush()


def load_html(path: Path, markup: str) -> Document:
    """An HTML document: extracted visible text with structure blocks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title")
    title = _inline(title_tag) if title_tag else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.find("body") or soup
    out = _Builder()
    _walk(root, out)
    if not title:
        h1 = next((b for b in out.blocks if b.kind == "heading" and b.level == 1), None)
        title = h1.title if h1 else title_from_path(path)
    return Document(
        doc_id=str(path), text=out.text(), kind="html", source=str(path), title=title, blocks=out.blocks
    )
