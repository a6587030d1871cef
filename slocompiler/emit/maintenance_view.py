"""Maintenance windows as the static outputs show them: a schedule in words, in cron, in UTC and local time.

Shared by the Grafana, docs and policy backends so the three say the same
thing. Nothing here depends on the day a build runs: outputs must be the
same bytes tomorrow, so no "next occurrence" is computed (`slo status` has
the clock; docs/DOCS.md says why).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ..core.ir import Maintenance
from ..core.units import format_duration

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_DAY = "day"


def is_recurring(window: Maintenance) -> bool:
    return window.every is not None


def clock(seconds: int) -> str:
    """Seconds after midnight as `HH:MM` (`:SS` too when not whole minutes)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(moment: datetime, zone: str) -> str:
    """`2026-12-05 03:00 CET (Europe/Berlin)`: the wall clock the service's people read."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%Y-%m-%d %H:%M')} {local.tzname()} ({zone})"


def once_bounds(window: Maintenance) -> tuple[datetime, datetime]:
    """A one-off window's start and end, aware datetimes in UTC."""
    assert window.start is not None
    start = datetime.fromtimestamp(window.start, tz=timezone.utc)
    return start, start + timedelta(seconds=window.duration)


def schedule_text(window: Maintenance) -> str:
    """The window in words: `every sunday at 02:00 Europe/Berlin time for 2h`, or a one-off's UTC bounds."""
    length = format_duration(window.duration)
    if is_recurring(window):
        assert window.at is not None
        days = "every day" if window.every == EVERY_DAY else f"every {window.every}"
        return f"{days} at {clock(window.at)} {window.timezone} time for {length}"
    start, end = once_bounds(window)
    return f"once, from {utc_text(start)} to {utc_text(end)} ({length})"


def cron(window: Maintenance) -> str:
    """A recurring window's start as a cron line in its own zone: `0 2 * * 0` (cron counts Sunday as 0)."""
    assert window.at is not None and window.every is not None
    hours, rest = divmod(window.at, 3600)
    day = "*" if window.every == EVERY_DAY else str((WEEKDAYS.index(window.every) + 1) % 7)
    return f"{rest // 60} {hours} * * {day}"
