"""Roadmaps are bounded work: parsing grows linearly with the number of items (item keys are
de-duplicated without rescanning), the size cap holds in the CLI (exit 2) and the web (413), and
an import runs off the event loop, so the server keeps answering while a large one is imported."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import httpx

from study_tracker.config import Settings
from study_tracker.roadmaps.parse import parse_roadmap
from study_tracker.web.app import create_app
from tests.cli_helpers import study
from tests.served_app import served


def repeated(n: int) -> str:
    """One week of ``n`` identically named tasks: every key after the first needs a suffix."""
    return "# Plan\n\n## Week 1\n\n" + "- [ ] Practice problems\n" * n


def generated(target_bytes: int) -> str:
    """A plausible roadmap of about ``target_bytes``: phases of weeks of tasks, many named alike."""
    parts, size, phase = ["# Generated roadmap\n"], 0, 0
    while size < target_bytes:
        phase += 1
        block = [f"\n## Phase {phase}: Systems (2 weeks)\n\n"]
        for week in range(1, 5):
            block.append(f"### Week {week}\n\n")
            block.extend(f"- [ ] Practice problems, set {i % 3}\n" for i in range(20))
            block.append("- [x] Read [the guide](https://example.com/guide)\n")
        text = "".join(block)
        parts.append(text)
        size += len(text)
    return "".join(parts)


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(2):  # the better of two: the machine is shared
        start = time.perf_counter()
        parse_roadmap(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_duplicate_item_keys_stay_unique_and_stable() -> None:
    keys = [i.key for i in parse_roadmap(repeated(5)).items if i.kind == "task"]
    assert keys == [
        "week-1/practice-problems",
        "week-1/practice-problems-2",
        "week-1/practice-problems-3",
        "week-1/practice-problems-4",
        "week-1/practice-problems-5",
    ]
    # a title that looks like a suffixed key takes the next free suffix, as before
    text = "# P\n\n## W\n\n- [ ] Drill\n- [ ] Drill 2\n- [ ] Drill\n- [ ] Drill\n"
    assert [i.key for i in parse_roadmap(text).items if i.kind == "task"] == [
        "w/drill",
        "w/drill-2",
        "w/drill-3",
        "w/drill-4",
    ]


def test_parsing_time_grows_linearly_with_the_items() -> None:
    small, large = _seconds(repeated(800)), _seconds(repeated(6400))
    # 8 times the items: about 8 times the time when linear, 64 times when quadratic (it was)
    assert large / small < 24, (small, large)


def test_the_cli_refuses_a_roadmap_over_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "huge.md"
    big.write_text(generated(1_200_000))
    out = study(tmp_path / "data", "roadmap", "import", str(big), "--no-kb", STUDY_ROADMAP_MAX_MB="1")
    assert out.returncode == 2
    assert "huge.md is larger than the roadmap limit of 1 MB (setting STUDY_ROADMAP_MAX_MB)" in out.stderr


def test_the_web_refuses_a_roadmap_over_the_cap(settings: Settings) -> None:
    s = settings.model_copy(update={"roadmap_max_mb": 1})
    app = create_app(s)
    app.state.roadmap_kb = False
    body = generated(1024 * 1024 + 20_000).encode()  # over the cap, inside the body limit's slack
    with served(s, app) as url, httpx.Client(base_url=url, timeout=60) as client:
        r = client.post("/api/roadmaps", files={"file": ("plan.md", body)})
        assert r.status_code == 413
        assert r.json()["errors"] == [
            {
                "field": "file",
                "message": "plan.md is larger than the roadmap limit of 1 MB (setting STUDY_ROADMAP_MAX_MB)",
            }
        ]
        assert client.get("/api/roadmaps").json() == []


def test_the_server_answers_while_a_large_roadmap_is_imported(settings: Settings) -> None:
    app = create_app(settings)
    app.state.roadmap_kb = False  # no background ingest: this test is about the import itself
    body = generated(400_000).encode()
    done = threading.Event()
    result: list[httpx.Response] = []

    with served(settings, app) as url:

        def upload() -> None:
            with httpx.Client(base_url=url, timeout=300) as client:
                result.append(client.post("/api/roadmaps", files={"file": ("big.md", body)}))
            done.set()

        with httpx.Client(base_url=url, timeout=60) as client:
            client.get("/")  # warm: templates compiled, database opened
            started = time.perf_counter()
            worker = threading.Thread(target=upload)
            worker.start()
            time.sleep(0.3)
            latencies = []
            while not done.is_set() and len(latencies) < 20:
                t = time.perf_counter()
                assert client.get("/").status_code == 200
                if not done.is_set():
                    latencies.append(time.perf_counter() - t)
                time.sleep(0.05)
            worker.join()
            took = time.perf_counter() - started
    assert result[0].status_code == 201, result[0].text
    assert len(latencies) >= 3, (latencies, took)  # the import lasted while pages were served
    # Not frozen: a page waited for the whole import before (35 s for 250 KB). Under a loaded
    # machine single pages can wait a second for the GIL, so the bound is on the typical page,
    # and no page may wait for most of the import.
    assert statistics.median(latencies) < max(0.5, took / 8), (latencies, took)
    assert max(latencies) < took * 0.6, (latencies, took)
