"""The `policy` target: `policies/<service>.yaml`, a machine-readable error-budget policy.

The file's shape is `schemas/policy.schema.json`; a release gate reads it, so
every field is always present (null when unset) and keys keep a fixed order.
"""

from __future__ import annotations

from ..core import conventions, sremath, timebase
from ..core.ir import Policy, PolicyRule, Program, Service, Slo
from ..core.units import decimal_text, format_duration, human_duration, percent_text
from . import policy_composite
from .render import one_line, render

SCHEMA = "policy.schema.json"
METRIC_BUDGET_REMAINING = "budget_remaining"
METRIC_BURN_RATE = "burn_rate"


def policy_windows(service: Service, slo: Slo) -> set[int]:
    """The `over` windows of the service policy's burn_rate rules, which the rules must record for this SLO.

    The SLO window is left out: the period group records that ratio already.
    """
    if service.policy is None:
        return set()
    windows = {rule.over for rule in service.policy.rules if rule.metric == METRIC_BURN_RATE and rule.over is not None}
    if slo.calendar is None:
        windows.discard(slo.window)
    return windows


def rule_series(rule: PolicyRule, slo: Slo) -> dict[str, str]:
    """The recorded series one `when` rule reads for an SLO, and the threshold in that series' own unit.

    `burn_rate ... over D` reads the error ratio over D, so its threshold is
    the burn rate times the error budget (2 x 0.001 = 0.002), exact: a gate
    compares the series with it and computes nothing.
    """
    if rule.metric == METRIC_BUDGET_REMAINING:
        series, threshold = conventions.BUDGET_REMAINING, rule.value
    elif rule.over is None:
        series, threshold = conventions.PERIOD_BURN_RATE, rule.value
    else:
        series, threshold = conventions.error_ratio_rule(rule.over), rule.value * slo.error_budget
    selector = f'{{{conventions.LABEL_SLO_ID}="{slo.id}"}}'
    over = "" if rule.over is None else f" over {format_duration(rule.over)}"
    return {
        "when": f"{rule.metric} {rule.op} {rule_value_text(rule)}{over}",
        "series": series,
        "operator": rule.op,
        "threshold": decimal_text(threshold),
        "query": f"{series}{selector} {rule.op} {decimal_text(threshold)}",
    }


def slo_view(slo: Slo, policy: Policy | None = None, program: Program | None = None,
             service: Service | None = None) -> dict[str, object]:
    """One SLO: objective, window and error budget as ratio and as time, where to read it.

    `program` fills in `member_of` and the members' services; `service`, each
    maintenance window's scope (`service` or `slo`).
    """
    seconds = sremath.budget_seconds(slo.objective, slo.window)
    return {
        "name": slo.name,
        "id": slo.id,
        "description": slo.description,
        "objective": decimal_text(slo.objective),
        "objective_text": percent_text(slo.objective),
        "sla": "null" if slo.sla is None else decimal_text(slo.sla),
        "window_seconds": str(slo.window),
        "window_text": timebase.window_text(slo),
        "calendar": calendar_view(slo),
        "budget_ratio": decimal_text(slo.error_budget),
        "budget_seconds": decimal_text(seconds),
        "budget_text": human_duration(seconds),
        "selector": [(conventions.LABEL_SLO_ID, slo.id)],
        "budget_remaining": conventions.BUDGET_REMAINING,
        "period_burn_rate": conventions.PERIOD_BURN_RATE,
        "current_burn_rate": conventions.CURRENT_BURN_RATE,
        "rules": [] if policy is None else [rule_series(rule, slo) for rule in policy.rules],
        "composite": policy_composite.composite_view(slo, program),
        "member_of": policy_composite.member_of(slo, program),
        "maintenance": [policy_composite.maintenance_view(window, service) for window in slo.maintenance],
    }


def calendar_view(slo: Slo) -> dict[str, object] | None:
    """A calendar SLO's period: unit, zone, and its shortest and longest length with the budget as time of each.

    `window.seconds` and `error_budget.seconds` are the nominal period's
    (30 days for a month), what the burn-rate thresholds use; a gate reading
    `budget_remaining` reads the current period's budget, since its start.
    """
    if slo.calendar is None:
        return None
    lengths = timebase.period_lengths(slo.calendar, slo.timezone)
    return {
        "period": slo.calendar,
        "timezone": slo.timezone,
        "lengths": [
            {"name": name, "seconds": str(span), "text": timebase.length_words(span),
             "budget_seconds": decimal_text(sremath.budget_seconds(slo.objective, span)),
             "budget_text": human_duration(sremath.budget_seconds(slo.objective, span))}
            for name, span in zip(("shortest", "longest"), lengths)
        ],
    }


def rule_value_text(rule: PolicyRule) -> str:
    """As the spec wrote it: `50%` for budget_remaining, `2` for burn_rate."""
    if rule.metric == METRIC_BUDGET_REMAINING:
        return percent_text(rule.value)
    return decimal_text(rule.value)


def rule_view(rule: PolicyRule) -> dict[str, object]:
    """One `when` rule; `value` is a ratio for budget_remaining, a burn rate otherwise."""
    return {
        "metric": rule.metric,
        "operator": rule.op,
        "value": decimal_text(rule.value),
        "value_text": rule_value_text(rule),
        "over_seconds": None if rule.over is None else str(rule.over),
        "over_text": None if rule.over is None else format_duration(rule.over),
        "action": rule.action,
        "notify": list(rule.notify),
        "blocks": list(rule.blocks),
    }


def service_view(service: Service, program: Program | None = None) -> dict[str, object]:
    """The template's whole context for one service."""
    policy = service.policy
    return {
        "source_comment": one_line(service.source),
        "source": service.source,
        "service": service.name,
        "description": service.description,
        "owner": service.owner,
        "oncall": service.oncall,
        "tier": service.tier,
        "runbook": service.runbook,
        "dashboard": service.dashboard,
        "slos": [slo_view(slo, policy, program, service) for slo in service.slos],
        "policy": None if policy is None else {
            "name": policy.name,
            "description": policy.description,
            "rules": [rule_view(rule) for rule in policy.rules],
        },
    }


def emit(program: Program) -> dict[str, str]:
    """`policies/<service>.yaml` for every service, with or without a policy."""
    return {
        conventions.policy_path(service.name): render("policy.yaml.j2", **service_view(service, program))
        for service in program.services
    }
