"""The `policy` target: `policies/<service>.yaml`, a machine-readable error-budget policy.

The file's shape is `schemas/policy.schema.json`; a release gate reads it, so
every field is always present (null when unset) and keys keep a fixed order.
"""

from __future__ import annotations

from .. import conventions, sremath
from ..ir import PolicyRule, Program, Service, Slo
from ..render import one_line, render
from ..units import decimal_text, format_duration, human_duration, percent_text

SCHEMA = "policy.schema.json"
METRIC_BUDGET_REMAINING = "budget_remaining"


def slo_view(slo: Slo) -> dict[str, object]:
    """One SLO: objective, window and error budget as ratio and as time, where to read it."""
    seconds = sremath.budget_seconds(slo.objective, slo.window)
    return {
        "name": slo.name,
        "id": slo.id,
        "description": slo.description,
        "objective": decimal_text(slo.objective),
        "objective_text": percent_text(slo.objective),
        "sla": "null" if slo.sla is None else decimal_text(slo.sla),
        "window_seconds": str(slo.window),
        "window_text": format_duration(slo.window),
        "budget_ratio": decimal_text(slo.error_budget),
        "budget_seconds": decimal_text(seconds),
        "budget_text": human_duration(seconds),
        "selector": [(conventions.LABEL_SLO_ID, slo.id)],
        "budget_remaining": conventions.BUDGET_REMAINING,
        "period_burn_rate": conventions.PERIOD_BURN_RATE,
        "current_burn_rate": conventions.CURRENT_BURN_RATE,
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


def service_view(service: Service) -> dict[str, object]:
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
        "slos": [slo_view(slo) for slo in service.slos],
        "policy": None if policy is None else {
            "name": policy.name,
            "description": policy.description,
            "rules": [rule_view(rule) for rule in policy.rules],
        },
    }


def emit(program: Program) -> dict[str, str]:
    """`policies/<service>.yaml` for every service, with or without a policy."""
    return {
        f"policies/{service.name}.yaml": render("policy.yaml.j2", **service_view(service))
        for service in program.services
    }
