"""The period a report covers: `2026-11`, `2026-W47`, `2026-Q4` or `--from/--to`, in UTC or a zone, and the ones before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from ...core import calendar

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
WEEK = re.compile(r"([0-9]{4})-[Ww]([0-9]{2})")
QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
SPELLINGS = "2026-11 (a month), 2026-W47 (an ISO week) or 2026-Q4 (a quarter)"


class PeriodError(ValueError):
    """A period the report cannot cover: one line for the user (a usage error)."""


@dataclass(frozen=True)
class ReportPeriod:
    """`[start, end)` in Unix seconds; `unit` is month, week or quarter, or None for `--from/--to`."""

    start: int
    end: int
    zone: str
    unit: str | None

    @property
    def name(self) -> str:
        """`2026-11`, `2026-W47`, `2026-Q4`, or `2026-11-03 00:00 to 2026-11-10 00:00 UTC`."""
        first = self.local(self.start)
        if self.unit == "month":
            return f"{first:%Y-%m}"
        if self.unit == "week":
            year, week, _ = first.date().isocalendar()
            return f"{year}-W{week:02d}"
        if self.unit == "quarter":
            return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
        return f"{self.local(self.start):%Y-%m-%d %H:%M} to {self.local(self.end):%Y-%m-%d %H:%M} {self.zone}"

    @property
    def title(self) -> str:
        """The name with its zone when it is not in the name already: `2026-11 (Europe/Berlin)`."""
        return self.name if self.unit is None or self.zone == "UTC" else f"{self.name} ({self.zone})"

    @property
    def length(self) -> int:
        return self.end - self.start

    def local(self, t: float) -> datetime:
        """Unix seconds as the zone's local time."""
        return datetime.fromtimestamp(t, calendar.zone_info(self.zone))

    def previous(self) -> ReportPeriod:
        """The period before: the calendar unit before, or a span of the same length ending at this start."""
        if self.unit is None:
            return ReportPeriod(self.start - self.length, self.start, self.zone, None)
        start, end = calendar.period_bounds(self.unit, self.zone, self.start - 1)
        return ReportPeriod(start, end, self.zone, self.unit)

    def history(self, count: int) -> list[ReportPeriod]:
        """The `count` periods before this one, oldest first."""
        found: list[ReportPeriod] = []
        period = self
        for _ in range(count):
            period = period.previous()
            found.append(period)
        return found[::-1]


def check_zone(zone: str) -> str:
    """The IANA zone name; PeriodError when tzdata has none of that name."""
    try:
        calendar.zone_info(zone)
    except Exception:  # ZoneInfoNotFoundError, or ValueError for a name such as '../x'
        raise PeriodError(f"{zone!r} is not an IANA time zone such as UTC or Europe/Berlin") from None
    return zone


def _unit_bounds(unit: str, zone: str, day: date) -> ReportPeriod:
    start, end = calendar.period_bounds(unit, zone, calendar.first_instant(zone, day))
    return ReportPeriod(start, end, zone, unit)


def parse_period(text: str, zone: str) -> ReportPeriod:
    """`2026-11`, `2026-W47` or `2026-Q4` in `zone`; PeriodError for any other spelling."""
    value = text.strip()
    if found := MONTH.fullmatch(value):
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12 or year < 1970:
            raise PeriodError(f"{text!r} is not a month: write {SPELLINGS}")
        return _unit_bounds("month", zone, date(year, month, 1))
    if found := WEEK.fullmatch(value):
        year, week = int(found[1]), int(found[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PeriodError(f"{text!r} is not an ISO week: {year} has weeks 01 to "
                              f"{date(year, 12, 28).isocalendar()[1]:02d}") from None
        if year < 1970:
            raise PeriodError(f"{text!r} is before 1970")
        return _unit_bounds("week", zone, monday)
    if found := QUARTER.fullmatch(value):
        year = int(found[1])
        if year < 1970:
            raise PeriodError(f"{text!r} is before 1970")
        return _unit_bounds("quarter", zone, date(year, 3 * (int(found[2]) - 1) + 1, 1))
    raise PeriodError(f"{text!r} is not a period: write {SPELLINGS}, or give --from and --to")


def last_complete_month(zone: str, now: float) -> ReportPeriod:
    """The month before the one in progress at `now`, in `zone`: the default period."""
    start, _ = calendar.period_bounds("month", zone, now)
    return ReportPeriod(*calendar.period_bounds("month", zone, start - 1), zone, "month")


SHORTEST = 300  # a report's least span: one 5m rate, the shortest window any figure reads
SETTLE = 300  # how long after a period's end its report waits for the last minutes' data


def choose(period: str | None, start: float | None, end: float | None, zone: str, now: float) -> ReportPeriod:
    """The period the options name; PeriodError for a mix of them, a `--from` not before `--to`, or a period not yet over."""
    zone = check_zone(zone)
    if period is not None and (start is not None or end is not None):
        raise PeriodError("give either --period or --from and --to, not both")
    if (start is None) != (end is None):
        raise PeriodError("--from and --to go together: give both, or --period")
    if start is not None and end is not None:
        # The rules evaluate at whole minutes; a span off them would replay the alerts between their evaluations.
        if start % 60 or end % 60:
            off = start if start % 60 else end
            raise PeriodError(f"--from and --to must be whole minutes (the rules evaluate once a minute), "
                              f"such as {_utc(off // 60 * 60)}")
        if end <= start:
            raise PeriodError(f"--from {_utc(start)} is not before --to {_utc(end)}")
        if end - start < SHORTEST:
            raise PeriodError(f"--from {_utc(start)} to --to {_utc(end)} is shorter than the SLI's 5m rates: "
                              f"a report covers at least 5 minutes")
        chosen = ReportPeriod(int(start), int(end), zone, None)
    elif period is not None:
        chosen = parse_period(period, zone)
    else:
        chosen = last_complete_month(zone, now)
    if chosen.end > now:
        began = "has not started yet" if chosen.start > now else "is not over yet"
        raise PeriodError(f"{chosen.name} {began} (it ends {chosen.local(chosen.end):%Y-%m-%d %H:%M %Z}); "
                          f"a report covers a period that has ended, such as {last_complete_month(zone, now).name}")
    if now < chosen.end + SETTLE:
        # The sums read the 5m rates to 2 minutes past the end, and the last scrapes take a while to be queryable.
        raise PeriodError(f"{chosen.name} ended less than 5 minutes ago: its last minutes' data is not all in yet, "
                          f"and its figures would change; run the report from "
                          f"{chosen.local(chosen.end + SETTLE):%Y-%m-%d %H:%M %Z}")
    return chosen


def _utc(t: float) -> str:
    return f"{datetime.fromtimestamp(t, calendar.zone_info('UTC')):%Y-%m-%d %H:%M:%S} UTC"
