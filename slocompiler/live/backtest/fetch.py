"""Reading history for `slo backtest`: each window's error ratio once per SLO, on one grid of evaluation times.

The expressions are the recording rules' own (`queries.error_ratio`), so each
value is what `slo:sli_error:ratio_rate<W>` held at that evaluation; every
condition reading that window is then derived from the one series. Windows the
rules sum from recorded 5m rates are summed here from those rates
(`derived.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...core import maintenance, queries, slices
from ...core.composites import counted
from ...core.conventions import CURRENT_BURN_WINDOW
from ...core.ir import Program, Slo
from ...core.silence import counts_over
from ...core.units import human_duration
from .. import composite, periods
from .. import silence as member_silence
from ..client import LiveError, Prometheus, Series
from ..limits import MAX_POINTS
from ..periods import Period, slo_window
from ..readings import by_group
from ..state import COMPOSITE_SLICES, period_ratio, raw_ratio
from . import derived
from .budget import Budget, group_values
from .model import GroupKey, conditions_of


@dataclass(frozen=True)
class Grid:
    """Evaluation times `start, start + step, ...` up to `end`, both on the grid."""

    start: int
    end: int
    step: int

    @property
    def times(self) -> list[int]:
        """Every evaluation time."""
        return list(range(self.start, self.end + 1, self.step))

    @property
    def count(self) -> int:
        """How many evaluation times."""
        return (self.end - self.start) // self.step + 1

    def index(self, t: float) -> int | None:
        """The position of time `t` on the grid, or None when it is off it."""
        offset = int(round(t)) - self.start
        if offset % self.step or not 0 <= offset <= self.end - self.start:
            return None
        return offset // self.step


def grid(start: int, end: int, step: int, lookback: int) -> Grid:
    """The grid from `lookback` before `start` (rounded up to whole steps) to the last step at or before `end`."""
    back = -(-lookback // step) * step
    last = start + (end - start) // step * step
    return Grid(start - back, last, step)


def group_key(labels: dict[str, str], group_by: tuple[str, ...]) -> GroupKey:
    """The values of the `group_by` labels ("" when a series lacks one)."""
    return tuple(labels.get(name, "") for name in group_by)


def on_grid(result: list[Series], where: Grid, group_by: tuple[str, ...],
            into: dict[GroupKey, list[float | None]] | None = None,
            budget: Budget | None = None) -> dict[GroupKey, list[float | None]]:
    """Range-query series as one list per group, None where there is no value (added to `into` when given)."""
    count = where.count
    out: dict[GroupKey, list[float | None]] = {} if into is None else into
    start, step = where.start, where.step
    for series in result:
        values = group_values(out, group_key(series.labels, group_by), count, budget)
        # Millions of points on a month at 1m: index arithmetic inline, not where.index().
        for t, value in series.points:
            offset = int(t) - start
            if t == int(t) and 0 <= offset and not offset % step and offset // step < count:
                values[offset // step] = value
    return out


Cache = dict[str, dict[GroupKey, list[float | None]]]
Spans = list[tuple[int, int]] | None  # stretches of evaluation times to fetch; None: the whole grid
# Needed stretches closer than this many steps are fetched as one; past
# MAX_SPANS requests a window is fetched whole.
JOIN_GAP = 60
MAX_SPANS = 64


def spans_of(mask: list[bool], where: Grid) -> Spans:
    """The stretches of the grid where `mask` is set, nearby ones joined; None when fetching everything is cheaper."""
    found: list[list[int]] = []
    for i, needed in enumerate(mask):
        if not needed:
            continue
        if found and i - found[-1][1] <= JOIN_GAP:
            found[-1][1] = i
        else:
            found.append([i, i])
    if len(found) > MAX_SPANS or sum(b - a + 1 for a, b in found) > len(mask) // 2:
        return None
    return [(where.start + a * where.step, where.start + b * where.step) for a, b in found]


def fetch_all(client: Prometheus, tasks: list[tuple[Slo, int, Spans]], where: Grid,
              cache: Cache | None = None, budget: Budget | None = None,
              program: Program | None = None) -> list[dict[GroupKey, list[float | None]]]:
    """Each (SLO, window)'s error ratio over the grid (or its spans), per group.

    The range queries already fetch their chunks concurrently, so only as many
    run at once as keeps the requests in flight within `--concurrency`.
    """
    def points(spans: Spans) -> int:
        return where.count if spans is None else max((b - a) // where.step + 1 for a, b in spans)

    chunks = max((math.ceil(points(spans) / MAX_POINTS) for _, _, spans in tasks), default=1)
    workers = max(1, min(client.connection.concurrency // max(chunks, 1), len(tasks)))

    def one(task: tuple[Slo, int, Spans]) -> dict[GroupKey, list[float | None]]:
        slo, window, spans = task
        return window_ratio(client, slo, window, where, cache, spans, budget, program)

    return client.map(one, tasks, workers)


def window_ratio(client: Prometheus, slo: Slo, window: int, where: Grid, cache: Cache | None = None,
                 spans: Spans = None, budget: Budget | None = None,
                 program: Program | None = None) -> dict[GroupKey, list[float | None]]:
    """One window's error ratio per group over the grid or its spans: the recording rule's own expression.

    A value at one evaluation does not depend on the query's range, so spans
    read exactly what the whole range would. `--against` replays a second
    version over the same grid: what both read is fetched once. Each chunk
    of the range query goes onto the grid as it arrives, so the series are
    never held whole; every group's list is counted by `budget`.
    """
    budget = Budget() if budget is None else budget
    if slo.is_composite:
        return _composite_ratio(client, slo, window, where, cache, spans, budget, program)
    if derived.derives(slo, window):
        if derived.replayable(where.start, where.step):
            return _derived_ratio(client, slo, window, where, {} if cache is None else cache, spans, budget)
        # Off the minute grid: the server evaluates the rules' sums as subqueries (exact, slower).
        expr = raw_ratio(slo, window)
    else:  # a slice SLO's bad-slice ratio, or a window the rules read from raw series
        plain = slo.slices is None and not slo.maintenance  # maintenance: the 5m rates the rules keep (raw_ratio)
        expr = queries.error_ratio(slo.indicator, window, slo.group_by) if plain else raw_ratio(slo, window)
    key = f"{where}|{slo.group_by}|{spans}|{expr}"
    if cache is not None and key in cache:
        return cache[key]
    found: dict[GroupKey, list[float | None]] = {}
    for first, last in spans if spans is not None else [(where.start, where.end)]:
        client.query_range_each(expr, first, last, where.step,
                                lambda part: on_grid(part, where, slo.group_by, found, budget))
    if cache is not None:
        cache[key] = found
    return found


def _composite_ratio(client: Prometheus, slo: Slo, window: int, where: Grid, cache: Cache | None, spans: Spans,
                     budget: Budget, program: Program | None) -> dict[GroupKey, list[float | None]]:
    """A composite's ratio at each evaluation, from its members' ratios over the same window, as its rules combine them."""
    if program is None or slo.slices is not None:
        # A slice is bad when any member's slice is: not a sum of member ratios (docs/LIVE.md).
        raise LiveError(f"{slo.id}: {COMPOSITE_SLICES if slo.slices is not None else 'its members are not known here'}")
    parts = [(member, member_slo, {} if _no_series(client, member_slo, window, where, cache) else
              window_ratio(client, counted(member_slo), window, where, cache, spans, budget, program))
             for member, member_slo in composite.members(program, slo)]
    # A member counts over all its groups (`counted`), but a grouped `expr` member as its worst group; the composite
    # has none. The times once: `where.times` builds the whole list.
    times = where.times
    combine = composite.combiner(slo, [(member, member_slo) for member, member_slo, _ in parts], program)
    columns = [list(found.values()) for _, _, found in parts]
    single = [values[0] if len(values) == 1 else None for values in columns]
    silent = _silent_shares(client, program, slo, window, where, cache, budget)
    return {(): [combine([_alone(one[i]) if one is not None else composite.worst(v[i] for v in values)
                          for one, values in zip(single, columns)], times[i],
                         None if silent is None else [shares[i] for shares in silent])
                 for i in range(where.count)]}


def _silent_shares(client: Prometheus, program: Program, slo: Slo, window: int, where: Grid, cache: Cache | None,
                   budget: Budget) -> list[list[float]] | None:
    """Each member's silent share of `window` at each evaluation (0 for a member whose silence does not count), as
    the composite's rules record it (live/silence.py); None when no member's counts over `window`.

    The rules run every minute whatever the grid's step, so the replay does
    too: the member's 5m ratio is read at each minute from before the grid by
    the composite's longest window and the grace (once for all its windows:
    `present_at`), and each evaluation takes the share at its minute.
    """
    counting = {member.slo_id for member in member_silence.counting(slo)}
    if not counting or not counts_over(window):
        return None
    reach = max([window, *(k.long for k in conditions_of(slo))]) + member_silence.BEFORE
    step = member_silence.STEP
    minutes = list(range(where.end - -(-(where.end - where.start + reach) // step) * step, where.end + 1, step))
    out = []
    for member, member_slo in composite.members(program, slo):
        if member.slo_id not in counting:
            out.append([0.0] * where.count)
            continue
        try:
            expr = raw_ratio(counted(member_slo), CURRENT_BURN_WINDOW, program)
        except composite.CompositeError:  # a composite of time slices has no 5m ratio from raw series to replay
            out.append([0.0] * where.count)
            continue
        present = member_silence.present_at(client, expr, minutes)
        seconds = member_silence.seconds(present, minutes, member_silence.resting(program, slo, member))
        shares = member_silence.shares(seconds, minutes, window)
        out.append([shares[(t - minutes[0]) // step] for t in where.times])
    return out


def _alone(ratio: float | None) -> float | None:
    """`composite.worst` of a member with one group (most are): no generator at each evaluation."""
    return ratio if ratio is None or math.isfinite(ratio) else math.nan


def _no_series(client: Prometheus, slo: Slo, window: int, where: Grid, cache: Cache | None) -> bool:
    """Whether a member reads only plain selectors and none has a sample the window's ratio could read over the grid
    (an hour's margin beyond the window): its ratio is then nothing at every evaluation, as its queries would say,
    without a month of them (a member with no data costs a series lookup)."""
    from ..verify import roles

    read = [query for _, query in roles(slo)]
    if slo.slices is not None or not read or not all(q.is_selector for q in read):
        return False
    first = where.start - window - 3600
    key = f"series|{first}|{where.end}|{[q.text for q in read]}"
    if cache is not None and key in cache:
        return not cache[key]
    found = client.series([q.text.strip() for q in read], first, where.end)
    if cache is not None:
        cache[key] = {(): []} if found else {}
    return not found


def _derived_ratio(client: Prometheus, slo: Slo, window: int, where: Grid, cache: Cache,
                   spans: Spans, budget: Budget) -> dict[GroupKey, list[float | None]]:
    times = where.times
    needed = [spans is None or any(a <= t <= b for a, b in spans) for t in times]
    return derived.window_ratio(client, slo, window, times, derived.reach(slo, window), needed, cache, budget)


def budget_remaining(client: Prometheus, slo: Slo, at: int, program: Program | None = None) -> dict[GroupKey, float | None]:
    """`1 - window ratio / budget` at `at`, per group, the window ratio as `slo status` computes it (the period rule's;
    a calendar SLO's since the start of the period in progress at `at`)."""
    from ..state import raw_window

    return _remaining(slo, raw_window(client, slo, slo_window(slo), at, program).values())


def period_budgets(client: Prometheus, slo: Slo, frm: int, to: int,
                   program: Program | None = None) -> list[tuple[Period, dict[GroupKey, float | None]]]:
    """A calendar SLO's budget left in each period that `[frm, to]` reaches: since the period's start, at its end or at `to`.

    The budget resets at each period start in the SLO's zone, as the rule's
    ratio does: each period's figure counts the 5m rates from its own start
    (`periods.raw_ratio`), evaluated at its end (the last rate of the period
    included) or, for the one in progress, at `to`.
    """
    def one(period: Period) -> dict[GroupKey, float | None]:
        at = min(period.end, to)
        return _remaining(slo, by_group(slo, client.query(period_ratio(program, slo, period, at), at)).values())

    found = periods.periods_within(slo, frm, to)
    return list(zip(found, client.map(one, found)))


def _remaining(slo: Slo, readings) -> dict[GroupKey, float | None]:
    budget = float(slo.error_budget)
    remaining = {}
    for found in readings:
        figure = None if found.ratio is None else 1 - found.ratio / budget
        remaining[group_key(found.labels, slo.group_by)] = figure if figure is not None and math.isfinite(figure) else None
    return remaining


def coverage(ratios: dict[GroupKey, list[float | None]], where: Grid) -> tuple[int, int] | None:
    """The first and last evaluation time at which any group has a value, or None."""
    firsts, lasts = [], []
    for values in ratios.values():
        present = [i for i, v in enumerate(values) if v is not None]
        if present:
            firsts.append(present[0])
            lasts.append(present[-1])
    if not firsts:
        return None
    return where.start + min(firsts) * where.step, where.start + max(lasts) * where.step


def require_data(slo: Slo, ratios: dict[GroupKey, list[float | None]], where: Grid, start: int,
                 slack: int, describe) -> None:
    """A LiveError saying what is missing when the server's data does not cover `[start, end]`."""
    found = coverage(ratios, where)
    if found is None:
        raise LiveError(f"{slo.id}: no data between {describe(start)} and {describe(where.end)} "
                        f"(the indicator's series do not exist then; `slo verify` checks the selectors)")
    first, last = found
    # In a maintenance window (and the 5m after it) the SLO's ratio is absent by design: that is no missing data.
    if first > _past_maintenance(slo, start, 1) + slack:
        raise LiveError(f"{slo.id}: the server has no data before {describe(first)}; "
                        f"--from {describe(start)} is {_gap(first - start)} earlier")
    if last < _past_maintenance(slo, where.end, -1) - slack:
        raise LiveError(f"{slo.id}: the server has no data after {describe(last)}; "
                        f"--to {describe(where.end)} is {_gap(where.end - last)} later")


def _past_maintenance(slo: Slo, t: int, direction: int) -> int:
    """`t`, or when the SLO's maintenance keeps its ratio absent at `t` (a window and the 5m after it, as the rules),
    the end of that quiet (direction 1) or the window's start (-1): where its data must reach."""
    pad = slices.current_window(slo)
    for _ in range(100):  # windows may follow one another
        held = [(a, b + pad) for window in slo.maintenance for a, b in maintenance.occurrences(window, t - pad, t + 1)
                if a <= t < b + pad]
        if not held:
            return t
        t = max(b for _, b in held) if direction > 0 else min(a for a, _ in held)
    return t


def _gap(seconds: int) -> str:
    return human_duration(seconds)
