"""Plan commands: ``study plan`` (the plan to the interview date), ``study plan set`` (its
settings) and ``study remind`` (today's load in one line, for a cron job or a systemd timer)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from study_tracker import clock
from study_tracker.cli.app import app
from study_tracker.cli.output import bullet, console
from study_tracker.cli.tracker import GroupOpt, chosen_groups, store
from study_tracker.coach import study_plan
from study_tracker.coach.plan.calendar import fmt_day
from study_tracker.content.curriculum import GROUPS
from study_tracker.errors import InvalidInput
from study_tracker.tracker import agenda, settings_store
from study_tracker.tracker.plan_options import PlanOptions, parse_break, parse_weekdays
from study_tracker.wording import plural

plan_app = typer.Typer(
    help="The plan to the interview date: reviews balanced, Easy Days, breaks, pace to the date.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(plan_app, name="plan")


@plan_app.callback()
def plan_show(ctx: typer.Context, group: GroupOpt = None) -> None:
    """Show each group's plan: pace to the date, the next days' load, what moved and why."""
    if ctx.invoked_subcommand:
        return
    with store() as (session, settings):
        now, zone = clock.now(settings), clock.local_zone(settings)
        for g in chosen_groups(group):
            console.rule(f"{GROUPS[g].icon} {GROUPS[g].title} · plan")
            gp = study_plan.group_plan(session, group=g, now=now, zone=zone)
            if gp is None:
                console.print("No plan set: study plan set --interview DATE --daily-target N")
                continue
            _print_plan(gp)


def _print_plan(gp: study_plan.GroupPlan) -> None:
    plan, options = gp.plan, gp.options
    unit = options.target_unit
    if plan.interview is not None:
        console.print(
            f"Interview on {plan.interview:%A %d %B %Y} ({plural((plan.interview - plan.today).days, 'day')} left)."
        )
    console.print(
        f"Daily target {options.daily_target:g} {unit}"
        + (
            f"; Easy Days {', '.join(options.easy_days)} at {options.easy_share:.0%}"
            if options.easy_days
            else ""
        )
        + (f"; {plural(len(options.breaks), 'break')}" if options.breaks else "")
        + ("" if options.balance else "; balancing off")
    )
    if gp.pace is not None:
        console.print(bullet(escape(gp.pace.message), indent=0))
    table = Table("day", "reviews", "minutes", title="Next 14 days", title_justify="left")
    for n in range(14):
        day = plan.today.fromordinal(plan.today.toordinal() + n)
        count, minutes = study_plan.today_load(plan, day)
        note = " (break)" if gp.calendar.break_on(day) else (" (easy)" if gp.calendar.is_easy(day) else "")
        table.add_row(f"{day:%a %d %b}{note}", str(count), f"{minutes:.0f}")
    console.print(table)
    moved = [r for r in plan.reviews if r.reason and not r.projected][:15]
    for r in moved:
        console.print(bullet(f"{escape(gp.titles.get(r.topic, r.topic))}: {escape(r.reason)}", indent=0))
    risky = plan.at_risk()
    if risky:
        console.print(
            f"{plural(len(risky), 'topic')} below {plan.target:.0%} recall on the interview day"
            + f" ({sum(1 for o in risky if not o.savable)} no review before the date can lift)."
        )


@plan_app.command("set")
def plan_set(
    *,
    group: GroupOpt = None,
    interview: Annotated[
        str | None, typer.Option(metavar="DATE", help="Interview date (YYYY-MM-DD); 'none' clears it.")
    ] = None,
    daily_target: Annotated[str | None, typer.Option(metavar="FLOAT", help="Review load a day.")] = None,
    unit: Annotated[str | None, typer.Option(help="minutes or reviews (the daily target's unit).")] = None,
    easy_days: Annotated[
        str | None, typer.Option(metavar="DAYS", help="Easy Days, e.g. sat,sun ('none' clears).")
    ] = None,
    easy_share: Annotated[
        str | None, typer.Option(metavar="FLOAT", help="An Easy Day's share of the target (0-1).")
    ] = None,
    breaks: Annotated[
        list[str] | None,
        typer.Option("--break", metavar="FROM:TO", help="A break (repeat for more); replaces the breaks."),
    ] = None,
    clear_breaks: Annotated[bool, typer.Option("--clear-breaks", help="Remove every break.")] = False,
    balance: Annotated[
        bool | None, typer.Option("--balance/--no-balance", help="Load balancing on or off.")
    ] = None,
    enabled: Annotated[
        bool | None, typer.Option("--on/--off", help="Follow the plan, or keep it without applying it.")
    ] = None,
    track_interview: Annotated[
        list[str] | None,
        typer.Option(metavar="TRACK=DATE", help="A track's own interview date (repeat for more)."),
    ] = None,
) -> None:
    """Set the plan: interview date, daily target, Easy Days, breaks, balancing (only what is given changes)."""
    changes: dict[str, object] = {}
    try:
        if interview is not None:
            changes["interview"] = None if interview.lower() == "none" else interview
        if daily_target is not None:
            changes["daily_target"] = daily_target
        if unit is not None:
            changes["target_unit"] = unit
        if easy_days is not None:
            changes["easy_days"] = [] if easy_days.lower() == "none" else parse_weekdays(easy_days)
        if easy_share is not None:
            changes["easy_share"] = easy_share
        if breaks:
            changes["breaks"] = [parse_break(b).model_dump(mode="json") for b in breaks]
        elif clear_breaks:
            changes["breaks"] = []
        if track_interview:
            pairs = [t.partition("=") for t in track_interview]
            changes["interviews"] = {k.strip(): v.strip() for k, _, v in pairs}
    except ValueError as exc:
        raise InvalidInput(str(exc).splitlines()[0]) from None
    if balance is not None:
        changes["balance"] = balance
    if enabled is not None:
        changes["enabled"] = enabled
    with store() as (session, settings):
        for g in chosen_groups(group):
            current = settings_store.get_config(session, g).settings.plan or PlanOptions()
            merged = current.model_dump(mode="json") | changes
            saved = settings_store.save_plan(
                session,
                data_dir=settings.data_dir,
                group=g,
                plan=merged,
                zone=clock.local_zone(settings),
                today=clock.today(settings),
            )
            console.print(f"[green]Saved[/] the plan of {GROUPS[g].title}.")
            plan = saved.settings.plan
            console.print_json(json.dumps(plan.model_dump(mode="json") if plan else None))


@app.command()
def remind(group: GroupOpt = None) -> None:
    """Print today's load in one line (for a cron job or a systemd timer)."""
    with store() as (session, settings):
        now, zone, day = clock.now(settings), clock.local_zone(settings), clock.today(settings)
        parts = []
        for g in chosen_groups(group):
            view = study_plan.due_by_plan(
                session, view=agenda.today_view(session, group=g, today=day), now=now, zone=zone
            )
            minutes = sum(r.rtype.questions for r in view.reviews) * study_plan.MINUTES_PER_QUESTION
            topics = [t for t in view.tracks if t.offers_topic and t.completion is None]
            text = f"{GROUPS[g].title}: {plural(len(view.reviews), 'review')} (~{minutes:.0f} min), {plural(len(topics), 'new topic')}"
            options = study_plan.stored_options(session, g)
            if options is not None and options.interview is not None and options.interview >= day:
                text += f", interview in {plural((options.interview - day).days, 'day')} ({fmt_day(options.interview)})"
            parts.append(text)
        typer.echo(f"study {day.isoformat()}: " + "; ".join(parts))
