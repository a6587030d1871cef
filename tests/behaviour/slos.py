"""Small IR builders for the Prometheus backend's tests: one service, SLOs with defaults applied."""

from __future__ import annotations

from decimal import Decimal

from slocompiler.core.errors import Span
from slocompiler.core.ir import (
    Alerting,
    Condition,
    ExprIndicator,
    Indicator,
    LatencyIndicator,
    Policy,
    PolicyRule,
    Program,
    Query,
    RatioIndicator,
    Service,
    Slo,
)
from slocompiler.core.sremath import default_conditions as sremath_defaults

SPAN = Span("specs/demo.slo", 1, 1)
DAY = 86400


def default_conditions(window: int) -> tuple[Condition, ...]:
    """The SRE Workbook defaults for a window, as lower.py applies them."""
    return tuple(
        Condition(sev, burn, None, long, short, None, (), (), SPAN)
        for sev, burn, long, short in sremath_defaults(window)
    )


def ratio(errors: str | None = 'http_requests_total{job="demo", code=~"5.."}', total: str = 'http_requests_total{job="demo"}',
          good: str | None = None, selectors: bool = True) -> RatioIndicator:
    """A ratio indicator; `selectors=False` marks the queries as `$window` expressions."""
    q = lambda text: None if text is None else Query(text, selectors, SPAN)  # noqa: E731
    return RatioIndicator(total=q(total), errors=q(errors), good=q(good), span=SPAN)  # type: ignore[arg-type]


def latency(histogram: str = 'http_request_duration_seconds_bucket{job="demo"}', le: str = "0.3") -> LatencyIndicator:
    """A latency indicator at bucket `le`."""
    return LatencyIndicator(Query(histogram, True, SPAN), le, Decimal(le) if le[0].isdigit() else None, SPAN)


def expr(text: str = "1 - avg_over_time(up{job=\"demo\"}[$window])") -> ExprIndicator:
    """An `expr` indicator."""
    return ExprIndicator(Query(text, False, SPAN), SPAN)


def slo(
    name: str = "availability",
    objective: str = "0.999",
    window: int = 30 * DAY,
    indicator: Indicator | None = None,
    group_by: tuple[str, ...] = (),
    conditions: tuple[Condition, ...] | None = None,
    alert_name: str | None = None,
    enabled: bool = True,
    no_data: int | None = 900,
    labels: tuple = (("team", "demo"),),
    alerting_labels: tuple = (),
    alerting_annotations: tuple = (),
    description: str | None = "Demo requests that do not fail",
    service: str = "demo",
) -> Slo:
    """An SLO of service `demo` with the defaults of LANGUAGE.md."""
    from slocompiler.core.conventions import alert_name_default

    alerting = Alerting(
        alert_name or alert_name_default(service, name), enabled, no_data,
        default_conditions(window) if conditions is None else conditions,
        alerting_labels, alerting_annotations, SPAN,
    )
    return Slo(
        name=name, id=f"{service}-{name}", description=description, objective=Decimal(objective), window=window,
        sla=None, group_by=group_by, indicator=indicator or ratio(), alerting=alerting, labels=labels,
        template=None, span=SPAN,
    )


def program(*slos: Slo, name: str = "demo", runbook: str | None = "https://runbooks.example.com/demo",
            dashboard: str | None = None, oncall: str | None = None, policy: Policy | None = None) -> Program:
    """A program of one service holding `slos`."""
    service = Service(
        name=name, description=None, owner="team-demo", oncall=oncall, tier="high", runbook=runbook,
        dashboard=dashboard, policy=policy, labels=(("team", "demo"),), slos=tuple(slos), span=SPAN,
    )
    return Program((service,))


def policy(*rules: tuple[str, str, str, int | None]) -> Policy:
    """A policy of `(metric, op, value, over seconds)` rules, each with a placeholder action."""
    return Policy("demo", None, tuple(
        PolicyRule(metric, op, Decimal(value), over, "act", (), SPAN) for metric, op, value, over in rules
    ), SPAN)
