"""The PromQL of the burn-rate conditions: a window pair, and the hold that keeps a firing page while the SLO is silent.

Above queries.py and slices.py: a slice SLO counts its bad slices for
`min_failures`, and its current ratio is over a whole slice.
"""

from __future__ import annotations

from . import maintenance, queries, slices, sremath
from .conventions import (
    ALERT_STATE_FIRING,
    ALERTS_SERIES,
    LABEL_ALERT_NAME,
    LABEL_ALERT_STATE,
    LABEL_SEVERITY,
    LABEL_SLO_ID,
    error_ratio_rule,
)
from .ir import Condition, Slo
from .units import decimal_text


def window_pair(slo: Slo, condition: Condition) -> str:
    """`long > t and short > t`, and, with `min_failures`, at least that many bad events (slices) within `long`."""
    threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
    long_ratio = queries.recorded(error_ratio_rule(condition.long), slo.id)
    short_ratio = queries.recorded(error_ratio_rule(condition.short), slo.id)
    pair = f"{long_ratio} > {threshold}\nand\n{short_ratio} > {threshold}"
    failures = queries.min_failures(slo, condition)
    if failures:
        counted = queries.failures_within(slo.id, condition.long) if slo.slices is None else \
            slices.bad_slices_within(slo, condition.long)
        pair += f"\nand\n{counted} >= {failures}"
    return pair


def held_ratio(slo: Slo, condition: Condition) -> str:
    """The long-window error ratio above the threshold, where the SLO has no current ratio.

    When a service's process vanishes mid-outage, its 5m rates stop ~4 minutes
    after the last scrape, and with them the short window: the pairs fail and
    the page would resolve while the service is dead. The long window keeps
    the ratio of the rates recorded within it (`queries.derived_ratio` falls
    back to their sum), so it holds until `long` after the last of them.
    `unless` the current ratio (5m, or a slice SLO's `current_window`), group
    by group: the pairs and this never hold together, and a group that
    reports again is judged by its pairs at once.
    """
    threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
    long_ratio = queries.recorded(error_ratio_rule(condition.long), slo.id)
    now = queries.recorded(error_ratio_rule(slices.current_window(slo)), slo.id)
    held = f"{long_ratio} > {threshold}\nunless {queries.on((LABEL_SLO_ID, *slo.group_by))}\n{now}"
    # A maintenance window removes the current ratio too: that silence holds nothing.
    return maintenance.outside(slo, held)


def held(slo: Slo, condition: Condition, alert: str, severity: str) -> str:
    """`held_ratio`, for the groups whose alert (`alert`, labelled `severity`) is firing: it keeps firing, not starts.

    The alert's own `ALERTS` series of the previous evaluation; stateless, so
    it needs no `keep_firing_for` (which vmalert 1.79 refuses). vmalert
    writes `ALERTS` only through `-remoteWrite.url`: without it, nothing holds.
    """
    firing = (f"{ALERTS_SERIES}{{{LABEL_ALERT_NAME}={queries.promql_string(alert)}, "
              f"{LABEL_ALERT_STATE}={queries.promql_string(ALERT_STATE_FIRING)}, {LABEL_SLO_ID}={queries.promql_string(slo.id)}, "
              f"{LABEL_SEVERITY}={queries.promql_string(severity)}}}")
    return f"{held_ratio(slo, condition)}\nand {queries.on((LABEL_SLO_ID, *slo.group_by))}\n{firing}"
