"""Lowering an SLO's time base: `window` (rolling or `calendar <period>`), `timezone` and `slices { }`.

Values that cannot mean anything (an unknown period or zone, a slice length
that does not divide 1h) are located errors here, with the nearest valid
value; rules that weigh the whole SLO (a slice budget under one slice) are
in `check.py`.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from ..core import ir
from ..core.errors import Diagnostics, Span, did_you_mean, suggest
from ..core.sremath import (
    CALENDAR_PERIODS,
    DEFAULT_SLICE_NO_DATA,
    DEFAULT_WINDOW,
    MAX_SLICE,
    MIN_SLICE,
    SLICE_NO_DATA,
    slice_lengths,
)
from ..core.units import (
    SIGNIFICANT_DIGITS,
    DurationTooLarge,
    format_duration,
    parse_duration_ms,
    percent_text,
    round_decimal,
)
from . import syntax as st
from .values import Reader, Scope, resolve, unknown_block

PERIODS = ", ".join(CALENDAR_PERIODS)
# Words written for a period that are not one, and the period meant.
_PERIOD_WORDS = {"daily": "day", "weekly": "week", "fortnight": "week", "biweekly": "week", "monthly": "month",
                 "quarterly": "quarter", "yearly": "year", "annual": "year", "annually": "year"}
# Names `zoneinfo` lists that are no place: `localtime` is whatever the machine running the build says.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
SLICES_ATTRIBUTES = {"length": ("duration",), "target": ("percent",), "no_data": ("name",), "ratio": ("bool",)}


def lower_window(attrs: Reader, diags: Diagnostics) -> tuple[int, str | None] | None:
    """`window` as (seconds, calendar period or None); a calendar period's seconds are its nominal length.

    No `window`: 30d rolling. None after an error.
    """
    attribute = attrs.attributes.get("window")
    if attribute is None:
        return DEFAULT_WINDOW, None
    written = resolve(attribute.value, attrs.scope, diags)
    if written is not None and written.kind == "name" and written.value == "calendar":
        diags.error(written.span, f"window = calendar needs its period after it, on the same line: calendar {PERIODS}")
        return None
    value = attrs.value("window")
    if value is None:
        return None
    if value.kind == "duration":
        return int(value.value) // 1000, None  # type: ignore[call-overload]
    period = str(value.value)
    if period in CALENDAR_PERIODS:
        return CALENDAR_PERIODS[period], period
    where = Span(value.span.file, value.span.line, value.span.column + len(value.text) - len(period))
    if period[0].isdigit():
        nearest = _nearest_period(period)
        diags.error(where, f"a calendar window names a period, not a duration{nearest}",
                    hint=f"calendar periods: {PERIODS}; a rolling window of {period} is window = {period}")
        return None
    guess = _PERIOD_WORDS.get(period.lower()) or suggest(period.lower(), CALENDAR_PERIODS)
    hint = f'; did you mean "calendar {guess}"?' if guess else ""
    diags.error(where, f'unknown calendar period "{period}"{hint}',
                hint=f"calendar periods: {PERIODS}; for another length, a rolling window such as window = 14d")
    return None


def _nearest_period(duration: str) -> str:
    """`; did you mean "calendar month"?` for `30d`: the period whose nominal length is nearest."""
    try:
        ms, _ = parse_duration_ms(duration)
    except DurationTooLarge:
        return ""
    nearest = min(CALENDAR_PERIODS, key=lambda period: abs(CALENDAR_PERIODS[period] * 1000 - ms))
    return f' (did you mean "calendar {nearest}"?)'


def lower_timezone(attrs: Reader, diags: Diagnostics) -> str | None:
    """`timezone`: an IANA zone name; None when absent or after an error."""
    text = attrs.text("timezone")
    if text is None:
        return None
    name = text.text
    zones = available_zones()
    if name in zones:
        return name
    folded = {zone.lower(): zone for zone in zones}
    if name.lower() in folded:
        hint = f'; did you mean "{folded[name.lower()]}"? (zone names are case-sensitive)'
    else:
        hint = did_you_mean(name, zones) or _same_city(name, zones)
    note = "" if zones - {"UTC"} else " (this Python has no time zone database: pip install tzdata)"
    diags.error(text.origin.span, f'unknown time zone "{name}"{hint}{note}',
                hint='an IANA zone name, like "Europe/Berlin", "America/New_York" or "UTC"')
    return None


def _same_city(name: str, zones: frozenset[str]) -> str:
    """`Berlin` -> `Europe/Berlin`: a zone whose last part is the name written."""
    city = name.rsplit("/", 1)[-1].replace(" ", "_").lower()
    matches = sorted(zone for zone in zones if zone.rsplit("/", 1)[-1].lower() == city)
    return f'; did you mean "{matches[0]}"?' if matches else ""


@functools.cache
def available_zones() -> frozenset[str]:
    """The IANA zone names this Python knows (system tzdata, else the tzdata package); always UTC."""
    import zoneinfo  # only when a spec names a zone

    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES) | {"UTC"}


def lower_slices(block: st.Block, scope: Scope, diags: Diagnostics) -> ir.Slices | None:
    """`slices { length target no_data ratio }`; None after an error."""
    what = "slices"
    attrs = Reader(what, block.items, SLICES_ATTRIBUTES, scope, diags)
    for item in block.items:
        if isinstance(item, st.Block):
            unknown_block(item, what, (), diags)
    count = diags.error_count()
    length = _slice_length(attrs, block.span, diags)
    ratio_value = attrs.value("ratio")
    ratio = bool(ratio_value.value) if ratio_value is not None else False
    target = _slice_target(attrs, ratio, block.span, diags)
    no_data = DEFAULT_SLICE_NO_DATA
    no_data_value = attrs.value("no_data")
    if no_data_value is not None:
        no_data = str(no_data_value.value)
        if no_data not in SLICE_NO_DATA:
            diags.error(no_data_value.span, f'no_data must be good, bad or skip, not "{no_data}"'
                                            f"{did_you_mean(no_data, SLICE_NO_DATA)}",
                        hint="what a slice without data counts as; skip (the default) counts it neither good nor bad")
    if diags.error_count() > count or length is None:
        return None
    return ir.Slices(length, target, block.span, attrs.fields(), no_data, ratio)


def _slice_length(attrs: Reader, span: Span, diags: Diagnostics) -> int | None:
    """Seconds: whole minutes from 1m to 1h that divide 1h."""
    if not attrs.has("length"):
        diags.error(span, 'slices needs "length", the length of one slice, like length = 1m')
        return None
    value = attrs.value("length")
    if value is None:
        return None
    ms = int(value.value)  # type: ignore[call-overload]
    lengths = " ".join(format_duration(length) for length in slice_lengths())
    hint = f"slice lengths: {lengths}"
    written = format_duration(ms // 1000) if ms % 1000 == 0 else value.text
    if ms > MAX_SLICE * 1000:
        diags.error(value.span, f"slice length must be at most 1h, not {written}", hint=hint)
        return None
    if ms < MIN_SLICE * 1000 or ms % 60_000:
        diags.error(value.span, f"slice length must be a whole number of minutes from 1m to 1h, not {written}",
                    hint=hint)
        return None
    seconds = ms // 1000
    if MAX_SLICE % seconds:
        nearest = min(slice_lengths(), key=lambda length: (abs(length - seconds), length))
        diags.error(value.span, f"slice length must divide 1h into whole slices, and {written} does not; "
                                f'did you mean {format_duration(nearest)}?', hint=hint)
        return None
    return seconds


def _slice_target(attrs: Reader, ratio: bool, span: Span, diags: Diagnostics) -> Decimal | None:
    """The SLI a slice must reach to be good: above 0%, at most 100%; none with `ratio = true`."""
    if ratio:
        if attrs.has("target"):
            diags.error(attrs.span("target", span), "slices with ratio = true have no target: the SLI is the mean of "
                                                    "the slices' SLIs, held to the objective; remove target")
        return None
    if not attrs.has("target"):
        diags.error(span, 'slices needs "target", the SLI that makes a slice good (like target = 95%), '
                          "or ratio = true for the mean of the slices' SLIs")
        return None
    value = attrs.value("target")
    if value is None:
        return None
    target = Decimal(value.value) / 100  # type: ignore[arg-type]
    if not 0 < target <= 1:
        diags.error(value.span, f"slice target must be above 0% and at most 100%, not {percent_text(target)}")
        return None
    if round_decimal(target) != target:
        diags.error(value.span, f"slice target has more digits than the outputs carry "
                                f"({SIGNIFICANT_DIGITS} significant digits as a ratio)")
        return None
    return target
