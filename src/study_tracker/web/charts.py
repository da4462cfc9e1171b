"""Charts drawn on the server as inline SVG: no script to load, readable without JavaScript,
coloured by app.css (so both themes apply), and described for screen readers (role="img", a
title, and the numbers as text beside each bar)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

ROW = 26  # px per bar row
LABEL_W = 190  # px for the labels on the left of horizontal bars
BAR_W = 300
VALUE_W = 90


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..1 of the bar's length
    text: str  # what the bar says in words ("12/30 days")
    target: float | None = None  # 0..1: a tick where the goal is


def hbars(title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one per row, each with its label and its value in words."""
    width = LABEL_W + BAR_W + VALUE_W
    height = ROW * len(bars) + 4
    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        f' preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, bar in enumerate(bars):
        y = i * ROW + 4
        fill = max(0.0, min(1.0, bar.value)) * BAR_W
        parts.append(
            f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + 14}" text-anchor="end">{escape(_clip(bar.label))}</text>'
            f'<rect class="chart-track" x="{LABEL_W}" y="{y}" width="{BAR_W}" height="18" rx="3"/>'
            f'<rect class="chart-bar" x="{LABEL_W}" y="{y}" width="{fill:.1f}" height="18" rx="3"/>'
        )
        if bar.target is not None:
            x = LABEL_W + max(0.0, min(1.0, bar.target)) * BAR_W
            parts.append(f'<line class="chart-target" x1="{x:.1f}" x2="{x:.1f}" y1="{y - 2}" y2="{y + 20}"/>')
        parts.append(
            f'<text class="chart-value" x="{LABEL_W + BAR_W + 8}" y="{y + 14}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text is escaped above)


def weekly_columns(title: str, activity: dict[date, int], today: date, weeks: int = 12) -> Markup:
    """Columns of activity per week (Monday to Sunday), the last ``weeks`` weeks to ``today``."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    counts = [sum(activity.get(s + timedelta(days=d), 0) for d in range(7)) for s in starts]
    top = max(counts) or 1
    col, gap, chart_h, pad = 34, 8, 120, 14
    width, height = pad * 2 + weeks * (col + gap), chart_h + 40
    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"'
        f' preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, (start, n) in enumerate(zip(starts, counts, strict=True)):
        x = pad + i * (col + gap)
        h = chart_h * n / top
        parts.append(
            f'<rect class="chart-bar" x="{x}" y="{chart_h - h + 14:.1f}" width="{col}" height="{h:.1f}" rx="2"/>'
            f'<text class="chart-value" x="{x + col / 2}" y="{chart_h - h + 10:.1f}" text-anchor="middle">{n}</text>'
        )
        if (weeks - 1 - i) % 2 == 0:  # every other week's date: room for the words on a phone
            parts.append(
                f'<text class="chart-label" x="{x + col / 2}" y="{height - 6}" text-anchor="middle">{start.day} {start:%b}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (numbers and dates only)


def _clip(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
