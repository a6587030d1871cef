"""The on-call cases of `prometheus/<service>.test.yml`: what `min_failures` is for.

One and two failed requests of a quiet service (1 request a minute) must
page nobody; a 30-minute outage of a busy one (2 requests a second) must
page within three minutes (plus the page's `for`). Samples every minute,
whatever the file's evaluation interval; history.py predicts each case, and
a case it cannot predict, or that a spec's own conditions make moot, is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..core import conventions as c
from ..core import queries
from ..core.ir import Service, Slo
from ..core.queries import promql_string
from ..core.units import format_duration, prom_window
from . import alerts
from .history import Phases, Tie, rule_value
from .series import Plan, plan, series_text

MINUTE = 60
QUIET = 3600  # an hour without errors first, so the long windows hold real traffic
QUIET_RATE = Decimal(1)  # requests a minute
BUSY_RATE = Decimal(120)
OUTAGE = 30 * MINUTE
DETECTION = 3 * MINUTE
WATCH = 20 * MINUTE  # how long after the failures nothing may page


def oncall_cases(service: Service, slo: Slo, step: int, values: Callable[[list, list[int]], str]) -> list[dict]:
    """The cases of one SLO whose page conditions count failures; none without such a page.

    `values(increases, steps)` writes a counter's values in promtool's notation (promtest.py).
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
        cases.append(_case(slo, inputs, phases, BUSY_RATE, values,
                           f"a 30m outage of a service at 2 requests a second pages within"
                           f" {format_duration(at - start)}", checks))
    return cases


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
                 **{k: v for k, v in {**groups, **labels}.items() if v != ""}}
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
