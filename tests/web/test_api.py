"""The JSON API: the same flows as the pages, and a table of bad inputs with their messages."""

from __future__ import annotations

import pytest


def test_today_complete_review_undo(client, settings) -> None:  # type: ignore[no-untyped-def]
    today = client.get("/api/today", params={"group": "ml_specialist"}).json()
    assert [(t["title"], t["day"]) for t in today["tracks"]] == [
        ("ML Algorithms", 1),
        ("ML System Design", 1),
        ("Recommendations", 1),
    ]
    made = client.post("/api/completions", json={"track": "ml_algorithms", "difficulty": 3, "notes": "n"})
    assert made.status_code == 201 and made.json()["day"] == 1

    settings.today = settings.today.replace(day=23)
    [due] = client.get("/api/reviews", params={"group": "ml_specialist"}).json()
    assert (due["review_type"], due["interval_days"], len(due["questions"])) == ("quick", 1, 2)
    review = client.post(f"/api/reviews/{due['completion_id']}", json={"rating": 4})
    assert review.status_code == 201 and review.json()["rating"] == 4
    assert client.post("/api/undo", params={"group": "ml_specialist"}).json()["kind"] == "review"


def test_config_get_put(client) -> None:  # type: ignore[no-untyped-def]
    cfg = client.get("/api/config/ml_specialist").json()
    cfg["settings"]["review_intervals"] = [1, 2, 4]
    put = client.put("/api/config/ml_specialist", json=cfg)
    assert put.status_code == 200 and put.json()["settings"]["review_intervals"] == [1, 2, 4]


def test_history_and_tracks(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/completions", json={"track": "system_design", "difficulty": 2})
    h = client.get("/api/history", params={"group": "swe"}).json()
    assert h["streak"] == 1 and h["totals"]["completions"] == 1
    assert {t["slug"]: t["days"] for t in client.get("/api/tracks").json()} == {
        "coding_patterns": 28,
        "system_design": 28,
        "ml_algorithms": 14,
        "ml_system_design": 14,
        "recommendations": 14,
    }
    assert client.get("/api/tracks/ml_algorithms/days/1").json()["title"] == "Neural Network Fundamentals"


def test_export_import_through_the_api(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/completions", json={"track": "system_design", "difficulty": 2})
    doc = client.get("/api/export").json()
    assert client.post("/api/import", json=doc).status_code == 409  # history present, no replace
    assert client.post("/api/import", params={"replace": "true"}, json=doc).json()["completions"] == 1
    assert client.get("/api/export").json()["completions"] == doc["completions"]


def test_openapi_docs(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/today",
        "/api/completions",
        "/api/reviews/{completion_id}",
        "/api/undo",
        "/api/config/{group}",
        "/api/history",
        "/api/export",
        "/api/import",
    } <= set(paths)


BAD = [
    # (method, path, payload, status, field, message)
    ("post", "/api/completions", {"track": "ml_algorithms"}, 422, "difficulty", "Field required"),
    (
        "post",
        "/api/completions",
        {"track": "ml_algorithms", "difficulty": 0},
        422,
        "difficulty",
        "must be greater than or equal to 1",
    ),
    (
        "post",
        "/api/completions",
        {"track": "ml_algorithms", "difficulty": "hard"},
        422,
        "difficulty",
        "must be a valid integer",
    ),
    ("post", "/api/completions", {"track": "nope", "difficulty": 3}, 404, None, "unknown track 'nope'"),
    (
        "post",
        "/api/completions",
        {"track": "ml_algorithms", "day": 30, "difficulty": 3},
        404,
        None,
        "No topic for day 30",
    ),
    (
        "post",
        "/api/completions",
        {"track": "ml_algorithms", "difficulty": 3, "colour": "red"},
        422,
        "colour",
        "Extra inputs are not permitted",
    ),
    ("post", "/api/reviews/1", {"rating": 5}, 422, "rating", "must be less than or equal to 4"),
    ("post", "/api/reviews/1", {"rating": 3}, 404, None, "no review is scheduled for completion 1"),
    (
        "put",
        "/api/config/ml_specialist",
        {"tracks": {"ml_algorithms": {"start_date": "2026-11-22", "acceleration_days": -3}}},
        422,
        "tracks.ml_algorithms.acceleration_days",
        "must be greater than or equal to 0",
    ),
    (
        "put",
        "/api/config/ml_specialist",
        {"settings": {"review_intervals": ["a", 3]}},
        422,
        "settings.review_intervals.0",
        "must be a whole number",
    ),
    (
        "put",
        "/api/config/ml_specialist",
        {"tracks": {"coding_patterns": {"start_date": "2026-11-22"}}},
        422,
        "tracks.coding_patterns",
        "unknown track 'coding_patterns' in group ml_specialist",
    ),
    ("put", "/api/config/nope", {}, 404, None, "unknown group 'nope'"),
    ("post", "/api/import", {"format": "study-tracker-export"}, 422, "version", "is required"),
    ("post", "/api/undo?group=swe", None, 409, None, "nothing to undo in SWE"),
]


@pytest.mark.parametrize(("method", "path", "payload", "status", "field", "message"), BAD)
def test_bad_api_input(client, method, path, payload, status, field, message) -> None:  # type: ignore[no-untyped-def]
    before = client.get("/api/export").json()
    r = getattr(client, method)(path, json=payload) if payload is not None else getattr(client, method)(path)
    assert r.status_code == status, r.text
    body = r.json()
    assert message in body["detail"]
    if field:
        assert field in [e["field"] for e in body["errors"]]
    after = client.get("/api/export").json()
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in before.items() if k != "exported_at"
    }
