"""The two consoles every command prints to (results on stdout; errors, warnings and progress on
stderr) and the few shapes of text they print: bullets that wrap under themselves, streamed text
that never breaks a word, and text shortened at a word boundary.

Rich looks up ``sys.stdout``/``sys.stderr`` on each write, so a test runner that swaps them (Typer's
``CliRunner``) captures what these print.
"""

from __future__ import annotations

import re
import textwrap

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

console = Console()
err = Console(stderr=True)


def bullet(text: str | Text, *, indent: int = 2, marker: str = "•", style: str = "") -> RenderableType:
    """One list item whose wrapped lines start under its first word, not at the margin.

    ``text`` is printed as it is (no Rich markup: titles and notes are the user's); a word longer
    than the line is folded.
    """
    body = text if isinstance(text, Text) else Text(text, style=style)
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(marker, style=style), body)
    return Padding(grid, (0, 0, 0, indent), expand=False)  # no trailing spaces up to the width


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``width`` characters (with "…")."""
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


_TOKENS = re.compile(r"\n|[^\S\n]+|\S+")


class WordStream:
    """Prints text that arrives in pieces (an LLM's streamed reply) without breaking a word.

    A piece is held until its last word is complete; each word that would cross the console's
    width starts a new line instead (the terminal would otherwise cut it at the edge). ``close``
    prints what is left and ends the line.
    """

    def __init__(self, out: Console) -> None:
        self.out = out
        self.pending = ""  # the tail of the stream that may be half a word
        self.column = 0
        self.space = ""  # spaces between words, written only when the next word fits after them

    @property
    def started(self) -> bool:
        return bool(self.column or self.pending)

    def feed(self, piece: str) -> None:
        self.pending += piece
        end = max(self.pending.rfind(" "), self.pending.rfind("\n"), self.pending.rfind("\t"))
        if end >= 0:
            ready, self.pending = self.pending[: end + 1], self.pending[end + 1 :]
            self._write(ready)

    def close(self) -> None:
        """Print the rest and end the line (when anything was printed)."""
        self._write(self.pending)
        self.pending = ""
        if self.column:
            self._emit("\n")
        self.column, self.space = 0, ""

    def _write(self, text: str) -> None:
        width = max(self.out.width, 20)
        for token in _TOKENS.findall(text):
            if token == "\n":
                self._emit("\n")
                self.column, self.space = 0, ""
            elif token.isspace():
                self.space += token
            else:
                size = cell_len(token)
                if self.column and self.column + cell_len(self.space) + size > width:
                    self._emit("\n" + token)
                    self.column = size
                else:
                    self._emit((self.space if self.column else "") + token)
                    self.column += (cell_len(self.space) if self.column else 0) + size
                self.space = ""

    def _emit(self, text: str) -> None:
        self.out.print(text, end="", soft_wrap=True, markup=False, highlight=False, emoji=False)
