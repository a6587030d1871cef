"""`<f>_over_time((expr)[span:step])` that every engine answers: a long subquery in parts.

VictoriaMetrics 1.79 refuses a subquery of more than `-search.maxPointsPerTimeseries`
points (30,000 by default), and a 30d SLO window at 1m is 43,200 points
(docs/ENGINES.md, "VictoriaMetrics' API"). A subquery of up to
MAX_POINTS steps is sent as it is; a longer one as consecutive parts of at
most that many, each `offset` past the one before by its range and 1ms, so
that Prometheus (which includes both ends of a range) counts every whole
step in `[t - span, t]` once, as the single subquery does. Parts are told
apart by a label while they are joined with `or`, then summed without it:
a group whose series exist in one part only keeps that part's figure
(`a + b` would drop it).
"""

from __future__ import annotations

from ..core.units import prom_window

# Steps one subquery may take; under VictoriaMetrics' default 30,000 with room.
MAX_POINTS = 20_000
PART_LABEL = "slo_subquery_part"


def over_time(function: str, expr: str, span: int, step: int) -> str:
    """`function` (sum, count or avg) over `expr` at every whole `step` in `[t - span, t]`."""
    if span // step < MAX_POINTS:
        return f"{function}_over_time(({expr})[{prom_window(span)}:{prom_window(step)}])"
    if function == "avg":
        return f"{over_time('sum', expr, span, step)}\n/\n{over_time('count', expr, span, step)}"
    assert function in ("sum", "count"), function
    part = (MAX_POINTS - 1) * step * 1000  # ms
    total = span * 1000
    pieces, offset, index = [], 0, 0
    while offset < total:
        length = min(part, total - offset)
        shifted = f" offset {offset}ms" if offset else ""
        piece = f"{function}_over_time(({expr})[{length}ms:{prom_window(step)}]{shifted})"
        pieces.append(f'label_replace({piece}, "{PART_LABEL}", "{index}", "", "")')
        offset, index = offset + length + 1, index + 1
    return f"sum without ({PART_LABEL}) (\n" + "\nor\n".join(pieces) + "\n)"
