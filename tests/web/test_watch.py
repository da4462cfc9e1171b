"""Watched folders on the Sources page and in the JSON API, with the server's watcher running.

Folders here are indexed before they are watched (test encoder), so the watcher's check finds
nothing to do and starts no child process; the end-to-end run with the real model and the job
runner is in ``tests/knowledge/watch/test_watch_model.py``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import list_sources
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.watch.folders import add_watched, list_watched
from tests.knowledge.kb_helpers import WordHashEncoder


@pytest.fixture
def indexed(settings: Settings, tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Caching\n\nA write-behind cache flushes later.\n")
    (folder / "b.md").write_text("# Queues\n\nA dead-letter queue keeps failed messages.\n")
    ingest_paths([folder], settings=settings, encoder=WordHashEncoder())
    return folder


def test_list_and_stop_watching(client: TestClient, settings: Settings, indexed: Path) -> None:
    assert client.get("/api/watch").json() == {"folders": [], "watching": True}
    add_watched(settings, str(indexed))
    api = client.get("/api/watch").json()
    assert [(f["path"], f["from_setting"], f["exists"]) for f in api["folders"]] == [
        (str(indexed), False, True)
    ]
    html = client.get("/sources").text
    assert f'aria-label="Stop watching {indexed}"' in html and 'action="/sources/watch"' in html
    time.sleep(1.5)  # the watcher sees the new folder; it is indexed already, so no job starts
    assert job_status.recent_jobs(settings) == []

    r = client.post("/sources/watch/remove", data={"path": str(indexed)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sources"
    assert "removed 2 file(s) from the index" in client.get("/sources").text  # the session's message
    assert list_watched(settings) == [] and list_sources(settings) == []
    r = client.delete("/api/watch", params={"path": str(indexed)})
    assert r.status_code == 404 and "not a watched folder" in r.json()["detail"]


def test_api_add_an_already_watched_folder(client: TestClient, settings: Settings, indexed: Path) -> None:
    add_watched(settings, str(indexed))
    r = client.post("/api/watch", json={"path": str(indexed)})
    assert r.status_code == 201
    body = r.json()
    assert body["new"] is False and body["job"] is None and body["folder"]["path"] == str(indexed)
    r = client.delete("/api/watch", params={"path": str(indexed)})
    assert r.status_code == 200 and r.json() == {"path": str(indexed), "files_removed": 2}


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("", "is required"),
        ("notes", "is not an absolute path"),
        ("/no/such/folder/here", "is not a folder"),
    ],
)
def test_bad_folders_are_refused_naming_path(
    client: TestClient, settings: Settings, path: str, words: str
) -> None:
    r = client.post("/sources/watch", data={"path": path})
    assert r.status_code == 422 and words in r.text and 'aria-label="Folder to watch"' in r.text
    r = client.post("/api/watch", json={"path": path or " "})
    assert r.status_code == 422 and words in r.text
    assert list_watched(settings) == []


def test_bounded_paths(client: TestClient) -> None:
    assert client.post("/api/watch", json={"path": "/" + "x" * 5000}).status_code == 422
    assert client.delete("/api/watch", params={"path": "/" + "x" * 5000}).status_code == 422


def test_the_page_has_no_inline_script_or_style(
    client: TestClient, settings: Settings, indexed: Path
) -> None:
    add_watched(settings, str(indexed))
    html = client.get("/sources").text
    section = html[html.index('id="watched"') : html.index('class="sources"')]
    assert "<form" in section
    assert not re.search(r"\s(style|on[a-z]+)\s*=", section, re.IGNORECASE)
    assert "<script" not in section


@pytest.mark.model
def test_the_server_watches_a_folder_added_on_the_page(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    """The real thing: the folder is added with the form, the server's watcher indexes it and then
    follows an edit, each time in a child process of the job runner (the server loads no torch)."""
    notes = tmp_path / "papers"
    notes.mkdir()
    (notes / "bloom.md").write_text("# Bloom filters\n\nA bloom filter never gives a false negative.\n")
    r = client.post("/sources/watch", data={"path": str(notes)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sources"
    assert "indexed in the background" in client.get("/sources").text

    def found(query: str) -> list[str]:
        r = client.get("/api/search", params={"q": query, "mode": "bm25", "k": 3})
        return [h["source"] for h in r.json()["results"]] if r.status_code == 200 else []

    deadline = time.monotonic() + 300
    while found("false negative") != [str(notes / "bloom.md")]:
        assert time.monotonic() < deadline, "the added folder was never indexed"
        time.sleep(0.5)
    (notes / "hash.md").write_text("# Hashing\n\nConsistent hashing moves few keys when a node joins.\n")
    deadline = time.monotonic() + 300
    while found("node joins") != [str(notes / "hash.md")]:
        assert time.monotonic() < deadline, "the new file was never indexed"
        time.sleep(0.5)
    jobs = job_status.recent_jobs(settings)
    assert jobs and {j.kind for j in jobs} == {"watch"} and all(j.state == "done" for j in jobs)
