"""Which practice questions a review shows: sampled by review type, seeded so a reload repeats them."""

from __future__ import annotations

import random

from study_tracker.content.curriculum import Question, Topic
from study_tracker.tracker.srs import ReviewType


def sample_questions(topic: Topic, rtype: ReviewType, *, seed: str) -> list[Question]:
    """Weighted sampling without replacement; longer reviews favour harder (higher-level) questions.

    Returns the chosen questions in the topic's own order, so related questions stay together.
    """
    rng = random.Random(seed)
    pool = list(enumerate(topic.questions))
    chosen: list[tuple[int, Question]] = []
    for _ in range(min(rtype.questions, len(pool))):
        weights = [rtype.level_weights[q.level - 1] for _, q in pool]
        pick = rng.choices(range(len(pool)), weights=weights, k=1)[0]
        chosen.append(pool.pop(pick))
    return [q for _, q in sorted(chosen, key=lambda pair: pair[0])]
