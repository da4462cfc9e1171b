"""Text cleaning: byte decoding, mojibake repair, Unicode normalisation and boilerplate removal.

The original text is kept for display (offsets point into it); :func:`index_text` gives the cleaned
form that is embedded and BM25-indexed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
import ftfy.badness

_CONTROL = set(range(0, 9)) | {11, 12} | set(range(14, 32))


def looks_binary(data: bytes) -> bool:
    """True when the first 8 KB hold a NUL byte or mostly control bytes (images, archives, executables)."""
    head = data[:8192]
    if not head:
        return False
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    control = sum(1 for b in head if b in _CONTROL)
    return control / len(head) > 0.1


def decode(data: bytes) -> tuple[str, int]:
    """Decode bytes as UTF-8 (a BOM selects UTF-8/16), replacing invalid bytes.

    Returns:
        The text and the number of invalid bytes replaced by U+FFFD (0 for clean input).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), 0
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        # Count only replacements we made, not U+FFFD characters that were in the file.
        return text, text.count("\ufffd") - data.count("\ufffd".encode())


def needs_repair(text: str) -> bool:
    """True when ``text`` shows mojibake (ftfy's badness heuristic); pure ASCII never does.

    Checked once per document so clean documents skip ftfy's per-passage work.
    """
    return not text.isascii() and ftfy.badness.is_bad(text)


def fix(text: str, repair: bool = True) -> str:
    """Repair mojibake and HTML-entity damage (ftfy, when ``repair``), then normalise to NFC."""
    if repair and not text.isascii():  # pure ASCII cannot be mojibake
        text = ftfy.fix_text(text)
    return unicodedata.normalize("NFC", text)


_MD_PATTERNS = [
    (re.compile(r"^\s{0,3}(#{1,6})\s+", re.M), ""),  # ATX heading markers
    (re.compile(r"^\s*(```|~~~).*$", re.M), ""),  # code fences
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)"), r"\1"),  # italic
    (re.compile(r"^\s*>\s?", re.M), ""),  # block quotes
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M), ""),  # table rules
]
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")


def strip_markdown(text: str) -> str:
    """Remove Markdown syntax that only adds noise tokens (markers, link targets, fences)."""
    for pattern, repl in _MD_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def index_text(text: str, kind: str, repair: bool = True) -> str:
    """The cleaned form of a passage, for embedding and BM25: repaired, NFC, no markup, tidy spaces.

    ``repair=False`` skips ftfy (the document was checked with :func:`needs_repair`).
    """
    text = fix(text, repair)
    if kind in ("markdown", "reddit"):  # Reddit bodies are Markdown too
        text = strip_markdown(text)
    text = _SPACES.sub(" ", text)
    text = _BLANKS.sub("\n\n", text)
    return text.strip()


# --- Reddit boilerplate ---

_REMOVED = {"[deleted]", "[removed]", "[deleted by user]", "[removed by reddit]"}
_BOT_FOOTER = re.compile(
    r"(?:^|\n)[^\n]*(?:I am a bot, and this action was performed automatically"
    r"|I'm a bot, \*?bleep\*?, \*?bloop\*?"
    r"|\^\(?I am a bot\b|beep boop,? I'?m a bot).*",
    re.I | re.S,
)
_FOOTER_RULE = re.compile(r"\n\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def reddit_body(body: str | None) -> str:
    """A Reddit post or comment body without deletion markers and bot footers ("" if nothing is left)."""
    if not body:
        return ""
    text = body.strip()
    if text in _REMOVED:
        return ""
    text = _BOT_FOOTER.sub("", text).rstrip()
    text = _FOOTER_RULE.sub("", text).rstrip()  # the horizontal rule bots put above their footer
    return text
