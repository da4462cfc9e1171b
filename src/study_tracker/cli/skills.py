"""Guidance commands: career paths (`study path`), `study next`, `study drill`, `study report`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from study_tracker import clock
from study_tracker.cli.app import app
from study_tracker.cli.cards import GradeOption, LazyGrader, ask_card
from study_tracker.cli.errors import fail
from study_tracker.cli.output import bullet, clip, console
from study_tracker.cli.tracker import chosen_groups, store
from study_tracker.coach import drills
from study_tracker.coach import report as reports
from study_tracker.coach.what_next import passages_for, what_next
from study_tracker.config import Settings
from study_tracker.content.careers import get_path, load_paths
from study_tracker.content.curriculum import load_skills
from study_tracker.errors import InvalidInput
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import get_goal, set_goal
from study_tracker.wording import plural

path_app = typer.Typer(help="Career paths: list them, show one, choose your goal.", no_args_is_help=True)
app.add_typer(path_app, name="path")


@path_app.command("list")
def path_list() -> None:
    """List the bundled career paths and mark the chosen goal."""

    with store() as (session, _):
        goal = get_goal(session)
        table = Table("path", "title", "levels (months)", "goal")
        for p in load_paths().values():
            chosen = f"✓ {goal.level.id}" if goal and goal.path.slug == p.slug else ""
            table.add_row(p.slug, p.title, ", ".join(p.level_ids), chosen)
        console.print(table)


@path_app.command("show")
def path_show(
    name: Annotated[str | None, typer.Argument(help="Path slug (default: your goal).")] = None,
) -> None:
    """Show a path's levels: tracks, skills with your mastery, milestones, interview topics."""

    with store() as (session, settings):
        goal = get_goal(session)
        if name:
            path = get_path(name)
        elif goal is not None:
            path = goal.path
        else:
            raise InvalidInput(
                "no goal chosen: give a path name (see `study path list`) or `study path set NAME`"
            )
        scores = skill_mastery(session, now=clock.now(settings), zone=clock.local_zone(settings))
        names = load_skills()
        console.rule(f"{path.title}")
        console.print(path.summary)
        for lvl in path.levels:
            mark = (
                " [green](your goal)[/]"
                if goal and goal.path.slug == path.slug and goal.level.id == lvl.id
                else ""
            )
            console.print(f"\n[bold]{lvl.id} months · {lvl.title}[/]{mark}  target mastery {lvl.target:.2f}")
            console.print(f"  {lvl.summary}")
            console.print(f"  Tracks: {', '.join(lvl.tracks)}")
            console.print("  Skills:")
            for s in lvl.skills:
                score = scores[s].score if s in scores else 0.0
                flag = "[green]✓[/]" if score >= lvl.target else "[yellow]·[/]"
                console.print(f"    {flag} {names[s].name} ({s}): {score:.2f}")
            console.print("  Milestones:")
            for m in lvl.milestones:
                console.print(bullet(m, indent=4, marker="-"))
            console.print("  Interview topics:")
            for t in lvl.interview_topics:
                console.print(bullet(t, indent=4, marker="-"))


@path_app.command("set")
def path_set(
    name: Annotated[str, typer.Argument(help="Path slug from `study path list`.")],
    level: Annotated[
        str | None, typer.Option(help="Level by months of experience: 0-6, 6-12 or 12-24.")
    ] = None,
) -> None:
    """Choose a career path (and level) as your goal."""

    with store() as (session, _):
        goal = set_goal(session=session, path=name, level=level)
        console.print(f"Goal: [bold]{goal.path.title}[/], {goal.level.id} months ({goal.level.title}).")


@app.command("next")
def next_cmd(
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="swe or ml_specialist (default: both).")
    ] = None,
    passages: Annotated[
        bool, typer.Option("--passages/--no-passages", help="Add the best passages from your knowledge base.")
    ] = True,
) -> None:
    """What to study next, and why: reviews, next topics, then your weakest skill."""

    groups = chosen_groups(group)
    with store() as (session, settings):
        plan = what_next(session, now=clock.now(settings), zone=clock.local_zone(settings), groups=groups)
        kb = None  # opened once, on the first suggestion that needs passages
        if not plan.items:
            console.print("[dim]Nothing to suggest: everything is done for today.[/]")
        for i, item in enumerate(plan.items, 1):
            console.print(f"\n[bold]{i}. {escape(item.title)}[/]  [dim]{item.kind}[/]")
            console.print(bullet(item.reason, indent=3, marker="Why:"))
            if passages:
                kb = kb or _open_kb(settings)
                found = passages_for(item.query, item.subtopics, settings=settings, kb=kb)
                if found.note:
                    console.print(f"   [dim]{found.note}[/]")
                for hit in found.hits:
                    where = " › ".join(hit.heading_path) or hit.title or hit.source
                    line = Text.assemble((str(where), "cyan"), ": ", clip(hit.text, 160))
                    console.print(bullet(line, indent=3, marker="·"))
        if plan.more_reviews:
            console.print(f"\n[dim]and {plural(plan.more_reviews, 'more review')} due (`study review`).[/]")
        if plan.weakest:
            console.print("\nWeakest skills: " + ", ".join(f"{w.name} {w.score:.2f}" for w in plan.weakest))
        for note in plan.notes:
            console.print(f"[dim]{note}[/]")


def _open_kb(settings: Settings) -> KnowledgeBase | None:
    try:
        return KnowledgeBase.open(settings, export=False)
    except Exception:  # noqa: BLE001  (passages_for reports the knowledge base as unavailable)
        return None


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


@app.command()
def drill(
    track: Annotated[str | None, typer.Option(help="Only this track (slug).")] = None,
    roadmap: Annotated[
        str | None, typer.Option(help="An imported roadmap's accepted practice questions (slug).")
    ] = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="concept, tradeoff, derivation, estimation, scenario or coding."),
    ] = None,
    skill: Annotated[str | None, typer.Option(help="Only questions on this skill (id).")] = None,
    count: Annotated[int, typer.Option(help="Questions to ask (1-30).")] = 5,
    minutes: Annotated[int, typer.Option(help="Time limit for the whole drill (1-180).")] = 10,
) -> None:
    """An interview drill card by card: type an answer (or just Enter to answer aloud), see the key
    points with the grader's ticks, grade yourself; a summary at the end.

    Grades: a/1 Again, h/2 Hard, g/3 Good, e/4 Easy (Enter: the suggested one); t N ticks or
    unticks key point N; q ends the drill early.
    """

    with store() as (session, settings):
        zone = clock.local_zone(settings)
        grader = LazyGrader(settings)
        filters = drills.parse_filters(
            {
                "track": track,
                "roadmap": roadmap,
                "type": type_,
                "skill": skill,
                "count": count,
                "minutes": minutes,
            }
        )
        started = drills.start_drill(session=session, filters=filters, now=clock.now(settings))
        session.commit()  # answers are saved one by one: an interrupted drill keeps them
        drill_id = started.id
        total = len(started.questions)
        console.rule(f"Drill #{drill_id}: {plural(total, 'question')}, {minutes} min")
        for position in range(total):
            view = drills.get_drill(session, drill_id=drill_id, now=clock.now(settings))
            if view.finished:
                break
            pick = view.current
            assert pick is not None
            header = (
                f"\n[bold]Question {position + 1}/{total}[/] · {pick.track.title}"
                f"{'' if pick.track.group == drills.ROADMAP_GROUP else f' day {pick.topic.day}'}: "
                f"{escape(pick.topic.title)} · {pick.question.type} · ⏱ {_mmss(view.remaining_s)} left"
            )
            outcome = ask_card(
                pick.card(position),
                total=total,
                grader=grader,
                options=[GradeOption(n, label, "") for n, label in drills.GRADES.items()],
                header=header,
            )
            if outcome is None:
                break
            grade = outcome.grade
            result = drills.answer(
                session=session,
                drill_id=drill_id,
                position=position,
                grade=grade,
                now=clock.now(settings),
                zone=zone,
                outcome=outcome,
            )
            session.commit()
            if result is None:
                console.print("[yellow]Time is up: that answer came after the limit and was not counted.[/]")
                break
            console.print(f"[dim]{drills.GRADES[grade]} in {result.seconds} s[/]")
        view = drills.finish(session=session, drill_id=drill_id, now=clock.now(settings))
        s = drills.summary(view)
        console.rule("Summary")
        table = Table("#", "question", "grade", "seconds")
        for i, (pick, result) in enumerate(s.rows, 1):
            # The whole prompt: the table wraps it between words to the terminal's width.
            label = f"{pick.track.title} day {pick.topic.day}: {pick.question.prompt}" if pick else "?"
            table.add_row(
                str(i),
                Text(label),
                drills.GRADES[result.grade] if result else "–",
                str(result.seconds) if result else "–",
            )
        console.print(table)
        average = f", average grade {s.average_grade:.1f}/4" if s.average_grade is not None else ""
        console.print(
            f"Answered {s.answered} of {plural(s.asked, 'question')} in {_mmss(s.seconds)}{average}."
        )
        if s.weakest:
            names = load_skills()
            console.print(
                "Weakest skills in this drill: "
                + ", ".join(f"{names[k].name if k in names else k} ({g:.1f})" for k, g in s.weakest[:3])
            )


@app.command()
def report(
    format_: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: print).")
    ] = None,
) -> None:
    """A progress report for a mentor: streaks, completion, retention, skills, drills, milestones."""

    if format_ not in reports.FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(reports.FORMATS)}, got {format_!r}")
    if output is not None and output.is_dir():
        raise InvalidInput(f"--output {output} is a folder: give a file name")
    with store() as (session, settings):
        built = reports.build_report(session, now=clock.now(settings), zone=clock.local_zone(settings))
        text = reports.export(built, format_)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, output)  # never leave a half-written report behind
    except OSError as exc:
        raise fail(f"--output {output}: {exc.strerror or exc}") from None
    console.print(f"Wrote {output} ({format_}).")
