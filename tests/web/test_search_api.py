"""The Search page, its htmx fragment and ``GET /api/search``, through the real app (test client)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.web import knowledge_views
from study_tracker.web.app import create_app
from tests.knowledge.kb_helpers import WordHashEncoder


@pytest.fixture
def client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "dist.md").write_text(
        "# Distributed systems\n\n## Consistent hashing\n\nConsistent hashing moves only K/N keys when a node joins.\n\n"
        "## Leases\n\nA lease <expires> after a timeout & must be renewed.\n"
    )
    (corpus / "r.ndjson").write_text(
        json.dumps(
            {
                "id": "p1",
                "subreddit": "ExperiencedDevs",
                "title": "On-call burnout",
                "selftext": "I am exhausted and stuck, the pager keeps waking me up every night.",
                "score": 77,
                "permalink": "/r/ExperiencedDevs/comments/p1/x/",
            }
        )
        + "\n"
    )
    ingest_paths([corpus], settings=settings, encoder=WordHashEncoder())
    app = create_app(settings, knowledge_base=KnowledgeBase.open(settings, encoder=WordHashEncoder()))
    with TestClient(app) as c:
        yield c


def test_api_search_returns_passages_with_offsets(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/api/search", params={"q": "consistent hashing keys", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "consistent hashing keys" and body["mode"] == "hybrid" and body["took_ms"] >= 0
    top = body["results"][0]
    assert top["heading_path"] == ["Distributed systems", "Consistent hashing"]
    original = (tmp_path / "corpus" / "dist.md").read_text()
    assert (
        original[top["start"] : top["end"]]
        == top["text"]
        == "Consistent hashing moves only K/N keys when a node joins."
    )
    assert top["source"] == str(tmp_path / "corpus" / "dist.md") and top["kind"] == "markdown"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x", "mode": "fuzzy"}, "mode"),
        ({"q": "x", "k": 0}, "k"),
        ({"q": "x", "kind": "video"}, "kind"),
        ({"q": ""}, "q"),
        ({"q": "x", "pain_point": "maybe"}, "pain_point"),
    ],
)
def test_api_search_rejects_bad_parameters(client: TestClient, params: dict, field: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


def test_api_search_filters(client: TestClient) -> None:
    r = client.get(
        "/api/search", params={"q": "pager exhausted hashing", "mode": "bm25", "pain_point": "true"}
    )
    results = r.json()["results"]
    assert [h["doc_id"] for h in results] == ["t3_p1"]
    assert results[0]["meta"]["subreddit"] == "ExperiencedDevs" and results[0]["pain_point"] is True
    r = client.get("/api/search", params={"q": "pager exhausted hashing", "mode": "bm25", "kind": "markdown"})
    assert {h["kind"] for h in r.json()["results"]} == {"markdown"}
    r = client.get("/api/search", params={"q": "pager hashing", "source": "r.ndjson", "mode": "bm25"})
    assert [h["doc_id"] for h in r.json()["results"]] == ["t3_p1"]


def test_search_page_and_htmx_fragment(client: TestClient) -> None:
    page = client.get("/search", params={"q": "lease timeout renewed", "mode": "bm25"})
    assert page.status_code == 200
    html = page.text
    assert "<form" in html and 'name="mode"' in html and "Search your knowledge" in html
    # The passage is shown escaped and marked, with the query words in bold.
    assert "A <b>lease</b> &lt;expires&gt; after a <b>timeout</b> &amp; must be <b>renewed</b>." in html
    # The document's title and section, not its path; the path, offsets and score behind Details.
    assert re.search(
        r'Distributed systems</a></strong>\s*<span class="muted hit-section">› Leases</span>', html
    )
    details = html[html.index('<details class="hit-details">') :]
    assert "dist.md" in details[: details.index("</details>")] and "score" in details
    assert ">hybrid<" not in html and ">bm25<" not in html and ">Exact words</option>" in html
    fragment = client.get(
        "/search", params={"q": "lease timeout renewed", "mode": "bm25"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert "<form" not in fragment.text and "<html" not in fragment.text
    assert 'class="search-hit"' in fragment.text
    reddit = client.get("/search", params={"q": "pager", "mode": "bm25"}, headers={"HX-Request": "true"})
    assert "r/ExperiencedDevs" in reddit.text and "pain point" in reddit.text
    assert 'href="https://www.reddit.com/r/ExperiencedDevs/comments/p1/x/"' in reddit.text


def test_search_page_lists_sources_without_a_query(client: TestClient, tmp_path: Path) -> None:
    html = client.get("/search").text
    assert str(tmp_path / "corpus") in html and "Sources" in html


def test_search_page_shows_errors_as_a_message(client: TestClient) -> None:
    r = client.get("/search", params={"q": "x", "mode": "fuzzy"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "mode must be one of" in r.text


def test_empty_knowledge_base_in_the_full_app(settings) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/search", params={"q": "anything"})
        assert r.status_code == 503 and "study ingest" in r.json()["detail"]
        page = c.get("/search", params={"q": "anything"})
        assert page.status_code == 200 and "study ingest" in page.text


def test_server_never_exports_the_query_encoder(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the ONNX file the server answers keyword search, says dense is being prepared
    (503), and starts the background prepare process instead of loading torch itself."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Caching\n\nA write-through cache updates the store on every write.\n")
    s = settings
    ingest_paths([corpus], settings=s, encoder=WordHashEncoder())  # no ONNX encoder exported
    started: list[Path] = []
    with TestClient(create_app(s)) as client:  # the knowledge base as the server opens it (export=False)
        prepare = client.app.state.knowledge_prepare  # type: ignore[attr-defined]
        monkeypatch.setattr(prepare, "start", lambda: started.append(prepare.settings.knowledge_path))
        ok = client.get("/api/search", params={"q": "write-through cache", "mode": "bm25"})
        assert ok.status_code == 200 and ok.json()["results"][0]["text"].startswith("A write-through cache")
        busy = client.get("/api/search", params={"q": "write-through cache", "mode": "hybrid"})
    assert busy.status_code == 503 and "still being prepared" in busy.json()["detail"]
    assert started == [s.knowledge_path]
    assert not list(s.knowledge_path.glob("onnx/*.onnx"))  # nothing was exported in this process


def test_permalinks_become_links_only_when_they_are_web_addresses() -> None:
    assert (
        knowledge_views.web_link("https://www.reddit.com/r/x/comments/1/")
        == "https://www.reddit.com/r/x/comments/1/"
    )
    assert knowledge_views.web_link("javascript:alert(1)") is None
    assert knowledge_views.web_link(None) is None


def test_search_page_says_nothing_relevant(client: TestClient) -> None:
    html = client.get("/search", params={"q": "zqxj vbnm plokij"}).text
    assert "Nothing relevant to <strong>zqxj vbnm plokij</strong>" in html
    assert "Show the closest passages anyway" in html  # still there, folded away
    sure = client.get("/search", params={"q": "consistent hashing moves keys when a node joins"}).text
    assert "Nothing relevant" not in sure and 'class="search-hit"' in sure
