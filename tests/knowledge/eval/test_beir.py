"""BEIR loading and ranx scoring on small real files."""

from __future__ import annotations

import json

import pytest

from study_tracker.knowledge.eval.beir import EvalDataError, load_beir, read_qrels, run_mode, score_run


def write_beir(
    root, *, qrels="query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td2\t2\r\nq2\td3\t0\r\n", split="test"
):
    root.mkdir(parents=True, exist_ok=True)
    docs = [
        {"_id": "d1", "title": "Sleep", "text": "Sleep helps memory consolidation."},
        {"_id": "d2", "title": "", "text": "Binary search halves the interval."},
        {"_id": "d3", "title": "Heaps", "text": "A heap keeps the minimum on top."},
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    queries = [
        {"_id": "q1", "text": "does sleep help memory"},
        {"_id": "q2", "text": "binary search"},
        {"_id": "q3", "text": "unjudged"},
    ]
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


def write_topics(root):
    """Six documents on distinct topics and three questions with one right answer each."""
    docs = {
        "sleep": (
            "Sleep and memory",
            "Sleep after studying consolidates memories; students who slept recalled more.",
        ),
        "bsearch": (
            "Binary search",
            "Binary search halves a sorted interval each step, so it takes logarithmic time.",
        ),
        "heap": ("Heaps", "A binary heap keeps the smallest element at the root; push and pop cost log n."),
        "dropout": ("Dropout", "Dropout randomly zeroes activations during training to reduce overfitting."),
        "tcp": ("TCP handshake", "TCP opens a connection with SYN, SYN-ACK and ACK packets."),
        "btree": ("B-trees", "Databases index rows with B-trees whose wide nodes limit disk reads."),
    }
    root.mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in docs.items())
    )
    qs = {
        "q1": "why does sleeping help me remember",
        "q2": "logarithmic search in a sorted array",
        "q3": "regularisation by zeroing activations",
    }
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": k, "text": v}) + "\n" for k, v in qs.items())
    )
    (root / "qrels").mkdir()
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\tsleep\t1\nq2\tbsearch\t1\nq3\tdropout\t1\n"
    )
    return root


@pytest.mark.model
def test_eval_command_runs_every_mode_through_the_product(tmp_path):
    from typer.testing import CliRunner

    from study_tracker.cli import evaluate as _evaluate  # noqa: F401  (registers `study eval`)
    from study_tracker.cli.app import app

    root = write_topics(tmp_path / "topics")
    result = CliRunner().invoke(app, ["eval", str(root), "--workdir", str(tmp_path / "work")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "6 documents, 3 judged queries" in out
    for mode in ("dense", "bm25", "hybrid"):
        assert mode in out
    # every question has one obvious answer: each mode ranks it first
    rows = [line for line in out.splitlines() if line.strip("│ ").startswith(("dense", "bm25", "hybrid"))]
    assert len(rows) == 3
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert float(cells[1]) == pytest.approx(1.0), row  # nDCG@10
        assert float(cells[3]) == pytest.approx(1.0), row  # MRR@10


def test_eval_command_names_a_bad_folder(tmp_path):
    from typer.testing import CliRunner

    from study_tracker.cli import evaluate as _evaluate  # noqa: F401
    from study_tracker.cli.app import app

    result = CliRunner().invoke(app, ["eval", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output
    result = CliRunner().invoke(app, ["eval", str(tmp_path), "--modes", "dense,colbert"])
    assert result.exit_code != 0
    assert "--modes takes dense, bm25, hybrid" in result.output


def test_duplicates_pairs_identical_documents(tmp_path):
    root = write_beir(tmp_path / "dup")
    with (root / "corpus.jsonl").open("a") as f:
        f.write(
            json.dumps({"_id": "d1copy", "title": "Sleep", "text": "Sleep helps memory consolidation."})
            + "\n"
        )
    coll = load_beir(root)
    assert coll.duplicates() == {"d1": ["d1copy"], "d1copy": ["d1"]}
