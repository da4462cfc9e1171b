"""Jinja templates, Markdown rendering (sanitized: notes are user input) and page responses."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import nh3
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

from study_tracker.content.curriculum import GROUPS, guide_anchor
from study_tracker.web import forms, navigation
from study_tracker.web.deps import GROUP_COOKIE, current_group
from study_tracker.web.icons import icon

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@functools.cache
def _markdown() -> MarkdownIt:
    from mdit_py_plugins.anchors import anchors_plugin

    md = MarkdownIt("commonmark", {"linkify": False}).enable("table").enable("strikethrough")
    # Guide headings get the same ids as curriculum links (`#day-3-attention-and-transformers`).
    md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slug)
    return md


def _slug(text: str) -> str:
    return guide_anchor(0, text).removeprefix("day-0-")


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with anything unsafe (scripts, event handlers, javascript: links) removed."""
    html = _markdown().render(text or "")
    # A table whose corner cell is blank: a header cell with no text names nothing (axe flags it).
    html = html.replace("<th></th>", "<td></td>")
    clean = nh3.clean(
        html, attributes={"*": {"id", "class"}, "a": {"href", "title"}}, link_rel="noopener noreferrer"
    )
    return Markup(clean)  # noqa: S704  (sanitized above)


# Quoted answer text: raw HTML in it is shown as text, never passed through.
_INLINE = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def render_inline_markdown(text: str) -> Markup:
    """One line of Markdown (emphasis, code, links) to sanitized HTML, without a paragraph around it."""
    html = _INLINE.renderInline(text or "")
    clean = nh3.clean(
        html, attributes={"*": {"class"}, "a": {"href", "title"}}, link_rel="noopener noreferrer"
    )
    return Markup(clean)  # noqa: S704  (sanitized above)


# Passages from the user's files: block Markdown, raw HTML shown as text (never passed through).
_PASSAGE = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
_HEADING_OPEN = re.compile(r"<h[1-6]>")
_HEADING_CLOSE = re.compile(r"</h[1-6]>")


def render_passage(text: str) -> Markup:
    """A passage of Markdown as sanitized HTML (headings become bold lines: a passage is a quote)."""
    html = _PASSAGE.render(text or "")
    html = _HEADING_OPEN.sub("<p><strong>", html)
    html = _HEADING_CLOSE.sub("</strong></p>", html)
    clean = nh3.clean(
        html, attributes={"*": {"class"}, "a": {"href", "title"}}, link_rel="noopener noreferrer"
    )
    return Markup(clean)  # noqa: S704  (sanitized above)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


TEMPLATES.env.filters["markdown"] = render_markdown
TEMPLATES.env.globals["GROUPS"] = GROUPS
TEMPLATES.env.globals["RATING_LABELS"] = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
TEMPLATES.env.globals["DIFFICULTY_LABELS"] = {1: "Easy", 2: "Fair", 3: "Moderate", 4: "Hard", 5: "Very hard"}
TEMPLATES.env.globals["guide_anchor"] = guide_anchor
TEMPLATES.env.globals["icon"] = icon
TEMPLATES.env.filters["field_label"] = forms.field_label
TEMPLATES.env.filters["field_id"] = forms.field_id
TEMPLATES.env.globals["errors_for"] = forms.errors_for
TEMPLATES.env.globals["NAV_MAIN"] = navigation.MAIN
TEMPLATES.env.globals["NAV_MORE"] = navigation.MORE


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """The template ``name`` with ``context`` (plus the group the nav bar shows)."""
    context.setdefault("group", current_group(request))
    path = request.url.path
    context.setdefault("nav_current", navigation.current_link(path))
    context.setdefault("group_switch", path if path in navigation.GROUP_PAGES else None)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    """The answer to a form post that worked: the browser loads ``url`` with a GET."""
    return RedirectResponse(url, status_code=303)


def remember_group(response: Response, request: Request) -> Response:
    """Keep the group picked with ``?group=`` in a cookie, so the other pages show it too."""
    chosen = request.query_params.get("group")
    if chosen in GROUPS:
        response.set_cookie(GROUP_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response
