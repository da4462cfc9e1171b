"""The offline grader with the real model: which key points a typed answer covers, keyword lists
and confused repetition that cover nothing, contradictions, blank answers, evidence offsets and
the per-question cache of key-point vectors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from study_tracker.practice.grading.base import AnswerToGrade, Status
from study_tracker.practice.grading.offline import OfflineGrader
from tests.practice.helpers import question

pytestmark = pytest.mark.model

DROPOUT = (
    "ml_algorithms",
    3,
    0,
)  # 0 training: zero + 1/(1-p); 1 inference: off; 2 ensemble; 3 rates, MC dropout
L1L2 = ("ml_algorithms", 3, 1)  # 0 L1 gradient to exact zero; 1 L2 shrinks, rarely zero; 2 geometry; 3; 4
VANISHING = (
    "ml_algorithms",
    1,
    0,
)  # 0 sigmoid' <= 0.25; 1 product over layers; 2 ReLU, He; 3 residual, norm; 4 clipping
REDIRECT = (
    "system_design",
    16,
    3,
)  # 0 301 cached, uncounted; 1 302 every click counted; 2 shorteners use 302
QPS = ("system_design", 2, 0)  # 0 2 x 10^8 a day; 1 ~2,300 average; 2 peak 2-3x
TWO_TOWER = ("recommendations", 6, 5)  # 0 different embedding spaces; 1 same checkpoint; 2 refresh; 3; 4
MIN_DEPTH = ("coding_patterns", 10, 5)

CASES = [
    # (question, answer, covered: must be covered, absent: must not be, contradicted, grade or None)
    pytest.param(
        DROPOUT,
        "During training each activation is dropped with probability p and the ones kept are scaled by "
        "1/(1-p), so the expected activation does not change. At test time dropout is turned off and no "
        "extra scaling is needed.",
        {0, 1},
        {3},
        set(),
        None,
        id="dropout-partial",
    ),
    pytest.param(
        DROPOUT,
        "Dropout is also applied at inference time, dropping units at random exactly as in training.",
        set(),
        {0, 1, 2, 3},
        {1},
        "again",
        id="dropout-used-at-inference",
    ),
    pytest.param(
        DROPOUT,
        "dropout, inverted scaling, 1/(1-p), inference off, ensemble, co-adaptation, MC dropout.",
        set(),
        {0, 1, 2, 3},
        set(),
        "again",
        id="dropout-keyword-list",
    ),
    pytest.param(
        L1L2,
        "L1 does not produce sparse weights, only L2 does.",
        set(),
        {0, 1, 2, 3, 4},
        {0},
        "again",
        id="l1-not-sparse",
    ),
    pytest.param(
        L1L2,
        "The L1 penalty's gradient is lambda times sign(w), a push of constant size, so small weights are "
        "driven all the way to exactly zero. The L2 gradient 2 lambda w shrinks each weight in proportion to "
        "its size, so weights get small but rarely reach zero.",
        {0, 1},
        {2, 3, 4},
        set(),
        None,
        id="l1-l2-gradients",
    ),
    pytest.param(
        VANISHING,
        "Sigmoid is the vanishing gradient and ReLU is the He init with residual batchnorm, and gradient "
        "clipping is the layernorm.",
        set(),
        {0, 1, 2, 3, 4},
        set(),
        "again",
        id="confused-repetition",
    ),
    pytest.param(
        VANISHING,
        "ReLU, He, Xavier, residual, batchnorm, clipping. The sigmoid's derivative is at most 0.25 and "
        "almost zero when the unit saturates, so the gradient shrinks each time it passes back through a layer.",
        {0},
        {2, 3, 4},
        set(),
        None,
        id="list-plus-one-statement",
    ),
    pytest.param(
        REDIRECT,
        "A 302 redirect is temporary, so each click comes back to our service and can be counted for "
        "analytics, at the cost of more load. A 301 is permanent and browsers cache it, so repeat clicks "
        "skip the service and go uncounted.",
        {0, 1},
        set(),
        set(),
        None,
        id="redirect-good",
    ),
    pytest.param(
        REDIRECT,
        "Use 301 so every click reaches the service and is counted for analytics.",
        set(),
        {0, 1, 2},
        {1},
        "again",
        id="redirect-swapped",
    ),
    pytest.param(
        QPS,
        "10 million users times 20 requests is 2 x 10^8 requests a day; divided by 86,400 seconds that is "
        "about 2,300 requests per second on average.",
        {0, 1},
        {2},
        set(),
        None,
        id="qps-average-only",
    ),
    pytest.param(
        QPS,
        "10M x 20 = 200M requests per day. Dividing by 3,600 seconds, the average is about 55,000 QPS.",
        {0},
        {1, 2},
        set(),
        None,
        id="qps-wrong-divisor",
    ),
    pytest.param(
        TWO_TOWER,
        "The query tower and the item index come from different model versions, so their embeddings live "
        "in different spaces and the dot products mean nothing.",
        {0},
        {2, 3, 4},
        set(),
        None,
        id="two-tower-diagnosis-only",
    ),
    pytest.param(
        MIN_DEPTH,
        "A hash map gives O(1) average lookups, so I'd cache the results in a dictionary.",
        set(),
        {0, 1, 2, 3},
        set(),
        "again",
        id="off-topic",
    ),
]


def _item(ref: tuple[str, int, int], answer: str) -> AnswerToGrade:
    q = question(*ref)
    return AnswerToGrade(prompt=q.prompt, key_points=list(q.key_points), answer=answer)


@pytest.mark.parametrize(("ref", "answer", "covered", "absent", "contradicted", "grade"), CASES)
def test_coverage(
    grader: OfflineGrader,
    ref: tuple[str, int, int],
    answer: str,
    covered: set[int],
    absent: set[int],
    contradicted: set[int],
    grade: str | None,
) -> None:
    result = grader.grade(_item(ref, answer))
    reasons = {k.index: k.reason for k in result.key_points}
    assert covered <= set(result.covered), reasons
    assert not absent & set(result.covered), reasons
    assert contradicted <= set(result.contradicted), reasons
    if grade is not None:
        assert result.grade == grade, reasons
    for k in result.key_points:
        assert k.reason
        if k.status is not Status.missed:
            assert k.evidence is not None and answer[k.evidence.start : k.evidence.end] == k.evidence.text


@pytest.mark.parametrize("answer", ["", "   \n\n  "])
def test_blank_answer_grades_again_without_the_model(encoder, answer: str) -> None:
    counting = _Counting(encoder)
    result = OfflineGrader(counting).grade(_item(DROPOUT, answer))
    assert result.grade == "again" and result.grader == "offline"
    assert all(k.status is Status.missed and k.evidence is None for k in result.key_points)
    assert counting.batches == [4]  # the question's key points only; nothing of the answer


def test_a_keyword_list_says_why(grader: OfflineGrader) -> None:
    result = grader.grade(
        _item(VANISHING, "sigmoid derivative 0.25, saturation, ReLU, He init, residual, clipping")
    )
    assert result.grade == "again" and result.notice and "lists terms" in result.notice


def test_key_point_vectors_are_cached_per_question(encoder) -> None:
    counting = _Counting(encoder)
    grader = OfflineGrader(counting)
    two = "Dropout zeroes units at random during training. At inference it is turned off."
    grader.grade(_item(DROPOUT, two))
    grader.grade(_item(DROPOUT, two + " Rates are about 0.1 in transformers."))
    # Key points once (4), then one batch of sentences per answer (2, then 3).
    assert counting.batches == [4, 2, 3]


class _Counting:
    """The real encoder, recording the size of each batch it is asked to encode."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.dim, self.batches = inner, inner.dim, []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return self.inner.encode(texts)
