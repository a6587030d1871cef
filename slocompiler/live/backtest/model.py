"""What `slo backtest` replays and what it finds: alert rules and conditions of the IR, intervals, incidents."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from ...core import queries, sremath
from ...core.conventions import CURRENT_BURN_WINDOW
from ...core.ir import Condition, ExprIndicator, Program, Slo
from ...core.units import decimal_text, prom_window

# An interval of evaluation times, both ends included: the first and the last
# evaluation at which something held. It lasts `end - start + step`.
Interval = tuple[int, int]
# Incidents are measured on the current burn rate, the one dashboards show.
INCIDENT_WINDOW = CURRENT_BURN_WINDOW
# The values of one group's `group_by` labels, in `group_by` order.
GroupKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    """One burn-rate condition as the generated rule evaluates it."""

    alert: str
    severity: str
    key: str  # the `slo_window` label of the generated rule: `1h`, or `1h/5m` when long windows repeat
    burn: Decimal
    threshold: Decimal
    long: int
    short: int
    for_: int
    min_failures: int = 0  # the bad events within `long` the rule's third term asks for; 0: no such term

    @property
    def limit(self) -> float:
        """The threshold as Prometheus reads it from the rule's text: the same float64."""
        return float(decimal_text(self.threshold))


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One generated alerting rule: its conditions joined with `or`, one `for`."""

    alert: str
    severity: str
    conditions: tuple[ConditionSpec, ...]
    for_: int


def condition_key(slo: Slo, condition: Condition) -> str:
    """How a report names a condition: its long window, or long/short when two conditions share the long window."""
    longs = [other.long for other in slo.alerting.conditions]
    key = prom_window(condition.long)
    return key if longs.count(condition.long) == 1 else f"{key}/{prom_window(condition.short)}"


def conditions_of(slo: Slo) -> list[ConditionSpec]:
    """The SLO's alert conditions in spec order; none when alerting is disabled."""
    if not slo.alerting.enabled:
        return []
    return [
        ConditionSpec(
            alert=slo.alerting.name,
            severity=dict(k.labels).get("severity", k.severity),
            key=condition_key(slo, k),
            burn=k.burn,
            threshold=sremath.threshold(k.burn, slo.objective),
            long=k.long,
            short=k.short,
            for_=k.for_ or 0,
            min_failures=queries.min_failures(slo, k),
        )
        for k in slo.alerting.conditions
    ]


def rules_of(slo: Slo) -> list[RuleSpec]:
    """The alerting rules the prometheus backend writes for the SLO's conditions, each with its `for`.

    `emit/alerts.severity_groups` says which conditions form a rule (one per
    severity, joined with `or`, the first one's `for`). tests/live/test_backtest_promtool.py
    checks this against the rules file the backend writes.
    """
    from ...emit.alerts import severity_groups

    specs = dict(zip(map(id, slo.alerting.conditions), conditions_of(slo)))
    if not specs:
        return []
    groups = severity_groups(slo)
    rules = []
    for group in groups:
        members = tuple(specs[id(k)] for k in group)
        rules.append(RuleSpec(members[0].alert, members[0].severity, members, members[0].for_))
    return rules


def no_data_for(slo: Slo) -> int | None:
    """The `for` of the SLO's NoData ticket (`absent(<5m ratio>)`), or None when it generates none."""
    return slo.alerting.no_data if slo.alerting.enabled and slo.alerting.no_data else None


def window_plan(slo: Slo, incident_window: int) -> tuple[list[int], dict[int, list[ConditionSpec]]]:
    """(windows read at every evaluation, {window read only as a long window: the conditions reading it}).

    A condition holds only where its short ratio is above its threshold, so a
    window that is only ever long is needed at those evaluations alone: the
    3d ticket window, most of the server's work, shrinks to the hours with errors.
    """
    conditions = conditions_of(slo)
    full = {incident_window} | {k.short for k in conditions}
    sparse: dict[int, list[ConditionSpec]] = {}
    for k in conditions:
        if k.long not in full:
            sparse.setdefault(k.long, []).append(k)
    return sorted(full), dict(sorted(sparse.items()))


def fastest_page(conditions: list[ConditionSpec]) -> ConditionSpec | None:
    """The page condition with the highest burn rate: its threshold marks an incident."""
    pages = [k for k in conditions if k.severity == "page"]
    return max(pages, key=lambda k: (k.burn, -k.long)) if pages else None


def with_min_failures(program: Program, count: int) -> Program:
    """The program with every page condition's `min_failures` set to `count`: `--min-failures`, "what if it were N?".

    Tickets keep theirs, and an `expr` SLO has no events to count (its pages stay unguarded).
    """
    def slo_with(slo: Slo) -> Slo:
        if isinstance(slo.indicator, ExprIndicator) and slo.slices is None:  # slices are countable
            return slo
        conditions = tuple(replace(k, min_failures=count) if k.severity == "page" else k
                           for k in slo.alerting.conditions)
        return replace(slo, alerting=replace(slo.alerting, conditions=conditions))

    return replace(program, services=tuple(replace(service, slos=tuple(map(slo_with, service.slos)))
                                           for service in program.services))


def guarded_windows(slo: Slo) -> list[int]:
    """The long windows in which some condition counts bad events for `min_failures`, sorted."""
    return sorted({k.long for k in conditions_of(slo) if k.min_failures})


@dataclass(frozen=True, slots=True)
class Withheld:
    """A stretch in which an alert would have fired on its burn-rate pairs alone, but `min_failures` held it back."""

    start: int
    end: int
    failures: float  # the most bad events counted at any evaluation of the stretch at which a pair held


@dataclass(frozen=True, slots=True)
class Fired:
    """When one condition or rule would have been firing."""

    alert: str
    severity: str
    label: str  # `page 1h/5m` for a condition, `page` for a rule
    long: int | None
    short: int | None
    intervals: tuple[Interval, ...]
    threshold: float | None = None  # the error ratio it fires above; None for a joined rule
    min_failures: int = 0  # a condition's; a joined rule's when its conditions agree, else the largest
    withheld: tuple[Withheld, ...] = ()


@dataclass(frozen=True, slots=True)
class Incident:
    """A stretch in which the burn rate exceeded the fastest page condition's, and how the pages met it."""

    start: int
    end: int  # last evaluation above the rate; `ongoing` when that is the end of the range
    ongoing: bool
    peak_burn: float
    detected: int | None  # seconds from start to the first page; None: no page
    reset: int | None  # seconds from the incident's end to the page's resolution; None: no page or still firing


@dataclass(frozen=True, slots=True)
class PeriodBudget:
    """A calendar SLO's budget left in one period of the replay: since its start, at its end or at `--to`."""

    start: int
    end: int  # the next period's start
    label: str  # the period's first local date, `2023-11-23`
    budget_remaining: float | None
    complete: bool  # the period ended within the replay (else: so far, at `--to`)


@dataclass(frozen=True, slots=True)
class Replay:
    """Everything the backtest found for one SLO (and one group value)."""

    slo_id: str
    group: dict[str, str]
    start: int
    end: int
    step: int
    objective: Decimal
    window: int
    conditions: tuple[Fired, ...]
    rules: tuple[Fired, ...]
    incident_burn: Decimal | None
    incidents: tuple[Incident, ...]
    noise: tuple[Interval, ...]  # page stretches no incident explains
    pages: tuple[Interval, ...]  # stretches in which any page alert fired
    tickets: tuple[Interval, ...]
    budget_remaining: float | None
    no_data: tuple[Interval, ...] = ()  # when the SLO's NoData ticket fired (an SLO-wide alert: the same for every group)
    grace: int = 0  # how long after an incident a page still counts as its page (the longest page short window)
    # Page stretches the burn-rate pairs alone would have sent, which no page sent overlaps: pages `min_failures` saved.
    saved: tuple[Withheld, ...] = ()
    # The incident window's error ratio at each evaluation, for the timeline chart.
    ratio: tuple[float | None, ...] = field(default=(), repr=False)
    # A calendar SLO: its period's name (`calendar day (UTC)`), and the budget of each period the replay reaches.
    period_name: str | None = None
    periods: tuple[PeriodBudget, ...] = ()
