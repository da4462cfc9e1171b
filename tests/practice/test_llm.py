"""The LLM grader against a local server speaking the OpenAI chat-completions protocol
(tests/fake_llm.py): a good reply is used (evidence located, citations checked against the
knowledge-base passages), and every failure falls back to the offline grader with a notice."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from study_tracker.knowledge.answer.llm import LLMConfig
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.practice.grading.base import AnswerToGrade, Status
from study_tracker.practice.grading.llm import REPLY_SCHEMA, LLMGrader, parse_reply
from study_tracker.practice.grading.offline import OfflineGrader
from tests.fake_llm import FakeLLM
from tests.knowledge.answer_helpers import answer_kb

pytestmark = pytest.mark.model

ITEM = AnswerToGrade(
    prompt="How does dropout behave differently at training and inference time?",
    key_points=[
        "Training: each unit is zeroed with probability p and survivors are scaled by 1/(1 - p)",
        "Inference: dropout is switched off and no rescaling is needed",
        "It trains an implicit ensemble of thinned subnetworks, reducing co-adaptation",
    ],
    answer="Dropout zeroes random units while training. At test time it is switched off.",
)
GOOD = {
    "key_points": [
        {"index": 0, "status": "missed", "reason": "Says units are zeroed but not the 1/(1-p) scaling."},
        {
            "index": 1,
            "status": "covered",
            "reason": "Says it is off at test time.",
            "evidence": "At test time it is switched off.",
        },
        {"index": 2, "status": "missed", "reason": "No ensemble view.", "evidence": None},
    ],
    "grade": "hard",
    "correction": "Survivors are scaled by 1/(1-p) during training [2]; dropout stops co-adaptation [7].",
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return answer_kb(tmp_path_factory.mktemp("grading-kb"))[1]


def config(fake: FakeLLM, **kw: Any) -> LLMConfig:
    values: dict[str, Any] = {"base_url": fake.base_url, "model": "fake", "timeout_s": 0.5, "retries": 0}
    values.update(kw)
    return LLMConfig(**values)


def test_a_good_reply_is_used(grader: OfflineGrader, kb: KnowledgeBase) -> None:
    reply = "```json\n" + json.dumps(GOOD) + "\n```"  # models often fence JSON
    with FakeLLM(reply) as fake:
        result = LLMGrader(config(fake), grader, kb=kb).grade(ITEM)
    assert result.grader == "llm" and result.grade == "hard"
    assert [k.status for k in result.key_points] == [Status.missed, Status.covered, Status.missed]
    ev = result.key_points[1].evidence
    assert ev is not None and ITEM.answer[ev.start : ev.end] == "At test time it is switched off."
    # [7] is not among the passages: removed, with a notice; [2] is kept and its passage returned.
    assert result.correction is not None and "[7]" not in result.correction and "[2]" in result.correction
    assert result.notice and "[7]" in result.notice
    assert [p.n for p in result.passages] == [2]
    sent = fake.requests[0]["messages"][1]["content"]
    assert "0. Training: each unit is zeroed" in sent and "<<<ANSWER\nDropout zeroes" in sent
    assert "[1] " in sent and "Passages: none" not in sent  # knowledge-base passages were offered


def test_without_a_knowledge_base_nothing_is_cited(grader: OfflineGrader) -> None:
    with FakeLLM(json.dumps(GOOD)) as fake:
        result = LLMGrader(config(fake), grader).grade(ITEM)
    assert "Passages: none" in fake.requests[0]["messages"][1]["content"]
    assert result.correction is not None and "[" not in result.correction and result.passages == []


@pytest.mark.parametrize(
    ("reply", "mode", "notice"),
    [
        ("", "malformed", "not valid JSON"),  # the HTTP body itself is cut
        ('{"key_points": [{"index": 0, "status": "covered"', "ok", "not valid JSON"),
        ("Sure! The learner covered the second point.", "ok", "no JSON object"),
        ("I'm sorry, but I can't help with grading this answer.", "ok", "declined to grade"),
        (json.dumps({**GOOD, "grade": "great"}), "ok", "did not match the schema (grade:"),
        (json.dumps({**GOOD, "key_points": GOOD["key_points"][:2]}), "ok", "expected each of 0..2 once"),
        (
            json.dumps({**GOOD, "key_points": [{**GOOD["key_points"][0], "status": "partial"}]}),
            "ok",
            "schema",
        ),
        ("", "slow", "no reply within 0.5 s (timeout)"),
        ("", "down", "could not connect"),
        ("", "500", "HTTP 500"),
    ],
)
def test_failures_fall_back_to_offline(grader: OfflineGrader, reply: str, mode: str, notice: str) -> None:
    with FakeLLM(reply, mode=mode, delay=2.0) as fake:
        result = LLMGrader(config(fake), grader).grade(ITEM)
    assert result.grader == "offline"
    assert (
        result.notice is not None and notice in result.notice and "Graded offline instead." in result.notice
    )
    assert result == grader.grade(ITEM).model_copy(update={"notice": result.notice})


def test_a_blank_answer_is_not_sent(grader: OfflineGrader) -> None:
    with FakeLLM(json.dumps(GOOD)) as fake:
        result = LLMGrader(config(fake), grader).grade(ITEM.model_copy(update={"answer": "  "}))
    assert fake.requests == [] and result.grader == "offline" and result.grade == "again"


def test_parse_reply_takes_the_object_out_of_prose() -> None:
    data = parse_reply("Here is the grading:\n" + json.dumps(GOOD) + "\nHope it helps.", 3)
    assert data["grade"] == "hard"


def test_the_reply_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(REPLY_SCHEMA)
