"""Where a report replays the alerts: the stretches of the period in which some condition could hold, and which.

Every window a condition of an event SLO reads is a traffic-weighted average
of the 5m ratios it spans (the rules' tiles and sums of 5m rates), so it is
above a threshold only if some 5m ratio within it is. The server gives each
hour's highest 5m ratio (one point an hour); a condition can hold only
within its short window after an hour whose highest ratio is above its
threshold (half of it here: a margin for `rate`'s extrapolation on scrapes
off the minute). Outside those stretches no alert fires, so the replay
(`backtest.run`, exact) runs only inside them, and only with the conditions
that could hold there: a ticket burning all month no longer costs a month
of the pages' windows. Slices and `expr` SLOs, whose windows are no such
average, are replayed whole with every condition; composites, from their
members' maxima, as hot_composite.py says.
"""

from __future__ import annotations

import dataclasses

from ...core import queries
from ...core.ir import ExprIndicator, Program, Slo
from .memo import shared
from .period import ReportPeriod

STEP = 60
HOUR = 3600
MARGIN = 0.5  # a condition is replayed where some 5m ratio was above half its threshold
JOIN = 3 * 86400  # stretches closer than this are replayed as one (each replay reads its windows' lookback)

Span = tuple[int, int, "frozenset[int] | None"]  # first and last evaluation; the conditions (indexes) to replay


def hot_spans(client, slo: Slo, period: ReportPeriod) -> list[Span] | None:
    """The stretches to replay, each with the conditions that could hold in it; None to replay the whole period
    (a composite's are hot_composite.py's)."""
    from ..backtest.model import conditions_of

    if slo.is_composite or slo.slices is not None or isinstance(slo.indicator, ExprIndicator):
        return None
    conditions = conditions_of(slo)
    if not conditions:
        return []
    highest = hourly_maxima(client, slo, period, reach_of(conditions))
    last = period.end - STEP
    found: list[tuple[int, int, int | None]] = []
    for index, k in enumerate(conditions):
        after = -(-k.short // HOUR) * HOUR + HOUR
        for block, value in highest.items():
            if value > k.limit * MARGIN:
                first, end = max(period.start, block - HOUR - STEP), min(last, block + after)
                if first <= end:
                    found.append((on_grid(first, period, -1), min(last, on_grid(end, period, 1)), index))
    return joined(found)


def reach_of(conditions: list) -> int:
    """How far before the period the hourly maxima start: the longest short window in whole hours, and an hour."""
    return -(-max(k.short for k in conditions) // HOUR) * HOUR + HOUR


def hourly_maxima(client, slo: Slo, period: ReportPeriod, reach: int) -> dict[int, float]:
    """Each hour's highest 5m error ratio of an event SLO (over its groups), by the hour's end; hours without one left out."""
    # Without an errors ratio's `or 0 * total`: a 0 is above no threshold, and an hour of nothing is not hot either.
    ratio = queries.error_ratio(slo.indicator, 300, slo.group_by, fill=False)
    highest: dict[int, float] = {}

    def keep(part: list) -> None:
        for series in part:
            for t, value in series.points:
                if value == value and value > highest.get(int(t), float("-inf")):  # NaN is no ratio
                    highest[int(t)] = value

    expr = f"max_over_time(({ratio})[1h:1m])"

    # The hours are counted from `period.start - reach`: a period that does not end on one of them (`--to` off the
    # hour, a zone half an hour off UTC) needs one point past its end, or its last part's maxima go unread.
    until = period.end + HOUR - 1

    def ask() -> dict[int, float]:
        client.query_range_each(expr, period.start - reach, until, HOUR, keep)
        return highest

    return shared(client, ("range", expr, period.start - reach, until), ask)


def joined(found: list[tuple[int, int, int | None]]) -> list[Span]:
    """Stretches (first, last, condition index; None: no condition) less than JOIN apart as one, with their conditions."""
    spans: list[list] = []
    for first, end, index in sorted(found, key=lambda item: (item[0], item[1], -1 if item[2] is None else item[2])):
        if spans and first <= spans[-1][1] + JOIN:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([first, end, set()])
        if index is not None:
            spans[-1][2].add(index)
    return [(a, b, frozenset(kept)) for a, b, kept in spans]


def on_grid(t: int, period: ReportPeriod, direction: int) -> int:
    """`t` moved to the period's minute grid, down (-1) or up (1)."""
    offset = t - period.start
    steps = offset // STEP if direction < 0 else -(-offset // STEP)
    return period.start + steps * STEP


def narrowed(program: Program, slo: Slo, kept: frozenset[int] | None) -> Program:
    """The program with the SLO's conditions cut to `kept` (None: all), when that leaves each rule as it was.

    A rule joins its severity's conditions with `or` and takes the first
    one's `for`: leaving out conditions that cannot hold keeps what it
    fires, as long as the `for` stays (so all of a severity's conditions
    must share it, or none is left out).
    """
    conditions = slo.alerting.conditions
    if kept is None or len(kept) == len(conditions):
        return program
    for severity in {k.severity for k in conditions}:
        if len({k.for_ or 0 for k in conditions if k.severity == severity}) > 1:
            return program
    cut = tuple(k for index, k in enumerate(conditions) if index in kept)
    new = dataclasses.replace(slo, alerting=dataclasses.replace(slo.alerting, conditions=cut))
    return dataclasses.replace(program, services=tuple(
        dataclasses.replace(service, slos=tuple(new if s.id == slo.id else s for s in service.slos))
        for service in program.services))
