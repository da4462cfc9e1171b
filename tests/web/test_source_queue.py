"""The Sources page with the ingest queue: a queued job says so and keeps polling, a failed job shows
its error, and an upload that is in no index (its ingest failed) can be removed (it was a 404)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.knowledge.jobs import queue
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.jobs.status import JobStatus


def test_a_queued_job_says_so_and_polls(client: TestClient, settings: Settings) -> None:
    job = JobStatus(id="20260101-000000-000000-aaaaaa", kind="upload", state="queued", paths=["/x"])
    job_status.write_status(job_status.status_path(settings, job.id), job)
    with queue.worker_lock(settings):  # a worker is "running": the poll must not start another
        fragment = client.get(f"/sources/jobs/{job.id}").text
        api = client.get(f"/api/sources/jobs/{job.id}").json()
    assert "Queued: waiting for the ingest before it" in fragment and 'hx-trigger="every 1s"' in fragment
    assert api["state"] == "queued"
    page = client.get("/sources").text
    assert "upload · queued" in " ".join(page.split())


def test_a_failed_job_shows_its_error(client: TestClient, settings: Settings) -> None:
    job = JobStatus(
        id="20260101-000000-000000-bbbbbb",
        kind="upload",
        state="failed",
        error="ModelNotFound: no model (not kept, upload again once fixed: a.pdf)",
    )
    job_status.write_status(job_status.status_path(settings, job.id), job)
    page = client.get("/sources").text
    assert "upload again once fixed: a.pdf" in page
    fragment = client.get(f"/sources/jobs/{job.id}").text
    assert "The import failed" in fragment and "every 1s" not in fragment


def test_an_upload_in_no_index_can_be_removed(client: TestClient, settings: Settings) -> None:
    folder = job_status.uploads_dir(settings)
    folder.mkdir(parents=True)
    (folder / "stuck.json.zst").write_bytes(b"\x28\xb5\x2f\xfd")
    path = str(folder.resolve() / "stuck.json.zst")
    assert path in client.get("/sources").text  # listed with its Remove button
    r = client.post("/sources/remove", data={"path": path}, follow_redirects=False)
    assert r.status_code == 303
    assert not (folder / "stuck.json.zst").exists()
    # something that is neither indexed nor an upload is still "not found"
    r = client.post("/sources/remove", data={"path": str(settings.data_dir / "nothing.md")})
    assert r.status_code == 404
