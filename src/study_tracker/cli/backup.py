"""``study backup`` and ``study restore``: verified copies of the data folder and putting one back."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from study_tracker.cli.app import app
from study_tracker.cli.output import console
from study_tracker.config import get_settings
from study_tracker.db.engine import setup_lock, sqlite_path
from study_tracker.errors import Unavailable
from study_tracker.tracker import backups
from study_tracker.tracker.startup import prepare


def _size(n: int) -> str:
    """Bytes in the largest unit that keeps the number at or above 1 (B, KB, MB, GB)."""
    size, unit = float(n), "B"
    for bigger in ("KB", "MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.0f} B" if unit == "B" else f"{size:.1f} {unit}"


@app.command()
def backup() -> None:
    """Write a verified backup (database copy, JSON export, config files) to <data_dir>/backups.

    Works while a config.json is invalid (the files are copied as they are). Backups made this way
    are never thinned; automatic ones are (see STUDY_BACKUP_KEEP_*).
    """
    settings = get_settings()
    prepare(settings, config_files=False, auto_backup=False)
    written = backups.make_backup(settings, kind="manual")
    verified = " (database copy verified)" if sqlite_path(settings.db_url) else ""
    console.print(f"Backup written to {written.backup.path}{verified}.")
    if written.note:
        console.print(f"[yellow]Note:[/] {written.note}.")


@app.command()
def restore(
    name: Annotated[
        str | None, typer.Argument(help="Backup to restore (a name from the list); none lists them.")
    ] = None,
) -> None:
    """List the backups, or restore one: it is checked first, and the current database is backed up.

    Stop `study serve` first (or restart it afterwards): a running server keeps the old file open.
    """
    settings = get_settings()
    if sqlite_path(settings.db_url) is None:
        raise Unavailable(
            f"{backups.PG_NOTE}: restore with pg_restore, or load an export with `study import --replace FILE`"
        )
    if name is None:
        found = backups.list_backups(settings)
        if not found:
            console.print(f"No backups in {backups.backups_folder(settings)} yet: `study backup` writes one.")
            return
        table = Table(
            "backup", "date", "kind", "size", "verified", title=str(backups.backups_folder(settings))
        )
        for b in found:
            mark = {True: "[green]yes[/]", False: f"[red]no[/] {b.detail}", None: "not checked"}[b.verified]
            when = b.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            table.add_row(b.name, when, b.kind, _size(b.size_bytes), mark)
        console.print(table)
        console.print("Restore one with: study restore NAME")
        return
    with setup_lock(settings.db_url):
        done = backups.restore(settings, name)
    console.print(
        f"[green]✓[/] Restored {done.restored.name} ({done.restored.created_at.astimezone():%Y-%m-%d %H:%M})."
    )
    if done.saved is not None:
        console.print(f"  The database as it was is kept in {done.saved.path}.")
    console.print("  Restart `study serve` if it is running.")
