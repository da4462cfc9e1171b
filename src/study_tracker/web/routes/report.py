"""Report: progress across tracks, roadmaps and skills as a page, and as a download (HTML or
Markdown)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from study_tracker.coach import report as reports
from study_tracker.web.deps import ClockDep, GroupDep, SessionDep
from study_tracker.web.rendering import render, render_markdown

router = APIRouter()


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    built = reports.build_report(session, now=clock.now, zone=clock.zone)
    body = render_markdown(reports.to_markdown(built))
    return render(request, "report.html", {"body": body, "today": built.today, "group": group})


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
