"""The `docs` target: `docs/<service>.md`, a chart per SLO, and the `docs/README.md` index.

Charts live at `docs/<service>/<slo>.svg` (a folder per service, so the ids
`a-b` + `c` and `a` + `b-c` cannot collide). Every text from a spec passes
through `md_text` (or `md_fence` for queries), so it shows as text: never
HTML, a link, emphasis or a table break.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ..core import conventions, queries, slices, sremath, timebase
from ..core.ir import (
    CompositeIndicator,
    Condition,
    LatencyIndicator,
    Policy,
    PolicyRule,
    Program,
    RatioIndicator,
    Service,
    Slo,
    ThresholdIndicator,
)
from ..core.units import decimal_text, format_duration, format_duration_ms, human_duration, percent_text
from . import docs_chart, docs_composite, docs_model, docs_period
from .docs_text import NONE, md_fence, md_link_or_text, md_or_none, md_text
from .render import html_comment_text, render

TIER_ORDER = {tier: rank for rank, tier in enumerate(conventions.TIERS)}
OPERATOR_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def anchor(slo: Slo) -> str:
    """The fragment GitHub gives the heading `SLO <name>`."""
    return f"slo-{slo.name}"


def chart_path(service: Service, slo: Slo) -> str:
    """The chart's path relative to `docs/`."""
    return conventions.docs_chart_path(service.name, slo.name).split("/", 1)[1]


def measures(slo: Slo) -> str:
    """What the indicator counts, in plain words (Markdown)."""
    indicator = slo.indicator
    if isinstance(indicator, CompositeIndicator):
        text = docs_composite.measures(indicator, slo.slices is not None)
    elif isinstance(indicator, RatioIndicator):
        if indicator.errors is not None:
            text = "The share of events that fail: events counted by the errors query, out of all events counted by the total query."
        else:
            text = "The share of events that fail: all events counted by the total query, less the good ones counted by the good query."
    elif isinstance(indicator, LatencyIndicator):
        if indicator.threshold_seconds is not None:
            limit = threshold_text(indicator.threshold_seconds)
            text = f"The share of requests slower than {limit}: the histogram bucket le={md_text(indicator.le)} counts the fast ones, le=+Inf all of them."
        else:
            text = f"The share of requests above the histogram bucket le={md_text(indicator.le)}, out of all requests (le=+Inf)."
    elif isinstance(indicator, ThresholdIndicator):
        condition = md_text(f"{indicator.op} {decimal_text(indicator.value)}")
        text = (f"The share of bad samples: each sample of the metric's series, as each rule evaluation reads it,"
                f" is good when it is {condition}; every series weighs by its samples.")
    else:
        text = "The error ratio the expression below computes, between 0 (no errors) and 1 (all errors)."
    if slo.slices is not None and slo.is_composite:
        text += (f" Its members count {format_duration(slo.slices.length)} time slices, so it does too: a slice"
                 " is bad when any member's slice is bad.")
    elif slo.slices is not None:
        length = format_duration(slo.slices.length)
        skipped = {"skip": "count as neither good nor bad", "good": "count as good", "bad": "count as bad"}
        if slo.slices.ratio:
            text += (f" Counted in {length} time slices: the SLI is the mean of the slices' SLIs (ratio = true);"
                     f" slices without data {skipped[slo.slices.no_data]}.")
        else:
            text += (f" Counted in {length} time slices: a slice is good when its SLI is at least"
                     f" {percent_text(slo.slices.target)}, and the SLO counts good slices; slices without data"  # type: ignore[arg-type]
                     f" {skipped[slo.slices.no_data]}.")
    if slo.group_by:
        text += " Measured and alerted on separately for each value of " + ", ".join(md_text(label) for label in slo.group_by) + "."
    return text


def threshold_text(seconds: Decimal) -> str:
    """300 ms as `300ms`, 2.5 s as `2s500ms`; finer than a millisecond as seconds."""
    ms = seconds * 1000
    if ms == ms.to_integral_value():
        return format_duration_ms(int(ms))
    return decimal_text(seconds) + "s"


def severity_text(condition: Condition) -> str:
    """`page`, or `ticket (severity low)` when the condition's labels override the severity label."""
    label = dict(condition.labels).get(conventions.LABEL_SEVERITY)
    if label is None or label == condition.severity:
        return condition.severity
    return f"{condition.severity} (severity {md_text(label)})"


def condition_specs(slo: Slo) -> tuple[docs_model.ConditionSpec, ...]:
    """The SLO's alert conditions as the shared alert table takes them."""
    return tuple(
        docs_model.ConditionSpec(severity_text(c), c.burn, c.long, c.short, c.for_, c.budget)
        for c in slo.alerting.conditions
    )


def query_blocks(slo: Slo) -> list[dict[str, str]]:
    """The PromQL behind the numbers: the SLI as recorded, and the series to watch."""
    short = conventions.CURRENT_BURN_WINDOW
    if slo.is_composite:
        first = docs_composite.query_blocks(slo)
    elif slo.slices is not None:
        length = format_duration(slo.slices.length)
        value = slices.raw_value(slo, queries.error_ratio(slo.indicator, slo.slices.length, slo.group_by))
        first = [
            {"caption": f"Error ratio of the last {length} slice, straight from the indicator's series, a slice"
                        f" without data as `no_data = {slo.slices.no_data}` says; the rules record it as"
                        f" `{conventions.SLICE_ERROR}` at every evaluation:",
             "code": md_fence(value)},
            docs_period.window_block(slo),
        ]
    else:
        first = [
            {"caption": f"Error ratio over {format_duration(short)}, straight from the indicator's series; the rules "
                        f"record it as `{conventions.error_ratio_rule(short)}`, and likewise over every alert window "
                        + (f"and over {format_duration(slo.window)}:" if slo.calendar is None else
                           f"and since the start of the current {md_text(timebase.window_text(slo))} as"
                           f" `{conventions.PERIOD_RATIO}` (all events since the start, not an estimate of the whole"
                           f" period):"),
             "code": md_fence(queries.error_ratio(slo.indicator, short, slo.group_by))},
        ]
    return [
        *first,
        {"caption": f"Share of the error budget left {docs_period.budget_scope(slo)} (1 = untouched, below 0 = overspent):",
         "code": md_fence(queries.recorded(conventions.BUDGET_REMAINING, slo.id))},
        {"caption": "Burn rate now (1 = spending exactly the budget):",
         "code": md_fence(queries.recorded(conventions.CURRENT_BURN_RATE, slo.id))},
    ]


def budget_rows(slo: Slo) -> tuple[docs_model.BudgetRow, ...]:
    """The budget as time (a calendar SLO's: per period length), or as bad slices."""
    if slo.slices is not None:
        return slice_budget_rows(slo)
    return docs_model.slo_budget_rows(slo.objective, slo.window, slo.calendar, slo.timezone)


def slice_budget_rows(slo: Slo) -> tuple[docs_model.BudgetRow, ...]:
    """The budget as bad slices, with the time they stand for: `216 bad 1m slices (3h36m)` for 99.5% over 30d."""
    assert slo.slices is not None
    rows = docs_model.slo_budget_rows(slo.objective, slo.window, slo.calendar, slo.timezone)
    return docs_model.as_slices(rows, slo.objective, slo.slices.length)


def alert_rows(slo: Slo) -> tuple[docs_model.AlertRow, ...]:
    """The alert table; for a slice SLO, a full outage is detected once enough whole slices have ended bad.

    As many as it takes for both windows' bad-slice ratios to pass the threshold, and `min_failures`,
    times the slice length, plus `for`: not the event formula, since a slice counts only once it ends.
    """
    rows = docs_model.alert_rows(slo.objective, slo.window, condition_specs(slo))
    if slo.slices is None:
        return rows
    length = slo.slices.length
    fixed = []
    for row, condition in zip(rows, slo.alerting.conditions):
        if row.can_fire and not slo.slices.ratio:
            limit = sremath.threshold(condition.burn, slo.objective)
            needed = max(int(limit * window // length) + 1 for window in (condition.long, condition.short))
            needed = max(needed, queries.min_failures(slo, condition))
            seconds = Decimal(needed * length + (condition.for_ or 0))
            text = human_duration(seconds)
            if slices.hourly(condition.long):  # the long window ends at the last whole hour
                text = f"{text} to {human_duration(seconds + slices.HOUR)}"
            row = replace(row, full_outage=text)
        fixed.append(row)
    return tuple(fixed)


def slo_view(service: Service, slo: Slo, program: Program | None = None) -> dict[str, object]:
    """Everything the page says about one SLO, escaped and formatted (`program`: where a composite's members are)."""
    alerting = slo.alerting
    enabled = alerting.enabled and bool(alerting.conditions)
    sla = None
    if slo.sla is not None:
        points, extra = docs_model.sla_margin(slo.objective, slo.sla, slo.window)
        sla = {"text": percent_text(slo.sla), "points": points, "extra": extra}
    return {
        "name": md_text(slo.name),
        "id": md_text(slo.id),
        "anchor": anchor(slo),
        "description": None if not slo.description else md_text(slo.description),
        "measures": measures(slo),
        "objective": percent_text(slo.objective),
        "window": md_text(timebase.window_text(slo)),
        "scope": md_text(timebase.objective_scope(slo)),
        "period": docs_period.period_note(slo),
        "per": format_duration(slo.window) if slo.calendar is None else timebase.nominal_length_text(slo.calendar),
        "budget_ratio": percent_text(slo.error_budget),
        "sla": sla,
        "unit": ("journeys" if slo.is_composite else "events") if slo.slices is None
        else f"{format_duration(slo.slices.length)} slices",
        "sliced": slo.slices is not None,
        "budget_rows": budget_rows(slo),
        "queries": query_blocks(slo),
        "alerting": enabled,
        "alerting_off": "Alerting is disabled for this SLO." if not alerting.enabled
        else "This SLO has no alert conditions.",
        "alert_name": md_text(alerting.name),
        "alerts": alert_rows(slo) if enabled else (),
        "has_for": any(c.for_ for c in alerting.conditions),
        "no_data": format_duration(alerting.no_data) if alerting.enabled and alerting.no_data else None,
        "no_data_name": md_text(alerting.no_data_name or alerting.name + conventions.ALERT_NO_DATA_SUFFIX),
        "no_data_severity": alerting.no_data_severity,
        "no_data_watch": _no_data_watch(slo),
        "chart": chart_path(service, slo) if enabled else None,
        "template": None if slo.template is None else md_text(slo.template),
        "members": docs_composite.members_view(slo, program) if slo.is_composite else None,
        "maintenance": docs_composite.maintenance_rows(slo),
    }


def _no_data_watch(slo: Slo) -> str:
    """What the NoData alert waits for, in words; a composite watches its members, it has no indicator."""
    if slo.is_composite:
        return ("none of its members has had a series that counts (a member with `when_no_data = skip` counts only"
                " while it records a ratio; members in maintenance are expected to be silent)")
    return {"total": "its total series has not existed",
            "both": "its total series has not existed (the service is down) or the indicator has had no data"
            }.get(slo.alerting.no_data_watch, "the indicator has had no data")


def rule_when(rule: PolicyRule) -> str:
    """`budget remaining < 50%`, `burn rate > 2 over 7d`."""
    operator = OPERATOR_TEXT.get(rule.op, rule.op)
    if rule.metric == "budget_remaining":
        text = f"budget remaining {operator} {percent_text(rule.value)}"
    else:
        text = f"burn rate {operator} {decimal_text(rule.value)}"
    if rule.over is not None:
        text += f" over {format_duration(rule.over)}"
    return md_text(text)


def rule_meaning(rule: PolicyRule, slo: Slo) -> str:
    """The rule in one SLO's own terms: time left, or the error ratio it takes."""
    if rule.metric == "budget_remaining":
        left = human_duration(rule.value * slo.error_budget * slo.window)
        whole = docs_model.budget_rows(slo.objective, slo.window)[0].text
        if slo.calendar is not None:  # the current period's budget, as time of a nominal period
            return (f"{md_text(slo.name)}: {left} of {whole} left {timebase.THIS_PERIOD[slo.calendar]}"
                    f" (in {timebase.nominal_text(slo.calendar)})")
        return f"{md_text(slo.name)}: {left} of {whole} left"
    operator = md_text(OPERATOR_TEXT.get(rule.op, rule.op))
    return f"{md_text(slo.name)}: error ratio {operator} {percent_text(rule.value * slo.error_budget)}"


def policy_view(policy: Policy | None, service: Service) -> dict[str, object] | None:
    """The policy as a table of thresholds, actions and who is notified."""
    if policy is None:
        return None
    return {
        "name": md_text(policy.name),
        "description": None if not policy.description else md_text(policy.description),
        "calendar": any(slo.calendar is not None for slo in service.slos),
        "rules": [
            {
                "when": rule_when(rule),
                "meaning": "; ".join(rule_meaning(rule, slo) for slo in service.slos) or NONE,
                "action": md_text(rule.action) + (
                    f" (blocks: {', '.join(md_text(item) for item in rule.blocks)})" if rule.blocks else ""),
                "notify": ", ".join(md_text(target) for target in rule.notify) or NONE,
            }
            for rule in policy.rules
        ],
    }


def service_view(service: Service, program: Program | None = None) -> dict[str, object]:
    """The template's whole context for `docs/<service>.md`."""
    return {
        "source": html_comment_text(service.source),
        "name": md_text(service.name),
        "description": None if not service.description else md_text(service.description),
        "facts": [
            ("Owner", md_or_none(service.owner)),
            ("On-call", md_link_or_text(service.oncall)),
            ("Tier", md_text(service.tier)),
            ("Runbook", md_link_or_text(service.runbook)),
            ("Dashboard", md_link_or_text(service.dashboard)),
            ("Spec", md_text(service.source)),
        ],
        "slos": [slo_view(service, slo, program) for slo in service.slos],
        "policy": policy_view(service.policy, service),
    }


def index_view(program: Program) -> dict[str, object]:
    """Every SLO of every service, by tier (critical first), then service and SLO name."""
    services = sorted(program.services, key=lambda s: (TIER_ORDER.get(s.tier, len(TIER_ORDER)), s.name))
    rows = []
    for service in services:
        page = f"{service.name}.md"
        common = {"tier": md_text(service.tier), "service": md_text(service.name), "page": page,
                  "owner": md_or_none(service.owner)}
        if not service.slos:
            rows.append({**common, "slo": None})
        for slo in sorted(service.slos, key=lambda s: s.name):
            rows.append({**common, "slo": {
                "name": md_text(slo.name), "link": f"{page}#{anchor(slo)}",
                "objective": percent_text(slo.objective), "window": md_text(timebase.window_text(slo)),
                "budget": docs_model.budget_rows(slo.objective, slo.window)[0].text,
                "chart": chart_path(service, slo) if slo.alerting.enabled and slo.alerting.conditions else None,
            }})
    sources = sorted({html_comment_text(service.source) for service in program.services})
    return {"sources": ", ".join(sources) or "no specs", "rows": rows}


def chart_svg(service: Service, slo: Slo) -> str:
    """The detection-time chart of one SLO."""
    curves = [docs_chart.Curve(c.severity, c.burn, c.long, c.short, c.for_) for c in slo.alerting.conditions]
    title = f"{slo.id}: time to detection by error ratio ({percent_text(slo.objective)} {timebase.over_window(slo)})"
    return docs_chart.chart(title, slo.objective, curves, service.source)


def emit(program: Program) -> dict[str, str]:
    """`docs/<service>.md`, `docs/<service>/<slo>.svg` and `docs/README.md`."""
    out: dict[str, str] = {conventions.DOCS_INDEX_PATH: render("docs_index.md.j2", **index_view(program))}
    for service in program.services:
        view = service_view(service, program)
        out[conventions.docs_page_path(service.name)] = render("docs_service.md.j2", **view)
        for slo, slo_data in zip(service.slos, view["slos"]):
            if slo_data["chart"]:
                out[f"docs/{slo_data['chart']}"] = chart_svg(service, slo)
    return dict(sorted(out.items()))
