"""Near-duplicate questions: a candidate that asks what an existing question already asks is dropped.

A question is compared as its prompt plus key points, two ways: the overlap of normalised
tokens (content stems, Jaccard) and, when the packaged embedding model is at hand, the cosine
of the two texts' embeddings. Either over its threshold makes a duplicate. Candidates kept join
the pool, so two candidates of one run that ask the same thing keep only the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.grading.text import content_stems

#: Token overlap (Jaccard of content stems) at or above which two questions are the same.
JACCARD = 0.6
#: Embedding cosine at or above which two questions are the same.
COSINE = 0.9


@dataclass(frozen=True)
class Known:
    """An existing question: its text (prompt and key points) and where it lives, for messages."""

    text: str
    label: str


def question_text(prompt: str, key_points: Sequence[str]) -> str:
    return " ".join([prompt, *key_points])


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class DuplicateFilter:
    """Says whether a question duplicates a known one (or one already accepted by this filter)."""

    def __init__(self, known: Sequence[Known], *, encoder: Encoder | None = None) -> None:
        self.labels = [k.label for k in known]
        self.stems = [set(content_stems(k.text)) for k in known]
        self.encoder = encoder
        dim = getattr(encoder, "dim", 0) if encoder is not None else 0
        self.vectors = (
            np.asarray(encoder.encode([k.text for k in known]), dtype=np.float32)
            if encoder is not None and known
            else np.zeros((0, dim), dtype=np.float32)
        )

    def duplicate_of(self, text: str, *, label: str, keep: bool = True) -> str | None:
        """The label of the known question ``text`` duplicates, or None (then, with ``keep``,
        ``text`` becomes known under ``label``)."""
        stems = set(content_stems(text))
        for other, other_label in zip(self.stems, self.labels, strict=True):
            if jaccard(stems, other) >= JACCARD:
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
            if vec is not None:
                self.vectors = np.vstack([self.vectors, vec[None, :]])
        return None
