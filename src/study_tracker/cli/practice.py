"""``study grade`` (typed answers graded against key points, JSON lines out) and ``study eval-grading``
(a grader's agreement with gold labels)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from study_tracker.cli.app import app
from study_tracker.cli.output import console
from study_tracker.config import get_settings
from study_tracker.practice.grading.evaluate import GradingReport, evaluate_grading, read_answers
from study_tracker.practice.grading.factory import make_grader

_LLM_HELP = (
    "Grade with the configured LLM (STUDY_LLM_BASE_URL), falling back to the offline grader if it "
    "fails; default: the LLM when one is configured and STUDY_LLM_ENABLED is true."
)


@app.command("grade")
def grade(
    file: Annotated[
        Path, typer.Argument(help='JSONL, one {"prompt": ..., "key_points": [...], "answer": ...} per line.')
    ],
    llm: Annotated[bool | None, typer.Option("--llm/--no-llm", help=_LLM_HELP)] = None,
) -> None:
    """Grade typed answers against their key points: one JSON line per input line, with covered,
    contradicted and missed key points (evidence offsets, reasons) and a suggested grade."""
    settings = get_settings()
    answers = read_answers(file)
    grader = make_grader(settings, use_llm=llm)
    for a in answers:
        typer.echo(json.dumps({"line": a.line, **grader.grade(a.item).to_dict()}, ensure_ascii=False))


@app.command("eval-grading")
def eval_grading(
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL as for `study grade`, plus the gold covered (indices) and grade per line."
        ),
    ],
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="Grade with the configured LLM (default: offline).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List each answer graded differently.")
    ] = False,
) -> None:
    """Report grade agreement (exact, within one), key-point precision/recall/F1 (micro over key
    points) and how many answers labelled `again` were graded good or easy."""
    settings = get_settings()
    answers = read_answers(file, labelled=True)
    report = evaluate_grading(make_grader(settings, use_llm=llm), answers)
    if as_json:
        typer.echo(json.dumps(_figures(report), indent=2))
        return
    console.print(
        _table(report, f"Grading agreement: {file.name} ({report.n} answers, {'LLM' if llm else 'offline'})")
    )
    if verbose:
        for a, r in zip(report.answers, report.results, strict=True):
            if a.grade != r.grade or sorted(a.covered or ()) != r.covered:
                console.print(
                    f"line {a.line}{f' ({a.id})' if a.id else ''}: gold {a.grade} {sorted(a.covered or ())}, "
                    f"graded {r.grade} {r.covered}"
                    + (f", contradicted {r.contradicted}" if r.contradicted else "")
                )


def _figures(report: GradingReport) -> dict[str, object]:
    both, flagged, gold = report.contradictions()
    return {
        "answers": report.n,
        "grade_exact": round(report.exact, 4),
        "grade_within_one": round(report.within_one, 4),
        "key_point_precision": round(report.precision, 4),
        "key_point_recall": round(report.recall, 4),
        "key_point_f1": round(report.f1, 4),
        "labelled_again": report.gold_again,
        "again_graded_good_or_easy": len(report.again_graded_high()),
        "contradictions_flagged": flagged,
        "contradictions_flagged_correctly": both,
        "contradictions_labelled": gold,
        "ms_p50": round(report.latency_ms(50), 1),
        "ms_p95": round(report.latency_ms(95), 1),
    }


def _table(report: GradingReport, title: str) -> Table:
    f = _figures(report)
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("grade exact", f"{report.exact:.1%}")
    table.add_row("grade within one", f"{report.within_one:.1%}")
    table.add_row(
        "key points precision / recall / F1",
        f"{report.precision:.2f} / {report.recall:.2f} / {report.f1:.2f}",
    )
    table.add_row(
        "labelled again, graded good or easy", f"{f['again_graded_good_or_easy']} of {f['labelled_again']}"
    )
    if f["contradictions_labelled"]:
        table.add_row(
            "contradictions flagged (right / flagged / labelled)",
            f"{f['contradictions_flagged_correctly']} / {f['contradictions_flagged']} / {f['contradictions_labelled']}",
        )
    table.add_row("ms per answer p50 / p95", f"{f['ms_p50']} / {f['ms_p95']}")
    return table
