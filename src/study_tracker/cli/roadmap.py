"""Roadmap commands: import a Markdown roadmap, list, show, tick items, set deliverable links, move
the start date, remove."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from study_tracker import clock
from study_tracker.cli.app import app
from study_tracker.cli.errors import fail, naming
from study_tracker.cli.output import bullet, console, err
from study_tracker.cli.tracker import store
from study_tracker.config import get_settings
from study_tracker.errors import InvalidInput, KnowledgeError
from study_tracker.roadmaps import library, reading, service
from study_tracker.roadmaps.views import ItemView, RoadmapView
from study_tracker.wording import plural

roadmap_app = typer.Typer(
    help="Import Markdown roadmaps (phases, milestones, checklists) and follow your progress.",
    no_args_is_help=True,
)
app.add_typer(roadmap_app, name="roadmap")

STATE_MARK = {"done": "[green]✓ done[/]", "current": "[cyan]▶ now[/]", "overdue": "[red]overdue[/]"}


def _dates(start: date | None, end: date | None) -> str:
    return f"{start} → {end}" if start and end else "–"


@roadmap_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="The roadmap, a Markdown file.")],
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="DATE",
            help="Start date YYYY-MM-DD for dates from durations (default: today, or the stored one).",
        ),
    ] = None,
    slug: Annotated[
        str | None, typer.Option("--slug", help="Name in URLs (default: from the title).")
    ] = None,
    kb: Annotated[
        bool, typer.Option("--kb/--no-kb", help="Also add the document to the knowledge base (default: yes).")
    ] = True,
) -> None:
    """Import a roadmap, or update it in place when re-imported (progress is kept)."""

    start_date = None
    if start is not None:
        try:
            start_date = date.fromisoformat(start)
        except ValueError:
            raise InvalidInput(f"--start must be a date like 2026-01-31, got {start!r}") from None
    try:
        with file.open("rb") as f:  # read no further than the cap: a huge file is refused at once
            data = reading.read_capped(f, name=str(file), settings=get_settings())
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read ({exc.strerror or exc})") from None
    with store() as (session, settings):
        with naming(file):
            text = reading.decode_upload(data, name=str(file))
            result = service.import_roadmap(
                session=session,
                text=text,
                source_name=file.name,
                start_date=start_date,
                slug=slug,
                now=clock.now(settings),
                zone=clock.local_zone(settings),
            )
        view = service.roadmap_view(session=session, slug=result.slug, today=clock.today(settings))
    verb = "Imported" if result.created else ("Unchanged" if result.unchanged else "Updated")
    console.print(
        f"[green]✓[/] {verb} [bold]{result.title}[/] as [bold]{result.slug}[/] (starts {result.start_date})."
    )
    c = result.counts
    kinds = ("topic", "subtopic", "milestone", "task", "resource")
    console.print(
        "  "
        + ", ".join(plural(c[f"{k}s"], k) for k in kinds)
        + (
            f"; {plural(c['removed'], 'item')} no longer in the file (their progress is kept)"
            if c["removed"]
            else ""
        )
    )
    _print_topics(view)
    for w in result.warnings:
        err.print(f"[yellow]Warning:[/] {w}")
    # The copy is kept even without --kb: practice questions are generated from it.
    path = library.save_copy(data_dir=settings.data_dir, slug=result.slug, text=text)
    if kb:
        try:
            report = library.ingest_now(path, settings=settings)
        except Exception as exc:  # noqa: BLE001 - the roadmap is imported; the KB is a bonus
            err.print(f"[yellow]Warning:[/] not added to the knowledge base: {exc}")
        else:
            console.print(f"  Added to the knowledge base ({report.chunks_total} passages indexed): {path}")


def _print_topics(view: RoadmapView) -> None:
    if view.topics:
        table = Table("topic", "dates", "state", "items", title="Topics", title_justify="left")
        for t in view.topics:
            items = ", ".join(
                plural(len(found), kind)
                for found, kind in ((t.subtopics, "subtopic"), (t.tasks, "task"), (t.resources, "resource"))
            )
            table.add_row(
                t.item.title, _dates(t.item.start, t.item.end), STATE_MARK.get(t.state, t.state), items
            )
        console.print(table)
    if view.milestones:
        table = Table("milestone", "topic", "progress", "state", title="Milestones", title_justify="left")
        for m in view.milestones:
            done = sum(t.done for t in m.tasks)
            table.add_row(
                m.item.title, m.topic_title or "–", f"{done}/{len(m.tasks)}", m.state.replace("_", " ")
            )
        console.print(table)


@roadmap_app.command("list")
def list_cmd() -> None:
    """List imported roadmaps with their progress."""

    with store() as (session, _settings):
        rows = service.list_roadmaps(session=session)
    if not rows:
        console.print("No roadmaps yet: `study roadmap import FILE.md`.")
        return
    table = Table("slug", "title", "start", "progress", "file")
    for r in rows:
        table.add_row(
            r.slug, r.title, str(r.start_date), f"{r.done}/{r.total} ({r.progress:.0%})", r.source_name
        )
    console.print(table)


@roadmap_app.command("show")
def show_cmd(
    slug: Annotated[str, typer.Argument(help="The roadmap's slug (see `study roadmap list`).")],
) -> None:
    """Show a roadmap: topics with dates, milestones with their checklists, and item keys to tick."""

    with store() as (session, settings):
        view = service.roadmap_view(session=session, slug=slug, today=clock.today(settings))
    console.rule(f"{view.title} · {view.done}/{view.total} done ({view.progress:.0%})")
    for t in view.topics:
        mark = STATE_MARK.get(t.state, t.state)
        console.print(f"\n[bold]{t.item.title}[/] {_dates(t.item.start, t.item.end)} {mark}  [dim]{t.key}[/]")
        for s in t.subtopics:
            console.print(bullet(s.title, indent=2 + 2 * s.depth))
        for task in t.tasks:
            console.print(_task(task, indent=2))
        for r in t.resources:
            console.print(bullet(r.title + (f" <{r.url}>" if r.url else ""), marker="🔗"))
    for m in view.milestones:
        console.print(f"\n🏁 [bold]{m.item.title}[/] ({m.state.replace('_', ' ')})  [dim]{m.key}[/]")
        if m.item.link:
            console.print(f"  link: {m.item.link}")
        for label, tasks in m.groups:
            console.print(f"  [italic]{label}[/]")
            for task in tasks:
                console.print(_task(task, indent=3))
    for task in view.tasks:
        console.print(_task(task, indent=0))
    if view.resources:
        console.print("\n[bold]Resources[/]")
        for r in view.resources:
            console.print(bullet(r.title + (f" <{r.url}>" if r.url else ""), marker="🔗"))


def _task(task: ItemView, *, indent: int) -> RenderableType:
    """A checklist item (its deliverable link, its key to tick it), wrapping under its title."""
    line = Text(task.title)
    if task.link:
        line.append(f" → {task.link}")
    line.append(f"  {task.key}", style="dim")
    return bullet(line, indent=indent + 2 * task.depth, marker="☑" if task.done else "☐")


@roadmap_app.command("tick")
def tick_cmd(
    slug: Annotated[str, typer.Argument(help="The roadmap's slug.")],
    key: Annotated[str, typer.Argument(help="The item's key (see `study roadmap show`).")],
    undo: Annotated[bool, typer.Option("--undo", help="Untick instead.")] = False,
    link: Annotated[
        str | None, typer.Option("--link", help="Deliverable link (http/https); '' clears it.")
    ] = None,
    link_only: Annotated[
        bool, typer.Option("--link-only", help="Only set the link, leave the tick as it is.")
    ] = False,
) -> None:
    """Tick (or untick) a topic, milestone or task; optionally attach a link to a deliverable."""

    with store() as (session, settings):
        item = service.set_item(
            session=session,
            slug=slug,
            key=key,
            done=None if link_only else not undo,
            link=link,
            now=clock.now(settings),
            zone=clock.local_zone(settings),
        )
    state = "done" if item.done else "not done"
    console.print(f"[green]✓[/] {item.title}: {state}" + (f", link {item.link}" if item.link else "") + ".")


@roadmap_app.command("start")
def start_cmd(
    slug: Annotated[str, typer.Argument(help="The roadmap's slug.")],
    start: Annotated[str, typer.Argument(help="The new start date, YYYY-MM-DD.", metavar="YYYY-MM-DD")],
) -> None:
    """Move a roadmap to a new start date: every dated topic moves with it, progress is kept."""

    try:
        start_date = date.fromisoformat(start)
    except ValueError:
        raise InvalidInput.field("start_date", f"must be a date like 2026-01-31, got {start!r}") from None
    with store() as (session, settings):
        service.set_start_date(session=session, slug=slug, start_date=start_date, now=clock.now(settings))
        view = service.roadmap_view(session=session, slug=slug, today=clock.today(settings))
    console.print(
        f"[green]✓[/] {view.title} now starts {view.start_date}"
        + (f" and ends {view.end_date}." if view.end_date else ".")
    )
    _print_topics(view)


@roadmap_app.command("remove")
def remove_cmd(
    slug: Annotated[str, typer.Argument(help="The roadmap's slug.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a roadmap with all its progress, and its document from the knowledge base."""
    with store() as (session, settings):
        title = service.roadmap_view(session=session, slug=slug, today=clock.today(settings)).title
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"not removing {slug}: confirm with --yes (stdin is not a terminal to ask on)")
        if not typer.confirm(f"Remove {title} ({slug}) and all its progress? This cannot be undone"):
            raise fail("nothing removed")
    with store() as (session, settings):
        service.delete_roadmap(session=session, slug=slug)
    console.print(f"[green]✓[/] Removed {title} ({slug}) with its progress.")
    try:
        if library.remove_copy(settings=settings, slug=slug):
            console.print("  Its document was taken out of the knowledge base too.")
    except KnowledgeError as exc:
        path = library.copy_path(settings.data_dir, slug)
        err.print(
            f"[yellow]Warning:[/] the knowledge base still holds {path} ({exc}); "
            f"remove it later with `study sources remove {path}`."
        )


@roadmap_app.command("path")
def path_cmd(
    slug: Annotated[str, typer.Argument(help="The roadmap's slug (study roadmap list).")],
    path: Annotated[str | None, typer.Argument(help="The path to follow (its key); none: list them.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Follow every path again.")] = False,
) -> None:
    """List a roadmap's alternative paths, or follow one (What next then offers only its topics)."""
    with store() as (session, _settings):
        if every or path is not None:
            options = service.choose_path(session=session, slug=slug, path=None if every else path)
        else:
            options = service.roadmap_paths(session=session, slug=slug)
        if not options:
            console.print("This roadmap has no alternative paths.")
            return
        for o in options:
            mark = "[green]●[/] " if o.chosen else "  "
            console.print(f"{mark}{o.key}  {o.title} ({o.done}/{o.topics} topics done)")
