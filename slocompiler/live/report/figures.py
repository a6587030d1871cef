"""One SLO's figures for a report: the SLI and budget over the period, its pages and tickets replayed as `slo backtest` does.

The SLI is the bad events of the period over all of its events (SRE-MATH),
summed as the rules sum them: the 5m event rates at each whole minute,
traffic-weighted (`state.raw_window`). Each 5m rate stands for the five
minutes before it, so the sums take the rates at each minute from `from +
3m` to `to + 2m` (`LEAD`, `LAG`): the five-minute windows centred on the
period's bounds. An event within 2.5 minutes of a bound counts partly for
each side of it, every other one wholly for its own, and two adjacent
periods together count every event once (an outage across midnight on the
last day of a month is not lost between the two reports). The alerts are
replayed by `backtest.run` over the period at 1m, as the rule group
evaluates them. What a page spent, and the burn-down, come from the same 5m
rates fetched at 1m, weighed as the period's SLI weighs them.

Ratios are exact decimals to 12 significant figures (`exact_ratio`): the
float sums carry noise in their last digits, and `met` or "under a quarter
of the budget" must not turn on it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from decimal import Decimal

from ...core import conventions as c
from ...core import queries
from ...core.ir import ExprIndicator, Program, RatioIndicator, Service, Slo
from ...core.units import prom_window
from ..client import LiveError, Prometheus
from ..outside import outside_maintenance
from ..periods import PERIOD, Period
from .memo import shared
from .period import ReportPeriod

STEP = 60  # the rules' evaluation interval: the replay's step and the 5m rates' resolution
FIVE = c.CURRENT_BURN_WINDOW
HOUR = 3600
LEAD, LAG = 3 * STEP, 2 * STEP  # the sums' first minute after `from`, their last after `to` (centred windows)
SIGNIFICANT = 12  # figures of a ratio kept: float sums' noise lies in the last of a double's 17
COVERAGE_STEP = 300  # how finely `coverage` looks for the SLO's data: one 5m rate's span


def exact_ratio(value: float) -> Decimal:
    """A ratio from float sums as the decimal it stands for: `0.25`, not `0.24999999999997`."""
    return Decimal(f"{value:.{SIGNIFICANT}g}")


@dataclass(frozen=True)
class Alerted:
    """One stretch in which a page (or ticket) of an SLO fired: `[start, end]` evaluations, the alerts that raised it."""

    slo_id: str
    severity: str
    start: int
    end: int
    alerts: tuple[str, ...]  # `CheckoutAvailability (page 1h/5m)`, the first to fire first
    short: int  # the short window of the condition that raised it
    budget_spent: float | None = None  # pages: the share of the period's budget spent while it fired
    started_before: bool = False  # a page already firing before the period: the previous period's report counts it
    # Firing at the period's last evaluation: the last evaluation it fired at, read past the period (None: not known,
    # no data there yet). Whether it was noisy depends on it; `end` stays the period's.
    last_firing: int | None = None

    @property
    def lasted(self) -> int:
        """Firing time: each evaluation stands for one step."""
        return (self.end if self.last_firing is None else self.last_firing) - self.start + STEP

    @property
    def noisy(self) -> bool:
        """Fired for no longer than twice its condition's short window: over before anyone could act."""
        return self.lasted <= 2 * self.short


@dataclass
class SloFigures:
    """What the report says of one SLO."""

    service: Service
    slo: Slo
    error_ratio: Decimal | None = None  # over the period: 1 - SLI
    reason: str | None = None  # why there is no SLI
    pages: list[Alerted] = field(default_factory=list)
    tickets: list[Alerted] = field(default_factory=list)
    replay_error: str | None = None  # why the alerts could not be replayed
    history: list[tuple[ReportPeriod, Decimal | None]] = field(default_factory=list)  # error ratios
    burndown: list[tuple[float, float]] = field(default_factory=list)
    calendar_periods: list[dict] = field(default_factory=list)  # a calendar SLO's own periods within the report's
    members: list[dict] = field(default_factory=list)  # a composite's members' contributions
    coverage: dict | None = None  # where the data covers only part of the period: `{"from", "to", "share"}`

    @property
    def budget(self) -> float:
        return float(self.slo.error_budget)

    @property
    def sli(self) -> float | None:
        return None if self.error_ratio is None else float(1 - self.error_ratio)

    @property
    def budget_spent(self) -> float | None:
        return None if self.error_ratio is None else float(self.error_ratio / self.slo.error_budget)

    @property
    def met(self) -> bool | None:
        return None if self.error_ratio is None else self.error_ratio <= self.slo.error_budget

    @property
    def sla_met(self) -> bool | None:
        if self.error_ratio is None or self.slo.sla is None:
            return None
        return self.error_ratio <= 1 - self.slo.sla


def evaluated(program: Program, period: ReportPeriod, history: list[ReportPeriod]) -> tuple[int, int]:
    """The first and last time a report's queries evaluate at: no earlier than the earliest period's start less the
    longest stretch any SLO's queries reach back (its window, a calendar period, an alert's long window) and a day;
    no later than the period's end and the `LAG` its sums reach past it (maintenance tests are cut to this span)."""
    from ..outside import reach

    return min(p.start for p in [period, *history]) - reach(program), period.end + LAG  # the sums' last minute


def whole(slo: Slo) -> Slo:
    """The SLO over all its groups: a report judges the SLO, its `group_by` summed away (traffic-weighted)."""
    return dataclasses.replace(slo, group_by=()) if slo.group_by else slo


def as_period(period: ReportPeriod) -> Period:
    """The report's period as live/periods.py's `Period`, which `state.raw_window` sums the 5m rates over."""
    return Period(period.unit or "range", period.zone, period.start, period.end)


def centred(period: ReportPeriod) -> tuple[Period, int]:
    """(period, at) for `state.raw_window` to sum the minutes in `[from + LEAD, to + LAG]`: it sums from the
    period's start plus 5m to `at`. A slice SLO counts the period's own slices, whose bounds are no 5m window's."""
    shift = FIVE - LEAD
    return Period(period.unit or "range", period.zone, period.start - shift, period.end + LAG), period.end + LAG


def period_ratio(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> tuple[Decimal | None, str | None]:
    """(error ratio over the period, None) or (None, why there is none), summed as the rules sum it
    (`state.raw_window`; for an event SLO the same two sums, asked for apart as `raw_window` does for a rolling
    SLO window), over the minutes `[from + LEAD, to + LAG]`."""
    from ..state import raw_window

    if not _by_minute(slo):
        bad, total = minute_expressions(program, slo)
        events = _summed(client, total, period.start + LEAD, period.end + LAG, keep_absent=True)
        if events is None:
            return None, "no series in the period"
        if events <= 0:
            return None, "no traffic in the period (0/0)"
        return exact_ratio(_summed(client, bad, period.start + LEAD, period.end + LAG) / events), None
    summed, at = (as_period(period), period.end) if slo.slices is not None else centred(period)
    readings = list(raw_window(client, whole(slo), PERIOD, at, program, summed).values())
    if not readings:
        return None, "no series in the period"
    found = readings[0]
    if found.ratio is None or not math.isfinite(found.ratio):
        return None, found.reason or "no figure"
    return exact_ratio(found.ratio), None


def _by_minute(slo: Slo) -> bool:
    """Whether the SLO has no event counts to weigh by: its figures come from its 5m error ratio (or its slices)."""
    return slo.is_composite or slo.slices is not None or isinstance(slo.indicator, ExprIndicator)


def minute_expressions(program: Program, slo: Slo) -> tuple[str, str]:
    """(bad, weight) per minute as the period's SLI weighs them: 5m bad and total event rates; for an SLO without
    event counts (expr, composite, slices) its known 5m error ratio and 1 per minute it is known."""
    slo = whole(slo)
    if _by_minute(slo):
        from ..state import raw_ratio

        ratio = f"({raw_ratio(slo, FIVE, program)}) >= 0"
        if not slo.is_composite:
            ratio = outside_maintenance(slo, ratio)
        return ratio, f"({ratio}) * 0 + 1"
    indicator = slo.indicator
    if isinstance(indicator, RatioIndicator) and indicator.errors and indicator.errors.is_selector \
            and indicator.total.is_selector:
        # Every use is a sum (`_summed`, the burn-down's hours): each series' 5m rates summed over the minutes, then
        # the series added, are the same events at a third of the server's CPU (no aggregation at every minute).
        return tuple(outside_maintenance(slo, f"rate({query.text.strip()}[{prom_window(FIVE)}])")
                     for query in (indicator.errors, indicator.total))
    # An errors ratio's `or 0 * total` adds nothing to a sum (and a sum of nothing is 0 here too).
    bad = outside_maintenance(slo, queries.bad_events(indicator, FIVE, (), fill=False) or "")
    total = outside_maintenance(slo, queries.total_events(indicator, FIVE, ()) or "")
    return bad, total


def _summed(client: Prometheus, expr: str, first: int, last: int, keep_absent: bool = False):
    """The sum of `expr` at each whole minute in `[first, last]`, by the server (0, or None with `keep_absent`, when
    there is no series). SLOs of one indicator (objectives for several tiers) share the answer within a run."""
    from ..subqueries import over_time

    query = f"sum({expr})" if last == first else f"sum({over_time('sum', expr, last - first, STEP)})"
    found = shared(client, ("query", query, last), lambda: client.query(query, last))
    if not found:
        return None if keep_absent else 0.0
    value = found[0].value
    return value if math.isfinite(value) else 0.0


def coverage(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> dict | None:
    """`{"from", "to", "share"}` when the SLO's data covers only part of the period (its series began or ended
    within it, or stopped for a while), else None: a figure of half a month is not one of the month. Read every 5m
    from the SLO's 5m events (an SLO without event counts: its 5m error ratio), maintenance windows included (no
    data there is by design, not missing)."""
    if _by_minute(slo):
        from ..state import raw_ratio

        present = f"({raw_ratio(whole(slo), FIVE, program)}) >= 0"
    else:
        present = queries.total_events(slo.indicator, FIVE, ()) or "vector(0)"
    expr = f"count({present})"
    seen: set[int] = set()

    def keep(part: list) -> None:
        seen.update(int(t) for series in part for t, value in series.points if value == value)

    def ask() -> set[int]:
        client.query_range_each(expr, period.start + COVERAGE_STEP, period.end, COVERAGE_STEP, keep)
        return seen

    seen = shared(client, ("range", expr, period.start, period.end), ask)
    steps = (period.end - period.start) // COVERAGE_STEP
    if not seen or len(seen) >= steps:
        return None
    return {"from": min(seen) - COVERAGE_STEP, "to": max(seen), "share": len(seen) / steps}


def replay_alerts(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> tuple[list[Alerted], list[Alerted]]:
    """(pages, tickets): the stretches in which the SLO's generated page (ticket) rules fired over the period, merged
    across rules and groups, as `slo backtest --step 1m` replays them (where any could hold: `hot_spans`)."""
    from ..backtest.replay import merge
    from ..backtest.run import Range, run

    from .hot import hot_spans, narrowed
    from .hot_composite import composite_spans

    spans = composite_spans(client, program, slo, period) if slo.is_composite else hot_spans(client, slo, period)
    whole = spans is None  # the period's data must cover its ends; a stretch's end may lie past the end of the data
    if spans is None:
        spans = [(period.start, period.end - STEP, None)]
    # A composite's first and last stretches check the period's ends as its whole replay would (hot_composite.py).
    checked = {0, len(spans) - 1} if slo.is_composite else set()

    def one(n: int) -> list:
        a, b, kept = spans[n]
        return run(narrowed(program, slo, kept), client, Range(a, b, STEP), only=frozenset({slo.id}),
                   budgets=False, covered=whole or n in checked)

    try:
        replays = [r for n in range(len(spans)) for r in one(n)]
    except LiveError as error:
        if whole or not checked or not str(error).startswith(f"{slo.id}: "):
            raise
        # The data misses an end (or a stretch's own end): the whole period's replay says what it says.
        spans, whole = [(period.start, period.end - STEP, None)], True
        replays = one(0)
    out = []
    for severity in ("page", "ticket"):
        # The rules' firing (Replay.pages, .tickets: each severity's rules merged), across groups and stretches;
        # the conditions that held name the alert.
        conditions = [k for r in replays for k in r.conditions if (k.severity == "page") == (severity == "page")]
        merged = merge([r.pages if severity == "page" else r.tickets for r in replays], STEP)
        found = []
        for first, last in merged:
            mine = sorted(((a, k) for k in conditions for a, b in k.intervals if a <= last and b >= first),
                          key=lambda item: (item[0], item[1].short or 0))
            names = tuple(dict.fromkeys(f"{k.alert} ({k.label})" for _, k in mine))
            found.append(Alerted(slo.id, severity, first, last, names, mine[0][1].short or 0 if mine else 0))
        # A page is an interruption, counted in the period it began; a ticket is open work, counted in each period it
        # fires in.
        if severity == "page" and found and found[0].start == period.start and _firing_before(client, program, slo, period):
            found[0] = dataclasses.replace(found[0], started_before=True)
        if severity == "page" and found and found[-1].end == period.end - STEP:
            found[-1] = dataclasses.replace(found[-1], last_firing=_firing_until(client, program, slo, period, found[-1]))
        out.append(found)
    return out[0], out[1]


def _firing_until(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod, page: Alerted) -> int | None:
    """The last evaluation a page firing at the period's end fired at, looking past the end as far as it could still
    be noisy (twice its short window); None when the data does not reach that far (a period that just ended).
    A page crossing the bound is then noisy in the period it began, as a report over both would say."""
    ahead = page.start + 2 * page.short
    if ahead < period.end:
        return None  # already longer than noisy: how much longer does not matter
    try:
        fired = _pages_fired(client, program, slo, period.end, ahead, covered=True)
    except LiveError:
        return None
    return fired[0][1] if fired and fired[0][0] == period.end else period.end - STEP


def _firing_before(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> bool:
    """Whether the SLO's page rules were firing at the evaluation before the period's first: a page firing as the
    period begins then began in the previous period, and belongs to that one's count (adjacent reports count every
    page once)."""
    before = period.start - STEP
    return bool(_pages_fired(client, program, slo, before, before, covered=False))


def _pages_fired(client: Prometheus, program: Program, slo: Slo, first: int, last: int, covered: bool) -> list:
    """The SLO's page intervals replayed over `[first, last]` outside the period, merged across rules and groups;
    `covered`: LiveError when the data does not reach the ends."""
    from ..backtest.replay import merge
    from ..backtest.run import Range, run

    replays = run(program, client, Range(first, last, STEP), only=frozenset({slo.id}), budgets=False, covered=covered)
    return merge([r.pages for r in replays], STEP)


def spent_while(client: Prometheus, program: Program, slo: Slo, pages: list[Alerted], period: ReportPeriod,
                budget: float) -> list[Alerted]:
    """Each page with the share of the period's budget spent while it fired: the 5m bad rates at each minute after
    its start to its resolution (`end + 1m`), over the period's sum of 5m totals (as the SLI sums them), over the budget.
    Only the minutes the SLI sums count (`[from + LEAD, to + LAG]`): a page firing as the period begins does not
    spend the previous period's errors, so the pages' shares never add up to more than the period's."""
    if not pages:
        return []
    bad, weight = minute_expressions(program, slo)
    total = _summed(client, weight, period.start + LEAD, period.end + LAG)
    out = []
    for page in pages:
        # A page firing at the period's last evaluation spends to the sums' end: the next period's sums start there.
        resolved = period.end + LAG if page.end + STEP >= period.end else page.end + STEP
        first, last = max(page.start + STEP, period.start + LEAD), min(resolved, period.end + LAG)
        spent = (_summed(client, bad, first, last) if first <= last else 0.0) / total / budget if total > 0 else None
        out.append(dataclasses.replace(page, budget_spent=spent))
    return out


def burndown(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod,
             spent: float | None) -> list[tuple[float, float]]:
    """The budget left, as a share of the period's, from 1.0 at the start to `1 - spent` at the end: the bad 5m rates
    summed hour by hour (one point an hour), scaled so the end is the SLI's own figure."""
    from ..subqueries import over_time

    if spent is None:
        return []
    bad, _ = minute_expressions(program, slo)
    hours: dict[int, float] = {}

    def keep(part: list) -> None:
        for series in part:
            for t, value in series.points:
                if math.isfinite(value):
                    hours[int(t)] = hours.get(int(t), 0.0) + value

    last = period.start + -(-(period.end - period.start) // HOUR) * HOUR
    expr = over_time("sum", bad, HOUR - STEP, STEP)

    def ask() -> dict[int, float]:
        client.query_range_each(expr, period.start + HOUR, last, HOUR, keep)
        return hours

    hours = shared(client, ("range", expr, period.start, last), ask)
    whole_sum = sum(hours.values())
    out = [(float(period.start), 1.0)]
    running = 0.0
    for t in range(period.start + HOUR, last + 1, HOUR):
        running += hours.get(t, 0.0)
        left = 1 - (running / whole_sum * spent if whole_sum > 0 else 0.0)
        out.append((float(min(t, period.end)), left))
    return out


def calendar_periods(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> list[dict]:
    """A calendar SLO's own periods that start within the report's: each one's budget spent, from its start."""
    from ..backtest.fetch import period_budgets

    out = []
    for found, remaining in period_budgets(client, whole(slo), period.start, period.end - 1, program):
        left = remaining.get(())
        out.append({"start": found.start, "end": found.end,
                    "budget_spent": None if left is None else 1 - left, "complete": found.end <= period.end})
    return out


def members(client: Prometheus, program: Program, slo: Slo, period: ReportPeriod) -> list[dict]:
    """A composite's members over the period: each one's SLI and its contribution to the composite's error ratio."""
    from .. import composite

    from .. import silence
    from ..state import raw_ratio

    found = []
    for member, member_slo in composite.members(program, slo):
        member_ratio, reason = period_ratio(client, program, member_slo, period)
        # An idle member (series without traffic) is no term, whatever its when_no_data; one without series is.
        ratio = math.nan if member_ratio is None and reason and "no traffic" in reason else None
        found.append((member, member_slo, ratio if member_ratio is None else float(member_ratio), reason))
    # The minutes the SLI averages the composite's 5m ratio over, which counts a silent member at each of them.
    minutes = list(range(period.start + LEAD, period.end + LAG + 1, STEP))
    counting = silence.counting(slo)
    shares = client.map(lambda member: silence.missing_share(
        client, program, slo, member, minutes, lambda one: raw_ratio(one, FIVE, program)), counting)
    silent = dict(zip((member.slo_id for member in counting), shares))
    return [{"slo_id": part.slo_id, "weight": float(part.weight), "when_no_data": part.when_no_data,
             "ratio": part.ratio, "contribution": part.term, "share": part.share,
             **({"silent": part.silent} if part.silent is not None else {})}
            for part in composite.contributions(slo, found, silent=silent, program=program)]


def figures(client: Prometheus, program: Program, service: Service, slo: Slo, period: ReportPeriod,
            history: list[ReportPeriod]) -> SloFigures:
    """Every figure of one SLO for the period; a LiveError only when the server cannot answer."""
    out = SloFigures(service, slo)
    out.error_ratio, out.reason = period_ratio(client, program, slo, period)
    # The previous periods at once: their sums are the longest queries an SLO without data waits for.
    out.history = list(zip(history, client.map(lambda earlier: period_ratio(client, program, slo, earlier)[0], history)))
    if out.error_ratio is None:
        return out
    out.coverage = coverage(client, program, slo, period)
    if slo.calendar is not None:
        out.calendar_periods = calendar_periods(client, program, slo, period)
    if slo.is_composite:
        out.members = members(client, program, slo, period)
    from ..composite import CompositeError

    try:
        pages, out.tickets = replay_alerts(client, program, slo, period)
    except LiveError as error:
        # The SLO's own data does not cover the period's ends (backtest's require_data), or it is a composite of
        # slices: figures without the replay. No answer from the server is no report (exit 3).
        if not str(error).startswith(f"{slo.id}: "):
            raise
        out.replay_error = str(error).removeprefix(f"{slo.id}: ")
        pages = []
    try:
        out.pages = spent_while(client, program, slo, pages, period, out.budget)
        out.burndown = burndown(client, program, slo, period, out.budget_spent)
    except CompositeError:  # a composite of slices: read from its recorded series only
        out.pages = pages
    return out
