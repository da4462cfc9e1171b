"""BEIR loading and ranx scoring on small real files."""

from __future__ import annotations

import json

import pytest

from study_tracker.knowledge.evaluate import EvalDataError, load_beir, read_qrels, run_mode, score_run


def write_beir(root, *, qrels="query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td2\t2\r\nq2\td3\t0\r\n", split="test"):
    root.mkdir(parents=True, exist_ok=True)
    docs = [
        {"_id": "d1", "title": "Sleep", "text": "Sleep helps memory consolidation."},
        {"_id": "d2", "title": "", "text": "Binary search halves the interval."},
        {"_id": "d3", "title": "Heaps", "text": "A heap keeps the minimum on top."},
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    queries = [{"_id": "q1", "text": "does sleep help memory"}, {"_id": "q2", "text": "binary search"},
               {"_id": "q3", "text": "unjudged"}]
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (root / "qrels").mkdir(exist_ok=True)
    (root / "qrels" / f"{split}.tsv").write_text(qrels, newline="")
    return root


def test_load_beir_reads_judged_queries_and_drops_zero_grades(tmp_path):
    coll = load_beir(write_beir(tmp_path / "tiny"))
    assert coll.name == "tiny" and coll.split == "test"
    assert set(coll.queries) == {"q1", "q2"}  # q3 has no judgments
    assert coll.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2}}
    assert coll.doc_text("d1") == "Sleep\nSleep helps memory consolidation."
    assert coll.doc_text("d2") == "Binary search halves the interval."


def test_split_is_required_when_ambiguous(tmp_path):
    root = write_beir(tmp_path / "two", split="train")
    (root / "qrels" / "dev.tsv").write_text("q1\td1\t1\n")
    with pytest.raises(EvalDataError, match="choose a split with --split .*dev, train"):
        load_beir(root)
    assert set(load_beir(root, split="dev").queries) == {"q1"}


@pytest.mark.parametrize(
    ("qrels", "message"),
    [
        ("q1\td1\n", r"line 1: expected 3 tab-separated fields, got 2"),
        ("q1\td1\tmany\n", r"line 1: score 'many' is not a number"),
        ("q9\td1\t1\n", r"1 query ids are not in queries.jsonl \(e.g. q9\)"),
    ],
)
def test_malformed_qrels_name_file_and_line(tmp_path, qrels, message):
    root = write_beir(tmp_path / "bad", qrels=qrels)
    with pytest.raises(EvalDataError, match=message):
        load_beir(root)


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(EvalDataError, match="is not a folder"):
        load_beir(tmp_path / "nope")
    root = write_beir(tmp_path / "c")
    (root / "corpus.jsonl").write_text('{"_id": "d1", "text": "ok"}\n{broken\n')
    with pytest.raises(EvalDataError, match=r"corpus.jsonl, line 2: not valid JSON"):
        load_beir(root)
    with pytest.raises(EvalDataError, match="missing"):
        read_qrels(root / "qrels" / "none.tsv")


def test_score_run_matches_hand_computed_metrics():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}}
    run = {"q1": {"d9": 3.0, "d1": 2.0}}  # q1: relevant at rank 2; q2: nothing returned
    m = score_run(qrels, run)
    assert m["mrr@10"] == pytest.approx(0.5 / 2)
    assert m["recall@100"] == pytest.approx(0.5)
    assert m["ndcg@10"] == pytest.approx((1 / 1.5849625) / 2, rel=1e-6)


def test_run_mode_times_each_query(tmp_path):
    coll = load_beir(write_beir(tmp_path / "t"))
    perfect = {"does sleep help memory": {"d1": 1.0}, "binary search": {"d2": 1.0}}
    res = run_mode(coll, lambda q: perfect[q], mode="oracle")
    assert res.metrics["ndcg@10"] == pytest.approx(1.0)
    assert len(res.latencies_ms) == 2 and res.latency(50) >= 0
