"""The Sources page: listing, uploads and folder paths (bad input first), removal, job status files.

The end-to-end test runs the real background ingest (a child process with the packaged model).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import list_sources
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.jobs.progress import StatusProgress
from study_tracker.knowledge.jobs.uploads import safe_name
from tests.knowledge.kb_helpers import WordHashEncoder

NOTE = b"# Caching\n\n## Write-behind\n\nA write-behind cache acknowledges writes from memory and flushes later.\n"


@pytest.fixture
def indexed(settings: Settings, tmp_path: Path) -> Path:
    """A folder of notes already in the knowledge base (test encoder)."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text(NOTE.decode())
    (folder / "b.md").write_text("# Queues\n\nA dead-letter queue keeps messages that failed too often.\n")
    ingest_paths([folder], settings=settings, encoder=WordHashEncoder())
    return folder


def uploads(settings: Settings) -> list[str]:
    folder = job_status.uploads_dir(settings)
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def test_sources_page_lists_what_is_indexed(client: TestClient, settings: Settings, indexed: Path) -> None:
    html = client.get("/sources").text
    assert f"<code>{indexed}</code>" in html and "<td>2</td>" in html  # two files
    api = client.get("/api/sources").json()
    assert [s["path"] for s in api["sources"]] == [str(indexed)] and api["sources"][0]["chunks"] >= 2


@pytest.mark.parametrize(
    ("files", "status", "words"),
    [
        ([], 422, "choose at least one file"),
        ([("files", ("empty.md", b""))], 422, "empty.md is empty"),
        ([("files", ("ok.md", NOTE)), ("files", ("huge.md", b"x" * 3000))], 413, "huge.md is over the"),
    ],
)
@pytest.mark.parametrize("path", ["/sources/upload", "/api/sources/upload"])
def test_bad_uploads_are_refused_and_nothing_is_kept(
    settings: Settings,
    path: str,
    files: list,
    status: int,
    words: str,  # type: ignore[type-arg]
) -> None:
    from study_tracker.web.app import create_app

    s = settings.model_copy(update={"knowledge_max_file_mb": 0.002})  # about 2 KB
    with TestClient(create_app(s)) as client:
        r = client.post(path, files=files or {"other": ("x.txt", b"not the files field")})
    assert r.status_code == status and words in r.text
    if path.startswith("/api"):
        assert r.json()["errors"][0]["field"] == "files"
    assert uploads(s) == []  # all or nothing: ok.md was not kept either
    assert not job_status.recent_jobs(s)  # no ingest was started


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "is required"),
        ("notes/relative", "not an absolute path"),
        ("/no/such/folder/here", "does not exist"),
    ],
)
@pytest.mark.parametrize("path", ["/sources/folder", "/api/sources/folder"])
def test_bad_folder_paths_are_refused_naming_path(
    client: TestClient, path: str, value: str, words: str
) -> None:
    r = client.post(path, data={"path": value})
    assert r.status_code == 400 and words in r.text
    if path.startswith("/api"):
        assert r.json()["errors"] == [{"field": "path", "message": r.json()["errors"][0]["message"]}]
    else:
        assert 'aria-invalid="true"' in r.text  # the field is marked on the page


def test_htmx_gets_the_message_as_a_fragment(client: TestClient) -> None:
    r = client.post("/sources/folder", data={"path": "/no/such/folder"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text  # swapped into the page's job area
    assert "Path</a>: /no/such/folder does not exist" in r.text


@pytest.mark.parametrize(
    ("value", "status", "words"),
    [("", 422, "is required"), ("/never/ingested", 404, "not an ingested source")],
)
def test_bad_removals_change_nothing(
    client: TestClient, settings: Settings, indexed: Path, value: str, status: int, words: str
) -> None:
    r = client.post("/sources/remove", data={"path": value})
    assert r.status_code == status and words in r.text
    assert [s.files for s in list_sources(settings)] == [2]


def test_removal_while_an_ingest_runs_is_refused(
    client: TestClient, settings: Settings, indexed: Path
) -> None:
    with KnowledgeStore(settings.knowledge_path).lock(0):
        r = client.post("/sources/remove", data={"path": str(indexed / "a.md")})
    assert r.status_code == 409 and "ingest is running" in r.text
    assert [s.files for s in list_sources(settings)] == [2]


def test_remove_a_file_of_a_source(client: TestClient, settings: Settings, indexed: Path) -> None:
    r = client.post("/sources/remove", data={"path": str(indexed / "a.md")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sources"
    assert "Removed 1 file(s) of a.md" in client.get("/sources").text
    assert [s.files for s in list_sources(settings)] == [1]
    assert (indexed / "a.md").exists()  # only uploaded copies are deleted from disk


def test_job_status_of_a_dead_child_is_failed(settings: Settings) -> None:
    done = job_status.JobStatus(id="20260101-000000-aaaaaa", kind="folder", pid=99_999_999)
    job_status.write_status(job_status.jobs_dir(settings) / f"{done.id}.json", done)
    status = job_status.read_job(settings, done.id)
    assert status is not None and status.state == "failed" and "stopped" in (status.error or "")
    assert job_status.read_job(settings, "../../etc/passwd") is None


def test_status_progress_writes_percent_and_log_lines(tmp_path: Path) -> None:
    log = io.StringIO()
    status = job_status.JobStatus(id="j", kind="upload")
    progress = StatusProgress(tmp_path / "j.json", status, log=log)
    seen, saved = [], []
    for name, total in (("Scanning files", 4), ("Reading 4 file(s)", 4), ("Embedding 10 chunk(s)", 10)):
        with progress.step(name, total=total) as step:
            for _ in range(int(total)):
                step.advance()
                seen.append(status.percent)
        saved.append(json.loads((tmp_path / "j.json").read_text())["percent"])  # written at each step's end
    assert seen == sorted(seen) and seen[-1] == 85
    assert saved == [5, 20, 85]
    assert "Embedding 10 chunk(s) (20%)" in log.getvalue()


def test_safe_names_stay_in_the_uploads_folder() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\notes v2.md") == "notes v2.md"
    assert safe_name("..") == "upload" and safe_name("a<b>|c.md") == "a_b_c.md"


def _wait(client: TestClient, job_id: str, timeout: float = 300) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/sources/jobs/{job_id}").json()
        if status["state"] not in ("queued", "running"):
            return status  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.mark.model
def test_upload_and_folder_are_ingested_in_a_child_process(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    """Real: the child loads the packaged model, the page polls the job, the report names bad files."""
    heavy = {"torch", "sentence_transformers"}
    loaded_before = heavy & set(sys.modules)  # other tests in this process may have loaded them
    binary = os.urandom(2048).replace(b"\n", b"\x00")
    r = client.post(
        "/sources/upload",
        files=[
            ("files", ("cache.md", NOTE)),
            ("files", ("tool.exe", b"MZ\x90\x00")),
            ("files", ("blob.md", binary)),
        ],
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 202 and 'hx-trigger="every 1s"' in r.text  # the fragment polls while it runs
    job_id = r.text.split('id="job-', 1)[1].split('"', 1)[0]
    status = _wait(client, job_id)
    assert status["state"] == "done", status
    skipped = dict(status["report"]["skipped"])
    assert set(map(os.path.basename, skipped)) == {"tool.exe", "blob.md"}
    assert (
        "unsupported file type .exe" in skipped[str(job_status.uploads_dir(settings).resolve() / "tool.exe")]
    )
    assert uploads(settings) == ["cache.md"]  # refused files are not kept
    fragment = client.get(f"/sources/jobs/{job_id}").text
    assert "every 1s" not in fragment and "tool.exe" in fragment and "unsupported file type" in fragment
    # The last poll (htmx) says what the job added and refreshes the lists below it out of band.
    polled = client.get(f"/sources/jobs/{job_id}", headers={"HX-Request": "true"}).text
    added = status["report"]["chunks_added"]
    assert (
        added >= 1
        and f"Done: added {added} passage" in polled
        and "from\n      1 new and 0 changed file." in polled
    )
    assert '<section class="sources" id="sources-list" hx-swap-oob="true">' in polled
    assert '<section class="uploads" id="uploads-list" hx-swap-oob="true">' in polled and "cache.md" in polled
    assert "hx-swap-oob" not in fragment  # a plain GET (no htmx) is the report alone
    assert heavy & set(sys.modules) <= loaded_before  # the ingest did not load them in this process

    folder = tmp_path / "queues"
    folder.mkdir()
    (folder / "dlq.md").write_text("# Queues\n\nA dead-letter queue keeps messages that failed too often.\n")
    r = client.post("/api/sources/folder", data={"path": str(folder)})
    assert r.status_code == 202
    assert _wait(client, r.json()["id"])["state"] == "done"
    listed = {s.path: s.files for s in list_sources(settings)}
    assert listed == {str(job_status.uploads_dir(settings).resolve()): 1, str(folder): 1}
    hit = client.get("/api/search", params={"q": "write-behind cache flushes", "k": 1}).json()["results"][0]
    assert hit["source"].endswith("cache.md")

    uploaded = str(job_status.uploads_dir(settings).resolve() / "cache.md")
    confirm = client.get("/sources/remove", params={"path": uploaded}).text
    assert "The uploaded copy (1 KB) is deleted too." in confirm
    assert client.post("/sources/remove", data={"path": uploaded}, follow_redirects=False).status_code == 303
    assert uploads(settings) == [] and {s.path: s.files for s in list_sources(settings)}[str(folder)] == 1


def test_remove_asks_first_and_says_what_leaves(
    client: TestClient, settings: Settings, indexed: Path
) -> None:
    page = client.get("/sources").text
    assert '<form action="/sources/remove" method="get"' in page  # Remove opens the confirm step
    confirm = client.get("/sources/remove", params={"path": str(indexed)})
    assert confirm.status_code == 200
    assert "Its 2 files and" in confirm.text and "leave search, Ask" in confirm.text
    assert "files on your disk are not touched" in confirm.text
    assert [s.files for s in list_sources(settings)] == [2]  # asking removed nothing
    assert f'<input type="hidden" name="path" value="{indexed}">' in confirm.text
