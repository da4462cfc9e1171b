"""Reddit data through ingest: kind, metadata, boilerplate, pain-point flags and filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import zstandard

from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest import painpoints  # noqa: E402
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings

RECORDS = [
    {
        "id": "p1",
        "subreddit": "cscareerquestions",
        "title": "I keep failing system design interviews",
        "selftext": "I am so frustrated. I have no idea how to prepare for the design round and I am stuck.",
        "score": 120,
        "permalink": "/r/cscareerquestions/comments/p1/x/",
    },
    {
        "id": "c1",
        "subreddit": "cscareerquestions",
        "body": "Congrats on getting interviews at all! Read DDIA.",
        "link_id": "t3_p1",
        "parent_id": "t3_p1",
        "score": 40,
    },
    {
        "id": "c2",
        "subreddit": "cscareerquestions",
        "body": "Same here, I can't figure out how to estimate QPS and it is so discouraging.",
        "link_id": "t3_p1",
        "parent_id": "t3_p1",
        "score": 12,
    },
    {"id": "c3", "subreddit": "cscareerquestions", "body": "[deleted]", "link_id": "t3_p1", "score": 1},
    {
        "id": "c4",
        "subreddit": "cscareerquestions",
        "body": "Your comment was removed.\n\n*I am a bot, and this action was performed automatically.*",
        "link_id": "t3_p1",
        "score": 1,
        "author": "AutoModerator",
    },
    {
        "id": "p2",
        "subreddit": "MachineLearning",
        "title": "Feature store recommendations",
        "selftext": "Feast serves our online features from Redis.",
        "score": 8,
    },
]


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    p = tmp_path / "reddit" / "RS_mix.ndjson.zst"
    p.parent.mkdir()
    raw = "\n".join(json.dumps(r) for r in RECORDS).encode()
    p.write_bytes(zstandard.ZstdCompressor().compress(raw))
    return p


def test_reddit_documents_flags_and_filters(tmp_path: Path, dump: Path) -> None:
    s = kb_settings(tmp_path)
    report = ingest_paths([dump], settings=s, encoder=WordHashEncoder())
    assert report.skipped == [] and report.documents == 5  # c3 ([deleted]) dropped
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    hits = kb.search("interviews design QPS feast removed", mode="bm25", k=20, filters={"kind": "reddit"})
    by_id = {h.doc_id: h for h in hits}
    assert set(by_id) <= {"t3_p1", "t1_c1", "t1_c2", "t1_c4", "t3_p2"}
    post = by_id["t3_p1"]
    assert post.meta["subreddit"] == "cscareerquestions" and post.meta["post_id"] == "p1"
    assert post.meta["score"] == 120 and post.meta["permalink"].startswith("https://www.reddit.com/r/")
    assert by_id["t1_c2"].heading_path == ["I keep failing system design interviews"]
    assert "I am a bot" not in by_id.get("t1_c4", post).text
    # The stored flag is the detector's verdict; a comment does not inherit its post's pain.
    assert post.pain_point and by_id["t1_c2"].pain_point
    assert not by_id["t1_c1"].pain_point
    flagged = kb.search("interviews design QPS feast", mode="bm25", k=20, filters={"pain_point": True})
    assert flagged and all(h.pain_point for h in flagged)
    assert {h.doc_id for h in flagged} >= {"t3_p1", "t1_c2"}
    calm = kb.search("interviews design QPS feast", mode="bm25", k=20, filters={"pain_point": False})
    assert "t3_p2" in {h.doc_id for h in calm} and not any(h.pain_point for h in calm)


def test_pain_flags_match_the_detector_for_every_chunk(tmp_path: Path, dump: Path) -> None:
    s = kb_settings(tmp_path)
    ingest_paths([dump], settings=s, encoder=WordHashEncoder())
    gen = KnowledgeStore(s.knowledge_path).require_current()
    db = connect_catalog(gen.catalog_path, readonly=True)
    rows = db.execute(
        'SELECT c.pain, substr(d.text, c.start + 1, c."end" - c.start), d.meta, d.title FROM chunks c '
        "JOIN documents d ON d.id = c.document"
    ).fetchall()
    db.close()
    assert rows
    for pain, passage, meta, title in rows:
        text = f"{title}\n{passage}" if json.loads(meta)["reddit_type"] == "post" else passage
        assert bool(pain) == painpoints.is_pain_point(text), passage
