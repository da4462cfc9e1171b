"""Knowledge commands: ingest, search, sources (list and remove).

Heavy modules (the engine, numpy, faiss) are imported inside the command bodies so that other
commands start fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from study_tracker.cli.app import app
from study_tracker.cli.output import console, err
from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.embed.base import query_backend, settings_model
from study_tracker.knowledge.embed.onnx import ensure_model_file
from study_tracker.knowledge.ingest.pipeline import IngestReport, ingest_paths
from study_tracker.knowledge.ingest.sources import list_sources, remove_sources
from study_tracker.knowledge.progress import Progress, RichProgressBars
from study_tracker.knowledge.search.knowledge_base import Filters, KnowledgeBase
from study_tracker.wording import plural


def _report_table(report: IngestReport) -> None:
    for note in report.notes:
        console.print(f"[yellow]Note[/]: {note}")
    if report.up_to_date:
        console.print(
            f"[green]Up to date[/]: {plural(report.files_unchanged, 'file')} unchanged, "
            f"{plural(report.chunks_indexed, 'chunk')} indexed ({report.seconds:.1f} s)."
        )
    else:
        files = report.files_new + report.files_changed + report.files_unchanged + report.files_removed
        console.print(
            f"[green]Indexed[/] {plural(files, 'file')}: {report.files_new} new, {report.files_changed} changed, "
            f"{report.files_unchanged} unchanged, {report.files_removed} removed; "
            f"{plural(report.chunks_added, 'new chunk')}, {report.embedded} embedded, "
            f"{report.embedded_from_cache} from the cache; "
            f"{plural(report.documents, 'document')}, {plural(report.chunks_indexed, 'chunk')} in the index "
            f"({report.seconds:.1f} s)."
        )
    if report.skipped or report.warnings:
        table = Table(title="Files skipped or read with warnings", show_lines=False)
        table.add_column("File", overflow="fold")
        table.add_column("Status")
        table.add_column("Why", overflow="fold")
        for path, reason in report.skipped:
            table.add_row(Text(path), Text("skipped", style="red"), Text(reason))
        for path, message in report.warnings:
            table.add_row(Text(path), Text("warning", style="yellow"), Text(message))
        console.print(table)


def _export_query_encoder(settings: Settings) -> None:
    """Export the ONNX query encoder now, while the model is loaded: the web server never exports
    it itself (that would load torch into it), so a search right after this ingest works."""
    if query_backend(settings) != "onnx":
        return

    ensure_model_file(settings_model(settings), settings.knowledge_path)


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders to add (folders are read recursively).")
    ],
    text_field: Annotated[
        str | None,
        typer.Option(
            "--text-field", help="JSON/JSONL field holding the text (STUDY_KNOWLEDGE_JSON_TEXT_FIELD)."
        ),
    ] = None,
    id_field: Annotated[
        str | None, typer.Option("--id-field", help="JSON/JSONL field holding the record id.")
    ] = None,
    title_field: Annotated[
        str | None, typer.Option("--title-field", help="JSON/JSONL field holding the record title.")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Re-read every known source, changed or not.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Add Markdown, text, HTML, PDF, JSON/JSONL and Reddit files to the knowledge base.

    Unchanged files are not read again and cached embeddings are reused; files gone from a
    re-ingested folder are removed. Files that cannot be read are listed with the reason.
    """

    report = ingest_paths(
        paths,
        settings=get_settings(),
        text_field=text_field,
        id_field=id_field,
        title_field=title_field,
        rebuild=rebuild,
        progress=Progress() if quiet else RichProgressBars(err),
    )
    _report_table(report)
    _export_query_encoder(get_settings())
    missing = [p for p, why in report.skipped if why == "no such file or folder"]
    if missing and len(missing) == len(paths):
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    *,
    mode: Annotated[str, typer.Option("--mode", "-m", help="hybrid (default), dense or bm25.")] = "hybrid",
    k: Annotated[int, typer.Option("--k", "-k", help="Number of results.", min=1)] = 10,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="Only results from files at/under this path, or whose path contains it."
        ),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind: markdown, text, html, pdf, json, reddit.")
    ] = None,
    pain_points: Annotated[
        bool | None,
        typer.Option(
            "--pain-points/--no-pain-points", help="Only discussion passages flagged (or not) as pain points."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Search the knowledge base and print the best passages."""

    kb = KnowledgeBase.open(get_settings())
    hits = kb.search(query, mode=mode, k=k, filters=Filters(source=source, kind=kind, pain_point=pain_points))
    if as_json:
        console.print_json(json.dumps([h.to_dict() for h in hits]))
        return
    if not hits:
        console.print("No results.")
        return
    table = Table(title=f"{mode} search: {query}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("Where", overflow="fold", max_width=40)
    table.add_column("Passage", overflow="fold")
    for i, h in enumerate(hits, 1):
        where = " > ".join(h.heading_path) or h.title
        loc = f"{h.source}:{h.start}-{h.end}"
        flags = " [magenta]pain point[/]" if h.pain_point else ""
        passage = h.text if len(h.text) <= 400 else h.text[:400] + " ..."
        table.add_row(
            str(i),
            f"{h.score:.3f}",
            f"[bold]{escape(where)}[/]\n[dim]{escape(loc)}[/]{flags}",
            escape(passage),
        )
    console.print(table)


sources_app = typer.Typer(help="List the ingested sources, or remove one.", no_args_is_help=False)
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context) -> None:
    """List ingested sources with their file, document and chunk counts."""
    if ctx.invoked_subcommand is not None:
        return

    rows = list_sources(get_settings())
    if not rows:
        console.print("No sources yet: add some with `study ingest PATH`.")
        return
    table = Table(title="Knowledge sources")
    table.add_column("Path", overflow="fold")
    table.add_column("Files", justify="right")
    table.add_column("Documents", justify="right")
    table.add_column("Chunks", justify="right")
    table.add_column("Ingested (UTC)")
    for s in rows:
        note = " [dim](bundled)[/]" if s.bundled else ""
        note += " [red](missing)[/]" if not s.exists else ""
        table.add_row(
            escape(s.path) + note, str(s.files), str(s.documents), str(s.chunks), s.ingested_at or ""
        )
    console.print(table)


@sources_app.command("remove")
def sources_remove(
    paths: Annotated[
        list[Path], typer.Argument(help="Ingested files or folders to remove from every index.")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Remove sources (and everything ingested under them) from the knowledge base."""

    report = remove_sources(
        paths, settings=get_settings(), progress=Progress() if quiet else RichProgressBars(err)
    )
    console.print(
        f"Removed {plural(report.files_removed, 'file')}; "
        f"{plural(report.chunks_indexed, 'chunk')} {'remains' if report.chunks_indexed == 1 else 'remain'} "
        "in the index."
    )
