"""Near-duplicate questions: a candidate that asks what an existing question already asks is dropped.

A question is compared as its prompt plus key points, three ways: the overlap of normalised
tokens (content stems, Jaccard); what the prompt asks about (its content stems less the words
every question uses: "explain", "name", "compare" ...), a duplicate when an existing prompt
already asks about all of it ("What is a Bloom filter?" after "What is a Bloom filter and when
would you use one?"); and, when the packaged embedding model is at hand, the cosine of the two
texts' embeddings. Any one over its threshold makes a duplicate. Candidates kept join
the pool, so two candidates of one run that ask the same thing keep only the first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.grading.text import content_stems, stem

#: Token overlap (Jaccard of content stems) at or above which two questions are the same.
JACCARD = 0.6
#: Embedding cosine at or above which two questions are the same.
COSINE = 0.9


#: Fewer words asked about than this and a prompt is too broad to call another a duplicate.
MIN_TOPIC = 2
_QUESTION_WORDS = (
    "explain name compare contrast list listed topics points parts key ideas differ difference "
    "describe mean means work works use used would one material say says give walk through"
)


@functools.cache
def _question_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in _QUESTION_WORDS.split())


def topic_stems(prompt: str) -> frozenset[str]:
    """What a prompt asks about: its content stems less the words every question uses."""
    return frozenset(content_stems(prompt)) - _question_stems()


@dataclass(frozen=True)
class Known:
    """An existing question: its text (prompt and key points), its prompt, and where it lives."""

    text: str
    label: str
    prompt: str = ""


def question_text(prompt: str, key_points: Sequence[str]) -> str:
    return " ".join([prompt, *key_points])


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class DuplicateFilter:
    """Says whether a question duplicates a known one (or one already accepted by this filter)."""

    def __init__(self, known: Sequence[Known], *, encoder: Encoder | None = None) -> None:
        self.labels = [k.label for k in known]
        self.stems = [set(content_stems(k.text)) for k in known]
        self.topics = [topic_stems(k.prompt) for k in known]
        self.encoder = encoder
        dim = getattr(encoder, "dim", 0) if encoder is not None else 0
        self.vectors = (
            np.asarray(encoder.encode([k.text for k in known]), dtype=np.float32)
            if encoder is not None and known
            else np.zeros((0, dim), dtype=np.float32)
        )

    def duplicate_of(self, text: str, *, label: str, prompt: str = "", keep: bool = True) -> str | None:
        """The label of the known question ``text`` (with ``prompt``) duplicates, or None (then,
        with ``keep``, it becomes known under ``label``)."""
        stems = set(content_stems(text))
        topic = topic_stems(prompt)
        for other, asks, other_label in zip(self.stems, self.topics, self.labels, strict=True):
            if jaccard(stems, other) >= JACCARD:
                return other_label
            if len(topic) >= MIN_TOPIC and topic <= asks:
                return other_label
        vec = None
        if self.encoder is not None:
            vec = np.asarray(self.encoder.encode([text]), dtype=np.float32)[0]
            if len(self.vectors):
                sims = self.vectors @ vec
                best = int(np.argmax(sims))
                if sims[best] >= COSINE:
                    return self.labels[best]
        if keep:
            self.labels.append(label)
            self.stems.append(stems)
            self.topics.append(topic)
            if vec is not None:
                self.vectors = np.vstack([self.vectors, vec[None, :]])
        return None
