"""``POST /api/ask`` and the ``/api/ask/stream`` server-sent events, through the real app.

The knowledge base is real (SQLite catalog, FAISS, BM25) over a small corpus embedded with the
bag-of-words test encoder; the LLM is ``tests/fake_llm.py``, a local server speaking the
OpenAI chat-completions protocol.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.answer.flow import NOTHING_RELEVANT
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.web.app import create_app
from tests.fake_llm import FakeLLM
from tests.knowledge.answer_helpers import TEST_MIN_SCORE, make_notes
from tests.knowledge.kb_helpers import WordHashEncoder

SECRET = "sk-test-DO-NOT-LEAK-4f9a1c"
QUESTION = "how does an LSM tree handle writes"
ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, tmp_path: Path) -> Iterator[ClientFactory]:
    """Clients of the full app over an indexed corpus; keyword arguments override settings."""
    notes = make_notes(tmp_path / "notes")
    base = settings.model_copy(update={"ask_min_score": TEST_MIN_SCORE})
    ingest_paths([notes], settings=base, encoder=WordHashEncoder())
    opened: list[TestClient] = []

    def make(index: bool = True, **overrides: object) -> TestClient:
        s = base.model_copy(update=overrides)
        if not index:
            s = s.model_copy(update={"knowledge_dir": tmp_path / f"empty-{len(opened)}"})
        app = create_app(s, knowledge_base=KnowledgeBase.open(s, encoder=WordHashEncoder()))
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


def events(text: str) -> list[dict]:  # type: ignore[type-arg]
    """The data of each server-sent event, in order (checking each ``event:`` line matches its type)."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        data = json.loads(lines["data"])
        assert lines["event"] == data["type"]
        out.append(data)
    return out


def test_answers_with_numbered_sources_and_cited_spans(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "extractive" and body["question"] == QUESTION and not body["rewritten"]
    assert "[1]" in body["text"] and body["notice"] is None
    first = body["sources"][0]
    assert first["n"] == 1 and first["cited"] and first["source"].endswith("storage.md")
    for s, e in first["spans"]:  # each highlighted span is a sentence quoted in the answer
        assert first["text"][s:e].strip() in body["text"]


def test_nothing_relevant_is_said_plainly(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "zebra herds crossing the savanna"}).json()
    assert body["mode"] == "none" and body["text"] == NOTHING_RELEVANT and body["sources"] == []


def test_follow_up_is_rewritten_with_the_previous_turn(client: TestClient) -> None:
    first = client.post("/api/ask", json={"question": QUESTION}).json()
    r = client.post(
        "/api/ask",
        json={
            "question": "and how does it handle reads?",
            "history": [{"question": QUESTION, "answer": first["text"]}],
        },
    )
    body = r.json()
    assert r.status_code == 200 and body["rewritten"] and "LSM" in body["query"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "question"),
        ({"question": 42}, "question"),
        ({"question": "x " * 50_000}, "question"),  # a 100 KB question
        ({"question": QUESTION, "k": 0}, "k"),
        ({"question": QUESTION, "k": 51}, "k"),
        ({"question": QUESTION, "k": "many"}, "k"),
        ({"question": QUESTION, "history": "the previous answer"}, "history"),
        ({"question": QUESTION, "history": [{"answer": "no question"}]}, "history.0.question"),
        ({"question": QUESTION, "history": [{"question": "a", "score": 3}]}, "history.0.score"),
        ({"question": QUESTION, "history": [{"question": "a"}] * 21}, "history"),
        ({"question": QUESTION, "llm": True}, "llm"),  # no LLM configured
        ({"question": QUESTION, "mode": "fast"}, "mode"),
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_bad_input_is_refused_naming_the_field(
    client: TestClient, path: str, payload: dict, field: str
) -> None:  # type: ignore[type-arg]
    r = client.post(path, json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/json")  # not a stream
    assert field in [e["field"] for e in r.json()["errors"]]


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    r = client.post("/api/ask", content=b"question=hi", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("history", "field"),
    [("not json", "history"), ('{"question": "a"}', "history"), ('[{"answer": "x"}]', "history")],
)
def test_get_stream_refuses_malformed_history(client: TestClient, history: str, field: str) -> None:
    r = client.get("/api/ask/stream", params={"question": QUESTION, "history": history})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


def test_empty_knowledge_base_says_how_to_add_material(make_client: ClientFactory) -> None:
    r = make_client(index=False).post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 503 and "study ingest" in r.json()["detail"]


def test_while_the_guides_are_indexed_ask_says_so(make_client: ClientFactory) -> None:
    client = make_client(index=False)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    status = job_status.JobStatus(
        id=job_status.PREPARE_JOB, kind="prepare", pid=os.getpid(), step="Embedding", percent=42
    )
    job_status.write_status(job_status.jobs_dir(settings) / "prepare.json", status)
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 503 and "still being indexed (42%" in r.json()["detail"]
    # Search says the same while it waits for the same index
    r = client.get("/api/search", params={"q": QUESTION})
    assert r.status_code == 503 and "still being indexed (42%" in r.json()["detail"]
    assert "still being indexed (42%" in client.get("/search", params={"q": QUESTION}).text
    status.state = "done"
    job_status.write_status(job_status.jobs_dir(settings) / "prepare.json", status)
    assert "still being indexed" not in client.post("/api/ask", json={"question": QUESTION}).json()["detail"]


def test_stream_sends_query_sources_delta_done(client: TestClient) -> None:
    r = client.post("/api/ask/stream?html=true", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    evs = events(r.text)
    assert [e["type"] for e in evs] == ["query", "sources", "delta", "done"]
    done = evs[-1]
    assert done["answer"] == client.post("/api/ask", json={"question": QUESTION}).json()
    assert evs[2]["text"] == done["answer"]["text"]
    assert '<mark class="cited">' in done["html"] and 'href="#source-1"' in done["html"]


def test_get_stream_for_event_source(client: TestClient) -> None:
    history = json.dumps([{"question": QUESTION, "answer": "x"}])
    r = client.get("/api/ask/stream", params={"question": "and reads?", "history": history})
    evs = events(r.text)
    assert (
        evs[0] == {"type": "query", "query": evs[0]["query"], "rewritten": True} and "LSM" in evs[0]["query"]
    )
    assert evs[-1]["type"] == "done" and "html" not in evs[-1]


def test_llm_answer_streams_through_the_app(make_client: ClientFactory) -> None:
    reply = "An LSM tree appends writes to a commit log and a memtable, then flushes sorted SSTables [1]."
    with FakeLLM(reply=reply) as fake:
        client = make_client(llm_base_url=fake.base_url, llm_model="fake", llm_enabled=True, llm_timeout_s=5)
        evs = events(client.post("/api/ask/stream?html=true", json={"question": QUESTION}).text)
    deltas = [e["text"] for e in evs if e["type"] == "delta"]
    assert len(deltas) > 3 and "".join(deltas).strip() == reply  # word by word, as the model sent it
    done = evs[-1]["answer"]
    assert done["mode"] == "llm" and done["text"] == reply and done["sources"][0]["cited"]
    assert fake.requests[0]["stream"] is True and fake.requests[0]["model"] == "fake"


def test_cut_llm_stream_falls_back_to_the_extractive_answer(make_client: ClientFactory) -> None:
    reply = "An LSM tree appends writes to a commit log and a memtable, then flushes sorted SSTables [1]."
    with FakeLLM(reply=reply, mode="cut") as fake:
        client = make_client(llm_base_url=fake.base_url, llm_model="fake", llm_enabled=True, llm_timeout_s=5)
        evs = events(client.post("/api/ask/stream?html=true", json={"question": QUESTION}).text)
    types = [e["type"] for e in evs]
    assert types[:2] == ["query", "sources"] and types[-1] == "done" and "notice" in types
    done = evs[-1]["answer"]
    assert done["mode"] == "extractive" and done["notice"] and "[1]" in done["text"]
    assert done["notice"] in evs[-1]["html"]  # the page shows why


@pytest.mark.parametrize("mode", ["down", "slow", "500", "malformed"])
def test_failing_llm_gives_the_extractive_answer_with_a_notice(make_client: ClientFactory, mode: str) -> None:
    with FakeLLM(mode=mode, delay=2.0) as fake:
        client = make_client(
            llm_base_url=fake.base_url, llm_model="fake", llm_enabled=True, llm_timeout_s=0.5, llm_retries=0
        )
        r = client.post("/api/ask", json={"question": QUESTION})
    body = r.json()
    assert r.status_code == 200 and body["mode"] == "extractive" and body["notice"] and "[1]" in body["text"]


@pytest.mark.parametrize("mode", ["ok", "500"])
def test_the_api_key_never_reaches_a_page_or_a_response(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("STUDY_LLM_API_KEY", SECRET)
    with FakeLLM(reply="Writes go to a memtable [1].", mode=mode) as fake:
        client = make_client(
            llm_base_url=fake.base_url, llm_model="fake", llm_enabled=True, llm_timeout_s=2, llm_retries=0
        )
        outputs = [
            client.post("/api/ask", json={"question": QUESTION}).text,
            client.post("/api/ask/stream?html=true", json={"question": QUESTION}).text,
            client.get("/api/ask/stream", params={"question": QUESTION}).text,
            client.get("/ask", params={"q": QUESTION}).text,
            client.post("/ask", data={"q": QUESTION, "llm": "true"}).text,
            client.get("/sources").text,
            client.get("/api/sources").text,
            client.get("/openapi.json").text,
        ]
    assert fake.headers and fake.headers[0]["Authorization"] == f"Bearer {SECRET}"  # it was used...
    for text in outputs:
        assert SECRET not in text  # ...and never shown


def test_first_start_prepare_is_reported_while_it_runs(settings: Settings) -> None:
    """``prepare.start`` (what ``study serve`` runs on a fresh folder) marks the prepare as running at
    once, so Ask says "still being indexed" from the first request; a stopped child is not "running"."""
    from study_tracker.knowledge.jobs import prepare

    child = prepare.start(settings)
    assert child is not None  # a fresh folder: the guides need indexing
    try:
        running = job_status.preparing(settings)
        assert running is not None and running.pid == child.pid
    finally:
        child.terminate()  # our own child, by its pid
        child.wait(timeout=30)
    assert job_status.preparing(settings) is None
