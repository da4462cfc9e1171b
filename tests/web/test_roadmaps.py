"""Roadmaps pages and API over a real app: upload, re-upload, ticks via htmx and JSON, bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from study_tracker.web.forms import field_id

SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
ML = "machine-learning-engineer-roadmap"
HOUSE = "phase-2-ml-fundamentals/project-house-price-predictor"
NUMPY = "phase-1-python-and-maths-foundations/finish-20-numpy-exercises"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def handed(client):  # type: ignore[no-untyped-def]
    """Records the knowledge-base hand-off instead of starting a child process."""
    calls: list[Path] = []
    client.app.state.roadmap_ingest = lambda path, settings: calls.append(path)
    return calls


def upload(client, name: str = "ml-phases.md", data: bytes | None = None, **form: str):  # type: ignore[no-untyped-def]
    body = data if data is not None else (SAMPLES / name).read_bytes()
    return client.post(
        "/roadmaps", files={"file": (name, body, "text/markdown")}, data=form, follow_redirects=False
    )


def test_upload_creates_a_roadmap_and_hands_it_to_the_knowledge_base(client, handed, settings) -> None:  # type: ignore[no-untyped-def]
    r = upload(client, start_date="2026-11-02")
    assert r.status_code == 303 and r.headers["location"] == f"/roadmaps/{ML}"
    copy = settings.data_dir / "roadmaps" / f"{ML}.md"
    assert handed == [copy] and "House Price Predictor" in copy.read_text(encoding="utf-8")
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "Phase 2: ML Fundamentals (Weeks 4-7)" in page.text and "2026-11-23 → 2026-12-20" in page.text
    assert f'data-key="{HOUSE}"' in page.text and 'href="https://example.org/hands-on-ml"' in page.text
    listing = client.get("/roadmaps")
    assert f'href="/roadmaps/{ML}"' in listing.text and "1/14" in listing.text
    assert 'href="/roadmaps"' in client.get("/").text  # nav entry


def test_tick_via_htmx_returns_the_item_fragment(client, handed) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    r = client.post(f"/roadmaps/{ML}/items/tick", data={"key": NUMPY, "done": "true"}, headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith("<li") and "<html" not in r.text
    assert 'class="rm-item task done"' in r.text and 'name="done" value="false"' in r.text
    # The task and, with both its tasks done, Phase 1 itself: 1 + 2 of 14.
    assert "3/14" in client.get("/roadmaps").text
    # Without htmx the form redirects back.
    r = client.post(
        f"/roadmaps/{ML}/items/tick",
        data={"key": NUMPY, "done": "false", "back": "/milestones"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/milestones"
    r = client.post(
        f"/roadmaps/{ML}/items/tick",
        data={"key": NUMPY, "done": "true", "back": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/roadmaps/{ML}"


def test_deliverable_link_on_the_milestones_page(client, handed) -> None:  # type: ignore[no-untyped-def]
    upload(client)
    r = client.post(
        f"/roadmaps/{ML}/items/link", data={"key": HOUSE, "link": "https://github.com/me/house"}, headers=HTMX
    )
    assert r.status_code == 200 and 'href="https://github.com/me/house"' in r.text
    page = client.get("/milestones")
    assert page.status_code == 200 and 'href="https://github.com/me/house"' in page.text
    assert "Project: Image Classifier" in page.text and "0/2 milestones done" in page.text
    bad = client.post(
        f"/roadmaps/{ML}/items/link", data={"key": HOUSE, "link": "javascript:alert(1)"}, headers=HTMX
    )
    assert (
        bad.status_code == 422
        and "<code>link</code>" in bad.text
        and 'value="javascript:alert(1)"' in bad.text
    )
    assert 'href="javascript' not in bad.text
    assert 'href="https://github.com/me/house"' in client.get("/milestones").text  # the old link stays


def test_reupload_updates_in_place_and_keeps_progress(client, handed) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    client.post(f"/api/roadmaps/{ML}/items", json={"key": NUMPY, "done": True})
    edited = (SAMPLES / "ml-phases.md").read_text(encoding="utf-8").replace("(Weeks 4-7)", "(Weeks 4-9)")
    r = upload(client, data=edited.encode())
    assert r.status_code == 303 and "Updated" in client.get(r.headers["location"]).text
    view = client.get(f"/api/roadmaps/{ML}").json()
    assert view["topics"][1]["item"]["end"] == "2027-01-03" and view["start_date"] == "2026-11-02"
    assert view["topics"][0]["tasks"][0]["done"] is True
    assert len(client.get("/api/roadmaps").json()) == 1


def test_api_upload_and_item_update(client, handed) -> None:  # type: ignore[no-untyped-def]
    data = (SAMPLES / "projects.md").read_bytes()
    r = client.post(
        "/api/roadmaps", files={"file": ("projects.md", data, "text/markdown")}, data={"slug": "portfolio"}
    )
    assert r.status_code == 201 and r.json()["counts"]["milestones"] == 3 and r.json()["slug"] == "portfolio"
    r = client.post(
        "/api/roadmaps/portfolio/items",
        json={"key": "project-2-recommendation-engine", "link": "https://example.org/recs", "done": True},
    )
    assert (
        r.status_code == 200 and r.json()["done"] is True and r.json()["link"] == "https://example.org/recs"
    )


@pytest.mark.parametrize(
    ("name", "data", "form", "field", "status"),
    [
        ("notes.md", b"Only prose here.\n\nNothing to follow.", {}, "file", 422),
        ("empty.md", b"", {}, "file", 422),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "file", 422),
        ("big.md", b"- [ ] x\n" * 265_000, {}, "file", 413),  # over STUDY_ROADMAP_MAX_MB (2 MB)
        ("ok.md", b"- [ ] a task", {"start_date": "31/12/2026"}, "start_date", 422),
        ("ok.md", b"- [ ] a task", {"slug": "Not OK"}, "slug", 422),
    ],
    ids=["no-structure", "empty", "binary", "too-large", "bad-date", "bad-slug"],
)
def test_bad_uploads_name_the_field_and_store_nothing(
    client, handed, name, data, form, field, status
) -> None:  # type: ignore[no-untyped-def]
    r = upload(client, name=name, data=data, **form)
    assert r.status_code == status
    assert f'href="#{field_id(field)}"' in r.text  # the summary names the field and links to it
    assert client.get("/api/roadmaps").json() == [] and handed == []


def test_upload_without_a_file(client, handed) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/roadmaps", data={"start_date": "2026-11-02"})
    assert r.status_code == 422 and 'href="#error-file"' in r.text


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"key": HOUSE, "link": "ftp://x.org"}, 422, "link"),
        ({"key": HOUSE}, 422, "done"),
        ({"key": HOUSE, "done": "maybe"}, 422, "done"),
        ({"key": "", "done": True}, 422, "key"),
        ({"key": HOUSE, "done": True, "extra": 1}, 422, "extra"),
        ({"key": "nope", "done": True}, 404, None),
    ],
)
def test_api_item_bad_input(client, handed, payload, status, field) -> None:  # type: ignore[no-untyped-def]
    upload(client)
    r = client.post(f"/api/roadmaps/{ML}/items", json=payload)
    assert r.status_code == status, r.text
    if field:
        assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get(f"/api/roadmaps/{ML}").json()["done"] == 1  # unchanged


def test_unknown_roadmap_is_404(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/roadmaps/nope").status_code == 404
    assert client.get("/api/roadmaps/nope").status_code == 404


def test_start_date_form_and_api_move_the_plan(client, handed) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    page = client.get(f"/roadmaps/{ML}").text
    assert f'action="/roadmaps/{ML}/start"' in page and 'name="start_date"' in page
    assert 'value="2026-11-02"' in page
    r = client.post(f"/roadmaps/{ML}/start", data={"start_date": "2027-01-04"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/roadmaps/{ML}"
    page = client.get(r.headers["location"]).text
    assert "Start date set to 2027-01-04" in page and 'value="2027-01-04"' in page
    assert "2027-01-25 → 2027-02-21" in page  # Phase 2 (weeks 4-7), moved with the start

    r = client.patch(f"/api/roadmaps/{ML}", json={"start_date": "2026-12-07"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["start_date"] == "2026-12-07" and view["topics"][1]["item"]["start"] == "2026-12-28"
    assert client.get(f"/api/roadmaps/{ML}").json()["start_date"] == "2026-12-07"


@pytest.mark.parametrize(
    ("slug", "value", "status", "field"),
    [
        (ML, "31/12/2026", 422, "start_date"),
        (ML, "", 422, "start_date"),
        (ML, "2026-02-30", 422, "start_date"),
        ("nope", "2027-01-04", 404, None),
        ("nope", "bad", 404, None),
    ],
    ids=["bad-date", "empty", "no-such-day", "unknown-slug", "unknown-slug-and-bad-date"],
)
def test_start_date_form_bad_input(client, handed, slug, value, status, field) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    r = client.post(f"/roadmaps/{slug}/start", data={"start_date": value}, follow_redirects=False)
    assert r.status_code == status
    if field:
        assert f'href="#{field_id(field)}"' in r.text and 'aria-invalid="true"' in r.text
        assert "Phase 2: ML Fundamentals" in r.text  # the roadmap page again, with the error
    assert client.get(f"/api/roadmaps/{ML}").json()["start_date"] == "2026-11-02"  # unchanged


@pytest.mark.parametrize(
    ("slug", "payload", "status", "field"),
    [
        (ML, {"start_date": "tomorrow"}, 422, "start_date"),
        (ML, {"start_date": ""}, 422, "start_date"),
        (ML, {"start_date": 1767225600}, 422, "start_date"),  # a timestamp is not a date
        (ML, {}, 422, "start_date"),
        (ML, {"start_date": "2027-01-04", "title": "x"}, 422, "title"),
        ("nope", {"start_date": "2027-01-04"}, 404, None),
    ],
    ids=["bad-date", "empty", "timestamp", "missing", "extra-field", "unknown-slug"],
)
def test_api_start_date_bad_input(client, handed, slug, payload, status, field) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    r = client.patch(f"/api/roadmaps/{slug}", json=payload)
    assert r.status_code == status, r.text
    if field:
        assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get(f"/api/roadmaps/{ML}").json()["start_date"] == "2026-11-02"  # unchanged


def test_remove_from_the_page_and_the_api(client, handed, settings) -> None:  # type: ignore[no-untyped-def]
    upload(client)
    upload(client, name="projects.md", slug="portfolio")
    copy = settings.data_dir / "roadmaps" / f"{ML}.md"
    assert copy.exists()
    page = client.get(f"/roadmaps/{ML}").text
    assert f'action="/roadmaps/{ML}/delete"' in page and "/static/app.js" in page  # asks first (data-confirm)
    assert 'data-confirm="Remove Machine Learning Engineer Roadmap and all its progress?' in page

    r = client.post(f"/roadmaps/{ML}/delete", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/roadmaps"
    listing = client.get(r.headers["location"]).text
    assert "Removed Machine Learning Engineer Roadmap" in listing and f'href="/roadmaps/{ML}"' not in listing
    assert not copy.exists()  # never indexed here (the hand-off is recorded), so only the file goes
    assert client.get(f"/roadmaps/{ML}").status_code == 404
    assert client.post(f"/roadmaps/{ML}/delete").status_code == 404
    assert [r["slug"] for r in client.get("/api/roadmaps").json()] == ["portfolio"]

    assert client.delete("/api/roadmaps/portfolio").status_code == 204
    assert client.get("/api/roadmaps").json() == []
    assert not (settings.data_dir / "roadmaps" / "portfolio.md").exists()
    r = client.delete("/api/roadmaps/portfolio")
    assert r.status_code == 404 and "portfolio" in r.json()["detail"]


@pytest.mark.parametrize("back", [f"/roadmaps/{ML}", "/milestones"])
def test_an_htmx_tick_updates_the_progress_it_changed(client, handed, back: str) -> None:  # type: ignore[no-untyped-def]
    upload(client, start_date="2026-11-02")
    milestone = next(
        m for m in client.get(f"/api/roadmaps/{ML}").json()["milestones"] if m["item"]["key"] == HOUSE
    )
    task = milestone["tasks"][0]["key"]
    r = client.post(
        f"/roadmaps/{ML}/items/tick", data={"key": task, "done": "true", "back": back}, headers=HTMX
    )
    assert r.text.lstrip().startswith("<li")  # the item first (the swap target), then out of band:
    head = re.search(rf'<header id="milestone-head-{HOUSE}" hx-swap-oob="true">.*?</header>', r.text, re.S)
    assert head and "in progress" in head[0]
    if back == "/milestones":
        assert f'id="rm-milestones-{ML}" hx-swap-oob="true"' in r.text and "0/2 milestones done" in r.text
    else:
        progress = re.search(
            rf'<span class="rm-progress" id="rm-progress-{ML}" hx-swap-oob="true">(.*?)</span>', r.text
        )
        assert progress and "2/14 done" in progress[1]
