"""Reading what `min_failures` counts for a replay: the bad events within each guarded condition's long window.

The rule's third term is `queries.failures_within`: the recorded 5m
bad-event rate summed over the long window, times 300, over its samples in
the last 299s (one per evaluation in 5m), `>= min_failures`. It matters only where the condition's
burn-rate pair holds, so the count is read at those evaluations alone. On
the whole-minute grid it is summed here from the 5m rates derived.py fetches
for the derived windows (one fetch for both); off it, the server evaluates
the raw-series form `state.failures_query` as `slo status --source raw` does.
"""

from __future__ import annotations

from ...core.ir import Slo
from ..client import Prometheus
from ..state import failures_query
from . import derived
from .budget import Budget
from .fetch import Cache, Grid, on_grid, spans_of
from .model import GroupKey, conditions_of, guarded_windows
from .replay import above

Counts = dict[int, dict[GroupKey, list[float | None]]]  # {long window: {group: count at each evaluation}}


def needed(slo: Slo, ratios: dict[int, dict[GroupKey, list]], where: Grid, window: int) -> list[bool]:
    """Where, in any group, the burn-rate pair of a condition guarded over `window` holds: where its count can matter."""
    mask = [False] * where.count
    for k in conditions_of(slo):
        if k.long != window or not k.min_failures:
            continue
        shorts, longs = ratios[k.short], ratios[k.long]
        for key, short in shorts.items():
            for i, (a, b) in enumerate(zip(above(short, k.limit), above(longs.get(key) or [], k.limit))):
                mask[i] = mask[i] or (a and b)
    return mask


def counts(client: Prometheus, slo: Slo, ratios: dict[int, dict[GroupKey, list]], where: Grid,
           cache: Cache, budget: Budget) -> Counts:
    """Each guarded long window's failure count per group, where a guarded pair holds (None elsewhere)."""
    out: Counts = {}
    for window in guarded_windows(slo):
        mask = needed(slo, ratios, where, window)
        if not any(mask):
            out[window] = {}
        elif derived.replayable(where.start, where.step) and slo.slices is None:  # slices: the server counts
            out[window] = derived.failures_within(client, slo, window, where.times, mask, cache, budget)
        else:
            out[window] = _asked(client, slo, window, where, spans_of(mask, where), budget)
    return out


def _asked(client: Prometheus, slo: Slo, window: int, where: Grid, spans, budget: Budget) -> dict[GroupKey, list]:
    # Off the minute grid: the server counts over 1m subqueries of the raw 5m bad rate, as the rules' samples lie.
    found: dict[GroupKey, list[float | None]] = {}
    for first, last in spans if spans is not None else [(where.start, where.end)]:
        client.query_range_each(failures_query(slo, window, "raw"), first, last, where.step,
                                lambda part: on_grid(part, where, slo.group_by, found, budget))
    return found
