"""The progress report: content, Markdown and self-contained HTML, and `study report`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.coach import report as reports
from study_tracker.db.models import TrackSetting
from study_tracker.errors import InvalidInput
from study_tracker.roadmaps import service as roadmaps
from study_tracker.skills.goal import set_goal
from study_tracker.tracker import service
from tests.cli_helpers import study

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
ROADMAP = """# Agents <script>alert(1)</script> roadmap

## Week 1: Tool calling basics (7 days)
- Function schemas

## Project: Ship a tool_using | assistant
**Deliverables**
- [ ] A repository
"""


def build(session: Session) -> reports.Report:
    return reports.build_report(session, now=NOW, zone=UTC)


@pytest.fixture
def history(session: Session) -> Session:
    session.get(TrackSetting, "ml_algorithms").start_date = date(2026, 11, 20)  # type: ignore[union-attr]
    for day in (1, 2, 3):
        when = datetime(2026, 11, 19 + day, 9, tzinfo=UTC)
        c = service.complete_topic(
            session=session, track="ml_algorithms", day=day, difficulty=2, notes="", now=when, zone=UTC
        )
        if day == 1:
            service.log_review(session=session, completion_id=c.id, rating=1, notes="", now=NOW, zone=UTC)
    d = drills.start_drill(session=session, filters=drills.parse_filters({"count": 2}), now=NOW, seed="r")
    drills.answer(
        session=session, drill_id=d.id, position=0, grade=4, now=NOW + timedelta(seconds=20), zone=UTC
    )
    drills.answer(
        session=session, drill_id=d.id, position=1, grade=2, now=NOW + timedelta(seconds=50), zone=UTC
    )
    return session


def test_report_content(history: Session) -> None:
    set_goal(session=history, path="machine-learning-engineer", level="0-6")
    rep = build(history)
    ml = next(h for h in rep.groups if h.group == "ml_specialist")
    assert ml.streak == 3 and ml.totals["completions"] == 3 and ml.retention == 0.0
    assert (rep.drills, rep.drill_answers, rep.drill_average) == (1, 2, 3.0)
    assert rep.skills[0].skill == "linear-models" and rep.skills[0].target == 0.5
    text = reports.to_markdown(rep)
    assert "**Goal:** Machine Learning Engineer, 0-6 months" in text
    assert "| ML | 3 d | 3 d | 3 | 3 | 1 | 0% |" in text
    assert "| ML Algorithms | 3/14 | 21% |" in text
    nn = next(s for s in rep.skills if s.skill == "neural-networks")
    assert f"| {nn.name} | {nn.score:.2f} | 0.50 | {nn.evidence} |" in text
    assert "1 drills, 2 questions answered, average self-grade 3.0 of 4." in text
    assert "Milestones the Machine Learning Engineer path expects at 0-6 months:" in text


def test_report_without_goal_lists_practised_skills(history: Session) -> None:
    rep = build(history)
    assert rep.goal is None and rep.skills and all(s.evidence for s in rep.skills)
    assert "none chosen yet" in reports.to_markdown(rep)


def test_milestones_and_html_is_self_contained_and_safe(session: Session) -> None:
    result = roadmaps.import_roadmap(
        session=session, text=ROADMAP, source_name="a.md", start_date=None, slug="agents", now=NOW, zone=UTC
    )
    view = roadmaps.roadmap_view(session=session, slug=result.slug, today=NOW.date())
    roadmaps.set_item(
        session=session,
        slug="agents",
        key=view.milestones[0].tasks[0].key,
        done=True,
        link="https://example.org/repo_x",
        now=NOW,
        zone=UTC,
    )
    rep = build(session)
    assert [(m["title"], m["done"]) for m in rep.milestones] == [
        ("Project: Ship a tool_using | assistant", True)
    ]
    md = reports.to_markdown(rep)
    assert "- [x] Agents" in md and r"tool\_using \| assistant" in md  # user text is not Markdown markup
    page = reports.to_html(rep)
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in reports.render_body("<script>alert(1)</script>")  # raw HTML is never passed on
    assert 'src="http' not in page and "<link" not in page  # nothing to fetch
    assert "<table>" in page and "tool_using | assistant" in page


def test_export_refuses_an_unknown_format(session: Session) -> None:
    with pytest.raises(InvalidInput) as exc:
        reports.export(build(session), "pdf")
    assert exc.value.errors[0].field == "format"


def test_report_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shown = study(data, "report")
    assert shown.returncode == 0 and shown.stdout.startswith("# Study progress report · 22 November 2026")
    out = tmp_path / "out" / "report.html"
    written = study(data, "report", "--format", "html", "--output", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text().startswith("<!doctype html>")
    bad = study(data, "report", "--format", "pdf", "--output", str(out))
    assert bad.returncode == 2 and "--format must be one of md, html" in bad.stderr
    assert out.read_text().startswith("<!doctype html>")  # the earlier report is untouched
    folder = study(data, "report", "--output", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
