"""The command line's one error map: a ``StudyError`` becomes one red line on stderr and an exit code.

Commands let the services' errors (``study_tracker.errors``) propagate; ``StudyGroup``, the class
of the root ``study`` command, catches them around every command and sub-command. Exit codes:
2 when the user's input is at fault (``InvalidInput`` and its subclasses, a bad config file),
1 for everything else (not found, conflicts, an index not built yet, a remote site failing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from study_tracker.cli.help_types import name_types
from study_tracker.cli.output import err
from study_tracker.errors import InvalidInput, StudyError

# 400: a request at fault that names no field class (a hand-edited config.json); 413 and 422:
# InvalidInput and its subclasses.
_BAD_INPUT_STATUS = frozenset({400, 413, 422})


def exit_code(exc: StudyError) -> int:
    """2 when the user's input is at fault, 1 for any other error."""
    return 2 if exc.status in _BAD_INPUT_STATUS else 1


def print_error(message: str) -> None:
    """``Error: message`` in red on stderr, on one line (markup in the message is printed as is)."""
    err.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error and return the exit (1) to raise, for endings that are not a
    service's error: a declined confirmation, an output file the system refuses, a partial result."""
    print_error(message)
    return typer.Exit(1)


@contextmanager
def naming(source: object) -> Iterator[None]:
    """Errors raised inside become bad input whose message starts with ``source``, the file the user
    named (``notes.md: file: no roadmap structure ...``)."""
    try:
        yield
    except StudyError as exc:
        raise InvalidInput(f"{source}: {exc.message}", exc.errors) from exc


class StudyGroup(TyperGroup):
    """The root command: runs the chosen command and maps a ``StudyError`` it raises to an exit;
    before running it names the parameter types of the whole command tree (``help_types``).

    Sub-commands run inside the root's ``invoke``, so this one ``except`` covers all of them; the
    session they opened has been rolled back by the time the error reaches it.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Here rather than in __init__: Typer adds the completion options after making the group.
        name_types(self)  # INTEGER, DATE... in every command's --help, not <str>
        return super().main(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:  # a click Context (Typer's vendored click: no public name)
        try:
            return super().invoke(ctx)
        except StudyError as exc:
            print_error(exc.message)
            raise typer.Exit(exit_code(exc)) from None
