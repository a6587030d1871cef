"""A calendar SLO's period in the live commands: its bounds at a time, how it is named, and its raw error ratio.

LANGUAGE.md, "Calendar windows": a calendar SLO's SLI, error ratio, budget
and period burn are for the period in progress at `--at`, from its start
(local midnight in the SLO's zone, `core.calendar.period_bounds`) to
`--at`; its burn-rate alert windows stay rolling. The deployed rules record
that ratio as `slo:sli_error:ratio_period` (emit/calendar_rules.py);
`raw_ratio` computes the same figure from the indicator's own series.

Among an SLO's windows (seconds), the current period is the key `PERIOD`:
a calendar SLO's nominal length (1d for a day) can also be a rolling alert
window, which is another figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..core import calendar, queries, slices
from ..core import conventions as c
from ..core.ir import ExprIndicator, Slo
from ..core.units import decimal_text, prom_window
from .outside import outside_maintenance
from .subqueries import over_time

PERIOD = 0  # the window key of a calendar SLO's current period; rolling windows are positive seconds
RULE_INTERVAL = 60  # the rules' evaluation interval: the step of the 5m rates they add up
HOUR = 3600


@dataclass(frozen=True)
class Period:
    """The calendar period in progress at a time: `[start, end)` in Unix seconds, in `zone`."""

    unit: str
    zone: str
    start: int
    end: int

    @property
    def name(self) -> str:
        """`calendar month (Europe/Berlin)`."""
        return f"calendar {self.unit} ({self.zone})"

    def local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, calendar.zone_info(self.zone))

    def since(self) -> str:
        """`calendar month (Europe/Berlin) so far, since 2026-12-01 00:00 CET`."""
        return f"{self.name} so far, since {self.local(self.start):%Y-%m-%d %H:%M %Z}"

    def label(self) -> str:
        """The period's first local date, `2026-12-01`: how a list of periods names each one."""
        return f"{self.local(self.start):%Y-%m-%d}"

    def json(self) -> dict:
        """The fields a live command's JSON gives a calendar SLO's period (docs/LIVE.md)."""
        return {"unit": self.unit, "timezone": self.zone, "start": self.start, "end": self.end,
                "start_rfc3339": self.local(self.start).isoformat(), "end_rfc3339": self.local(self.end).isoformat()}


def period_at(slo: Slo, t: float) -> Period | None:
    """The period of a calendar SLO in progress at `t`; None for a rolling SLO."""
    if slo.calendar is None:
        return None
    start, end = calendar.period_bounds(slo.calendar, slo.timezone, t)
    return Period(slo.calendar, slo.timezone, start, end)


def periods_within(slo: Slo, frm: float, to: float) -> list[Period]:
    """Every period of a calendar SLO that `[frm, to]` reaches into, oldest first."""
    assert slo.calendar is not None
    first = period_at(slo, frm)
    assert first is not None
    found = [first]
    for start in calendar.period_starts(slo.calendar, slo.timezone, first.end, to + 1):
        found.append(Period(slo.calendar, slo.timezone, *calendar.period_bounds(slo.calendar, slo.timezone, start)))
    return found


def slo_window(slo: Slo) -> int:
    """The key of the SLO window among the SLO's windows: `PERIOD` for a calendar SLO, else its length."""
    return PERIOD if slo.calendar is not None else slo.window


def is_rolling_slo_window(slo: Slo, window: int) -> bool:
    """Whether `window` is a rolling SLO's own window, which the period rule sums (a calendar SLO's nominal length is an alert window)."""
    return slo.calendar is None and window == slo.window


def window_name(slo: Slo, window: int) -> str:
    """How output names a window: `1h`, or `calendar day` for a calendar SLO's period."""
    return f"calendar {slo.calendar}" if window == PERIOD and slo.calendar is not None else prom_window(window)


def ratio_rule(window: int) -> str:
    """The deployed rule holding a window's error ratio."""
    return c.PERIOD_RATIO if window == PERIOD else c.error_ratio_rule(window)


def raw_ratio(slo: Slo, period: Period, at: float) -> str:
    """The error ratio from `period.start` to `at`, from the indicator's own series, as `slo:sli_error:ratio_period` has it.

    The rules add up the 5m rates recorded at each evaluation whose 5
    minutes are all past the start (emit/calendar_rules.py): here the 5m
    rates at every whole minute in `[start + 5m, at]`, a subquery `[at -
    start - 5m:1m]` (Prometheus 2 includes a step on the range's start).
    Nothing is counted before the first one, and the ratio is then 0, as
    the rules' `or 0 * <5m total>` says. A slice SLO: bad slices from the
    hourly counts at each whole hour in `[start + 1h, at]`, over the slices
    of the whole period.
    """
    if slo.slices is not None:
        return _slice_ratio(slo, period, int(at) - period.start - HOUR)
    five = c.CURRENT_BURN_WINDOW
    span = int(at) - period.start - five
    if isinstance(slo.indicator, ExprIndicator):
        # No event counts to weigh by: the rules average the 5m ratios that are numbers.
        known = f"{outside_maintenance(slo, queries.error_ratio(slo.indicator, five, slo.group_by))} >= 0"
        counted = _over("avg_over_time", known, span) if span >= 0 else None
        nothing = f"0 * group without () ({queries.error_ratio(slo.indicator, five, slo.group_by)})"
    else:
        total = queries.total_events(slo.indicator, five, slo.group_by) or ""
        # Maintenance: the rates the rules drop (the `or 0 * total` fallback below counts nothing anyway).
        bad = outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or "")
        counted = (f"{_over('sum_over_time', bad, span)}\n/\n"
                   f"{_over('sum_over_time', outside_maintenance(slo, total), span)}") if span >= 0 else None
        nothing = f"0 * ({total})"
    return nothing if counted is None else f"(\n{counted}\n)\nor\n{nothing}"


def time_average(ratio_5m: str, period: Period, at: float) -> str:
    """The time average since `period.start` of a 5m ratio's known values (an `expr` SLO's or a composite's period
    ratio: no event counts to weigh by), 0 before the first 5m after the start, as the rules' fallback says."""
    span = int(at) - period.start - c.CURRENT_BURN_WINDOW
    nothing = f"0 * group without () ({ratio_5m})"
    if span < 0:
        return nothing
    return f"(\n{_over('avg_over_time', f'{ratio_5m} >= 0', span)}\n)\nor\n{nothing}"


def _over(function: str, expr: str, span: int) -> str:
    """`function` over `expr` at every whole minute in `[t - span, t]`; the value at t alone when span is 0 (a 0s range is refused)."""
    if span == 0:
        return f"({expr})"
    return over_time(function.removesuffix("_over_time"), expr, span, RULE_INTERVAL)


def _slice_ratio(slo: Slo, period: Period, span: int) -> str:
    assert slo.slices is not None
    value = slices.raw_value(slo, queries.error_ratio(slo.indicator, slo.slices.length, slo.group_by))
    whole = decimal_text(Decimal(period.end - period.start) / slo.slices.length)
    nothing = f"0 * ({slices.raw_hour_count(slo, value)})"
    if span < 0:
        return nothing
    return f"(\n{slices.raw_hourly_bad_slices(slo, span + 1, value)}\n/\n{whole}\n)\nor\n{nothing}"
