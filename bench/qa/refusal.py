"""False refusals and false answers of Ask over a learner's own documents (not the bundled guides).

    STUDY_DATA_DIR=/tmp/refusal nice -n 10 .venv/bin/python bench/qa/refusal.py [--half tune|report|all]

Indexes the bundled guides and ``bench/qa/docs/`` (four short study plans written for this
bench) into the data folder, then asks every question of ``bench/qa/refusal_qa.jsonl``:
answerable ones (with the document and phrases that answer them) and off-topic ones. A false
refusal is an answerable question answered "nothing relevant"; a false answer is an off-topic
question answered at all. Also prints each question's two signals (best dense cosine, share of
its topic words in the top passages), which is how ``ask_floor_score`` and ``ask_min_coverage``
were chosen on the "tune" half; the "report" half was left alone until then.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from study_tracker.config import get_settings
from study_tracker.knowledge.answer.flow import answer_question
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import ensure_bundled_indexed
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

HERE = Path(__file__).parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--half", choices=["tune", "report", "all"], default="all")
    ap.add_argument("--no-guides", action="store_true", help="index the four plans alone (quick look)")
    args = ap.parse_args()
    settings = get_settings()
    if not args.no_guides:
        ensure_bundled_indexed(settings, wait=True)
    ingest_paths([HERE / "docs"], settings=settings)
    kb = KnowledgeBase.open(settings)
    rows = [json.loads(line) for line in (HERE / "refusal_qa.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if args.half in ("all", r["half"])]
    false_refusals, false_answers, phrase_misses = [], [], []
    print("| answered | answerable | cosine | coverage | question |")
    print("|---|---|---|---|---|")
    for r in rows:
        a = answer_question(kb, r["question"])
        answered = a.mode != "none"
        print(f"| {answered} | {r['answerable']} | {a.best_score:.3f} | {a.coverage:.2f} | {r['question']} |")
        if r["answerable"] and not answered:
            false_refusals.append(r["question"])
        elif not r["answerable"] and answered:
            false_answers.append(r["question"])
        elif answered:
            text = " ".join(a.text.split()).lower()
            if not any(p.lower() in text for p in r["phrases"]):
                phrase_misses.append((r["question"], a.text[:160]))
    n_ans = sum(r["answerable"] for r in rows)
    print(f"\nhalf: {args.half}; {n_ans} answerable, {len(rows) - n_ans} off-topic")
    print(f"false refusals: {len(false_refusals)}/{n_ans} {false_refusals}")
    print(f"false answers:  {len(false_answers)}/{len(rows) - n_ans} {false_answers}")
    print(f"answers without an expected phrase: {len(phrase_misses)}/{n_ans - len(false_refusals)}")
    for q, text in phrase_misses:
        print(f"  - {q}: {text!r}")


if __name__ == "__main__":
    main()
