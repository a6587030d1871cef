"""`maintenance NAME { ... }` blocks: once (`from for`) or recurring (`every at for timezone`).

At service or SLO level (LANGUAGE.md, "Maintenance windows"). `from` is an
RFC 3339 instant; one without an offset is local time in the window's zone.
The zone is the block's `timezone`, else the SLO's or service's, else UTC.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..core import ir, maintenance
from ..core.errors import Diagnostics, Span, did_you_mean
from ..core.sremath import DAY
from ..core.units import format_duration
from . import syntax as st
from .values import STRING_KINDS, Reader, Scope, unknown_block
from .windows import lower_timezone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY = ("day",) + WEEKDAYS
ATTRIBUTES = {"from": STRING_KINDS, "for": ("duration",), "every": ("name",), "at": STRING_KINDS,
              "timezone": STRING_KINDS}
# How long apart two occurrences of a recurring window start: `for` must be shorter, or it never ends.
RECURRENCE = {"day": DAY, **{day: 7 * DAY for day in WEEKDAYS}}


def lower_maintenances(blocks: list[st.Block], zone: str, what: str, scope: Scope,
                       diags: Diagnostics) -> tuple[ir.Maintenance, ...]:
    """The `maintenance` blocks of one service or SLO, each name once."""
    seen: dict[str, Span] = {}
    windows = []
    for block in blocks:
        span = block.name_span or block.span
        if block.name in seen:
            diags.error(span, f'maintenance "{block.name}" is defined twice in {what} (first at line {seen[block.name].line})')
            continue
        seen[block.name] = span
        window = lower_maintenance(block, zone, scope, diags)
        if window is not None:
            windows.append(window)
    return tuple(windows)


def lower_maintenance(block: st.Block, zone: str, scope: Scope, diags: Diagnostics) -> ir.Maintenance | None:
    what = f"maintenance {block.name}"
    attrs = Reader(what, block.items, ATTRIBUTES, scope, diags)
    span = block.name_span or block.span
    zone = lower_timezone(attrs, diags) or zone
    duration = _duration(attrs, what, span, diags)
    once, every = attrs.has("from"), attrs.has("every")
    if once == every:
        diags.error(span, f"{what} needs either from = \"2026-12-05T02:00:00Z\" (once) or every = sunday "
                          "with at = \"02:00\" (recurring)" if not once else
                          f"{what} has both from and every; a window is once or recurring")
        return None
    common = {"name": block.name, "span": span, "fields": attrs.fields(), "timezone": zone}
    if once:
        if attrs.has("at"):
            diags.error(attrs.span("at", span), "at belongs to a recurring window (every = ...); "
                                                "a one-off window starts at its from")
        start = _instant(attrs, zone, span, diags)
        if start is None or duration is None:
            return None
        return ir.Maintenance(duration=duration, start=start, **common)
    every = _every(attrs, span, diags)
    at = _clock_time(attrs, what, span, diags)
    if every is None or at is None or duration is None:
        return None
    if duration >= RECURRENCE[every]:
        diags.error(attrs.span("for", span), f"{what} lasts as long as its recurrence or longer "
                                             f"(every {every}): it would never end; use a shorter for")
        return None
    window = ir.Maintenance(duration=duration, every=every, at=at, **common)
    _warn_skipped_start(window, attrs.span("at", span), diags)
    return window


def _warn_skipped_start(window: ir.Maintenance, span: Span, diags: Diagnostics) -> None:
    """A local `at` inside a clock change's gap exists not on that day: say when the window starts then."""
    skipped = maintenance.skipped_start(window)
    if skipped is None:
        return
    day, start = skipped
    at = f"{window.at // 3600:02d}:{window.at % 3600 // 60:02d}"
    diags.warning(span, f'maintenance {window.name}: at = "{at}" does not exist on {day.isoformat()} in '
                        f"{window.timezone} (the clocks jump over it): that day the window starts at "
                        f"{start:%H:%M} local time, and lasts {format_duration(window.duration)} as on other days",
                  hint="a local time no clock change skips starts the window at the same hour every day")


def _duration(attrs: Reader, what: str, span: Span, diags: Diagnostics) -> int | None:
    value = attrs.value("for")
    if value is None:
        if not attrs.has("for"):
            diags.error(span, f"{what} has no for; say how long it lasts, e.g. for = 2h")
        return None
    milliseconds = int(value.value)  # type: ignore[call-overload]
    if milliseconds <= 0 or milliseconds % 1000:
        diags.error(value.span, f"for must be a positive whole number of seconds, not {value.text}")
        return None
    return milliseconds // 1000


def _instant(attrs: Reader, zone: str, span: Span, diags: Diagnostics) -> int | None:
    text = attrs.text("from")
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.text)
    except ValueError:
        diags.error(attrs.span("from", span), f'from must be an RFC 3339 time like "2026-12-05T02:00:00Z", '
                                              f'not "{text.text}"')
        return None
    if moment.tzinfo is None:  # local time in the window's zone
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return int(moment.timestamp())


def _every(attrs: Reader, span: Span, diags: Diagnostics) -> str | None:
    value = attrs.value("every")
    if value is None:
        return None
    word = str(value.value)
    if word not in EVERY:
        diags.error(value.span, f'every must be day or a weekday, not "{word}"{did_you_mean(word, EVERY)}')
        return None
    return word


def _clock_time(attrs: Reader, what: str, span: Span, diags: Diagnostics) -> int | None:
    text = attrs.text("at")
    if text is None:
        if not attrs.has("at"):
            diags.error(span, f'{what} recurs but has no at; say when it starts in local time, e.g. at = "02:00"')
        return None
    hours, colon, minutes = text.text.partition(":")
    if (colon and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
            and int(hours) < 24 and int(minutes) < 60):
        return int(hours) * 3600 + int(minutes) * 60
    diags.error(attrs.span("at", span), f'at must be a local time "HH:MM" from "00:00" to "23:59", not "{text.text}"')
    return None


def maintenance_blocks(items: tuple, what: str, diags: Diagnostics) -> list[st.Block]:
    """The `maintenance` blocks among a block's items; any other `word name { }` is an error."""
    found = []
    for item in items:
        if isinstance(item, st.Block) and item.kind == "named":
            if item.word in st.NAMED_BLOCK_WORDS:
                found.append(item)
            else:
                unknown_block(item, what, ("maintenance",), diags)
    return found
