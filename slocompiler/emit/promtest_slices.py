"""The generated promtool cases of a slice SLO: good and bad slices, a slice at its target, a slice without data.

A slice SLO alerts on bad-slice ratios, so its cases are slice histories
rather than the event ratios of promtest.py: every slice good; every slice
exactly at its target (good: `1 - good / total` is not exact in floating point,
core/slices.py's AT_TARGET is what keeps it good); an
outage of whole slices, which pages; a blip inside one slice, which does not;
one bad and one empty slice, whose window ratio shows what `no_data` made of
the empty one (checked exactly, with the alerts); and, with `ratio = true`, a
steady error ratio above the page's threshold. history_slices.py predicts
each, and a case it cannot predict is left out.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core import sremath
from ..core.ir import Service, Slo
from ..core.queries import promql_string
from ..core.units import decimal_text, format_duration, prom_window
from . import history_slices
from .history import Tie, exact_ratio, humanize_stable, samples_per_step
from .expected import TextTie, expected_alerts, present, rule_texts
from .promtest_parts import checks, input_series
from .series import Plan, SamplePlan

HOUR = 3600
# Counters grow by a multiple of this a step, so every rate over a whole
# number of minutes is a whole number per second and a slice's ratio is the
# decimal it stands for (a slice exactly at its target is then good in floating point too).
RATE_EXACT = 60
# The window ratio is checked as round(ratio * SCALE): exact where floating point is not.
SCALE = 1000000


def slice_tests(service: Service, slo: Slo, step: int, shared: bool, inputs: Plan | SamplePlan) -> list[dict]:
    """The cases of one slice SLO (none for an SLO that does not alert)."""
    assert slo.slices is not None
    if not slo.alerting.enabled or not slo.alerting.conditions:
        return []
    length = slo.slices.length
    quiet = max(HOUR, 3 * length)  # whole slices (every length divides an hour), room for three before the last case
    checked = min(k.long for k in slo.alerting.conditions)
    pages = [k for k in slo.alerting.conditions if k.severity == "page"] or list(slo.alerting.conditions)
    needed = max((k.min_failures for k in pages), default=0)
    outage = max(15 * 60, (needed + 5) * length)
    first = "every slice good"
    if slo.slices.no_data != "skip" and not slo.group_by:
        # No rate exists at 0, before the second sample: without any series, that slice is `no_data` too.
        first += f" (but the one ending at 0s, before any rate: no_data = {slo.slices.no_data})"
    histories: list[tuple[list, str]] = [([(Decimal(0), quiet)], first)]
    if slo.slices.ratio:
        limit = min(sremath.threshold(k.burn, slo.objective) for k in pages)
        steady = _gauge_share(slo, exact_ratio(limit * Decimal("1.5")))
        histories.append(([(steady, quiet)], f"a steady {decimal_text(steady)} error ratio in every slice"))
    else:
        at_target = 1 - slo.slices.target  # type: ignore[operator]
        if _gauge_share(slo, at_target) == at_target:
            histories.append(([(at_target, quiet)], f"every slice exactly at its target ({decimal_text(at_target)} errors)"))
    histories.append(([(Decimal(0), quiet), (Decimal(1), outage)],
                      f"an outage of {outage // length} whole slices of {format_duration(length)} pages"))
    blip = min(step, length)
    histories.append(([(Decimal(0), quiet), (Decimal(1), blip), (Decimal(0), 2 * length - blip)],
                      f"a blip of {format_duration(blip)} inside one slice does not page"))
    if not isinstance(inputs, SamplePlan):  # gauges without data would need stale markers: counters only
        histories.append(([(Decimal(0), quiet - 2 * length), (Decimal(1), length), (None, length), (Decimal(0), length)],
                          f"one bad slice, then one without events (no_data = {slo.slices.no_data})"))
    texts = rule_texts(service, slo)
    groups = {label: dict(inputs.series(Decimal(0), Decimal(1))[0].labels)[label] for label in slo.group_by}
    cases = []
    for phases, name in histories:
        case = _case(service, slo, texts, inputs, phases, name, step, shared, groups, checked)
        if case is not None:
            cases.append(case)
    return cases


def _gauge_share(slo: Slo, ratio: Decimal) -> Decimal:
    # A threshold SLO's inputs give multiples of 1/40 only: the nearest one at or below.
    gauges = samples_per_step(slo)
    return ratio if not gauges else Decimal(int(ratio * gauges)) / gauges


def _case(service: Service, slo: Slo, texts: list, inputs: Plan | SamplePlan, phases: list, name: str, step: int,
          shared: bool, groups: dict[str, str], checked: int) -> dict | None:
    at = sum(length for _, length in phases)
    try:
        ratio = history_slices.bad_ratio(slo, phases, at, checked, step)
        try:
            expected = expected_alerts(slo, texts, phases, at, step, groups, slices=True)
        except TextTie:
            # Which alerts fire is still checked, through `ALERTS`, which holds no annotations.
            expected = expected_alerts(slo, texts, phases, at, step, groups, annotated=False, slices=True)
            shared = True
    except Tie:
        return None
    alert_tests, expr_tests = checks(slo, slo.alerting.name, at, expected, shared)
    labels = ", ".join(f"{k}={promql_string(v)}" for k, v in present({**c.slo_labels(slo, service), **groups}).items())
    if ratio is not None:
        scaled = ratio * SCALE
        if abs(scaled % 1 - Decimal("0.5")) < Decimal("0.000001") or not humanize_stable(ratio):
            return None
        expr_tests.append({
            "expr": f"round({c.error_ratio_rule(checked)}{{{c.LABEL_SLO_ID}={promql_string(slo.id)}}} * {SCALE})",
            "eval_time": prom_window(at),
            "exp_samples": [{"labels": f"{{{labels}}}", "value": int(scaled.to_integral_value())}],
        })
    events = None if isinstance(inputs, SamplePlan) else RATE_EXACT * max(
        1000, *(10 ** max(0, -r.normalize().as_tuple().exponent) for r, _ in phases if r is not None))  # type: ignore[operator]
    case: dict = {
        "name": f"{slo.id}: {name}",
        "interval": prom_window(step),
        "input_series": input_series(inputs, phases, step, events),
        "alert_rule_test": alert_tests,
    }
    if expr_tests:
        case["promql_expr_test"] = expr_tests
    return case
