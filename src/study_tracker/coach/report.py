"""The progress report: one document a learner can show a mentor.

``build_report`` gathers streaks, completion by track, review retention, skills against the
chosen career path, drills and milestones; ``to_markdown`` writes it as Markdown and
``to_html`` as a self-contained HTML file (inline style, no scripts, no external links).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from markdown_it import MarkdownIt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.coach.what_next import weakest_skills
from study_tracker.content.curriculum import GROUPS, load_skills
from study_tracker.db.models import DrillResult, DrillSession
from study_tracker.errors import InvalidInput
from study_tracker.roadmaps import progress as roadmap_progress
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import Goal, get_goal
from study_tracker.tracker import stats

FORMATS = ("md", "html")


@dataclass
class SkillLine:
    skill: str
    name: str
    score: float
    target: float | None
    evidence: int


@dataclass
class Report:
    today: date
    goal: Goal | None
    groups: list[stats.History]
    skills: list[SkillLine]
    weakest: list[SkillLine]
    drills: int
    drill_answers: int
    drill_average: float | None
    milestones: list[dict[str, Any]] = field(default_factory=list)  # {roadmap, title, done, progress, link}


def _milestones(session: Session) -> list[dict[str, Any]]:
    """Every milestone of every imported roadmap, with its state and deliverable link."""
    return [
        {
            "roadmap": rm.title,
            "title": mv.item.title,
            "done": mv.state == "done",
            "progress": mv.progress,
            "link": mv.item.link,
        }
        for rm in roadmap_progress.milestone_progress(session=session)
        for mv in rm.milestones
    ]


def build_report(session: Session, *, now: datetime, zone: tzinfo) -> Report:
    """Everything the report shows, computed from the log at ``now``."""
    today = local_date(now, zone)
    histories = [stats.history(session, group=g, today=today, recent_days=1) for g in GROUPS]
    histories = [h for h in histories if h.totals["completions"] or h.totals["reviews"]] or histories
    goal = get_goal(session)
    scores = skill_mastery(session, now=now, zone=zone)
    names = load_skills()
    if goal is not None:
        pool = goal.skills
    else:
        pool = sorted((s for s, m in scores.items() if m.count), key=lambda s: -scores[s].score)[:15]
    target = goal.level.target if goal else None
    skills = [
        SkillLine(s, names[s].name if s in names else s, scores[s].score, target, scores[s].count)
        for s in pool
    ]
    weakest = [
        SkillLine(w.skill, w.name, w.score, w.target, w.count) for w in weakest_skills(scores, goal, limit=5)
    ]
    drills = session.scalar(select(func.count()).select_from(DrillSession)) or 0
    answers, average = session.execute(select(func.count(DrillResult.id), func.avg(DrillResult.grade))).one()
    return Report(
        today=today,
        goal=goal,
        groups=histories,
        skills=skills,
        weakest=weakest,
        drills=drills,
        drill_answers=answers or 0,
        drill_average=float(average) if average is not None else None,
        milestones=_milestones(session),
    )


def _esc(text: object) -> str:
    """User-provided text (roadmap titles) must not become Markdown markup."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in str(text))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def to_markdown(report: Report) -> str:
    """The report as Markdown (headings, tables, lists)."""
    lines = [f"# Study progress report · {report.today:%d %B %Y}", ""]
    if report.goal:
        lvl = report.goal.level
        lines += [f"**Goal:** {report.goal.path.title}, {lvl.id} months: {lvl.title}.", ""]
    else:
        lines += ["**Goal:** none chosen yet (`study path set NAME`).", ""]
    lines += [
        "## Consistency",
        "",
        "| Group | Current streak | Longest streak | Active days | Topics | Reviews | Recalled |",
    ]
    lines += ["|---|---:|---:|---:|---:|---:|---:|"]
    for h in report.groups:
        g = GROUPS[h.group]
        lines.append(
            f"| {g.title} | {h.streak} d | {h.longest_streak} d | {h.totals['active_days']} | "
            f"{h.totals['completions']} | {h.totals['reviews']} | {_pct(h.retention)} |"
        )
    lines += ["", "## Completion by track", "", "| Track | Days done | Progress |", "|---|---:|---:|"]
    for h in report.groups:
        for p in h.progress:
            lines.append(f"| {p.track.title} | {p.completed_days}/{p.track.length} | {p.percent}% |")
    lines += ["", "## Skills", ""]
    if report.skills:
        head = "| Skill | Mastery | Target | Evidence |" if report.goal else "| Skill | Mastery | Evidence |"
        lines += [head, "|---|---:|---:|---:|" if report.goal else "|---|---:|---:|"]
        for s in report.skills:
            target = f" {s.target:.2f} |" if s.target is not None else ""
            lines.append(f"| {s.name} | {s.score:.2f} |{target} {s.evidence} |")
    else:
        lines.append("No skill evidence yet: complete topics, do reviews or run `study drill`.")
    if report.weakest:
        lines += ["", "Weakest: " + ", ".join(f"{s.name} ({s.score:.2f})" for s in report.weakest) + "."]
    lines += ["", "## Interview drills", ""]
    if report.drill_answers:
        lines.append(
            f"{report.drills} drills, {report.drill_answers} questions answered, "
            f"average self-grade {report.drill_average:.1f} of 4."
        )
    else:
        lines.append("No drills yet.")
    lines += ["", "## Milestones", ""]
    if report.milestones:
        for m in report.milestones:
            box = "x" if m["done"] else " "
            part = "" if m["done"] or not m["progress"] else f" ({m['progress'] * 100:.0f}% of its steps)"
            link = f" · deliverable: {_esc(m['link'])}" if m.get("link") else ""
            lines.append(f"- [{box}] {_esc(m['roadmap'])}: {_esc(m['title'])}{part}{link}")
    else:
        lines.append("No roadmap milestones yet (import a roadmap on the Roadmaps page).")
    if report.goal:
        lines += [
            "",
            f"Milestones the {report.goal.path.title} path expects at {report.goal.level.id} months:",
            "",
        ]
        lines += [f"- {m}" for m in report.goal.level.milestones]
    return "\n".join(lines) + "\n"


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:52rem;margin:2rem auto;
padding:0 1rem;color:#1b1f24;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left}
td:not(:first-child),th:not(:first-child){text-align:right}
"""


def render_body(markdown: str) -> str:
    """Markdown to HTML with raw HTML disabled (titles from imported files are user input)."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    return md.render(markdown)


def to_html(report: Report) -> str:
    """A self-contained HTML document (inline style; nothing to fetch)."""
    body = render_body(to_markdown(report))
    title = html.escape(f"Study progress report {report.today.isoformat()}")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )


def export(report: Report, fmt: str) -> str:
    """The report in ``fmt`` (md or html)."""
    if fmt not in FORMATS:
        raise InvalidInput.field("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return to_markdown(report) if fmt == "md" else to_html(report)
