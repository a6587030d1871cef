"""The on-call cases of `prometheus/<service>.test.yml`: what `min_failures` is for.

One and two failed requests of a quiet service (1 request a minute) must
page nobody; a 30-minute outage of a busy one (2 requests a second) must
page within three minutes (plus the page's `for`), and keep paging when
the process then vanishes mid-outage. Samples every minute,
whatever the file's evaluation interval; history.py predicts each case, and
a case it cannot predict, or that a spec's own conditions make moot, is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..core import conventions as c
from ..core import queries, sremath
from ..core.ir import Service, Slo
from ..core.queries import promql_string
from ..core.units import format_duration, prom_window
from . import alerts
from .expected import expected_alerts, present, rule_texts
from .history import Phases, Tie, rule_value, window_ratio
from .series import Plan, plan, series_text

MINUTE = 60
QUIET = 3600  # an hour without errors first, so the long windows hold real traffic
QUIET_RATE = Decimal(1)  # requests a minute
BUSY_RATE = Decimal(120)
OUTAGE = 30 * MINUTE
DETECTION = 3 * MINUTE
TILE = 5 * MINUTE
WATCH = 20 * MINUTE  # how long after the failures nothing may page


def oncall_cases(service: Service, slo: Slo, step: int, values: Callable[[list, list[int]], str],
                 shared: bool = False) -> list[dict]:
    """The cases of one SLO whose page conditions count failures; none without such a page.

    `values(increases, steps)` writes a counter's values in promtool's notation (promtest.py).
    `shared`: another SLO has the same alert name, so only `ALERTS` (by `slo_id`) tells this one's alerts apart.
    """
    if not slo.alerting.enabled:
        return []
    pages = [group for group in alerts.severity_groups(slo) if group[0].severity == "page"]
    if not pages or not any(queries.min_failures(slo, k) for k in pages[0]):
        return []
    inputs = plan(slo.indicator, slo.group_by)
    if not isinstance(inputs, Plan):  # none, or a threshold SLO's gauges (issue 24: not yet)
        return []
    page = pages[0]
    labels = alerts.alert_labels(service, slo, "page", page[0].labels)
    series = inputs.series(Decimal(0), Decimal(1))
    groups = {label: dict(series[0].labels)[label] for label in slo.group_by}
    cases = []
    for failures in (1, 2):
        # The failures land together in the minute before an evaluation, two minutes apart.
        first = QUIET + step - MINUTE * 2 * (failures - 1)
        phases: Phases = [(Decimal(0), first - MINUTE)]
        for number in range(failures):
            phases += [(Decimal(1), MINUTE)] + ([(Decimal(0), MINUTE)] if number < failures - 1 else [])
        phases.append((Decimal(0), WATCH))
        end = sum(length for _, length in phases)
        times = list(range(-(-first // step) * step, end + 1, step))
        if _any_fires(slo, page, phases, times, QUIET_RATE, step):
            continue
        what = "one failed request" if failures == 1 else "two failed requests"
        checks = [_alerts_check(slo, labels, groups, t, firing=False) for t in times]
        cases.append(_case(slo, inputs, phases, QUIET_RATE, values,
                           f"{what} of a service at 1 request a minute pages nobody (min_failures)", checks))
    start = QUIET + step - DETECTION % step if DETECTION % step else QUIET
    hold = page[0].for_ or 0
    at = -(-(start + DETECTION + hold) // step) * step
    phases = [(Decimal(0), start), (Decimal(1), OUTAGE)]
    try:
        fires = all(rule_value(slo, page, phases, t, MINUTE, BUSY_RATE, step) is not None
                    for t in range(at - hold, at + 1, step))
    except Tie:
        fires = False
    if fires:
        checks = [_alerts_check(slo, labels, groups, at, firing=True)]
        name = f"a 30m outage of a service at 2 requests a second pages within {format_duration(at - start)}"
        case = _case(slo, inputs, phases, BUSY_RATE, values, name, checks)
        # On a grid finer than 5m (a service with 1m slices) the derived windows add up overlapping 5m rates,
        # whose first minutes Prometheus extrapolates: history.py predicts their figures on a 5m grid only.
        text_checked = not shared and step % TILE == 0
        case["alert_rule_test"] = _alert_text_check(service, slo, phases, at, step, groups) if text_checked else []
        cases.append(case)
        cases += _vanish_case(slo, page, inputs, phases, values, labels, groups, step)
    return cases


def _vanish_case(slo: Slo, page: tuple, inputs: Plan, phases: Phases, values: Callable[[list, list[int]], str],
                 labels: dict[str, str], groups: dict[str, str], step: int) -> list[dict]:
    """The busy outage, then the process vanishes (every series stale): the page holds (`pairs.held`).

    Predictable when the page fires at the last sample and the first pair's
    long ratio is well above its threshold (the last ratio recorded, minutes
    later from fewer samples, stays above it); checked at every evaluation
    from then on for up to WATCH, well inside the hold's `long` window.
    """
    end = sum(length for _, length in phases)
    first = page[0]
    span = min(WATCH, first.long - 3 * DETECTION)
    try:
        firing = rule_value(slo, page, phases, end, MINUTE, BUSY_RATE, step) is not None
        long_ratio = window_ratio(phases, end, first.long, MINUTE)
    except Tie:
        return []
    limit = sremath.threshold(first.burn, slo.objective)
    if not alerts.holds(page) or not firing or span <= 0 or long_ratio is None or long_ratio < 2 * limit:
        return []
    times = range(-(-end // step) * step, end + span + 1, step)
    checks = [_alerts_check(slo, labels, groups, t, firing=True) for t in times]
    case = _case(slo, inputs, phases, BUSY_RATE, values,
                 "an outage, then the process vanishes: the page does not resolve", checks)
    for series in case["input_series"]:
        series["values"] += " stale"
    return [case]


def _alert_text_check(service: Service, slo: Slo, phases: Phases, at: int, step: int,
                      groups: dict[str, str]) -> list[dict]:
    """The page (and any ticket), summary and description as Prometheus expands them; none when a figure ties."""
    try:
        expected = expected_alerts(slo, rule_texts(service, slo), phases, at, step, groups, MINUTE, BUSY_RATE)
    except Tie:
        return []
    return [{"eval_time": prom_window(at), "alertname": slo.alerting.name, "exp_alerts": expected}]


def _any_fires(slo: Slo, page: tuple, phases: Phases, times: list[int], rate: Decimal, step: int) -> bool:
    """Whether the page rule (or a tie) could be firing at any of `times`: then the case proves nothing."""
    try:
        return any(rule_value(slo, page, phases, t, MINUTE, rate, step) is not None for t in times)
    except Tie:
        return True


def _alerts_check(slo: Slo, labels: dict[str, str], groups: dict[str, str], at: int, firing: bool) -> dict:
    """A promql_expr_test on `ALERTS`: the page of this SLO firing at `at`, or not."""
    severity = labels[c.LABEL_SEVERITY]
    selector = (f'{c.ALERTS_SERIES}{{{c.LABEL_ALERT_NAME}={promql_string(slo.alerting.name)}, '
                f'{c.LABEL_ALERT_STATE}="firing", {c.LABEL_SLO_ID}={promql_string(slo.id)}, '
                f'{c.LABEL_SEVERITY}={promql_string(severity)}}}')
    samples = []
    if firing:
        found = {c.LABEL_ALERT_NAME: slo.alerting.name, c.LABEL_ALERT_STATE: "firing",
                 **present({**groups, **labels})}
        inside = ", ".join(f"{k}={promql_string(v)}" for k, v in found.items())
        samples.append({"labels": f"{c.ALERTS_SERIES}{{{inside}}}", "value": 1})
    return {"expr": selector, "eval_time": prom_window(at), "exp_samples": samples}


def _case(slo: Slo, inputs: Plan, phases: Phases, per_minute: Decimal, values: Callable[[list, list[int]], str],
          name: str, checks: list[dict]) -> dict:
    steps = [length // MINUTE for _, length in phases]
    per_phase = [inputs.increases(ratio, per_minute) for ratio, _ in phases]
    input_series = [
        {"series": series_text(tuple(sorted(labels.items()))), "values": values([p[i] for p in per_phase], steps)}
        for i, labels in enumerate(inputs.labels)
    ]
    return {
        "name": f"{slo.id}: {name}",
        "interval": prom_window(MINUTE),
        "input_series": input_series,
        "alert_rule_test": [],
        "promql_expr_test": checks,
    }
