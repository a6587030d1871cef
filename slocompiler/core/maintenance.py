"""Maintenance windows: when they happen (the zoneinfo reference), and the same as PromQL.

A window (`ir.Maintenance`) happens once (`start`, `for`) or recurs
(`every` day or weekday, `at` a local time in `timezone`, `for`). A
recurring window starts at its local time in every occurrence, across
daylight-saving changes; `for` is elapsed time (a 2h window that starts at
01:30 on the night clocks go back ends at 02:30 local time, the second
time round). Each occurrence is the half-open range [start, end) in Unix
seconds.

`occurrences` and `next_occurrence` are the reference that docs and live
commands read. `active_promql` writes the PromQL the rules record: true
while evaluation time t is within `pad` seconds after any instant of a
window (start <= t < end + pad), so that a rate over (t - pad, t] that holds
any event inside maintenance is dropped. Recurring windows in a zone read
step tables of the zone's offsets (`core/calendar.py`), exact over
`TABLE_FIRST_YEAR`..`TABLE_LAST_YEAR` in the rules, and over the span a
live command evaluates at (`within`), whatever its years; docs/PROMETHEUS.md,
"Maintenance windows", says what happens outside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from . import calendar
from .conventions import MAINTENANCE_ACTIVE
from .ir import Maintenance, Slo
from .queries import recorded

DAY = calendar.DAY
WEEK = calendar.WEEK
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY = ("day", *WEEKDAYS)
# 1970-01-01, day 0 of the local clock, was a Thursday.
_EPOCH_WEEKDAY = 3


# ---------------------------------------------------------------------------
# The reference: zoneinfo, any instant


# The year a spec's recurring windows are checked against for a local time the clocks skip: fixed, so that
# `slo check` says the same whatever the day it runs.
GAP_YEAR = 2027


def local_start(window: Maintenance, day: date) -> int:
    """The Unix second a recurring window starts on local date `day` (whatever its weekday)."""
    assert window.at is not None
    return _local_instant(window.at, window.timezone, day)


def _local_instant(at: int, zone: str, day: date) -> int:
    """The Unix second of `at` seconds after local midnight of `day` in `zone`.

    A local time that happens twice (clocks set back) is its first instance,
    and one that never happens (clocks jump over it) is read with the offset
    before the jump, so 02:30 on the day Berlin skips 02:00-03:00 is 03:30
    CEST: zoneinfo's `fold=0` (PEP 495).
    """
    wall = datetime(day.year, day.month, day.day) + timedelta(seconds=at)
    return int(wall.replace(tzinfo=calendar.zone_info(zone), fold=0).timestamp())


def skipped_start(window: Maintenance, year: int = GAP_YEAR) -> tuple[date, datetime] | None:
    """The first day of `year` on which the recurring window's local `at` does not exist in its zone (clocks jump
    over it), with the local time it starts at instead (`_local_instant`); None when it always exists."""
    assert window.at is not None and window.every is not None
    zone = calendar.zone_info(window.timezone)
    day = date(year, 1, 1)
    while day.year == year:
        if _happens_on(window.every, day):
            wall = datetime(day.year, day.month, day.day) + timedelta(seconds=window.at)
            start = datetime.fromtimestamp(_local_instant(window.at, window.timezone, day), zone)
            if start.replace(tzinfo=None) != wall:
                return day, start
        day += timedelta(days=1)
    return None


def _happens_on(every: str | None, day: date) -> bool:
    return every == "day" or WEEKDAYS[day.weekday()] == every


def occurrences(window: Maintenance, frm: float, to: float) -> list[tuple[int, int]]:
    """Every occurrence (start, end) that overlaps [frm, to): start < to and end > frm, oldest first."""
    if window.every is None:
        assert window.start is not None
        end = window.start + window.duration
        return [(window.start, end)] if window.start < to and end > frm else []
    found = []
    # Starts up to `for` (and a day of clock offsets) before frm can still be running at frm.
    day = calendar.local_date(window.timezone, frm - window.duration) - timedelta(days=1)
    last = calendar.local_date(window.timezone, to) + timedelta(days=1)
    while day <= last:
        if _happens_on(window.every, day):
            start = local_start(window, day)
            if start < to and start + window.duration > frm:
                found.append((start, start + window.duration))
        day += timedelta(days=1)
    return found


def next_occurrence(window: Maintenance, now: float) -> tuple[int, int] | None:
    """The occurrence running at `now` (start <= now < end), else the next to start; None when none is to come."""
    if window.every is None:
        found = occurrences(window, now, float("inf"))
    else:
        # A weekday's next start is at most 7 days (and a clock change) away.
        found = occurrences(window, now, now + 8 * DAY)
    return found[0] if found else None


def active_at(windows: Iterable[Maintenance], t: float, pad: int = 0) -> bool:
    """Whether start <= t < end + pad for some occurrence: what `active_promql(windows, pad)` gives over the table's years."""
    # An occurrence that ends after t - pad and starts at or before t.
    return any(occurrences(window, t - pad, t + 1) for window in windows)


# ---------------------------------------------------------------------------
# PromQL


def _period_and_phase(window: Maintenance) -> tuple[int, int]:
    """The recurrence in seconds, and where in it the local start falls on the local clock (seconds since 1970 local)."""
    assert window.at is not None and window.every is not None
    if window.every == "day":
        return DAY, window.at
    days = (WEEKDAYS.index(window.every) - _EPOCH_WEEKDAY) % 7
    return WEEK, days * DAY + window.at


TABLE_YEARS = (calendar.TABLE_FIRST_YEAR, calendar.TABLE_LAST_YEAR)


@lru_cache(maxsize=64)
def tabled_occurrences(every: str, at: int, zone: str,
                       years: tuple[int, int] = TABLE_YEARS) -> tuple[calendar.TabledPeriod, ...]:
    """The occurrences from the last one before local Jan 1st of the first of `years` to the first after the last.

    `years`: the rules' fixed table years by default; a live command's span's (`table_years`).
    Each as a `TabledPeriod`: its start, and the same on the local clock, so
    calendar.py's tables of offsets apply to them as to periods.
    """
    day = date(years[0], 1, 1) - timedelta(days=7)
    end = date(years[1] + 1, 1, 1) + timedelta(days=7)
    periods = []
    while day <= end:
        if _happens_on(every, day):
            periods.append(calendar.TabledPeriod(_local_instant(at, zone, day), calendar.wall_seconds(day) + at))
        day += timedelta(days=1)
    return tuple(periods)


def table_years(within: tuple[int, int] | None) -> tuple[int, int]:
    """The years a table of occurrences covers: the rules' fixed years; for a live command's span (`within`), the
    years of that span, which may lie before the rules' table or after it (a report of 2024)."""
    if within is None:
        return TABLE_YEARS
    first, last = (datetime.fromtimestamp(t, UTC).year for t in within)
    return first - 1, last + 1  # the occurrence before the span, and a zone's new year hours off UTC's


def _difference(first: calendar.StepTable, second: calendar.StepTable) -> calendar.StepTable:
    """first - second as one table."""
    steps = sorted([*first.steps, *((threshold, -delta) for threshold, delta in second.steps)])
    return calendar.StepTable(first.base - second.base, tuple(steps))


def _shifted(operand: str, shift: int) -> str:
    if shift == 0:
        return operand
    return f"{operand} + {shift}" if shift > 0 else f"{operand} - {-shift}"


def since_start_promql(window: Maintenance, now: str = "time()", reach: int | None = None,
                       within: tuple[int, int] | None = None) -> str:
    """Scalar PromQL: seconds since the window's latest start at or before `now` (negative before a one-off's start).

    Recurring: on a local clock (`now` plus an offset that changes only
    halfway between two starts, `calendar.clock_table`), the latest local
    start is a whole number of periods (a day, a week) after the phase; back
    to Unix time with the offset of that start (`calendar.start_table`).
    Since now - start = ((clock - phase) mod period) - clock offset + start
    offset, the two tables are written as the clock's and their difference.

    The difference is not 0 only from halfway between two starts to the
    second, more than `reach` after the first when `reach` (the only
    elapsed time the caller compares with) is under half a period less
    twice the largest clock change: then it is left out, which keeps a
    weekly window's expression a third as long (Prometheus before 2.55
    evaluates an expression in time quadratic in its length).
    """
    if window.every is None:
        assert window.start is not None
        return f"{now} - {window.start}"
    assert window.at is not None
    period, phase = _period_and_phase(window)
    periods = tabled_occurrences(window.every, window.at, window.timezone, table_years(within))
    clock, start = calendar.clock_table(periods).within(within), calendar.start_table(periods).within(within)
    # PromQL's % keeps the dividend's sign: - phase becomes + a whole period more, so that in 1970 too
    # (generated tests) the dividend is positive (offsets are less than a period).
    if not clock.steps and not start.steps and clock.base == start.base:  # no clock change (within): one offset
        return f"({_shifted(now, (clock.base - phase) % period + period)}) % {period}"
    shift = (-phase) % period + period
    since = f"({now} + {calendar.step_promql(clock, now)} + {shift}) % {period}"
    if reach is not None and reach <= period // 2 - 2 * calendar.MAX_CLOCK_CHANGE:
        return since
    return f"{since} + {calendar.step_promql(_difference(start, clock), now)}"


def window_promql(window: Maintenance, pad: int, now: str = "time()", within: tuple[int, int] | None = None) -> str:
    """One window: a label-less sample (seconds since its start) while start <= now < end + pad, else nothing."""
    reach = window.duration + pad
    since = f"vector({since_start_promql(window, now, reach, within)})"
    if window.every is None:
        return f"({since} >= 0) < {reach}"
    return f"{since} < {reach}"


def active_promql(windows: Iterable[Maintenance], pad: int, now: str = "time()",
                  within: tuple[int, int] | None = None) -> str:
    """A label-less 1 while `now` is within `pad` seconds after any instant of any window; nothing otherwise.

    `now` is a scalar expression: `time()` in the rules, a number in tests.
    `within`: the first and last time it is evaluated at, when known (a live
    command's span): the zone's tables are then built over that span's years,
    before or after the rules' fixed ones too, and cut to the steps within it
    (`StepTable.within`).
    """
    parts = [window_promql(window, pad, now, within) for window in windows]
    if not parts:
        raise ValueError("no maintenance windows")
    return "vector(1) and (\n  " + "\n  or\n  ".join(parts) + "\n)"


def occurrences_before_table(window: Maintenance, frm: int, to: int) -> list[tuple[int, int]]:
    """`occurrences` as `active_promql` places them before the table's first year: with the offset of its first
    occurrence kept (one-offs as they are). What generated promtool tests, whose time starts in 1970, see."""
    if window.every is None:
        return occurrences(window, frm, to)
    assert window.at is not None
    period, phase = _period_and_phase(window)
    first = phase - tabled_occurrences(window.every, window.at, window.timezone)[0].offset
    start = first + (frm - window.duration - first) // period * period
    found = []
    while start < to:
        if start + window.duration > frm:
            found.append((start, start + window.duration))
        start += period
    return found


# ---------------------------------------------------------------------------
# The rules


def outside(slo: Slo, expr: str) -> str:
    """`expr` without its samples while the SLO's recorded `slo:maintenance:active` exists; as is without maintenance.

    `on ()`: that series carries the SLO's labels but no group's, and drops every group.
    """
    if not slo.maintenance:
        return expr
    return f"({expr})\nunless on ()\n{recorded(MAINTENANCE_ACTIVE, slo.id)}"
