"""Where a report replays a composite's alerts: where the weighted sum of its members' hourly maxima could reach a threshold.

A composite's window ratio is min(1, Σ scale × member's window ratio)
(`worst`: the largest scaled term); a member without series adds its
`when_no_data` constant (`good` 0; `skip`, idle or in maintenance: nothing).
Each member's window ratio is an event SLO's (over all its groups): an
average of its 5m ratios within the window, bounded by the hourly maxima of
those ratios (over its groups: the all-groups ratio is a traffic-weighted
average of the groups'). So a condition can hold at `t` only where
Σ scale × (the member's highest hourly maximum among the hours whose
stretch in hot.py reaches `t`) is above its threshold: half of it here, as
hot.py's margin. A member that is itself no event SLO (a composite, slices,
`expr`) or counts as `bad` without data (1 wherever its series are missing:
no bound from its maxima) leaves the composite replayed whole.

Unlike an event SLO's, a composite's replay still says when its data does
not cover the period's ends: the first and last hour are always replayed,
those two stretches checked as the whole period's replay checks its ends
(figures.py falls back to that replay when either check fails).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from ...core.ir import ExprIndicator, Program, Slo
from .hot import HOUR, MARGIN, STEP, Span, hourly_maxima, joined, on_grid, reach_of
from .period import ReportPeriod

EDGE = HOUR  # the stretch replayed at each end of the period, whatever the maxima say


def composite_spans(client, program: Program, slo: Slo, period: ReportPeriod) -> list[Span] | None:
    """The stretches to replay, each with the conditions that could hold in it; None to replay the whole period."""
    from .. import composite
    from ..backtest.model import conditions_of

    if slo.slices is not None:
        return None
    conditions = conditions_of(slo)
    parts = composite.members(program, slo)
    if any(not _bounded(member_slo) or member.when_no_data == "bad" for member, member_slo in parts):
        return None
    scales = [float(composite.scale(slo, member, member_slo)) for member, member_slo in parts]
    reach = reach_of(conditions) if conditions else HOUR
    maxima = client.map(lambda part: hourly_maxima(client, part[1], period, reach), parts)
    worst = composite.indicator(slo).aggregate == "worst"
    last = period.end - STEP
    found: list[tuple[int, int, int | None]] = [
        (period.start, min(last, period.start + EDGE), None), (max(period.start, last - EDGE), last, None)]
    for index, k in enumerate(conditions):
        after = -(-k.short // HOUR) * HOUR + HOUR
        for first, end in _above(scales, maxima, after, k.limit * MARGIN, worst):
            first, end = max(period.start, first), min(last, end)
            if first <= end:
                found.append((on_grid(first, period, -1), min(last, on_grid(end, period, 1)), index))
    return joined(found)


def _bounded(slo: Slo) -> bool:
    """Whether a member's window ratios are averages of its 5m ratios: an event SLO."""
    return not slo.is_composite and slo.slices is None and not isinstance(slo.indicator, ExprIndicator)


def _above(scales: list[float], maxima: list[dict[int, float]], after: int, limit: float,
           worst: bool) -> list[tuple[int, int]]:
    """The stretches `[first, last]` in which the bound is above `limit`.

    An hour ending at `b` reaches the times `[b - 1h - 1m, b + after]` (hot.py's
    stretch); at `t` each member's bound is its highest maximum among the hours
    reaching `t`. Those hours change only where a stretch begins or ends past its
    last minute, so the bound is computed once per piece between such times.
    """
    blocks = sorted({b for found in maxima for b in found})
    cuts = sorted({b - HOUR - STEP for b in blocks} | {b + after + STEP for b in blocks})
    out: list[tuple[int, int]] = []
    for first, following in zip(cuts, cuts[1:]):
        # The hours reaching `first`: b - 1h - 1m <= first <= b + after.
        reaching = blocks[bisect_left(blocks, first - after):bisect_right(blocks, first + HOUR + STEP)]
        if not reaching:
            continue
        # A member without a ratio there adds 0 (`good`) or nothing (`skip`, idle): never more than 0.
        terms = [scale * max(0.0, *(found.get(b, 0.0) for b in reaching)) for scale, found in zip(scales, maxima)]
        bound = max(terms, default=0.0) if worst else sum(terms)
        if bound > limit:
            if out and out[-1][1] == first - STEP:
                out[-1] = (out[-1][0], following - STEP)
            else:
                out.append((first, following - STEP))
    return out
