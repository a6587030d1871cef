"""Raw series without maintenance: the 5m rates (and slices) the rules drop, dropped from the live commands' PromQL too."""

from __future__ import annotations

from ..core import maintenance
from ..core.conventions import CURRENT_BURN_WINDOW
from ..core.ir import Slo


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
    return f"({expr})\nunless on ()\n({maintenance.active_promql(slo.maintenance, pad)})"
