"""The root Typer app and options shared by every command; its class maps errors to exits."""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated

import typer

from study_tracker.cli.errors import StudyGroup
from study_tracker.config import get_settings

app = typer.Typer(
    name="study",
    help="study-tracker: curricula, spaced-repetition reviews and your own knowledge base.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    cls=StudyGroup,
)


@app.callback()
def _root(
    today: Annotated[
        str | None,
        typer.Option(
            "--today", metavar="DATE", help="Pretend today is this date (YYYY-MM-DD); same as STUDY_TODAY."
        ),
    ] = None,
) -> None:
    if today is not None:
        try:
            date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(f"--today must be a date like 2026-01-31, got {today!r}") from None
        os.environ["STUDY_TODAY"] = today

        get_settings.cache_clear()
