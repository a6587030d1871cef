"""Each SLO's state at a time: error ratios per window, SLI, budget left, alert conditions, policy rules.

Ratios come from the recorded `slo:sli_error:ratio_rate<W>` series where the
generated rules are deployed (one batched query for every SLO), else from the
indicator's own series (one query per SLO and window), both traffic-weighted,
as the generated rules compute them. A calendar SLO's SLO window is the
period in progress at `--at` (`periods.py`): `slo:sli_error:ratio_period`,
or the same from its own series since the period start.
"""

from __future__ import annotations

import dataclasses
import math
import operator
from dataclasses import dataclass, field
from decimal import Decimal

from ..core import conventions as c
from ..core import composites, maintenance, queries, slices, sremath
from ..core.composites import counted
from ..core.ir import (
    Condition,
    ExprIndicator,
    Program,
    LatencyIndicator,
    PolicyRule,
    Query,
    RatioIndicator,
    Service,
    Slo,
    ThresholdIndicator,
)
from ..core.units import decimal_text, format_duration, percent_text, prom_window
from . import clusters, composite, periods
from . import silence as member_silence
from .client import Prometheus
from .outside import outside_maintenance
from .periods import PERIOD, Period
from .readings import IDLE, NO_RECORDED_SERIES, NO_SERIES, GroupKey, Reading, by_group, divide, group_key, reading, single
from .subqueries import over_time

COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
# How often Prometheus evaluates the recorded 5m rates the period rule sums
# (the global evaluation_interval's usual value).
RULE_INTERVAL = 60


@dataclass
class AlertState:
    """One alert condition: does it hold now (and has it for its `for`)?"""

    condition: Condition
    alert: str
    threshold: Decimal
    firing: bool = False
    reason: str | None = None  # why the condition cannot be evaluated: a window without data


@dataclass
class PolicyState:
    """One policy rule: the figure it reads and whether it applies."""

    rule: PolicyRule
    when: str
    window: int
    figure: float | None
    applies: bool

    @property
    def has_data(self) -> bool:
        return self.figure is not None


@dataclass
class GroupState:
    """One SLO, or one value of its `group_by` labels."""

    group: dict[str, str]
    ratios: dict[int, float | None]
    missing: dict[int, str] = field(default_factory=dict)  # window -> why its ratio is unknown
    sli: float | None = None
    budget_remaining: float | None = None
    burn: dict[int, float | None] = field(default_factory=dict)
    alerts: list[AlertState] = field(default_factory=list)
    policy: list[PolicyState] = field(default_factory=list)
    # A composite's members over its SLO window: what each adds to its ratio (composite.Contribution).
    members: list[composite.Contribution] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return self.sli is not None


@dataclass
class SloState:
    """An SLO's groups and where its figures came from (`recorded`, `raw` or `mixed`)."""

    service: Service
    slo: Slo
    groups: list[GroupState]
    source: str
    period: Period | None = None  # a calendar SLO's period in progress at --at, which its SLO-window figures cover
    maintenance: MaintenanceState | None = None  # the window in progress at --at, else the next one


@dataclass(frozen=True)
class MaintenanceState:
    """One occurrence of a maintenance window: [start, end), until when the rules stay quiet (end + 5m: the last 5m
    rate or slice that holds one of its events), and whether --at falls before that."""

    name: str
    start: int
    end: int
    now: bool
    quiet_until: int


def maintenance_at(slo: Slo, at: float) -> MaintenanceState | None:
    """The SLO's maintenance in progress at `at` (its 5m pad included), else the next to start (None: none to come)."""
    pad = slices.current_window(slo)
    found = [(occurrence, window.name) for window in slo.maintenance
             if (occurrence := maintenance.next_occurrence(window, at - pad)) is not None]
    if not found:
        return None
    (start, end), name = min(found)
    return MaintenanceState(name, start, end, start <= at < end + pad, end + pad)


def rule_when(rule: PolicyRule) -> str:
    """The rule as the spec wrote it: `budget_remaining <= 0%`, `burn_rate > 2 over 7d`."""
    value = percent_text(rule.value) if rule.metric == "budget_remaining" else decimal_text(rule.value)
    text = f"{rule.metric} {rule.op} {value}"
    return text + (f" over {format_duration(rule.over)}" if rule.over is not None else "")


def rule_window(rule: PolicyRule, slo: Slo) -> int:
    """The window a rule reads: its `over`, else the SLO window (a calendar SLO's: its current period, `PERIOD`)."""
    return rule.over if rule.metric == "burn_rate" and rule.over is not None else periods.slo_window(slo)


def alert_conditions(slo: Slo) -> tuple[Condition, ...]:
    """The conditions that become alerting rules: none when alerting is disabled."""
    return slo.alerting.conditions if slo.alerting.enabled else ()


def windows(service: Service, slo: Slo) -> list[int]:
    """Every window status reports: each condition's long and short, policy `over`s, the SLO window (or `PERIOD`)."""
    found = {periods.slo_window(slo)}
    for condition in slo.alerting.conditions:
        found.update((condition.long, condition.short))
    for rule in service.policy.rules if service.policy else ():
        found.add(rule_window(rule, slo))
    return sorted(found)


def raw_ratio(slo: Slo, window: int, program: Program | None = None,
              silent: member_silence.Silent | None = None) -> str:
    """The error ratio over `window` from the indicator's own series, as the generated rules compute it.

    Below 2h, a plain `rate` ratio over the window: the rules' tiles of 5m
    rates (`queries.tiled_ratio`) add up to it. The SLO window's rule sums
    5m event rates recorded each minute, and so do the rules of windows from
    2h on (`queries.derived_ratio`): their
    figure is a subquery over the same 5m rates, not a plain rate over the
    window. The two differ by minutes of lag, which an outage now makes visible.
    A composite's members' silent shares of the window: `silent` (live/silence.py).
    """
    five = c.CURRENT_BURN_WINDOW
    if slo.is_composite:
        return composite_ratio(program, slo, lambda member: raw_ratio(member, window, program, silent),
                               None if silent is None else (lambda member: silent(slo, member)))
    if slo.slices is not None:
        return slices.raw_bad_ratio(slo, window, slice_value(slo))
    assert window != PERIOD, "a calendar period's ratio needs its bounds: periods.raw_ratio"
    rolling_slo_window = periods.is_rolling_slo_window(slo, window)
    if not rolling_slo_window and window < c.DERIVED_WINDOW_FROM:
        plain = queries.error_ratio(slo.indicator, window, slo.group_by)
        if not slo.maintenance or window == five:
            return outside_maintenance(slo, plain)
        # The rules' tiles of 5m rates: all there without maintenance in the window, else their derived sum.
        derived = raw_ratio_derived(slo, window)
        return f"{outside_maintenance(slo, plain, window)}\nor\n{derived}"
    if isinstance(slo.indicator, ExprIndicator):
        # No event counts to weigh by: the rules average the 5m ratios that are numbers.
        known = f"{outside_maintenance(slo, queries.error_ratio(slo.indicator, five, slo.group_by))} >= 0"
        return over_time("avg", known, window, RULE_INTERVAL)
    bad = outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or "")
    total = outside_maintenance(slo, queries.total_events(slo.indicator, five, slo.group_by) or "")
    if rolling_slo_window:
        return f"{over_time('sum', bad, window, RULE_INTERVAL)}\n/\n{over_time('sum', total, window, RULE_INTERVAL)}"
    return queries.derived_ratio(lambda span: f"({bad}){_span(span)}", lambda span: f"({total}){_span(span)}", window)


def raw_ratio_derived(slo: Slo, window: int) -> str:
    """The derived ratio (`queries.derived_ratio`) of 5m rates outside maintenance, as the rules fall back to."""
    five = c.CURRENT_BURN_WINDOW
    if isinstance(slo.indicator, ExprIndicator):
        known = f"{outside_maintenance(slo, queries.error_ratio(slo.indicator, five, slo.group_by))} >= 0"
        return f"avg_over_time(({known}){_span(window)})"
    bad = outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or "")
    total = outside_maintenance(slo, queries.total_events(slo.indicator, five, slo.group_by) or "")
    return queries.derived_ratio(lambda span: f"({bad}){_span(span)}", lambda span: f"({total}){_span(span)}", window)


def composite_ratio(program: Program | None, slo: Slo, member_ratio, silent=None) -> str:
    """A composite's ratio from its members' raw figures; a composite of slices only from its recorded series."""
    if program is None:
        raise composite.CompositeError(f'composite "{slo.id}": its members are not known here')
    if slo.slices is not None:  # a slice is bad when any member's is: no sum of member ratios says that
        raise composite.CompositeError(COMPOSITE_SLICES)
    return composite.ratio_promql(program, slo, member_ratio, silent)


COMPOSITE_SLICES = "a composite of time slices is read from its recorded series only (--source recorded)"


def slice_value(slo: Slo) -> str:
    """A slice SLO's last-slice error ratio from its own series, `no_data` applied, as `slo:slice_error:ratio` records it."""
    assert slo.slices is not None
    value = slices.raw_value(slo, queries.error_ratio(slo.indicator, slo.slices.length, slo.group_by))
    # After no_data, as the rules: a slice in maintenance is skipped, even one `no_data = bad` counts.
    return outside_maintenance(slo, value, slices.current_window(slo))


def _span(seconds: int | None) -> str:
    """A subquery's range at the rules' evaluation interval, or nothing for the value now."""
    return "" if seconds is None else f"[{prom_window(seconds)}:{prom_window(RULE_INTERVAL)}]"


def recorded_selector(slo: Slo, window: int) -> str:
    """The deployed rule's series for one SLO and window (`PERIOD`: `slo:sli_error:ratio_period`)."""
    return queries.recorded(periods.ratio_rule(window), slo.id)


def fetch_recorded(client: Prometheus, at: float, ids: frozenset[str] | None = None) -> dict[str, dict[str, list]]:
    """Every recorded error ratio at `at` (calendar periods' too; of the SLOs `ids` only, when given), in one query:
    {rule name: {slo_id: [samples]}}. SLO ids are names: no regex character to escape."""
    of = f'=~"{"|".join(sorted(ids))}"' if ids else '!=""'
    expr = f'{{__name__=~"{c.ERROR_RATIO_PREFIX}.+|{c.PERIOD_RATIO}", {c.LABEL_SLO_ID}{of}}}'
    found: dict[str, dict[str, list]] = {}
    for sample in client.query(expr, at):
        name = sample.labels.get("__name__", "")
        found.setdefault(name, {}).setdefault(sample.labels.get(c.LABEL_SLO_ID, ""), []).append(sample)
    return found


def evaluate(client: Prometheus, selected: list[tuple[Service, Slo]], at: float, source: str = "auto",
             cluster_label: str | None = None, program: Program | None = None) -> list[SloState]:
    """The state of every selected SLO at `at` (per cluster where the recorded series carry `cluster_label`;
    `program`: where a composite's members are found)."""
    recorded = fetch_recorded(client, at) if source != "raw" else {}
    seen = clusters.seen(client, at, frozenset(slo.id for _, slo in selected), cluster_label) \
        if cluster_label and source != "raw" else {}
    found = clusters.raw_clusters(client, program, selected, cluster_label, at) \
        if cluster_label and source != "recorded" else {}
    where, raw_only = _cluster_plan(selected, recorded, seen, found, cluster_label, source, client.shown)
    selected = clusters.per_cluster(selected, recorded, cluster_label, where)
    clusters.check_apart(selected, recorded, client.shown)
    per_slo: list[dict[int, dict[GroupKey, Reading]]] = []
    absent: list[dict[int, str]] = []
    origins: list[set[str]] = []
    jobs: list[tuple[int, Slo, int]] = []
    for index, (service, slo) in enumerate(selected):
        results: dict[int, dict[GroupKey, Reading]] = {}
        why: dict[int, str] = {}
        used: set[str] = set()
        for window in windows(service, slo):
            samples = None if slo.id in raw_only else recorded.get(periods.ratio_rule(window), {}).get(slo.id)
            if samples is not None:
                results[window] = by_group(slo, samples)
                used.add("recorded")
            elif source == "recorded":
                results[window] = {}
                why[window] = NO_RECORDED_SERIES
                used.add("recorded")
            else:
                jobs.append((index, slo, window))
                used.add("raw")
        per_slo.append(results)
        absent.append(why)
        origins.append(used)
    answers = client.map(lambda job: raw_window(client, job[1], job[2], at, program), jobs)
    for (index, slo, window), found in zip(jobs, answers):
        per_slo[index][window] = found
    states = []
    for (service, slo), results, why, used in zip(selected, per_slo, absent, origins):
        groups = _groups(service, slo, results, why)
        states.append(SloState(service, slo, groups, used.pop() if len(used) == 1 else "mixed", periods.period_at(slo, at),
                               maintenance_at(slo, at)))
    if seen:
        _add_gone(client, states, seen, cluster_label or "", at)
    if program is not None:
        _member_contributions(client, program, states, recorded, source, at, cluster_label)
    _check_min_failures(client, states, at)
    _check_for_durations(client, states, at, program)
    return states


def _cluster_plan(selected: list[tuple[Service, Slo]], recorded: dict[str, dict[str, list]],
                  seen: dict[str, set[str]], found: dict[str, set[str]], label: str | None, source: str,
                  shown) -> tuple[dict[str, set[str]], set[str]]:
    """Per SLO, the clusters it is grouped by (`clusters.per_cluster`), and the SLOs `auto` reads wholly from raw.

    An SLO read from raw series is grouped by the clusters its own series
    come from (`found`). `auto` reads an SLO recorded per cluster wholly from
    raw when some cluster has its raw series and none of its recorded ones
    (rules not deployed there, its ruler down): recorded figures would leave
    that cluster out. Recorded series without the label (one global ruler)
    are the fleet's figure and stay. A composite is never split per cluster
    from raw series (its raw figures are the fleet's): LiveError instead.
    """
    where: dict[str, set[str]] = {}
    raw_only: set[str] = set()
    if not label:
        return where, raw_only
    for _, slo in selected:
        mine = clusters.recorded_clusters(slo, recorded, label)
        has_recorded = any(slo.id in by_slo for by_slo in recorded.values())
        labelled = bool(mine - {""} or seen.get(slo.id))
        extra = found.get(slo.id, set()) - mine
        missed = source == "auto" and has_recorded and labelled and bool(extra)
        from_raw = source == "raw" or (source == "auto" and not has_recorded) or missed
        if slo.is_composite:
            if extra and (from_raw or labelled):
                raise clusters.unread(slo, label, extra, shown)
            where[slo.id] = seen.get(slo.id, set())
            continue
        if missed:
            raw_only.add(slo.id)
        where[slo.id] = seen.get(slo.id, set()) | (found.get(slo.id, set()) if from_raw else set())
    return where, raw_only


def _add_gone(client: Prometheus, states: list[SloState], seen: dict[str, set[str]], label: str, at: float) -> None:
    """A row without data for each cluster that recorded an SLO's series within `clusters.LOOKBACK` but has none at
    `at`: the cluster that went dark (its ruler or remote write down) must not vanish from the gate."""
    gone = {state.slo.id: sorted(seen.get(state.slo.id, set()) - {g.group.get(label, "") for g in state.groups})
            for state in states if label in state.slo.group_by}
    gone = {slo_id: values for slo_id, values in gone.items() if values}
    if not gone:
        return
    last = clusters.last_seen(client, at, frozenset(gone), label)
    for state in states:
        if not gone.get(state.slo.id):
            continue
        # The empty row `_groups` makes when no series is there at all says nothing the gone clusters' rows don't.
        state.groups = [g for g in state.groups if g.group or g.has_data or len(g.missing) < len(g.ratios)]
        for value in gone[state.slo.id]:
            state.groups.append(_gone_group(state, label, value, last.get((state.slo.id, value))))


def _gone_group(state: SloState, label: str, value: str, last: float | None) -> GroupState:
    from .options import format_time

    when = f"last seen at {format_time(last)}" if last is not None else "seen"
    reason = f"{NO_SERIES} now: {when}, within the last {prom_window(clusters.LOOKBACK)}"
    every = windows(state.service, state.slo)
    group = GroupState({label: value}, {w: None for w in every}, {w: reason for w in every})
    _figures(state.service, state.slo, group, float(state.slo.error_budget))
    return group


def _member_contributions(client: Prometheus, program: Program, states: list[SloState],
                          recorded: dict[str, dict[str, list]], source: str, at: float,
                          cluster_label: str | None = None) -> None:
    """Each composite group's members over its SLO window: recorded where deployed (unless --source raw), else raw.

    A composite grouped per cluster reads its members per cluster too: each
    cluster's row explains its own figure, not the fleet's members.
    """
    jobs = [(state, member, member_slo) for state in states if state.slo.is_composite
            for member, member_slo in composite.members(program, state.slo)]

    def read(job) -> dict[GroupKey, Reading]:
        state, _, member_slo = job
        label = _cluster_of(state.slo, cluster_label)
        window = periods.slo_window(state.slo)
        samples = recorded.get(periods.ratio_rule(window), {}).get(member_slo.id)
        if samples is not None:
            if not composites.summed(member_slo) or window == periods.PERIOD:
                return by_group(_clustered(member_slo, label), samples)
            # Recorded per group: added up over its groups from its recorded 5m rates, as the composite's rules do
            # (a cluster's label stays).
            return by_group(_clustered(counted(member_slo), label),
                            client.query(composites.summed_ratio(member_slo, window), at))
        if source == "recorded":
            return {}
        return raw_window(client, _clustered(counted(member_slo), label), window, at, program, state.period)

    for state in states:
        for group in state.groups:
            group.members = []
    found: dict[int, list] = {}
    for (state, member, member_slo), readings in zip(jobs, client.map(read, jobs)):
        found.setdefault(id(state), []).append((member, member_slo, readings))
    silent = client.map(lambda state: _silent_shares(client, program, state, recorded, source, at),
                        [state for state in states if state.slo.is_composite])
    shares = dict(zip((id(state) for state in states if state.slo.is_composite), silent))
    for state in states:
        label = _cluster_of(state.slo, cluster_label)
        for group in state.groups:
            parts = []
            for member, member_slo, readings in found.get(id(state), []):
                if label:
                    readings = {key: r for key, r in readings.items()
                                if r.labels.get(label, "") == group.group.get(label, "")}
                ratio, reason = _member_reading(readings, source)
                parts.append((member, member_slo, ratio, reason))
            quiet = {member_id: _in_group(found_shares, label, group.group)
                     for member_id, found_shares in shares.get(id(state), {}).items()}
            group.members = composite.contributions(state.slo, parts, at, quiet, program) if parts else []


Shares = list[tuple[dict[str, str], float]]  # a member's silent share, per cluster behind a global view


def _silent_shares(client: Prometheus, program: Program, state: SloState, recorded: dict[str, dict[str, list]],
                   source: str, at: float) -> dict[str, Shares]:
    """Each member's silent share of the composite's SLO window (live/silence.py): from the composite's deployed
    series where its ratios are read recorded (one per cluster behind a global view), else replayed from the
    members' raw 5m ratios."""
    window = periods.slo_window(state.slo)
    members = member_silence.counting(state.slo)
    if not members or window == periods.PERIOD:  # a calendar composite averages its own 5m ratio: no share
        return {}
    if state.slo.id in recorded.get(periods.ratio_rule(window), {}):
        found = client.map(lambda member: client.query(member_silence.deployed(state.slo, member, window), at), members)
        return {member.slo_id: [(s.labels, s.value) for s in samples] for member, samples in zip(members, found)}
    if source == "recorded":
        return {}
    replayed = member_silence.raw_shares(client, program, state.slo, window, at,
                                         lambda member: raw_ratio(member, c.CURRENT_BURN_WINDOW, program))
    return {member_id: [({}, share)] for member_id, share in replayed.items()}


def _in_group(shares: Shares, label: str | None, group: dict[str, str]) -> float:
    """The share of the group's cluster (`label`), or the only one; 0 when it has none (deployed before it existed).

    The largest of a cluster's series, not their sum: two replicas of one Prometheus record the same silence. (The
    rules add a relabelled rule's old series to the new one; here, for a window after a label change, that reads
    low.)
    """
    if label:
        shares = [(labels, value) for labels, value in shares if labels.get(label, "") == group.get(label, "")]
    return max((value for _, value in shares), default=0.0)


def _cluster_of(slo: Slo, cluster_label: str | None) -> str | None:
    """The cluster label when the SLO is grouped by it (`clusters.per_cluster`), else None."""
    return cluster_label if cluster_label and cluster_label in slo.group_by else None


def _clustered(slo: Slo, label: str | None) -> Slo:
    """The SLO grouped by `label` too (None: as it is)."""
    if label is None or label in slo.group_by:
        return slo
    return dataclasses.replace(slo, group_by=(*slo.group_by, label))


def _member_reading(readings: dict[GroupKey, Reading], source: str) -> tuple[float | None, str | None]:
    """A member's figure for its composite: its ratio over all its groups (a grouped `expr` member's worst group),
    or why it has none."""
    ratio = composite.worst(r.ratio for r in readings.values())
    if ratio is not None:
        return ratio, None
    if any(r.reason == IDLE for r in readings.values()):  # its series are there, without traffic
        return math.nan, IDLE
    reasons = sorted({r.reason for r in readings.values() if r.reason})
    return None, "; ".join(reasons) or (NO_RECORDED_SERIES if source == "recorded" else NO_SERIES)


def raw_window(client: Prometheus, slo: Slo, window: int, at: float, program: Program | None = None,
               period: Period | None = None) -> dict[GroupKey, Reading]:
    """One SLO's error ratio over one window from its own series, by group.

    The SLO window's figure is the costly one (a subquery of 5m rates each
    minute over the window). `raw_ratio` evaluates the event total twice
    there (once for the `or 0 * total` fallback); asking for the numerator
    and the total apart and dividing here reads each series once: a third
    less work for the server, the same figure. A calendar SLO's period
    (`PERIOD`): since the start of the one in progress at `at`.
    """
    if window == PERIOD:
        period = period or periods.period_at(slo, at)
        assert period is not None
        try:
            return by_group(slo, client.query(period_ratio(program, slo, period, at), at))
        except composite.CompositeError as error:
            return {(): Reading({}, None, str(error))}
    if slo.is_composite:
        try:
            silent = None if program is None or slo.slices is not None else member_silence.raw_silent(
                client, program, slo, window, at, lambda member: raw_ratio(member, c.CURRENT_BURN_WINDOW, program))
            return by_group(slo, client.query(raw_ratio(slo, window, program, silent), at))
        except composite.CompositeError as error:
            return {(): Reading({}, None, str(error))}
    parts = period_parts(slo) if periods.is_rolling_slo_window(slo, window) and slo.slices is None else None
    if parts is None:
        return by_group(slo, client.query(raw_ratio(slo, window), at))
    numerator, total, is_good = parts
    numerator, total = outside_maintenance(slo, numerator), outside_maintenance(slo, total)
    counted = single(slo, client.query(over_time("sum", numerator, window, RULE_INTERVAL), at))
    result = {}
    for key, (labels, events, why) in single(slo, client.query(over_time("sum", total, window, RULE_INTERVAL), at)).items():
        # No numerator series for a group with traffic: no bad (or good) events, as the rules' `or 0 * total` says.
        _, part, part_why = counted.get(key, (labels, 0.0, None))
        if events is None or part is None:  # the server's series for this group disagree
            result[key] = Reading(labels, None, why or part_why)
        elif not (math.isfinite(events) and math.isfinite(part)):
            result[key] = Reading(labels, None, f"event counts that are not numbers ({part!r} of {events!r})")
        else:
            result[key] = reading(labels, divide(events - part if is_good else part, events))
    return result


def period_ratio(program: Program | None, slo: Slo, period: Period, at: float) -> str:
    """The error ratio since `period`'s start from raw series (a composite's: from its members' 5m ratios)."""
    if slo.is_composite:  # as its rules: the time average of its 5m ratio since the start (docs/PROMETHEUS.md)
        five = c.CURRENT_BURN_WINDOW
        return periods.time_average(composite_ratio(program, slo, lambda member: raw_ratio(member, five, program)),
                                    period, at)
    return periods.raw_ratio(slo, period, at)


def period_parts(slo: Slo) -> tuple[str, str, bool] | None:
    """The 5m numerator and total event rates of an SLO, and whether the numerator counts good events."""
    indicator = slo.indicator
    five = c.CURRENT_BURN_WINDOW
    total = queries.total_events(indicator, five, slo.group_by)
    if total is None:
        return None
    if isinstance(indicator, RatioIndicator):
        counted = indicator.errors or indicator.good
        assert counted is not None
        return queries.events(counted, five, slo.group_by), total, indicator.errors is None
    if isinstance(indicator, ThresholdIndicator):  # good samples, as the rules judge them
        return queries.good_events(indicator, five, slo.group_by) or "", total, True
    assert isinstance(indicator, LatencyIndicator)
    good = Query(queries.with_matcher(indicator.histogram.text, "le", indicator.le), True, indicator.histogram.span)
    return queries.events(good, five, slo.group_by), total, True


def _groups(service: Service, slo: Slo, results: dict[int, dict[GroupKey, Reading]], absent: dict[int, str]) -> list[GroupState]:
    """One GroupState per group seen in any window; a group missing from a window has no data there."""
    keys: dict[GroupKey, dict[str, str]] = {}
    for found in results.values():
        for key, found_reading in found.items():
            keys.setdefault(key, found_reading.labels)
    if not keys:
        keys[()] = {}
    budget = float(slo.error_budget)
    groups = []
    for key in sorted(keys):
        group = GroupState(keys[key], {})
        for window in windows(service, slo):
            found_reading = results.get(window, {}).get(key)
            ratio = found_reading.ratio if found_reading else None
            if ratio is not None and not math.isfinite(ratio / budget):
                ratio, reason = None, f"a ratio too large to compute with ({ratio:.3g})"
            else:
                reason = found_reading.reason if found_reading else absent.get(window, NO_SERIES)
            group.ratios[window] = ratio
            if ratio is None:
                group.missing[window] = reason or NO_SERIES
        _figures(service, slo, group, budget)
        groups.append(group)
    return groups


def _figures(service: Service, slo: Slo, group: GroupState, budget: float) -> None:
    """A group's SLI, budget left, burn rates, alert conditions and policy rules from its ratios."""
    ratios = group.ratios
    period = ratios.get(periods.slo_window(slo))
    if period is not None:
        group.sli = 1 - period
        group.budget_remaining = 1 - period / budget
    group.burn = {w: None if r is None else r / budget for w, r in ratios.items()}
    for condition in alert_conditions(slo):
        threshold = sremath.threshold(condition.burn, slo.objective)
        long, short = ratios.get(condition.long), ratios.get(condition.short)
        limit = float(threshold)
        holds = long is not None and short is not None and long > limit and short > limit
        unknown = [w for w in (condition.long, condition.short) if w in group.missing]
        reason = "; ".join(f"no data over {prom_window(w)} ({group.missing[w]})" for w in dict.fromkeys(unknown))
        group.alerts.append(AlertState(condition, slo.alerting.name, threshold, holds, reason or None))
    for rule in service.policy.rules if service.policy else ():
        window = rule_window(rule, slo)
        figure = group.budget_remaining if rule.metric == "budget_remaining" else group.burn.get(window)
        applies = figure is not None and COMPARE[rule.op](figure, float(rule.value))
        group.policy.append(PolicyState(rule, rule_when(rule), window, figure, applies))


def failures_query(slo: Slo, window: int, source: str) -> str:
    """The bad events within `window`, as the alert rules count them for `min_failures` (`queries.failures_within`)."""
    if slo.is_composite and source != "recorded":  # only a slice composite counts (queries.min_failures)
        raise composite.CompositeError(COMPOSITE_SLICES)
    if slo.slices is not None:  # bad slices
        recorded = source == "recorded"
        return slices.bad_slices_within(slo, window) if recorded else \
            slices.raw_bad_slices_within(slo, window, slice_value(slo))
    if source == "recorded":
        return queries.failures_within(slo.id, window)
    five = c.CURRENT_BURN_WINDOW
    bad = outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or "")
    return (f"sum_over_time(({bad}){_span(window)}) * {five}"
            f" / count_over_time(({bad}){_span(queries.INTERVAL_RANGE)})")


def _check_min_failures(client: Prometheus, states: list[SloState], at: float) -> None:
    """A condition holds only with at least `min_failures` bad events within its long window, as in the rules."""
    jobs = []
    for state in states:
        for group in state.groups:
            for alert in group.alerts:
                if alert.firing and queries.min_failures(state.slo, alert.condition):
                    jobs.append((state, group, alert))

    def counted(job: tuple[SloState, GroupState, AlertState]) -> bool:
        state, group, alert = job
        source = "recorded" if state.source == "recorded" else "raw"
        try:
            expr = failures_query(state.slo, alert.condition.long, source)
        except composite.CompositeError:
            return False  # no count: the condition cannot be shown to hold
        values = [s.value for s in client.query(expr, at)
                  if group_key(state.slo, s.labels) == group_key(state.slo, group.group)]
        return bool(values) and values[0] >= alert.condition.min_failures

    for job, enough in zip(jobs, client.map(counted, jobs)):
        job[2].firing = enough


def _check_for_durations(client: Prometheus, states: list[SloState], at: float, program: Program | None = None) -> None:
    """A condition with `for` fires only if it held at every minute of the last `for`."""
    jobs = []
    for state in states:
        for group in state.groups:
            for alert in group.alerts:
                if alert.firing and alert.condition.for_:
                    jobs.append((state, group, alert))
    if not jobs:
        return

    def held(job: tuple[SloState, GroupState, AlertState]) -> bool:
        state, group, alert = job
        condition, slo = alert.condition, state.slo
        ok = True
        for window in (condition.long, condition.short):
            try:
                source = recorded_selector(slo, window) if state.source == "recorded" else raw_ratio(slo, window, program)
            except composite.CompositeError:
                return False
            expr = f"min_over_time(({source} > bool {decimal_text(alert.threshold)})[{prom_window(condition.for_)}:1m])"
            values = [s.value for s in client.query(expr, at) if group_key(slo, s.labels) == group_key(slo, group.group)]
            ok = ok and bool(values) and values[0] == 1
        return ok

    for job, result in zip(jobs, client.map(held, jobs)):
        job[2].firing = result
