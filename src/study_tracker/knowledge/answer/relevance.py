"""Whether the retrieved passages can answer the question: two signals, one decision.

The dense signal is the best cosine between the question and any passage (fused hybrid scores
are normalised per query, so they cannot tell "relevant" from "closest of nothing"). Alone it
fails both ways on short, specific questions: "which port does the app listen on?" scores about
0.3 against a study plan that says "open http://localhost:5555", while an off-topic question can
reach 0.36 on the bundled guides. The lexical signal is the largest share of the question's topic
words (stemmed, stop and question words left out) that one of the top passages contains: a
learner's notes share the question's words in the passage that answers it, while an off-topic
question finds at most its common words, scattered over several passages ("boiling point of water
at high altitude": "point", "water" and "high" are in three different guide passages, so the
union of the passages holds 3 of its 5 words but no single passage more than 2).

A question is answered when the cosine alone is high enough (``ask_min_score``), or when it is
at least ``ask_floor_score`` and the passages hold at least ``ask_min_coverage`` of its topic
words. Calibrated on bench/qa/refusal_qa.jsonl (tuning half) and reported on its other half
(bench/qa/refusal.py, bench/README.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from study_tracker.config import Settings
from study_tracker.knowledge.answer import followup
from study_tracker.knowledge.search.knowledge_base import SearchHit

_JOINERS = re.compile(r"[./\-]")
_LOCAL = threading.local()  # PyStemmer objects are not thread-safe; the web server has many threads


def terms(text: str) -> set[str]:
    """The stemmed, lower-cased topic words of ``text`` (no stop words or question words)."""
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _LOCAL.stemmer = Stemmer.Stemmer("english")
    words = [w.lower() for w in followup.content_terms(text)]
    return set(stemmer.stemWords(words))


def _passage_terms(hit: SearchHit) -> set[str]:
    # A passage's words, its title's and its headings', also split on the joiners a word may carry
    # ("two-tower", "ci/cd", "v1.2"), so a question that writes them apart still finds them.
    text = " ".join([hit.title, *hit.heading_path, hit.text])
    return terms(text) | terms(_JOINERS.sub(" ", text))


def coverage(query: str, hits: Sequence[SearchHit]) -> float:
    """The largest share of ``query``'s topic words that one of ``hits`` holds (0 when it has none)."""
    wanted = terms(query)
    if not wanted or not hits:
        return 0.0
    return max(len(_passage_terms(hit) & wanted) for hit in hits) / len(wanted)


@dataclass(frozen=True)
class Evidence:
    """What the flow measured about the retrieved passages."""

    cosine: float  # best dense cosine of the question against any passage (-1: nothing)
    coverage: float  # share of the question's topic words in the top passages

    def answers(self, settings: Settings) -> bool:
        """Whether to answer (else "nothing relevant"): see the module's docstring."""
        if self.cosine >= settings.ask_min_score:
            return True
        return self.cosine >= settings.ask_floor_score and self.coverage >= settings.ask_min_coverage
