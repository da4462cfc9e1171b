"""Tracker commands: serve, today, complete, review, undo, history, config, export, import
(``study backup`` and ``study restore`` are in ``cli/backup.py``)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.accounts import service as accounts
from study_tracker.cli import exports
from study_tracker.cli.app import app
from study_tracker.cli.errors import fail, naming
from study_tracker.cli.output import bullet, clip, console
from study_tracker.cli.review_loop import review_loop
from study_tracker.coach import study_plan
from study_tracker.config import Settings, get_settings
from study_tracker.content.curriculum import GROUPS, load_tracks
from study_tracker.db.engine import session_scope
from study_tracker.errors import Conflict, InvalidInput
from study_tracker.tracker import agenda, backups, service, stats, transfer
from study_tracker.tracker.files import atomic_write_bytes, atomic_write_text
from study_tracker.tracker.srs import Recall
from study_tracker.tracker.startup import prepare
from study_tracker.wording import completion_feedback, plural, short_date

RATINGS = {r.name: r for r in Recall}
GroupOpt = Annotated[str | None, typer.Option("--group", "-g", help="swe or ml_specialist (default: both).")]


@contextmanager
def store(*, config_files: bool = True) -> Iterator[tuple[Session, Settings]]:
    """Prepare the data folder and open a session, committed when the block ends without an error.

    Args:
        config_files: read back config.json edits (False for commands that must work while a
            file is invalid: export, backup).

    Raises:
        ConfigFileError: a hand-edited config.json cannot be used (nothing is changed then).
        StudyError: the database cannot be used (the message says what to do).
    """
    settings = get_settings()
    prepare(settings, config_files=config_files)
    with session_scope(settings.db_url) as session:
        yield session, settings


def chosen_groups(group: str | None) -> list[str]:
    """The groups a ``--group`` option names: all of them when it is not given.

    Raises:
        InvalidInput: ``group`` is not a known group.
    """
    if group is None:
        return list(GROUPS)
    if group not in GROUPS:
        raise InvalidInput(f"--group must be one of {', '.join(GROUPS)}, got {group!r}")
    return [group]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (STUDY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (STUDY_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the web app (default http://127.0.0.1:5555)."""
    import logging

    import uvicorn

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin otherwise
    prepare(settings)  # fail here, with a clear message, before the server starts
    listen = host or settings.host
    if not accounts.is_loopback(listen):
        with session_scope(settings.db_url) as session:
            if not accounts.has_password(session):
                raise fail(
                    f"refusing to serve on {listen}: other computers could reach the app there, "
                    "and no password is set. Run `study auth set-password` first (or serve on 127.0.0.1)."
                )
    console.print(
        f"study-tracker on [bold]http://{host or settings.host}:{port or settings.port}[/] (data: {settings.data_dir})"
    )
    # uvicorn's factory reads the settings from the environment: it must see the address it serves
    # on (the login and the Host allow-list depend on it).
    os.environ["STUDY_HOST"] = listen
    get_settings.cache_clear()
    uvicorn.run(
        "study_tracker.web.app:create_app",
        factory=True,
        host=listen,
        port=port or settings.port,
        reload=reload,
        log_level=settings.log_level.lower(),
    )


def _track_lines(t: agenda.TrackToday) -> None:
    """One track of `study today`: its day, status and topic."""
    status = {"paused": " [yellow](paused)[/]", "not_started": " [dim](not started)[/]"}.get(t.status, "")
    console.print(f"\n[bold]{escape(t.track.title)} - Day {t.day}[/]{status}")
    if t.paused:
        console.print(
            bullet(
                f"Paused since {t.paused_since}: no new topic; its reviews still come up. "
                f"Resume: study config set --track {t.track.slug} --resume",
                marker="⏸",
            )
        )
    elif t.upcoming:
        console.print(f"  Starts on {t.start_date}.")
    elif t.topic is None:
        console.print(f"  No topic for day {t.day} ({t.track.length}-day track): focus on reviews.")
    else:
        mark = " [green]✓ completed[/]" if t.completion else ""
        console.print(f"  {escape(t.topic.title)} · about {t.topic.estimated_minutes} min{mark}")
        for s in t.topic.subtopics:
            console.print(bullet(s, indent=3))
        if t.not_started:
            console.print("  [dim]Your first completion starts this track (no catch-up before that).[/]")
    if t.missed:
        console.print(f"  [yellow]Catch up:[/] days {', '.join(map(str, t.missed[:10]))}")


def _no_reviews(session: Session, group: str, day: date) -> None:
    """What `study today` and `study review` say when nothing is due: when reviews come next."""
    upcoming = agenda.next_reviews_after(session, group=group, today=day)
    if upcoming is None:
        console.print(
            f"No reviews due in {GROUPS[group].title}, and none scheduled yet: complete a topic first."
        )
        return
    gap = (upcoming.due_date - day).days
    when = "tomorrow" if gap == 1 else f"in {plural(gap, 'day')}"
    console.print(
        f"No reviews due in {GROUPS[group].title}. "
        f"Next: {plural(upcoming.count, 'review')} on {short_date(upcoming.due_date, day)} ({when})."
    )


@app.command()
def today(group: GroupOpt = None) -> None:
    """Show today's reviews and topics."""
    with store() as (session, settings):
        day = clock.today(settings)
        for g in chosen_groups(group):
            view = study_plan.due_by_plan(
                session,
                view=agenda.today_view(session, group=g, today=day),
                now=clock.now(settings),
                zone=clock.local_zone(settings),
            )
            console.rule(f"{GROUPS[g].icon} {GROUPS[g].title} · {day:%A %d %B %Y}")
            if view.reviews:
                table = Table("id", "review", "type", "due", title="Reviews due", title_justify="left")
                for r in view.reviews:
                    due = f"{r.due_date}" + (
                        f" ([red]{r.overdue_days}d overdue[/])" if r.overdue_days else ""
                    )
                    paused = " [dim](track paused)[/]" if r.track_paused else ""
                    if r.plan_note:
                        paused += f" [dim]({escape(r.plan_note)})[/]"
                    table.add_row(
                        str(r.completion_id),
                        f"{escape(r.track.title)} - Day {r.day}: {escape(r.topic.title)}{paused}",
                        f"{r.rtype.label} ({r.interval_days}d)",
                        due,
                    )
                console.print(table)
            else:
                _no_reviews(session, g, day)
            for t in view.tracks:
                _track_lines(t)
            if view.hidden:
                names = ", ".join(t.title for t in view.hidden)
                console.print(
                    f"\n[dim]{plural(len(view.hidden), 'hidden track')}: {escape(names)} "
                    "(study config set --track TRACK --show).[/]"
                )


@app.command()
def complete(
    track: Annotated[str, typer.Argument(help="Track slug, e.g. ml_algorithms.")],
    difficulty: Annotated[int, typer.Option("--difficulty", "-d", help="1 (easy) to 5 (very hard).")],
    notes: Annotated[str, typer.Option("--notes", "-n", help="Notes (Markdown).")] = "",
    day: Annotated[
        int | None, typer.Option(help="Day to complete (default: today's day of the track).")
    ] = None,
) -> None:
    """Mark a topic complete with a difficulty rating and notes; schedules its reviews."""
    with store() as (session, settings):
        zone = clock.local_zone(settings)
        if day is None:
            day = service.track_day(session, track=track, today=clock.today(settings))
        c = service.complete_topic(
            session=session,
            track=track,
            day=day,
            difficulty=difficulty,
            notes=notes,
            now=clock.now(settings),
            zone=zone,
        )
        feedback = completion_feedback(
            title=load_tracks()[track].title,
            day=day,
            next_review=agenda.next_review_date(session, completion_id=c.id),
            today=clock.today(settings),
        )
        console.print(f"[green]✓[/] {escape(feedback)} [dim](difficulty {difficulty})[/]")


@app.command()
def review(
    completion_id: Annotated[
        int | None, typer.Argument(help="Review to record (id from `study review`).")
    ] = None,
    rating: Annotated[str | None, typer.Option("--rating", "-r", help="again, hard, good or easy.")] = None,
    notes: Annotated[str, typer.Option("--notes", "-n")] = "",
    group: GroupOpt = None,
    show: Annotated[bool, typer.Option("--show", help="Print the review's practice questions.")] = False,
) -> None:
    """List due reviews; do one card by card (type an answer or answer aloud, reveal the key points
    with the grader's ticks, grade 1-4); show its questions (--show); or record it at once (--rating)."""
    with store() as (session, settings):
        day = clock.today(settings)
        if completion_id is None:
            for g in chosen_groups(group):
                listed = study_plan.due_by_plan(
                    session,
                    view=agenda.today_view(session, group=g, today=day),
                    now=clock.now(settings),
                    zone=clock.local_zone(settings),
                ).reviews
                if not listed:
                    _no_reviews(session, g, day)
                    continue
                table = Table(
                    "id",
                    "review",
                    "type",
                    "due",
                    title=f"{GROUPS[g].title}: {plural(len(listed), 'review')} due",
                    title_justify="left",
                )
                for r in listed:
                    table.add_row(
                        str(r.completion_id),
                        f"{escape(r.track.title)} - Day {r.day}: {escape(r.topic.title)}"
                        + (f" [dim]({escape(r.plan_note)})[/]" if r.plan_note else ""),
                        r.rtype.label,
                        str(r.due_date),
                    )
                console.print(table)
            return
        due = agenda.get_due_review(session, completion_id=completion_id, today=day)
        if rating is None and not show and (due.due_date <= day or _planned_today(session, settings, due)):
            review_loop(session, settings, due)
            return
        if show or rating is None:
            console.print(f"[bold]{due.rtype.label}[/]: {due.track.title} - Day {due.day}: {due.topic.title}")
            for i, q in enumerate(agenda.review_questions(due), 1):
                console.print(bullet(f"[{q.type.value}] {q.prompt}", indent=0, marker=f"{i}."))
                for p in q.key_points:
                    console.print(bullet(p, indent=5, marker="-", style="dim"))
        if rating is None:
            if due.due_date > day:
                console.print(f"This review is due on {due.due_date}.")
            return
        if rating.lower() not in RATINGS:
            raise InvalidInput(f"--rating must be one of {', '.join(RATINGS)}, got {rating!r}")
        log = study_plan.log_planned_review(
            session=session,
            completion_id=completion_id,
            rating=RATINGS[rating.lower()],
            notes=notes,
            now=clock.now(settings),
            zone=clock.local_zone(settings),
        )
        nxt = agenda.next_review_date(session, completion_id=completion_id)
        console.print(f"[green]✓[/] review recorded ({rating.lower()}, step {log.step + 1}).")
        console.print(f"  Next review on {nxt}." if nxt else "  No more reviews: topic graduated.")


def _planned_today(session: Session, settings: Settings, due: agenda.DueReview) -> bool:
    """A review the scheduler has not made due yet, but the group's plan placed on today."""
    try:
        return study_plan.planned_early(
            session=session,
            completion_id=due.completion_id,
            now=clock.now(settings),
            zone=clock.local_zone(settings),
        )
    except Conflict:
        return False


@app.command()
def undo(group: Annotated[str, typer.Option("--group", "-g", help="swe or ml_specialist.")]) -> None:
    """Undo the group's last completion or review."""
    with store() as (session, settings):
        done = service.undo_last(
            session=session, group=group, now=clock.now(settings), zone=clock.local_zone(settings)
        )
        console.print(f"Undid the {done.kind} of {load_tracks()[done.track].title} day {done.day}.")


@app.command()
def history(
    group: GroupOpt = None, days: Annotated[int, typer.Option(help="Days of log to list.")] = 14
) -> None:
    """Streak, progress per track, review forecast and the recent log."""
    with store() as (session, settings):
        day = clock.today(settings)
        titles = {s: t.title for s, t in load_tracks().items()}
        for g in chosen_groups(group):
            h = stats.history(session, group=g, today=day, recent_days=days)
            console.rule(f"{GROUPS[g].icon} {GROUPS[g].title}")
            retention = f"{h.retention:.0%}" if h.retention is not None else "–"
            console.print(
                f"Streak {plural(h.streak, 'day')} (longest {h.longest_streak}) · "
                f"{plural(h.totals['completions'], 'topic')} · {plural(h.totals['reviews'], 'review')} · "
                f"recalled {retention}"
            )
            progress = Table("track", "progress")
            for p in h.progress:
                progress.add_row(p.track.title, f"{p.completed_days}/{p.track.length} ({p.percent}%)")
            console.print(progress)
            upcoming = [(d, n) for d, n in h.forecast if n]
            console.print(
                "Reviews ahead: " + (", ".join(f"{d:%b %d}: {n}" for d, n in upcoming[:10]) or "none")
            )
            log = Table(
                "date",
                "what",
                "topic",
                "rating",
                "notes",
                title=f"Last {plural(days, 'day')}",
                title_justify="left",
            )
            for e in h.recent:
                grade = f"difficulty {e.grade}" if e.kind == "completion" else Recall(e.grade).name
                log.add_row(
                    str(e.local_date),
                    e.kind,
                    f"{titles.get(e.track, e.track)} - Day {e.day}",
                    grade,
                    escape(clip(e.notes, 60)),
                )
            console.print(log)


@app.command("export")
def export_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON file to write ('-' for stdout); or calendar (.ics), csv (the plan) or anki (.apkg)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File for calendar, csv or anki (default: a name here)."),
    ] = None,
    group: GroupOpt = None,
    track: Annotated[str | None, typer.Option("--track", help="anki: one track's questions.")] = None,
) -> None:
    """Export all settings and history as JSON (lossless; works while a config.json is invalid),
    or the plan as a calendar or CSV, or practice questions as an Anki deck."""
    export = exports.EXPORTS.get(str(file))
    if export is not None:
        if group is not None:
            chosen_groups(group)
        with store() as (session, settings):
            blob, name = export(session, settings, exports.ExportRequest(out, group, track))
        target = out or Path(name)
        if str(target) == "-":
            sys.stdout.buffer.write(blob)
            return
        atomic_write_bytes(target, blob)
        console.print(f"Exported {file} to {target}.")
        return
    with store(config_files=False) as (session, settings):
        data = json.dumps(transfer.export_data(session, now=clock.now(settings)), indent=2)
    if str(file) == "-":
        sys.stdout.write(data + "\n")
        return
    atomic_write_text(file, data + "\n")
    console.print(f"Exported to {file}.")


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `study export`.")],
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite existing history.")] = False,
) -> None:
    """Import an export: checked whole first (nothing is written if any field is wrong), then a
    backup of the current data, then settings and history replaced in one transaction."""
    settings = get_settings()
    cap = int(settings.import_max_mb * 1_000_000)
    try:
        with file.open("rb") as f:
            data = f.read(cap + 1)  # never more than the cap: a bigger file is refused unread
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read ({exc.strerror or exc})") from None
    with naming(file):
        document = transfer.parse_export(data, source="file", max_bytes=cap)
    with store() as (session, settings):
        if transfer.has_history(session) and not replace:
            raise Conflict(
                "the database already holds history: run `study backup`, then import with --replace"
            )
        saved = backups.backup_before(settings, session, kind="import")
        counts = transfer.import_data(session, document)
        zone = clock.local_zone(settings)
        for g in GROUPS:
            service.reschedule(session, group=g, zone=zone)
        transfer.sync_config_files(session, settings.data_dir)
    console.print("Imported " + ", ".join(plural(n, k.removesuffix("s")) for k, n in counts.items()) + ".")
    if saved is not None:
        console.print(f"  The data as it was is in {saved.path} (`study restore {saved.name}` puts it back).")
