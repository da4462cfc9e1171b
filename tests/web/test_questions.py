"""The Questions page and /api/questions over a real app: generate for a roadmap, accept, edit,
reject (JSON and htmx), errors with their fields, a drill on the roadmap, and a page without
inline scripts, handlers or styles (the strict CSP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
ML = "machine-learning-engineer-roadmap"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def roadmap(client):  # type: ignore[no-untyped-def]
    client.app.state.roadmap_ingest = lambda path, settings: None  # no child process
    body = (SAMPLES / "ml-phases.md").read_bytes()
    r = client.post(
        "/roadmaps", files={"file": ("ml-phases.md", body, "text/markdown")}, follow_redirects=False
    )
    assert r.status_code == 303
    return ML


def test_generate_accept_edit_reject_over_json(client, roadmap) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/questions/generate", json={"roadmap": roadmap})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["generator"] == "structure" and body["key_points_supported"] == body["key_points"]
    ids = [q["id"] for q in body["queued"]]
    assert len(ids) >= 3 and all(q["roadmap"] == roadmap and q["status"] == "queued" for q in body["queued"])
    assert client.post("/api/questions/generate", json={"roadmap": roadmap}).json()["queued"] == []

    assert client.post(f"/api/questions/{ids[0]}/accept").json()["status"] == "accepted"
    assert client.post(f"/api/questions/{ids[1]}/reject").json()["status"] == "rejected"
    r = client.post(f"/api/questions/{ids[1]}/accept")
    assert r.status_code == 409
    r = client.patch(f"/api/questions/{ids[2]}", json={"key_points": ["Neural networks", "CNNs"]})
    assert (
        r.status_code == 200 and r.json()["key_points"] == ["Neural networks", "CNNs"] and r.json()["edited"]
    )
    listed = client.get("/api/questions", params={"status": "accepted", "roadmap": roadmap}).json()[
        "questions"
    ]
    assert [q["id"] for q in listed] == [ids[0]]

    drill = client.post("/api/drills", json={"roadmap": roadmap, "count": 3})
    assert drill.status_code == 201, drill.text
    assert [q["prompt"] for q in drill.json()["questions"]] == [listed[0]["prompt"]]


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "field"),
    [
        ("post", "/api/questions/generate", {"roadmap": "nope"}, 404, "roadmap"),
        ("post", "/api/questions/generate", {}, 422, "roadmap"),
        ("post", "/api/questions/generate", {"source": "/etc/passwd"}, 404, "source"),
        ("post", "/api/questions/generate", {"roadmap": "x", "limit": 0}, 422, "limit"),
        ("patch", "/api/questions/1", {"prompt": ""}, 422, "prompt"),
        ("patch", "/api/questions/1", {}, 422, "prompt"),
        ("post", "/api/questions/99999/accept", None, 404, None),
    ],
)
def test_refusals_name_the_field(client, roadmap, method, path, payload, status, field) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/questions/generate", json={"roadmap": roadmap})
    r = getattr(client, method)(path, **({"json": payload} if payload is not None else {}))
    assert r.status_code == status, r.text
    if field is not None:
        assert field in [e["field"] for e in r.json()["errors"]]


def test_page_lists_the_queue_and_decides_with_htmx(client, roadmap) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/questions/generate", data={"roadmap": roadmap}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert re.search(r"\d+ new questions queued", page) and "Name the 4 topics listed under" in page
    assert 'href="/questions"' in client.get("/").text  # nav entry
    # the strict CSP: no inline script, event handler or style attribute
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert not re.search(r"\son[a-z]+=", page) and "style=" not in page
    ids = re.findall(r'data-id="(\d+)"', page)
    frag = client.post(f"/questions/{ids[0]}/accept", headers=HTMX)
    assert (
        frag.status_code == 200
        and frag.text.lstrip().startswith("<article")
        and 'data-status="accepted"' in frag.text
    )
    frag = client.post(
        f"/questions/{ids[1]}/edit",
        data={"prompt": "Name two ML basics.", "key_points": "Trees\n\nRegression\n"},
        headers=HTMX,
    )
    assert "Name two ML basics." in frag.text and "<li>Regression</li>" in frag.text
    frag = client.post(f"/questions/{ids[1]}/edit", data={"prompt": "", "key_points": "x"}, headers=HTMX)
    assert "prompt" in frag.text and 'role="alert"' in frag.text
    assert client.post(f"/questions/{ids[2]}/reject", follow_redirects=False).status_code == 303
    assert f'data-id="{ids[2]}"' not in client.get("/questions").text  # queued only by default
    assert f'data-id="{ids[2]}"' in client.get("/questions?status=rejected").text


def test_generate_form_refuses_an_unknown_roadmap(client, roadmap) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/questions/generate", data={"roadmap": "nope"})
    assert r.status_code == 404 and "no roadmap" in r.text and 'role="alert"' in r.text
