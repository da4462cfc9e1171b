"""A roadmap's alternative paths run side by side; the learner picks one on the page or by the
API, and What next then offers only that path's topics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from study_tracker.db.engine import session_scope
from study_tracker.roadmaps import progress
from study_tracker.roadmaps import service as roadmaps
from tests.cli_helpers import study

SAMPLE = Path(__file__).parents[1] / "roadmaps" / "samples" / "alternative-paths.md"
SLUG = "machine-learning-career-paths"
A, B = "path-a-research-scientist", "path-b-ml-engineer"


def _import(settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(settings.db_url) as s:
        roadmaps.import_roadmap(
            session=s,
            text=SAMPLE.read_text(encoding="utf-8"),
            source_name=SAMPLE.name,
            start_date=date(2026, 11, 2),
            slug=None,
            now=datetime(2026, 11, 2, 9, tzinfo=UTC),
            zone=UTC,
        )


def _next_topics(settings) -> list[str]:  # type: ignore[no-untyped-def]
    with session_scope(settings.db_url) as s:
        items = progress.next_items(session=s, today=date(2026, 11, 22))
    return [i.key for i in items if i.roadmap == SLUG]


def test_paths_side_by_side_and_picking_one(client, settings) -> None:  # type: ignore[no-untyped-def]
    _import(settings)
    paths = client.get(f"/api/roadmaps/{SLUG}/path").json()
    assert [(p["key"], p["title"], p["topics"], p["chosen"]) for p in paths] == [
        (A, "Path A: Research Scientist", 3, False),
        (B, "Path B: ML Engineer", 3, False),
    ]
    # Both level 1s start on the roadmap's first day: side by side, not one after the other.
    view = client.get(f"/api/roadmaps/{SLUG}").json()
    starts = {t["item"]["key"]: t["item"]["start"] for t in view["topics"]}
    assert starts[f"{A}/level-1-foundations"] == starts[f"{B}/level-1-foundations"] == "2026-11-02"
    # Before a choice, What next offers path A's first topic (document order); after choosing B, B's.
    assert _next_topics(settings)[0].startswith(A)
    page = client.get(f"/roadmaps/{SLUG}").text
    assert 'id="paths"' in page and f'data-path="{B}"' in page
    r = client.post(f"/roadmaps/{SLUG}/path", data={"path": B}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/roadmaps/{SLUG}"
    assert "You follow Path B" in client.get(r.headers["location"]).text  # the session's message
    assert _next_topics(settings)[0] == f"{B}/level-1-foundations"
    assert all(not k.startswith(A) for k in _next_topics(settings))
    assert [p["chosen"] for p in client.get(f"/api/roadmaps/{SLUG}/path").json()] == [False, True]
    bad = client.put(f"/api/roadmaps/{SLUG}/path", json={"path": "path-c"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "path"
    assert [p["chosen"] for p in client.put(f"/api/roadmaps/{SLUG}/path", json={"path": None}).json()] == [
        False,
        False,
    ]
    assert client.get("/api/roadmaps/nope/path").status_code == 404


def test_study_roadmap_path_lists_and_follows(settings) -> None:  # type: ignore[no-untyped-def]
    _import(settings)
    listed = study(settings.data_dir, "roadmap", "path", SLUG)
    assert listed.returncode == 0
    assert f"  {A}  Path A: Research Scientist (0/3 topics done)" in listed.stdout
    chosen = study(settings.data_dir, "roadmap", "path", SLUG, B)
    assert chosen.returncode == 0 and f"● {B}  Path B: ML Engineer" in chosen.stdout
    bad = study(settings.data_dir, "roadmap", "path", SLUG, "path-c")
    assert bad.returncode != 0 and "'path-c' is not a path of this roadmap" in bad.stderr
