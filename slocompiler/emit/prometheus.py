"""Prometheus backend: recording rules, multi-window burn-rate alerts and their promtool tests.

Rules are built as plain data (rule_groups) and written through the templates
prometheus.rules.yml.j2 and prometheus_groups.yml.j2, whose filters quote every
value, so a spec's strings stay strings. docs/PROMETHEUS.md explains the rule layout.
"""

from __future__ import annotations

from decimal import Decimal

from .. import conventions as c
from .. import queries, sremath
from ..ir import Condition, ExprIndicator, Program, Service, Slo
from ..render import one_line, render
from ..units import decimal_text, format_duration, human_duration, percent_text, prom_window


def emit(program: Program) -> dict[str, str]:
    """`prometheus/<service>.rules.yml` and `prometheus/<service>.test.yml` for every service."""
    from .promtest import tests_yaml

    files = rules_files(program)
    for service in program.services:
        files[c.prometheus_tests_path(service.name)] = tests_yaml(service)
    return files


def rules_files(program: Program) -> dict[str, str]:
    """Only the rules files, `{path: text}`: what the benchmark times against `promtool check rules`."""
    return {c.prometheus_rules_path(s.name): rules_yaml(s) for s in program.services}


def rules_yaml(service: Service) -> str:
    """The text of one service's rules file."""
    return render("prometheus.rules.yml.j2", source=source_comment(service), groups=rule_groups(service))


def source_comment(service: Service) -> str:
    """The spec's path as it may stand in a one-line comment."""
    return one_line(service.source)


def rule_groups(service: Service) -> list[dict]:
    """Two groups per SLO, in spec order: SLIs then alerts; the period ratio and metadata."""
    groups: list[dict] = []
    for slo in service.slos:
        rules = sli_rules(service, slo) + alert_rules(service, slo)
        groups.append({"name": c.GROUP_SLI.format(slo_id=slo.id), "rules": rules})
        period = period_rules(service, slo)
        groups.append({"name": c.GROUP_PERIOD.format(slo_id=slo.id), "interval": c.GROUP_PERIOD_INTERVAL, "rules": period})
    return groups


def slo_labels(slo: Slo, service: Service) -> dict[str, str]:
    """The labels on every rule of an SLO: ours first, then the service's and SLO's own."""
    labels = {c.LABEL_SLO_ID: slo.id, c.LABEL_SERVICE: service.name, c.LABEL_SLO: slo.name}
    for name, value in sorted(slo.labels):
        labels.setdefault(name, value)
    return labels


def alert_windows(slo: Slo) -> list[int]:
    """Every window a condition reads (even with alerting disabled: dashboards show them), plus 5m; not the SLO window."""
    windows = {c.CURRENT_BURN_WINDOW}
    for condition in slo.alerting.conditions:
        windows.update((condition.long, condition.short))
    windows.discard(slo.window)
    return sorted(windows)


def _record(name: str, expr: str, labels: dict[str, str]) -> dict:
    return {"record": name, "expr": expr, "labels": dict(labels)}


def sli_rules(service: Service, slo: Slo) -> list[dict]:
    """Event rates over 5m and the error ratio for every alert window."""
    labels = slo_labels(slo, service)
    short = c.CURRENT_BURN_WINDOW
    rules = []
    if not isinstance(slo.indicator, ExprIndicator):
        bad = c.EVENTS_BAD_PREFIX + prom_window(short)
        total = c.EVENTS_TOTAL_PREFIX + prom_window(short)
        rules.append(_record(bad, queries.bad_events(slo.indicator, short, slo.group_by) or "", labels))
        rules.append(_record(total, queries.total_events(slo.indicator, short, slo.group_by) or "", labels))
    for window in alert_windows(slo):
        if window == short and not isinstance(slo.indicator, ExprIndicator):
            # Reuse the two rates just recorded.
            expr = f"{queries.recorded(bad, slo.id)}\n/\n{queries.recorded(total, slo.id)}"
        else:
            expr = queries.error_ratio(slo.indicator, window, slo.group_by)
        rules.append(_record(c.error_ratio_rule(window), expr, labels))
    return rules


def period_ratio(slo: Slo) -> str:
    """The SLO-window error ratio: recorded 5m event rates summed over the window (traffic-weighted)."""
    short = c.CURRENT_BURN_WINDOW
    if isinstance(slo.indicator, ExprIndicator):
        # No event counts to weigh by: the time average of the 5m ratio.
        return f"avg_over_time({queries.recorded(c.error_ratio_rule(short), slo.id, slo.window)})"
    bad = queries.recorded(c.EVENTS_BAD_PREFIX + prom_window(short), slo.id, slo.window)
    total = queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(short), slo.id, slo.window)
    return f"sum_over_time({bad})\n/\nsum_over_time({total})"


def period_rules(service: Service, slo: Slo) -> list[dict]:
    """The SLO-window error ratio and the six metadata rules of OUTPUTS.md."""
    labels = slo_labels(slo, service)
    budget = decimal_text(slo.error_budget)
    days = decimal_text(Decimal(slo.window) / 86400)
    current = queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    period = queries.recorded(c.error_ratio_rule(slo.window), slo.id)
    return [
        _record(c.error_ratio_rule(slo.window), period_ratio(slo), labels),
        _record(c.OBJECTIVE, f"vector({decimal_text(slo.objective)})", labels),
        _record(c.ERROR_BUDGET, f"vector({budget})", labels),
        _record(c.TIME_PERIOD_DAYS, f"vector({days})", labels),
        _record(c.CURRENT_BURN_RATE, f"{current} / {budget}", labels),
        _record(c.PERIOD_BURN_RATE, f"{period} / {budget}", labels),
        _record(c.BUDGET_REMAINING, f"1 - {queries.recorded(c.PERIOD_BURN_RATE, slo.id)}", labels),
    ]


def go_template_text(text: str) -> str:
    """Text that Prometheus's Go templating expands back to itself: `{{` becomes `{{ "{{" }}`."""
    return text.replace("{{", '{{ "{{" }}')


def condition_key(slo: Slo, condition: Condition) -> str:
    """The `slo_window` label telling an SLO's conditions apart: the long window, or long/short when shared."""
    longs = [other.long for other in slo.alerting.conditions]
    key = prom_window(condition.long)
    return key if longs.count(condition.long) == 1 else f"{key}/{prom_window(condition.short)}"


def alert_labels(service: Service, slo: Slo, severity: str, window: str | None, extra: tuple = ()) -> dict[str, str]:
    """Labels of one alert: SLO labels, severity, window, then alerting and condition labels (later wins)."""
    labels = slo_labels(slo, service)
    labels[c.LABEL_SEVERITY] = severity
    if window is not None:
        labels[c.LABEL_WINDOW] = window
    reserved = {c.LABEL_SLO_ID, c.LABEL_SERVICE, c.LABEL_SLO}
    for name, value in [*sorted(slo.alerting.labels), *sorted(extra)]:
        if name not in reserved:
            labels[name] = value
    if labels[c.LABEL_SEVERITY] != severity:
        labels[c.LABEL_ALERT_CLASS] = severity
    return labels


def annotations(service: Service, slo: Slo, summary: str, description: str, extra: tuple = ()) -> dict[str, str]:
    """Our annotations, then the alerting's and the condition's own (later wins)."""
    notes = {c.ANNOTATION_SUMMARY: summary, c.ANNOTATION_DESCRIPTION: description}
    if service.runbook:
        notes[c.ANNOTATION_RUNBOOK] = service.runbook
    if service.dashboard:
        notes[c.ANNOTATION_DASHBOARD] = service.dashboard
    if service.oncall:
        notes[c.ANNOTATION_ONCALL] = service.oncall
    for name, value in [*sorted(slo.alerting.annotations), *sorted(extra)]:
        notes[name] = value
    return notes


def condition_text(slo: Slo, condition: Condition) -> tuple[str, str]:
    """The summary and description of a burn-rate alert: the SLO, threshold, windows, budget left."""
    burn = decimal_text(condition.burn)
    threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
    window = format_duration(slo.window)
    lasts = human_duration(sremath.exhaustion_seconds(condition.burn, slo.window))
    # A condition given as `budget` states the share exactly; the rounded burn would give 9.99999999999%.
    share = condition.budget if condition.budget is not None else sremath.budget_spent_when_firing(
        condition.burn, condition.long, slo.window
    )
    spent = percent_text(share)
    summary = f"SLO {slo.id} is burning its error budget at {burn}x or faster"
    description = (
        f"SLO {slo.id} ({percent_text(slo.objective)} over {window}): the error ratio is above {threshold}"
        f" ({burn}x the error budget of {decimal_text(slo.error_budget)}) over both the last"
        f" {format_duration(condition.long)} and the last {format_duration(condition.short)}."
        f" At this rate the whole {window} budget"
        f" ({human_duration(sremath.budget_seconds(slo.objective, slo.window))}) lasts {lasts};"
        f" {spent} of it is spent by the time this fires."
    )
    if slo.group_by:
        description += f" One alert per {', '.join(slo.group_by)}."
    if slo.description:
        description += f"\n{slo.description}"
    return summary, description


def _templated(values: dict[str, str]) -> dict[str, str]:
    return {name: go_template_text(value) for name, value in values.items()}


def condition_alert(service: Service, slo: Slo, condition: Condition) -> dict:
    """One alerting rule: the error ratio above `burn * budget` over both windows."""
    threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
    long_ratio = queries.recorded(c.error_ratio_rule(condition.long), slo.id)
    short_ratio = queries.recorded(c.error_ratio_rule(condition.short), slo.id)
    rule: dict = {"alert": slo.alerting.name, "expr": f"{long_ratio} > {threshold}\nand\n{short_ratio} > {threshold}"}
    if condition.for_:
        rule["for"] = prom_window(condition.for_)
    labels = alert_labels(service, slo, condition.severity, condition_key(slo, condition), condition.labels)
    summary, description = condition_text(slo, condition)
    rule["labels"] = _templated(labels)
    rule["annotations"] = _templated(annotations(service, slo, summary, description, condition.annotations))
    return rule


def no_data_alert(service: Service, slo: Slo) -> dict:
    """`<name>NoData` (or its own name): when no 5m error ratio, or no raw total series, exists for `no_data`."""
    assert slo.alerting.no_data is not None
    watched = queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    if slo.alerting.no_data_watch == "total":
        watched = queries.raw_total(slo.indicator, c.CURRENT_BURN_WINDOW)
    return {
        "alert": no_data_name(slo),
        "expr": f"absent({watched})",
        "for": prom_window(slo.alerting.no_data),
        "labels": _templated(no_data_labels(service, slo)),
        "annotations": _templated(no_data_annotations(service, slo)),
    }


def no_data_name(slo: Slo) -> str:
    """The NoData alert's name: its own, or `<name>NoData`."""
    return slo.alerting.no_data_name or slo.alerting.name + c.ALERT_NO_DATA_SUFFIX


def no_data_labels(service: Service, slo: Slo) -> dict[str, str]:
    """The NoData alert's labels: its severity's `pages`/`tickets` labels over the alerting's."""
    return alert_labels(service, slo, slo.alerting.no_data_severity, None, slo.alerting.no_data_labels)


def no_data_annotations(service: Service, slo: Slo) -> dict[str, str]:
    """The NoData alert's annotations, its severity's `pages`/`tickets` annotations last."""
    summary, description = no_data_text(slo)
    return annotations(service, slo, summary, description, slo.alerting.no_data_annotations)


def no_data_text(slo: Slo) -> tuple[str, str]:
    """The summary and description of the NoData ticket."""
    assert slo.alerting.no_data is not None
    duration = format_duration(slo.alerting.no_data)
    summary = f"SLO {slo.id} has no data"
    description = (
        f"SLO {slo.id}: no error ratio could be computed for {duration}, so its error budget is unknown."
        " Check that the indicator's series are still scraped and named as the spec says."
    )
    if slo.alerting.no_data_watch == "total":
        description = (
            f"SLO {slo.id}: the indicator's total series has not existed for {duration}, so its error budget"
            " is unknown. Check that the exporter is still scraped and the series named as the spec says."
        )
    if slo.group_by:
        description += f" Fires only when no {', '.join(slo.group_by)} at all has data."
    return summary, description


def alert_rules(service: Service, slo: Slo) -> list[dict]:
    """One alerting rule per condition, then the NoData ticket; none when alerting is disabled."""
    if not slo.alerting.enabled:
        return []
    rules = [condition_alert(service, slo, condition) for condition in slo.alerting.conditions]
    if slo.alerting.no_data:
        rules.append(no_data_alert(service, slo))
    return rules

