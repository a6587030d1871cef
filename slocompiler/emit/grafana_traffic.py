"""The traffic and data panels of an SLO's row: how many events it counts, and where its data was missing.

An error ratio alone cannot tell a quiet night from a dead exporter: both
leave the SLI line empty. These two panels can. They read recorded series
only, like the rest of the dashboard (docs/GRAFANA.md, "Traffic and data").
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core.ir import ExprIndicator, Slo, ThresholdIndicator
from ..core.slices import current_window
from ..core.units import prom_window
from .grafana_panels import DATASOURCE, STEP_RANGE, legend, matchers, state_timeline_options, steps, target, timeseries

# Events, not requests: a latency SLO counts observations, a ratio SLO whatever its `total` counts.
# `count:` scales like Grafana's own rate units (1.2K events/s).
EVENTS_UNIT = "count:events/s"
# A threshold SLO's events are its series' samples, as each evaluation judges them.
SAMPLES_UNIT = "count:samples/s"

# STEP_RANGE as a subquery, at the evaluation interval (Prometheus's default step).
STEP_SUBQUERY = STEP_RANGE.replace("]", ":]")

# The Data panel's states, worst first: each step shows the worst within it.
MISSING, IDLE, DATA = 0, 1, 2


def counts_events(slo: Slo) -> bool:
    """Whether the SLO records event rates: every kind but `expr`, whose query yields the ratio itself, and composites,
    whose ratio comes from their members'."""
    return not isinstance(slo.indicator, ExprIndicator) and not slo.is_composite


def traffic_panel(slo: Slo) -> dict:
    """Events per second, all and bad, per group: the recorded 5m rates averaged over each step."""
    short = prom_window(c.CURRENT_BURN_WINDOW)
    total = c.EVENTS_TOTAL_PREFIX + short
    bad = c.EVENTS_BAD_PREFIX + short
    what, unit = ("samples", SAMPLES_UNIT) if isinstance(slo.indicator, ThresholdIndicator) else ("events", EVENTS_UNIT)
    # The average of the 5m rates within a step is the step's own rate, near enough: the
    # line's area is the events counted, and a step with no sample at all is a gap.
    panel = timeseries(
        "Traffic",
        [
            target("A", f"avg_over_time({total}{matchers(slo)}{STEP_RANGE})", legend(slo, f"all {what}")),
            target("B", f"avg_over_time({bad}{matchers(slo)}{STEP_RANGE})", legend(slo, f"bad {what}")),
        ],
        unit,
        f"{what.capitalize()} per second the indicator counts, all and bad, averaged over each step. A gap in the"
        f" lines is a time with no data (see Data); a line at 0 is a time with no {what}.",
    )
    panel["fieldConfig"]["defaults"]["min"] = 0
    panel["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byFrameRefID", "options": "B"},
            "properties": [{"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}}],
        }
    ]
    return panel


def slices_panel(slo: Slo) -> dict:
    """A slice SLO's good and bad slices over the last hour (`ratio = true`: the slices' mean SLI), per group."""
    assert slo.slices is not None
    length = prom_window(slo.slices.length)
    bad, counted = c.SLICES_BAD_HOUR + matchers(slo), c.SLICES_COUNTED_HOUR + matchers(slo)
    if slo.slices.ratio:
        return timeseries(
            "Slices",
            [target("A", f"1 - {bad} / {counted}", legend(slo, f"mean SLI of the last hour's {length} slices"))],
            "percentunit",
            f"The mean SLI of the {length} slices that ended in the hour before each time (ratio = true: the SLO"
            " counts the slices' SLIs, not good slices).",
        )
    panel = timeseries(
        "Slices",
        [target("A", f"{counted} - {bad}", legend(slo, f"good {length} slices")),
         target("B", bad, legend(slo, f"bad {length} slices"))],
        "none",
        f"The {length} slices that ended in the hour before each time, good and bad (a slice is good when its"
        f" SLI is at least its target). Slices without data (no_data = {slo.slices.no_data})"
        f"{' count in neither' if slo.slices.no_data == 'skip' else ' count as ' + slo.slices.no_data}.",
    )
    panel["fieldConfig"]["defaults"]["min"] = 0
    panel["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byFrameRefID", "options": "B"},
            "properties": [{"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}}],
        }
    ]
    return panel


def no_traffic_panel(slo: Slo | None = None) -> dict:
    """In an `expr` SLO's (or a composite's) row, where the traffic panel would be: why there is none."""
    what = "This SLO's indicator is an error-ratio expression (`expr`)"
    if slo is not None and slo.is_composite:
        what = "This SLO is a composite, whose error ratio comes from its members' SLOs"
    return {
        "options": {
            "content": f"{what}: it counts no events,"
            " so there is no traffic to plot. **Data** shows where its ratio was missing.",
            "mode": "markdown",
        },
        "title": "Traffic",
        "type": "text",
    }


def data_state(slo: Slo) -> str:
    """PromQL, one labelless sample: 2 while the SLO has events, 1 while it has none, 0 while its series is missing.

    The recorded rates vanish with the raw series (the process is down, no
    longer scraped), so a missing series is the missing data: `or vector(0)`
    turns that absence into a 0 instead of a gap, since an absent series
    gives no sample to draw. `group` counts any selected group.
    """
    if slo.is_composite:
        # Computed from its members' ratios: NaN when none has events, absent when none has series.
        ratio = c.error_ratio_rule(current_window(slo)) + matchers(slo)
        busy, present = f"{ratio} >= 0", ratio
    elif slo.slices is not None:
        # The last slice's error ratio: NaN without events (no_data = skip), absent without series.
        ratio = c.SLICE_ERROR + matchers(slo)
        busy, present = f"{ratio} >= 0", ratio
    elif counts_events(slo):
        total = c.EVENTS_TOTAL_PREFIX + prom_window(c.CURRENT_BURN_WINDOW) + matchers(slo)
        busy, present = f"{total} > 0", total
    else:
        # No event counts: the 5m ratio is NaN (0/0) without events, and the known ratio
        # (recorded only when the ratio is a number) is absent then.
        busy = c.known_ratio_rule(c.CURRENT_BURN_WINDOW) + matchers(slo)
        present = c.error_ratio_rule(c.CURRENT_BURN_WINDOW) + matchers(slo)
    return f"{DATA} * group({busy}) or group({present}) or vector({MISSING})"


def data_query(slo: Slo) -> str:
    """The worst state within each step: a 3-minute gap shows at a 30-day range, as in the other panels.

    A subquery at the evaluation interval (`[$__rate_interval:]`): the
    state exists only at instants, and an instant per step would skip a gap
    between two steps.
    """
    return f"min_over_time(({data_state(slo)}){STEP_SUBQUERY})"


def data_panel(slo: Slo) -> dict:
    """A state timeline: green while there are events, blue while there are none, red while data is missing."""
    what = "its event rates" if counts_events(slo) else "its 5m error ratio"
    idle = "no events" if counts_events(slo) else "no events (ratio 0/0)"
    return {
        "datasource": DATASOURCE,
        "description": f"Whether the SLO had data, from {what}: red where it was missing (the indicator's"
        " series were absent: the process down, no longer scraped, or renamed), blue where it had no"
        " events, green otherwise. Each step shows the worst within it. Missing shows up to 5m after the"
        " series go, as the recorded 5m rates still read their last samples.",
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "mappings": [
                    {
                        "options": {
                            str(MISSING): {"color": "red", "index": 0, "text": "missing"},
                            str(IDLE): {"color": "blue", "index": 1, "text": idle},
                            str(DATA): {"color": "green", "index": 2, "text": "data"},
                        },
                        "type": "value",
                    }
                ],
                "thresholds": steps([("red", None), ("blue", Decimal(IDLE)), ("green", Decimal(DATA))]),
            },
            "overrides": [],
        },
        "options": state_timeline_options(),
        "targets": [target("A", data_query(slo), "data")],
        "title": "Data",
        "type": "state-timeline",
    }
