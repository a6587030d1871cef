"""Maintenance windows as shaded regions on the panels of the SLOs they apply to.

Recurring windows are Grafana "time regions": a dashboard annotation of the
built-in Grafana data source (`queryType: timeRegions`), in cron mode with
the window's own IANA zone, so Grafana computes each occurrence, DST
included, with no query to Prometheus. A one-off window is no time region
(those only repeat), so it is a Prometheus annotation whose query has a
sample exactly between its start and end: Grafana joins consecutive samples
into one region. Both are limited to the SLO's panels by `filter.ids`.
See docs/GRAFANA.md, "Maintenance windows".
"""

from __future__ import annotations

from ..core.ir import Maintenance, Slo
from ..core.units import prom_window
from .grafana_panels import DATASOURCE
from .maintenance_view import cron, is_recurring, schedule_text

GRAFANA_DATASOURCE = {"type": "datasource", "uid": "grafana"}
COLOUR = "rgba(128, 128, 128, 0.25)"
# One sample a minute: a region's edges are off by under a minute at most.
STEP = "60s"


def annotation(slo: Slo, window: Maintenance, panel_ids: list[int]) -> dict:
    """One window of one SLO, shown on that SLO's panels only."""
    common = {
        "enable": True,
        "filter": {"exclude": False, "ids": panel_ids},
        "hide": False,
        "iconColor": COLOUR,
        "name": f"{slo.name}: maintenance {window.name}",
    }
    if is_recurring(window):
        region = {"cronExpr": cron(window), "duration": prom_window(window.duration), "mode": "cron",
                  "timezone": window.timezone}
        return {**common, "datasource": GRAFANA_DATASOURCE,
                "target": {"queryType": "timeRegions", "refId": "Anno", "timeRegion": region}}
    assert window.start is not None
    end = window.start + window.duration
    # `time()` of each step, kept only inside [start, end): a sample there is "in maintenance".
    return {**common, "datasource": DATASOURCE, "expr": f"vector(time()) >= {window.start} < {end}",
            "step": STEP, "titleFormat": f"maintenance {window.name}", "textFormat": schedule_text(window),
            "useValueForTime": False}


def annotations(slo: Slo, panel_ids: list[int]) -> list[dict]:
    return [annotation(slo, window, panel_ids) for window in slo.maintenance]
