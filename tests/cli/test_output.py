"""The command line's text shapes on a real Rich console of a chosen width: bullets that wrap under
themselves, streamed text that never breaks a word, clipping at a word boundary, and the type
names every ``--help`` shows."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from typer.main import get_command

from study_tracker.cli import app
from study_tracker.cli.output import WordStream, bullet, clip
from tests.cli.test_tracker import commands, runner

WORDS = (
    "Backpropagation applies the chain rule layer by layer, reusing each layer's gradient "
    "so that a network with millions of weights is trained in one backward pass"
)


def narrow(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=width, force_terminal=False, color_system=None), out


def test_a_bullet_wraps_under_its_first_word() -> None:
    console, out = narrow(40)
    console.print(bullet(WORDS, indent=3))
    lines = out.getvalue().rstrip("\n").split("\n")
    assert len(lines) > 3 and lines[0].startswith("   • Backpropagation")
    assert all(line.startswith("     ") and line[5] != " " for line in lines[1:])  # hanging indent
    assert " ".join(" ".join(line.split()) for line in lines) == f"• {WORDS}"
    assert all(len(line.rstrip()) <= 40 for line in lines)


def test_a_bullet_prints_brackets_as_they_are() -> None:
    console, out = narrow(60)
    console.print(bullet("[concept] Explain [bold]dropout[/]", marker="1."))
    assert out.getvalue().strip() == "1. [concept] Explain [bold]dropout[/]"


@pytest.mark.parametrize("width", [20, 33, 80])
def test_streamed_pieces_are_printed_in_whole_words(width: int) -> None:
    console, out = narrow(width)
    stream = WordStream(console)
    text = f"{WORDS} [1].\nSecond paragraph: vanishing gradients [2]."
    for i in range(0, len(text), 7):  # pieces that cut words anywhere, as tokens do
        stream.feed(text[i : i + 7])
    stream.close()
    printed = out.getvalue()
    assert printed.endswith("\n")
    lines = printed.rstrip("\n").split("\n")
    assert all(len(line) <= width for line in lines), lines
    # Every word arrives whole, in order; only the line breaks differ.
    assert printed.split() == text.split()
    assert any(line.startswith("Second paragraph") for line in lines)  # the reply's own newline kept


def test_an_empty_stream_prints_nothing() -> None:
    console, out = narrow(40)
    stream = WordStream(console)
    stream.close()
    assert out.getvalue() == "" and not stream.started


def test_clip_cuts_between_words() -> None:
    assert clip("short   note\nhere", 60) == "short note here"
    clipped = clip(WORDS, 60)
    assert len(clipped) <= 60 and clipped.endswith(" …")
    assert WORDS.startswith(clipped.removesuffix(" …"))


# What Typer shows by itself: the Python type (<str>, <int range>, <list[Path]>...).
HELP_TYPE = re.compile(r"<(?:str|int|float|bool|path|file|date|datetime|list\[\w+\])(?: range)?>", re.I)


@pytest.mark.parametrize("path", list(commands()), ids=" ".join)
def test_help_shows_type_names_not_python_types(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert not HELP_TYPE.findall(result.output), result.output


def test_config_set_help_names_each_type() -> None:
    out = " ".join(runner.invoke(app, ["config", "set", "--help"]).output.split())
    for option, kind in (
        ("--start", "DATE"),
        ("--acceleration-days", "INTEGER"),
        ("--desired-retention", "FLOAT"),
        ("--intervals", "DAYS"),
        ("--track", "TEXT"),
    ):
        assert re.search(rf"{option}(?:,\S+)? +{kind} ", out), (option, out)
    assert "--pause --resume" in out and "--hide --show" in out
    assert get_command(app).name == "study"
