"""The lexical rules: figures, statements versus keyword lists, alternatives the prompt contrasts,
and polarity (negations within reach, opposite words, swapped alternatives)."""

from __future__ import annotations

import pytest

from study_tracker.practice.grading import text
from study_tracker.practice.grading.offline import answer_sentences, is_statement


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("10M x 20 = 2 x 10^8 requests", [1e7, 20, 2e8]),
        ("2 x 10^8 / 86,400 s ~ 2,300 QPS", [2e8, 86_400, 2_300]),
        ("13B params x 2 bytes = 26 GB", [13e9, 2, 26]),
        ("8 B count + 8 B sum = 384 B", [8, 8, 384]),  # a spaced B is bytes
        ("about 864M a day, p around 1e-33", [864e6, 1e-33]),
        ("using 10^5 s/day", [1e5]),
        ("Peak ~2-3x average; spikes 10x", [2, 3, 10]),
        ("141k KB, roughly 145 MB", [141_000, 145]),
        ("O(n log n) with no figure", []),
    ],
)
def test_figures(source: str, values: list[float]) -> None:
    assert text.figures(source) == pytest.approx(values)


def test_trivial_figures_and_results() -> None:
    assert text.figures("p = 1 / (1 + e^-z) at 0.25", trivial=False) == [0.25]
    assert text.result_figure("0.5 x 0.1 = 0.05") == 0.05
    assert text.result_figure("Each row is 256 floats x 4 bytes = 1 KB") is None  # 1 is in every formula
    assert text.result_figure("gives about 55,000 QPS") is None  # no = or ≈
    assert text.same_figure(9.6, 10) and not text.same_figure(2_300, 55_000)


@pytest.mark.parametrize(
    ("sentence", "stated"),
    [
        ("The stack keeps indices that are still waiting for an answer.", True),
        ("L1 produces sparse weights.", True),  # short, no commas, a verb
        ("dL/dz2 = p - y", True),  # a formula states a relation
        ("Use ReLU instead.", True),
        ("Monotonic stack, indices, next greater element, pop, push, amortized O(n).", False),
        ("vanishing gradients: sigmoid derivative 0.25, saturation, chain rule, ReLU, He init.", False),
        ("Primary PostgreSQL write throughput connections PgBouncer read replicas.", False),
        ("Binary search lower upper.", False),  # a row of nouns
        ("dropout training inference inverted scaling 1/(1-p) ensemble p=0.5", False),  # '=' in a list
    ],
)
def test_statement_or_list(sentence: str, stated: bool) -> None:
    assert is_statement(sentence) is stated


@pytest.mark.parametrize(
    ("prompt", "pairs"),
    [
        ("Should the redirect return HTTP 301 or 302, and how", {("301", "302")}),
        ("Compare L1 and L2 regularisation: which produces sparse weights", {("l1", "l2")}),
        ("Explain at-most-once, at-least-once and exactly-once processing", {("least", "most")}),
        ("Would you use BFS or DFS?", {("bfs", "dfs")}),
        ("Estimate the weight memory of the model", set()),  # adjacent, not joined
    ],
)
def test_alternatives(prompt: str, pairs: set[tuple[str, str]]) -> None:
    assert pairs <= text.alternatives(prompt)
    if not pairs:
        assert text.alternatives(prompt) == set()


L1_KP = "L1 penalty lambda sum|w| has gradient lambda sign(w): a constant push that drives small weights exactly to zero"


@pytest.mark.parametrize(
    ("claim", "reference", "siblings", "flipped"),
    [
        ("L1 does not produce sparse weights", L1_KP, (), True),
        ("L1 pushes small weights exactly to zero", L1_KP, (), False),
        ("L2 does not push weights exactly to zero", L1_KP, [("l1", "l2")], False),  # swap + negation cancel
        ("L2 pushes small weights exactly to zero", L1_KP, [("l1", "l2")], True),  # swapped alternative
        ("Dropout is used at inference as well", "Inference: dropout is switched off", (), True),
        ("It is a trade-off between memory and speed", "a tradeoff of memory and speed", (), False),
        ("Larger batches give noisier gradients", "Smaller batches give noisier gradients", (), True),
        (
            "a crash can cause messages to be delivered again",
            "commit first; a crash loses messages",
            (),
            True,
        ),
        ("if it crashes the message is lost", "commit first; a crash loses messages", (), False),
        ("a constant push no matter how small the weight is", L1_KP, (), False),  # an idiom
        ("store indices, not values", "Store indices rather than values", (), False),
        ("the answer stays -1", "have no greater element (answer -1 or 0)", (), False),  # out of reach
    ],
)
def test_polarity(claim: str, reference: str, siblings: list[tuple[str, str]], flipped: bool) -> None:
    assert bool(text.polarity_flips(claim, reference, siblings)) is flipped


def test_sentences_include_code_lines() -> None:
    answer = "Two binary searches.\n\n```python\nlo = bisect_left(a, t)\n```\nThen check a[lo]."
    spans = answer_sentences(answer)
    assert [answer[s:e] for s, e in spans] == [
        "Two binary searches.",
        "lo = bisect_left(a, t)",
        "Then check a[lo].",
    ]


def test_clauses_split_on_joined_claims() -> None:
    sentence = "We push indices, not values, so we know which slot to fill; the rest stay -1"
    assert [sentence[s:e] for s, e in text.clauses(sentence)] == [
        "We push indices, not values",
        "we know which slot to fill",
        "the rest stay -1",
    ]
