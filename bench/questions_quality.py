"""Generated practice questions on two documents: how many, how well supported, how many duplicates,
and a sample a reader can judge.

    .venv/bin/python bench/questions_quality.py [--guide system-design.md]
        [--roadmap tests/roadmaps/samples/ml-phases.md] [--embeddings] [--sample 10]

A fresh data folder each run: the roadmap is imported (its copy kept, as ``study roadmap import``
does), then questions are generated for the bundled guide (a file) and for the roadmap, without
an LLM. Printed per document: candidates made, key points proposed and the share supported by
their cited passage (checked again on what was queued, against the document's text), questions
dropped for want of a supported key point, near-duplicates (of a bundled track question, or of a
question made earlier in the run) and their rate, and the time taken. Then a table of questions
(prompt and key points) spread over both documents and every kind.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from study_tracker.config import Settings
from study_tracker.content import GUIDES_DIR
from study_tracker.db.engine import session_scope
from study_tracker.db.models import PracticeQuestion
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.practice.questions.generate import GenerationReport, Request, generate_questions
from study_tracker.practice.questions.source import load_source
from study_tracker.practice.questions.support import check_support
from study_tracker.roadmaps import library
from study_tracker.roadmaps.service import import_roadmap
from study_tracker.tracker.startup import prepare

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _figures(name: str, report: GenerationReport, seconds: float) -> list[str]:
    doc = load_source(Path(report.source))
    rechecked = [
        v.supported for q in report.queued for v in check_support(q.key_points, doc.text[q.start : q.end])
    ]
    bundled = sum(1 for d in report.duplicates if not d.of.startswith(("“", "question ")))
    return [
        f"## {name}",
        f"- candidates made: {report.made} ({report.generator}); queued: {len(report.queued)}",
        f"- key points supported by their cited passage: {report.key_points_supported}/{report.key_points} "
        f"({report.support_share:.1%}); questions dropped without one: {report.questions_unsupported}",
        f"- re-checked on the queued questions: {sum(rechecked)}/{len(rechecked)} supported",
        f"- near-duplicates dropped: {len(report.duplicates)} (rate {report.duplicate_rate:.1%}): "
        f"{bundled} of a bundled track question, {len(report.duplicates) - bundled} of a question made "
        "earlier in the run",
        f"- time: {seconds:.2f} s",
    ]


def _sample(rows: list[PracticeQuestion], n: int) -> list[PracticeQuestion]:
    """Up to ``n`` questions, one of each kind first, then evenly spread through the document."""
    picked: list[PracticeQuestion] = []
    for kind in ("definition", "explain", "compare", "list", "llm"):
        picked += [q for q in rows if q.kind == kind][:1]
    rest = [q for q in rows if q not in picked]
    step = max(1, len(rest) // max(1, n - len(picked)))
    picked += rest[::step]
    return sorted(picked[:n], key=lambda q: q.id)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guide", default="system-design.md", help="a bundled guide (file name)")
    ap.add_argument("--roadmap", default=str(ROOT / "tests/roadmaps/samples/ml-phases.md"))
    ap.add_argument("--embeddings", action="store_true", help="compare meanings too (packaged model)")
    ap.add_argument("--sample", type=int, default=10, help="questions in the table")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", index_on_start=False)  # type: ignore[call-arg]
        prepare(settings)
        encoder = KnowledgeBase.open(settings).encoder() if args.embeddings else None
        lines: list[str] = []
        with session_scope(settings.db_url) as session:
            text = Path(args.roadmap).read_text(encoding="utf-8")
            imported = import_roadmap(
                session=session, text=text, source_name=Path(args.roadmap).name, start_date=None,
                slug=None, now=NOW, zone=UTC,
            )  # fmt: skip
            library.save_copy(data_dir=settings.data_dir, slug=imported.slug, text=text)
            reports = []
            for name, request in (
                (f"Bundled guide: {args.guide}", Request(source=GUIDES_DIR / args.guide)),
                (f"Imported roadmap: {Path(args.roadmap).name}", Request(roadmap=imported.slug)),
            ):
                t0 = time.perf_counter()
                report = generate_questions(
                    session=session, settings=settings, request=request, now=NOW, encoder=encoder
                )
                lines += _figures(name, report, time.perf_counter() - t0) + [""]
                reports.append(report)
            # half from the roadmap (or all it has), the rest from the guide
            from_roadmap = _sample(reports[1].queued, min(len(reports[1].queued), args.sample // 2))
            rows = _sample(reports[0].queued, args.sample - len(from_roadmap)) + from_roadmap
        print("\n".join(lines))
        print(f"## {len(rows)} generated questions\n")
        print("| # | kind | prompt | key points |\n|---|---|---|---|")
        for i, q in enumerate(rows, 1):
            points = "; ".join(k.replace("|", "/") for k in q.key_points)
            print(f"| {i} | {q.kind} | {q.prompt.replace('|', '/')} | {points} |")


if __name__ == "__main__":
    main()
