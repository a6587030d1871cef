"""OpenSLO's time base as `.slo`: `timeWindow` (rolling or calendar), `budgetingMethod` time slices, threshold SLIs.

`duration: 1M, isRolling: false` is `window = calendar month` with the
calendar's `timeZone`; `Timeslices` and `RatioTimeslices` are `slices { }`
with the objective's `timeSliceWindow` and `timeSliceTarget`; a
`thresholdMetric` SLI compared by the objective's `op` and `value` is
`indicator threshold { good = ">= 1" }`.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from ..core.units import format_duration
from . import model
from .common import DECIMAL
from .durations import prometheus_seconds, window_seconds
from .yamlsrc import Node, Report

# OpenSLO duration shorthand of one calendar period (duration_shorthand.go: m h d w M Q Y).
CALENDAR_DURATIONS = {"1d": "day", "1w": "week", "7d": "week", "1M": "month", "1Q": "quarter", "3M": "quarter",
                      "1Y": "year", "12M": "year"}
PERIOD_DURATIONS = {"day": "1d", "week": "1w", "month": "1M", "quarter": "1Q", "year": "1Y"}
# objectives[].op of a thresholdMetric: the sample is good when `sample <op> value`.
THRESHOLD_OPS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
SLICE_METHODS = ("Timeslices", "RatioTimeslices")


def time_window(node: Node | None, report: Report) -> tuple[str, str | None] | None:
    """The first timeWindow as `.slo` window text (`30d`, `calendar month`) and its calendar's zone; none given is 30d."""
    if node is None:
        return "30d", None
    if not node.entries():
        report.error(node, "timeWindow is a list of windows")
        return None
    first = node.entries()[0]
    if len(node.entries()) > 1:
        report.warn(node.entries()[1], "only the first timeWindow is imported: an SLO has one window")
    report.unknown_fields(first, ("duration", "isRolling", "calendar"), "timeWindow[]")
    duration = first.get("duration")
    if duration is None:
        report.error(first, "timeWindow needs duration")
        return None
    text = str(duration.value).strip()
    calendar = first.get("calendar")
    rolling = (first.text("isRolling") or ("false" if calendar is not None else "true")).lower() == "true"
    if rolling:
        if calendar is not None:
            report.warn(first.key_span("calendar"), "timeWindow[].calendar applies to calendar windows, and this one "
                                                    "is rolling (isRolling: true); dropped")
        return _rolling(duration, text, report)
    period = CALENDAR_DURATIONS.get(text)
    if period is None:
        report.warn(duration, f'a calendar timeWindow of "{text}" is no calendar period (1d, 1w, 1M, 1Q, 1Y); '
                              "imported as a rolling window of the same length")
        return _rolling(duration, text, report)
    zone = None
    if calendar is not None:
        report.unknown_fields(calendar, ("startTime", "timeZone"), "timeWindow[].calendar")
        zone = calendar.text("timeZone") or None
        _check_start(calendar.get("startTime"), period, report)
    return f"calendar {period}", zone


def _rolling(duration: Node, text: str, report: Report) -> tuple[str, None] | None:
    if text[-1:] in ("M", "Q", "Y"):
        report.error(duration, f'timeWindow duration "{text}" is in months, quarters or years; a rolling window '
                               "is written in days in the source (like 30d): change it and import again")
        return None
    seconds = window_seconds(duration, report)
    return (format_duration(seconds), None) if seconds is not None else None


def _check_start(node: Node | None, period: str, report: Report) -> None:
    """`.slo` periods start at local midnight on their first day (weeks on Monday); another startTime is said."""
    if node is None:
        return
    try:
        start = datetime.datetime.fromisoformat(str(node.value).strip())
    except ValueError:
        report.warn(node, f'calendar.startTime "{node.value}" is not a date and time; dropped')
        return
    aligned = start.time() == datetime.time(0) and {
        "day": True, "week": start.weekday() == 0, "month": start.day == 1,
        "quarter": start.day == 1 and start.month in (1, 4, 7, 10), "year": (start.month, start.day) == (1, 1),
    }[period]
    if not aligned:
        report.warn(node, f"calendar.startTime {node.value} is not the start of a {period}: .slo periods start at "
                          "local midnight on their first day (weeks on Monday), and the SLO is imported so")


def slices(method: str, objective: Node, report: Report) -> model.Slices | None:
    """`slices { }` of a Timeslices or RatioTimeslices objective; None (with an error) when it cannot be read."""
    window = objective.get("timeSliceWindow")
    if window is None:
        report.error(objective, f"a {method} objective needs timeSliceWindow, the length of a slice")
        return None
    seconds = prometheus_seconds(window, report)
    if seconds is None:
        return None
    if method == "RatioTimeslices":
        if objective.get("timeSliceTarget") is not None:
            report.warn(objective.key_span("timeSliceTarget"), "timeSliceTarget has no meaning for RatioTimeslices "
                                                               "(the SLI is the mean of the slices' SLIs); dropped")
        return model.Slices(format_duration(seconds), None, ratio=True)
    target = objective.get("timeSliceTarget")
    text = str(target.value).strip() if target is not None and target.is_scalar else ""
    if not DECIMAL.fullmatch(text) or not 0 < Decimal(text) <= 1:
        report.error(target or objective, "a Timeslices objective needs timeSliceTarget, a ratio above 0 and "
                                          "at most 1 (like 0.95)")
        return None
    return model.Slices(format_duration(seconds), _percent(Decimal(text)))


def threshold_condition(objective: Node, report: Report) -> str | None:
    """`good = ">= 1"` from a thresholdMetric objective's `op` and `value`."""
    op, value = objective.text("op"), objective.get("value")
    text = str(value.value).strip() if value is not None and value.is_scalar else ""
    if op not in THRESHOLD_OPS or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        report.error(objective, "a thresholdMetric objective needs op (lt, lte, gt, gte) and value, a number: "
                                "a sample is good when it compares so with value")
        return None
    return f"{THRESHOLD_OPS[op]} {text}"


def _percent(ratio: Decimal) -> str:
    text = format(ratio * 100, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
