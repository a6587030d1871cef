"""A handcrafted `slo report` JSON object (OUTPUTS.md, "Reports") and burn-down for the HTML tests: hostile strings included."""

from __future__ import annotations

FROM = 1793491200  # 2026-11-01T00:00:00Z
TO = 1796083200  # 2026-12-01T00:00:00Z
HOUR = 3600
DAY = 86400
SCRIPT = "<script>alert(1)</script>"
AMP = '"a&b"'

REPORT = {
    "period": {"from": FROM, "to": TO},
    "slos": [
        {
            "slo_id": "checkout-availability",
            "service": "checkout",
            "owner": AMP,
            "oncall": "payments-primary",
            "objective": 0.9995,
            "sla": 0.995,
            "sli": 0.99821,
            "budget_spent": 3.58,
            "met": False,
            "sla_met": True,
            "incidents": [
                {"start": FROM + 3 * DAY + 14 * HOUR, "end": FROM + 3 * DAY + 16 * HOUR, "budget_spent": 1.2},
                {"start": FROM + 17 * DAY + 2 * HOUR + 120, "end": FROM + 17 * DAY + 5 * HOUR, "budget_spent": 2.38},
            ],
            "pages": 3,
            "tickets": 1,
            "history": [
                {"from": FROM - 61 * DAY, "to": FROM - 31 * DAY, "sli": 0.99961},
                {"from": FROM - 31 * DAY, "to": FROM, "sli": 0.9999000000000001},
            ],
            "suggested_objective": 0.995,
            "advice": "checkout-availability missed 99.95% in 2 of the last 3 months: <b>not</b> an objective being met.",
        },
        {
            "slo_id": SCRIPT,
            "service": "<img src=x onerror=alert(2)>",
            "owner": SCRIPT,
            "oncall": None,
            "objective": 0.999,
            "sla": None,
            "sli": 0.99995,
            "budget_spent": 0.05,
            "met": True,
            "sla_met": None,
            "incidents": [],
            "pages": 0,
            "tickets": 0,
            "history": [],
            "suggested_objective": None,
        },
    ],
    "owners": [
        {
            "owner": AMP,
            "oncall": "payments-primary",
            "pages": 3,
            "tickets": 1,
            "pages_out_of_hours": 2,
            "noisy_pages": 1,
            "pages_per_week": [1, 0, 2, 0, 0],
        },
        {
            "owner": SCRIPT,
            "oncall": "<i>night</i>",
            "pages": 0,
            "tickets": 0,
            "pages_out_of_hours": 0,
            "noisy_pages": 0,
            "pages_per_week": [0, 0, 0, 0, 0],
        },
    ],
}


def _checkout_burndown() -> list[tuple[float, float]]:
    """Hourly remaining budget: flat, spent steadily within each incident, -258% at the end (358% spent)."""
    incidents = REPORT["slos"][0]["incidents"]

    def remaining(t: int) -> float:
        spent = sum(i["budget_spent"] * min(max((t - i["start"]) / (i["end"] - i["start"]), 0), 1) for i in incidents)
        return 1 - spent

    return [(t, remaining(t)) for t in range(FROM, TO + 1, HOUR)]


BURNDOWN = {
    "checkout-availability": _checkout_burndown(),
    SCRIPT: [(t, 1 - 0.05 * (t - FROM) / (TO - FROM)) for t in range(FROM, TO + 1, 6 * HOUR)],
}
