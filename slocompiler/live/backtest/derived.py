"""Windows the rules derive from recorded 5m rates (2h and longer), replayed from those rates.

The generated rules compute such a window as sums, each minute, of the 5m
rates they recorded (`queries.derived_ratio`; `state.raw_ratio` writes the
same as subqueries over the indicator's series). Asking the server for those
subqueries at every evaluation of a month costs one inner evaluation per
minute of the window per step: millions for a 3d window. Instead the 5m rates
are fetched once per SLO at the rules' 1m interval, and every window is summed
here with prefix sums, point for point as Prometheus 2.x selects them: the
1m-aligned points in `[t - range, t]`.
"""

from __future__ import annotations

import math

from ...core import conventions as c
from ...core import queries
from ...core.ir import ExprIndicator, Slo
from ..client import Prometheus
from ..periods import is_rolling_slo_window
from ..outside import outside_maintenance
from .budget import Budget, group_values
from .model import GroupKey, conditions_of, guarded_windows

RESOLUTION = 60  # the rules' evaluation interval, and the subqueries' step
RatesCache = dict[str, dict[GroupKey, list[float | None]]]


def derives(slo: Slo, window: int) -> bool:
    """Whether the rules read this window from recorded 5m rates rather than from the raw series (never: slices)."""
    return slo.slices is None and (is_rolling_slo_window(slo, window) or window >= c.DERIVED_WINDOW_FROM)


def replayable(start: int, step: int) -> bool:
    """Only a grid on whole minutes sees the points the rules see; others ask the server."""
    return start % RESOLUTION == 0 and step % RESOLUTION == 0


def reach(slo: Slo, window: int | None = None) -> int:
    """How far before the first evaluation the SLO's 5m rates are fetched: its longest window summed here.

    The derived windows (and `window`, when it is one) and the long windows
    `min_failures` counts in share one fetch of the 5m rates, so one reach.
    """
    windows = {w for k in conditions_of(slo) for w in (k.long, k.short)} | ({window} if window else set())
    summed = [w for w in windows if derives(slo, w)] + guarded_windows(slo)
    return max(summed, default=0)


def rate_count(slo: Slo) -> int:
    """How many 5m rate series per group a replay holds for the SLO's derived windows and `min_failures` counts."""
    if slo.is_composite:  # its members' rates are what a replay holds (their windows, fetched for it)
        return 0
    if not any(derives(slo, w) for k in conditions_of(slo) for w in (k.long, k.short)):
        return 1 if guarded_windows(slo) else 0  # the bad-event rate alone
    return len(_rate_expressions(slo))


def _rate_expressions(slo: Slo) -> tuple[str, ...]:
    """The 5m rates the rules record, left out in maintenance as theirs are (`state.outside_maintenance`)."""
    five = c.CURRENT_BURN_WINDOW
    if isinstance(slo.indicator, ExprIndicator):
        return (f"{outside_maintenance(slo, queries.error_ratio(slo.indicator, five, slo.group_by))} >= 0",)
    return (outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or ""),
            outside_maintenance(slo, queries.total_events(slo.indicator, five, slo.group_by) or ""))


def _fetch(client: Prometheus, expr: str, first: int, last: int, group_by: tuple[str, ...],
           cache: RatesCache, budget: Budget) -> dict[GroupKey, list[float | None]]:
    key = f"rates|{first}|{last}|{group_by}|{expr}"
    if key not in cache:
        count = (last - first) // RESOLUTION + 1
        found: dict[GroupKey, list[float | None]] = {}

        def keep(part: list) -> None:  # each chunk as it arrives, on its own thread
            for series in part:
                values = group_values(found, tuple(series.labels.get(n, "") for n in group_by), count, budget)
                for t, value in series.points:
                    offset = int(t) - first
                    if t == int(t) and offset % RESOLUTION == 0 and 0 <= offset // RESOLUTION < count:
                        values[offset // RESOLUTION] = value

        client.query_range_each(expr, first, last, RESOLUTION, keep)
        cache[key] = found
    return cache[key]


class _Window:
    """Sums over the aligned points of one series in `[t - range, t]`, in O(1) per time."""

    def __init__(self, values: list[float | None]) -> None:
        self.values = values
        self.sums, self.present, self.nans = [0.0], [0], [0]
        for value in values:
            missing = value is None
            nan = not missing and math.isnan(value)
            self.sums.append(self.sums[-1] + (0.0 if missing or nan else value))
            self.present.append(self.present[-1] + (not missing))
            self.nans.append(self.nans[-1] + nan)

    def span(self, i: int, points_back: int) -> tuple[float | None, int]:
        """(sum, count) of the points i - points_back .. i; sum None when there is none, NaN with a NaN."""
        lo = max(0, i - points_back)
        count = self.present[i + 1] - self.present[lo]
        if count == 0:
            return None, 0
        if self.nans[i + 1] - self.nans[lo]:
            return math.nan, count
        return self.sums[i + 1] - self.sums[lo], count


def _points_back(range_seconds: int) -> int:
    # Aligned points in [t - range, t] other than t itself, for t on a whole minute.
    return range_seconds // RESOLUTION


def _events(series: _Window, i: int, window: int, period: bool) -> float | None:
    if period:  # the SLO window: a plain sum of the 5m rates
        return series.span(i, _points_back(window))[0]
    # queries.derived_ratio: the sum over the window less 2.5 minutes, plus the latest rate once per minute in 2.5 minutes
    rest, _ = series.span(i, _points_back(window - queries.DERIVED_EDGE))
    latest = series.values[i]
    if rest is None or latest is None:
        return rest  # no latest rate: the rules fall back to the sum alone
    _, recent = series.span(i, _points_back(queries.DERIVED_EDGE))
    return rest + latest * max(recent - 1, 0)


def _divide(bad: float | None, total: float | None) -> float | None:
    if bad is None or total is None:
        return None
    if total == 0:  # PromQL's float division
        return math.nan if bad == 0 or math.isnan(bad) else math.copysign(math.inf, bad)
    return bad / total


def window_ratio(client: Prometheus, slo: Slo, window: int, times: list[int], reach: int, needed: list[bool],
                 cache: RatesCache, budget: Budget) -> dict[GroupKey, list[float | None]]:
    """The derived window's error ratio per group at each of `times` (1m-aligned) where `needed`, else None.

    `reach` is the longest window of the SLO replayed this way: the rates are
    fetched once from `times[0] - reach`, whatever window asks first.
    """
    first, last = times[0] - reach, times[-1]
    rates = [_fetch(client, expr, first, last, slo.group_by, cache, budget) for expr in _rate_expressions(slo)]
    period = is_rolling_slo_window(slo, window)  # a calendar SLO's nominal length is a derived rolling window
    out: dict[GroupKey, list[float | None]] = {}
    for key in sorted(set().union(*rates)):
        budget.take(len(times))
        series = [_Window(found[key]) if key in found else None for found in rates]
        values: list[float | None] = [None] * len(times)
        for n, t in enumerate(times):
            if not needed[n] or any(s is None for s in series):
                continue
            i = (t - first) // RESOLUTION
            if len(series) == 1:  # expr: the mean of the 5m ratios that are numbers
                total, count = series[0].span(i, _points_back(window))
                values[n] = None if total is None else total / count
            else:
                values[n] = _divide(*(_events(s, i, window, period) for s in series))
        out[key] = values
    return out


def failures_within(client: Prometheus, slo: Slo, window: int, times: list[int], needed: list[bool],
                    cache: RatesCache, budget: Budget) -> dict[GroupKey, list[float | None]]:
    """The bad events the rules count within `window` per group at each of `times` (1m-aligned) where `needed`, else None.

    `queries.failures_within` on the recorded 5m bad-event rate, one sample a
    minute: `sum_over_time(bad[window]) * 300 / count_over_time(bad[299s])`,
    both ranges the 1m-aligned points in `[t - range, t]` (5 in 299s). None
    where the last 299s hold no sample (count_over_time has no series then).
    """
    first = times[0] - reach(slo)
    bad = queries.bad_events(slo.indicator, c.CURRENT_BURN_WINDOW, slo.group_by)
    assert bad is not None, "an expr SLO counts no failures (queries.min_failures is 0)"
    rates = _fetch(client, outside_maintenance(slo, bad), first, times[-1], slo.group_by, cache, budget)
    back, five = _points_back(window), _points_back(queries.INTERVAL_RANGE)
    out: dict[GroupKey, list[float | None]] = {}
    for key in sorted(rates):
        budget.take(len(times))
        series = rates[key]
        values: list[float | None] = [None] * len(times)
        for n, t in enumerate(times):
            if not needed[n]:
                continue
            i = (t - first) // RESOLUTION
            recent = sum(v is not None for v in series[max(0, i - five):i + 1])
            if recent:
                found = [v for v in series[max(0, i - back):i + 1] if v is not None]
                values[n] = compensated_sum(found) * c.CURRENT_BURN_WINDOW / recent
        out[key] = values
    return out


def compensated_sum(values: list[float]) -> float:
    """`sum_over_time` as Prometheus adds (Kahan-Babuska-Neumaier, in order), so a count of exactly N is N here too.

    Unlike the ratios, the count is compared with a whole number that it can
    equal exactly (10 failures at 1 a minute count 10); a plain or prefix sum
    could land a rounding error on the other side of `>=`.
    """
    total = compensation = 0.0
    for value in values:
        added = total + value
        if abs(total) >= abs(value):
            compensation += (total - added) + value
        else:
            compensation += (value - added) + total
        total = added
    return total if math.isinf(total) else total + compensation
