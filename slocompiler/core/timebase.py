"""An SLO's window in words and in lengths: a rolling duration, or a calendar period in its zone.

Every static output (alert text, docs, policy, dashboards, `slo budget`)
names the window through here, so none calls a calendar month "30d" or
"rolling". Figures keep using `Slo.window`, the nominal length, as the
burn-rate thresholds do (LANGUAGE.md, "Calendar windows"); what a real
period allows is given as the range of its lengths (`period_lengths`).
"""

from __future__ import annotations

from functools import lru_cache

from . import calendar
from .ir import Slo
from .units import format_duration

# How a text says "the current period" of each unit.
THIS_PERIOD = {"day": "today", "week": "this week", "month": "this month", "quarter": "this quarter",
               "year": "this year"}


def period_text(unit: str, zone: str) -> str:
    """`calendar month (Europe/Berlin)`."""
    return f"calendar {unit} ({zone})"


def window_text(slo: Slo) -> str:
    """`30d` for a rolling window, `calendar month (Europe/Berlin)` for a calendar one."""
    if slo.calendar is None:
        return format_duration(slo.window)
    return period_text(slo.calendar, slo.timezone)


def over_window(slo: Slo) -> str:
    """`over 30d`, or `per calendar month (Europe/Berlin)`: what an objective is measured over."""
    if slo.calendar is None:
        return f"over {format_duration(slo.window)}"
    return f"per {period_text(slo.calendar, slo.timezone)}"


def current_window(slo: Slo) -> str:
    """`over 30d`, or `this month`: what the recorded window ratio and budget remaining cover now."""
    if slo.calendar is None:
        return f"over {format_duration(slo.window)}"
    return THIS_PERIOD[slo.calendar]


# A period's nominal length in words (LANGUAGE.md: day 1d, week 7d, month 30d, quarter 90d, year 365d),
# spelled out so that no calendar SLO's text reads like a rolling `30d`.
NOMINAL_WORDS = {"day": "24-hour day", "week": "7-day week", "month": "30-day month", "quarter": "90-day quarter",
                 "year": "365-day year"}


def nominal_length_text(unit: str) -> str:
    """`30-day month`: the length thresholds and budgets as time are computed for."""
    return NOMINAL_WORDS[unit]


def nominal_text(unit: str) -> str:
    """`a 30-day month`."""
    return f"a {nominal_length_text(unit)}"


def length_words(seconds: int) -> str:
    """A period's length in words: `28 days`, `31 days 1 hour`, `23 hours`, `1 day 1 hour`."""
    days, rest = divmod(seconds, calendar.DAY)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60  # zones at :30 (Lord Howe) change clocks by half an hour
    parts = [f"{count} {unit}{'' if count == 1 else 's'}"
             for count, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if count]
    return " ".join(parts)


@lru_cache(maxsize=64)
def period_lengths(unit: str, zone: str) -> tuple[int, int]:
    """(shortest, longest) length in seconds of the `unit`s in `zone` over the years the rules' tables cover.

    A month in Europe/Berlin: 28 days to 31 days and 1 hour (October, when
    the clocks go back); a day: 23 to 25 hours. Computed from tzdata, not
    assumed: a zone without daylight saving has days of 24 hours only.
    """
    periods = calendar.tabled_periods(unit, zone)
    lengths = [later.start - earlier.start for earlier, later in zip(periods, periods[1:])]
    return min(lengths), max(lengths)


# Where each unit starts (LANGUAGE.md, "Calendar windows"), for the docs' objective sentence.
STARTS = {"day": "at local midnight", "week": "on Monday at local midnight", "month": "on the 1st at local midnight",
          "quarter": "on Jan, Apr, Jul and Oct 1st at local midnight", "year": "on Jan 1st at local midnight"}


def objective_scope(slo: Slo) -> str:
    """`over any rolling 30d window`, or `in each calendar month (Europe/Berlin), which starts on the 1st at local
    midnight`."""
    if slo.calendar is None:
        return f"over any rolling {format_duration(slo.window)} window"
    return f"in each {period_text(slo.calendar, slo.timezone)}, which starts {STARTS[slo.calendar]}"
