"""Every state-changing route of the app, read from ``app.routes``, each with a request that would
change something if it were accepted, and a snapshot of everything the app stores."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAMPLES = Path(__file__).parents[2] / "roadmaps" / "samples"
ROADMAP = "machine-learning-engineer-roadmap"
ITEM = "phase-1-python-and-maths-foundations/finish-20-numpy-exercises"


def walk_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps included routers whole
        if inner is not None:
            yield from walk_routes(inner.routes)
        else:
            yield route


def state_changing_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route that may change state, as the app declares them."""
    found = {
        (method, route.path)
        for route in walk_routes(app.routes)
        if isinstance(route, APIRoute)
        for method in route.methods & STATE_CHANGING
    }
    return sorted(found)


@dataclass(frozen=True)
class Sample:
    """A request that changes something when accepted; ``spawns``: it would start an ingest child
    process, so the same-origin check sends it without a body (refused by validation, not by origin)."""

    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    spawns: bool = False


def samples(folder: Path) -> dict[tuple[str, str], Sample]:
    """A realistic request per route, over the state ``seed`` leaves (completion 1, drill 1, a roadmap)."""
    roadmap = (SAMPLES / "ml-phases.md").read_bytes()
    note = {"files": [("files", ("notes.md", b"# Notes\n\nsecret plans", "text/markdown"))]}
    return {
        ("POST", "/welcome"): Sample("/welcome", {"data": {"group": "swe", "tracks": ["system_design"]}}),
        ("POST", "/welcome/dismiss"): Sample("/welcome/dismiss", {"data": {"group": "swe"}}),
        ("POST", "/api/welcome"): Sample(
            "/api/welcome", {"json": {"group": "swe", "tracks": ["system_design"]}}
        ),
        ("POST", "/api/welcome/dismiss"): Sample("/api/welcome/dismiss"),
        ("POST", "/tracks/{slug}/days/{day}/complete"): Sample(
            "/tracks/system_design/days/1/complete", {"data": {"difficulty": "3", "notes": "forged"}}
        ),
        ("POST", "/api/completions"): Sample(
            "/api/completions", {"json": {"track": "system_design", "difficulty": 3}}
        ),
        ("POST", "/reviews/{completion_id}"): Sample("/reviews/1", {"data": {"rating": "3"}}),
        ("POST", "/api/reviews/{completion_id}"): Sample("/api/reviews/1", {"json": {"rating": 3}}),
        ("POST", "/undo"): Sample("/undo", {"data": {"group": "ml_specialist"}}),
        ("POST", "/api/undo"): Sample("/api/undo", {"params": {"group": "ml_specialist"}}),
        ("POST", "/config"): Sample(
            "/config",
            {
                "data": {
                    "group": "swe",
                    "settings.review_intervals": "100, 200",
                    "settings.scheduler": "fixed",
                }
            },
        ),
        ("PUT", "/api/config/{group}"): Sample(
            "/api/config/swe", {"json": {"settings": {"review_intervals": [100, 200]}}}
        ),
        ("PATCH", "/api/config/{group}/tracks/{track}"): Sample(
            "/api/config/swe/tracks/system_design", {"json": {"acceleration_days": 9}}
        ),
        ("POST", "/api/import"): Sample(
            "/api/import", {"params": {"replace": "true"}, "json": {"version": 1, "completions": []}}
        ),
        ("POST", "/api/ask"): Sample("/api/ask", {"json": {"question": "what is a memtable?"}}),
        ("POST", "/api/ask/stream"): Sample("/api/ask/stream", {"json": {"question": "what is a memtable?"}}),
        ("POST", "/ask"): Sample("/ask", {"data": {"q": "what is a memtable?"}}),
        ("POST", "/sources/upload"): Sample("/sources/upload", note, spawns=True),
        ("POST", "/sources/folder"): Sample("/sources/folder", {"data": {"path": str(folder)}}, spawns=True),
        ("POST", "/sources/remove"): Sample("/sources/remove", {"data": {"path": "/"}}),
        ("POST", "/api/sources/upload"): Sample("/api/sources/upload", note, spawns=True),
        ("POST", "/api/sources/folder"): Sample(
            "/api/sources/folder", {"data": {"path": str(folder)}}, spawns=True
        ),
        ("POST", "/roadmaps"): Sample(
            "/roadmaps",
            {"files": {"file": ("other.md", roadmap, "text/markdown")}, "data": {"slug": "forged"}},
        ),
        ("POST", "/roadmaps/{slug}/start"): Sample(
            f"/roadmaps/{ROADMAP}/start", {"data": {"start_date": "2027-01-01"}}
        ),
        ("POST", "/roadmaps/{slug}/delete"): Sample(f"/roadmaps/{ROADMAP}/delete"),
        ("POST", "/roadmaps/{slug}/items/tick"): Sample(
            f"/roadmaps/{ROADMAP}/items/tick", {"data": {"key": ITEM, "done": "true"}}
        ),
        ("POST", "/roadmaps/{slug}/items/link"): Sample(
            f"/roadmaps/{ROADMAP}/items/link", {"data": {"key": ITEM, "link": "https://evil.example"}}
        ),
        ("POST", "/api/roadmaps"): Sample(
            "/api/roadmaps",
            {"files": {"file": ("x.md", roadmap, "text/markdown")}, "data": {"slug": "forged"}},
        ),
        ("PATCH", "/api/roadmaps/{slug}"): Sample(
            f"/api/roadmaps/{ROADMAP}", {"json": {"start_date": "2027-01-01"}}
        ),
        ("DELETE", "/api/roadmaps/{slug}"): Sample(f"/api/roadmaps/{ROADMAP}"),
        ("POST", "/api/roadmaps/{slug}/items"): Sample(
            f"/api/roadmaps/{ROADMAP}/items", {"json": {"key": ITEM, "done": True}}
        ),
        ("POST", "/login"): Sample(
            "/login", {"data": {"name": "admin", "password": "correct horse battery"}}
        ),
        ("POST", "/logout"): Sample("/logout"),
        ("POST", "/skills/goal"): Sample("/skills/goal", {"data": {"path": "ml-engineer", "level": "6"}}),
        ("PUT", "/api/goal"): Sample("/api/goal", {"json": {"path": "ml-engineer", "level": "6"}}),
        ("POST", "/drill"): Sample("/drill", {"data": {"count": "3"}}),
        ("POST", "/drill/{drill_id}/answer"): Sample(
            "/drill/1/answer", {"data": {"position": "0", "grade": "3"}}
        ),
        ("POST", "/drill/{drill_id}/finish"): Sample("/drill/1/finish"),
        ("POST", "/api/drills"): Sample("/api/drills", {"json": {"count": 3}}),
        ("POST", "/api/drills/{drill_id}/answers"): Sample(
            "/api/drills/1/answers", {"json": {"position": 0, "grade": 3}}
        ),
    }


def sample_for(route: tuple[str, str], folder: Path) -> Sample:
    """The route's sample, or (a route added since) its path with every parameter set to 1 and an
    empty body: the origin check runs before the route, so it is refused all the same."""
    known = samples(folder).get(route)
    return known or Sample(re.sub(r"\{[^}]+\}", "1", route[1]))


def snapshot(data_dir: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Everything the app stores: every row of the database and every file of the data folder."""
    db = data_dir / "study.db"
    con = sqlite3.connect(db)
    try:
        rows = list(con.iterdump())
    finally:
        con.close()
    files = sorted(
        (str(p.relative_to(data_dir)), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in data_dir.rglob("*")
        if p.is_file() and not p.name.startswith("study.db")
    )
    return rows, files
