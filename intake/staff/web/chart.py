"""Submissions per day toward the deadline, as geometry for an inline SVG (drawn by the template).

Why server-side geometry and no chart library: the page must work with no network and no
JavaScript, and a bar chart is a few rectangles. Counted are the messages the units contract marks
as submissions (auto-replies, bounces and questions without attachments are not), by the day they
were received in the campaign's time zone; those received after the deadline are stacked in red.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rules import Campaign

WIDTH, HEIGHT = 760, 250
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 26, 44
LEAD_DAYS = 13  # two weeks up to the deadline are always shown, even before the first submission


@dataclass
class Bar:
    x: float
    width: float
    on_time_y: float
    on_time_h: float
    late_y: float
    late_h: float
    on_time: int
    late: int
    label: str  # the day under the axis ("" when skipped to keep labels apart)
    title: str  # tooltip: the full date and counts


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: float = WIDTH - LEFT - RIGHT
    plot_height: float = HEIGHT - TOP - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value) of the horizontal grid lines
    deadline_x: float = 0.0
    deadline_label: str = ""
    on_time_total: int = 0
    late_total: int = 0


def _day_label(d: date) -> str:
    return f"{d.month}/{d.day}"


def submissions_chart(units: dict[str, Any], campaign: Campaign) -> Chart:
    """The chart of ``units`` (the :func:`intake.staff.units.units_data` object)."""
    on_time: Counter[date] = Counter()
    late: Counter[date] = Counter()
    for unit in units["units"]:
        for m in unit["messages"]:
            if not m["submission"] or not m["received_at"]:
                continue
            when = datetime.fromisoformat(m["received_at"]).astimezone(campaign.tz)
            (late if campaign.is_late(when) else on_time)[when.date()] += 1
    deadline = campaign.deadline_date
    seen = list(on_time) + list(late)
    first = min([deadline - timedelta(days=LEAD_DAYS), *seen])
    last = max([deadline, *seen])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    chart = Chart(on_time_total=sum(on_time.values()), late_total=sum(late.values()))
    top_value = max([on_time[d] + late[d] for d in days] + [1])
    step = max(1, math.ceil(top_value / 4))
    scale_max = step * math.ceil(top_value / step)
    chart.ticks = [(_y(chart, v, scale_max), v) for v in range(0, scale_max + 1, step)]

    slot = chart.plot_width / len(days)
    every = max(1, math.ceil(len(days) / 16))  # at most ~16 labels under the axis
    for i, d in enumerate(days):
        a, b = on_time[d], late[d]
        x = LEFT + i * slot + slot * 0.15
        base = TOP + chart.plot_height
        h_on = chart.plot_height * a / scale_max
        h_late = chart.plot_height * b / scale_max
        show = (d - deadline).days % every == 0  # labels counted from the deadline day, which always has one
        parts = [f"按时 {a} 封"] + ([f"逾期 {b} 封"] if b else [])
        chart.bars.append(Bar(x=round(x, 1), width=round(slot * 0.7, 1),
                              on_time_y=round(base - h_on, 1), on_time_h=round(h_on, 1),
                              late_y=round(base - h_on - h_late, 1), late_h=round(h_late, 1),
                              on_time=a, late=b, label=_day_label(d) if show else "",
                              title=f"{d.year}年{d.month}月{d.day}日：" + "，".join(parts)))
    # the deadline line sits at the first late instant (after the deadline day when it is inclusive)
    cut = campaign.deadline.astimezone(campaign.tz)
    fraction = (cut.hour * 3600 + cut.minute * 60 + cut.second) / 86400
    position = min((cut.date() - first).days + fraction, len(days))
    chart.deadline_x = round(LEFT + position * slot, 1)
    chart.deadline_label = f"截止 {campaign.deadline_text or deadline.isoformat()}"
    return chart


def _y(chart: Chart, value: int, scale_max: int) -> float:
    return round(chart.top + chart.plot_height * (1 - value / scale_max), 1)
