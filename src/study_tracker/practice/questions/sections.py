"""A document's sections and sentences, with character offsets into its text.

The generators read a loaded ``Document`` (its original text and structure blocks) as a tree of
sections: a heading, the blocks under it up to the next heading, and its child sections. Every
span here indexes ``Document.text``, the string the knowledge catalog stores, so a question's
citation can be checked against (and shown from) the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from study_tracker.knowledge.documents import Block, Document

# "Day 3:", "Phase 2:", "Week 4 -", "Step 1." and similar prefixes carry order, not meaning.
_ORDINAL = re.compile(
    r"^\s*(?:(?:day|week|phase|part|step|stage|module|level|month|chapter|unit|section)\s*\d+[a-z]?"
    r"|\d+(?:\.\d+)*)\s*[:.)\-–—]*\s*",
    re.I,
)
# "(Weeks 1-3)", "(2 months)", "- 4 weeks" at the end of a heading.
_TIMING = re.compile(
    r"\s*[(\[\-–—]?\s*(?:~\s*)?\d+(?:\s*[-–]\s*\d+)?\s*(?:days?|weeks?|months?|hours?|h)\b\)?\]?\s*$", re.I
)
_TIMING_INNER = re.compile(r"\s*\((?:weeks?|days?|months?)\s*\d+(?:\s*[-–]\s*\d+)?\)\s*$", re.I)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
_CHECKBOX = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")
# Sentence ends: ., ! or ? followed by space and a capital, a digit or a quote (not "e.g. the").
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)[.!?](?=\s+[\"'(A-Z0-9])")


def plain(markdown: str) -> str:
    """Inline Markdown as plain words: links keep their text, emphasis and code marks go."""
    text = _LINK.sub(r"\1", markdown)
    for _ in range(2):  # nested emphasis (**`x`**)
        text = _EMPHASIS.sub(r"\2", text)
    text = _EMOJI.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def clean_title(title: str) -> str:
    """A heading as a topic name: without its ordinal prefix, timing suffix and Markdown."""
    text = plain(title).strip(" *_")
    text = _TIMING_INNER.sub("", text)
    text = _TIMING.sub("", text)
    stripped = _ORDINAL.sub("", text, count=1)
    return (stripped or text).strip(" :-–—*_")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str  # plain text of ``doc.text[start:end]``


@dataclass
class Section:
    """A heading and what follows it: ``blocks`` up to the next heading, then ``children``."""

    title: str
    level: int
    start: int  # the heading's start
    end: int  # where the section (children included) ends
    path: list[str]  # heading titles from the top, this one last
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    parent: Section | None = None

    @property
    def name(self) -> str:
        return clean_title(self.title)


def sections(doc: Document) -> Section:
    """The section tree of ``doc`` (a root of level 0 holds what precedes the first heading)."""
    root = Section(title=doc.title, level=0, start=0, end=len(doc.text), path=[])
    stack = [root]
    for block in doc.blocks or []:
        if block.kind == "heading":
            while stack[-1].level >= block.level:
                stack.pop().end = block.start
            parent = stack[-1]
            sec = Section(
                title=block.title,
                level=block.level,
                start=block.start,
                end=len(doc.text),
                path=[*parent.path, block.title],
                parent=parent,
            )
            parent.children.append(sec)
            stack.append(sec)
        elif not stack[-1].children:  # blocks after a child heading belong to that child
            stack[-1].blocks.append(block)
    return root


def walk(section: Section) -> list[Section]:
    """Every section below ``section`` in document order."""
    out = []
    for child in section.children:
        out.append(child)
        out.extend(walk(child))
    return out


def sentences(text: str, start: int, end: int) -> list[Sentence]:
    """The sentences of ``text[start:end]`` (a paragraph), each with its offsets into ``text``."""
    out = []
    pos = start
    chunk = text[start:end]
    cuts = [m.end() for m in _SENTENCE_END.finditer(chunk)] + [len(chunk)]
    for cut in cuts:
        s, e = pos, start + cut
        raw = text[s:e]
        lead = len(raw) - len(raw.lstrip())
        s += lead
        e = s + len(text[s:e].rstrip())
        if e > s:
            out.append(Sentence(s, e, plain(text[s:e])))
        pos = start + cut
    return out


def list_items(text: str, block: Block, *, tasks: bool = True) -> list[Sentence]:
    """The direct items of a list block, as plain text with their offsets (bullets left out);
    without ``tasks``, checkbox items (things to do, not to know) are left out."""
    out = []
    for s, e in block.parts or []:
        if not tasks and _CHECKBOX.match(text[s:e]):
            continue
        first = text[s:e].split("\n", 1)[0]
        bullet = _BULLET.match(first)
        lead = bullet.end() if bullet else 0
        item_end = s + len(first.rstrip())
        out.append(Sentence(s + lead, item_end, plain(text[s + lead : item_end])))
    return out
