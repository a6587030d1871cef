"""A small hand-made IR for backend tests that must not depend on the front end."""

from __future__ import annotations

from decimal import Decimal

from slocompiler.core.errors import Span
from slocompiler.core.ir import (
    Alerting,
    Condition,
    LatencyIndicator,
    Policy,
    PolicyRule,
    Program,
    Query,
    RatioIndicator,
    Service,
    Slo,
)

S = Span("specs/checkout.slo", 1, 1)


def _conditions(window: int) -> tuple[Condition, ...]:
    from slocompiler.core.sremath import default_conditions

    return tuple(
        Condition(sev, burn, None, long, short, None, (), (), S)
        for sev, burn, long, short in default_conditions(window)
    )


def program() -> Program:
    policy = Policy(
        "standard",
        "What we do as the budget runs out",
        (
            PolicyRule("budget_remaining", "<", Decimal("0.5"), None, "Reliability work first", (), S),
            PolicyRule("budget_remaining", "<=", Decimal("0"), None, "Freeze releases", ("#oncall", "leads@example.com"), S),
            PolicyRule("burn_rate", ">", Decimal("2"), 7 * 86400, "Review errors weekly", (), S),
        ),
        S,
    )
    availability = Slo(
        name="availability",
        id="checkout-availability",
        description='Checkout requests that do not "fail" | <script>',
        objective=Decimal("0.999"),
        window=30 * 86400,
        sla=Decimal("0.995"),
        group_by=(),
        indicator=RatioIndicator(
            total=Query('http_requests_total{job="checkout"}', True, S),
            errors=Query('http_requests_total{job="checkout", code=~"5.."}', True, S),
            good=None,
            span=S,
        ),
        alerting=Alerting("CheckoutAvailabilityErrorBudgetBurn", True, 900, _conditions(30 * 86400), (), (), S),
        labels=(("team", "payments"),),
        template=None,
        span=S,
    )
    latency = Slo(
        name="latency",
        id="checkout-latency",
        description=None,
        objective=Decimal("0.99"),
        window=28 * 86400,
        sla=None,
        group_by=("route",),
        indicator=LatencyIndicator(
            histogram=Query('http_request_duration_seconds_bucket{job="checkout"}', True, S),
            le="0.3",
            threshold_seconds=Decimal("0.3"),
            span=S,
        ),
        alerting=Alerting("CheckoutSlow", True, 900, _conditions(28 * 86400), (), (), S),
        labels=(("team", "payments"),),
        template=None,
        span=S,
    )
    service = Service(
        name="checkout",
        description="Cart to paid order",
        owner="team-payments",
        oncall="payments-primary",
        tier="critical",
        runbook="https://runbooks.example.com/checkout",
        dashboard=None,
        policy=policy,
        labels=(("team", "payments"),),
        slos=(availability, latency),
        span=S,
    )
    return Program((service,))
