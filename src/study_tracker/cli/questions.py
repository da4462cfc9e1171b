"""``study questions``: practice questions generated for a roadmap or a file, and their queue
(list, accept, edit, reject)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from study_tracker import clock
from study_tracker.cli.app import app
from study_tracker.cli.output import bullet, console, err
from study_tracker.cli.tracker import store
from study_tracker.db.models import PracticeQuestion
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.practice.questions import queue
from study_tracker.practice.questions.generate import Request, generate_questions
from study_tracker.wording import plural

questions_app = typer.Typer(
    help="Practice questions generated from your roadmaps and files: generate, then accept, edit or reject.",
    no_args_is_help=True,
)
app.add_typer(questions_app, name="questions")


def _encoder(settings: object) -> Encoder | None:
    try:
        return KnowledgeBase.open(settings).encoder()  # type: ignore[arg-type]
    except KnowledgeError as exc:  # no model: token overlap and lexical support still work
        err.print(f"[yellow]Note:[/] without the embedding model ({exc}); comparing words only.")
        return None


def question_dict(q: PracticeQuestion) -> dict[str, object]:
    return {
        "id": q.id,
        "status": q.status,
        "prompt": q.prompt,
        "key_points": list(q.key_points),
        "type": q.type,
        "kind": q.kind,
        "generator": q.generator,
        "source": q.source,
        "start": q.start,
        "end": q.end,
        "heading_path": list(q.heading_path),
        "topic_key": q.topic_key,
        "edited": q.edited,
    }


def _print(q: PracticeQuestion) -> None:
    where = " > ".join(q.heading_path) or q.source
    console.print(f"[bold]#{q.id}[/] [dim]{q.status} · {q.kind} · {escape(where)}[/]")
    console.print(bullet(q.prompt, marker="?"))
    for k in q.key_points:
        console.print(bullet(k, indent=4))


@questions_app.command("generate")
def generate_cmd(
    roadmap: Annotated[str | None, typer.Option("--roadmap", help="An imported roadmap's slug.")] = None,
    source: Annotated[
        Path | None, typer.Option("--source", help="A file of yours (Markdown, text, HTML, PDF).")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="Write the questions with the configured LLM (STUDY_LLM_BASE_URL).")
    ] = False,
    limit: Annotated[int, typer.Option(help="Queue at most this many questions (1-1000).")] = 200,
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings/--no-embeddings",
            help="Also compare with the packaged embedding model (paraphrased key points, near-duplicates "
            "in other words); slower: it embeds every bundled question. Default: words only.",
        ),
    ] = False,
) -> None:
    """Generate practice questions for a roadmap (--roadmap) or a file (--source) and queue them.

    Each question cites the passage it comes from; key points its passage does not support and
    near-duplicates of existing questions are dropped.
    """
    request = Request(roadmap=roadmap, source=source, use_llm=llm, limit=limit)
    with store() as (session, settings):
        report = generate_questions(
            session=session,
            settings=settings,
            request=request,
            now=clock.now(settings),
            encoder=_encoder(settings) if embeddings else None,
        )
    for notice in report.notices:
        err.print(f"[yellow]Note:[/] {escape(notice)}")
    console.print(
        f"[green]✓[/] {plural(len(report.queued), 'question')} queued from {escape(report.source)} "
        f"({report.generator}): {report.made} made, "
        f"{report.key_points_supported}/{report.key_points} key points supported by their passage, "
        f"{plural(len(report.duplicates), 'near-duplicate')} dropped."
    )
    for q in report.queued:
        _print(q)
    if report.queued:
        console.print(
            "Accept with [bold]study questions accept ID[/], or reject with [bold]study questions reject ID[/]."
        )


@questions_app.command("list")
def list_cmd(
    status: Annotated[str | None, typer.Option(help="queued, accepted or rejected (default: all).")] = None,
    roadmap: Annotated[str | None, typer.Option(help="Only this roadmap's questions (slug).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List generated questions, newest first."""
    with store() as (session, _):
        rows = queue.list_questions(session=session, status=status, roadmap=roadmap)
        if as_json:
            typer.echo(json.dumps([question_dict(q) for q in rows], ensure_ascii=False, indent=2))
            return
        if not rows:
            console.print("No generated questions. Make some with `study questions generate --roadmap SLUG`.")
        for q in rows:
            _print(q)


@questions_app.command("accept")
def accept_cmd(question_id: Annotated[int, typer.Argument(help="The question's id.")]) -> None:
    """Accept a queued question: it joins its roadmap's drills."""
    with store() as (session, settings):
        q = queue.accept(session=session, question_id=question_id, now=clock.now(settings))
        console.print(f"[green]✓[/] Accepted #{q.id}: {escape(q.prompt)}")


@questions_app.command("reject")
def reject_cmd(question_id: Annotated[int, typer.Argument(help="The question's id.")]) -> None:
    """Reject a queued question (it will not be proposed again)."""
    with store() as (session, settings):
        q = queue.reject(session=session, question_id=question_id, now=clock.now(settings))
        console.print(f"Rejected #{q.id}: {escape(q.prompt)}")


@questions_app.command("edit")
def edit_cmd(
    question_id: Annotated[int, typer.Argument(help="The question's id.")],
    prompt: Annotated[str | None, typer.Option(help="The new prompt.")] = None,
    key_point: Annotated[
        list[str] | None,
        typer.Option("--key-point", help="A key point (repeat for each; replaces all key points)."),
    ] = None,
) -> None:
    """Change a queued or accepted question's prompt and/or key points."""
    change = queue.parse_edit(
        {k: v for k, v in {"prompt": prompt, "key_points": key_point}.items() if v is not None}
    )
    with store() as (session, _):
        q = queue.edit(session=session, question_id=question_id, change=change)
        console.print(f"[green]✓[/] Edited #{q.id}.")
        _print(q)
