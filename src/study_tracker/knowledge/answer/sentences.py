"""Sentence spans of a Markdown passage, for extractive answers and highlighting.

No sentence splitter is installed, and the usual ones do not fit: NLTK's punkt needs a data
download (not possible offline), and pysbd (unmaintained since 2021) splits prose but knows nothing
of Markdown. Passages here are Markdown, so structure decides first (code fences, tables and headings
are never sentences; every list item starts a new one), then a regex finds sentence ends inside each
block while respecting abbreviations (e.g., i.e., vs.), decimals (0.5) and inline code (`a. b`).
"""

from __future__ import annotations

import re

# Lower-cased words that end with a full stop without ending a sentence.
ABBREVIATIONS = frozenset(
    """
    e.g i.e etc vs cf al approx fig eq no nos dr mr mrs ms prof sr jr st resp incl esp ca
    """.split()  # noqa: SIM905 (one word list reads better than a column)
)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_TABLE = re.compile(r"^\s*\|")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
# A sentence end: . ! or ? (and closing quotes, brackets or emphasis), then space, then something
# that can start a sentence.
_END = re.compile(r"[.!?][\"')\]*_]*(?=\s+[\"'(`*_\[]*[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")
# A short run wholly in bold ("**Training a two-tower model.**") that opens a paragraph is its
# label: it names what follows rather than saying anything, so it is not a sentence to quote.
_LABEL = re.compile(r"^(\*\*|__)[^*_]{1,80}\1$")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Character ranges of prose blocks: paragraphs and list items, outside code, tables, headings."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    in_fence = False
    pos = 0
    for line in text.splitlines(keepends=True):
        line_start, pos = pos, pos + len(line)
        body = line.rstrip("\r\n")
        if _FENCE.match(body):
            in_fence = not in_fence
            skip = True
        else:
            skip = in_fence or bool(
                not body.strip() or _HEADING.match(body) or _TABLE.match(body) or _RULE.match(body)
            )
        if skip or _LIST_ITEM.match(body):
            if start is not None:
                blocks.append((start, end))
                start = None
            if skip:
                continue
            marker = _LIST_ITEM.match(body)
            assert marker is not None
            start, end = line_start + marker.end(), line_start + len(body)
            continue
        if start is None:
            start = line_start + (len(body) - len(body.lstrip()))
        end = line_start + len(body)
    if start is not None:
        blocks.append((start, end))
    return [(s, e) for s, e in blocks if e > s]


def _is_false_end(block: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` belongs to an abbreviation, an initial or inline code."""
    if block.count("`", 0, dot) % 2 == 1:
        return True
    if block[dot] != ".":
        return False
    m = _WORD_BEFORE.search(block, 0, dot)
    if m is None:
        return False
    word = m.group(1).lower().strip(".")
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha() and m.group(1).isupper())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets in ``text`` of its sentences, in order (whitespace trimmed)."""
    spans: list[tuple[int, int]] = []
    for b_start, b_end in _blocks(text):
        block = text[b_start:b_end]
        cut = 0
        for m in _END.finditer(block):
            if _is_false_end(block, m.start()):
                continue
            if not (cut == 0 and _LABEL.match(block[: m.end()].strip())):
                spans.append((b_start + cut, b_start + m.end()))
            cut = m.end()
        spans.append((b_start + cut, b_end))
    out = []
    for s, e in spans:
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if e > s:
            out.append((s, e))
    return out


_COMPLETE_END = re.compile(r"[.!?][\"')\]*_]*$")
_ALL_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)[^*_]+\1[.:]?$")


def is_complete(sentence: str) -> bool:
    """Whether ``sentence`` reads as a whole sentence rather than a list fragment or a heading.

    A complete one ends like a sentence (``.``, ``!`` or ``?``, perhaps inside closing quotes or
    emphasis) and is not wholly bold or italic; "Probability: Bayes' rule, expectation" (a list
    item) and "**Linear algebra refresh**" (a label) are not.
    """
    text = " ".join(sentence.split())
    return bool(_COMPLETE_END.search(text)) and not _ALL_EMPHASIS.match(text)


# Questions whose answer is a number, a time or an address ("which port...", "how many...").
_ASKS_NUMBER = re.compile(
    r"\b(how (many|much|long|often|old|far|big)|what (time|year|date|port|address|url)|which (port|year|day)|when)\b",
    re.I,
)
_HAS_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"daily|weekly|monthly|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|evening)\b",
    re.I,
)


def asks_for_number(question: str) -> bool:
    """Whether ``question`` asks for a number, a time or an address (how many, when, which port...)."""
    return bool(_ASKS_NUMBER.search(question))


def has_number(sentence: str) -> bool:
    """Whether ``sentence`` states a number, a day or a time of day (digits or words)."""
    return bool(_HAS_NUMBER.search(sentence))


def readable(sentence: str) -> str:
    """A sentence on one line: Markdown line breaks and runs of spaces become single spaces."""
    return " ".join(sentence.split())
