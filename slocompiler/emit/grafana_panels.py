"""The panels of one SLO's row in a Grafana service dashboard, as plain dicts.

Every query reads the series the Prometheus backend records (names from
`conventions`), never the raw metrics, so a 30-day dashboard stays cheap.
"""

from __future__ import annotations

import html
from decimal import Decimal

from ..core import conventions as c
from ..core import timebase
from ..core.ir import CompositeIndicator, Service, Slo
from ..core.slices import current_window
from ..core.sremath import budget_seconds
from ..core.units import decimal_text, human_duration, percent_text, prom_window, round_decimal
from .maintenance_view import schedule_text

DATASOURCE = {"type": "prometheus", "uid": "${" + c.GRAFANA_DATASOURCE_VAR + "}"}

# Colours of the budget thresholds when the service's policy names no levels:
# red once the budget is spent, orange while less than half is left.
DEFAULT_BUDGET_LEVELS = (Decimal("0"), Decimal("0.5"))


def group_variable(label: str) -> str:
    """The dashboard variable that filters a `group_by` label (never the datasource's name)."""
    return "group_" + label if label == c.GRAFANA_DATASOURCE_VAR else label


def matchers(slo: Slo, grouped: bool = True, extra: tuple[str, ...] = ()) -> str:
    """`{slo_id="x"}`, plus a regex matcher per group label bound to its variable."""
    parts = [f'{c.LABEL_SLO_ID}="{slo.id}"']
    if grouped:
        parts += [f'{label}=~"${{{group_variable(label)}}}"' for label in slo.group_by]
    return "{" + ", ".join(parts + list(extra)) + "}"


def legend(slo: Slo, text: str) -> str:
    """A series name: the text, then the group's label values when the SLO has groups."""
    groups = " ".join("{{" + label + "}}" for label in slo.group_by)
    return f"{text} {groups}" if groups else text


# A dashboard over the SLO window plots one point per hour or so. An instant
# value at each step would skip a 3-minute outage between two steps; the
# worst value within the step does not. `$__rate_interval` is the step plus
# one scrape interval (at least four), so a range never falls between two
# evaluations of the rule when zoomed in.
STEP_RANGE = "[$__rate_interval]"


def worst_in_step(selector: str, fn: str = "max_over_time") -> str:
    """`max_over_time(<selector>[$__rate_interval])`: the worst sample of each step, not the one at it."""
    return f"{fn}({selector}{STEP_RANGE})"


def target(ref: str, expr: str, legend_format: str, instant: bool = False) -> dict:
    """One Prometheus query of a panel."""
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "instant": instant,
        "legendFormat": legend_format,
        "range": not instant,
        "refId": ref,
    }


def state_timeline_options() -> dict:
    """The layout every state-timeline panel shares: one row per series, no legend."""
    return {
        "alignValue": "left",
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
        "mergeValues": True,
        "rowHeight": Decimal("0.9"),
        "showValue": "auto",
        "tooltip": {"mode": "single", "sort": "none"},
    }


def steps(pairs: list[tuple[str, Decimal | None]]) -> dict:
    """Absolute thresholds from (colour, value) pairs; the first value is None (the base)."""
    return {"mode": "absolute", "steps": [{"color": colour, "value": value} for colour, value in pairs]}


def budget_thresholds(service: Service) -> dict:
    """Red, orange, ..., green at the budget levels where the service's policy acts."""
    levels: list[Decimal] = []
    if service.policy is not None:
        levels = sorted({rule.value for rule in service.policy.rules if rule.metric == "budget_remaining"})
    if not levels:
        levels = list(DEFAULT_BUDGET_LEVELS)
    pairs: list[tuple[str, Decimal | None]] = [("red", None)]
    for index, level in enumerate(levels):
        last = index == len(levels) - 1
        pairs.append(("green" if last else ("orange" if index == 0 else "yellow"), level))
    return steps(pairs)


def burn_thresholds(slo: Slo) -> dict:
    """A step at each alert condition's burn rate: red where a page fires, orange for tickets."""
    by_burn: dict[Decimal, str] = {}
    for condition in slo.alerting.conditions:
        burn = round_decimal(condition.burn)
        if by_burn.get(burn) != "red":
            by_burn[burn] = "red" if condition.severity == "page" else "orange"
    return steps([("green", None)] + [(colour, burn) for burn, colour in sorted(by_burn.items())])


def percent_decimals(objective: Decimal) -> int:
    """Digits after the point of the objective in percent: 99.9% -> 1, 99% -> 0."""
    text = percent_text(objective).rstrip("%")
    return len(text.split(".")[1]) if "." in text else 0


def timeseries(title: str, targets: list[dict], unit: str, description: str, **custom: object) -> dict:
    """A time series panel with lines, its thresholds and overrides filled in by the caller."""
    return {
        "datasource": DATASOURCE,
        "description": description,
        "fieldConfig": {
            "defaults": {
                "custom": {
                    "drawStyle": "line", "fillOpacity": 10, "lineWidth": 2, "showPoints": "never", "spanNulls": False, **custom,
                },
                "unit": unit,
            },
            "overrides": [],
        },
        "options": {
            "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
        "targets": targets,
        "title": title,
        "type": "timeseries",
    }


def sli_panel(slo: Slo) -> dict:
    """The SLI (1 - error ratio) over 5m and over the window, against the objective line."""
    now = current_window(slo)
    short = c.error_ratio_rule(now)
    # A calendar SLO's window ratio is its period's since the start (it restarts at each period).
    whole = c.window_ratio_rule(slo)
    window = prom_window(slo.window) if slo.calendar is None else timebase.THIS_PERIOD[slo.calendar]
    over = f"over {window}" if slo.calendar is None else f"{window} so far"
    panel = timeseries(
        "SLI against the objective",
        [
            # The lowest SLI of each step: 1 - the highest error ratio.
            target("A", f"1 - {worst_in_step(short + matchers(slo))}",
                   legend(slo, f"SLI over {prom_window(now)}")),
            target("B", f"1 - {whole}{matchers(slo)}", legend(slo, f"SLI {over}")),
            target("C", f"{c.OBJECTIVE}{matchers(slo, grouped=False)}", "objective"),
        ],
        "percentunit",
        f"Share of good events. Below the dashed objective line over {window}, the SLO is missed."
        if slo.calendar is None else
        f"Share of good events. The line of {window} so far counts since the {slo.calendar} started (in"
        f" {slo.timezone}) and starts afresh with each {slo.calendar}; below the dashed objective line at the"
        f" {slo.calendar}'s end, the SLO is missed for it.",
    )
    defaults = panel["fieldConfig"]["defaults"]
    defaults["decimals"] = percent_decimals(slo.objective) + 1
    defaults["max"] = 1
    panel["fieldConfig"]["overrides"] = [
        {
            "matcher": {"id": "byFrameRefID", "options": "C"},
            "properties": [
                {"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}},
                {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
                {"id": "custom.fillOpacity", "value": 0},
            ],
        }
    ]
    return panel


def budget_stat(service: Service, slo: Slo) -> dict:
    """The share of the window's error budget left now, coloured by the policy's levels."""
    if slo.calendar is None:
        description = f"Share of the {prom_window(slo.window)} error budget not yet spent; below 0% the SLO is missed."
    else:
        description = (f"Share of the error budget of the current {timebase.period_text(slo.calendar, slo.timezone)}"
                       f" not yet spent, counted since it started; below 0% the SLO is missed for this {slo.calendar}.")
    return {
        "datasource": DATASOURCE,
        "description": description,
        "fieldConfig": {
            "defaults": {"decimals": 1, "thresholds": budget_thresholds(service), "unit": "percentunit"},
            "overrides": [],
        },
        "options": stat_options(),
        "targets": [target("A", f"{c.BUDGET_REMAINING}{matchers(slo)}", legend(slo, "budget remaining"))],
        "title": "Error budget remaining" + ("" if slo.calendar is None else " " + timebase.THIS_PERIOD[slo.calendar]),
        "type": "stat",
    }


def budget_panel(service: Service, slo: Slo) -> dict:
    """The error budget remaining over time, with the policy's levels as dashed lines."""
    panel = timeseries(
        "Error budget remaining over time",
        [target("A", f"{c.BUDGET_REMAINING}{matchers(slo)}", legend(slo, "budget remaining"))],
        "percentunit",
        "How fast the budget is going: a steep fall is a high burn rate.",
        thresholdsStyle={"mode": "dashed"},
    )
    panel["fieldConfig"]["defaults"].update({"decimals": 1, "max": 1, "thresholds": budget_thresholds(service)})
    return panel


def long_windows(slo: Slo) -> list[tuple[int, str, list[str]]]:
    """Each alert long window but the SLO window: (seconds, colour of its most severe condition, "page 14.4x", ...)."""
    by_long: dict[int, list] = {}
    for condition in slo.alerting.conditions:
        if condition.long != slo.window:  # the window's own burn is plotted already
            by_long.setdefault(condition.long, []).append(condition)
    return [
        (long, "red" if any(cond.severity == "page" for cond in conditions) else "orange",
         [f"{cond.severity} above {decimal_text(round_decimal(cond.burn))}x" for cond in conditions])
        for long, conditions in sorted(by_long.items())
    ]


def burn_panel(slo: Slo) -> dict:
    """The burn rate over 5m, over each alert's long window and over the window, with a line at each alert's burn rate.

    A condition fires when its long window's burn crosses its line (and the
    short window's too), so each long window's burn is drawn in the colour of
    its line.
    """
    thresholds = burn_thresholds(slo) if slo.alerting.enabled else steps([("green", None)])
    burns = [step["value"] for step in thresholds["steps"][1:]]
    custom: dict[str, object] = {"thresholdsStyle": {"mode": "dashed"}}
    if burns:
        # Keep the highest alert line in view while the service is calm.
        custom["axisSoftMax"] = round_decimal(max(burns) * Decimal("1.25"))
    lines = ", ".join(f"{decimal_text(burn)}x" for burn in burns)
    budget = decimal_text(slo.error_budget)
    targets = [
        target("A", worst_in_step(f"{c.CURRENT_BURN_RATE}{matchers(slo)}"),
               legend(slo, f"over {prom_window(current_window(slo))}")),
        target("B", f"{c.PERIOD_BURN_RATE}{matchers(slo)}", legend(slo, f"over {prom_window(slo.window)}"
                                                                         if slo.calendar is None else
                                                                         f"{timebase.THIS_PERIOD[slo.calendar]} so far")),
    ]
    overrides = []
    windows = long_windows(slo) if slo.alerting.enabled else []
    for index, (long, colour, fires) in enumerate(windows):
        ref = f"L{index + 1}"
        # The recorded error ratio over the long window, as a burn rate: / the budget (a literal, as the rules do).
        expr = f"{worst_in_step(c.error_ratio_rule(long) + matchers(slo))} / {budget}"
        targets.append(target(ref, expr, legend(slo, f"over {prom_window(long)} ({', '.join(fires)})")))
        overrides.append({
            "matcher": {"id": "byFrameRefID", "options": ref},
            "properties": [{"id": "color", "value": {"fixedColor": colour, "mode": "fixed"}}],
        })
    panel = timeseries(
        "Burn rate",
        targets,
        "suffix:x",
        "Multiples of the rate that spends exactly the budget over the window (1x)."
        + (f" Dashed lines: the alert burn rates ({lines}); red pages, orange tickets." if lines else "")
        + (" Each alert's long window is drawn in the colour of its line: the alert fires while it is above"
           " the line (and its short window too)." if windows else "")
        + " Each point is the highest burn within its step, so a short spike is not stepped over.",
        **custom,
    )
    panel["fieldConfig"]["defaults"].update({"decimals": 2, "min": 0, "thresholds": thresholds})
    panel["fieldConfig"]["overrides"] = overrides
    return panel


def alerts_panel(slo: Slo) -> dict:
    """Which of the SLO's alerts were pending (1) or firing (2), from Prometheus's ALERTS."""
    # One line per alert name and severity (and group): what notifies someone.
    # Conditions of one severity are one line whatever labels tell them apart.
    # Each step shows the worst state within it, so an alert that fired for
    # three minutes between two hourly steps still shows.
    labels = (c.LABEL_ALERT_NAME, c.LABEL_SEVERITY) + slo.group_by
    by = ", ".join(labels)
    firing = worst_in_step(c.ALERTS_SERIES + matchers(slo, extra=(f'{c.LABEL_ALERT_STATE}="firing"',)))
    pending = worst_in_step(c.ALERTS_SERIES + matchers(slo, extra=(f'{c.LABEL_ALERT_STATE}="pending"',)))
    names = " ".join("{{" + label + "}}" for label in labels)
    return {
        "datasource": DATASOURCE,
        "description": "Each alert of this SLO over time: orange while pending (its `for` has not passed), red while firing.",
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "thresholds"},
                "mappings": [
                    {
                        "options": {
                            "1": {"color": "orange", "index": 0, "text": "pending"},
                            "2": {"color": "red", "index": 1, "text": "firing"},
                        },
                        "type": "value",
                    }
                ],
                "noValue": "No alert pending or firing",
                "thresholds": steps([("orange", None), ("red", Decimal(2))]),
            },
            "overrides": [],
        },
        "options": state_timeline_options(),
        "targets": [target("A", f"max by ({by}) (2 * {firing} or {pending})", names)],
        "title": "Alerts",
        "type": "state-timeline",
    }


def _link(url: str) -> str:
    # Only web links become anchors: a `javascript:` runbook stays text.
    text = escape(url)
    if url.startswith(("https://", "http://")):
        return f'<a href="{text}" target="_blank" rel="noopener noreferrer">{text}</a>'
    return text


def escape(text: str) -> str:
    """Spec text as HTML text: tags, quotes and Grafana's `$variables` stay as typed."""
    return html.escape(text, quote=True).replace("$", "&#36;").replace("\n", "<br>\n")


def about_html(service: Service, slo: Slo) -> str:
    """The facts an on-call engineer looks up first, as an HTML table of escaped text."""
    window = prom_window(slo.window)
    budget = human_duration(budget_seconds(slo.objective, slo.window))
    if slo.calendar is None:
        rows = [
            ("Objective", f"{percent_text(slo.objective)} good over a rolling {window}"),
            ("Error budget", f"{percent_text(slo.error_budget)}, or {budget} of full outage per {window}"),
        ]
    else:
        shortest, longest = (human_duration(budget_seconds(slo.objective, span))
                             for span in timebase.period_lengths(slo.calendar, slo.timezone))
        rows = [
            ("Objective", f"{percent_text(slo.objective)} good {timebase.over_window(slo)}"),
            ("Error budget", f"{percent_text(slo.error_budget)}, or {budget} of full outage in"
                             f" {timebase.nominal_text(slo.calendar)} ({shortest} to {longest} by the"
                             f" {slo.calendar}'s length), counted since the {slo.calendar} started"),
        ]
    if slo.sla is not None:
        rows.append(("SLA", percent_text(slo.sla)))
    if slo.group_by:
        rows.append(("Grouped by", ", ".join(slo.group_by)))
    if isinstance(slo.indicator, CompositeIndicator):
        rows.append(("Members", composite_text(slo.indicator)))
    rows += [("Maintenance", f"{window.name}: {schedule_text(window)}") for window in slo.maintenance]
    cells = [f"<tr><th>{name}</th><td>{escape(value)}</td></tr>" for name, value in rows]
    for name, value in (("Owner", service.owner), ("On call", service.oncall), ("Runbook", service.runbook)):
        if value is not None:
            shown = escape(value) if name == "Owner" else _link(value)
            cells.append(f"<tr><th>{name}</th><td>{shown}</td></tr>")
    if slo.alerting.enabled and slo.alerting.conditions:
        alerts = "; ".join(
            f"{condition.severity} at {decimal_text(condition.burn)}x over {prom_window(condition.long)}"
            f" and {prom_window(condition.short)}"
            for condition in slo.alerting.conditions
        )
        cells.append(f"<tr><th>Alerts</th><td>{escape(slo.alerting.name)}: {escape(alerts)}</td></tr>")
    description = f"<p>{escape(slo.description)}</p>\n" if slo.description else ""
    return description + "<table>\n" + "\n".join(cells) + "\n</table>\n"


def composite_text(indicator: CompositeIndicator) -> str:
    """`a × 1, b × 2 (no data: bad); weighted sum`: the members as the about table lists them."""
    parts = [f"{member.slo_id} × {decimal_text(member.weight)} (no data: {member.when_no_data})"
             for member in indicator.members]
    how = "highest weighted burn rate" if indicator.aggregate == "worst" else "weighted sum of error ratios"
    return f"{', '.join(parts)}; {how}"


def about_panel(service: Service, slo: Slo) -> dict:
    """A text panel: description, objective, window, SLA, owner, on-call and runbook."""
    return {
        "options": {"content": about_html(service, slo), "mode": "html"},
        "title": f"About {slo.name}",
        "type": "text",
    }


def stat_options() -> dict:
    """A stat panel's options: the last value, on a background in its threshold's colour."""
    return {
        "colorMode": "background",
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "textMode": "auto",
    }
