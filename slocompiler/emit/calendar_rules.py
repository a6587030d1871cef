"""The recording rules of a calendar SLO: its period's start and end, and its error ratio since the start.

docs/PROMETHEUS.md, "Calendar periods", says why the 5m rates are recorded
a second time with the start of their period as a label: a plain
`sum_over_time` then adds up the current period's samples alone, reading
each sample once, where a subquery masking samples by their timestamp
costs a step per 5 minutes of the longest period at every evaluation.
"""

from __future__ import annotations

from ..core import calendar, queries
from ..core import conventions as c
from ..core.ir import CompositeIndicator, ExprIndicator, Slo
from ..core.units import decimal_text, prom_window

HOUR = 3600

# The first calendar SLO of a (unit, zone) in a period group computes the
# start and end; the others copy its series (Prometheus 2.42 evaluates an
# expression in time quadratic in its size: a month's is 3-5 ms).
Computed = dict[tuple[str, str], str]


def _record(name: str, expr: str, labels: dict[str, str]) -> dict:
    return {"record": name, "expr": expr, "labels": dict(labels)}


def _periods(slo: Slo) -> str:
    """`count_values("slo_period", <start>)`: one sample whose `slo_period` label is the current period's start."""
    start = queries.recorded(c.PERIOD_START, slo.id)
    return f"count_values({queries.promql_string(c.LABEL_PERIOD)}, {start})"


def _labelled(series: str, slo: Slo, span: int) -> str:
    """`series` labelled with its period's start, only when all of its `span` (5m, or an hour) is in the period.

    A 5m rate recorded in the first minutes of a period still holds the last
    minutes of the one before: labelled with the new start, the previous
    period's errors would open the new one (a budget at -100% at 00:01).
    Such a rate is not recorded at all: `start <= time() - span` keeps the
    start only once the span is past it.
    """
    start = queries.recorded(c.PERIOD_START, slo.id)
    settled = f"count_values({queries.promql_string(c.LABEL_PERIOD)}, {start} <= time() - {span})"
    return f"{series} * on () group_left ({c.LABEL_PERIOD}) {settled}"


def sli_rules(slo: Slo, labels: dict[str, str]) -> list[dict]:
    """The SLI group's 5m rates (an `expr` SLO's known 5m ratio) labelled with the start of the period they fall in.

    They read the start the period group recorded last, so for up to its
    interval (2m) after a period starts, rates still go to the period before.
    """
    short = c.CURRENT_BURN_WINDOW
    if slo.slices is not None:
        hour = queries.recorded(c.SLICES_BAD_HOUR, slo.id)
        return [_record(c.PERIOD_SLICES_BAD, _labelled(hour, slo, HOUR), labels)]
    if isinstance(slo.indicator, (ExprIndicator, CompositeIndicator)):  # no events: the known 5m ratio
        known = queries.recorded(c.known_ratio_rule(short), slo.id)
        return [_record(c.PERIOD_KNOWN_RATIO, _labelled(known, slo, short), labels)]
    return [
        _record(c.PERIOD_EVENTS_BAD, _labelled(queries.recorded(c.EVENTS_BAD_PREFIX + prom_window(short), slo.id), slo, short),
                labels),
        _record(c.PERIOD_EVENTS_TOTAL,
                _labelled(queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(short), slo.id), slo, short), labels),
    ]


def bound_rules(slo: Slo, labels: dict[str, str], computed: Computed) -> list[dict]:
    """`slo:period_start:timestamp` and `slo:period_end:timestamp`: computed once per (unit, zone) in a group, else copied."""
    assert slo.calendar is not None
    key = (slo.calendar, slo.timezone)
    first = computed.setdefault(key, slo.id)
    rules = []
    for name, vector in ((c.PERIOD_START, calendar.period_start_vector_promql),
                         (c.PERIOD_END, calendar.period_end_vector_promql)):
        # vector(scalar()) drops the first SLO's labels for this one's.
        expr = vector(slo.calendar, slo.timezone) if first == slo.id else \
            f"vector(scalar({queries.recorded(name, first)}))"
        rules.append(_record(name, expr, labels))
    return rules


def period_ratio(slo: Slo) -> str:
    """The error ratio since the period start: the labelled rates of the current period summed (traffic-weighted).

    Until the first rate of the period is recorded (up to the SLI group's
    interval after the start, plus the period group's lag) nothing is
    counted yet: the ratio is 0 and the budget whole.
    """
    assert slo.calendar is not None
    longest = calendar.MAX_PERIOD_SECONDS[slo.calendar]
    if slo.slices is not None:
        return _slice_period_ratio(slo, longest)
    if isinstance(slo.indicator, (ExprIndicator, CompositeIndicator)):
        ratio = f"avg_over_time({queries.recorded(c.PERIOD_KNOWN_RATIO, slo.id, longest)})"
        # group, not the ratio itself: an idle 5m ratio is NaN, and 0 * NaN would be no fallback.
        nothing = f"0 * group without () ({queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)})"
    else:
        bad = queries.recorded(c.PERIOD_EVENTS_BAD, slo.id, longest)
        total = queries.recorded(c.PERIOD_EVENTS_TOTAL, slo.id, longest)
        ratio = f"sum_over_time({bad})\n  /\n  sum_over_time({total})"
        nothing = f"0 * {queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(c.CURRENT_BURN_WINDOW), slo.id)}"
    label = queries.promql_string(c.LABEL_PERIOD)
    current = f"(\n  {ratio}\n)\nand on ({c.LABEL_PERIOD})\n{_periods(slo)}"
    return f"label_replace(\n{current},\n{label}, \"\", {label}, \".*\"\n)\nor\n{nothing}"


def _slice_period_ratio(slo: Slo, longest: int) -> str:
    """A calendar slice SLO's ratio: the bad slices since the period start over the slices of the whole period.

    LANGUAGE.md: the whole period's count, known in advance (a 23-hour day
    has 1,380 slices of 1m). The bad slices are the hourly counts recorded
    with their period's label, one at each whole hour since the start (a
    subquery stepping by 1h reads only those): the figure moves at each
    whole hour, as the rolling windows of a day and more do. In a zone whose
    periods start at :30 or :45 the hour across each boundary counts in the
    new period (`slo check` warns).
    """
    assert slo.slices is not None
    bad = f"sum_over_time({queries.recorded(c.PERIOD_SLICES_BAD, slo.id)}[{prom_window(longest - 1)}:{prom_window(HOUR)}])"
    label = queries.promql_string(c.LABEL_PERIOD)
    current = f"label_replace(\n  ({bad})\n  and on ({c.LABEL_PERIOD})\n  {_periods(slo)},\n  {label}, \"\", {label}, \".*\"\n)"
    start, end = (queries.recorded(name, slo.id) for name in (c.PERIOD_START, c.PERIOD_END))
    whole = f"scalar(({end} - {start}) / {decimal_text(slo.slices.length)})"
    nothing = f"0 * {queries.recorded(c.SLICES_COUNTED_HOUR, slo.id)}"
    return f"{current}\n/\n{whole}\nor\n{nothing}"
