from __future__ import annotations

import pytest

from study_tracker.knowledge.ingest.clean import (
    decode,
    fix,
    index_text,
    looks_binary,
    reddit_body,
    strip_markdown,
)


def test_decode_utf8_and_bom() -> None:
    assert decode("héllo".encode()) == ("héllo", 0)
    assert decode(b"\xef\xbb\xbfhi") == ("hi", 0)
    assert decode("hé".encode("utf-16")) == ("hé", 0)


def test_decode_invalid_utf8_counts_replacements() -> None:
    text, bad = decode(b"caf\xe9 au lait \xff")
    assert text == "caf\ufffd au lait \ufffd"
    assert bad == 2


def test_decode_keeps_existing_replacement_characters_out_of_the_count() -> None:
    _, bad = decode("already \ufffd here".encode() + b"\xff")
    assert bad == 1


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"plain text\n", False),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
        (bytes(range(32)) * 20, True),
        ("naïve café".encode(), False),
        (b"", False),
    ],
)
def test_looks_binary(data: bytes, binary: bool) -> None:
    assert looks_binary(data) is binary


def test_fix_repairs_mojibake_and_normalises_nfc() -> None:
    assert fix("cafÃ© crÃ¨me") == "café crème"
    decomposed = "cafe\u0301"
    assert fix(decomposed) == "caf\u00e9"


def test_strip_markdown_keeps_words_and_drops_syntax() -> None:
    md = "## Title\n\nSee [the docs](https://example.com/x) and **bold** or *it*.\n\n```python\ncode()\n```"
    out = strip_markdown(md)
    assert "https://example.com" not in out
    assert "the docs" in out and "bold" in out and "**" not in out and "```" not in out
    assert "code()" in out


def test_index_text_collapses_space() -> None:
    assert index_text("a  \t b\n\n\n\nc", "text") == "a b\n\nc"


@pytest.mark.parametrize("body", ["[deleted]", "[removed]", "  [removed]  ", "", None])
def test_reddit_deleted_bodies_are_dropped(body: str | None) -> None:
    assert reddit_body(body) == ""


def test_reddit_bot_footer_is_removed() -> None:
    body = (
        "Your post was removed because it lacks a flair.\n\n---\n\n"
        "*I am a bot, and this action was performed automatically. Please [contact the moderators]"
        "(/message/compose/?to=/r/x) if you have any questions or concerns.*"
    )
    assert reddit_body(body) == "Your post was removed because it lacks a flair."
    assert reddit_body("Useful answer about Kafka partitions.") == "Useful answer about Kafka partitions."
