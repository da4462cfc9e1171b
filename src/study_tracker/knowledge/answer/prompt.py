"""What an LLM is asked for an answer (the numbered passages and the question) and the check of
what it cites (only numbers it was given). Shared by Ask and the LLM grader's correction."""

from __future__ import annotations

import re
from collections.abc import Sequence

from study_tracker.knowledge.search.knowledge_base import SearchHit

PASSAGE_CHARS_FOR_LLM = 1500

SYSTEM_PROMPT = (
    "You answer a learner's question using only the numbered passages from their study notes. "
    "After each sentence that uses a passage, cite it with its number in square brackets, like [2]. "
    "Cite only the numbers given. If the passages do not answer the question, say so in one sentence. "
    "Be concise: a short paragraph, plain text."
)
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def build_messages(question: str, hits: Sequence[SearchHit]) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the numbered passages and the question."""
    parts = []
    for n, h in enumerate(hits, 1):
        where = " > ".join([h.title, *h.heading_path[1:]] if h.heading_path else [h.title])
        text = h.text if len(h.text) <= PASSAGE_CHARS_FOR_LLM else h.text[:PASSAGE_CHARS_FOR_LLM] + " ..."
        parts.append(f"[{n}] {where}\n{text.strip()}")
    user = "Passages:\n\n" + "\n\n".join(parts) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def check_citations(text: str, n_sources: int) -> tuple[str, set[int], tuple[int, ...]]:
    """``text`` without citations outside 1..n_sources, the valid numbers cited, and those dropped."""
    cited: set[int] = set()
    dropped: set[int] = set()

    def keep(m: re.Match[str]) -> str:
        nums = [int(x) for x in re.findall(r"\d+", m.group(1))]
        good = [x for x in nums if 1 <= x <= n_sources]
        dropped.update(x for x in nums if not 1 <= x <= n_sources)
        cited.update(good)
        return "".join(f"[{x}]" for x in good)

    cleaned = _CITATION.sub(keep, text)
    if dropped:
        cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned))
    return cleaned.strip(), cited, tuple(sorted(dropped))
