"""`prometheus/<service>.test.yml`: promtool unit tests for every alert condition.

Each test feeds a constant error ratio from made-up counters and checks, once
every `for` has elapsed, exactly which conditions fire: just above a
condition's threshold it fires, at half its threshold and at the objective it
stays silent. Ratio 0 with no error series at all leaves the whole budget, and
no series at all raises the NoData ticket.
"""

from __future__ import annotations

from decimal import Decimal

from .. import conventions as c
from .. import sremath
from ..ir import Service, Slo
from ..queries import promql_string
from ..render import render
from ..units import decimal_text, prom_window
from . import prometheus as rules
from .series import Series, plan, series_text

SCRAPE_STEP = 15
EVALUATION_STEP = 60
EVENTS_PER_STEP = Decimal(1000)
# Margin after the longest `for` before the alerts are checked.
SETTLE = 3 * 60
# Ratios this close (relative) to a threshold are a coin toss in floating point.
TIE = Decimal("0.000001")


def tests_yaml(service: Service) -> str:
    """The test file of one service, through prometheus.test.yml.j2; SLOs whose inputs cannot be made up are listed in its header."""
    return render("prometheus.test.yml.j2", **tests_view(service))


def tests_view(service: Service) -> dict:
    """The test template's context: the document's data (`rule_files`, `tests`...) and the header's lines."""
    tests: list[dict] = []
    skipped: list[str] = []
    names = [s.alerting.name for s in service.slos]
    for slo in service.slos:
        if names.count(slo.alerting.name) > 1:
            skipped.append(f"{slo.id} (its alert name is shared with another SLO)")
            continue
        cases = slo_tests(service, slo)
        if cases is None:
            skipped.append(f"{slo.id} (no input series can be made up for its indicator's PromQL)")
            continue
        tests.extend(cases)
    return {
        "source": rules.source_comment(service),
        "skipped": [" ".join(line.splitlines()) for line in skipped],
        "rule_files": [c.prometheus_rules_path(service.name).split("/", 1)[1]],
        "evaluation_interval": prom_window(EVALUATION_STEP),
        "tests": tests,
    }


def thresholds(slo: Slo) -> list[Decimal]:
    """Each condition's error-ratio threshold, in condition order."""
    return [sremath.threshold(k.burn, slo.objective) for k in slo.alerting.conditions]


def _clear(ratio: Decimal, limits: list[Decimal]) -> Decimal:
    # Move the ratio off any threshold it would tie with.
    while any(abs(ratio - limit) <= limit * TIE for limit in limits):
        ratio = ratio * Decimal("0.99")
    return ratio


def probe_ratios(slo: Slo) -> list[tuple[Decimal, str]]:
    """(error ratio, why) pairs: no errors, the objective, and per condition just above and half its threshold."""
    limits = thresholds(slo)
    budget = slo.error_budget
    at_objective = _clear(budget, limits)
    objective = "at the objective" if at_objective == budget else "just inside the objective"
    wanted = [(Decimal(0), "no error series"), (at_objective, objective)]
    for condition, limit in zip(slo.alerting.conditions, limits):
        what = f"{condition.severity} {rules.condition_key(slo, condition)}"
        if limit < 1:
            above = limit * Decimal("1.1") if limit * Decimal("1.1") <= 1 else (limit + 1) / 2
            wanted.append((_clear(above, limits), f"just above the {what} threshold"))
        wanted.append((_clear(limit / 2, limits), f"half the {what} threshold"))
    seen: dict[Decimal, str] = {}
    for ratio, why in wanted:
        seen[ratio] = f"{seen[ratio]}; {why}" if ratio in seen else why
    return list(seen.items())


def slo_tests(service: Service, slo: Slo) -> list[dict] | None:
    """The test cases of one SLO, or None when its indicator has no made-up inputs."""
    inputs = plan(slo.indicator, slo.group_by)
    if inputs is None:
        return None
    alerts = _condition_alerts(service, slo)
    cases = [
        _ratio_case(service, slo, ratio, why, inputs.series(ratio, EVENTS_PER_STEP), alerts)
        for ratio, why in probe_ratios(slo)
    ]
    if slo.alerting.enabled and slo.alerting.no_data:
        cases.append(_no_data_case(service, slo))
    return cases


def _eval_time(seconds: int) -> int:
    return -(-seconds // EVALUATION_STEP) * EVALUATION_STEP


def _condition_alerts(service: Service, slo: Slo) -> list[tuple[Decimal, dict[str, str], dict[str, str]]]:
    """(threshold, labels, annotations) of each condition's alert, as Prometheus expands them; none when disabled."""
    if not slo.alerting.enabled:
        return []
    alerts = []
    for condition, limit in zip(slo.alerting.conditions, thresholds(slo)):
        key = rules.condition_key(slo, condition)
        labels = rules.alert_labels(service, slo, condition.severity, key, condition.labels)
        summary, description = rules.condition_text(slo, condition)
        alerts.append((limit, labels, rules.annotations(service, slo, summary, description, condition.annotations)))
    return alerts


def _ratio_case(service: Service, slo: Slo, ratio: Decimal, why: str, series: list[Series], alerts: list) -> dict:
    longest_for = max((k.for_ or 0 for k in slo.alerting.conditions), default=0)
    at = _eval_time(longest_for + SETTLE)
    steps = at // SCRAPE_STEP
    groups = {name: dict(series[0].labels)[name] for name in slo.group_by}
    expected = [
        {"exp_labels": {**groups, **labels}, "exp_annotations": notes} for limit, labels, notes in alerts if limit < ratio
    ]
    checks = [{"eval_time": prom_window(at), "alertname": slo.alerting.name, "exp_alerts": expected}]
    # With data, NoData stays silent: checked once, where the error series are missing too.
    if slo.alerting.no_data and ratio == 0:
        checks.append({"eval_time": prom_window(at), "alertname": rules.no_data_name(slo), "exp_alerts": []})
    case: dict = {
        "name": f"{slo.id}: error ratio {decimal_text(ratio)} ({why})",
        "interval": f"{SCRAPE_STEP}s",
        "input_series": [
            {"series": series_text(s.labels), "values": f"0+{decimal_text(s.increase)}x{steps}"} for s in series
        ],
        "alert_rule_test": checks,
    }
    if ratio == 0:
        # 0 errors over 1000 events is exactly 0; 1 - 0 / budget is exactly 1.
        selector = {**rules.slo_labels(slo, service), **groups}
        labels = ", ".join(f"{k}={promql_string(v)}" for k, v in selector.items())
        case["promql_expr_test"] = [
            {
                "expr": f'{c.BUDGET_REMAINING}{{{c.LABEL_SLO_ID}={promql_string(slo.id)}}}',
                "eval_time": prom_window(at),
                "exp_samples": [{"labels": f"{c.BUDGET_REMAINING}{{{labels}}}", "value": 1}],
            }
        ]
    return case


def _no_data_case(service: Service, slo: Slo) -> dict:
    assert slo.alerting.no_data is not None
    at = _eval_time(slo.alerting.no_data + SETTLE)
    labels = rules.no_data_labels(service, slo)
    notes = rules.no_data_annotations(service, slo)
    return {
        "name": f"{slo.id}: no series at all for {prom_window(at)}",
        "interval": f"{SCRAPE_STEP}s",
        "input_series": [],
        "alert_rule_test": [
            {
                "eval_time": prom_window(at),
                "alertname": rules.no_data_name(slo),
                "exp_alerts": [{"exp_labels": labels, "exp_annotations": notes}],
            },
            {"eval_time": prom_window(at), "alertname": slo.alerting.name, "exp_alerts": []},
        ],
    }

