"""What the docs say about an SLO's time base: a calendar period's budget, its ratio's query, where it starts.

Apart from docs.py so that a rolling SLO's page reads as before and the
calendar wording lives in one place (core/timebase.py has the words every
output shares).
"""

from __future__ import annotations

from ..core import conventions, slices, timebase
from ..core.ir import Slo
from ..core.units import format_duration
from . import calendar_rules
from .docs_text import md_fence, md_text


def budget_scope(slo: Slo) -> str:
    """`over the 30d window`, or `in the current calendar month (Europe/Berlin), since it started`."""
    if slo.calendar is None:
        return f"over the {format_duration(slo.window)} window"
    return f"in the current {md_text(timebase.window_text(slo))}, since it started"


def window_block(slo: Slo) -> dict[str, str]:
    """A slice SLO's window ratio: over the rolling window, or the calendar period's bad slices over all its slices."""
    assert slo.slices is not None
    kind = "Mean slice error ratio" if slo.slices.ratio else "Bad-slice ratio"
    if slo.calendar is None:
        return {"caption": f"{kind} over {format_duration(slo.window)}, read at each slice end; the rules record it as"
                           f" `{conventions.error_ratio_rule(slo.window)}`, and likewise over every alert window:",
                "code": md_fence(slices.bad_ratio(slo, slo.window))}
    return {"caption": f"Bad slices since the start of the current {md_text(timebase.window_text(slo))}, counted at each whole"
                       f" hour, over the slices of the whole period (known in advance: a 23-hour day has fewer); the"
                       f" rules record it as `{conventions.PERIOD_RATIO}`, and the bad-slice ratio over every alert"
                       f" window:",
            "code": md_fence(calendar_rules.period_ratio(slo))}


def period_note(slo: Slo) -> str | None:
    """What a calendar SLO's budget counts, and how long its period is; None for a rolling window."""
    if slo.calendar is None:
        return None
    unit = slo.calendar
    counted = (f"its bad slices since the {unit} started over the slices of the whole {unit}, known in advance"
               if slo.slices is not None else f"the events since the {unit} started, not an estimate of the whole {unit}")
    return (f"The budget is the current {unit}'s: it counts {counted}, and starts afresh with the next {unit}, local"
            f" clock time kept across daylight-saving changes. Burn-rate alert thresholds use"
            f" {timebase.nominal_text(unit)}; their windows stay rolling.")
