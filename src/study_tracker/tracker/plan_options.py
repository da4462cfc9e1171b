"""A group's plan settings as the learner sets them: the interview date, the daily target, Easy
Days, breaks and load balancing (stored in ``group_settings.plan``, mirrored in config.json).

This is the validated document only; ``coach.study_plan`` turns it into the plan engine's
``PlanSettings`` and builds the plan.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_BREAKS = 100
MAX_INTERVIEWS = 200
MAX_DAILY_TARGET = 1440.0

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _check_date(value: date | None) -> date | None:
    # The same range as every other plan date (settings_store.FIRST_DATE..LAST_DATE).
    if value is not None and not date(2000, 1, 1) <= value <= date(2100, 12, 31):
        raise ValueError("must be between 2000-01-01 and 2100-12-31")
    return value


class BreakOption(BaseModel):
    """Days away from study, both ends included."""

    model_config = ConfigDict(extra="forbid")

    start: date
    end: date

    check_dates = field_validator("start", "end")(_check_date)

    @model_validator(mode="after")
    def _ordered(self) -> BreakOption:
        if self.end < self.start:
            raise ValueError(f"a break cannot end ({self.end}) before it starts ({self.start})")
        return self


class PlanOptions(BaseModel):
    """The plan to the interview date; every field has a default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True, description="Reviews follow the plan (balanced, out of breaks, before the interview)."
    )
    interview: date | None = Field(None, description="The interview date of the group.")
    interviews: dict[str, date] = Field(
        default_factory=dict,
        max_length=MAX_INTERVIEWS,
        description="An interview date per track slug or 'roadmap:<slug>', overriding the group's.",
    )
    daily_target: float = Field(45.0, gt=0, le=MAX_DAILY_TARGET, description="Review load a day.")
    target_unit: Literal["minutes", "reviews"] = Field("minutes", description="The daily target's unit.")
    easy_days: list[Weekday] = Field(
        default_factory=list, max_length=7, description="Weekdays with a lower share of the load."
    )
    easy_share: float = Field(0.5, ge=0, le=1, description="An Easy Day's share of the daily target.")
    breaks: list[BreakOption] = Field(default_factory=list, max_length=MAX_BREAKS)
    balance: bool = Field(True, description="Move reviews within their window to the lightest day.")

    check_interview = field_validator("interview")(_check_date)

    @field_validator("interviews")
    @classmethod
    def _check_interviews(cls, value: dict[str, date]) -> dict[str, date]:
        for key, day in value.items():
            if not key or len(key) > 200:
                raise ValueError("each key is a track slug or 'roadmap:<slug>' (at most 200 characters)")
            _check_date(day)
        return value

    @field_validator("easy_days")
    @classmethod
    def _unique_days(cls, value: list[str]) -> list[str]:
        return sorted(set(value), key=WEEKDAY_NAMES.index)

    @model_validator(mode="after")
    def _some_study_day(self) -> PlanOptions:
        if self.easy_share == 0 and len(self.easy_days) == 7:
            raise ValueError("easy_days: at least one weekday must keep a share above 0")
        return self


def parse_weekdays(text: str) -> list[str]:
    """'sat,sun' or 'Saturday, Sunday' -> ['sat', 'sun']; ValueError names an unknown day."""
    out = []
    for part in text.replace(";", ",").split(","):
        name = part.strip().lower()[:3]
        if not name:
            continue
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"{part.strip()!r} is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
        out.append(name)
    return out


def parse_break(text: str) -> BreakOption:
    """'2026-02-01:2026-02-07' (or a single date) -> a break; ValueError says what is wrong."""
    first, _, last = text.strip().partition(":")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last.strip() else start
    except ValueError:
        raise ValueError(f"a break is FROM:TO with dates like 2026-02-01:2026-02-07, got {text!r}") from None
    return BreakOption(start=start, end=end)
