"""The card loop's pages through a running `study serve`: the time of each step of a review done
card by card (and of a drill card), measured as keep-alive round trips on loopback, with the
offline grader on the real model.

    python bench/card_pages.py [--requests 200] [--knowledge FOLDER]

The data folder gets 40 topics completed yesterday (40 reviews due today) and the packaged model
exported to ONNX (copied from ``--knowledge FOLDER/onnx`` when given: the export loads torch and
takes a while). Steps that only render (the card, a blank reveal, a grade, the summary, the API's
cards, a drill card) are the "pages"; a reveal with a typed answer adds the grading, so it is
reported apart, with the grader's own time measured in this process on the same answers.
Requests are interleaved, so load spikes from other work hit every step alike.

The same steps run a second time with the app in this process (FastAPI's TestClient), timing the
CPU the whole process spends per request: on a shared machine whose load is far above its cores,
wall time measures the queue for a core, and CPU time is what the page itself costs (it includes
the test client's own small share, so it errs high).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import pct, serve  # noqa: E402

from study_tracker.config import Settings  # noqa: E402
from study_tracker.db.engine import session_scope  # noqa: E402
from study_tracker.knowledge.embed.base import resolve_model  # noqa: E402
from study_tracker.knowledge.embed.onnx import OnnxEncoder  # noqa: E402
from study_tracker.practice.grading.base import AnswerToGrade  # noqa: E402
from study_tracker.practice.grading.offline import OfflineGrader  # noqa: E402
from study_tracker.tracker import service  # noqa: E402
from study_tracker.tracker.startup import prepare  # noqa: E402
from study_tracker.web.app import create_app  # noqa: E402

TODAY = date(2026, 11, 22)
TRACKS = ("ml_algorithms", "system_design", "coding_patterns", "ml_system_design", "recommendations")
HX = {"HX-Request": "true"}


def build(data_dir: Path, knowledge: Path) -> list[int]:
    """40 completions yesterday (reviews due today) and the exported model; the completion ids."""
    settings = Settings(data_dir=data_dir, today=TODAY, timezone="UTC", index_on_start=False)  # type: ignore[call-arg]
    prepare(settings)
    ids = []
    with session_scope(settings.db_url) as s:
        for day in range(1, 9):
            for track in TRACKS:
                when = datetime.combine(TODAY - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                c = service.complete_topic(
                    session=s,
                    track=track,
                    day=day,
                    difficulty=3,
                    notes="",
                    now=when + timedelta(hours=9),
                    zone=UTC,
                )
                ids.append(c.id)
    shutil.copytree(knowledge / "onnx", data_dir / "knowledge" / "onnx", dirs_exist_ok=True)
    return ids


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if match is None:
        raise RuntimeError(f"no {name} field in the page")
    return unescape(match.group(1))


class Recorder:
    """Wall and CPU milliseconds per step (CPU: this process's, all threads: meaningful when the
    server runs in this process, where it is the page's own cost whatever the machine's load)."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.answers: list[AnswerToGrade] = []

    def clear(self) -> None:
        for values in (*self.wall.values(), *self.cpu.values()):
            values.clear()
        self.answers.clear()

    def timed(self, client: httpx.Client, name: str, method: str, path: str, **kw: object) -> httpx.Response:
        c0, t0 = time.process_time(), time.perf_counter()
        r = client.request(method, path, **kw)  # type: ignore[arg-type]
        self.wall.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        self.cpu.setdefault(name, []).append((time.process_time() - c0) * 1000)
        if r.status_code not in (200, 303):
            raise RuntimeError(f"{name}: {r.status_code} {r.text[:300]}")
        return r


def rounds(client: httpx.Client, rec: Recorder, ids: list[int], count: int) -> None:
    """``count`` reviews taken to their summary (not saved) and a drill card, then every review saved."""
    drill_url = client.post("/drill", data={"count": "30", "minutes": "180"}).headers["location"]
    for i in range(count + 10):  # the first 10 warm up
        url = f"/reviews/{ids[i % len(ids)]}"
        page = rec.timed(client, "GET /reviews/{id} (first card)", "GET", url).text
        blank = {"position": "0", "answer": "", "outcomes": field(page, "outcomes")}
        rec.timed(client, "POST reveal, blank answer", "POST", url + "/reveal", data=blank, headers=HX)
        cards = rec.timed(client, "GET /api/reviews/{id}/cards", "GET", f"/api{url}/cards").json()
        points = cards["cards"][0]["key_points"]
        typed = ". ".join(points[:2]) + ". I am not sure about the rest."
        rec.answers.append(AnswerToGrade(prompt=cards["cards"][0]["prompt"], key_points=points, answer=typed))
        shown = rec.timed(
            client, GRADING, "POST", url + "/reveal", data={**blank, "answer": typed}, headers=HX
        ).text
        form = {k: field(shown, k) for k in ("position", "answer", "suggested", "grader", "outcomes")}
        form |= {"covered": ["0"], "grade": "3"}
        nxt = rec.timed(client, "POST grade (next card)", "POST", url + "/grade", data=form, headers=HX).text
        last = {"position": "1", "grade": "2", "grader": "none", "outcomes": field(nxt, "outcomes")}
        rec.timed(client, "POST grade (summary)", "POST", url + "/grade", data=last, headers=HX)
        rec.timed(client, "GET /drill/{id} (card)", "GET", drill_url)
        if i < 10:
            rec.clear()
    done = [
        {"position": 0, "answer": "", "covered": [0], "grade": 3},
        {"position": 1, "answer": "", "covered": [], "grade": 2},
    ]
    for cid in ids:  # each save consumes its review: one per completion, at the end
        save = {"rating": "3", "outcomes": json.dumps(done)}
        rec.timed(client, "POST /reviews/{id} (save)", "POST", f"/reviews/{cid}", data=save)


GRADING = "POST reveal, typed answer (grading)"


def report(title: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'step':40} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
    pages: list[float] = []
    for name, values in timings.items():
        print(f"{name:40} {len(values):4} {statistics.median(values):8.1f} {pct(values, 95):8.1f}")
        if name != GRADING:
            pages += values
    print(
        f"{'all pages without grading':40} {len(pages):4} {statistics.median(pages):8.1f} {pct(pages, 95):8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--knowledge", type=Path, help="a knowledge folder with the model exported (onnx/)")
    args = parser.parse_args()
    knowledge = args.knowledge
    if knowledge is None:
        knowledge = Path(tempfile.mkdtemp(prefix="bench-cards-model-"))
        OnnxEncoder.for_model(resolve_model(""), knowledge)  # the export (torch, once)
    env = {"STUDY_TODAY": TODAY.isoformat(), "STUDY_TIMEZONE": "UTC", "STUDY_INDEX_ON_START": "false"}

    served, local = Recorder(), Recorder()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-cards-")) / "data"
    try:
        ids = build(data_dir, knowledge)
        with serve(data_dir, **env) as base, httpx.Client(base_url=base, timeout=30) as client:
            rounds(client, served, ids, args.requests)
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    load = os.getloadavg()[0]
    report(
        f"through `study serve`, wall ms ({args.requests} rounds, keep-alive, load average {load:.1f})",
        served.wall,
    )

    data_dir = Path(tempfile.mkdtemp(prefix="bench-cards-")) / "data"
    settings = Settings(data_dir=data_dir, today=TODAY, timezone="UTC", index_on_start=False)  # type: ignore[call-arg]
    try:
        ids = build(data_dir, knowledge)
        with TestClient(create_app(settings), follow_redirects=False) as client:
            rounds(client, local, ids, args.requests)
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    load = os.getloadavg()[0]
    report(
        f"in process (the app under TestClient), CPU ms of the whole process per request (load average {load:.1f})",
        local.cpu,
    )

    grader = OfflineGrader(OnnxEncoder.for_model(resolve_model(""), knowledge))
    for item in served.answers[:10]:
        grader.grade(item)  # warm-up: the ONNX session, each question's key points cached
    wall, cpu = [], []
    for item in served.answers:
        c0, t0 = time.process_time(), time.perf_counter()
        grader.grade(item)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(f"\ngrader alone, in process, on the same {len(wall)} answers")
    print(f"  wall ms p50 {statistics.median(wall):.1f}  p95 {pct(wall, 95):.1f}")
    print(f"  CPU ms  p50 {statistics.median(cpu):.1f}  p95 {pct(cpu, 95):.1f}")
    if args.knowledge is None:
        shutil.rmtree(knowledge, ignore_errors=True)


if __name__ == "__main__":
    main()
