"""The plan out of the app: the iCalendar feed parsed with icalendar, the Anki deck opened as a
collection (its SQLite has the notes), the CSV read back, and ``study export`` writing the same."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

from icalendar import Calendar

from study_tracker.content.curriculum import load_tracks
from study_tracker.db.engine import session_scope
from study_tracker.tracker import service
from tests.cli_helpers import study


def _plan(client) -> None:  # type: ignore[no-untyped-def]
    # Two topics done on 18 and 19 Nov; today (the test clock) is 22 Nov.
    with session_scope(client.app.state.settings.db_url) as s:
        for day in (1, 2):
            on = datetime(2026, 11, 17 + day, 10, tzinfo=UTC)
            service.complete_topic(
                session=s, track="coding_patterns", day=day, difficulty=3, notes="", now=on, zone=UTC
            )
    r = client.put(
        "/api/plan/swe",
        json={
            "interview": "2026-12-20",
            "daily_target": 40,
            "breaks": [{"start": "2026-11-23", "end": "2026-11-24"}],
        },
    )
    assert r.status_code == 200


def test_calendar_feed_parses_with_icalendar(client) -> None:  # type: ignore[no-untyped-def]
    _plan(client)
    r = client.get("/calendar.ics", params={"group": "swe"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    interview = events["swe-interview@study-tracker"]
    assert (
        interview.decoded("dtstart") == date(2026, 12, 20) and str(interview["summary"]) == "Interview (SWE)"
    )
    today = events["swe-2026-11-22@study-tracker"]
    assert today.decoded("dtstart") == date(2026, 11, 22) and today.decoded("dtend") == date(2026, 11, 23)
    description = str(today["description"])
    assert description.startswith(
        "2 reviews, about 10 minutes\n- Coding Patterns · Day 5: Prefix Sums"
    )  # today's topic
    # The break has no study block.
    assert "swe-2026-11-23@study-tracker" not in events and "swe-2026-11-24@study-tracker" not in events
    days = {e.decoded("dtstart") for e in events.values()}
    assert min(days) == date(2026, 11, 22) and max(days) == date(2026, 12, 20)


def test_anki_deck_opens_as_a_collection_with_the_notes(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/export/anki.apkg", params={"track": "system_design"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="study-tracker-system_design.apkg"'
    track = load_tracks()["system_design"]
    expected = sum(len(t.questions) for t in track.days)
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert "collection.anki2" in z.namelist()
        raw = z.read("collection.anki2")
    path = Path(client.app.state.settings.data_dir) / "deck.anki2"
    path.write_bytes(raw)
    with sqlite3.connect(path) as db:
        notes = db.execute("SELECT flds, tags FROM notes").fetchall()
        cards = db.execute("SELECT count(*) FROM cards").fetchone()[0]
    assert len(notes) == expected == cards
    first = track.days[0].questions[0]
    prompt, back, topic = next(n[0] for n in notes if first.key_points[0].split()[0] in n[0]).split("\x1f")
    assert all(p.split()[0] in back for p in first.key_points)
    assert topic.startswith("System Design · Day 1")
    assert client.get("/export/anki.apkg", params={"track": "nope"}).status_code == 404


def test_plan_csv_and_study_export(client, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _plan(client)
    r = client.get("/export/plan.csv", params={"group": "swe"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["group"] for row in rows} == {"swe"}
    assert all(row["day"] not in ("2026-11-23", "2026-11-24") for row in rows)  # the break
    assert rows[0]["topic"].startswith("Coding Patterns · Day")
    out = tmp_path / "plan.ics"
    ran = study(settings.data_dir, "export", "calendar", "-g", "swe", "--out", str(out))
    assert ran.returncode == 0, ran.stderr
    assert {str(e["uid"]) for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")} >= {
        "swe-interview@study-tracker"
    }
    deck = tmp_path / "ml.apkg"
    ran = study(settings.data_dir, "export", "anki", "--track", "ml_algorithms", "-o", str(deck))
    assert ran.returncode == 0 and zipfile.is_zipfile(deck)
    table = tmp_path / "plan.csv"
    assert study(settings.data_dir, "export", "csv", "-o", str(table)).returncode == 0
    assert table.read_text().splitlines()[0].startswith("day,group,completion_id,topic")
