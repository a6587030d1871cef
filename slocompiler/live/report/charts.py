"""The geometry of the HTML report's inline SVG charts: a budget burn-down per SLO, pages per week per owner.

Only coordinates and tick labels, as strings rounded to a tenth of a pixel
(the same bytes on every machine); templates/report/ draws them. Times are
Unix seconds, labelled in the report's zone (local midnights, Mondays and
first days of months).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ...core import calendar

WIDTH, HEIGHT = 880, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
BAR_HEIGHT = 180
BAR_TOP, BAR_BOTTOM = 20, 36
BAR_SLOT, BAR_MIN_WIDTH = 56, 240
HOUR, DAY = 3600, 86400
# Spacing of the time axis's ticks, in seconds: the first that gives at most MAX_TICKS wins.
TIME_STEPS = (300, 900, 1800, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY)  # longer: months, else fortnights
MAX_TICKS = 8
MONDAY = date(1970, 1, 5)  # week ticks fall on Mondays, fortnights on every other one from this


def px(value: float) -> str:
    """A coordinate as SVG text: a tenth of a pixel, no `.0`, never `-0`."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


@dataclass(frozen=True, slots=True)
class Tick:
    """One labelled position on an axis (`at` is the pixel coordinate along it)."""

    at: str
    label: str


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: an incident's shading, a bar."""

    x: str
    y: str
    width: str
    height: str
    label: str = ""
    value: str = ""
    middle: str = ""  # x of the bar's centre, for its labels


@dataclass(frozen=True, slots=True)
class Burndown:
    """One SLO's chart: remaining budget over the period, its 0 line, incidents shaded."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    right: int
    bottom: int
    points: str  # the polyline; empty when there is no data
    middle_x: str  # where "no data" is written
    middle_y: str
    zero: str  # y of the 0 line
    incidents: tuple[Box, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class Bars:
    """One owner's pages per week."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    right: int
    bottom: int
    bars: tuple[Box, ...]
    y_ticks: tuple[Tick, ...]


def _local(seconds: float, zone: str) -> datetime:
    return datetime.fromtimestamp(seconds, tz=calendar.zone_info(zone))


def _first_day(start: float, zone: str) -> date:
    """The first local date whose start is not before `start`."""
    day = _local(start, zone).date()
    return day if calendar.first_instant(zone, day) >= start else day + timedelta(days=1)


def _month_starts(start: float, end: float, zone: str) -> list[int]:
    first = _first_day(start, zone)
    year, month = (first.year, first.month) if first.day == 1 else \
        ((first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1))
    starts = []
    while True:
        at = calendar.first_instant(zone, date(year, month, 1))
        if at > end:
            return starts
        starts.append(at)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _days(start: float, end: float, days: int, zone: str) -> list[tuple[int, str]]:
    """Local midnights `days` apart (whole weeks: Mondays), labelled with their dates."""
    day = _first_day(start, zone)
    origin = MONDAY if days % 7 == 0 else date(1970, 1, 1)
    day += timedelta(days=-(day - origin).days % days)
    ticks = []
    while (at := calendar.first_instant(zone, day)) <= end:
        ticks.append((at, day.strftime("%Y-%m-%d")))
        day += timedelta(days=days)
    return ticks


def _every(start: float, end: float, step: int, zone: str) -> list[tuple[int, str]]:
    if step >= DAY:
        return _days(start, end, step // DAY, zone)
    # Whole steps of the local clock at `start` (a zone half an hour off UTC ticks at its own full hours).
    offset = int(_local(start, zone).utcoffset().total_seconds())
    first = math.ceil((start + offset) / step) * step - offset
    return [(t, _local(t, zone).strftime("%m-%d %H:%M")) for t in range(int(first), int(end) + 1, step)]


def time_ticks(start: float, end: float, zone: str = "UTC") -> list[tuple[int, str]]:
    """Round local moments within [start, end] to label a time axis with: minutes, hours, days, Mondays or months' first days."""
    span = end - start
    for step in TIME_STEPS:
        if span / step + 1 <= MAX_TICKS:  # both ends may fall on a tick
            return _every(start, end, step, zone)
    months = _month_starts(start, end, zone)
    if len(months) < 3:  # under three months: every other Monday says more
        return _every(start, end, 14 * DAY, zone)
    every = math.ceil(len(months) / MAX_TICKS)
    return [(t, _local(t, zone).strftime("%Y-%m-%d")) for t in months[::every]]


def nice_step(span: float, most: int) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that cuts `span` into at most `most` parts."""
    if span <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (factor * power) <= most:
            return factor * power
    return 10 * power


def _percent_label(fraction: float) -> str:
    return f"{round(fraction * 100, 6):g}%"


def _thin(columns: Sequence[int], values: Sequence[float]) -> list[int]:
    """Which points to draw: at most four per pixel column (first, lowest, highest, last, in time order), the line's shape, not its size."""
    kept: list[int] = []
    first, count = 0, len(columns)
    while first < count:
        last = lowest = highest = first
        while last + 1 < count and columns[last + 1] == columns[first]:
            last += 1
            if values[last] < values[lowest]:
                lowest = last
            elif values[last] > values[highest]:
                highest = last
        kept += sorted({first, lowest, highest, last})
        first = last + 1
    return kept


def _polyline(xs: Sequence[str], ys: Sequence[str]) -> str:
    """SVG points, without the points inside a level run or repeated: a budget that holds still takes two points, not a thousand."""
    points: list[tuple[str, str]] = []
    for point in zip(xs, ys, strict=True):
        if points and points[-1] == point:
            continue
        if len(points) >= 2 and points[-2][1] == points[-1][1] == point[1]:
            points[-1] = point
        else:
            points.append(point)
    return " ".join(f"{x},{y}" for x, y in points)


def burndown(start: float, end: float, remaining: Sequence[tuple[float, float]], incidents: Sequence[tuple[float, float]],
             zone: str = "UTC") -> Burndown:
    """The chart of one SLO: remaining budget (1.0 at the start, below 0 once spent) from `start` to `end`."""
    span = max(end - start, 1)
    inside = [(t, r) for t, r in remaining if start <= t <= end and math.isfinite(r)]
    times = [t for t, _ in inside]
    if times != sorted(times):  # sorted() of a sorted list is one cheap pass
        inside.sort()
        times = [t for t, _ in inside]
    values = [r for _, r in inside]
    low, high = min([0.0, *values]), max([1.0, *values])
    step = nice_step(high - low, 5)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    x_scale, y_scale = PLOT_W / span, PLOT_H / (high - low)

    def x(t: float) -> float:
        return LEFT + (min(max(t, start), end) - start) * x_scale

    def y(r: float) -> float:
        return TOP + (high - r) * y_scale

    # Many thousand points per SLO (a month at the rules' step): one pass of plain arithmetic, then text for the few kept.
    columns = [int((t - start) * x_scale) for t in times]
    kept = _thin(columns, values)
    points = _polyline([px(LEFT + (times[i] - start) * x_scale) for i in kept], [px(TOP + (high - values[i]) * y_scale) for i in kept])
    shaded = []
    for first, last in sorted(incidents):
        if last < start or first > end:
            continue
        left = x(first)
        shaded.append(Box(px(left), px(TOP), px(max(x(last) - left, 1)), px(PLOT_H)))
    count = round((high - low) / step)
    y_ticks = tuple(Tick(px(y(low + i * step)), _percent_label(low + i * step)) for i in range(count + 1))
    x_ticks = tuple(Tick(px(x(t)), label) for t, label in time_ticks(start, end, zone))
    return Burndown(
        WIDTH, HEIGHT, LEFT, TOP, PLOT_W, PLOT_H, LEFT + PLOT_W, TOP + PLOT_H,
        points, px(LEFT + PLOT_W / 2), px(TOP + PLOT_H / 2), px(y(0)), tuple(shaded), x_ticks, y_ticks,
    )


def bars(counts: Sequence[int], labels: Sequence[str]) -> Bars:
    """Pages per week as bars, each labelled below with `labels[i]`."""
    plot_w = max(BAR_MIN_WIDTH, BAR_SLOT * len(counts))
    plot_h = BAR_HEIGHT - BAR_TOP - BAR_BOTTOM
    top = max([0, *counts])
    step = max(1, math.ceil(nice_step(top, 4))) if top else 1
    high = max(step, math.ceil(top / step) * step)
    slot = plot_w / max(len(counts), 1)
    drawn = []
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        h = count / high * plot_h
        left = LEFT + i * slot
        drawn.append(Box(px(left + slot * 0.2), px(BAR_TOP + plot_h - h), px(slot * 0.6), px(h), label, str(count), px(left + slot / 2)))
    y_ticks = tuple(Tick(px(BAR_TOP + plot_h - v / high * plot_h), str(v)) for v in range(0, high + 1, step))
    return Bars(LEFT + plot_w + RIGHT, BAR_HEIGHT, LEFT, BAR_TOP, plot_w, plot_h, LEFT + plot_w, BAR_TOP + plot_h, tuple(drawn), y_ticks)
