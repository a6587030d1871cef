"""What a slice SLO's rules make of a history, exactly: each slice's error ratio, bad-slice ratios, the alerts.

A history is a list of phases `(error ratio, seconds)` as in history.py, or
`(None, seconds)` for a spell without events (counters flat, or no samples).
Slices end at every multiple of the slice length L; the rules record the
error ratio of the last L at every evaluation and read it at each slice end
(core/slices.py). With samples on the evaluation grid, a slice's error
ratio is its bad events over its events; a slice without any (0/0) counts as
its `no_data` says.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import calendar, queries, sremath
from ..core.ir import Condition, Slo, ThresholdIndicator
from ..core.slices import HOUR, bad_limit, hourly
from .history import TIE, Readings, Tie

SlicePhases = list[tuple[Decimal | None, int]]
NO_DATA = {"good": Decimal(0), "bad": Decimal(1)}


def slice_error(slo: Slo, phases: SlicePhases, end: int, step: int) -> Decimal | None:
    """The error ratio of the slice ending at `end` as `slo:slice_error:ratio` holds it, `no_data` applied; None: skipped."""
    assert slo.slices is not None
    length, no_data = slo.slices.length, slo.slices.no_data
    sampled = isinstance(slo.indicator, ThresholdIndicator)
    if end < step and not sampled:
        # No rate before a counter's second sample: no series at all, which only the `or vector()` of an SLO
        # without group_by turns into a slice.
        return None if no_data == "skip" or slo.group_by else NO_DATA[no_data]
    bad, total, position = Decimal(0), Decimal(0), 0
    start = end - length
    for ratio, span in phases:
        if sampled:
            # One sample per step from t = 0: those in (end - L, end].
            count = sum(1 for u in range(position if position == 0 else position + step, position + span + 1, step)
                        if start < u <= end)
        else:
            count = Decimal(max(0, min(position + span, end) - max(position, start)))
        if ratio is not None:
            bad += ratio * count
            total += count
        position += span
    if total == 0:
        return None if no_data == "skip" else NO_DATA[no_data]
    return bad / total


def slice_ends(slo: Slo, t: int, window: int) -> list[int]:
    """The slice ends in (t - window, t], from 0; for an hourly window, in (t' - window, t'], t' the last whole hour."""
    assert slo.slices is not None
    length = slo.slices.length
    if hourly(window):
        t -= t % HOUR
    first = max(0, (t - window) // length + 1)
    return [k * length for k in range(first, t // length + 1)]


def judged(slo: Slo, error: Decimal) -> Decimal:
    """1 for a bad slice, 0 for a good one; `ratio = true`: the slice's error ratio itself."""
    assert slo.slices is not None
    if slo.slices.ratio:
        return error
    limit = bad_limit(slo.slices)
    if error != limit and abs(error - limit) <= limit * TIE:
        raise Tie()
    return Decimal(1) if error > limit else Decimal(0)


def window_values(slo: Slo, phases: SlicePhases, t: int, window: int, step: int) -> list[Decimal]:
    """The judged slices ending within the window (skipped ones left out)."""
    errors = [slice_error(slo, phases, end, step) for end in slice_ends(slo, t, window)]
    return [judged(slo, error) for error in errors if error is not None]


def bad_ratio(slo: Slo, phases: SlicePhases, t: int, window: int, step: int) -> Decimal | None:
    """`slo:sli_error:ratio_rate<W>` at t: bad over counted slices (the mean slice error ratio); None without slices."""
    values = window_values(slo, phases, t, window, step)
    return sum(values, Decimal(0)) / len(values) if values else None


def _above(ratio: Decimal | None, limit: Decimal) -> bool:
    if ratio is None:
        return False
    if abs(ratio - limit) <= limit * TIE:
        raise Tie()
    return ratio > limit


def pair_value(slo: Slo, condition: Condition, phases: SlicePhases, t: int, step: int) -> Decimal | None:
    """The long window's bad-slice ratio when the pair holds at t (and enough bad slices for `min_failures`), else None."""
    limit = sremath.threshold(condition.burn, slo.objective)
    long_ratio = bad_ratio(slo, phases, t, condition.long, step)
    if not (_above(long_ratio, limit) and _above(bad_ratio(slo, phases, t, condition.short, step), limit)):
        return None
    needed = queries.min_failures(slo, condition)
    if needed and sum(window_values(slo, phases, t, condition.long, step), Decimal(0)) < needed:
        return None
    return long_ratio


def rule_fires(slo: Slo, conditions: tuple[Condition, ...], phases: SlicePhases, t: int, step: int) -> Decimal | None:
    """The alert's value when it fires at t (it held at every evaluation over its `for`), else None."""
    hold = conditions[0].for_ or 0

    def value(when: int) -> Decimal | None:
        return next((v for k in conditions if (v := pair_value(slo, k, phases, when, step)) is not None), None)

    found = value(t)
    if found is None or t - hold < 0:
        return None
    return found if all(value(earlier) is not None for earlier in range(t - hold, t, step)) else None


def period_ratio(slo: Slo, phases: SlicePhases, t: int, step: int) -> Decimal | None:
    """`slo:sli_error:ratio_period` at t: the window's bad-slice ratio, or a calendar SLO's since its period start.

    A calendar SLO's (emit/calendar_rules.py): the hourly counts at each whole
    hour h whose hour is all in the current period, each labelled with the
    period start the SLI group read at h (the one recorded a step before),
    over the slices of the whole period; 0 before any such hour, once an
    hourly count exists.
    """
    assert slo.slices is not None
    if slo.calendar is None:
        return bad_ratio(slo, phases, t, slo.window, step)
    start, end = calendar.period_bounds(slo.calendar, slo.timezone, t)
    earliest = t - calendar.MAX_PERIOD_SECONDS[slo.calendar]
    hours = [h for h in range(t - t % HOUR, max(earliest, 0), -HOUR)
             if h - HOUR >= start and calendar.period_bounds(slo.calendar, slo.timezone, h - step)[0] == start]
    if not hours:
        return Decimal(0) if t >= step else None
    bad = sum((sum(window_values(slo, phases, h, HOUR, step), Decimal(0)) for h in hours), Decimal(0))
    return bad / (Decimal(end - start) / slo.slices.length)


class SliceReadings(Readings):
    """What a slice SLO's alert templates read at t: bad-slice ratios where an event SLO has error ratios."""

    def _burn(self, window: int) -> Decimal | None:
        ratio = bad_ratio(self.slo, self.phases, self.t, window, self.step)
        return None if ratio is None else ratio / self.slo.error_budget

    def _pair(self, condition: Condition) -> Decimal | None:
        return pair_value(self.slo, condition, self.phases, self.t, self.step)

    def _period(self, t: int) -> Decimal | None:
        return period_ratio(self.slo, self.phases, t, self.step)
