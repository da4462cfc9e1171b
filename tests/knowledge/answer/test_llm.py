"""The LLM client and LLM answers against a local server speaking the OpenAI chat-completions
protocol (tests/fake_llm.py): streaming, citation checks, and every failure falling back."""

from __future__ import annotations

import time

import pytest

from study_tracker.knowledge.answer.flow import answer_question, stream_answer
from study_tracker.knowledge.answer.followup import Turn
from study_tracker.knowledge.answer.llm import LLMConfig, LLMError, chat, stream_chat
from study_tracker.knowledge.answer.prompt import build_messages
from tests.fake_llm import FakeLLM
from tests.knowledge.answer_helpers import answer_kb

SECRET = "sk-test-5ecret-value"
MESSAGES = [{"role": "user", "content": "hi"}]


def config(fake: FakeLLM, **kw) -> LLMConfig:
    values = {
        "base_url": fake.base_url,
        "model": "fake-model",
        "timeout_s": 0.5,
        "retries": 1,
        "backoff_s": 0.01,
    }
    values.update(kw)
    return LLMConfig(**values)


@pytest.fixture(scope="module")
def kb_env(tmp_path_factory: pytest.TempPathFactory):
    return answer_kb(tmp_path_factory.mktemp("llm-kb"))


def test_chat_and_stream_send_the_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDY_LLM_API_KEY", SECRET)
    with FakeLLM("A ring of hashes [1].") as fake:
        c = config(fake)
        assert chat(c, MESSAGES) == "A ring of hashes [1]."
        pieces = list(stream_chat(c, MESSAGES))
    assert len(pieces) > 1 and "".join(pieces) == "A ring of hashes [1]."
    first, second = fake.requests
    assert first["stream"] is False and second["stream"] is True
    assert first["model"] == "fake-model" and first["messages"] == MESSAGES and first["temperature"] == 0.2
    assert fake.headers[0]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in repr(c) and SECRET not in str(c.__dict__)


def test_no_key_no_authorization_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STUDY_LLM_API_KEY", raising=False)
    with FakeLLM("ok") as fake:
        chat(config(fake), MESSAGES)
    assert "Authorization" not in fake.headers[0]


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://h:11434", "http://h:11434/v1/chat/completions"),
        ("http://h:11434/v1/", "http://h:11434/v1/chat/completions"),
        ("https://api.example.org/openai/v1", "https://api.example.org/openai/v1/chat/completions"),
        ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
    ],
)
def test_url(base: str, url: str) -> None:
    assert LLMConfig(base_url=base, model="m").url == url


@pytest.mark.parametrize(
    ("mode", "message", "requests"),
    [
        ("down", "could not connect", 0),
        ("slow", "no reply within 0.5 s (timeout)", 2),
        ("500", "HTTP 500", 2),
        ("malformed", "not valid JSON", 1),
        ("cut", "stream stopped before the answer was complete", 1),
    ],
)
def test_stream_failures(mode: str, message: str, requests: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDY_LLM_API_KEY", SECRET)
    with FakeLLM("one two three four five six", mode=mode, delay=1.5) as fake:
        c = config(fake)
        t0 = time.perf_counter()
        with pytest.raises(LLMError) as info:
            list(stream_chat(c, MESSAGES))
        took = time.perf_counter() - t0
    assert message in str(info.value) and c.url in str(info.value)
    assert SECRET not in str(info.value)
    assert len(fake.requests) == requests  # connection errors, timeouts and 5xx are retried once
    assert took < 3.5


def test_non_stream_failures() -> None:
    with FakeLLM(mode="malformed") as fake, pytest.raises(LLMError, match="not valid JSON"):
        chat(config(fake), MESSAGES)
    with FakeLLM(mode="500") as fake, pytest.raises(LLMError, match="HTTP 500"):
        chat(config(fake, retries=2), MESSAGES)
    assert len(fake.requests) == 3


def test_a_500_then_success_is_retried() -> None:
    with FakeLLM("Recovered [1].", mode="500", fail_times=1) as fake:
        assert "".join(stream_chat(config(fake), MESSAGES)) == "Recovered [1]."
    assert len(fake.requests) == 2


def test_llm_answer_streams_and_checks_citations(kb_env) -> None:
    s, kb, _ = kb_env
    reply = (
        "Dropout zeroes activations at random [1]. It was invented on Mars [9]. It is off at test time [1]."
    )
    with FakeLLM(reply) as fake:
        events = list(stream_answer(kb, "why does dropout reduce overfitting?", llm=config(fake), settings=s))
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["query", "sources"] and kinds[-1] == "done" and kinds.count("delta") > 3
    assert "".join(e["text"] for e in events if e["type"] == "delta") == reply
    done = events[-1]["answer"]
    assert done["mode"] == "llm" and done["dropped_citations"] == [9]
    assert "[9]" not in done["text"] and "on Mars." in done["text"]
    assert "[9]" in done["notice"] and "removed" in done["notice"]
    assert any(e["type"] == "notice" and "[9]" in e["text"] for e in events)
    cited = [x for x in done["sources"] if x["cited"]]
    assert [x["n"] for x in cited] == [1] and cited[0]["spans"]
    assert not any(x["cited"] for x in done["sources"][1:])
    # The prompt numbered the same passages the answer lists.
    prompt = fake.requests[0]["messages"][1]["content"]
    for x in done["sources"]:
        assert f"[{x['n']}] " in prompt
    assert "Question: why does dropout reduce overfitting?" in prompt


@pytest.mark.parametrize("mode", ["down", "slow", "500", "malformed", "cut"])
def test_every_llm_failure_falls_back_to_the_extractive_answer(kb_env, mode: str) -> None:
    s, kb, _ = kb_env
    question = "why does dropout reduce overfitting?"
    extractive = answer_question(kb, question, settings=s)
    with FakeLLM(
        "Dropout helps [1] because of many reasons that take long to say", mode=mode, delay=1.5
    ) as fake:
        c = config(fake)
        events = list(stream_answer(kb, question, llm=c, settings=s))
    done = events[-1]["answer"]
    assert done["mode"] == "extractive" and done["text"] == extractive.text
    assert c.url in done["notice"] and "Showing the extractive answer instead." in done["notice"]
    assert [x["cited"] for x in done["sources"]] == [x.cited for x in extractive.sources]
    notices = [e for e in events if e["type"] == "notice"]
    assert len(notices) == 1 and notices[0]["text"] == done["notice"]
    if mode == "cut":  # the partial reply was streamed before the cut, then the fallback
        deltas = [e["text"] for e in events if e["type"] == "delta"]
        assert deltas[0] == "Dropout " and deltas[-1] == extractive.text


def test_empty_llm_reply_falls_back(kb_env) -> None:
    s, kb, _ = kb_env
    with FakeLLM("") as fake:
        a = answer_question(kb, "why does dropout reduce overfitting?", llm=config(fake), settings=s)
    assert a.mode == "extractive" and "empty answer" in a.notice


def test_nothing_relevant_does_not_call_the_llm(kb_env) -> None:
    s, kb, _ = kb_env
    with FakeLLM("Paris [1].") as fake:
        a = answer_question(kb, "what is the capital of France?", llm=config(fake), settings=s)
    assert a.mode == "none" and fake.requests == []


def test_follow_up_rewritten_by_the_llm_or_without_it(kb_env) -> None:
    s, kb, _ = kb_env
    history = [Turn("what is dropout in training?")]

    def reply(body: dict) -> str:
        return "When is dropout switched off?" if not body["stream"] else "At test time [1]."

    with FakeLLM(reply) as fake:
        a = answer_question(kb, "and when is it switched off?", history=history, llm=config(fake), settings=s)
    assert a.rewritten and a.query == "When is dropout switched off?" and a.mode == "llm"
    assert "Previous question: what is dropout in training?" in fake.requests[0]["messages"][1]["content"]
    with FakeLLM(mode="down") as fake:
        a = answer_question(kb, "and when is it switched off?", history=history, llm=config(fake), settings=s)
    assert a.rewritten and "dropout" in a.query and a.mode == "extractive"
    assert "rewritten without it" in a.notice and "extractive" in a.notice


def test_build_messages_numbers_passages(kb_env) -> None:
    s, kb, _ = kb_env
    hits = kb.search("dropout overfitting", k=2)
    system, user = build_messages("q?", hits)
    assert system["role"] == "system" and "[2]" in system["content"]
    assert user["content"].startswith("Passages:\n\n[1] ") and "\n\n[2] " in user["content"]
    assert hits[0].text.strip() in user["content"]
