"""Is a key point supported by the passage it cites? Checked, never trusted.

A key point is supported when the passage holds most of its content words (stems, synonyms
folded) and every figure it states; a paraphrase with fewer shared words passes only when the
packaged embedding model finds a sentence of the passage that says the same thing. An LLM that
invents a fact, or cites the wrong passage, fails both tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.grading.text import content_stems, figures, same_figure
from study_tracker.practice.questions.sections import plain, sentences

#: Share of a key point's content stems that must occur in the passage (lexical support).
LEXICAL_SHARE = 0.75
#: With an encoder: a paraphrase sharing at least this much ...
PARAPHRASE_SHARE = 0.5
#: ... is supported when a passage sentence is at least this close (cosine).
PARAPHRASE_COSINE = 0.72


@dataclass(frozen=True)
class Support:
    share: float  # content stems of the key point found in the passage
    figures_ok: bool  # every number of the key point is in the passage
    cosine: float | None  # best cosine to a passage sentence (None without an encoder)

    @property
    def supported(self) -> bool:
        if not self.figures_ok:
            return False
        if self.share >= LEXICAL_SHARE:
            return True
        return self.cosine is not None and self.share >= PARAPHRASE_SHARE and self.cosine >= PARAPHRASE_COSINE


def _figures_in(point: str, passage: str) -> bool:
    have = figures(passage)
    return all(any(same_figure(f, h, 0.01) for h in have) for f in figures(point, trivial=False))


def check_support(
    key_points: Sequence[str], passage: str, *, encoder: Encoder | None = None
) -> list[Support]:
    """How well ``passage`` supports each key point (see :class:`Support`).

    Args:
        key_points: the candidate's key points.
        passage: the cited text (``document.text[start:end]``).
        encoder: the packaged embedding model, to accept close paraphrases; lexical only if None.
    """
    text = plain(passage)
    have = set(content_stems(text))
    out = []
    cosines: list[float | None] = [None] * len(key_points)
    if encoder is not None and key_points:
        sents = [s.text for s in sentences(text, 0, len(text))] or [text]
        vecs = encoder.encode([*key_points, *sents])
        sims = np.asarray(vecs[: len(key_points)]) @ np.asarray(vecs[len(key_points) :]).T
        cosines = [float(row.max()) for row in sims]
    for point, cosine in zip(key_points, cosines, strict=True):
        stems = set(content_stems(point))
        share = len(stems & have) / len(stems) if stems else 0.0
        out.append(Support(share=share, figures_ok=_figures_in(point, text), cosine=cosine))
    return out
