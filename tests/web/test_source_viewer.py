"""The source viewer (``GET /sources/view``): every search result and Ask source links to its place.

A real app over a real index (SQLite catalog, FAISS, BM25) of a small folder (Markdown, text,
JSONL records, a PDF) embedded with the bag-of-words test encoder.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.errors import NotFound
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.search.viewer import load_passage
from study_tracker.web.app import create_app
from tests.knowledge.answer_helpers import TEST_MIN_SCORE
from tests.knowledge.kb_helpers import WordHashEncoder, make_pdf

NOTES_MD = (
    "# Caching\n\n## Write-through\n\nA write-through cache updates the cache and the database in the "
    "same request, so reads never see stale <entries> & values.\n\n"
    "## Eviction\n\nLRU eviction drops the least recently used key when memory runs out.\n"
)
PLAIN_TXT = (
    "Queues decouple producers from consumers.\n\n"
    "Backpressure makes a slow consumer push back on a fast producer instead of dropping messages.\n"
)
RECORDS = [
    {"id": "r1", "title": "Sharding", "text": "Sharding splits a table across machines by a partition key."},
    {"id": "r2", "title": "Replication", "text": "Replication copies every write to follower replicas."},
    {"id": "r3", "title": "Consensus", "text": "Raft elects a leader that orders every log entry."},
]
PDF_PAGES = ["Bloom filters answer membership queries with false positives only."]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.md").write_text(NOTES_MD)
    (folder / "plain.txt").write_text(PLAIN_TXT)
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    (folder / "bloom.pdf").write_bytes(make_pdf(PDF_PAGES))
    return folder


@pytest.fixture
def indexed(settings: Settings, corpus: Path) -> Settings:
    s = settings.model_copy(update={"ask_min_score": TEST_MIN_SCORE})
    report = ingest_paths([corpus], settings=s, encoder=WordHashEncoder())
    assert not report.skipped and report.documents == 6  # md + txt + 3 records + pdf
    return s


@pytest.fixture
def client(indexed: Settings) -> Iterator[TestClient]:
    app = create_app(indexed, knowledge_base=KnowledgeBase.open(indexed, encoder=WordHashEncoder()))
    with TestClient(app) as c:
        yield c


def _links(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'href="(/sources/view\?[^"]+)"', page)]


def _marked(page: str) -> str:
    found = re.findall(r'<mark id="passage">(.*?)</mark>', page, re.S)
    assert len(found) == 1, found
    return html.unescape(found[0])


def _shown_text(page: str) -> str:
    doc = re.search(r'<div class="doc">(.*?)</div>', page, re.S)
    assert doc is not None
    return html.unescape(re.sub(r"</?mark[^>]*>", "", doc.group(1)))


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("write-through cache stale", "notes.md", NOTES_MD),
        ("backpressure slow consumer", "plain.txt", PLAIN_TXT),
        ("raft elects leader log entry", "records.jsonl", RECORDS[2]["text"]),
        ("bloom filters membership", "bloom.pdf", PDF_PAGES[0]),
    ],
)
def test_search_result_links_to_its_passage(
    client: TestClient, corpus: Path, query: str, name: str, expected: str
) -> None:
    hit = client.get("/api/search", params={"q": query, "k": 1}).json()["results"][0]
    assert hit["source"] == str(corpus / name)
    page = client.get("/search", params={"q": query, "k": 1}).text
    links = _links(page)
    assert len(links) == 1 and links[0].endswith("#passage")
    r = client.get(links[0].removesuffix("#passage"))
    assert r.status_code == 200
    assert _shown_text(r.text) == expected  # the whole document as indexed (a record: its text)
    assert _marked(r.text) == hit["text"] == expected[hit["start"] : hit["end"]]
    if name == "notes.md":
        assert "&lt;entries&gt; &amp; values" in r.text and "<entries>" not in r.text  # escaped
    if name == "records.jsonl":
        assert "record <code>r3</code> of 3" in r.text


def test_ask_sources_link_to_the_viewer(client: TestClient) -> None:
    page = client.get("/ask", params={"q": "how does a write-through cache keep reads fresh"}).text
    source = re.search(r'<li class="ask-source cited" id="source-1".*?</li>', page, re.S)
    assert source is not None and "notes.md" in source.group(0)
    links = _links(source.group(0))
    assert links and all(link == links[0] for link in links)  # the title and "open the source here"
    r = client.get(links[0].removesuffix("#passage"))
    assert r.status_code == 200 and "write-through cache updates" in _marked(r.text)
    assert 'class="muted source-path">Caching › Write-through<' in r.text


def _view_params(corpus: Path, name: str, **extra: object) -> dict[str, object]:
    return {"source": str(corpus / name), "start": 0, "end": 5, **extra}


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "source"),
        ({"start": 0, "end": 5}, 422, "source"),
        ({"source": "", "start": 0, "end": 5}, 422, "source"),
        ({"source": "/etc/passwd", "start": 0, "end": 5}, 404, "source"),
        ({"source": "../../../../etc/passwd", "start": 0, "end": 5}, 404, "source"),
        ("traversal", 404, "source"),  # corpus/../corpus/notes.md: the same file, not the indexed name
        ("unknown", 404, "source"),  # a real file next to the indexed ones, never ingested
        (("notes.md", {"end": None}), 422, "end"),
        (("notes.md", {"start": "abc"}), 422, "start"),
        (("notes.md", {"start": -1}), 422, "start"),
        (("notes.md", {"start": 10, "end": 4}), 422, "end"),
        (("notes.md", {"start": 10, "end": 10}), 422, "end"),
        (("notes.md", {"end": len(NOTES_MD) + 1}), 422, "end"),
        (("notes.md", {"start": len(NOTES_MD), "end": len(NOTES_MD) + 5}), 422, "start"),
        (("records.jsonl", {}), 422, "doc"),  # a file of 3 records: which one?
        (("records.jsonl", {"doc": "nope"}), 404, "doc"),
        (("records.jsonl", {"doc": "r1", "end": 500}), 422, "end"),  # past the record, not the file
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient, corpus: Path, params: object, status: int, field: str
) -> None:
    if params == "traversal":
        query: dict[str, object] = {"source": f"{corpus}/../corpus/notes.md", "start": 0, "end": 5}
    elif params == "unknown":
        (corpus.parent / "secret.md").write_text("# not indexed\n\nprivate words\n")
        query = {"source": str(corpus.parent / "secret.md"), "start": 0, "end": 5}
    elif isinstance(params, tuple):
        query = {k: v for k, v in _view_params(corpus, params[0], **params[1]).items() if v is not None}
    else:
        query = dict(params)  # type: ignore[call-overload]
    r = client.get("/sources/view", params=query)
    assert r.status_code == status, r.text
    assert f"{field}:" in html.unescape(r.text)
    assert "root:" not in r.text and "private words" not in r.text and "<mark" not in r.text
    api = client.get("/sources/view", params=query, headers={"Accept": "application/json"})
    assert api.status_code == status and field in [e["field"] for e in api.json()["errors"]]


def test_deleted_or_changed_file_is_said_plainly(client: TestClient, corpus: Path) -> None:
    hit = client.get("/api/search", params={"q": "backpressure slow consumer", "k": 1}).json()["results"][0]
    params = {"source": hit["source"], "start": hit["start"], "end": hit["end"]}
    assert "source-state" not in client.get("/sources/view", params=params).text

    (corpus / "plain.txt").write_text(PLAIN_TXT + "\nA new paragraph.\n")
    r = client.get("/sources/view", params=params)
    assert r.status_code == 200 and "has changed on disk since it was indexed" in r.text
    assert _marked(r.text) == hit["text"]  # the indexed copy: the offsets still point at the passage

    (corpus / "plain.txt").unlink()
    r = client.get("/sources/view", params=params)
    assert r.status_code == 200 and "no longer exists on disk" in r.text
    assert _marked(r.text) == hit["text"]


def test_long_document_is_shown_as_a_window(indexed: Settings, corpus: Path) -> None:
    start = NOTES_MD.index("LRU eviction")
    end = start + len("LRU eviction drops")
    p = load_passage(
        settings=indexed, source=str(corpus / "notes.md"), start=start, end=end, max_chars=50, window=20
    )
    assert p.windowed and p.offset == start - 20 and p.length == len(NOTES_MD)
    assert p.passage == "LRU eviction drops"
    assert p.before + p.passage + p.after == NOTES_MD[start - 20 : end + 20]
    assert p.heading_path == []  # not a chunk's exact offsets: no heading path claimed
    whole = load_passage(settings=indexed, source=str(corpus / "notes.md"), start=start, end=end)
    assert not whole.windowed and whole.before + whole.passage + whole.after == NOTES_MD


def test_nothing_indexed_yet_is_not_found(settings: Settings) -> None:
    with pytest.raises(NotFound, match="source: nothing is indexed yet"):
        load_passage(settings=settings, source="/etc/passwd", start=0, end=1)


def test_viewer_does_not_import_torch(indexed: Settings, corpus: Path) -> None:
    """The server never loads torch: load and render a passage in a fresh interpreter and check."""
    code = (
        "import sys, json\n"
        "from study_tracker.config import Settings\n"
        "from study_tracker.knowledge.search.viewer import load_passage\n"
        "import study_tracker.web.routes.sources\n"
        "s = Settings(data_dir=sys.argv[1], index_on_start=False)\n"
        "p = load_passage(settings=s, source=sys.argv[2], start=0, end=9)\n"
        "print(json.dumps([p.passage, sorted({'torch', 'sentence_transformers'} & set(sys.modules))]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(indexed.data_dir), str(corpus / "notes.md")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == ["# Caching", []]
