"""The generated promtool cases of a calendar SLO: its period's bounds, and its ratio and budget reset at a boundary.

promtool's time starts at 0 (1970), and it evaluates every rule at every
step up to a check, so only a day's or a week's boundary is reached by a
history (within MAX_STEPS). The period start and end expressions are
checked at 2026's instants too, with a number for `now` at time 0: the
first period start of 2026 and the period holding the zone's first clock
change of 2026 (a 23-hour day in Berlin).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from ..core import calendar
from ..core import conventions as c
from ..core.ir import Service, Slo
from ..core.queries import promql_string
from ..core.units import decimal_text, prom_window
from .expected import present
from . import history_slices
from .history import Phases, slo_period_ratio

# Histories longer than this many steps are not replayed (as in promtest.py).
MAX_STEPS = 1440
# After the boundary: long enough for the 5m rates to leave the period before.
AFTER = 30 * 60
# promtool 2.42 compares values exactly; sums of rates are floats, so ratios are compared within this.
TOLERANCE = Decimal("1e-9")
YEAR = 2026


def calendar_cases(service: Service, slo: Slo, step: int, series: Callable[[Phases], list[dict]],
                   groups: dict[str, str], realize: Callable[[Decimal, bool], Decimal]) -> list[dict]:
    """The bounds case, and the reset case where a boundary is within reach.

    `series`: a history's input series; `groups`: their `group_by` labels, which the ratio and budget carry;
    `realize(ratio, up)`: the nearest ratio the inputs give exactly (promtest.realize).
    """
    if slo.calendar is None:
        return []
    cases = [_bounds_case(service, slo, step)]
    start, end = calendar.period_bounds(slo.calendar, slo.timezone, 0)
    if (end + AFTER) // step <= MAX_STEPS:
        cases.append(_reset_case(service, slo, step, series, start, end, groups, realize))
    return cases


def _selector(name: str, slo: Slo) -> str:
    return f"{name}{{{c.LABEL_SLO_ID}={promql_string(slo.id)}}}"


def _labels(service: Service, slo: Slo, name: str | None = None, groups: dict[str, str] | None = None) -> str:
    labels = present({**c.slo_labels(slo, service), **(groups or {})})
    inside = ", ".join(f"{k}={promql_string(v)}" for k, v in labels.items())
    return f"{name}{{{inside}}}" if name else f"{{{inside}}}"


def _exact(service: Service, slo: Slo, name: str, at: int, value: Decimal | int,
           groups: dict[str, str] | None = None) -> dict:
    return {"expr": _selector(name, slo), "eval_time": prom_window(at) if at else "0s",
            "exp_samples": [{"labels": _labels(service, slo, name, groups), "value": int(value)}]}


def _near(service: Service, slo: Slo, name: str, at: int, value: Decimal, groups: dict[str, str]) -> dict:
    """`value` within TOLERANCE (relative, absolute below 1): the sample of `abs(x - value) <= bool tol` is 1."""
    tolerance = TOLERANCE * max(abs(value), Decimal(1)) if name == c.BUDGET_REMAINING else TOLERANCE * abs(value)
    value_text = decimal_text(value.quantize(Decimal("1e-15")).normalize()) if value else "0"
    expr = f"abs({_selector(name, slo)} - {value_text}) <= bool {decimal_text(tolerance) if tolerance else '0'}"
    return {"expr": expr, "eval_time": prom_window(at), "exp_samples": [{"labels": _labels(service, slo, None, groups), "value": 1}]}


def _instants(unit: str, zone: str) -> list[int]:
    """The first period start of YEAR (and the second before it), and the middle of the zone's first period of YEAR that is not its usual length."""
    new_year = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
    _, first = calendar.period_bounds(unit, zone, new_year)
    instants = [first - 1, first]
    for start in calendar.period_starts("day", zone, new_year, new_year + 366 * calendar.DAY):
        day_start, day_end = calendar.period_bounds("day", zone, start)
        if day_end - day_start != calendar.DAY:
            instants.append(start + calendar.DAY // 2)
            break
    return instants


def _bounds_case(service: Service, slo: Slo, step: int) -> dict:
    assert slo.calendar is not None
    unit, zone = slo.calendar, slo.timezone
    start, end = calendar.period_bounds(unit, zone, 0)
    checks = [_exact(service, slo, c.PERIOD_START, 0, start), _exact(service, slo, c.PERIOD_END, 0, end)]
    for t in _instants(unit, zone):
        t_start, t_end = calendar.period_bounds(unit, zone, t)
        for vector, value in ((calendar.period_start_vector_promql, t_start), (calendar.period_end_vector_promql, t_end)):
            checks.append({"expr": vector(unit, zone, now=str(t)), "eval_time": "0s",
                           "exp_samples": [{"labels": "{}", "value": value}]})
    return {"name": f"{slo.id}: the calendar {unit} in {zone}: bounds at 0 and in {YEAR}", "interval": prom_window(step),
            "input_series": [], "alert_rule_test": [], "promql_expr_test": checks}


def _reset_case(service: Service, slo: Slo, step: int, series: Callable[[Phases], list[dict]], start: int,
                boundary: int, groups: dict[str, str], realize: Callable[[Decimal, bool], Decimal]) -> dict:
    """Twice the budget's error ratio until the first boundary, then half of it: the ratio and budget restart there."""
    before, after = realize(slo.error_budget * 2, True), realize(slo.error_budget / 2, False)
    phases: Phases = [(before, boundary), (after, AFTER)]
    checks = []
    for at in (boundary - step, boundary, boundary + 5 * 60, boundary + AFTER):
        period = start if at < boundary else boundary
        ratio = history_slices.period_ratio(slo, phases, at, step) if slo.slices is not None else \
            slo_period_ratio(slo, phases, at, step, step)
        assert ratio is not None
        checks.append(_exact(service, slo, c.PERIOD_START, at, period))
        if at == boundary:
            # Nothing recorded in the new period yet: 0 and the whole budget, exactly.
            checks += [_exact(service, slo, c.PERIOD_RATIO, at, 0, groups),
                       _exact(service, slo, c.BUDGET_REMAINING, at, 1, groups)]
            continue
        checks.append(_near(service, slo, c.PERIOD_RATIO, at, ratio, groups))
        checks.append(_near(service, slo, c.BUDGET_REMAINING, at, 1 - ratio / slo.error_budget, groups))
    history = "every slice bad" if slo.slices else f"{decimal_text(before)} errors"
    later = "every slice good" if slo.slices else decimal_text(after)
    return {"name": f"{slo.id}: {history} until the {slo.calendar} ends at"
                    f" {prom_window(boundary)}, then {later}: the period ratio and budget restart",
            "interval": prom_window(step), "input_series": series(phases), "alert_rule_test": [],
            "promql_expr_test": checks}
