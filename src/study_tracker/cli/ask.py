"""``study ask`` (a grounded answer with citations) and ``study eval-qa`` (answer quality on a QA file)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from study_tracker.cli.app import app
from study_tracker.cli.output import WordStream, console, err
from study_tracker.config import get_settings
from study_tracker.knowledge.answer.flow import Turn, choose_llm, stream_answer
from study_tracker.knowledge.eval.qa import evaluate_qa, load_qa
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

EXCERPT_CHARS = 420  # passage text shown per source, around the highlighted span


def _cited_text(text: str) -> Text:
    """The answer with its [n] markers styled."""
    out = Text(text)
    for m in re.finditer(r"\[\d+\]", text):
        out.stylize("bold cyan", m.start(), m.end())
    return out


def _excerpt(source: dict[str, Any]) -> Text:
    """The passage (or a window of it around the cited spans), with the spans highlighted."""
    text, spans = source["text"], source["spans"]
    lo, hi = 0, len(text)
    if len(text) > EXCERPT_CHARS:
        if spans:
            first, last = spans[0][0], spans[-1][1]
            pad = max(0, (EXCERPT_CHARS - (last - first)) // 2)
            lo, hi = max(0, first - pad), min(len(text), max(last + pad, first + EXCERPT_CHARS))
        else:
            hi = EXCERPT_CHARS
    out = Text(("... " if lo else "") + text[lo:hi] + (" ..." if hi < len(text) else ""))
    shift = 4 if lo else 0
    for s, e in spans:
        s, e = max(s, lo), min(e, hi)
        if e > s:
            out.stylize("bold yellow", s - lo + shift, e - lo + shift)
    return out


def _print_sources(sources: list[dict[str, Any]]) -> None:
    if not sources:
        return
    table = Table(title="Sources", show_lines=True, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Where", overflow="fold", max_width=42)
    table.add_column("Passage (cited sentences highlighted)", overflow="fold")
    for s in sources:
        where = " > ".join(s["heading_path"]) or s["title"]
        loc = f"{s['source']}:{s['start']}-{s['end']}"
        num = f"[bold cyan]{s['n']}[/]" if s["cited"] else f"[dim]{s['n']}[/]"
        table.add_row(num, f"[bold]{escape(where)}[/]\n[dim]{escape(loc)}[/]", _excerpt(s))
    console.print(table)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in your own words.")],
    llm: Annotated[
        bool | None,
        typer.Option(
            "--llm/--no-llm",
            help="Answer with the configured LLM (STUDY_LLM_BASE_URL) or extractively; default: the LLM "
            "when one is configured and STUDY_LLM_ENABLED is true.",
        ),
    ] = None,
    k: Annotated[
        int | None,
        typer.Option("--k", "-k", min=1, max=50, help="Passages to retrieve (default STUDY_ASK_K)."),
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option(
            "--previous", help="The previous question, so a follow-up ('and how is it tested?') is rewritten."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer and its sources as JSON.")
    ] = False,
) -> None:
    """Answer a question from the knowledge base, citing the passages it comes from.

    Without an LLM the answer is made of the passage sentences that best answer it; with one, the
    LLM's reply streams as it arrives and its citations are checked. Sources are listed below.
    """

    settings = get_settings()
    history = [Turn(previous)] if previous and previous.strip() else []
    done: dict[str, Any] = {}
    stream = WordStream(console)  # pieces break words anywhere: print whole words, wrapped
    config = choose_llm(settings, llm)
    kb = KnowledgeBase.open(settings)
    for event in stream_answer(kb, question, k=k, history=history, llm=config, settings=settings):
        kind = event["type"]
        if as_json:
            if kind == "done":
                done = event["answer"]
            continue
        if kind == "query" and event["rewritten"]:
            console.print(f"[dim]Follow-up rewritten as:[/] [italic]{escape(event['query'])}[/]")
        elif kind == "notice":
            stream.close()
            err.print(f"[yellow]Note:[/] {escape(event['text'])}", soft_wrap=True)
        elif kind == "delta" and config is not None:
            # LLM pieces are shown as they arrive; the checked answer replaces them at the end
            # only if it differs (citations dropped or an extractive fallback).
            stream.feed(event["text"])
        elif kind == "done":
            done = event["answer"]
    if as_json:
        console.print_json(json.dumps(done))
        return
    stream.close()
    if config is None or done["mode"] != "llm" or done["dropped_citations"]:
        if done["mode"] == "llm":
            console.print("[dim]Checked answer:[/]")
        console.print(_cited_text(done["text"]))  # wrapped by Rich, between words
    _print_sources(done["sources"])


@app.command("eval-qa")
def eval_qa(
    file: Annotated[
        Path,
        typer.Argument(help='JSONL, one {"question": ..., "source": "file.md", "phrases": [...]} per line.'),
    ],
    k: Annotated[
        int | None,
        typer.Option("--k", "-k", min=1, max=50, help="Passages per answer (default STUDY_ASK_K)."),
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="Answer with the configured LLM (default: extractive).")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List each question that missed.")] = False,
) -> None:
    """Report source hit@1/hit@3 and how often the answer contains an expected phrase."""

    settings = get_settings()
    items = load_qa(file)
    config = choose_llm(settings, llm)
    kb = KnowledgeBase.open(settings)
    report = evaluate_qa(kb, items, k=k, llm=config, settings=settings)
    n = len(report.results)
    table = Table(title=f"QA evaluation: {file.name} ({n} questions, {'LLM' if config else 'extractive'})")
    for col in ("metric", "value", "count"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    table.add_row("source hit@1", f"{report.hit_at_1:.1%}", f"{round(report.hit_at_1 * n)}/{n}")
    table.add_row("source hit@3", f"{report.hit_at_3:.1%}", f"{round(report.hit_at_3 * n)}/{n}")
    m = report.with_phrases
    table.add_row("answer has a phrase", f"{report.phrase_rate:.1%}", f"{round(report.phrase_rate * m)}/{m}")
    table.add_row("nothing relevant", "", f"{report.nothing_relevant}/{n}")
    table.add_row("answer p50 / p95 ms", f"{report.latency(50):.1f} / {report.latency(95):.1f}", "")
    console.print(table)
    if verbose and report.failures():
        fails = Table(title="Misses", show_lines=True, title_justify="left")
        fails.add_column("line", justify="right")
        fails.add_column("question", overflow="fold")
        fails.add_column("expected", overflow="fold")
        fails.add_column("rank", justify="right")
        fails.add_column("top documents", overflow="fold")
        fails.add_column("answer (phrase missing)", overflow="fold")
        for r in report.failures():
            docs = "\n".join(f"{i}. {Path(d).name}" for i, d in enumerate(r.documents, 1))
            missed = r.rank is None or r.rank > 3
            fails.add_row(
                str(r.item.line),
                escape(r.item.question),
                ("[red]" if missed else "") + escape(", ".join(r.item.sources)) + ("[/]" if missed else ""),
                str(r.rank) if r.rank else "-",
                escape(docs),
                escape(r.answer[:300]) if r.phrase_hit is False else "[dim]ok[/]",
            )
        console.print(fails)
