"""Type names in ``--help``: ``INTEGER``, ``DATE``, ``PATH``... instead of Typer's ``<str>``.

Typer shows each parameter's Python type (``<str>``, ``<int>``, ``<bool>``); an option that takes
a number as text (so that the service can name the field when it is wrong) then reads ``<str>``.
The root command calls ``name_types`` once on the whole command tree: a parameter with a
``metavar`` shows it (``metavar="DATE"``), the others the name of their type, and on/off flags
show none.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args, get_origin

NAMES: dict[Any, str] = {
    str: "TEXT",
    int: "INTEGER",
    float: "FLOAT",
    Path: "PATH",
    date: "DATE",
    datetime: "DATETIME",
}


def type_name(param: Any) -> str | None:
    """What the help's type column shows for one parameter (None: nothing, for a flag)."""
    if getattr(param, "metavar", None):
        return str(param.metavar)
    if getattr(param, "is_flag", False):
        return None
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", str)
    many = get_origin(annotation) in (list, tuple)
    if many:
        annotation = (get_args(annotation) or (str,))[0]
    name = NAMES.get(annotation, getattr(annotation, "__name__", "TEXT").upper())
    return f"{name}..." if many or getattr(param, "nargs", 1) != 1 else name


def _display(param: Any, ctx: Any) -> str | None:
    return type_name(param)


# What ``get_help_option`` reads of a context (Typer's vendored click has no public Context to make).
_HELP_CONTEXT = SimpleNamespace(help_option_names=["--help"])


def name_types(command: Any) -> None:
    """Give every parameter of ``command`` (a Typer command or group) and of its sub-commands,
    their ``--help`` option included, the type name above."""
    help_option = command.get_help_option(_HELP_CONTEXT)  # made now and kept by the command
    for param in [*command.params, *([help_option] if help_option else [])]:
        # The help renderer asks each parameter for ``display_type_rich``; answer for it here.
        param.display_type_rich = partial(_display, param)
    for sub in getattr(command, "commands", {}).values():
        name_types(sub)
