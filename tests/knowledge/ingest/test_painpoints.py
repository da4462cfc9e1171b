"""Pain-point tagging: clear cases, and a floor on the held-out labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.knowledge.ingest.painpoints import PAIN_POINT_THRESHOLD, is_pain_point, pain_point_score

DATA = Path(__file__).parent / "data"

# Measured on painpoints_test.jsonl (bench/painpoints_eval.py): precision 0.954, recall 0.922.
PRECISION_FLOOR = 0.92
RECALL_FLOOR = 0.88


def _load(name: str) -> list[dict]:
    lines = (DATA / f"painpoints_{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize(
    "text",
    [
        "my knees hurt every time I squat, what am I doing wrong?",
        "I can't figure out why my Celery workers stop picking up tasks after a few hours.",
        "Ugh, the oven runs 30 degrees hot and every cake I bake comes out burnt on the edges.",
        "I've failed four phone screens in a row and honestly I'm starting to panic.",
        "I really wish there was a decent offline flashcard app for Linux.",
    ],
)
def test_clear_pain_points(text: str) -> None:
    assert is_pain_point(text)
    assert pain_point_score(text) >= PAIN_POINT_THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "If your knees hurt when you squat, try a wider stance and film yourself from the side.",
        "What's your favourite book about compilers?",
        "Finally fixed the leak in my roof, no more buckets in the attic!",
        "Here are my notes on gradient boosting, hope they help.",
        "Thanks, that worked perfectly.",
        "",
        "   ",
    ],
)
def test_clear_non_pain_points(text: str) -> None:
    assert not is_pain_point(text)
    assert pain_point_score(text) < PAIN_POINT_THRESHOLD


def test_score_is_a_probability_like_number_and_ranks_cases() -> None:
    strong = pain_point_score("Nothing works, I'm stuck and frustrated: the build fails every single time.")
    weak = pain_point_score("The build is a bit slow on my laptop.")
    none = pain_point_score("We shipped the new release today.")
    assert 0.0 <= none < weak < strong <= 1.0


def test_problem_buried_in_a_long_post_is_found() -> None:
    text = (
        "Some background: I'm 34, I work as a data analyst and I've been lifting for about a year. "
        "I train three times a week, mostly compound lifts, and I eat around 2400 calories. "
        "The thing is, my lower back aches for two days after every deadlift session, even at 60 kg. "
        "Any idea what could cause this?"
    )
    assert is_pain_point(text)


def test_long_advice_is_not_a_pain_point() -> None:
    text = (
        "For anyone starting out: pick one beginner program and run it for three months. "
        "Add weight slowly, sleep eight hours, and eat enough protein. "
        "If something hurts, lower the weight and check your form on video before going heavier."
    )
    assert not is_pain_point(text)


def test_labelled_sets_are_large_balanced_and_disjoint() -> None:
    dev, test = _load("dev"), _load("test")
    assert len(test) >= 150
    positives = sum(r["label"] for r in test)
    assert 0.4 <= positives / len(test) <= 0.6
    assert {r["text"] for r in dev}.isdisjoint({r["text"] for r in test})
    assert len({r["domain"] for r in test}) >= 7


def test_held_out_precision_and_recall_stay_above_the_floor() -> None:
    rows = _load("test")
    predicted = [is_pain_point(r["text"]) for r in rows]
    tp = sum(p and r["label"] for p, r in zip(predicted, rows, strict=True))
    fp = sum(p and not r["label"] for p, r in zip(predicted, rows, strict=True))
    fn = sum(not p and r["label"] for p, r in zip(predicted, rows, strict=True))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= PRECISION_FLOOR, f"precision {precision:.3f}"
    assert recall >= RECALL_FLOOR, f"recall {recall:.3f}"
