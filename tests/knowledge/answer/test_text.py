"""The pure text parts of answers: sentence spans of Markdown passages and follow-up rewriting."""

from __future__ import annotations

import pytest

from study_tracker.knowledge.answer.followup import Turn, content_terms, is_follow_up, rewrite
from study_tracker.knowledge.answer.sentences import (
    asks_for_number,
    has_number,
    is_complete,
    readable,
    sentence_spans,
)


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One thing. Another thing! A third?", ["One thing.", "Another thing!", "A third?"]),
        (
            "Use a small rate, e.g. 0.01 or so. Then stop.",
            ["Use a small rate, e.g. 0.01 or so.", "Then stop."],
        ),
        ("Cost is 2.5 ms per call. Fine.", ["Cost is 2.5 ms per call.", "Fine."]),
        ("Call `np.dot. A` first. Done.", ["Call `np.dot. A` first.", "Done."]),
        ("Compare A vs. B carefully. Yes.", ["Compare A vs. B carefully.", "Yes."]),
        ("Written by J. Smith in 2020. Read it.", ["Written by J. Smith in 2020.", "Read it."]),
        ("It ends (as stated.) Next one.", ["It ends (as stated.)", "Next one."]),
        ("# Heading\n\nBody text here.", ["Body text here."]),
        ("Intro:\n\n```\ncode. More code.\n```\n\nAfter.", ["Intro:", "After."]),
        ("| a | b |\n| --- | --- |\n| 1. x | 2 |\n\nProse.", ["Prose."]),
        (
            "- first item\n- second item. With two sentences.\n1. numbered",
            ["first item", "second item.", "With two sentences.", "numbered"],
        ),
        ("A line\nwrapped in the source. Next.", ["A line\nwrapped in the source.", "Next."]),
        ("", []),
        ("---\n\n   \n", []),
        # a bold label opening a paragraph names it and is not quoted; a bold sentence alone is kept
        ("**Training a tower.** The objective is a softmax. Done.", ["The objective is a softmax.", "Done."]),
        ("**Never log keys.**\n\nNext.", ["**Never log keys.**", "Next."]),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_spans_are_offsets_into_the_text() -> None:
    text = "  # T\n\nAlpha beta. Gamma delta.\n\n- Item one.\n"
    for s, e in sentence_spans(text):
        assert text[s:e] == text[s:e].strip() and text[s:e]
    assert readable("a\n  b   c") == "a b c"


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and how is it evaluated?", True),
        ("What about its latency?", True),
        ("why?", True),
        ("and the loss?", True),
        ("how are they trained?", True),
        ("how does consistent hashing spread keys over servers?", False),
        ("What is batch normalization and why does it help training?", False),
        ("explain gradient boosting", False),
    ],
)
def test_is_follow_up(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        (
            "What is a recommendation system?",
            "and how is it evaluated?",
            "How is recommendation system evaluated?",
        ),
        (
            "What is a recommendation system?",
            "What about its latency?",
            "What about recommendation system's latency?",
        ),
        ("How does dropout work?", "and at test time?", "At test time (dropout)?"),
        ("How does dropout work?", "what is a B-tree?", "what is a B-tree?"),
    ],
)
def test_rewrite(previous: str, question: str, expected: str) -> None:
    new, rewritten = rewrite(question, [Turn(previous)])
    assert new == expected and rewritten is (new != question)


def test_rewrite_uses_the_previous_rewritten_query_and_needs_history() -> None:
    assert rewrite("and how is it evaluated?", []) == ("and how is it evaluated?", False)
    chained = Turn("and how is it trained?", query="How is gradient boosting trained?")
    new, rewritten = rewrite("why is it slow?", [chained])
    assert rewritten and "gradient boosting" in new
    assert content_terms("What is the difference between L1 and L2?") == ["L1", "L2"]


@pytest.mark.parametrize(
    ("sentence", "complete"),
    [
        ("I keep the math light on purpose, so I spend two evenings a week on exercises.", True),
        ('Then open it (see "setup").', True),
        ("Why does it matter?", True),
        ("Probability: Bayes' rule, expectation, variance", False),  # a list item
        ("**Linear algebra refresh**", False),  # a bold label
        ("**Training a two-tower model.**", False),
        ("_Read chapter three._", False),
    ],
)
def test_is_complete(sentence: str, complete: bool) -> None:
    assert is_complete(sentence) is complete


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("which port does the app listen on?", True),
        ("How many problems should I solve?", True),
        ("when does the study group meet?", True),
        ("what is dropout?", False),
        ("which conferences are recommended?", False),
    ],
)
def test_asks_for_number(question: str, asks: bool) -> None:
    assert asks_for_number(question) is asks


def test_has_number() -> None:
    assert has_number("Open http://localhost:5555 in a browser.")
    assert has_number("The group meets on Thursday evenings.") and has_number("about twelve hours")
    assert not has_number("Dropout zeroes activations at random.")
