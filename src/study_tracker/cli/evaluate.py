"""``study eval``: retrieval quality and latency of each search mode on a BEIR-format collection."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from study_tracker.cli.app import app
from study_tracker.cli.output import console
from study_tracker.knowledge.eval.beir import evaluate_knowledge_base, load_beir
from study_tracker.knowledge.ingest.pipeline import IngestReport
from study_tracker.knowledge.progress import RichProgressBars


@app.command("eval")
def eval_command(
    folder: Annotated[
        Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.")
    ],
    qrels: Annotated[
        Path | None, typer.Option("--qrels", help="A qrels TSV to use instead of qrels/<split>.tsv.")
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="qrels split (default: test, or the only one present).")
    ] = None,
    modes: Annotated[
        str, typer.Option("--modes", help="Comma-separated search modes.")
    ] = "dense,bm25,hybrid",
    k: Annotated[int, typer.Option("--k", min=1, help="Results per query when timing searches.")] = 10,
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="Keep the evaluation index here (reruns skip embedding); default: a temp dir."
        ),
    ] = None,
) -> None:
    """Ingest a BEIR collection into a scratch knowledge base and print nDCG@10, recall@100,
    MRR@10 and query latency (p50/p95/p99) per search mode."""
    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in wanted if m not in {"dense", "bm25", "hybrid"}]
    if bad or not wanted:
        raise typer.BadParameter(f"--modes takes dense, bm25, hybrid; got {modes!r}.")
    collection = load_beir(folder, split=split, qrels_path=qrels)
    console.print(
        f"{collection.name} ({collection.split}): {len(collection.corpus):,} documents, "
        f"{len(collection.queries):,} judged queries"
    )

    with tempfile.TemporaryDirectory(prefix="study-eval-") as tmp:
        results, report = evaluate_knowledge_base(
            collection, workdir=workdir or Path(tmp), modes=wanted, k=k, progress=RichProgressBars()
        )
    assert isinstance(report, IngestReport)  # typed ``object`` by the evaluation module
    console.print(
        f"ingest: {report.chunks_total:,} chunks, {report.embedded:,} embedded, "
        f"{report.embedded_from_cache:,} from cache, {report.seconds:.1f}s"
    )
    table = Table(title=f"{collection.name} ({collection.split})")
    for col in ("mode", "nDCG@10", "recall@100", "MRR@10", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for r in results:
        table.add_row(
            r.mode,
            *(f"{r.metrics[m]:.4f}" for m in ("ndcg@10", "recall@100", "mrr@10")),
            *(f"{r.latency(p):.1f}" for p in (50, 95, 99)),
        )
    console.print(table)
