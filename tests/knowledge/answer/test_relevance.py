"""The two relevance signals of Ask (best dense cosine, share of the question's words found) and
the decision they make together; then the real model over a learner's own study plans."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from study_tracker.config import Settings
from study_tracker.knowledge.answer.flow import NOTHING_RELEVANT, answer_question
from study_tracker.knowledge.answer.relevance import Evidence, coverage, terms
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.hits import SearchHit
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import kb_settings
from tests.practice.helpers import exported_knowledge

DOCS = Path(__file__).parents[3] / "bench" / "qa" / "docs"


def hit(text: str, title: str = "Setup", heading: tuple[str, ...] = ()) -> SearchHit:
    return SearchHit(
        chunk_id="c",
        doc_id="d",
        score=1.0,
        text=text,
        title=title,
        source="setup.md",
        kind="markdown",
        heading_path=list(heading),
        start=0,
        end=len(text),
        pain_point=False,
    )


def test_terms_are_stemmed_topic_words() -> None:
    assert terms("Which conferences are recommended?") == {"confer", "recommend"}
    assert terms("what is it?") == set()


@pytest.mark.parametrize(
    ("question", "passages", "share"),
    [
        ("which port does the app listen on?", ["The app listens on port 5555."], 1.0),
        ("which port does the app listen on?", ["Open http://localhost:5555 in the app."], 1 / 3),
        ("how do I train a two tower model?", ["A two-tower model is trained on pairs."], 1.0),
        ("what is the capital of France?", ["Open http://localhost:5555 in the app."], 0.0),
        ("what is it?", ["Anything at all."], 0.0),  # no topic word: no lexical evidence
    ],
)
def test_coverage(question: str, passages: list[str], share: float) -> None:
    assert coverage(question, [hit(p) for p in passages]) == pytest.approx(share)


def test_coverage_counts_titles_and_headings_of_one_passage() -> None:
    own = hit("NeurIPS and ICML.", title="Roadmap", heading=("Conferences",))
    assert coverage("roadmap conferences NeurIPS", [own]) == 1.0
    assert coverage("roadmap conferences NeurIPS", []) == 0.0
    # words scattered over several passages are not one passage that answers
    scattered = [
        hit("Roadmap for spring.", title="A"),
        hit("Conferences.", title="B"),
        hit("NeurIPS", title="C"),
    ]
    assert coverage("roadmap conferences NeurIPS", scattered) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("cosine", "share", "answers"),
    [
        (0.50, 0.0, True),  # a paraphrase dense retrieval found: the cosine alone is enough
        (0.30, 1.0, True),  # a short, specific question whose words are all in the passages
        (0.30, 0.5, False),  # half its words: not enough with a weak cosine
        (0.15, 1.0, False),  # below the floor: shared words alone do not make it relevant
        (-1.0, 0.0, False),  # nothing retrieved
    ],
)
def test_the_decision(cosine: float, share: float, answers: bool) -> None:
    s = Settings(ask_min_score=0.36, ask_floor_score=0.2, ask_min_coverage=0.6)
    assert Evidence(cosine=cosine, coverage=share).answers(s) is answers


@pytest.mark.model
@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("which port does the app listen on?", "localhost:5555"),
        ("which conferences are recommended?", "NeurIPS"),
        ("how do I renew my passport?", None),
        ("what is a good recipe for lasagna?", None),
    ],
)
def test_a_learners_own_plans_with_the_real_model(
    tmp_path_factory: pytest.TempPathFactory, question: str, phrase: str | None
) -> None:
    root = tmp_path_factory.getbasetemp() / "own-plans"
    s = kb_settings(root, knowledge_embed_backend="onnx")
    if not (s.knowledge_path / "onnx").is_dir():
        shutil.copytree(exported_knowledge(tmp_path_factory) / "onnx", s.knowledge_path / "onnx")
        ingest_paths([DOCS], settings=s)
    a = answer_question(KnowledgeBase.open(s), question, settings=s)
    if phrase is None:
        assert a.mode == "none" and a.text == NOTHING_RELEVANT, (a.best_score, a.coverage)
    else:
        assert a.mode == "extractive" and phrase in a.text, (a.best_score, a.coverage, a.text)
