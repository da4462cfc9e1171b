"""``study config``: show or change a group's start dates, acceleration, review intervals and
scheduler, and a track's start, pause and visibility."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from study_tracker import clock
from study_tracker.cli.app import app
from study_tracker.cli.output import console
from study_tracker.cli.tracker import GroupOpt, chosen_groups, store
from study_tracker.errors import InvalidInput
from study_tracker.tracker import service, settings_store

config_app = typer.Typer(
    help="Show or change start dates, acceleration, review intervals and scheduler.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(config_app, name="config")


@config_app.callback()
def config_show(ctx: typer.Context, group: GroupOpt = None) -> None:
    """Show each group's configuration."""
    if ctx.invoked_subcommand:
        return
    with store() as (session, settings):
        for g in chosen_groups(group):
            cfg = settings_store.get_config(session, g)
            console.print_json(json.dumps(cfg.model_dump(mode="json")))
            console.print(f"[dim]{settings_store.config_path(settings.data_dir, g)}[/]")


@config_app.command("set")
def config_set(
    *,
    track: Annotated[
        str | None, typer.Option(help="Track slug whose start, acceleration, pause or visibility to change.")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            "--start-date",
            metavar="DATE",
            help="The track's day 1, YYYY-MM-DD; 'none': not started (its first completion starts it).",
        ),
    ] = None,
    acceleration_days: Annotated[
        str | None, typer.Option(metavar="INTEGER", help="Days to skip ahead (0 or more).")
    ] = None,
    paused: Annotated[
        bool | None,
        typer.Option(
            "--pause/--resume",
            help="Pause the track (its day stops, no new topic; reviews go on) or resume it where it stopped.",
        ),
    ] = None,
    hidden: Annotated[
        bool | None,
        typer.Option(
            "--hide/--show", help="Hide the track from today and history (data kept), or show it again."
        ),
    ] = None,
    group: Annotated[str | None, typer.Option(help="Group whose review settings to change.")] = None,
    intervals: Annotated[
        str | None, typer.Option(metavar="DAYS", help="Review intervals in days, e.g. 1,3,7,14.")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(help="fixed or fsrs.")] = None,
    desired_retention: Annotated[
        str | None, typer.Option(metavar="FLOAT", help="FSRS target recall, 0.7-0.99.")
    ] = None,
) -> None:
    """Change settings; the whole group configuration is validated before anything is saved."""
    with store() as (session, settings):
        zone, day = clock.local_zone(settings), clock.today(settings)
        changes: dict[str, object] = {}
        if start is not None:
            changes["start_date"] = None if start.strip().lower() in ("", "none") else start
        if acceleration_days is not None:
            changes["acceleration_days"] = acceleration_days
        if paused is not None:
            changes["paused"] = paused
        if hidden is not None:
            changes["hidden"] = hidden
        if changes and not track:
            raise InvalidInput(
                "--start, --acceleration-days, --pause/--resume and --hide/--show need a --track"
            )
        if track:
            group = service.get_track(track).group
            if changes:
                settings_store.update_track(
                    session, data_dir=settings.data_dir, track=track, changes=changes, zone=zone, today=day
                )
        if group is None:
            raise InvalidInput("name a --track or a --group")
        current = settings_store.get_config(session, group).model_dump(mode="json")
        if intervals is not None:
            current["settings"]["review_intervals"] = [v.strip() for v in intervals.split(",") if v.strip()]
        if scheduler is not None:
            current["settings"]["scheduler"] = scheduler
        if desired_retention is not None:
            current["settings"]["desired_retention"] = desired_retention
        saved = settings_store.save_config(
            session, data_dir=settings.data_dir, group=group, payload=current, zone=zone, today=day
        )
        console.print("[green]Saved.[/]")
        console.print_json(json.dumps(saved.model_dump(mode="json")))
