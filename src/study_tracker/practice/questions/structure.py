"""Questions from a document's own structure, without an LLM.

Four kinds, each citing the span of text its key points are cut from:

* **explain**: a section with prose becomes "Explain <heading>", its first sentences the key points;
* **definition**: a sentence "X is a ..." becomes "What is X?", the sentence the key point;
* **compare**: a heading "A versus B", or two sibling sections naming the same kind of thing
  ("Linear regression", "Logistic regression"), becomes "Compare A and B";
* **list**: a list of 3-8 items becomes "Name the N ... under <heading>", the items the key points;
  an item "Linear algebra: vectors, matrices, eigenvalues" asks for the parts it names.

Key points are the document's own sentences (Markdown marks removed), so they are supported by
the cited span by construction; ``support.py`` checks it anyway, as it does for the LLM.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from study_tracker.content.curriculum import QuestionType
from study_tracker.knowledge.documents import Block, Document
from study_tracker.practice.grading.text import content_stems
from study_tracker.practice.questions.candidate import MAX_KEY_POINT, Candidate
from study_tracker.practice.questions.sections import (
    Section,
    Sentence,
    clean_title,
    list_items,
    plain,
    sections,
    sentences,
    walk,
)

MIN_SENTENCE = 40  # shorter ones rarely say anything on their own ("See below.")
EXPLAIN_POINTS = 3
LIST_MIN, LIST_MAX = 3, 8

_WH = re.compile(r"^(what|why|how|when|where|which|who)\b", re.I)
_AUXILIARY = {"should", "is", "are", "can", "do", "does"}
_VERSUS = re.compile(r"\s+(?:versus|vs\.?)\s+", re.I)
_DEFINITION = re.compile(
    r"^(?P<art>an?\s+|the\s+)?(?P<term>[A-Za-z][\w\-/+]*(?:\s+[\w\-/+()]+){0,4}?)\s+"
    r"(?P<verb>is|are|refers to|means)\s+(?:a|an|the|one|when|how|what|any|two|to|where)\b",
    re.I,
)
# A definition's subject must name something: these start sentences about something else.
_NOT_TERMS = {
    "this", "that", "these", "those", "it", "there", "here", "which", "what", "each", "every", "one",
    "most", "some", "all", "your", "our", "their", "its", "another", "other", "such", "the", "a",
    "an", "he", "she", "they", "we", "you", "i", "first", "second", "next", "then", "result", "answer",
    "goal", "point", "idea", "trick", "rule", "question", "problem", "difference", "key", "catch",
    "good", "best", "common", "main", "simple", "useful", "important", "typical", "better", "easy",
    "hard", "only", "same", "usual", "standard", "classic", "way", "thing", "step", "option",
}  # fmt: skip
# Words that make a subject a clause, not a term ("a good habit when deriving is ...").
_CLAUSE_WORDS = {"when", "if", "because", "while", "which", "that", "whose", "so"}
# Section names that say nothing on their own; the question names the parent instead.
_GENERIC = {"overview", "summary", "introduction", "basics", "notes", "key ideas", "core ideas", "recap"}
_SKIP_SECTIONS = re.compile(
    r"^(references?|further reading|links|reading list|projects?|deliverables?|table of contents|"
    r"contents|prerequisites|milestones?|capstone|(?:\w+ )?project|(?:online )?courses|books|tools)\b"
    r"|\bresources?\b",
    re.I,
)


def _good(s: Sentence) -> bool:
    return (
        MIN_SENTENCE <= len(s.text) <= MAX_KEY_POINT
        and not s.text.endswith((":", "?"))
        and not s.text.startswith(("|", "#", ">"))
        and len(set(content_stems(s.text))) >= 3  # a formula alone is not a key point
    )


def _prose(doc: Document, section: Section) -> list[Sentence]:
    out: list[Sentence] = []
    for block in section.blocks:
        if block.kind == "paragraph":
            out.extend(s for s in sentences(doc.text, block.start, block.end) if _good(s))
    return out


def _candidate(doc: Document, section: Section, prompt: str, points: list[Sentence], kind: str) -> Candidate:
    return Candidate(
        prompt=prompt,
        key_points=[p.text for p in points],
        source=doc.source,
        start=min(p.start for p in points),
        end=max(p.end for p in points),
        kind=kind,
        type=QuestionType.tradeoff if kind == "compare" else QuestionType.concept,
        heading_path=[plain(h) for h in section.path],
        doc_id=doc.doc_id,
    )


def _topic(section: Section) -> str:
    name = section.name
    if name.lower() in _GENERIC and section.parent is not None and section.parent.level > 0:
        return section.parent.name
    return name


def explain_prompt(section: Section, text: str = "") -> str | None:
    """The "explain" question a heading asks, or None for headings that make no question.

    ``text`` is the document's text: a capitalised first word is lowered only when the document
    also writes it in lower case (so "Caching" reads "caching" but "Redis" stays "Redis").
    """
    name = _topic(section)
    if section.level <= 1 or not name or name.lower().startswith(("worked example", "example", "exercise")):
        return None  # a document's title section introduces the document, not a topic
    if re.search(r"\b(it|this|that|them|these|those)\b", name, re.I) and section.parent is not None:
        name = f"{name} ({_lower_first(section.parent.name, text)})"  # "where to put it" needs its subject
    if name.endswith("?"):
        return name
    first = name.split()[0].lower()
    if first in _AUXILIARY:
        return name[0].upper() + name[1:] + "?"
    if _WH.match(name):
        return f"Explain {_lower_first(name, text)}."
    if re.search(r"\b(is|are)\b", name, re.I) or ":" in name or len(name.split()) > 6 or "," in name:
        return f"What are the key ideas of “{name}”?"
    if len(name.split()) == 1 and section.parent is not None and section.parent.level >= 2:
        return f"Explain {_lower_first(name, text)} in {_lower_first(section.parent.name, text)}."
    return f"Explain {_lower_first(name, text)}."


@functools.lru_cache(maxsize=4)
def prose_of(text: str) -> str:
    """``text`` without its heading lines: headings capitalise every word, prose does not."""
    return re.sub(r"(?m)^\s{0,3}#.*$", "", text)


def _lower_first(name: str, text: str = "") -> str:
    """``name`` as it reads inside a sentence: capitalised words lowered ("Load Balancing" ->
    "load balancing"), except names and acronyms (LSM, NumPy, Redis): a word the document also
    capitalises in mid-sentence keeps its capital."""
    out = []
    for i, word in enumerate(name.split(" ")):
        if word in ("A", "An", "The") and i == 0:
            out.append(word.lower())
            continue
        ordinary = len(word) > 1 and word[0].isupper() and word[1:].replace("-", "").islower()
        core = word.strip(":,;()“”\"'")
        if ordinary and not (text and re.search(rf"[a-z,;] {re.escape(core)}\b", prose_of(text))):
            word = word[0].lower() + word[1:]
        out.append(word)
    return " ".join(out)


def _explain(doc: Document, section: Section, prose: list[Sentence]) -> Iterator[Candidate]:
    if _VERSUS.search(section.name):
        a, b = _VERSUS.split(section.name, maxsplit=1)
        points = prose[:EXPLAIN_POINTS]
        if len(points) >= 2:
            yield _candidate(doc, section, f"Compare {_lower_first(a, doc.text)} and {b}.", points, "compare")
        return
    prompt = explain_prompt(section, doc.text)
    if prompt is not None and len(prose) >= 2:
        yield _candidate(doc, section, prompt, prose[:EXPLAIN_POINTS], "explain")


def definition_term(sentence: str, text: str = "") -> tuple[str, str] | None:
    """(term, verb) when ``sentence`` defines something ("A Bloom filter is a ..."), else None."""
    m = _DEFINITION.match(sentence)
    if m is None:
        return None
    term = m.group("term").strip()
    words = term.lower().split()
    if words[0] in _NOT_TERMS or words[-1] in _NOT_TERMS or not content_stems(term):
        return None
    if any(
        w in {"is", "are", "was", "were", "be", "can", "will", "should", "must"} | _CLAUSE_WORDS
        for w in words
    ):
        return None
    article = (m.group("art") or "").strip().lower()
    term = _lower_first(term, text) if not article else term
    return (f"{article} {term}".strip(), m.group("verb").lower())


def _definitions(doc: Document, section: Section, prose: list[Sentence]) -> Iterator[Candidate]:
    seen = 0
    for s in prose:
        found = definition_term(s.text, doc.text)
        if found is None:
            continue
        term, verb = found
        be = "are" if verb == "are" else "is"
        yield _candidate(doc, section, f"What {be} {term}?", [s], "definition")
        seen += 1
        if seen == 2:
            return


def _list(doc: Document, section: Section, block: Block, noun: str) -> Candidate | None:
    items = list_items(doc.text, block, tasks=False)
    least = 2 if noun == "topics" else LIST_MIN  # a roadmap's phase may name two topics
    if not least <= len(items) <= LIST_MAX or len(items) < len(block.parts or []) / 2:
        return None
    if sum("](" in doc.text[i.start : i.end] for i in items) * 2 >= len(items):
        return None  # a list of links is reading, not knowledge
    points = []
    for item in items:
        first = sentences(doc.text, item.start, item.end)[:1]
        if not first or not 3 <= len(first[0].text) <= MAX_KEY_POINT:
            return None
        points.append(first[0])
    name = _topic(section)
    parent = section.parent
    where = f" in {_lower_first(parent.name, doc.text)}" if parent is not None and parent.level >= 2 else ""
    prompt = f"Name the {len(points)} {noun} listed under “{name}”{where}."
    return _candidate(doc, section, prompt, points, "list")


_ENUMERATION = re.compile(r"^(?P<head>[^:]{2,60}):\s*(?P<rest>[^:]+)$")
_PARTS = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|;\s*)")


def _enumerations(doc: Document, section: Section, block: Block) -> Iterator[Candidate]:
    """A list item "Linear algebra: vectors, matrices, eigenvalues" asks what its head covers."""
    items = list_items(doc.text, block, tasks=False)
    if re.search(r"trap|pitfall|mistake", section.name, re.I) or any(len(i.text) > 100 for i in items):
        return  # a list of sentences: its colons introduce explanations, not parts
    for item in items:
        m = _ENUMERATION.match(item.text)
        # Topic lists only ("Python: typing, async"): not a sentence with a colon in prose.
        if m is None or len(item.text) > 100 or len(m.group("head").split()) > 4:
            continue
        if clean_title(m.group("head") + ":") != m.group("head").strip():
            continue  # "Week 1: Arrays and hashing" is a heading, not a topic and its parts
        if "](" in doc.text[item.start : item.end] or re.search(r"\d|\.\s|[()]", m.group("rest")):
            continue
        parts = [p.strip(" .") for p in _PARTS.split(m.group("rest")) if p.strip(" .")]
        if not 2 <= len(parts) <= LIST_MAX or any(len(p.split()) > 5 for p in parts):
            continue
        head = _lower_first(m.group("head").strip(), doc.text)
        name = _topic(section)
        c = Candidate(
            prompt=f"Name the {len(parts)} parts of {head} listed under “{name}”.",
            key_points=parts,
            source=doc.source,
            start=item.start,
            end=item.end,
            kind="list",
            heading_path=[plain(h) for h in section.path],
            doc_id=doc.doc_id,
        )
        yield c


_SUB_ITEM = re.compile(r"^(?P<indent>[ \t]{2,})(?:[-*+]|\d+[.)])\s+(?!\[[ xX]\])(?P<text>\S.*)$", re.M)


def _nested(doc: Document, section: Section, block: Block, noun: str) -> Iterator[Candidate]:
    """An item with its own sub-list ("Week 1: Arrays and hashing" over "Two pointers", ...)
    asks for the sub-items, citing the item."""
    for s, e in block.parts or []:
        found = list(_SUB_ITEM.finditer(doc.text, s, e))
        if not found:
            continue
        indent = min(len(m.group("indent")) for m in found)
        subs = [m for m in found if len(m.group("indent")) == indent]
        head = clean_title(doc.text[s:e].split("\n", 1)[0].lstrip(" -*+0123456789.)"))
        if not 2 <= len(subs) <= LIST_MAX or not head or len(head) > 80:
            continue
        points = [Sentence(m.start("text"), m.end("text"), plain(m.group("text"))) for m in subs]
        if any(not 3 <= len(p.text) <= MAX_KEY_POINT or "](" in p.text for p in points):
            continue
        yield _candidate(
            doc, section, f"Name the {len(points)} {noun} listed under “{head}”.", points, "list"
        )


def _compare_siblings(doc: Document, a: Section, b: Section) -> Candidate | None:
    """Adjacent sibling sections naming the same kind of thing ("Leader-based replication",
    "Leaderless replication": the same last word) make a comparison question."""
    wa, wb = a.name.split(), b.name.split()
    if not (1 < len(wa) <= 5 and 1 < len(wb) <= 5) or a.name.lower() == b.name.lower():
        return None
    if content_stems(wa[-1]) != content_stems(wb[-1]) or not content_stems(wa[-1]):
        return None
    pa, pb = _prose(doc, a)[:2], _prose(doc, b)[:2]
    if not pa or not pb:
        return None
    prompt = (
        f"Compare {_lower_first(a.name, doc.text)} with {_lower_first(b.name, doc.text)}: how do they differ?"
    )
    c = _candidate(doc, a, prompt, [*pa, *pb], "compare")
    c.heading_path = c.heading_path[:-1]
    return c


def generate_structural(doc: Document, *, noun: str = "points") -> list[Candidate]:
    """Every structural question ``doc`` affords, in document order.

    Args:
        doc: a loaded document with structure blocks (Markdown); plain text yields sections of one.
        noun: what a list's items are called in "Name the N ..." ("topics" for a roadmap).
    """
    out: list[Candidate] = []
    root = sections(doc)
    for section in [root, *walk(root)]:  # the root: what comes before the first heading
        if any(_SKIP_SECTIONS.search(clean_title(h)) for h in section.path):
            continue
        if section.name.lower() in _GENERIC and (section.parent is None or section.parent.level <= 1):
            continue  # a document's overview says what it is about, not what to know
        prose = _prose(doc, section)
        out.extend(_explain(doc, section, prose))
        out.extend(_definitions(doc, section, prose))
        listed = False
        for block in section.blocks:
            if block.kind == "list":
                c = _list(doc, section, block, noun) if not listed else None
                if c is not None:
                    out.append(c)
                    listed = True
                out.extend(_enumerations(doc, section, block))
                out.extend(_nested(doc, section, block, noun))
        for a, b in zip(section.children, section.children[1:], strict=False):
            c = _compare_siblings(doc, a, b)
            if c is not None:
                out.append(c)
    return out
