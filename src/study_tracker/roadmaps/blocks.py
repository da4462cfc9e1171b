"""Markdown to a tree of sections holding blocks (paragraphs, lists, tables), from markdown-it tokens.

Code blocks and HTML are dropped here, so a '#' or '- [ ]' inside a fence can never become
structure. A paragraph that is only bold text ("**Phase 1: Basics**") is a pseudo-heading, one
level below any real heading; a bold line naming a milestone part ("Steps", "Deliverables")
nests under the section that is open, so bold labels work under bold project titles too. Bold
markers with a space inside ("**Phase 4: RAG **"), which Markdown leaves as literal asterisks,
are read as bold all the same.

A block quote is dropped too, unless it opens with a bold line or a heading: learners often write
a phase's project as a quote ("> **Project 1: ...**" then "> * **Objective:** ..."). Such a quote
is read as a section nested in the one that is open (marked ``quoted``) and closes with the
quote; the parser keeps a quoted section only when it is a milestone or resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

PSEUDO_LEVEL = 7  # below h6: a bold line never closes a real heading's section

LABELS = {
    "objective": "Objective",
    "objectives": "Objective",
    "goal": "Objective",
    "goals": "Objective",
    "aim": "Objective",
    "purpose": "Objective",
    "steps": "Steps",
    "core steps": "Steps",
    "key steps": "Steps",
    "tasks": "Steps",
    "milestones": "Steps",
    "what to build": "Steps",
    "requirements": "Steps",
    "deliverables": "Deliverables",
    "deliverable": "Deliverables",
    "outputs": "Deliverables",
    "outcome": "Deliverables",
    "outcomes": "Deliverables",
    "acceptance criteria": "Deliverables",
    "success criteria": "Deliverables",
    "definition of done": "Deliverables",
    "stretch goals": "Stretch goals",
    "stretch": "Stretch goals",
    "extensions": "Stretch goals",
}


def label_of(text: str) -> str | None:
    """The milestone part a heading or a bold lead names ("Core Steps:" -> "Steps"), if any."""
    key = re.sub(r"[^a-z ]", "", text.lower()).strip()
    key = re.sub(r"\s+", " ", key)
    return LABELS.get(key)


@dataclass
class Inline:
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)
    bold_only: bool = False
    lead: str = ""  # the bold (or "Label:") prefix, when the text starts with one


@dataclass
class ListItem:
    inline: Inline
    children: list[ListItem] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # further paragraphs of the item


@dataclass
class Block:
    kind: str  # para | list | table
    inline: Inline | None = None
    items: list[ListItem] = field(default_factory=list)
    rows: list[list[Inline]] = field(default_factory=list)  # tables: body rows
    header: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: Inline
    level: float
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    pseudo: bool = False
    quoted: bool = False  # opened inside a block quote

    @property
    def label(self) -> str | None:
        return label_of(self.title.text)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def inline_of(token: Token) -> Inline:
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    href: str | None = None
    link_text: list[str] = []
    meaningful = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
    bold_only = (
        len(meaningful) >= 3 and meaningful[0].type == "strong_open" and meaningful[-1].type == "strong_close"
    )
    if bold_only:
        depth = 0
        for c in meaningful[:-1]:
            depth += c.type == "strong_open"
            depth -= c.type == "strong_close"
            if depth == 0:  # "**a** and **b**" is not one bold run
                bold_only = False
                break
    lead = ""
    lead_open = False
    start = 0
    for c in token.children or []:
        if c.type in ("text", "code_inline"):
            parts.append(c.content)
            if href is not None:
                link_text.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif c.type == "link_open":
            href = str(c.attrs.get("href", ""))
            link_text = []
        elif c.type == "link_close":
            links.append(("".join(link_text).strip(), href or ""))
            href = None
        elif c.type == "image":
            parts.append(c.content)
        elif c.type == "strong_open" and not "".join(parts).strip():
            lead_open = True
            start = len(parts)
        elif c.type == "strong_close" and lead_open:
            lead = "".join(parts[start:]).strip()
            lead_open = False
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    first = next((c for c in token.children or [] if c.type != "text" or c.content.strip()), None)
    if not lead and not bold_only and first is not None and first.type == "text":
        text, lead, bold_only = _loose_bold(text)
    if not lead:
        m = re.match(r"([A-Za-z][A-Za-z ]{1,30}):", text)
        if m and label_of(m[1]):
            lead = m[1]
    return Inline(text=text, links=links, bold_only=bold_only, lead=lead)


# "**" + text + "**", the closing pair ending a word ("**kwargs and **extra" is not bold).
LOOSE_BOLD = re.compile(r"\*\*(\s*)([^*]+?)(\s*)\*\*(?=[\s:.,;!?)]|$)(?:\s+(.*))?$", re.S)


def _loose_bold(text: str) -> tuple[str, str, bool]:
    """(text, lead, bold_only) of a line opening with bold markers that Markdown did not take as
    bold because of a space inside them ("**Phase 4: RAG **", "** Objective:** build")."""
    m = LOOSE_BOLD.match(text)
    if not m or not (m[1] or m[3]):  # without a space inside, Markdown had its reasons
        return text, "", False
    inner, rest = m[2].strip(), (m[4] or "").strip()
    return (f"{inner} {rest}" if rest else inner), inner, not rest


def _skip(tokens: list[Token], i: int) -> int:
    """Index after the block that opens at ``i`` (its matching close token)."""
    depth = 0
    while i < len(tokens):
        depth += tokens[i].nesting
        if depth == 0:
            return i + 1
        i += 1
    return i


def _list(tokens: list[Token], i: int) -> tuple[list[ListItem], int]:
    """Items of the list opening at ``i``; returns (items, index after the list)."""
    end = _skip(tokens, i)
    items: list[ListItem] = []
    j = i + 1
    while j < end - 1:
        if tokens[j].type != "list_item_open":
            j = _skip(tokens, j)
            continue
        item_end = _skip(tokens, j)
        item = ListItem(inline=Inline(""))
        first = True
        k = j + 1
        while k < item_end - 1:
            t = tokens[k]
            if t.type == "paragraph_open":
                inl = inline_of(tokens[k + 1])
                if first:
                    item.inline, first = inl, False
                else:
                    item.extra.append(inl.text)
                k = _skip(tokens, k)
            elif t.type in ("bullet_list_open", "ordered_list_open"):
                sub, k = _list(tokens, k)
                item.children.extend(sub)
            elif t.type == "heading_open":
                inl = inline_of(tokens[k + 1])
                if first:
                    item.inline, first = inl, False
                k = _skip(tokens, k)
            else:
                k = _skip(tokens, k) if t.nesting == 1 else k + 1
        items.append(item)
        j = item_end
    return items, end


def _table(tokens: list[Token], i: int) -> tuple[Block, int]:
    end = _skip(tokens, i)
    block = Block("table")
    in_head = False
    row: list[Inline] = []
    for t in tokens[i:end]:
        if t.type == "thead_open":
            in_head = True
        elif t.type == "thead_close":
            in_head = False
        elif t.type == "tr_open":
            row = []
        elif t.type == "inline":
            row.append(inline_of(t))
        elif t.type == "tr_close":
            if in_head:
                block.header = [c.text for c in row]
            else:
                block.rows.append(row)
    return block, end


def _structural_quote(tokens: list[Token], i: int) -> bool:
    """A block quote opening at ``i`` that starts with a heading or a bold line (a project)."""
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if nxt is None:
        return False
    if nxt.type == "heading_open":
        return True
    return nxt.type == "paragraph_open" and inline_of(tokens[i + 2]).bold_only


def parse_sections(text: str) -> Section:
    """The document as a root section (level 0) with nested sections in heading order."""
    tokens = _markdown().parse(text)
    root = Section(title=Inline(""), level=0)
    stack = [root]
    quotes: list[list[Section]] = []  # the stack as it was when each open quote began

    def open_section(title: Inline, level: float, pseudo: bool) -> None:
        if quotes:  # inside a quote everything nests under the section the quote sits in
            level, pseudo = max(level, PSEUDO_LEVEL), True
        if pseudo and label_of(title.text):
            top = stack[-1]
            level = top.level if top.label and top is not root else top.level + 0.5
        floor = len(quotes[-1]) if quotes else 1
        while len(stack) > floor and stack[-1].level >= level:
            stack.pop()
        section = Section(title=title, level=level, pseudo=pseudo, quoted=bool(quotes))
        stack[-1].children.append(section)
        stack.append(section)

    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == "heading_open":
            open_section(inline_of(tokens[i + 1]), int(t.tag[1:]), False)
            i = _skip(tokens, i)
        elif t.type == "paragraph_open":
            inl = inline_of(tokens[i + 1])
            if inl.bold_only and len(inl.text) <= 160:
                open_section(inl, PSEUDO_LEVEL, True)
            elif inl.text:
                stack[-1].blocks.append(Block("para", inline=inl))
            i = _skip(tokens, i)
        elif t.type in ("bullet_list_open", "ordered_list_open"):
            items, i = _list(tokens, i)
            stack[-1].blocks.append(Block("list", items=items))
        elif t.type == "table_open":
            block, i = _table(tokens, i)
            stack[-1].blocks.append(block)
        elif t.type == "blockquote_open" and _structural_quote(tokens, i):
            quotes.append(list(stack))
            i += 1
        elif t.type == "blockquote_close" and quotes:
            stack[:] = quotes.pop()
            i += 1
        else:  # fences, code blocks, html, other quotes, rules: never structure
            i = _skip(tokens, i) if t.nesting == 1 else i + 1
    return root
