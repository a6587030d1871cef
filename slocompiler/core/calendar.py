"""Calendar periods in a time zone: exact boundaries in Python, and the same as PromQL.

A calendar period (LANGUAGE.md, "Calendar windows") starts at local
midnight in its zone: a day, a week from Monday (ISO 8601), a month from
the 1st, a quarter from Jan/Apr/Jul/Oct 1st, a year from Jan 1st. Local
clock time is kept across daylight-saving changes, so a day can last 23 or
25 hours. When midnight falls in a gap (clocks jump over it, as in
America/Santiago or Asia/Beirut) the period starts at the first instant of
that local date, the moment of the jump.

`period_bounds` and `period_starts` are the reference, from the system's
tzdata through `zoneinfo`, for any instant. `period_start_promql` and
`period_end_promql` write the same as PromQL, which has no time zones:
the zone's offsets become step tables over the fixed years
`TABLE_FIRST_YEAR`..`TABLE_LAST_YEAR` (docs/PROMETHEUS.md, "Calendar
periods", says why those years, and what happens after them).

All arithmetic on instants is on integer seconds: a generated number never
carries a float's rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400
WEEK = 7 * DAY
UNITS = ("day", "week", "month", "quarter", "year")

# Burn-rate thresholds divide by these (LANGUAGE.md): a period's nominal length.
NOMINAL_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}

# The longest a period can be: its longest calendar length plus 3 hours, the
# largest clock change in tzdata (Antarctica/Casey). How far back a sum over
# the current period has to reach (`since_start_promql`).
LONGEST_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
MAX_CLOCK_CHANGE = 3 * 3600
MAX_PERIOD_SECONDS = {unit: days * DAY + MAX_CLOCK_CHANGE for unit, days in LONGEST_DAYS.items()}

# The years the PromQL step tables cover. Fixed, so that a build never
# depends on the day it runs; 2025 lets recorded rules be backfilled a year
# before the feature shipped, 2045 leaves some twenty years. Each year costs
# a zone with daylight saving two more terms per table, and Prometheus
# before 2.55 evaluates an expression in time quadratic in its size.
TABLE_FIRST_YEAR = 2025
TABLE_LAST_YEAR = 2045

_EPOCH_DATE = date(1970, 1, 1)
# The widest a zone's offset from UTC has been, with room: where to look for
# the first instant of a local date.
_OFFSET_BOUND = 30 * 3600


# ---------------------------------------------------------------------------
# The reference: zoneinfo, any instant


@lru_cache(maxsize=64)
def zone_info(zone: str) -> ZoneInfo:
    """The tzdata zone called `zone` (an IANA name); ZoneInfoNotFoundError when there is none."""
    return ZoneInfo(zone)


def local_date(zone: str, t: float) -> date:
    """The local calendar date in `zone` at Unix time `t`."""
    return datetime.fromtimestamp(math.floor(t), zone_info(zone)).date()


def wall_seconds(day: date) -> int:
    """Local midnight of `day` as seconds on a clock that reads local time as if it were UTC."""
    return (day - _EPOCH_DATE).days * DAY


def first_instant(zone: str, day: date) -> int:
    """The first Unix second whose local date in `zone` is `day` or later.

    Usually local midnight; in a gap over midnight, the instant of the jump.
    Assumes the local date never goes back, which holds in every tzdata zone
    since 2011 (clocks set back over midnight, as America/Goose_Bay did
    until then, would make a date start twice).
    """
    midnight = wall_seconds(day)
    offset = datetime(day.year, day.month, day.day, tzinfo=zone_info(zone)).utcoffset() // timedelta(seconds=1)
    guess = midnight - offset
    if local_date(zone, guess) >= day > local_date(zone, guess - 1):
        return guess
    return _bisect_first_instant(zone, day, midnight)


def _bisect_first_instant(zone: str, day: date, midnight: int) -> int:
    """`first_instant` where midnight does not exist: the jump, found to the second."""
    low, high = midnight - _OFFSET_BOUND, midnight + _OFFSET_BOUND
    while high - low > 1:
        middle = (low + high) // 2
        if local_date(zone, middle) >= day:
            high = middle
        else:
            low = middle
    return high


def period_start_date(unit: str, day: date) -> date:
    """The local date on which the `unit` containing `day` starts."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return date(day.year, day.month - (day.month - 1) % 3, 1)
    if unit == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown calendar unit {unit!r}; expected one of {', '.join(UNITS)}")


def next_period_date(unit: str, start: date) -> date:
    """The local date on which the `unit` after the one starting on `start` starts."""
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(unit: str, zone: str, t: float) -> tuple[int, int]:
    """(start, end) in Unix seconds of the `unit` in `zone` containing `t`; end is the next one's start."""
    start_day = period_start_date(unit, local_date(zone, t))
    return first_instant(zone, start_day), first_instant(zone, next_period_date(unit, start_day))


def period_starts(unit: str, zone: str, frm: float, to: float) -> list[int]:
    """Every period start s with frm <= s < to, oldest first."""
    starts = []
    start_day = period_start_date(unit, local_date(zone, frm))
    while True:
        start = first_instant(zone, start_day)
        if start >= to:
            return starts
        # A skipped local date (Pacific/Apia, 2011) makes a period of no length.
        if start >= frm and (not starts or start > starts[-1]):
            starts.append(start)
        start_day = next_period_date(unit, start_day)


# ---------------------------------------------------------------------------
# Step tables: the zone's offsets as PromQL can hold them


@dataclass(frozen=True)
class StepTable:
    """base + the sum of every delta whose threshold is <= t: a step function of Unix time."""

    base: int
    steps: tuple[tuple[int, int], ...]  # (threshold, delta), thresholds ascending

    def at(self, t: float) -> int:
        return self.base + sum(delta for threshold, delta in self.steps if t >= threshold)

    def within(self, span: tuple[int, int] | None) -> StepTable:
        """The same table for every t in `[lo, hi]` (all of it for None), without the steps that are constant there.

        A step at or before lo has happened, one after hi has not: folded, a
        query over a few months holds a few steps instead of the table's
        forty (Prometheus before 2.55 takes time quadratic in an expression's
        length, at every evaluation).
        """
        if span is None:
            return self
        lo, hi = span
        base = self.base + sum(delta for threshold, delta in self.steps if threshold <= lo)
        return StepTable(base, tuple((threshold, delta) for threshold, delta in self.steps if lo < threshold <= hi))


@dataclass(frozen=True)
class TabledPeriod:
    start: int  # Unix seconds
    local_midnight: int  # the same instant on the local clock (`wall_seconds`)

    @property
    def offset(self) -> int:
        """The offset that maps the period's local start to its instant (the one before a gap)."""
        return self.local_midnight - self.start


@lru_cache(maxsize=64)
def tabled_periods(unit: str, zone: str) -> tuple[TabledPeriod, ...]:
    """The periods from the one holding local Jan 1st of the first table year to the first from Jan 1st after the last."""
    start_day = period_start_date(unit, date(TABLE_FIRST_YEAR, 1, 1))
    end_day = date(TABLE_LAST_YEAR + 1, 1, 1)
    periods = []
    while True:
        periods.append(TabledPeriod(first_instant(zone, start_day), wall_seconds(start_day)))
        if start_day >= end_day:
            return tuple(periods)
        start_day = next_period_date(unit, start_day)


def starts_on_whole_hours(unit: str, zone: str) -> bool:
    """Whether every period start of the table falls on a whole UTC hour (not in zones at :30 or :45 from UTC)."""
    return all(period.start % 3600 == 0 for period in tabled_periods(unit, zone))


def _changes(periods: tuple[TabledPeriod, ...]):
    """(index, change) for each period whose offset differs from the one before."""
    for index in range(1, len(periods)):
        change = periods[index].offset - periods[index - 1].offset
        if change:
            yield index, change


@lru_cache(maxsize=64)
def start_offsets(unit: str, zone: str) -> StepTable:
    """The offset of the current period's start: start = local start - this.

    Before the table, the first period's; after it, the last one's, kept.
    """
    return start_table(tabled_periods(unit, zone))


def start_table(periods: tuple[TabledPeriod, ...]) -> StepTable:
    """The offset of the period holding t, stepping at each period's start (`start_offsets` of any periods)."""
    return StepTable(periods[0].offset, tuple((periods[i].start, change) for i, change in _changes(periods)))


@lru_cache(maxsize=64)
def end_offsets(unit: str, zone: str) -> StepTable:
    """The offset of the next period's start: end = local end - this. Agrees with `start_offsets` outside the table."""
    periods = tabled_periods(unit, zone)
    return StepTable(periods[0].offset, tuple((periods[i - 1].start, change) for i, change in _changes(periods)))


@lru_cache(maxsize=64)
def clock_offsets(unit: str, zone: str) -> StepTable:
    """An offset that puts every instant on a local clock inside its own period.

    The real UTC offset would do, but changes at every transition; this one
    changes only where the period starts' offsets do, halfway through the
    period before (its start needs the old offset, its end the new one, and
    no clock change comes near half a period).
    """
    return clock_table(tabled_periods(unit, zone))


def clock_table(periods: tuple[TabledPeriod, ...]) -> StepTable:
    """`clock_offsets` of any periods: their offsets, stepping halfway between two starts whose offsets differ."""
    steps = tuple(((periods[i - 1].start + periods[i].start) // 2, change) for i, change in _changes(periods))
    return StepTable(periods[0].offset, steps)


# ---------------------------------------------------------------------------
# PromQL


def _clock_operand(now: str) -> str:
    """`now` as an operand of `+` and comparisons: `time()` or a number as is, anything else in parentheses."""
    if now == "time()" or now.lstrip("-").replace(".", "", 1).isdigit():
        return now
    return f"({now})"


def step_promql(table: StepTable, now: str) -> str:
    """The step table as scalar PromQL over `now`, deltas factored by their greatest common divisor."""
    if not table.steps:
        return str(table.base)
    unit = math.gcd(*(delta for _, delta in table.steps))
    terms = []
    for threshold, delta in table.steps:
        factor = delta // unit
        sign = "-" if factor < 0 else "+"
        times = "" if abs(factor) == 1 else f"{abs(factor)}*"
        terms.append(f"{sign}{times}({now}>=bool {threshold})")
    sum_text = "".join(terms).removeprefix("+")
    scaled = f"({sum_text})" if unit == 1 else f"{unit}*({sum_text})"
    return scaled if table.base == 0 else f"{table.base}+{scaled}"


def _plus(text: str) -> str:
    """`+ text` for an offset term; nothing for 0; a leading minus is the operator."""
    if text == "0":
        return ""
    return text if text.startswith("-") else f"+{text}"


def _local_clock(unit: str, zone: str, now: str) -> str:
    """The instant vector of the local clock: `vector(now + offset)`."""
    operand = _clock_operand(now)
    return f"vector({operand}{_plus(step_promql(clock_offsets(unit, zone), operand))})"


# Local day numbers (days since 1970-01-01 on the local clock) of a period's
# start and end, from the clock vector `v`. Prometheus' calendar functions
# read a timestamp in UTC, which on this clock is local time. A quarter
# starts clamp_min(floor(91.75 q - 1.625 + leap), 0) days into its year
# (q = 0..3: 0, 90, 181, 273, plus a leap day after February); the same at
# q + 1 gives its end. Leap years as year % 4 hold from 1901 to 2099.
def _leap(v: str) -> str:
    return f"(year({v}) % 4 == bool 0)"


def _quarter_index(v: str) -> str:
    return f"floor((month({v}) - 1) / 3)"


_LOCAL_START_DAY = {
    "day": lambda v: f"floor({v} / {DAY})",
    "week": lambda v: f"(floor(({v} + {3 * DAY}) / {WEEK}) * 7 - 3)",  # 1970-01-01 was a Thursday
    "month": lambda v: f"(floor({v} / {DAY}) - day_of_month({v}) + 1)",
    "quarter": lambda v: (
        f"(floor({v} / {DAY}) - day_of_year({v}) + 1"
        f" + clamp_min(floor({_quarter_index(v)} * 91.75 - 1.625 + {_leap(v)}), 0))"
    ),
    "year": lambda v: f"(floor({v} / {DAY}) - day_of_year({v}) + 1)",
}

_LOCAL_END_DAY = {
    "day": lambda v: f"(floor({v} / {DAY}) + 1)",
    "week": lambda v: f"(floor(({v} + {3 * DAY}) / {WEEK}) * 7 + 4)",
    "month": lambda v: f"(floor({v} / {DAY}) - day_of_month({v}) + 1 + days_in_month({v}))",
    "quarter": lambda v: (
        f"(floor({v} / {DAY}) - day_of_year({v}) + 1 + floor({_quarter_index(v)} * 91.75 + 90.125 + {_leap(v)}))"
    ),
    "year": lambda v: f"(floor({v} / {DAY}) - day_of_year({v}) + 366 + {_leap(v)})",
}


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unknown calendar unit {unit!r}; expected one of {', '.join(UNITS)}")


def period_start_promql(unit: str, zone: str, now: str = "time()") -> str:
    """Scalar PromQL: the Unix time the `unit` in `zone` containing `now` started.

    `now` is a scalar expression (`time()`, or a number to evaluate the same
    text at another instant). Exact for the table's years; outside them the
    first or last offset of the table is kept, so periods still roll over at
    local midnight, possibly an hour off.
    """
    return f"scalar({period_start_vector_promql(unit, zone, now)})"


def period_start_vector_promql(unit: str, zone: str, now: str = "time()") -> str:
    """`period_start_promql` as an instant vector of one label-less sample: what a recording rule records."""
    _check_unit(unit)
    local_day = _LOCAL_START_DAY[unit](_local_clock(unit, zone, now))
    offset = step_promql(start_offsets(unit, zone), _clock_operand(now))
    return f"{local_day} * {DAY}{_minus(offset)}"


def period_end_promql(unit: str, zone: str, now: str = "time()") -> str:
    """Scalar PromQL: the Unix time the `unit` in `zone` containing `now` ends (the next one starts)."""
    return f"scalar({period_end_vector_promql(unit, zone, now)})"


def period_end_vector_promql(unit: str, zone: str, now: str = "time()") -> str:
    """`period_end_promql` as an instant vector of one label-less sample."""
    _check_unit(unit)
    local_day = _LOCAL_END_DAY[unit](_local_clock(unit, zone, now))
    offset = step_promql(end_offsets(unit, zone), _clock_operand(now))
    return f"{local_day} * {DAY}{_minus(offset)}"


def _minus(offset: str) -> str:
    """`- offset`, nothing for 0, parenthesised when it is a sum."""
    if offset == "0":
        return ""
    if offset.startswith("-") and offset[1:].isdigit():
        return f" + {offset[1:]}"
    if offset.isdigit():
        return f" - {offset}"
    return f" - ({offset})"


def since_start_promql(rate: str, start: str, max_range: str) -> str:
    """PromQL: the events since the period start, from a recorded 5m rate (events per second).

    `rate` selects the recorded rate (`slo:sli_events_bad:rate5m{...}`),
    `start` the SLO's `slo:period_start:timestamp` (one series), `max_range`
    is a Prometheus duration of at least `MAX_PERIOD_SECONDS` of the unit.

    The subquery takes the latest rate sample every 5 minutes (on multiples
    of 5 minutes since the epoch), keeps the samples recorded after the
    start, and adds them up times 300: each holds the events of the 5
    minutes before it was recorded, so every event since the start counts
    once. `@ end()` reads the start at the evaluation time, not at each
    step, so the steps of the period before are left out; comparing the
    sample's own timestamp (not the step's) leaves out a rate recorded
    before the start.

    Edges: a rate recorded d after a multiple of 5 minutes (the rule
    group's offset in its interval; d < the interval) stands for it, so the
    first rate counted reaches up to 5m - d into the period before (d = 0:
    none), and the events of the last 5 minutes to d after the last
    multiple of 5 minutes are not counted yet: the count is up to 5 minutes
    late, whatever second the evaluation falls on. For the first 5 minutes
    of a period there is no sample at all (`or` it with 0). Period starts
    fall on multiples of 5 minutes in every zone in use now (offsets are
    whole quarter hours).

    Cost: a step per 5 minutes of `max_range`, each a look-up per series of
    `rate` plus the comparison: 8,964 steps for a month (31d3h), 26,532 for
    a quarter, 105,444 for a year. The recorded rate has to be kept that long
    (a quarter ~92 days, a year ~366, beyond Prometheus' default 15d
    retention). promtool 2.42's test engine stops at 50,000 samples per
    query: it evaluates a month's form, not a quarter's or a year's.
    """
    return f"sum_over_time(({rate} and (timestamp({rate}) > scalar({start} @ end())))[{max_range}:5m]) * 300"


# ---------------------------------------------------------------------------
# When the table runs out


def table_range() -> tuple[int, int]:
    """The Unix seconds of Jan 1st of the first table year and of the year after the last, in UTC.

    In a zone the table starts and ends at that local midnight (for weeks,
    the Monday on or after it), up to 14 hours either side.
    """
    return _utc_new_year(TABLE_FIRST_YEAR), _utc_new_year(TABLE_LAST_YEAR + 1)


def table_runs_out(now: float, within: int = 365 * DAY) -> bool:
    """True when the table ends within `within` seconds of `now` (or has ended): time for `slo check` to warn."""
    return now + within >= table_range()[1]


def _utc_new_year(year: int) -> int:
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
