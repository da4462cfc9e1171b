"""'From your materials' shows the user's own passage beside the bundled guides' when it is relevant."""

from __future__ import annotations

from study_tracker.content import GUIDES_DIR
from study_tracker.knowledge.search.hits import SearchHit
from study_tracker.knowledge.search.related import is_bundled, with_own_sources


def hit(name: str, source: str) -> SearchHit:
    return SearchHit(
        chunk_id=name,
        doc_id=name,
        score=1.0,
        text=name,
        title=name,
        source=source,
        kind="markdown",
        heading_path=[],
        start=0,
        end=len(name),
        pain_point=False,
    )


GUIDE = str(GUIDES_DIR / "ml-system-design.md")
MINE = "/home/me/notes/recsys-plan.md"


def test_is_bundled() -> None:
    assert is_bundled(hit("g", GUIDE)) and not is_bundled(hit("m", MINE))
    assert not is_bundled(hit("m", str(GUIDES_DIR) + "-copy/x.md"))  # a sibling folder is not the guides


def test_the_users_best_relevant_passage_takes_second_place() -> None:
    hits = [hit("g1", GUIDE), hit("g2", GUIDE), hit("g3", GUIDE), hit("g4", GUIDE), hit("m1", MINE)]
    out = with_own_sources(hits, {"m1": 0.5}, k=3, min_cosine=0.36)
    assert [h.chunk_id for h in out] == ["g1", "m1", "g2"]


def test_an_irrelevant_own_passage_is_left_out() -> None:
    hits = [hit("g1", GUIDE), hit("g2", GUIDE), hit("g3", GUIDE), hit("m1", MINE)]
    assert [h.chunk_id for h in with_own_sources(hits, {"m1": 0.2}, k=3, min_cosine=0.36)] == [
        "g1",
        "g2",
        "g3",
    ]
    # no dense cosine at all (only BM25 found it): not shown either
    assert [h.chunk_id for h in with_own_sources(hits, {}, k=3, min_cosine=0.36)] == ["g1", "g2", "g3"]


def test_own_passages_already_on_top_keep_the_ranking() -> None:
    hits = [hit("g1", GUIDE), hit("m1", MINE), hit("g2", GUIDE), hit("m2", MINE)]
    assert [h.chunk_id for h in with_own_sources(hits, {"m2": 0.9}, k=3, min_cosine=0.36)] == [
        "g1",
        "m1",
        "g2",
    ]
    assert [h.chunk_id for h in with_own_sources(hits, {"m1": 0.9}, k=1, min_cosine=0.36)] == ["g1"]
