"""One ingest worker and a queue: jobs wait their turn, one process runs them all in order, a bomb
or a failing upload never blocks the jobs after it, and a killed worker's job ends up failed.

Jobs here hold only files ingest refuses (so no model is loaded) and the query encoder is not
exported (``knowledge_query_backend=torch``): what is tested is the queue, not the embedding.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import zstandard

from study_tracker.config import Settings
from study_tracker.knowledge.jobs import queue, runner
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.jobs.status import JobStatus


@pytest.fixture
def jobs_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"knowledge_query_backend": "torch"})


def bomb(path: Path) -> Path:
    with path.open("wb") as f, zstandard.ZstdCompressor().stream_writer(f) as w:
        for _ in range(1024):
            w.write(bytes(1 << 20))
    return path


def upload(settings: Settings, name: str, data: bytes = b"MZ\x90\x00") -> Path:
    folder = job_status.uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def queue_upload(settings: Settings, *files: Path) -> JobStatus:
    folder = job_status.uploads_dir(settings).resolve()
    return runner.start_ingest(settings, [folder], kind="upload", files=list(files))


def test_jobs_wait_for_the_one_worker_and_run_in_order(jobs_settings: Settings) -> None:
    s = jobs_settings
    with queue.worker_lock(s) as mine:  # this test is the worker for now: nothing may start another
        assert mine
        jobs = [queue_upload(s, upload(s, f"tool{i}.exe")) for i in range(4)]
        assert queue.lock_path(s).parent.resolve() not in runner._CHILDREN  # no worker was started
        assert [j.state for j in jobs] == ["queued"] * 4
        assert [queue.position(s, j.id) for j in jobs] == [0, 1, 2, 3]
    assert runner.run_worker(s) == 4
    done = [job_status.read_job(s, j.id) for j in jobs]
    assert all(d is not None and d.state == "done" for d in done), done
    assert {d.pid for d in done if d} == {os.getpid()}  # one process ran them all
    finished = [d.finished_at for d in done if d]
    assert finished == sorted(finished)
    assert job_status.recent_jobs(s)[0].id == jobs[-1].id
    assert not list(job_status.uploads_dir(s).iterdir())  # refused uploads are not kept


def test_a_bomb_upload_is_refused_and_does_not_stay_for_later_jobs(jobs_settings: Settings) -> None:
    s = jobs_settings
    job_status.uploads_dir(s).mkdir(parents=True)
    first = queue_upload(s, bomb(job_status.uploads_dir(s) / "dump.json.zst"))
    runner.run_worker(s)
    one = job_status.read_job(s, first.id)
    assert one is not None and one.state == "done" and one.report is not None
    why = dict(one.report["skipped"])[str(job_status.uploads_dir(s).resolve() / "dump.json.zst")]
    assert "too large when decompressed" in why
    assert not (job_status.uploads_dir(s) / "dump.json.zst").exists()
    second = queue_upload(s, upload(s, "later.exe"))
    runner.run_worker(s)
    two = job_status.read_job(s, second.id)
    assert two is not None and two.state == "done" and two.report is not None
    assert [Path(p).name for p, _ in two.report["skipped"]] == ["later.exe"]  # the bomb is not met again


def test_a_failed_job_drops_its_upload_and_the_next_job_runs(jobs_settings: Settings) -> None:
    broken = jobs_settings.model_copy(update={"embedding_model": str(jobs_settings.data_dir / "no-model")})
    bad = upload(broken, "notes.exe")
    with queue.worker_lock(broken):
        failing = queue_upload(broken, bad)
    runner.run_worker(broken)  # the model is missing: the ingest fails
    s = jobs_settings
    after = queue_upload(s, upload(s, "other.exe"))
    runner.run_worker(s)
    failed = job_status.read_job(s, failing.id)
    assert failed is not None and failed.state == "failed"
    assert failed.error is not None and "not kept, upload again once fixed: notes.exe" in failed.error
    assert not bad.exists()
    nxt = job_status.read_job(s, after.id)
    assert nxt is not None and nxt.state == "done"


def test_a_killed_workers_job_is_failed_by_the_next_worker(jobs_settings: Settings) -> None:
    s = jobs_settings
    killer = upload(s, "crash.pdf", b"%PDF-1.4 ...")
    stale = JobStatus(id="20260101-000000-000000-dead00", kind="upload", state="running", pid=999_999_999)
    stale.files, stale.paths = [str(killer)], [str(killer.parent)]
    job_status.write_status(job_status.status_path(s, stale.id), stale)
    assert runner.run_worker(s) == 0
    after = job_status.read_job(s, stale.id)
    assert after is not None and after.state == "failed" and "stopped before finishing" in (after.error or "")
    assert not killer.exists()  # it cannot crash the next upload's ingest


def test_many_uploads_start_one_worker_process(jobs_settings: Settings) -> None:
    """Real processes: jobs queued together are all run by one worker, in the order queued."""
    s = jobs_settings
    jobs = [queue_upload(s, upload(s, f"many{i}.exe")) for i in range(5)]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        states = [job_status.read_job(s, j.id) for j in jobs]
        if all(st is not None and st.state in ("done", "failed") for st in states):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"jobs did not finish: {states}")
    assert all(st is not None and st.state == "done" for st in states), states
    pids = {st.pid for st in states if st}
    assert len(pids) == 1 and os.getpid() not in pids  # one child ran every job
    finished = [st.finished_at for st in states if st]
    assert finished == sorted(finished)
    runner._reap()
