"""Durations and exact decimals: parsing, canonical text, Prometheus windows."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal

UNIT_MS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
UNITS_LARGEST_FIRST = ("w", "d", "h", "m", "s", "ms")
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w)")

# Burn rates such as 10% x 28d / 3d do not terminate; every output rounds
# them to this many significant digits, the same way.
SIGNIFICANT_DIGITS = 12
_CONTEXT = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)


# No duration anyone means has more digits in one part (10^15 ms is some 31,000
# years); a longer one is refused before int() meets thousands of digits.
MAX_DURATION_DIGITS = 15


class DurationTooLarge(ValueError):
    """A part of a duration with more than MAX_DURATION_DIGITS digits."""


def parse_duration_ms(text: str) -> tuple[int, bool]:
    """`1h30m` -> (5400000, True); the flag is False when units are not largest first.

    Raises DurationTooLarge for a part longer than MAX_DURATION_DIGITS digits.
    """
    total = 0
    last_rank = -1
    ordered = True
    for count, unit in _PART.findall(text):
        rank = UNITS_LARGEST_FIRST.index(unit)
        if rank <= last_rank:
            ordered = False
        last_rank = rank
        if len(count.lstrip("0")) > MAX_DURATION_DIGITS:
            raise DurationTooLarge(f"{count[:8]}...{unit} has {len(count)} digits; a duration part may have at most {MAX_DURATION_DIGITS}")
        total += int(count) * UNIT_MS[unit]
    return total, ordered


def format_duration_ms(ms: int) -> str:
    """Canonical duration text, largest units first, no week unit: 5400000 -> `1h30m`."""
    if ms == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s", "ms"):
        count, ms = divmod(ms, UNIT_MS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_duration(seconds: int) -> str:
    """Canonical duration text for whole seconds: 86400 -> `1d`."""
    return format_duration_ms(seconds * 1000)


def prom_window(seconds: int) -> str:
    """A window in the largest of `m h d` that divides it exactly: `5m`, `90m`, `28d`.

    Windows that are not whole minutes fall back to seconds; the checker
    rejects them in specs, so only tests see that.
    """
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def decimal_text(value: Decimal) -> str:
    """Exact, plain text for a decimal: 0.001, 14.4, 1, 0.933333333333; never an exponent."""
    rounded = _CONTEXT.plus(value)
    text = format(rounded.normalize(_CONTEXT), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def round_decimal(value: Decimal) -> Decimal:
    """The value every output shows, as a Decimal (for further exact arithmetic)."""
    return Decimal(decimal_text(value))


# Figures in alert text are read at 3 a.m.: three significant digits, as the templates print burn rates.
TEXT_DIGITS = 3


def significant_text(value: Decimal, digits: int = TEXT_DIGITS) -> str:
    """`value` rounded (half to even, in decimal) to `digits` significant digits: 10.7142857143 -> `10.7`."""
    return decimal_text(Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(value))


def percent_text(ratio: Decimal) -> str:
    """0.999 -> `99.9%`."""
    return decimal_text(ratio * 100) + "%"


# Durations for people are shown to the millisecond, Prometheus's own
# resolution. A figure computed from a rounded burn rate (0.233333333333 x 3d)
# is off in its twelfth digit; rounding to the millisecond gives back the exact
# 1m0.48s instead of 1m0.4799999999s.
_MILLISECOND = Decimal("0.001")
# Spans under a millisecond (the budget of a 99.99999% SLO over a day) keep
# this many significant digits instead.
_SMALL_DIGITS = 3


def round_seconds(seconds: Decimal) -> Decimal:
    """Seconds to the millisecond (half to even); under 1 ms, to 3 significant digits."""
    if seconds == 0 or abs(seconds) >= _MILLISECOND:
        return seconds.quantize(_MILLISECOND, rounding=ROUND_HALF_EVEN)
    return Context(prec=_SMALL_DIGITS, rounding=ROUND_HALF_EVEN).plus(seconds)


def human_duration(seconds: Decimal | int) -> str:
    """A span of time for people: 2592 -> `43m12s`, 51.84 -> `51.84s`, 86.4 -> `1m26.4s`."""
    seconds = round_seconds(Decimal(seconds))
    if seconds < 0:
        return "-" + human_duration(-seconds)
    whole = int(seconds)
    fraction = seconds - whole
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    rest = whole + fraction
    if rest or not parts:
        parts.append(decimal_text(rest) + "s")
    return "".join(parts)
