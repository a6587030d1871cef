"""The parts every generated promtool case is made of: input series and the checks (expected.py: the alerts).

promtest.py (event histories), promtest_oncall.py and promtest_slices.py build
their cases from these.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core.ir import Slo
from ..core.queries import promql_string
from ..core.units import prom_window
from .history import Phases, events_per_step
from .series import Plan, SamplePlan, series_text


def values(increases: list[int], steps: list[int]) -> str:
    """promtool's notation for a counter growing by `increases[i]` per step for `steps[i]` steps, from 0.

    Whole numbers, which promtool's floating-point sums of `a+bxn` keep
    exact: each phase starts right where the last one ended (a start a hair
    below it would read as a counter reset).
    """
    parts = []
    value = 0
    for number, (increase, count) in enumerate(zip(increases, steps)):
        start = value if number == 0 else value + increase
        repeats = count if number == 0 else count - 1
        parts.append(f"{start}+{increase}x{repeats}")
        value = start + increase * repeats
    assert value < 2**53, "a counter beyond what a float holds exactly"
    return " ".join(parts)


def gauge_series(inputs: SamplePlan, phases: Phases, step: int) -> list[dict]:
    """The gauges of a threshold history: in each phase the first `ratio` share of them bad, the rest good."""
    steps = [length // step for _, length in phases]
    found = []
    for index, labels in enumerate(inputs.labels):
        parts = []
        for number, ((ratio, _), count) in enumerate(zip(phases, steps)):
            value = inputs.bad if index < ratio * len(inputs.labels) else inputs.good
            # The first phase holds the sample at 0 too (a counter's start, in values).
            parts.append(f"{value}+0x{count if number == 0 else count - 1}")
        found.append({"series": series_text(tuple(sorted(labels.items()))), "values": " ".join(parts)})
    return found


def input_series(inputs: Plan | SamplePlan, phases: list, step: int, events: int | None = None) -> list[dict]:
    """The input series of a history: counters at `events` a step (enough for its ratios by default), or gauges.

    A phase whose ratio is None has no events: the counters stay flat.
    """
    if isinstance(inputs, SamplePlan):
        return gauge_series(inputs, phases, step)
    total = Decimal(events or events_per_step([(r, n) for r, n in phases if r is not None]))
    counts = [inputs.increases(ratio or Decimal(0), total if ratio is not None else Decimal(0)) for ratio, _ in phases]
    assert all(count == count.to_integral_value() for phase in counts for count in phase), "a fraction of an event"
    per_phase = [[int(count) for count in phase] for phase in counts]
    steps = [length // step for _, length in phases]
    errors = any(ratio for ratio, _ in phases)
    return [
        {"series": series_text(tuple(sorted(labels.items()))), "values": values([p[i] for p in per_phase], steps)}
        for i, (labels, kind) in enumerate(zip(inputs.labels, inputs.kinds))
        if errors or kind != "bad?"
    ]


def alerts_check(slo: Slo, name: str, at: int, expected: list[dict]) -> dict:
    """A promql_expr_test on `ALERTS`, for an alert name other SLOs share."""
    selector = f'{c.ALERTS_SERIES}{{{c.LABEL_ALERT_NAME}={promql_string(name)}, {c.LABEL_ALERT_STATE}="firing", '
    selector += f"{c.LABEL_SLO_ID}={promql_string(slo.id)}}}"
    samples = []
    for alert in expected:
        labels = {c.LABEL_ALERT_NAME: name, c.LABEL_ALERT_STATE: "firing", **alert["exp_labels"]}
        inside = ", ".join(f"{k}={promql_string(v)}" for k, v in labels.items())
        samples.append({"labels": f"{c.ALERTS_SERIES}{{{inside}}}", "value": 1})
    return {"expr": selector, "eval_time": prom_window(at), "exp_samples": samples}


def checks(slo: Slo, name: str, at: int, expected: list[dict], shared: bool) -> tuple[list[dict], list[dict]]:
    """(alert_rule_test, promql_expr_test) entries checking that exactly `expected` fire under `name`."""
    if shared:
        return [], [alerts_check(slo, name, at, expected)]
    return [{"eval_time": prom_window(at), "alertname": name, "exp_alerts": expected}], []
