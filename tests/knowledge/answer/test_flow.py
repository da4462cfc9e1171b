"""Extractive answers, the "nothing relevant" threshold, follow-ups, bad input and the event stream,
on a real index (SQLite catalog, FAISS, BM25) built with the bag-of-words test encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.errors import IndexNotBuilt, InvalidQuery
from study_tracker.knowledge.answer.flow import (
    NOTHING_RELEVANT,
    Answer,
    InvalidQuestion,
    LLMNotConfigured,
    Turn,
    answer_question,
    choose_llm,
    stream_answer,
)
from study_tracker.knowledge.answer.prompt import check_citations
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.answer_helpers import answer_kb
from tests.knowledge.kb_helpers import CountingEncoder, WordHashEncoder, kb_settings


@pytest.fixture(scope="module")
def kb_env(tmp_path_factory: pytest.TempPathFactory):
    return answer_kb(tmp_path_factory.mktemp("answer-kb"))


def test_extractive_answer_cites_the_sentences_it_quotes(kb_env) -> None:
    s, kb, notes = kb_env
    a = answer_question(kb, "why does dropout reduce overfitting?", settings=s)
    assert a.mode == "extractive" and a.notice is None and not a.rewritten
    assert "It stops units from co-adapting, which reduces overfitting. [1]" in a.text
    top = a.sources[0]
    assert top.n == 1 and top.cited and top.hit.source == str(notes / "ml.md")
    assert top.hit.heading_path == ["Training", "Dropout"]
    # Every cited span is a sentence of the passage that appears word for word in the answer, and
    # hit.start + span offsets point at it in the original file.
    original = (notes / "ml.md").read_text()
    for s_, e_ in top.spans:
        sentence = top.hit.text[s_:e_]
        assert " ".join(sentence.split()) in a.text
        assert original[top.hit.start + s_ : top.hit.start + e_] == sentence
    assert [x.n for x in a.sources] == list(range(1, len(a.sources) + 1))
    assert all(x.cited == bool(x.spans) for x in a.sources)
    cited = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", a.text)}
    assert cited == {x.n for x in a.sources if x.cited}


def test_answer_never_quotes_code_or_headings(kb_env) -> None:
    s, kb, _ = kb_env
    a = answer_question(kb, "how does an LSM tree handle writes to the memtable?", settings=s)
    assert a.mode == "extractive"
    passage = a.sources[0].hit.text
    assert "```" in passage and "write -> memtable" in passage  # the passage has code...
    assert "```" not in a.text and "->" not in a.text and "#" not in a.text  # ...the answer does not
    assert "LSM tree" in a.text


@pytest.mark.parametrize(
    "question",
    [
        "what is the capital of France?",
        "Quelle est la capitale de la France ?",
        "recette des crêpes bretonnes",
    ],
)
def test_nothing_relevant_is_said_plainly(kb_env, question: str) -> None:
    s, kb, _ = kb_env
    a = answer_question(kb, question, settings=s)
    assert a.mode == "none" and a.text == NOTHING_RELEVANT and a.sources == ()
    assert a.best_score is not None and a.best_score < s.ask_min_score


@pytest.mark.parametrize(
    ("question", "mode"),
    [("why does dropout reduce overfitting?", "extractive"), ("what is the capital of France?", "none")],
)
def test_one_answer_embeds_the_question_once(kb_env, question: str, mode: str) -> None:
    s, _, _ = kb_env
    counting = CountingEncoder(WordHashEncoder())
    kb = KnowledgeBase.open(s, encoder=counting)
    a = answer_question(kb, question, settings=s)
    assert a.mode == mode
    assert counting.calls == 1  # hybrid search and the relevance signal share one embedding
    # The relevance signal is still the best dense cosine of the question's nearest passages.
    best = max(kb.retrieve([question], mode="dense", k=50)[0].values())
    assert a.best_score == round(best, 4)


def test_threshold_is_the_setting(kb_env) -> None:
    s, kb, _ = kb_env
    question = "why does dropout reduce overfitting?"
    assert answer_question(kb, question, settings=s).mode == "extractive"
    strict = s.model_copy(update={"ask_min_score": 0.99})
    a = answer_question(kb, question, settings=strict)
    assert a.mode == "extractive"  # below the cosine threshold, but the passages hold its words
    assert a.coverage is not None and a.coverage >= s.ask_min_coverage
    stricter = strict.model_copy(update={"ask_floor_score": 0.99})
    assert answer_question(kb, question, settings=stricter).mode == "none"


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("", ["question", "empty"]),
        ("   \n\t ", ["question", "empty"]),
        ("x" * 100_000, ["question", "100,000", "1,000", "ask_max_question_chars"]),
        (None, ["question", "text"]),
    ],
)
def test_bad_questions_are_refused_before_anything_runs(kb_env, question, words: list[str]) -> None:
    s, kb, _ = kb_env
    with pytest.raises(InvalidQuestion) as info:
        answer_question(kb, question, settings=s)
    assert all(w in str(info.value) for w in words)
    with pytest.raises(InvalidQuestion):
        next(stream_answer(kb, question, settings=s))
    assert isinstance(info.value, InvalidQuery)  # so the CLI exits 2 and the web answers 4xx


@pytest.mark.parametrize("k", [0, 51, -3])
def test_bad_k(kb_env, k: int) -> None:
    s, kb, _ = kb_env
    with pytest.raises(InvalidQuery, match="k must be"):
        answer_question(kb, "dropout", k=k, settings=s)


def test_empty_knowledge_base(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    with pytest.raises(IndexNotBuilt, match="study ingest"):
        answer_question(kb, "what is dropout?", settings=s)
    # An index that exists but holds no passage (its only file was empty) says the same.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.md").write_text("")
    ingest_paths([empty], settings=s, encoder=WordHashEncoder())
    with pytest.raises(IndexNotBuilt, match="no documents"):
        answer_question(kb, "what is dropout?", settings=s)


def test_follow_up_is_rewritten_and_retrieved_with(kb_env) -> None:
    s, kb, notes = kb_env
    first = answer_question(kb, "what is dropout in training?", settings=s)
    follow = answer_question(
        kb, "and when is it switched off?", history=[Turn(first.question, first.text)], settings=s
    )
    assert follow.rewritten and follow.question == "and when is it switched off?"
    assert "dropout" in follow.query.lower() and "switched off" in follow.query
    assert "At test time dropout is switched off. [1]" in follow.text
    alone = answer_question(kb, "what is a B-tree?", history=[Turn("what is dropout?")], settings=s)
    assert not alone.rewritten and alone.query == "what is a B-tree?"


def test_stream_events_in_order_and_done_matches_answer(kb_env) -> None:
    s, kb, _ = kb_env
    events = list(stream_answer(kb, "why does dropout reduce overfitting?", settings=s))
    kinds = [e["type"] for e in events]
    assert kinds == ["query", "sources", "delta", "done"]
    done = events[-1]["answer"]
    assert events[2]["text"] == done["text"]
    json.dumps(done)  # JSON-ready as it is
    assert done == answer_question(kb, "why does dropout reduce overfitting?", settings=s).to_dict()
    assert events[1]["sources"] == done["sources"]
    assert all(
        {"n", "cited", "spans", "text", "title", "source", "heading_path", "start", "end"} <= set(x)
        for x in done["sources"]
    )


def test_nothing_relevant_stream(kb_env) -> None:
    s, kb, _ = kb_env
    events = list(stream_answer(kb, "what is the capital of France?", settings=s))
    assert [e["type"] for e in events] == ["query", "sources", "delta", "done"]
    assert events[1]["sources"] == [] and events[-1]["answer"]["mode"] == "none"


@pytest.mark.parametrize(
    ("text", "n", "cleaned", "cited", "dropped"),
    [
        ("A ring [1]. Keys move [2].", 3, "A ring [1]. Keys move [2].", {1, 2}, ()),
        ("A ring [1]. Invented [7].", 3, "A ring [1]. Invented.", {1}, (7,)),
        ("Both [1, 2] and [0][9].", 2, "Both [1][2] and.", {1, 2}, (0, 9)),
        ("No citations at all.", 2, "No citations at all.", set(), ()),
        ("Year [2024] is not a source.", 5, "Year is not a source.", set(), (2024,)),
    ],
)
def test_check_citations(text: str, n: int, cleaned: str, cited: set[int], dropped: tuple[int, ...]) -> None:
    assert check_citations(text, n) == (cleaned, cited, dropped)


def test_choose_llm(tmp_path: Path) -> None:
    plain = kb_settings(tmp_path)
    assert choose_llm(plain) is None and choose_llm(plain, False) is None
    with pytest.raises(LLMNotConfigured, match="STUDY_LLM_BASE_URL"):
        choose_llm(plain, True)
    configured = kb_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m")
    assert choose_llm(configured).model == "m"
    assert choose_llm(configured, False) is None
    off = kb_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_enabled=False)
    assert choose_llm(off) is None and choose_llm(off, True) is not None


def test_answer_is_frozen(kb_env) -> None:
    s, kb, _ = kb_env
    a = answer_question(kb, "why does dropout reduce overfitting?", settings=s)
    assert isinstance(a, Answer)
    with pytest.raises(AttributeError):
        a.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("question", "modes"),
    [
        # shares the technical word with the notes: an extractive answer is possible
        ("Wie verhindert Dropout die Überanpassung beim Training?", {"extractive"}),
        # nothing in common with English notes: said plainly, not an error
        ("什么是过拟合？如何避免？", {"none"}),
    ],
)
def test_a_question_in_another_language_answers_or_says_nothing_relevant(kb_env, question, modes) -> None:
    s, kb, _ = kb_env
    a = answer_question(kb, question, settings=s)
    assert a.mode in modes
    if a.mode == "none":
        assert a.text == NOTHING_RELEVANT and a.sources == ()
    else:
        assert "[1]" in a.text and a.sources[0].cited
