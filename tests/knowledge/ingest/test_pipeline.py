"""Ingest bookkeeping: change detection, the cache, removal, bad input, rebuilds, atomic swaps.

These use a bag-of-words encoder (``WordHashEncoder``) so they run in seconds; the real model is
exercised end to end in ``test_search_model.py`` and ``test_kill.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from study_tracker.errors import IndexMismatch, IngestBusy, InvalidQuery, SourceNotFound
from study_tracker.knowledge.embed.base import packaged_model_path, resolve_model
from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import (
    bundled_guides_path,
    ensure_bundled_indexed,
    list_sources,
    remove_sources,
)
from study_tracker.knowledge.ingest.stages import section_texts
from study_tracker.knowledge.search.knowledge_base import Filters, KnowledgeBase
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings, make_pdf


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "caching.md").write_text(
        "# Caching\n\n## Eviction\n\nLRU evicts the least recently used entry first.\n\n"
        "## Write policies\n\nWrite-through updates the store and the cache together.\n"
    )
    (root / "sub" / "queues.txt").write_text(
        "Kafka partitions give ordering per key.\n\nConsumers form groups.\n"
    )
    (root / "page.html").write_text(
        "<html><title>Bloom</title><body><h1>Bloom filters</h1><p>No false negatives.</p></body></html>"
    )
    (root / "records.jsonl").write_text(
        json.dumps({"id": "r1", "title": "Raft", "text": "Raft elects a leader with randomized timeouts."})
        + "\n"
    )
    return root


def ingest(paths, settings, enc=None, **kw):
    return ingest_paths(paths, settings=settings, encoder=enc or WordHashEncoder(), **kw)


def test_ingest_then_search_every_mode(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    enc = WordHashEncoder()
    report = ingest([corpus], s, enc)
    assert report.files_new == 4 and report.skipped == [] and report.documents == 4
    assert report.embedded == report.chunks_indexed == enc.encoded
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    for mode in ("bm25", "dense", "hybrid"):
        hit = kb.search("least recently used eviction", mode=mode, k=3)[0]
        assert hit.source == str(corpus / "caching.md"), mode
        assert hit.heading_path == ["Caching", "Eviction"]
        assert hit.text == "LRU evicts the least recently used entry first."
        original = (corpus / "caching.md").read_text()
        assert original[hit.start : hit.end] == hit.text
        assert hit.kind == "markdown" and hit.title == "Caching" and hit.chunk_id == f"{hit.doc_id}#0"
        assert hit.context_before.endswith("## Eviction\n\n")
    raft = kb.search("leader election timeouts", k=1)[0]
    assert raft.doc_id == "r1" and raft.heading_path == ["Raft"] and raft.kind == "json"
    (run,) = kb.retrieve(["leader election timeouts"], mode="bm25", k=5)
    assert max(run, key=run.get) == "r1#0" and kb.doc_id("r1#0") == "r1"
    (dense_run,) = kb.retrieve(["leader election timeouts"], mode="dense", k=100)
    assert (
        len(dense_run) == report.chunks_indexed
        and -1.0 <= min(dense_run.values()) <= max(dense_run.values()) <= 1.0
    )
    assert kb.batch_search(["kafka ordering", "bloom"], k=2) == [
        kb.search("kafka ordering", k=2),
        kb.search("bloom", k=2),
    ]
    assert kb.search("   ") == []


def test_search_validates_mode_k_and_filters(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    with pytest.raises(InvalidQuery, match="mode must be one of"):
        kb.search("x", mode="fuzzy")
    with pytest.raises(InvalidQuery, match="k must be"):
        kb.search("x", k=0)
    with pytest.raises(InvalidQuery, match="kind must be one of"):
        kb.search("x", filters={"kind": "video"})
    with pytest.raises(InvalidQuery, match="Unknown filter"):
        kb.search("x", filters={"colour": "red"})


def test_filters_by_kind_and_source(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    hits = kb.search("partitions cache leader bloom", mode="hybrid", k=10, filters=Filters(kind="text"))
    assert hits and {h.kind for h in hits} == {"text"}
    hits = kb.search("partitions cache leader bloom", k=10, filters={"source": str(corpus / "sub")})
    assert hits and all(h.source.startswith(str(corpus / "sub")) for h in hits)
    hits = kb.search("partitions cache leader bloom", mode="bm25", k=10, filters={"source": "page.html"})
    assert [h.kind for h in hits] == ["html"]


def test_unchanged_corpus_embeds_nothing_and_changed_file_only_its_changed_chunks(
    tmp_path: Path, corpus: Path
) -> None:
    s = kb_settings(tmp_path)
    first = ingest([corpus], s)
    enc = WordHashEncoder()
    again = ingest([corpus], s, enc)
    assert again.up_to_date and enc.encoded == 0 and again.files_unchanged == 4
    # Touch without changing: hashed, found identical, nothing embedded, still the same index content.
    os.utime(corpus / "caching.md", ns=(1, 1))
    touched = ingest([corpus], s, enc)
    assert enc.encoded == 0 and touched.files_changed == 0 and touched.chunks_indexed == first.chunks_indexed
    # Change one of the two sections: one chunk re-embedded, the other comes from the cache.
    md = (corpus / "caching.md").read_text().replace("together.", "together, then acknowledges.")
    (corpus / "caching.md").write_text(md)
    changed = ingest([corpus], s, enc)
    assert changed.files_changed == 1 and changed.files_unchanged == 3
    assert changed.embedded == 1 and enc.encoded == 1 and changed.embedded_from_cache == 1
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert "acknowledges" in kb.search("acknowledges", mode="bm25", k=1)[0].text


def test_deleted_file_leaves_every_index(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert kb.search("Kafka consumers groups", mode="bm25", k=1)[0].source.endswith("queues.txt")
    (corpus / "sub" / "queues.txt").unlink()
    report = ingest([corpus], s)
    assert report.files_removed == 1
    for mode in ("bm25", "dense", "hybrid"):
        assert all(
            not h.source.endswith("queues.txt") for h in kb.search("Kafka consumers groups", mode=mode, k=10)
        )
    dense = kb.retrieve(["Kafka consumers groups"], mode="dense", k=100)[0]
    assert all("queues" not in cid for cid in dense)


def test_bad_input_folder_ingests_the_rest_and_names_each_skipped_file(tmp_path: Path) -> None:
    root = tmp_path / "messy"
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nConsistent hashing spreads keys over a ring.\n")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    (root / "blob.bin").write_bytes(os.urandom(4096))
    (root / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (root / "latin1.txt").write_bytes(b"Cr\xe8me br\xfbl\xe9e is a dessert about caramel.")
    (root / "empty.txt").write_bytes(b"")
    with open(root / "huge.txt", "wb") as f:  # 200 MB without writing 200 MB: a sparse file
        f.truncate(200 * 1024 * 1024)
    (root / "mixed.jsonl").write_text(
        '{"text": "Vector clocks order events."}\n{oops\n{"text": "Gossip spreads state."}\n'
    )
    (root / "gone.md").symlink_to(root / "nowhere.md")  # unreadable: the file it names does not exist
    locked = root / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    (root / "paper.pdf").write_bytes(make_pdf(["Paxos needs a majority quorum."]))
    s = kb_settings(tmp_path)
    try:
        report = ingest([root], s)
    finally:
        locked.chmod(0o644)
    skipped = dict(report.skipped)
    assert skipped[str(root / "corrupt.pdf")].startswith("corrupt PDF")
    assert skipped[str(root / "blob.bin")] == "unsupported file type .bin"
    assert skipped[str(root / "photo.md")] == "binary content (not text)"
    assert skipped[str(root / "empty.txt")] == "empty file"
    assert skipped[str(root / "huge.txt")].startswith("too large: 209.7 MB is over the 52 MB limit")
    assert skipped[str(root / "gone.md")] == "cannot read: No such file or directory"
    if os.geteuid() != 0:  # root reads a mode-000 file anyway
        assert skipped[str(locked)].startswith("cannot read: Permission denied")
    warnings = dict(report.warnings)
    assert warnings[str(root / "latin1.txt")] == "invalid UTF-8: 3 byte(s) replaced with U+FFFD"
    assert "1 malformed JSON line(s) skipped (line 2)" in warnings[str(root / "mixed.jsonl")]
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    for query, source in [
        ("consistent hashing ring", "good.md"),
        ("caramel dessert", "latin1.txt"),
        ("vector clocks", "mixed.jsonl"),
        ("gossip", "mixed.jsonl"),
        ("paxos majority quorum", "paper.pdf"),
    ]:
        assert kb.search(query, mode="bm25", k=1)[0].source == str(root / source), query


def test_a_file_that_turns_bad_keeps_its_previous_version(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "notes.pdf").write_bytes(make_pdf(["Backpressure protects slow consumers."]))
    s = kb_settings(tmp_path)
    ingest([root], s)
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = ingest([root], s)
    assert report.skipped[0][1].endswith("(previous version kept)")
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert kb.search("backpressure", mode="bm25", k=1)[0].source == str(root / "notes.pdf")


def test_exact_duplicates_are_indexed_once(tmp_path: Path) -> None:
    root = tmp_path / "dups"
    root.mkdir()
    text = "# Same\n\nIdempotency keys make retries safe.\n"
    (root / "a.md").write_text(text)
    (root / "b.md").write_text(text)
    s = kb_settings(tmp_path)
    report = ingest([root], s)
    assert report.chunks_total == 2 and report.chunks_indexed == 1
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert len(kb.search("idempotency retries", mode="bm25", k=5)) == 1
    remove_sources([root / "a.md"], settings=s)  # the other copy takes over
    assert kb.search("idempotency retries", mode="bm25", k=5)[0].source == str(root / "b.md")


def test_sources_list_and_remove(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    other = tmp_path / "other.md"
    other.write_text("# Other\n\nSpeculative decoding drafts tokens.\n")
    ingest([corpus, other], s)
    rows = {r.path: r for r in list_sources(s)}
    assert rows[str(corpus)].files == 4 and rows[str(other)].files == 1 and rows[str(other)].chunks == 1
    report = remove_sources([corpus], settings=s)
    assert report.files_removed == 4
    assert [r.path for r in list_sources(s)] == [str(other)]
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert [h.source for h in kb.search("kafka caching raft speculative", mode="bm25", k=10)] == [str(other)]
    with pytest.raises(SourceNotFound, match="not an ingested source"):
        remove_sources([tmp_path / "never"], settings=s)


def test_json_field_options_are_remembered(tmp_path: Path) -> None:
    p = tmp_path / "posts.jsonl"
    p.write_text(json.dumps({"key": "x1", "headline": "Sharding", "content": "Shard by tenant id."}) + "\n")
    s = kb_settings(tmp_path)
    report = ingest([p], s, text_field="content", id_field="key", title_field="headline")
    assert report.skipped == []
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    hit = kb.search("tenant", mode="bm25", k=1)[0]
    assert (hit.doc_id, hit.title, hit.text) == ("x1", "Sharding", "Shard by tenant id.")
    # A rebuild (here: chunk size changed) re-reads the file with the options it was added with.
    s2 = kb_settings(tmp_path, knowledge_chunk_tokens=200)
    rebuilt = ingest([], s2)
    assert rebuilt.files_new == 1 and rebuilt.skipped == []


def test_another_chunker_setting_or_model_forces_a_rebuild(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    s2 = kb_settings(tmp_path, knowledge_chunk_tokens=200)
    with pytest.raises(IndexMismatch, match="chunk_tokens"):
        KnowledgeBase.open(s2, encoder=WordHashEncoder()).search("x")
    report = ingest([], s2)
    assert report.files_new == 4 and not report.up_to_date
    assert KnowledgeStore(s2.knowledge_path).require_current().meta()["chunk_tokens"] == 200
    assert KnowledgeBase.open(s2, encoder=WordHashEncoder()).search("raft leader", k=1)


def test_a_killed_run_leaves_a_stale_folder_that_the_next_run_removes(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    store = KnowledgeStore(s.knowledge_path)
    live = store.pointer()
    stale = s.knowledge_path / "gen-000099"
    (stale / "bm25").mkdir(parents=True)
    (stale / "catalog.sqlite").write_bytes(b"half written")
    assert store.pointer() == live  # a half-written folder is never live
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert kb.search("raft", mode="bm25", k=1)
    (corpus / "new.md").write_text("# New\n\nQuorum reads see the latest write.\n")
    ingest([corpus], s)
    assert not stale.exists() and store.pointer() != live
    # The open KnowledgeBase picks up the new generation on its next query.
    assert kb.search("quorum reads", mode="bm25", k=1)[0].source.endswith("new.md")


def test_a_second_ingest_waits_or_fails_fast(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    with KnowledgeStore(s.knowledge_path).lock(), pytest.raises(IngestBusy, match="Another ingest"):
        ingest([corpus], s, lock_timeout=0)


def test_ensure_bundled_indexed(tmp_path: Path) -> None:
    assert any(bundled_guides_path().glob("*.md"))
    s = kb_settings(tmp_path)
    report = ensure_bundled_indexed(s, encoder=WordHashEncoder())
    assert report is not None and report.files_new >= 1 and report.skipped == []
    assert [r.bundled for r in list_sources(s)] == [True]
    assert ensure_bundled_indexed(s, encoder=WordHashEncoder()).up_to_date


def test_another_embedding_model_forces_a_rebuild(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    ingest([corpus], s)
    other = tmp_path / "other-model"
    other.mkdir()
    for f in packaged_model_path().iterdir():  # same weights, another config: another model id
        (other / f.name).symlink_to(f)
    (other / "config.json").unlink()
    config = json.loads((packaged_model_path() / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "note": "fine-tuned"}))
    assert resolve_model(str(other)).model_id != resolve_model("").model_id
    s2 = kb_settings(tmp_path, embedding_model=str(other))
    with pytest.raises(IndexMismatch, match="built with the embedding model"):
        KnowledgeBase.open(s2, encoder=WordHashEncoder()).search("raft")
    enc = WordHashEncoder()
    report = ingest([], s2, enc)
    assert report.files_new == 4 and report.embedded == report.chunks_indexed == enc.encoded
    assert KnowledgeBase.open(s2, encoder=WordHashEncoder()).search("raft leader", mode="bm25", k=1)


@pytest.mark.parametrize("method", ["minmax", "rrf"])
def test_hybrid_feedback_pulls_up_chunks_like_the_top_results(tmp_path: Path, method: str) -> None:
    root = tmp_path / "prf"
    root.mkdir()
    (root / "first.txt").write_text("alpha beta gamma delta\n")
    (root / "second.txt").write_text("gamma delta epsilon\n")  # no query word: reachable only by feedback
    (root / "third.txt").write_text("zeta eta theta\n")
    off = kb_settings(tmp_path, fusion_method=method, fusion_feedback_chunks=0)
    ingest([root], off)
    on = kb_settings(tmp_path, fusion_method=method, fusion_feedback_chunks=1, fusion_feedback_weight=1.0)

    def scores(settings) -> dict[str, float]:
        hits = KnowledgeBase.open(settings, encoder=WordHashEncoder()).search(
            "alpha beta", mode="hybrid", k=3
        )
        return {Path(h.source).stem: h.score for h in hits}

    without, with_feedback = scores(off), scores(on)
    assert max(without, key=without.get) == max(with_feedback, key=with_feedback.get) == "first"
    if method == "minmax":  # without feedback the two unrelated chunks are indistinguishable
        assert without["second"] == without["third"]
    assert with_feedback["second"] > with_feedback["third"]
    assert with_feedback["second"] - with_feedback["third"] > without["second"] - without["third"]


def test_every_section_is_indexed_whole_with_its_heading_once(tmp_path: Path, corpus: Path) -> None:
    long_md = corpus / "long.md"
    long_md.write_text(
        "# Queues\n\n## Backpressure\n\n"
        + " ".join(f"Producers slow down when queue {i} is full." for i in range(60))
        + "\n"
    )
    s = kb_settings(tmp_path, knowledge_chunk_tokens=64)
    ingest([corpus], s)
    gen = KnowledgeStore(s.knowledge_path).require_current()
    db = connect_catalog(gen.catalog_path, readonly=True)
    n_sections = db.execute(
        "SELECT count(*) FROM (SELECT DISTINCT document, heading FROM chunks)"
    ).fetchone()[0]
    long_chunks = db.execute("SELECT count(*) FROM chunks WHERE heading = ?", ('["Queues", "Backpressure"]',))
    assert long_chunks.fetchone()[0] > 3  # the section is cut into several chunks...
    texts = section_texts(db)
    db.close()
    assert gen.meta()["counts"]["sections"] == len(texts) == n_sections
    long_text = next(t for t in texts if "Backpressure" in t)
    assert long_text.count("Queues > Backpressure") == 1  # ...and indexed as one text, heading once
    assert all(f"queue {i} is full." in long_text for i in range(60))
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    found = kb.retrieve_sections(["producers backpressure"], k=3)[0]
    assert list(found)[0] == (str(long_md), ("Queues", "Backpressure"))
    # a source filter reaches the section index too
    only_caching = kb.retrieve_sections(["producers write"], k=5, filters={"source": "caching.md"})[0]
    assert {doc for doc, _ in only_caching} == {str(corpus / "caching.md")}


def test_an_index_without_the_section_index_is_rebuilt_from_the_cache(tmp_path: Path, corpus: Path) -> None:
    s = kb_settings(tmp_path)
    first = ingest([corpus], s)
    gen = KnowledgeStore(s.knowledge_path).require_current()
    meta = gen.meta()
    del meta["index_layout"], meta["sections_sparse"]  # what an index built before layout 2 holds
    (gen.path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(IndexMismatch, match="index_layout"):
        KnowledgeBase.open(s, encoder=WordHashEncoder()).search("raft")
    enc = WordHashEncoder()
    report = ingest([], s, enc)
    assert not report.up_to_date and enc.encoded == 0 and report.chunks_indexed == first.chunks_indexed
    assert KnowledgeBase.open(s, encoder=WordHashEncoder()).retrieve_sections(["raft leader"])[0]
