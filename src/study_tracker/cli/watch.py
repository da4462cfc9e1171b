"""``study watch``: follow the watched folders in the foreground; ``add``, ``list`` and ``remove``
change which folders are watched (the web server watches the same ones while it runs)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from study_tracker.cli.app import app
from study_tracker.cli.knowledge import _export_query_encoder, _report_table
from study_tracker.cli.output import console, err
from study_tracker.config import get_settings
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.progress import Progress, RichProgressBars
from study_tracker.knowledge.watch.folders import add_watched, list_watched, remove_watched
from study_tracker.knowledge.watch.ignore import is_temporary
from study_tracker.knowledge.watch.watcher import Batch, FolderWatcher, ingest_here
from study_tracker.wording import plural

watch_app = typer.Typer(
    help="Keep the knowledge base in step with folders: `study watch add PATH`, then `study watch`.",
    no_args_is_help=False,
)
app.add_typer(watch_app, name="watch")


def _batch_line(batch: Batch) -> None:
    when = time.strftime("%H:%M:%S")
    names = ", ".join(Path(r).name or r for r in batch.roots)
    if batch.error:
        err.print(f"[red]{when} {escape(names)}: {escape(batch.error)}[/]")
        return
    r = batch.report
    if r is None or r.up_to_date:
        if batch.reason != "changes":
            console.print(f"[dim]{when} {escape(names)}: up to date[/]")
        return
    console.print(
        f"{when} {escape(names)}: {r.files_new} new, {r.files_changed} changed, {r.files_removed} removed; "
        f"{plural(r.chunks_added, 'new chunk')}, {r.embedded} embedded, {r.embedded_from_cache} from the cache; "
        f"{plural(r.chunks_indexed, 'chunk')} in the index ({batch.seconds:.1f} s)"
    )
    for path, why in r.skipped:
        if is_temporary(Path(path).name):
            continue  # an editor's file that happened to exist during the scan
        console.print(f"  [yellow]skipped[/] {escape(path)}: {escape(why)}")


@watch_app.callback(invoke_without_command=True)
def watch(
    ctx: typer.Context,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="One line per re-index, no progress bars.")
    ] = False,
) -> None:
    """Watch the watched folders and re-index what changes, until Ctrl-C.

    Created, changed, renamed and deleted files are indexed within seconds; editors' temporary
    files are ignored; a burst of changes is indexed once; unchanged passages are never embedded
    again. Do not run it while `study serve` runs: the server watches the same folders.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    folders = list_watched(settings)
    if not folders:
        console.print("No watched folders: add one with `study watch add PATH`.")
        raise typer.Exit(1)
    stop = threading.Event()
    exported = False

    def on_batch(batch: Batch) -> None:
        nonlocal exported
        if not exported and batch.report is not None and batch.error is None:
            _export_query_encoder(settings)  # searches need it; exported before the line says "done"
            exported = True
        _batch_line(batch)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: stop now (an ingest in progress is discarded cleanly)
            raise KeyboardInterrupt
        stop.set()
        err.print("Stopping (Ctrl-C again to stop at once)...")

    progress = Progress() if quiet else RichProgressBars(err)
    watcher = FolderWatcher(settings, ingest_here(settings, progress=progress), on_batch=on_batch)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    console.print(f"Watching {plural(len(folders), 'folder')} (Ctrl-C stops):")
    for f in folders:
        console.print(f"  {escape(f.path)}" + ("" if f.exists else " [red](missing)[/]"))
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        pass  # the ingest it interrupted removed its unfinished generation; the live index is intact
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    console.print("Stopped watching.")


@watch_app.command("add")
def watch_add(
    path: Annotated[Path, typer.Argument(help="The folder to watch (read recursively).")],
    no_ingest: Annotated[
        bool,
        typer.Option("--no-ingest", help="Only remember it; the next `study watch` or server indexes it."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Watch a folder: index it now, and re-index it whenever its files change."""
    settings = get_settings()
    folder, new = add_watched(settings, str(path.expanduser().absolute()))
    console.print(f"{'Watching' if new else 'Already watching'} {escape(folder.path)}.")
    if no_ingest:
        return
    report = ingest_paths(
        [folder.path], settings=settings, progress=Progress() if quiet else RichProgressBars(err)
    )
    _report_table(report)
    _export_query_encoder(settings)


@watch_app.command("list")
def watch_list() -> None:
    """List the watched folders."""
    folders = list_watched(get_settings())
    if not folders:
        console.print("No watched folders: add one with `study watch add PATH`.")
        return
    table = Table(title="Watched folders")
    table.add_column("Folder", overflow="fold")
    table.add_column("Added (UTC)")
    for f in folders:
        note = " [dim](setting)[/]" if f.from_setting else ""
        note += "" if f.exists else " [red](missing)[/]"
        table.add_row(escape(f.path) + note, f.added_at)
    console.print(table)


@watch_app.command("remove")
def watch_remove(
    path: Annotated[Path, typer.Argument(help="A watched folder.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Stop watching a folder and remove its files from the knowledge base."""
    settings = get_settings()
    report = remove_watched(
        settings, str(path.expanduser().absolute()), progress=Progress() if quiet else RichProgressBars(err)
    )
    removed = report.files_removed if report is not None else 0
    console.print(f"Stopped watching {escape(str(path))}; removed {plural(removed, 'file')} from the index.")
