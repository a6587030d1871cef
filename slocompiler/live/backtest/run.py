"""`slo backtest`: replay the alerts a spec generates over a range of history and report what would have happened."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ...core.ir import Program, Slo
from ..client import Prometheus
from ..text import Secrets
from . import derived, failures
from .budget import Budget
from .fetch import Cache, Grid, Spans, budget_remaining, fetch_all, grid, period_budgets, require_data, spans_of
from .model import INCIDENT_WINDOW, PeriodBudget, Replay, no_data_for, rules_of, window_plan
from .replay import absent, firing, group_keys, intervals, replay
from .report import when


@dataclass(frozen=True)
class Range:
    """What to replay: `[start, end]` in Unix seconds, one evaluation every `step` seconds."""

    start: int
    end: int
    step: int


def slos_of(program: Program, only: frozenset[str] | None = None) -> list[Slo]:
    """Every SLO in program order (those whose id is in `only`, when given)."""
    return [slo for service in program.services for slo in service.slos if only is None or slo.id in only]


def lookback(slos: list[Slo]) -> int:
    """How far before `--from` evaluations start, so an alert's `for` is already running at `--from`."""
    fors = [rule.for_ for slo in slos for rule in rules_of(slo)] + [no_data_for(slo) or 0 for slo in slos]
    return max(fors, default=0)


def check_size(program: Program, what: Range, back: int = 0, only: frozenset[str] | None = None) -> None:
    """LiveError before any query when one group per SLO is already more than a replay may hold."""
    slos = slos_of(program, only)
    where = grid(what.start, what.end, what.step, max(back, lookback(slos)))
    plans = {slo.id: window_plan(slo, INCIDENT_WINDOW) for slo in slos}
    Budget().check(least_values(slos, plans, where))


def run(program: Program, client: Prometheus, what: Range, cache: Cache | None = None, back: int = 0,
        budget: Budget | None = None, only: frozenset[str] | None = None, budgets: bool = True,
        covered: bool = True) -> list[Replay]:
    """Replays of every SLO (per group value; `only` these ids), in spec order; LiveError when the server cannot answer or lacks data.

    Evaluations start at least `back` seconds before `what.start` (two versions
    compared share one grid, and so the cache of what both fetch, and the
    `budget` of values held). `budgets=False` leaves out the budget left at
    the end (and a calendar SLO's per period): `slo report` replays stretches
    of a period and sums its budget itself. `covered=False` asks no data at
    the range's ends (a report's stretch may run past the end of its data).
    """
    slos = slos_of(program, only)
    budget = Budget() if budget is None else budget
    where = grid(what.start, what.end, what.step, max(back, lookback(slos)))
    plans = {slo.id: window_plan(slo, INCIDENT_WINDOW) for slo in slos}
    budget.check(least_values(slos, plans, where))  # before any query, when one group per SLO is already too many
    # First the windows every evaluation reads, then each long-only window
    # at the evaluations where a condition's short ratio is above its threshold.
    tasks: list = [(slo, window, None) for slo in slos for window in plans[slo.id][0]]
    ratios: dict[str, dict[int, dict]] = {}
    for (slo, window, _), found in zip(tasks, fetch_all(client, tasks, where, cache, budget, program)):
        ratios.setdefault(slo.id, {})[window] = found
    later = [(slo, window, needed_spans(ratios[slo.id], conditions, where))
             for slo in slos for window, conditions in plans[slo.id][1].items()]
    later = [(slo, window, spans) for slo, window, spans in later if spans != []]
    for (slo, window, _), found in zip(later, fetch_all(client, later, where, cache, budget, program)):
        ratios[slo.id][window] = found
    for slo in slos:
        for window in plans[slo.id][1]:
            ratios[slo.id].setdefault(window, {})
    for slo in slos if covered else ():
        require_data(slo, ratios[slo.id][INCIDENT_WINDOW], where, what.start, INCIDENT_WINDOW, when)
    shared = {} if cache is None else cache
    counted = client.map(lambda slo: failures.counts(client, slo, ratios[slo.id], where, shared, budget), slos)
    if not budgets:
        remaining, per_period = [{} for _ in slos], [[] for _ in slos]
    else:
        remaining = client.map(lambda slo: budget_remaining(client, slo, where.end, program), slos)
        # A calendar SLO's budget resets at each period start: its budget in every period the range reaches.
        per_period = client.map(lambda slo: period_budgets(client, slo, what.start, where.end, program)
                                if slo.calendar else [], slos)
    out = []
    for slo, left, found, periods in zip(slos, remaining, counted, per_period):
        out += replay_slo(slo, ratios[slo.id], left, where, what, client.secrets, found, periods)
    return out


def least_values(slos: list[Slo], plans: dict, where: Grid) -> int:
    """The values the replay holds with one group per SLO: each window read at every evaluation, and the 5m rates."""
    total = 0
    for slo in slos:
        full, _ = plans[slo.id]
        total += where.count * len(full)
        if derived.rate_count(slo) and derived.replayable(where.start, where.step):
            total += derived.rate_count(slo) * ((where.end - where.start + derived.reach(slo)) // derived.RESOLUTION + 1)
    return total


def needed_spans(ratios: dict[int, dict], conditions: list, where: Grid) -> Spans:
    """Where any of these conditions' short ratio, in any group, is above its threshold: the spans to fetch."""
    mask = [False] * where.count
    for k in conditions:
        for values in ratios[k.short].values():
            for i, value in enumerate(values):
                if value is not None and value > k.limit:
                    mask[i] = True
    return spans_of(mask, where)


def replay_slo(slo: Slo, ratios: dict, remaining: dict, where: Grid, what: Range,
               secrets: Secrets | None = None, counted: failures.Counts | None = None,
               periods: list | None = None) -> list[Replay]:
    """One SLO's rules and conditions replayed over its fetched ratios, per group value.

    `periods`, for a calendar SLO: `fetch.period_budgets`, each period's budget left per group.

    The group's label values come from the server: any secret the user gave
    is redacted from them here, before any report prints them (text.py).
    """
    rules = rules_of(slo)
    waited = no_data_for(slo)
    times = where.times
    no_data: tuple = ()
    if waited is not None:
        missing = absent(list(ratios[INCIDENT_WINDOW].values()), where.count)
        no_data = intervals(firing(missing, times, waited), times, what.start)
    out = []
    for key in group_keys(ratios):
        by_window = {w: series.get(key) or [None] * where.count for w, series in ratios.items()}
        within = {w: found.get(key) or [None] * where.count for w, found in (counted or {}).items()}
        value = remaining.get(key)
        group = {name: secrets.redact(text) if secrets else text for name, text in zip(slo.group_by, key)}
        out.append(replay(
            slo.id, group, slo.objective, slo.window, rules, by_window, times,
            what.start, where.end, where.step, INCIDENT_WINDOW,
            None if value is None or math.isnan(value) else value, within,
        ))
        if slo.calendar is not None:
            out[-1] = dataclasses.replace(out[-1], period_name=f"calendar {slo.calendar} ({slo.timezone})",
                                          periods=_period_budgets(periods or [], key, where.end))
    return [dataclasses.replace(r, no_data=no_data) for r in out] if no_data else out


def _period_budgets(found: list, key: tuple[str, ...], end: int) -> tuple[PeriodBudget, ...]:
    """One group's budget in each period, from `fetch.period_budgets`' answers."""
    return tuple(PeriodBudget(period.start, period.end, period.label(), remaining.get(key), period.end <= end)
                 for period, remaining in found)
