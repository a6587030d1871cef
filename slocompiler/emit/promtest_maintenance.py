"""Generated promtool cases of an SLO with maintenance windows, and which of its other cases they leave room for.

promtool's time starts at 0 (1970), so the cases use the first recurring
occurrence the rules place there (`maintenance.occurrences_before_table`):
an outage wholly inside it pages nobody, raises no NoData and leaves the
whole budget; the same outage before it pages and spends budget; a page
firing when maintenance starts does not hold through it. The other cases
(history.py's predictions know nothing of maintenance) are kept only where
they end before the first window starts (`before_maintenance`).
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core import calendar, maintenance, slices
from ..core.ir import Service, Slo
from ..core.queries import promql_string
from ..core.units import parse_duration_ms, prom_window
from . import alerts
from .promtest_parts import input_series
from .series import Plan

HOUR = 3600
# Where the outage before maintenance fits: an hour of traffic, then 30 minutes of errors, checked 25 minutes in.
OUTSIDE_ROOM = 2 * HOUR
MARGIN = 10 * 60
# How long after a window (and its pad) the inside case runs on: the windows it dropped pass out of the shorter ones.
AFTER = 10 * 60
# The longest page `for` the 25 minutes of a full outage are sure to outlast.
LONGEST_FOR = 15 * 60


def first_window(slo: Slo, within: int) -> tuple[int, int] | None:
    """The earliest occurrence of the SLO's windows that is not over by time 0, in the rules' 1970; None when none starts within."""
    found = [occurrence for window in slo.maintenance
             for occurrence in maintenance.occurrences_before_table(window, 0, within)]
    return min(found) if found else None


def _eval_seconds(case: dict) -> int:
    times = [check["eval_time"] for key in ("alert_rule_test", "promql_expr_test") for check in case.get(key, [])]
    return max((parse_duration_ms(text)[0] // 1000 for text in times), default=0)


def before_maintenance(slo: Slo, cases: list[dict], notes: list[str] | None = None) -> list[dict]:
    """The cases that are over before the SLO's first maintenance window starts (all of them without one).

    `notes` gets a line saying how many were left out, if any.
    """
    if not slo.maintenance:
        return cases
    first = first_window(slo, max(map(_eval_seconds, cases), default=0) + 1)
    if first is None:
        return cases
    kept = [case for case in cases if _eval_seconds(case) < first[0]]
    if notes is not None and len(kept) < len(cases):
        notes.append(f"{len(cases) - len(kept)} cases of {slo.id} (they reach its first maintenance window, "
                     f"at {prom_window(first[0])} in promtool's time)")
    return kept


def _up(seconds: int, step: int) -> int:
    return -(-seconds // step) * step


def _count(selector: str, at: int, present: bool) -> dict:
    return {"expr": f"count({selector})", "eval_time": prom_window(at),
            "exp_samples": [{"labels": "{}", "value": 1}] if present else []}


def _period_starts(slo: Slo, frm: int, to: int) -> list[int]:
    """A calendar SLO's period starts in (frm, to], in the rules' 1970 (none for a rolling window)."""
    if slo.calendar is None:
        return []
    found, t = [], to
    while (start := calendar.period_bounds(slo.calendar, slo.timezone, t)[0]) > frm:
        found.insert(0, start)
        t = start - 1
    return found


def _spends_nothing(slo: Slo, budget: str, inside_from: int, done: int, step: int) -> list[dict]:
    """The outage inside the window leaves the budget as the outage before left it, at `done`.

    A calendar period that starts after that first outage resets the budget:
    then nothing is spent in the new period (`budget < 1` nowhere at `done`),
    and, if it starts after the inside outage did, the budget just before it
    is still the one the first outage left.
    """
    starts = _period_starts(slo, HOUR + 30 * 60, done)
    if not starts:
        return [_count(f"{budget} == {budget} offset {prom_window(done - OUTSIDE_ROOM)}", done, True)]
    checks = [_count(f"{budget} < 1", done, False)]
    before = starts[0] - step
    if len(starts) == 1 and before > inside_from and before >= OUTSIDE_ROOM:
        checks.append(_count(f"{budget} == {budget} offset {prom_window(before - OUTSIDE_ROOM)}", before, True))
    return checks


def maintenance_cases(service: Service, slo: Slo, step: int, inputs: Plan, horizon: int) -> list[dict]:
    """Inside, before, and a page held into a window; none when no window starts between 3h and `horizon` or the SLO has no page."""
    pages = [k for k in slo.alerting.conditions if k.severity == "page"]
    first = first_window(slo, horizon)
    if not slo.alerting.enabled or not pages or first is None or (pages[0].for_ or 0) > LONGEST_FOR:
        return []
    start, end = first
    pad = slices.current_window(slo)
    inside_from, inside_to = _up(start + MARGIN, step), (end - MARGIN) // step * step
    if start < OUTSIDE_ROOM + HOUR or inside_to - inside_from < 15 * 60:
        return []
    page = alerts.alert_labels(service, slo, pages[0].severity, pages[0].labels)[c.LABEL_SEVERITY]
    firing = (f"{c.ALERTS_SERIES}{{{c.LABEL_ALERT_NAME}={promql_string(slo.alerting.name)}, "
              f"{c.LABEL_ALERT_STATE}=\"firing\", {c.LABEL_SLO_ID}={promql_string(slo.id)}, "
              f"{c.LABEL_SEVERITY}={promql_string(page)}}}")
    budget = f"{c.BUDGET_REMAINING}{{{c.LABEL_SLO_ID}={promql_string(slo.id)}}}"
    done = _up(end + pad, step) + AFTER

    def case(name: str, phases: list, checks: list[dict]) -> dict:
        return {"name": f"{slo.id}: {name}", "interval": prom_window(step), "input_series": input_series(inputs, phases, step),
                "alert_rule_test": [], "promql_expr_test": checks}

    # No events between the outages (flat counters: the ratios are NaN, the sums over time unchanged), so the
    # budget left after the first outage is exactly the budget left at the end.
    outage = [(Decimal(0), HOUR), (Decimal(1), 30 * 60), (Decimal(0), 30 * 60)]
    both = [*outage, (None, inside_from - OUTSIDE_ROOM), (Decimal(1), inside_to - inside_from), (None, done - inside_to)]
    checks = [_count(firing, HOUR + 25 * 60, True), _count(f"{budget} < 1", HOUR + 25 * 60, True),
              _count(firing, inside_from + 15 * 60, False), _count(firing, inside_to, False),
              *_spends_nothing(slo, budget, inside_from, done, step)]
    if slo.alerting.no_data:
        no_data = f"{c.ALERTS_SERIES}{{{c.LABEL_ALERT_NAME}={promql_string(alerts.no_data_name(slo))}}}"
        checks.append(_count(no_data, inside_to, False))
    # An outage from 30 minutes before the window on: the page fires, then resolves when the window starts.
    onset = _up(start - 30 * 60, step)
    held = [(None, onset), (Decimal(1), inside_to - onset), (None, done - inside_to)]
    held_checks = [_count(firing, _up(start, step) - step, True), _count(firing, inside_from, False)]
    window = f"{prom_window(start)}-{prom_window(end)}"
    return [
        case(f"a full outage pages and spends budget; inside the maintenance window ({window}) it pages nobody, "
             "raises no NoData and spends nothing", both, checks),
        case(f"a page firing when maintenance starts ({prom_window(start)}) does not hold through it", held, held_checks),
    ]
