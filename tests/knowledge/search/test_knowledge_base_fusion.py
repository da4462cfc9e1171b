"""Hybrid search ranks with section evidence: its scores are ``fusion.fuse_grouped`` over the two
retrievers' own candidate lists, grouped by section (document + heading path) with
``fusion_section_weight`` (BM25's section evidence from its index over whole sections when
``fusion_section_bm25`` is on), and with BM25's floor at 0 when its list holds every matching chunk
and ``fusion_bm25_zero_floor`` is on."""

from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search import fusion
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import CountingEncoder, WordHashEncoder, kb_settings

SENTENCES = [
    "Raft elects a leader with randomized election timeouts and replicates a log.",
    "Paxos reaches consensus among acceptors; Multi-Paxos keeps a stable leader.",
    "Bloom filters answer membership queries with no false negatives.",
    "LRU caches evict the least recently used entry when full.",
    "Consistent hashing moves few keys when a node joins the ring.",
]
QUERY = "leader election timeouts in consensus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two Markdown files, each with sections long enough to be cut into several chunks, so a
    section groups chunks and a document groups sections."""
    root = tmp_path / "corpus"
    root.mkdir()
    for f in range(2):
        parts = [f"# Notes {f}\n"]
        for sec in range(3):
            body = " ".join(SENTENCES[(f + sec + j) % len(SENTENCES)] for j in range(30))
            parts.append(f"## Part {sec}\n\n{body}\n")
        (root / f"notes{f}.md").write_text("\n".join(parts))
    return root


@pytest.mark.parametrize(
    ("section_weight", "zero_floor", "section_bm25"),
    [(0.0, False, True), (0.5, False, False), (1.0, False, False), (0.5, True, False), (0.5, False, True)],
)
def test_hybrid_scores_are_section_grouped_fusion_of_the_retrievers(
    tmp_path: Path, corpus: Path, section_weight: float, zero_floor: bool, section_bm25: bool
):
    s = kb_settings(
        tmp_path,
        fusion_feedback_chunks=0,
        fusion_section_weight=section_weight,
        fusion_bm25_zero_floor=zero_floor,
        fusion_section_bm25=section_bm25,
    )
    report = ingest_paths([corpus], settings=s, encoder=WordHashEncoder())
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    every = kb.search(QUERY, mode="dense", k=report.chunks_total)  # every chunk, with its place
    section = {h.chunk_id: (h.doc_id, tuple(h.heading_path)) for h in every}
    document = {h.chunk_id: h.doc_id for h in every}
    # the grouping is not moot: sections hold several chunks, documents several sections
    assert len(set(document.values())) < len(set(section.values())) < len(section)
    runs = [kb.retrieve([QUERY], mode=m, k=s.fusion_candidates)[0] for m in ("dense", "bm25")]
    # BM25 found fewer chunks than asked for: with the zero floor, every other chunk scores 0
    assert 0 < len(runs[1]) < s.fusion_candidates
    kw = {
        "doc_weight": section_weight,
        "weights": [s.fusion_dense_weight, s.fusion_bm25_weight],
        "floors": [None, 0.0 if zero_floor else None],
    }
    if section_bm25 and section_weight > 0:  # BM25's section evidence: its index over whole sections
        kw["group_runs"] = [None, kb.retrieve_sections([QUERY], k=s.fusion_candidates)[0]]
        assert set(kw["group_runs"][1]) <= set(section.values())
    expected = fusion.fuse_grouped(runs, section.__getitem__, **kw)
    hits = kb.search(QUERY, mode="hybrid", k=8)
    assert len(hits) == 8
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.chunk_id], abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    if section_weight > 0:  # the unit is the section: grouping by chunk or by file scores differently
        for other in ({c: c for c in section}, document):
            alt = fusion.fuse_grouped(runs, other.__getitem__, **kw)
            assert any(abs(alt[h.chunk_id] - h.score) > 1e-3 for h in hits)
    if section_bm25 and section_weight > 0:  # and the section index is not a no-op here
        pooled = fusion.fuse_grouped(runs, section.__getitem__, **(kw | {"group_runs": None}))
        assert any(abs(pooled[h.chunk_id] - h.score) > 1e-3 for h in hits)
    if zero_floor:  # and the floor is not a no-op here: without it the scores differ
        no_floor = fusion.fuse_grouped(runs, section.__getitem__, **(kw | {"floors": None}))
        assert any(abs(no_floor[h.chunk_id] - h.score) > 1e-3 for h in hits)


def test_section_bm25_credits_a_section_whose_chunks_share_the_query_terms_out(tmp_path: Path):
    # "vector clocks" and "gossip" sit in different chunks of one section, so no chunk holds both;
    # another file says "vector clocks" in every chunk. BM25 over whole sections sees that the
    # first section holds every query term, and hybrid search moves it up against the other.
    root = tmp_path / "corpus"
    root.mkdir()
    filler = " ".join(SENTENCES * 6)
    (root / "split.md").write_text(
        "# Replication\n\n## Anti-entropy\n\n"
        f"Vector clocks order the versions of a key. {filler}\n\n"
        f"{filler} Gossip spreads membership changes between replicas.\n"
    )
    (root / "single.md").write_text(
        "# Clocks\n\n## Ordering\n\n"
        + "\n\n".join(f"Vector clocks order events, take {i}. {filler}" for i in range(2))
        + "\n"
    )
    (root / "other.md").write_text(
        f"# Time\n\n## Wall clocks\n\nWall clocks drift between machines. {filler}\n"
    )
    query = "vector clocks gossip"
    margin = {}
    for section_bm25 in (False, True):
        s = kb_settings(
            tmp_path / str(section_bm25),
            fusion_feedback_chunks=0,
            fusion_section_bm25=section_bm25,
            knowledge_chunk_tokens=256,  # the sizes the texts above were written for
        )
        report = ingest_paths([root], settings=s, encoder=WordHashEncoder())
        kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
        chunks = kb.search(query, mode="bm25", k=report.chunks_total)
        assert not any("gossip" in h.text.lower() and "vector clocks" in h.text.lower() for h in chunks)
        sections = {doc.rsplit("/", 1)[-1]: v for (doc, _), v in kb.retrieve_sections([query])[0].items()}
        assert sections["split.md"] > sections["single.md"] > sections["other.md"]
        best: dict[str, float] = {}
        for h in kb.search(query, mode="hybrid", k=report.chunks_total):
            best.setdefault(h.source.rsplit("/", 1)[-1], h.score)
        margin[section_bm25] = best["split.md"] - best["single.md"]
    assert margin[True] > margin[False] + 0.02


@pytest.mark.parametrize("candidates", [300, 4])  # 4: the dense list is searched deeper than fusion uses
def test_search_with_dense_is_search_plus_the_dense_candidates_from_one_embedding(
    tmp_path: Path, corpus: Path, candidates: int
) -> None:
    s = kb_settings(tmp_path, fusion_candidates=candidates)
    report = ingest_paths([corpus], settings=s, encoder=WordHashEncoder())
    assert report.chunks_indexed > 10
    counting = CountingEncoder(WordHashEncoder())
    kb = KnowledgeBase.open(s, encoder=counting)
    hits, dense = kb.search_with_dense(QUERY, k=3, dense_k=10)
    assert counting.calls == 1
    assert hits == kb.search(QUERY, k=3)
    assert dense == kb.retrieve([QUERY], mode="dense", k=10)[0] and len(dense) == 10
    assert list(dense.values()) == sorted(dense.values(), reverse=True)
    calls = counting.calls
    hits, dense = kb.search_with_dense(QUERY, mode="bm25", k=3)
    assert counting.calls == calls and dense == {} and hits == kb.search(QUERY, mode="bm25", k=3)
