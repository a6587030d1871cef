"""The PromQL of time-slice SLOs: a slice's error ratio with `no_data` applied, and bad slices over a window.

A slice of length L ends at every whole multiple of L since the epoch. The
rules record `slo:slice_error:ratio` (the error ratio of the last L) at every
evaluation; a subquery stepping by L lands exactly on the slice ends (its
steps are multiples of the step since the epoch) and reads the sample recorded
at or just before each. docs/PROMETHEUS.md ("Time slices") gives the reasons
and the cost.
"""

from __future__ import annotations

from decimal import Decimal

from .conventions import CURRENT_BURN_WINDOW, SLICE_ERROR, SLICES_BAD_HOUR, SLICES_COUNTED_HOUR
from .ir import Slices, Slo
from .queries import on, recorded
from .units import decimal_text, prom_window

# What a slice without data (no series, or no events: 0/0) counts as.
NO_DATA_VALUE = {"good": "0", "bad": "1"}


# A slice exactly at its target is good, but its error ratio reaches the rules
# through floating point: `1 - 19 / 20` is 0.050000000000000044, above 0.05.
# So a slice is bad above the limit by more than this share of it; no real
# ratio falls between (it would take a billion events in one slice).
AT_TARGET = Decimal("1e-9")


def bad_limit(slices: Slices) -> Decimal:
    """The slice error ratio above which a slice is bad: 1 - target (a slice at its target is good)."""
    assert slices.target is not None
    return 1 - slices.target


def judged_limit(slices: Slices) -> str:
    """What the rules compare a slice's error ratio with: `bad_limit`, plus AT_TARGET of it for floating point.

    Written as the product (`0.05 * (1 + 1e-9)`), which says why, rather than
    as `0.05000000005`, which reads like a float's noise.
    """
    return f"{decimal_text(bad_limit(slices))} * (1 + {AT_TARGET:e})"


def slice_value(ratio: str, slices: Slices, group_by: tuple[str, ...]) -> str:
    """`slo:slice_error:ratio` from the error ratio of the last slice: `no_data = skip` keeps NaN (no events) and absence.

    `good` and `bad` give a slice without events (NaN, every group that has
    series) 0 or 1; without `group_by`, a slice without any series too. With
    `group_by` a group with no series at all is unknown, not a slice of its
    own: the NoData alert covers it.
    """
    if slices.no_data == "skip":
        return ratio
    value = NO_DATA_VALUE[slices.no_data]
    # `count` is 1 per group whatever its ratio; `or` adds it only where `>= 0` dropped a NaN.
    count = f"count by ({', '.join(group_by)}) " if group_by else "count"
    text = f"({ratio}) >= 0\nor {on(group_by)}\n{count}({ratio}) * 0 + {value}"
    if not group_by:
        text += f"\nor on ()\nvector({value})"
    return text


def subquery(slo_id: str, slices: Slices, window: int, judged: bool) -> str:
    """The slices ending within (t - window, t], each as its recorded error ratio (or, `judged`, 1 bad 0 good)."""
    return _subquery(recorded(SLICE_ERROR, slo_id), slices, window, judged, selector=True)


def _subquery(value: str, slices: Slices, window: int, judged: bool, selector: bool = False) -> str:
    """`value` (a slice's error ratio) at every slice end within (t - window, t].

    `[W - 1s:L]`: Prometheus 2 includes a step that falls on the range's
    start, which would count the slice ending at t - W too. `>= 0` leaves out
    the slices `no_data = skip` skips (NaN). A `selector` needs no parentheses.
    """
    known = f"{value} >= 0" if selector else f"({value}) >= 0"
    text = f"({known}) > bool {judged_limit(slices)}" if judged else known
    return f"({text})[{prom_window(window - 1)}:{prom_window(slices.length)}]"


HOUR = 3600
# Windows this long (whole hours) add up the hourly counts: a subquery stepping
# by a 1m slice over 30d reads 43,200 points an evaluation (promtool refuses
# more than 10,000 points; Prometheus's own limit is 50 million samples),
# hourly counts 720. The price: such a window ends at the last whole hour
# (docs/PROMETHEUS.md, "Time slices").
HOURLY_FROM = 86400


def hourly(window: int) -> bool:
    """Whether a window reads the hourly counts (a day or more, whole hours) rather than every slice."""
    return window >= HOURLY_FROM and window % HOUR == 0


def hour_counts(slo: Slo) -> tuple[str, str]:
    """The expressions of `slo:slices_bad:sum1h` and `slo:slices_counted:count1h`: the slices ending in the last hour."""
    assert slo.slices is not None
    return (f"sum_over_time({subquery(slo.id, slo.slices, HOUR, not slo.slices.ratio)})",
            f"count_over_time({subquery(slo.id, slo.slices, HOUR, False)})")


def _hours(name: str, slo_id: str, window: int) -> str:
    # At each whole hour in (t - W, t], the hour's count recorded at (or just before) it.
    return f"sum_over_time({recorded(name, slo_id)}[{prom_window(window - 1)}:{prom_window(HOUR)}])"


def raw_value(slo: Slo, ratio: str) -> str:
    """A slice's error ratio with `no_data` applied, from `ratio`, the indicator's own error ratio over the slice (live commands)."""
    assert slo.slices is not None
    return slice_value(ratio, slo.slices, slo.group_by)


def raw_bad_ratio(slo: Slo, window: int, value: str) -> str:
    """`bad_ratio` from `value` (`raw_value`) instead of the recorded series: what the rules compute, for the live commands.

    A day and more: the hourly counts as nested subqueries (the hour's slices at each whole hour), so
    the figure ends at the last whole hour as the rules' does, at any evaluation time.
    """
    assert slo.slices is not None
    judged = not slo.slices.ratio
    if hourly(window):
        bad = f"sum_over_time(({_hour_sum(value, slo.slices, judged)})[{prom_window(window - 1)}:{prom_window(HOUR)}])"
        counted = f"sum_over_time(({_hour_count(value, slo.slices)})[{prom_window(window - 1)}:{prom_window(HOUR)}])"
        return f"{bad}\n/\n{counted}"
    return f"avg_over_time({_subquery(value, slo.slices, window, judged)})"


def raw_bad_slices_within(slo: Slo, window: int, value: str) -> str:
    """`bad_slices_within` from `value` (`raw_value`): the live commands' count for `min_failures`."""
    assert slo.slices is not None
    judged = not slo.slices.ratio
    if hourly(window):
        return f"sum_over_time(({_hour_sum(value, slo.slices, judged)})[{prom_window(window - 1)}:{prom_window(HOUR)}])"
    return f"sum_over_time({_subquery(value, slo.slices, window, judged)})"


def raw_hourly_bad_slices(slo: Slo, window: int, value: str) -> str:
    """The bad slices of the hourly counts at each whole hour in (t - window, t], from `value` (`raw_value`), whatever
    the window's length: a calendar period's since its start, as its rule adds up the hours labelled with it."""
    assert slo.slices is not None
    hour = _hour_sum(value, slo.slices, not slo.slices.ratio)
    if window <= 1:  # the hour at t alone: Prometheus refuses a range of 0s
        return hour
    return f"sum_over_time(({hour})[{prom_window(window - 1)}:{prom_window(HOUR)}])"


def raw_hour_count(slo: Slo, value: str) -> str:
    """The slices counted in the last hour from `value`, as `slo:slices_counted:count1h` records them."""
    assert slo.slices is not None
    return _hour_count(value, slo.slices)


def _hour_sum(value: str, slices: Slices, judged: bool) -> str:
    return f"sum_over_time({_subquery(value, slices, HOUR, judged)})"


def _hour_count(value: str, slices: Slices) -> str:
    return f"count_over_time({_subquery(value, slices, HOUR, False)})"


def bad_ratio(slo: Slo, window: int) -> str:
    """`slo:sli_error:ratio_rate<W>` of a slice SLO: bad over counted slices; `ratio = true`: the mean slice error ratio."""
    assert slo.slices is not None
    if hourly(window):
        return f"{_hours(SLICES_BAD_HOUR, slo.id, window)}\n/\n{_hours(SLICES_COUNTED_HOUR, slo.id, window)}"
    return f"avg_over_time({subquery(slo.id, slo.slices, window, not slo.slices.ratio)})"


def bad_slices_within(slo: Slo, window: int) -> str:
    """The bad slices within a window, for `min_failures`; `ratio = true`: the sum of the slices' error ratios."""
    assert slo.slices is not None
    if hourly(window):
        return _hours(SLICES_BAD_HOUR, slo.id, window)
    return f"sum_over_time({subquery(slo.id, slo.slices, window, not slo.slices.ratio)})"


def current_window(slo: Slo) -> int:
    """The window of the current burn rate: 5m, or for slices longer than 5m one slice (a whole one ends within it)."""
    return CURRENT_BURN_WINDOW if slo.slices is None else max(CURRENT_BURN_WINDOW, slo.slices.length)
