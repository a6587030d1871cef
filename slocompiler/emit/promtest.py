"""`prometheus/<service>.test.yml`: promtool unit tests for every alert rule.

Constant error ratios check the levels: just above a condition's threshold
its rule fires, at half its threshold and at the objective it stays silent.
Ratios that change over time check the windows: a burst that fills a
condition's short window but not its long one must not fire it, nor may an
outage that has ended longer ago than the short window (history.py predicts
each case exactly). Ratio 0 with no error series at all leaves the whole
budget, and no series at all raises the NoData ticket. SLOs that share an
alert name are checked through Prometheus's `ALERTS` series, by `slo_id`.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..core import conventions as c
from ..core import sremath
from ..core.composites import indicator as composite_indicator
from ..core.ir import Condition, Program, Service, Slo
from ..core.queries import promql_string
from ..core.units import decimal_text, format_duration, prom_window
from . import alert_text, alerts, rules
from .expected import RuleTexts, TextTie, expected_alerts, present, rule_texts
from .history import (
    MIN_EVENTS_PER_STEP,
    TIE,
    Phases,
    Tie,
    exact_ratio,
    grid_step,
    humanize_stable,
    samples_per_step,
    window_ratio,
)
from .promtest_calendar import calendar_cases
from .promtest_maintenance import before_maintenance, maintenance_cases
from .promtest_composite import composite_cases
from .promtest_oncall import oncall_cases
from .promtest_parts import checks, input_series, values
from .promtest_slices import slice_tests
from .render import render
from .series import Plan, SamplePlan, plan

# Samples and evaluations share one grid, as coarse as the windows allow (at
# most 5m): a test replaying 3d of history then stays fast.
LONGEST_STEP = 5 * 60
# Margin after the longest `for` before the alerts are checked.
SETTLE = 3 * 60
# Window cases replay the whole history through promtool; longer windows are left to the constant cases.
# (5 days at 5m steps, a day at 1m steps, which a `for = 2m` makes the grid.)
MAX_STEPS = 1440
# Window cases longer than this many steps are replayed once per service for SLOs of one indicator kind and the same
# conditions' windows (their window rules are built alike): every rule of the file, a calendar's period bounds too, is evaluated
# at every step of every case.
SHARED_STEPS = 360


def tests_yaml(service: Service, program: Program | None = None) -> str:
    """The test file of one service, through prometheus.test.yml.j2; SLOs whose inputs cannot be made up are listed in its header.

    `program`: where a composite's members are found (their rules files are loaded too).
    """
    return render("prometheus.test.yml.j2", **tests_view(service, program))


def tests_view(service: Service, program: Program | None = None) -> dict:
    """The test template's context: the document's data (`rule_files`, `tests`...) and the header's lines."""
    tests: list[dict] = []
    skipped: list[str] = []
    names = [s.alerting.name for s in service.slos]
    program = program or Program((service,))
    owners = {slo.id: owner for owner in program.services for slo in owner.slos}
    read = member_services(service, program)
    step = grid_step([slo for owner in (*read, service) for slo in owner.slos], LONGEST_STEP)
    known = rules.composites_of(program)
    replayed: set[tuple] = set()
    for slo in service.slos:
        if slo.is_composite:
            found = all(member.slo_id in owners for member in composite_indicator(slo).members)
            cases = composite_cases(owners, slo, step, _composite_at(owners, slo, step)) if found else None
            if not cases:
                skipped.append(f"{slo.id} (a composite: no member's inputs make a case; slice composites,"
                               " composites of composites, outages of slice members and maintenance at the cases'"
                               " time are not covered)")
            tests.extend(cases or [])
            continue
        cases = slo_tests(service, slo, step, shared=names.count(slo.alerting.name) > 1, replayed=replayed,
                           notes=skipped)
        if cases is None:
            skipped.append(f"{slo.id} (no input series can be made up for its indicator's PromQL)")
            continue
        tests.extend(cases)
    return {
        "source": rules.source_comment(service),
        "skipped": [" ".join(line.splitlines()) for line in skipped],
        "rule_files": [c.prometheus_rules_path(owner.name).split("/", 1)[1] for owner in (service, *read)],
        "evaluation_interval": prom_window(step),
        # promtool evaluates groups in a random order unless told: the predictions read the SLI group's
        # rates in the period group of the same step (a calendar SLO's labelled rates the other way round).
        # Members' groups first: a composite then reads its members' ratios of the same evaluation.
        "group_eval_order": [group["name"] for owner in (*read, service) for group in rules.rule_groups(owner, known)],
        "tests": tests,
    }


def member_services(service: Service, program: Program) -> list[Service]:
    """The other services whose SLOs this service's composites read, directly or through other composites."""
    owners = {slo.id: owner for owner in program.services for slo in owner.slos}
    found: dict[str, Service] = {}
    waiting = [slo for slo in service.slos if slo.is_composite]
    while waiting:
        for member in composite_indicator(waiting.pop()).members:
            owner = owners.get(member.slo_id)
            if owner is None or owner.name == service.name or owner.name in found:
                continue
            found[owner.name] = owner
            waiting += [slo for slo in owner.slos if slo.is_composite]
    return sorted(found.values(), key=lambda owner: owner.name)


def _composite_at(owners: dict[str, Service], slo: Slo, step: int) -> int:
    """When a composite case reads the alerts: after the longest `for` of the composite and its members."""
    slos = [slo, *(next(s for s in owners[m.slo_id].slos if s.id == m.slo_id) for m in composite_indicator(slo).members)]
    hold = max((k.for_ or 0 for one in slos for k in one.alerting.conditions), default=0)
    return _eval_time(hold + SETTLE + step, step)


def _percent(ratio: Decimal) -> str:
    """A ratio as a percentage in a case's name (`humanizePercentage`'s digits)."""
    return "%.4g%%" % float(ratio * 100)


def thresholds(slo: Slo) -> list[Decimal]:
    """Each condition's error-ratio threshold, in condition order."""
    return [sremath.threshold(k.burn, slo.objective) for k in slo.alerting.conditions]


def realize(slo: Slo, ratio: Decimal, up: bool = False) -> Decimal:
    """A ratio the inputs give exactly: 6 digits of events, or a share of the threshold SLO's gauges (rounded `up` or down)."""
    gauges = samples_per_step(slo)
    if not gauges:
        return exact_ratio(ratio)
    bad = (max(ratio, Decimal(0)) * gauges).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return (min(bad, gauges) / Decimal(gauges)).normalize()


def _clear(slo: Slo, ratio: Decimal, limits: list[Decimal], up: bool = False) -> Decimal:
    # Move the ratio off any threshold it would tie with, and off a rounding
    # edge of the summary's four significant digits; a ratio inputs can give
    # exactly (rounded down, so each step moves it; a gauge's share moves by one gauge).
    ratio = realize(slo, ratio, up)
    gauges = samples_per_step(slo)
    while any(abs(ratio - limit) <= limit * TIE for limit in limits) or not humanize_stable(ratio):
        if gauges:
            ratio = realize(slo, ratio + (1 if up else -1) / Decimal(gauges), up)
        else:
            ratio = exact_ratio(ratio * Decimal("0.99"))
    return ratio


def probe_ratios(slo: Slo) -> list[tuple[Decimal, str]]:
    """(error ratio, why) pairs: no errors, the objective, and per condition just above and half its threshold."""
    limits = thresholds(slo)
    budget = slo.error_budget
    at_objective = _clear(slo, budget, limits)
    objective = "at the objective" if at_objective == budget else "just inside the objective"
    none = "no bad samples" if samples_per_step(slo) else "no error series"
    wanted = [(Decimal(0), none), (at_objective, objective)]
    for condition, limit in zip(slo.alerting.conditions, limits):
        what = f"{condition.severity} {alert_text.pair_text(condition)}"
        if limit < 1:
            above = limit * Decimal("1.1") if limit * Decimal("1.1") <= 1 else (limit + 1) / 2
            wanted.append((_clear(slo, above, limits, up=True), f"just above the {what} threshold"))
        wanted.append((_clear(slo, limit / 2, limits), f"half the {what} threshold"))
    seen: dict[Decimal, str] = {}
    for ratio, why in wanted:
        seen[ratio] = f"{seen[ratio]}; {why}" if ratio in seen else why
    return list(seen.items())


def window_histories(slo: Slo, step: int) -> list[tuple[Phases, str]]:
    """Per condition, a burst that fills its short window only, and an outage that ended a short window ago.

    Other pairs of the same rule must not fire in its place, so the quiet
    spans last as long as the longest short window of that severity (P).
    The burst, 1.5x the threshold for one short window (plus `for`) after P
    without errors, stays under the threshold over the long window (or the
    whole history, when shorter). The outage, for 2P (plus `for`) then none
    for P, leaves the long window 1.5x above the threshold with every short
    one clean. Cutting the windows to 5m, or reading the long window for the
    short one, fires them. Histories stay a few short windows long, so
    promtool replays them fast; history.py predicts every rule in each.
    """
    if not slo.alerting.enabled:
        return []
    cases = []
    for condition, limit in zip(slo.alerting.conditions, thresholds(slo)):
        hold, short = condition.for_ or 0, condition.short
        quiet = max(k.short for k in slo.alerting.conditions if k.severity == condition.severity and k.short < condition.long)
        if (3 * quiet + hold) // step > MAX_STEPS:
            continue
        what = f"{condition.severity} {alert_text.pair_text(condition)}"
        burst, high = short + hold, realize(slo, min(limit * Decimal("1.5"), (limit + 1) / 2), up=True)
        cases.append(([(Decimal(0), quiet), (high, burst)],
                      f"{_percent(high)} errors for {format_duration(burst)} after {format_duration(quiet)}"
                      f" without: the {what} long window"))
        outage = 2 * quiet + hold
        share = window_ratio([(Decimal(1), outage), (Decimal(0), quiet)], outage + quiet, condition.long, quiet)
        assert share is not None
        higher = realize(slo, min(limit * Decimal("1.5") / share, (limit + 1) / 2), up=True)
        if higher * share > limit * Decimal("1.1"):
            cases.append(([(higher, outage), (Decimal(0), quiet)],
                          f"{_percent(higher)} errors for {format_duration(outage)}, then none for"
                          f" {format_duration(quiet)}: the {what} short window"))
        alone = _alone_history(slo, condition, limit, step)
        if alone is not None:
            cases.append((alone, f"just above its threshold for {format_duration(condition.long + hold)}: the {what} threshold alone"))
            quiet, length = alone[0][1], alone[1][1]
            high = realize(slo, min(limit * Decimal("1.5"), (limit + 1) / 2), up=True)
            cases.append(([(Decimal(0), quiet), (high, length), (Decimal(0), short)],
                          f"{_percent(high)} errors for {format_duration(length)}, then none for"
                          f" {format_duration(short)}: the {what} short window alone"))
    return cases


def _alone_history(slo: Slo, condition: Condition, limit: Decimal, step: int) -> Phases | None:
    """Just above the threshold for the long window (plus `for`), after quiet as long as the rule's longest window.

    Only for a condition that shares its rule with a lower threshold: any
    constant ratio above its own then fires the lower pair too, so nothing
    else tells its threshold from a looser one.
    """
    same = [k for k in slo.alerting.conditions if k.severity == condition.severity]
    if all(sremath.threshold(k.burn, slo.objective) >= limit for k in same if k is not condition):
        return None
    quiet, hold = max(k.long for k in same), condition.for_ or 0
    if (quiet + condition.long + hold) // step > MAX_STEPS:
        return None
    above = _clear(slo, limit * Decimal("1.1") if limit * Decimal("1.1") <= 1 else (limit + 1) / 2, thresholds(slo), up=True)
    return [(Decimal(0), quiet), (above, condition.long + hold)]


def slo_tests(service: Service, slo: Slo, step: int, shared: bool = False, replayed: set[tuple] | None = None,
              notes: list[str] | None = None) -> list[dict] | None:
    """The test cases of one SLO, or None when its indicator has no made-up inputs.

    `step`: the sampling and evaluation interval. `shared`: another SLO has the same alert name, so checks read `ALERTS` by `slo_id`.
    `replayed`: the window histories of more than SHARED_STEPS steps already in the file, by indicator kind,
    conditions' windows and history; this SLO's are added, and those already there left out.
    `notes`, when given, gets a line for the cases left out because they reach a maintenance window.
    """
    inputs = plan(slo.indicator, slo.group_by)
    if inputs is None:
        return None
    made_up = inputs.series(Decimal(0), Decimal(MIN_EVENTS_PER_STEP))
    groups = {label: dict(made_up[0].labels)[label] for label in slo.group_by}
    # A slice history's reset: every slice bad until the boundary, every one good after.
    whole_slices = lambda ratio, up: Decimal(1) if up else Decimal(0)  # noqa: E731
    calendar = calendar_cases(service, slo, step, lambda phases: input_series(inputs, phases, step), groups,
                              whole_slices if slo.slices else lambda ratio, up: realize(slo, ratio, up))
    if slo.slices is not None:
        cases = slice_tests(service, slo, step, shared, inputs)
        cases += ([_no_data_case(service, slo, step, shared)] if slo.alerting.enabled and slo.alerting.no_data
                  else []) + calendar
        return before_maintenance(slo, cases, notes)
    # A step more than the settling time: the period group (at the test's interval in promtool, whatever its own) then has a 5m rate to read.
    at = _eval_time(max((k.for_ or 0 for k in slo.alerting.conditions), default=0) + SETTLE + step, step)
    # Ratio 0 is where NoData is checked silent: only after its `for` could a wrong NoData rule be firing.
    # (Within the history cap: a no_data of days would make promtool replay them.)
    quiet_at = _eval_time(max(at, (slo.alerting.no_data or 0) + SETTLE), step) if slo.alerting.enabled else at
    quiet_at = max(at, min(quiet_at, MAX_STEPS * step))
    histories = [([(ratio, quiet_at if ratio == 0 else at)], f"error ratio {decimal_text(ratio)} ({why})")
                 for ratio, why in probe_ratios(slo)]
    cases = []
    texts = rule_texts(service, slo)
    windows = []
    for phases, name in window_histories(slo, step):
        # The same windows of the same pair over the same spans (the burns may differ with the objective).
        key = (slo.indicator.kind, tuple((k.severity, k.long, k.short, k.for_) for k in slo.alerting.conditions),
               tuple(length for _, length in phases), name.rsplit(": the ", 1)[-1])
        if replayed is not None and sum(length for _, length in phases) // step > SHARED_STEPS:
            if key in replayed:
                continue
            replayed.add(key)
        windows.append((phases, name))
    for phases, name in [*histories, *windows]:
        case = _history_case(service, slo, texts, inputs, phases, name, step, shared)
        if case is not None:
            cases.append(case)
    if slo.alerting.enabled and slo.alerting.no_data:
        cases.append(_no_data_case(service, slo, step, shared))
    cases = before_maintenance(slo, cases + oncall_cases(service, slo, step, values, shared) + calendar, notes)
    if slo.maintenance and isinstance(inputs, Plan):
        cases += maintenance_cases(service, slo, step, inputs, MAX_STEPS * step)
    return cases


def _eval_time(seconds: int, step: int) -> int:
    return -(-seconds // step) * step


def _history_case(service: Service, slo: Slo, texts: RuleTexts, inputs: Plan | SamplePlan, phases: Phases, name: str, step: int,
                  shared: bool) -> dict | None:
    at = sum(length for _, length in phases)
    series = inputs.series(Decimal(0), Decimal(MIN_EVENTS_PER_STEP))
    groups = {label: dict(series[0].labels)[label] for label in slo.group_by}
    try:
        expected = expected_alerts(slo, texts, phases, at, step, groups)
    except TextTie:
        # Which alerts fire is still checked, through `ALERTS`, which holds no annotations.
        expected = expected_alerts(slo, texts, phases, at, step, groups, annotated=False)
        shared = True
    except Tie:
        return None
    alert_tests, expr_tests = checks(slo, slo.alerting.name, at, expected, shared)
    constant_zero = len(phases) == 1 and phases[0][0] == 0
    # With data, NoData stays silent: checked once, where the error series are missing too.
    if slo.alerting.enabled and slo.alerting.no_data and constant_zero:
        more = checks(slo, alerts.no_data_name(slo), at, [], shared)
        alert_tests, expr_tests = alert_tests + more[0], expr_tests + more[1]
    if constant_zero:
        # 0 errors over any events is exactly 0; 1 - 0 / budget is exactly 1.
        selector = present({**c.slo_labels(slo, service), **groups})
        labels = ", ".join(f"{k}={promql_string(v)}" for k, v in selector.items())
        expr_tests.append({
            "expr": f"{c.BUDGET_REMAINING}{{{c.LABEL_SLO_ID}={promql_string(slo.id)}}}",
            "eval_time": prom_window(at),
            "exp_samples": [{"labels": f"{c.BUDGET_REMAINING}{{{labels}}}", "value": 1}],
        })
    case: dict = {
        "name": f"{slo.id}: {name}",
        "interval": prom_window(step),
        "input_series": input_series(inputs, phases, step),
        "alert_rule_test": alert_tests,
    }
    if expr_tests:
        case["promql_expr_test"] = expr_tests
    return case


def _no_data_case(service: Service, slo: Slo, step: int, shared: bool) -> dict:
    assert slo.alerting.no_data is not None
    at = _eval_time(slo.alerting.no_data + SETTLE, step)
    labels = present(alerts.no_data_labels(service, slo))
    notes = alerts.no_data_annotations(service, slo)
    name = alerts.no_data_name(slo)
    burning: list[dict] = []
    if slo.slices is not None and slo.slices.no_data != "skip" and not slo.group_by:
        # Without any series every slice counts as `no_data` says (with `bad` the burn alerts fire);
        # NoData watches the events, which are missing.
        burning = expected_alerts(slo, rule_texts(service, slo), [(None, at)], at, step, {}, slices=True)
    alert_tests, expr_tests = checks(slo, name, at, [{"exp_labels": labels, "exp_annotations": notes}], shared)
    more = checks(slo, slo.alerting.name, at, burning, shared)
    case: dict = {
        "name": f"{slo.id}: no series at all for {prom_window(at)}",
        "interval": prom_window(step),
        "input_series": [],
        "alert_rule_test": alert_tests + more[0],
    }
    if expr_tests or more[1]:
        case["promql_expr_test"] = expr_tests + more[1]
    return case
