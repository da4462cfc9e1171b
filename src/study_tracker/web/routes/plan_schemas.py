"""What ``/api/plan/{group}`` returns: the settings, each placed review with its reason, each
topic's predicted recall on the interview day, the pace to the date and the next 60 days' load."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from study_tracker.coach.plan.forecast import daily_load
from study_tracker.coach.study_plan import GroupPlan
from study_tracker.tracker.plan_options import PlanOptions


class PlannedReviewPublic(BaseModel):
    completion_id: int
    title: str
    step: int = Field(description="Reviews of the topic before this one.")
    due: date = Field(description="The day the scheduler alone gives.")
    day: date = Field(description="The day the plan chose.")
    window: tuple[date, date] = Field(description="The days it may move within, both included.")
    minutes: float
    projected: bool = Field(description="Assumes the topic's earlier planned reviews are done.")
    reason: str = Field(description="Why it moved ('moved from 14 Jan to 9 Jan: interview on 10 Jan').")


class OutlookPublic(BaseModel):
    completion_id: int
    title: str
    recall: float = Field(description="Predicted recall on the interview day under the plan.")
    below_target: bool
    savable: bool


class PacePublic(BaseModel):
    fits: bool
    message: str
    remaining: int
    study_days: float
    topics_per_day: float = Field(description="The learner's pace, from the last weeks' history.")
    proposed_topics_per_day: float
    proposed_minutes_per_day: float
    finish: date | None
    compress: list[str] = Field(description="Topics to skim or skip before the date, first first.")


class DayLoadPublic(BaseModel):
    day: date
    reviews: int
    minutes: float
    capacity: float
    easy: bool
    away: bool


class PlanPublic(BaseModel):
    group: str
    today: date
    settings: PlanOptions | None = Field(description="Null: no plan set.")
    target_retention: float | None = None
    reviews: list[PlannedReviewPublic] = Field(default_factory=list)
    outlook: list[OutlookPublic] = Field(default_factory=list)
    pace: PacePublic | None = None
    load: list[DayLoadPublic] = Field(default_factory=list)


def plan_public(group: str, today: date, gp: GroupPlan | None) -> PlanPublic:
    if gp is None:
        return PlanPublic(group=group, today=today, settings=None)
    plan = gp.plan
    pace = gp.pace
    return PlanPublic(
        group=group,
        today=today,
        settings=gp.options,
        target_retention=plan.target,
        reviews=[
            PlannedReviewPublic(
                completion_id=int(r.topic),
                title=gp.titles.get(r.topic, r.topic),
                step=r.step,
                due=r.due,
                day=r.day,
                window=r.window,
                minutes=r.minutes,
                projected=r.projected,
                reason=r.reason,
            )
            for r in plan.reviews
        ],
        outlook=[
            OutlookPublic(
                completion_id=int(o.topic),
                title=gp.titles.get(o.topic, o.topic),
                recall=round(o.recall, 4),
                below_target=o.below_target,
                savable=o.savable,
            )
            for o in plan.outlook
        ],
        pace=(
            PacePublic(
                fits=pace.fits,
                message=pace.message,
                remaining=pace.remaining,
                study_days=pace.study_days,
                topics_per_day=pace.pace.topics_per_day,
                proposed_topics_per_day=pace.proposed_topics_per_day,
                proposed_minutes_per_day=pace.proposed_minutes_per_day,
                finish=pace.finish,
                compress=[t.title or t.key for t in pace.compress],
            )
            if pace is not None
            else None
        ),
        load=[
            DayLoadPublic(
                day=d.day, reviews=d.reviews, minutes=d.minutes, capacity=d.capacity, easy=d.easy, away=d.away
            )
            for d in daily_load(plan, gp.calendar)
        ],
    )
