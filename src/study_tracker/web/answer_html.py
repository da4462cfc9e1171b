"""An answer as HTML: citation markers linked to the sources below, cited sentences in <mark>,
and a link to where each passage is best read (the Ask page and the streamed ``done`` event)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape

from study_tracker.knowledge.search.knowledge_base import SearchHit
from study_tracker.web.knowledge_views import passage_link
from study_tracker.web.rendering import TEMPLATES, render_inline_markdown

_MARKER = re.compile(r"\[(\d+)\]")


def answer_html(text: str, numbers: set[int]) -> Markup:
    """The answer's inline Markdown rendered (sanitized), with each known ``[n]`` a link to source n."""

    out, last = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in numbers:
            continue
        out.append(render_inline_markdown(text[last : m.start()]))
        out.append(Markup('<a class="cite" href="#source-{0}" aria-label="source {0}">[{0}]</a>').format(n))
        last = m.end()
    out.append(render_inline_markdown(text[last:]))
    return Markup("").join(out)


def marked(text: str, spans: Sequence[Sequence[int]]) -> Markup:
    """``text`` escaped with the cited spans in <mark> (overlaps and out-of-range spans ignored)."""
    out, last = [], 0
    for s, e in sorted((int(a), int(b)) for a, b in spans):
        s, e = max(s, last), min(e, len(text))
        if e <= s:
            continue
        out.append(escape(text[last:s]))
        out.append(Markup('<mark class="cited">') + escape(text[s:e]) + Markup("</mark>"))
        last = e
    out.append(escape(text[last:]))
    return Markup("").join(out)


def source_view(source: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of one source (a ``Source.to_dict()``)."""
    fields = {k: source[k] for k in SearchHit.__dataclass_fields__ if k in source}
    hit = SearchHit(**fields)
    return {
        "n": source["n"],
        "cited": source["cited"],
        "title": hit.title or hit.source.rsplit("/", 1)[-1],
        "path": " › ".join(hit.heading_path) or hit.title,
        "passage": marked(hit.text, source.get("spans", [])),
        "link": passage_link(hit),
        "where": f"{hit.source}:{hit.start}-{hit.end}",
        "hit": hit,
    }


def answer_view(answer: dict[str, Any]) -> dict[str, Any]:
    """An ``Answer.to_dict()`` ready for ``_answer.html``."""
    sources = [source_view(s) for s in answer["sources"]]
    numbers = {s["n"] for s in sources}
    return {
        **answer,
        "html": answer_html(answer["text"], numbers),
        "cited_sources": [s for s in sources if s["cited"]],
        "other_sources": [s for s in sources if not s["cited"]],
    }


def render_answer(request: Request, answer: dict[str, Any]) -> Markup:
    """``_answer.html`` for an ``Answer.to_dict()``."""
    template = TEMPLATES.get_template("_answer.html")
    return Markup(template.render({"request": request, "a": answer_view(answer)}))  # noqa: S704 (escaped)
