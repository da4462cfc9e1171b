"""Question generation: citations point at text that exists in the source, every kept key point
is supported by its cited passage (structure and LLM), near-duplicates are dropped, the queue,
and an accepted roadmap question in a drill on that roadmap."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.config import Settings
from study_tracker.content import GUIDES_DIR
from study_tracker.content.curriculum import load_tracks
from study_tracker.db.engine import session_scope
from study_tracker.errors import Conflict, InvalidInput, NotFound
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.viewer import load_passage
from study_tracker.practice.questions import queue
from study_tracker.practice.questions.dedupe import DuplicateFilter, Known, question_text
from study_tracker.practice.questions.generate import Request, bundled_questions, generate_questions
from study_tracker.practice.questions.sections import plain
from study_tracker.practice.questions.source import load_source
from study_tracker.practice.questions.structure import definition_term, generate_structural
from study_tracker.practice.questions.support import check_support
from study_tracker.roadmaps import library
from study_tracker.roadmaps.service import import_roadmap
from study_tracker.tracker import transfer
from study_tracker.tracker.startup import prepare
from tests.conftest import make_settings
from tests.fake_llm import FakeLLM
from tests.knowledge.kb_helpers import WordHashEncoder

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
GUIDE = GUIDES_DIR / "system-design.md"
ROADMAP = SAMPLES / "ml-phases.md"


def _import(session: Session, settings: Settings, path: Path = ROADMAP) -> str:
    text = path.read_text(encoding="utf-8")
    result = import_roadmap(
        session=session, text=text, source_name=path.name, start_date=None, slug=None, now=NOW, zone=UTC
    )
    library.save_copy(data_dir=settings.data_dir, slug=result.slug, text=text)
    return result.slug


# --- structure: citations and support --------------------------------------------------------


@pytest.mark.parametrize("path", [GUIDE, ROADMAP, GUIDES_DIR / "ml-algorithms.md"], ids=lambda p: p.name)
def test_structural_key_points_are_cut_from_the_cited_passage(path: Path) -> None:
    doc = load_source(path)
    made = generate_structural(doc)
    assert len(made) >= 3
    for c in made:
        assert 0 <= c.start < c.end <= len(doc.text)
        # the key points are the passage's own words (emphasis marks aside)
        passage = re.sub(r"[_*`]", "", plain(doc.text[c.start : c.end]))
        for k in c.key_points:
            assert re.sub(r"[_*`]", "", k) in passage, (c.prompt, k)
        assert all(s.supported for s in check_support(c.key_points, doc.text[c.start : c.end]))


def test_structure_makes_each_kind_from_a_guide() -> None:
    made = generate_structural(load_source(GUIDE))
    kinds = {c.kind for c in made}
    assert kinds == {"explain", "definition", "compare", "list"}
    prompts = [c.prompt for c in made]
    assert "Compare functional and non-functional requirements." in prompts
    assert "What is an API gateway?" in prompts


def test_roadmap_lists_leave_out_tasks_and_resource_links() -> None:
    made = generate_structural(load_source(ROADMAP), noun="topics")
    points = [k for c in made for k in c.key_points]
    assert "NumPy and pandas for data wrangling" in points
    assert not any("NumPy exercises" in k or "Jupyter" in k for k in points)  # checkbox tasks
    assert not any("example.org" in k or "course notes" in k for k in points)  # the Resources list


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("A Bloom filter is a probabilistic set that never gives a false negative.", "a Bloom filter"),
        ("Backpropagation is the chain rule applied from the loss backwards.", "backpropagation"),
        ("This is a good place to start the interview.", None),
        ("A good habit when deriving is to check shapes.", None),
        ("It is a trade-off between latency and cost.", None),
    ],
)
def test_definition_sentences(sentence: str, term: str | None) -> None:
    found = definition_term(sentence, "the chain rule and backpropagation")
    assert (found[0] if found else None) == term


@pytest.mark.parametrize(
    ("point", "supported"),
    [
        ("Consistent hashing moves only K/N keys when a node joins.", True),
        ("Consistent hashing moves every key when a node joins.", True),  # words only: see below
        ("Rendezvous hashing needs a central coordinator.", False),
        ("Consistent hashing moves 90% of keys when a node joins.", False),  # a figure not in the text
    ],
)
def test_support_is_checked_against_the_passage(point: str, supported: bool) -> None:
    passage = "With consistent hashing, when a node joins only about K/N keys move to it; 10% of keys."
    assert check_support([point], passage)[0].supported is supported


def test_offsets_open_the_passage_in_the_stored_text(settings: Settings, tmp_path: Path) -> None:
    """The citation of every question is the same text in the knowledge catalog (ingest stores
    the loader's text), so the source viewer shows exactly the cited passage."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "guide.md").write_text(GUIDE.read_text(encoding="utf-8")[:20_000], encoding="utf-8")
    ingest_paths([notes], settings=settings, encoder=WordHashEncoder())  # type: ignore[arg-type]
    doc = load_source(notes / "guide.md")
    made = generate_structural(doc)
    assert made
    for c in made:
        shown = load_passage(settings=settings, source=c.source, start=c.start, end=c.end)
        assert shown.passage == doc.text[c.start : c.end]


# --- the LLM: checked, not trusted -----------------------------------------------------------


def _llm_reply(body: dict[str, Any]) -> str:
    """One supported and one invented key point for passage 1; a question of inventions only."""
    user = body["messages"][-1]["content"]
    first = user.split("[1] ", 1)[1].split("\n", 2)[1]
    sentence = first.split(". ")[0] + "."
    return json.dumps(
        {
            "questions": [
                {"passage": 1, "prompt": "What does the passage say?", "type": "concept",
                 "key_points": [sentence, "Quantum annealing replaces every load balancer in 2031."]},
                {"passage": 1, "prompt": "An invented question?", "type": "concept",
                 "key_points": ["Blockchain sharding guarantees zero latency."]},
            ]
        }
    )  # fmt: skip


def _llm_settings(settings: Settings, fake: FakeLLM) -> Settings:
    return settings.model_copy(
        update={"llm_base_url": fake.base_url, "llm_model": "fake", "llm_timeout_s": 5}
    )


def test_llm_key_points_are_kept_only_when_their_passage_supports_them(
    session: Session, prepared: Settings, tmp_path: Path
) -> None:
    src = tmp_path / "guide.md"
    src.write_text(GUIDE.read_text(encoding="utf-8")[:6000], encoding="utf-8")
    with FakeLLM(reply=_llm_reply) as fake:
        report = generate_questions(
            session=session,
            settings=_llm_settings(prepared, fake),
            request=Request(source=src, use_llm=True),
            now=NOW,
        )
    assert report.generator == "llm" and fake.requests
    assert report.queued, report.notices
    doc = load_source(src)
    for q in report.queued:
        assert q.prompt == "What does the passage say?"  # the all-invented question was dropped
        assert len(q.key_points) == 1
        assert all(s.supported for s in check_support(q.key_points, doc.text[q.start : q.end]))
    assert report.questions_unsupported >= 1
    assert report.key_points_supported < report.key_points


@pytest.mark.parametrize(
    "reply", ["{not json", "I'm sorry, I cannot help with that.", '{"questions": [{"passage": 9}]}']
)
def test_an_unusable_llm_reply_falls_back_to_structure(
    session: Session, prepared: Settings, tmp_path: Path, reply: str
) -> None:
    src = tmp_path / "guide.md"
    src.write_text(GUIDE.read_text(encoding="utf-8")[:6000], encoding="utf-8")
    with FakeLLM(reply=reply) as fake:
        report = generate_questions(
            session=session,
            settings=_llm_settings(prepared, fake),
            request=Request(source=src, use_llm=True),
            now=NOW,
        )
    assert report.generator == "structure" and report.queued
    assert any("could not be used" in n for n in report.notices)
    assert report.key_points_supported == report.key_points


# --- near-duplicates --------------------------------------------------------------------------


def test_generating_twice_queues_nothing_new(session: Session, prepared: Settings) -> None:
    first = generate_questions(session=session, settings=prepared, request=Request(source=GUIDE), now=NOW)
    assert len(first.queued) > 20
    again = generate_questions(session=session, settings=prepared, request=Request(source=GUIDE), now=NOW)
    assert again.queued == []
    assert first.duplicates  # the guide repeats some bundled system_design questions
    assert len(again.duplicates) == again.made - again.questions_unsupported
    assert again.duplicate_rate == 1.0


def test_a_bundled_question_in_other_words_is_a_duplicate() -> None:
    q = load_tracks()["system_design"].days[0].questions[0]
    dupes = DuplicateFilter(list(bundled_questions()))
    reworded = question_text(q.prompt.replace("?", " please?"), list(reversed(q.key_points)))
    assert dupes.duplicate_of(reworded, label="new") is not None
    assert (
        dupes.duplicate_of(
            "Explain the Raft election timeout. Randomised timeouts avoid split votes.", label="x"
        )
        is None
    )
    # kept candidates join the pool: the same question twice in one run keeps the first
    assert (
        dupes.duplicate_of(
            "Explain the Raft election timeout. Randomised timeouts avoid split votes.", label="y"
        )
        == "x"
    )


def test_a_prompt_asking_what_a_known_prompt_asks_is_a_duplicate() -> None:
    dupes = DuplicateFilter([Known("x", "old", "What is a Bloom filter and when would you use one?")])
    assert (
        dupes.duplicate_of(
            "What is a Bloom filter? A set sketch.", label="a", prompt="What is a Bloom filter?"
        )
        == "old"
    )
    # one word asked about is too broad to call a duplicate
    assert dupes.duplicate_of("Explain filters. They filter.", label="b", prompt="Explain filters.") is None


def test_embeddings_catch_what_words_miss() -> None:
    class Same:
        dim = 2

        def encode(self, texts: list[str]) -> Any:
            import numpy as np

            return np.array([[1.0, 0.0]] * len(texts), dtype=np.float32)  # every text means the same

    dupes = DuplicateFilter([Known("alpha beta gamma", "old")], encoder=Same())  # type: ignore[arg-type]
    assert dupes.duplicate_of("delta epsilon", label="new") == "old"


# --- the queue --------------------------------------------------------------------------------


def test_accept_edit_reject(session: Session, prepared: Settings) -> None:
    slug = _import(session, prepared)
    report = generate_questions(session=session, settings=prepared, request=Request(roadmap=slug), now=NOW)
    assert {q.status for q in report.queued} == {"queued"}
    # attached to the roadmap topic whose heading the passage sits under
    a, b, c = [q for q in report.queued if q.topic_key][:3]
    assert a.topic_key == "phase-1-python-and-maths-foundations" and "Python and Maths" in a.prompt
    queue.accept(session=session, question_id=a.id, now=NOW)
    queue.accept(session=session, question_id=a.id, now=NOW)  # twice: no change
    queue.reject(session=session, question_id=b.id, now=NOW)
    with pytest.raises(Conflict):
        queue.accept(session=session, question_id=b.id, now=NOW)
    with pytest.raises(Conflict):
        queue.edit(session=session, question_id=b.id, change=queue.parse_edit({"prompt": "x"}))
    edited = queue.edit(
        session=session,
        question_id=c.id,
        change=queue.parse_edit({"prompt": "Name three ML basics.", "key_points": ["Regression", " Trees "]}),
    )
    assert (edited.prompt, edited.key_points, edited.edited) == (
        "Name three ML basics.",
        ["Regression", "Trees"],
        True,
    )
    assert [q.id for q in queue.list_questions(session=session, status="accepted")] == [a.id]
    assert [q.id for q in queue.list_questions(session=session, status="rejected", roadmap=slug)] == [b.id]
    with pytest.raises(NotFound):
        queue.accept(session=session, question_id=99999, now=NOW)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "prompt"),
        ({"prompt": "  "}, "prompt"),
        ({"key_points": []}, "key_points"),
        ({"key_points": ["ok", ""]}, "key_points.1"),
        ({"prompt": "x" * 301}, "prompt"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_edit_validation_names_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        queue.parse_edit(payload)
    assert [e.field for e in exc.value.errors] == [field]


def test_sources_that_cannot_be_used(session: Session, prepared: Settings, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as missing:
        generate_questions(session=session, settings=prepared, request=Request(roadmap="nope"), now=NOW)
    assert missing.value.errors[0].field == "roadmap"
    with pytest.raises(NotFound):
        generate_questions(
            session=session, settings=prepared, request=Request(source=tmp_path / "x.md"), now=NOW
        )
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    with pytest.raises(InvalidInput):
        generate_questions(
            session=session, settings=prepared, request=Request(source=tmp_path / "x.bin"), now=NOW
        )
    with pytest.raises(InvalidInput):
        Request()


# --- drills ------------------------------------------------------------------------------------


def test_an_accepted_question_appears_in_a_drill_on_the_roadmap(session: Session, prepared: Settings) -> None:
    slug = _import(session, prepared)
    with pytest.raises(InvalidInput) as none_yet:
        drills.start_drill(session=session, filters=drills.parse_filters({"roadmap": slug}), now=NOW)
    assert none_yet.value.errors[0].field == "roadmap"
    report = generate_questions(session=session, settings=prepared, request=Request(roadmap=slug), now=NOW)
    accepted = queue.accept(session=session, question_id=report.queued[1].id, now=NOW)
    started = drills.start_drill(
        session=session, filters=drills.parse_filters({"roadmap": slug, "count": 5}), now=NOW
    )
    view = drills.get_drill(session, drill_id=started.id, now=NOW)
    assert [p.question.prompt for p in view.picks if p] == [accepted.prompt]  # queued ones stay out
    assert view.picks[0] is not None and view.picks[0].question.key_points == accepted.key_points
    result = drills.answer(session=session, drill_id=started.id, position=0, grade=3, now=NOW, zone=UTC)
    assert result is not None and result.track == slug and result.question_index == accepted.id
    with pytest.raises(InvalidInput):
        drills.parse_filters({"roadmap": slug, "track": "system_design"})


def test_questions_and_roadmap_drills_survive_export_and_import(
    session: Session, prepared: Settings, tmp_path: Path
) -> None:
    slug = _import(session, prepared)
    report = generate_questions(session=session, settings=prepared, request=Request(roadmap=slug), now=NOW)
    queue.accept(session=session, question_id=report.queued[0].id, now=NOW)
    queue.reject(session=session, question_id=report.queued[1].id, now=NOW)
    drill = drills.start_drill(session=session, filters=drills.parse_filters({"roadmap": slug}), now=NOW)
    drills.answer(session=session, drill_id=drill.id, position=0, grade=4, now=NOW, zone=UTC)
    session.flush()
    first = transfer.export_data(session, now=NOW)
    assert len(first["practice_questions"]) == len(report.queued) and first["drill_results"][0]["day"] == 0
    fresh = make_settings(tmp_path / "fresh")
    prepare(fresh)
    with session_scope(fresh.db_url) as s:
        counts = transfer.import_data(s, transfer.parse_export(json.dumps(first)))
        assert counts["practice questions"] == len(report.queued)
    with session_scope(fresh.db_url) as s:
        assert transfer.export_data(s, now=NOW) == first
        view = drills.get_drill(s, drill_id=drill.id, now=NOW)
        assert view.picks[0] is not None and view.picks[0].question.prompt == report.queued[0].prompt


class _Fixed:
    """An encoder whose vectors make every pair of texts the same (1.0) or unrelated (0.0)."""

    dim = 2

    def __init__(self, same: bool) -> None:
        self.same = same

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        if self.same:
            return np.array([[1.0, 0.0]] * len(texts), dtype=np.float32)
        return np.array([[1.0, 0.0] if i % 2 else [0.0, 1.0] for i in range(len(texts))], dtype=np.float32)


def test_a_paraphrase_passes_only_when_the_embedding_model_agrees() -> None:
    passage = "Leader election uses randomised timeouts so that split votes are rare."
    point = "Randomised timeouts stop split votes in elections quickly."
    alone = check_support([point], passage)[0]
    assert 0.5 <= alone.share < 0.75 and not alone.supported  # too few shared words alone
    assert check_support([point], passage, encoder=_Fixed(True))[0].supported  # type: ignore[arg-type]
    assert not check_support([point], passage, encoder=_Fixed(False))[0].supported  # type: ignore[arg-type]
    # however close the meaning, a key point sharing few words is not supported
    assert not check_support(["Raft needs a global clock."], passage, encoder=_Fixed(True))[0].supported  # type: ignore[arg-type]
