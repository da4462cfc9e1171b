"""The Ask page without JavaScript (GET and the POSTed form), topic-page passages and Ask links."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.sources import bundled_guides_path
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.search.knowledge_base import SearchHit
from study_tracker.web import answer_html
from tests.web.test_ask_api import QUESTION, ClientFactory, make_client  # noqa: F401  (fixture)

TOPIC = "/tracks/system_design/days/1"


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:  # noqa: F811
    return make_client()


def test_ask_page_shows_the_form(client: TestClient) -> None:
    html = client.get("/ask").text
    assert 'id="ask-form"' in html and 'name="q"' in html and "ask-answer" not in html
    assert '<a href="/ask" aria-current="page">' in html and '<a href="/sources">' in html  # in the nav


def test_answer_links_each_marker_to_its_highlighted_source(client: TestClient) -> None:
    r = client.get("/ask", params={"q": QUESTION})
    assert r.status_code == 200
    html = r.text
    answer = re.search(r'<p class="ask-text">(.*?)</p>', html, re.S)
    assert answer and 'href="#source-1"' in answer.group(1)
    source = re.search(r'<li class="ask-source cited" id="source-1".*?</li>', html, re.S)
    assert source and "storage.md" in source.group(0)
    marked = re.findall(r'<mark class="cited">(.*?)</mark>', source.group(0), re.S)
    assert marked and all(m.strip() in answer.group(1) for m in marked)  # the quoted sentences


def test_follow_up_form_carries_the_conversation(client: TestClient) -> None:
    first = client.post("/ask", data={"q": QUESTION}).text
    hidden = dict(re.findall(r'<input type="hidden" name="(hq|hquery)" value="([^"]*)"', first))
    assert hidden["hq"] == QUESTION
    answer_text = re.search(r'name="ha" value="([^"]*)"', first).group(1)  # type: ignore[union-attr]
    html = client.post(
        "/ask", data={"q": "and how does it handle reads?", "hq": QUESTION, "ha": answer_text}
    ).text
    assert "Searched for: <em>" in html and "LSM" in re.search(r"Searched for: <em>(.*?)</em>", html).group(1)  # type: ignore[union-attr]
    assert f"<strong>You asked:</strong> {QUESTION}" in html  # the previous turn is listed
    assert html.count('name="hq"') == 2  # both turns go with the next question


def test_nothing_relevant_is_shown_plainly(client: TestClient) -> None:
    html = client.get("/ask", params={"q": "zebra herds crossing the savanna"}).text
    assert "ask-nothing" in html and "found nothing" in html and "ask-source" not in html


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"q": ""}, 422, "question is empty"),
        ({"q": "y" * 100_000}, 422, "100,000 characters"),
        ({"q": QUESTION, "llm": "true"}, 200, "ask-answer"),  # no LLM configured: the box is ignored
    ],
)
def test_bad_form_input_gets_a_message(client: TestClient, data: dict, status: int, words: str) -> None:  # type: ignore[type-arg]
    r = client.post("/ask", data=data)
    assert r.status_code == status and words in r.text


def test_question_text_is_escaped(client: TestClient) -> None:
    html = client.get("/ask", params={"q": "<script>alert(1)</script> LSM tree writes"}).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_page_says_when_the_guides_are_still_indexed(make_client: ClientFactory) -> None:  # noqa: F811
    client = make_client(index=False)
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    status = job_status.JobStatus(
        id=job_status.PREPARE_JOB, kind="prepare", pid=os.getpid(), percent=63, step="Embedding"
    )
    job_status.write_status(job_status.jobs_dir(settings) / "prepare.json", status)
    r = client.get("/ask", params={"q": QUESTION})
    assert r.status_code == 503 and "still being indexed (63%" in r.text and "Traceback" not in r.text
    assert "still being indexed (63%" in client.get("/ask").text  # said before asking, too


def test_guide_sources_link_to_the_guide_page_at_the_heading() -> None:
    hit = SearchHit(
        chunk_id="x#1",
        doc_id="x",
        score=1.0,
        text="Consistent hashing places keys on a ring. It moves few keys.",
        title="System Design",
        source=str(bundled_guides_path() / "system-design.md"),
        kind="markdown",
        heading_path=["System Design", "Day 6: Sharding", "Consistent hashing"],
        start=100,
        end=160,
        pain_point=False,
    )
    view = answer_html.source_view({"n": 2, "cited": True, "spans": [[0, 41]], **hit.to_dict()})
    assert view["link"] == "/guides/system-design.md#consistent-hashing"
    assert str(view["passage"]).startswith(
        '<mark class="cited">Consistent hashing places keys on a ring.</mark>'
    )
    assert view["path"] == "System Design › Day 6: Sharding › Consistent hashing"


def test_marked_spans_are_escaped_and_clipped() -> None:
    out = str(answer_html.marked("a <b> c & d", [[2, 5], [4, 8], [20, 30]]))
    assert out == 'a <mark class="cited">&lt;b&gt;</mark><mark class="cited"> c </mark>&amp; d'


def test_answer_markers_only_link_known_sources() -> None:
    html = str(answer_html.answer_html("A [1] B [7] <i>", {1}))
    assert 'href="#source-1"' in html and "[7]" in html and "source-7" not in html and "&lt;i&gt;" in html


def test_answer_inline_markdown_is_rendered_and_sanitized() -> None:
    html = str(answer_html.answer_html("With *in-batch* `negatives` [1] see [x](javascript:alert(1))", {1}))
    assert "<em>in-batch</em>" in html and "<code>negatives</code>" in html and 'href="#source-1"' in html
    assert 'href="javascript' not in html and "<p>" not in html


# --- where studying happens: topic pages ---


def test_topic_page_shows_passages_from_your_materials(make_client: ClientFactory, tmp_path: Path) -> None:  # noqa: F811
    client = make_client()
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    from study_tracker.knowledge.ingest.pipeline import ingest_paths
    from study_tracker.tracker.service import get_topic
    from tests.knowledge.kb_helpers import WordHashEncoder

    topic = get_topic("system_design", 1)
    notes = tmp_path / "more"
    notes.mkdir()
    (notes / "mine.md").write_text(
        f"# My notes\n\n## {topic.title}\n\n{topic.title}: " + " ".join(topic.subtopics) + "\n"
    )
    ingest_paths([notes], settings=settings, encoder=WordHashEncoder())
    html = client.get(TOPIC).text
    section = re.search(r'<section class="related-passages".*?</section>', html, re.S)
    assert section and "From your materials" in section.group(0)
    assert "My notes" in section.group(0) and section.group(0).count('class="related-passage"') <= 3


def test_topic_page_without_an_index_shows_a_note(make_client: ClientFactory) -> None:  # noqa: F811
    r = make_client(index=False).get(TOPIC)
    assert r.status_code == 200 and "Nothing is indexed yet" in r.text


def test_topic_page_survives_a_broken_knowledge_base(make_client: ClientFactory) -> None:  # noqa: F811
    client = make_client()

    class Broken:
        def search(self, *a: object, **kw: object) -> list[SearchHit]:
            raise RuntimeError("disk on fire")

    client.app.state.knowledge_base = Broken()  # type: ignore[attr-defined]
    r = client.get(TOPIC)
    assert r.status_code == 200 and "unavailable right now" in r.text and "Subtopics" in r.text


def test_every_practice_question_links_to_ask(client: TestClient) -> None:
    from urllib.parse import unquote

    from study_tracker.tracker.service import get_topic

    html = client.get(TOPIC).text
    links = [unquote(x) for x in re.findall(r'class="ask-link" href="/ask\?q=([^"]+)"', html)]
    prompts = [q.prompt for q in get_topic("system_design", 1).questions]
    assert links == prompts


def test_related_passages_are_remembered_per_index_generation(tmp_path: Path) -> None:
    from study_tracker.knowledge.ingest.pipeline import ingest_paths
    from study_tracker.knowledge.search.related import related_passages
    from tests.knowledge.answer_helpers import answer_kb
    from tests.knowledge.kb_helpers import WordHashEncoder

    settings, kb, notes = answer_kb(tmp_path)
    calls: list[str] = []
    search = kb.search_with_dense

    def counted(query: str, **kw: object) -> tuple[list[SearchHit], dict[str, float]]:
        calls.append(query)
        return search(query, **kw)  # type: ignore[arg-type]

    kb.search_with_dense = counted  # type: ignore[method-assign]
    first = related_passages(kb, title="Dropout", subtopics=["overfitting", "co-adapting units"])
    again = related_passages(kb, title="Dropout", subtopics=["overfitting", "co-adapting units"])
    assert first.hits and [h.chunk_id for h in again.hits] == [h.chunk_id for h in first.hits]
    assert calls == ["Dropout overfitting co-adapting units"]  # the second view did not search
    (notes / "more.md").write_text("# Dropout again\n\nDropout is a cheap ensemble of thinned networks.\n")
    ingest_paths([notes], settings=settings, encoder=WordHashEncoder())
    related_passages(kb, title="Dropout", subtopics=["overfitting", "co-adapting units"])
    assert len(calls) == 2  # a new index generation: searched again
