"""Report: progress across tracks, roadmaps and skills as a page, and as a download (HTML or
Markdown)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from markupsafe import Markup

from study_tracker.coach import report as reports
from study_tracker.web import charts
from study_tracker.web.deps import ClockDep, GroupDep, SessionDep
from study_tracker.web.rendering import render, render_markdown

router = APIRouter()


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    built = reports.build_report(session, now=clock.now, zone=clock.zone)
    title, _, rest = reports.to_markdown(built).partition("\n")
    ctx = {
        # The page's own h1 comes before the charts; the download keeps the whole document.
        "title": title.removeprefix("# ") if title.startswith("# ") else "Study progress report",
        "body": render_markdown(rest if title.startswith("# ") else title + "\n" + rest),
        "today": built.today,
        "group": group,
        "charts": _charts(built),
    }
    return render(request, "report.html", ctx)


def _charts(built: reports.Report) -> dict[str, Markup | None]:
    """The Report's charts, each None when there is nothing to draw yet (the page says what to do)."""
    activity: dict[date, int] = {}
    for history in built.groups:
        for day, (done, reviewed) in history.activity.items():
            activity[day] = activity.get(day, 0) + done + reviewed
    tracks = [
        charts.Bar(
            p.track.title, p.completed_days / p.track.length, f"{p.completed_days}/{p.track.length} days"
        )
        for history in built.groups
        for p in history.progress
        if p.completed_days
    ]
    skills = [
        charts.Bar(s.name, s.score, f"{round(s.score * 100)}%", target=s.target)
        for s in built.skills
        if s.evidence
    ]
    return {
        "activity": charts.weekly_columns("Topics and reviews per week, last 12 weeks", activity, built.today)
        if activity
        else None,
        "tracks": charts.hbars("Days done per track", tracks) if tracks else None,
        "skills": charts.hbars("Skill mastery (the line marks your goal's target)", skills[:12])
        if skills
        else None,
    }


@router.get("/report/export", response_class=PlainTextResponse)
def report_export(session: SessionDep, clock: ClockDep, format: str = "html") -> Response:  # noqa: A002
    text = reports.export(reports.build_report(session, now=clock.now, zone=clock.zone), format)
    name = f"study-report-{clock.today.isoformat()}.{format}"
    media = "text/html" if format == "html" else "text/markdown"
    return PlainTextResponse(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
