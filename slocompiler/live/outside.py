"""Raw series without maintenance: the 5m rates (and slices) the rules drop, dropped from the live commands' PromQL too."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..core import maintenance
from ..core.conventions import CURRENT_BURN_WINDOW
from ..core.ir import Maintenance, Program, Slo

# The first and last time any query of the running command evaluates at, when it says so (`evaluated_within`):
# the maintenance tests then hold that span's own clock changes, whatever its years (the rules' fixed 2025-2045
# table would be an hour off in a summer before or after it), and only those (`StepTable.within`).
_WITHIN: list[tuple[int, int] | None] = [None]


def reach(program: Program) -> int:
    """How far before its first evaluation any query of the program reads: the longest SLO window, calendar period,
    alert window or policy `over` (status and gate read those windows), and a day (a zone's midnight is up to 14
    hours off UTC's)."""
    from ..core.calendar import DAY, MAX_PERIOD_SECONDS

    longest = max((max(slo.window, MAX_PERIOD_SECONDS.get(slo.calendar or "", 0),
                       *(k.long for k in slo.alerting.conditions),
                       *(rule.over or 0 for rule in (service.policy.rules if service.policy else ())))
                   for service in program.services for slo in service.slos), default=0)
    return longest + DAY


@contextmanager
def evaluated_within(first: int, last: int) -> Iterator[None]:
    """While it lasts, every maintenance test is written for evaluations in `[first, last]` only (subquery steps too)."""
    _WITHIN[0] = (first, last)
    try:
        yield
    finally:
        _WITHIN[0] = None


def active(windows: Iterable[Maintenance], pad: int) -> str:
    """`maintenance.active_promql` at each evaluation's `time()`, cut to the running command's span."""
    return maintenance.active_promql(windows, pad, within=_WITHIN[0])


def outside_maintenance(slo: Slo, expr: str, pad: int = CURRENT_BURN_WINDOW) -> str:
    """`expr` without its samples while one of the SLO's maintenance windows, or the `pad` seconds after it, is on.

    The rules drop their 5m rates while `slo:maintenance:active` (5m padded;
    a slice SLO's slice) exists; from raw series the same test is
    `maintenance.active_promql` itself, and inside a subquery `time()` is each
    step's time, so every rate that holds an event of a maintenance window is
    left out.
    """
    if not slo.maintenance:
        return expr
    return f"({expr})\nunless on ()\n({active(slo.maintenance, pad)})"
