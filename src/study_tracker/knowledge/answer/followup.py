"""Follow-up questions: rewrite "and how is it evaluated?" into a question that stands alone.

The deterministic rewrite needs no model: a question that leans on the previous turn (it starts
with "and"/"what about", refers to it/this/they, or names almost nothing itself) gets the previous
question's key terms, which replace the pronoun when there is one and are appended otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bm25s.stopwords import STOPWORDS_EN


@dataclass(frozen=True)
class Turn:
    """A previous question and its answer; ``query`` is what it was retrieved with, if rewritten."""

    question: str
    answer: str = ""
    query: str = ""


# Words that carry no topic in a question (beyond the English stop words BM25 drops).
_QUESTION_WORDS = frozenset(
    """
    what which who whom whose when where why how does do did is are was were can could
    should would will may might explain describe define tell me about give example examples
    difference differ between work works mean means use used using also else versus vs
    compare compared more please show way ways one thing things from into with without over
    """.split()  # noqa: SIM905 (one word list reads better than a column)
)
_STOP = frozenset(STOPWORDS_EN) | _QUESTION_WORDS
_PRONOUNS = ("it", "its", "this", "that", "they", "them", "their", "these", "those")
_LEADS = re.compile(r"^\s*(and|also|but|so|then|what about|how about)\b", re.I)
_CONJUNCTION = re.compile(r"^\s*(and|also|but|so|then)\b[\s,]*", re.I)
_PRONOUN = re.compile(r"\b(" + "|".join(_PRONOUNS) + r")\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9][\w+#./-]*")


def content_terms(text: str) -> list[str]:
    """The topic words of ``text`` in order, without stop words, question words or repeats."""
    seen: list[str] = []
    for w in _WORD.findall(text):
        w = w.rstrip(".")
        if w.lower() not in _STOP and len(w) > 1 and w.lower() not in (s.lower() for s in seen):
            seen.append(w)
    return seen


def is_follow_up(question: str) -> bool:
    """Whether ``question`` probably needs the previous turn to make sense."""
    words = _WORD.findall(question)
    terms = content_terms(question)
    if _LEADS.match(question) and len(terms) <= 3:
        return True
    if _PRONOUN.search(question) and len(terms) <= 2:
        return True
    return len(words) <= 3 and len(terms) <= 1


def rewrite(question: str, history: Sequence[Turn]) -> tuple[str, bool]:
    """The question to retrieve with, and whether it was rewritten from the last turn.

    Key terms of the last turn's query (or question) replace the first pronoun of a follow-up,
    or are appended to it; a question that stands alone is returned unchanged.
    """
    if not history or not is_follow_up(question):
        return question, False
    last = history[-1]
    terms = content_terms(last.query or last.question)
    if not terms:
        return question, False
    own = {t.lower() for t in content_terms(question)}
    topic = " ".join(t for t in terms[:6] if t.lower() not in own)
    if not topic:
        return question, False
    body = _CONJUNCTION.sub("", question).strip() or question.strip()
    m = _PRONOUN.search(body)
    if m:
        possessive = m.group(1).lower() in ("its", "their")
        new = body[: m.start()] + topic + ("'s" if possessive else "") + body[m.end() :]
    else:
        stem = body.rstrip(" ?!.")
        new = f"{stem} ({topic})" + ("?" if body.rstrip().endswith("?") else "")
    new = new[0].upper() + new[1:]
    return new, True
