"""A calendar SLO's panels: "this period so far" beside the rolling views of its row.

The recorded period series (`slo:sli_error:ratio_period`,
`slo:period_error_budget_remaining:ratio`) follow the SLO's own zone
exactly. A panel's relative time (`now/M`: this month so far) follows the
dashboard's time zone, the viewer's browser, so where that differs from the
SLO's zone the plotted range starts up to a day off the period start: the
descriptions say which zone the period uses.
"""

from __future__ import annotations

from ..core import conventions as c
from ..core import timebase
from ..core.ir import Slo
from ..core.units import percent_text
from . import grafana_panels as p

# Grafana's relative ranges for "this <unit> so far". Grafana has no calendar
# quarter (`now/Q`); its fiscal quarter is one, as the dashboards start the
# fiscal year in January (`fiscalYearStartMonth` 0).
SO_FAR = {"day": "now/d", "week": "now/w", "month": "now/M", "quarter": "now/fQ", "year": "now/y"}


def title(slo: Slo) -> str:
    """`this calendar month so far (Europe/Berlin)`."""
    assert slo.calendar is not None
    return f"this calendar {slo.calendar} so far ({slo.timezone})"


def zone_note(slo: Slo) -> str:
    """Which zone the period follows, and why the panel's range may start off it."""
    assert slo.calendar is not None
    return (f"The {slo.calendar} starts {timebase.STARTS[slo.calendar]} in {slo.timezone}: the recorded figures"
            f" follow that zone. A \"so far\" time range follows the dashboard's time zone (your browser's), so"
            f" outside {slo.timezone} it starts off the period start by the difference.")


def so_far_stat(slo: Slo) -> dict:
    """The SLI since the period start, as recorded: red below the objective."""
    objective = slo.objective
    return {
        "datasource": p.DATASOURCE,
        "description": (f"Share of good {'slices' if slo.slices else 'events'} since the current {slo.calendar}"
                        f" started ({'bad slices over the whole period' if slo.slices else 'events so far'});"
                        f" the objective is {percent_text(objective)}. " + zone_note(slo)),
        "fieldConfig": {
            "defaults": {
                "decimals": p.percent_decimals(objective) + 1,
                "thresholds": p.steps([("red", None), ("green", objective)]),
                "unit": "percentunit",
            },
            "overrides": [],
        },
        "options": p.stat_options(),
        "targets": [p.target("A", f"1 - {c.PERIOD_RATIO}{p.matchers(slo)}", p.legend(slo, "SLI " + title(slo)),
                             instant=True)],
        "title": "SLI " + title(slo),
        "type": "stat",
    }


def so_far(panel: dict, slo: Slo) -> dict:
    """`panel` over this period so far (`timeFrom`), titled and described so."""
    assert slo.calendar is not None
    panel["timeFrom"] = SO_FAR[slo.calendar]
    panel["title"] = f"{panel['title']}, {title(slo)}"
    panel["description"] = f"{panel['description']} {zone_note(slo)}"
    return panel



def week_start(slos: list[Slo]) -> dict[str, str]:
    """`weekStart: monday` for a dashboard with a calendar week SLO: ISO weeks, whatever the viewer's locale."""
    return {"weekStart": "monday"} if any(slo.calendar == "week" for slo in slos) else {}
