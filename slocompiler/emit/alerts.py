"""The alerting rules of an SLO: one burn-rate rule per severity, then the NoData ticket.

One incident must notify once: Alertmanager groups notifications by alert
name and labels, so all page conditions of an SLO are ONE rule (the window
pairs joined with `or`, the Workbook's final recommendation) and no label
tells the pairs apart; the `windows` annotation lists which pairs can fire
it. Tickets are a second rule, which `alertmanager/inhibit_rules.yml`
silences while the page fires. docs/PROMETHEUS.md describes the layout.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core import queries, slices, sremath
from ..core.ir import Condition, Service, Slo
from ..core.units import decimal_text, format_duration, human_duration, percent_text, prom_window

# What the summary shows of the firing series: its value is the long-window
# error ratio of the first window pair that holds.
VALUE_TEMPLATE = "{{ $value | humanizePercentage }}"


def go_template_text(text: str) -> str:
    """Text that Prometheus's Go templating expands back to itself: `{{` becomes `{{ "{{" }}`."""
    return text.replace("{{", '{{ "{{" }}')


def _templated(values: dict[str, str]) -> dict[str, str]:
    return {name: go_template_text(value) for name, value in values.items()}


def severity_groups(slo: Slo) -> list[tuple[Condition, ...]]:
    """The conditions of each alert rule: one tuple per severity, in order of first appearance."""
    groups: dict[str, list[Condition]] = {}
    for condition in slo.alerting.conditions:
        groups.setdefault(condition.severity, []).append(condition)
    return [tuple(group) for group in groups.values()]


def pair_text(condition: Condition) -> str:
    """`1h/5m`: a condition's long and short window."""
    return f"{prom_window(condition.long)}/{prom_window(condition.short)}"


def windows_text(conditions: tuple[Condition, ...]) -> str:
    """The `windows` annotation: every pair that can fire the rule, with its burn rate."""
    return ", ".join(f"{pair_text(k)} above {decimal_text(k.burn)}x" for k in conditions)


def alert_labels(service: Service, slo: Slo, severity: str, extra: tuple = ()) -> dict[str, str]:
    """Labels of one alert: SLO labels, severity, then alerting and condition labels (later wins)."""
    labels = c.slo_labels(slo, service)
    labels[c.LABEL_SEVERITY] = severity
    reserved = {c.LABEL_SLO_ID, c.LABEL_SERVICE, c.LABEL_SLO}
    for name, value in [*sorted(slo.alerting.labels), *sorted(extra)]:
        if name not in reserved:
            labels[name] = value
    if labels[c.LABEL_SEVERITY] != severity:
        # A page whose `severity` label says `critical` still says it is a page.
        labels[c.LABEL_ALERT_CLASS] = severity
    return labels


def annotations(service: Service, slo: Slo, summary: str, description: str, extra: tuple = (),
                keep_ours: bool = False) -> dict[str, str]:
    """Our annotations, then the alerting's and the condition's own (later wins, unless `keep_ours`)."""
    notes = {c.ANNOTATION_SUMMARY: summary, c.ANNOTATION_DESCRIPTION: description}
    if service.runbook:
        notes[c.ANNOTATION_RUNBOOK] = service.runbook
    if service.dashboard:
        notes[c.ANNOTATION_DASHBOARD] = service.dashboard
    if service.oncall:
        notes[c.ANNOTATION_ONCALL] = service.oncall
    ours = {c.ANNOTATION_SUMMARY, c.ANNOTATION_DESCRIPTION} if keep_ours else set()
    for name, value in [*sorted(slo.alerting.annotations), *sorted(extra)]:
        if name not in ours:
            notes[name] = value
    return notes


def group_text(slo: Slo, values: dict[str, str] | None = None) -> str:
    """` (route=/pay)` for an SLO with group_by: the group's labels as Go templates, or as `values` gives them."""
    if not slo.group_by:
        return ""
    shown = [f"{name}={values[name] if values is not None else '{{ $labels.' + name + ' }}'}" for name in slo.group_by]
    return f" ({', '.join(shown)})"


def burn_summary(slo: Slo, conditions: tuple[Condition, ...], value: str = VALUE_TEMPLATE, group: str | None = None) -> str:
    """The summary of a burn-rate rule: the SLO, its group, the lowest burn that fires it, the current error ratio."""
    burn = decimal_text(min(k.burn for k in conditions))
    where = group_text(slo) if group is None else group
    return f"SLO {slo.id}{where} is burning its error budget at {burn}x or faster: error ratio {value}"


def burn_description(slo: Slo, conditions: tuple[Condition, ...]) -> str:
    """Each window pair with its threshold, how long the budget lasts at that burn, how much is gone when it fires."""
    window = format_duration(slo.window)
    budget_time = human_duration(sremath.budget_seconds(slo.objective, slo.window))
    text = (f"SLO {slo.id} ({percent_text(slo.objective)} over {window}; error budget"
            f" {decimal_text(slo.error_budget)}, {budget_time} of the {window}).")
    for condition in conditions:
        burn = decimal_text(condition.burn)
        threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
        lasts = human_duration(sremath.exhaustion_seconds(condition.burn, slo.window))
        # A condition given as `budget` states the share exactly; the rounded burn would give 9.99999999999%.
        share = condition.budget if condition.budget is not None else sremath.budget_spent_when_firing(
            condition.burn, condition.long, slo.window
        )
        text += (f" Fires when the error ratio is above {threshold} ({burn}x the budget) over both the last"
                 f" {format_duration(condition.long)} and the last {format_duration(condition.short)}:"
                 f" at that rate the whole budget lasts {lasts}, and {percent_text(share)} of it is spent"
                 " by the time this fires.")
    text += " The summary's error ratio is over the long window of the first pair that holds."
    if slo.group_by:
        text += f" One alert per {', '.join(slo.group_by)}."
    if slo.description:
        text += f"\n{slo.description}"
    return text


def pair_expr(slo: Slo, condition: Condition) -> str:
    """`long > t and short > t`, and, with `min_failures`, at least that many bad events within `long`."""
    threshold = decimal_text(sremath.threshold(condition.burn, slo.objective))
    long_ratio = queries.recorded(c.error_ratio_rule(condition.long), slo.id)
    short_ratio = queries.recorded(c.error_ratio_rule(condition.short), slo.id)
    pair = f"{long_ratio} > {threshold}\nand\n{short_ratio} > {threshold}"
    failures = queries.min_failures(slo, condition)
    if failures:
        counted = queries.failures_within(slo.id, condition.long) if slo.slices is None else \
            slices.bad_slices_within(slo, condition.long)
        pair += f"\nand\n{counted} >= {failures}"
    return pair


def burn_expr(slo: Slo, conditions: tuple[Condition, ...]) -> str:
    """Each pair (`pair_expr`), the pairs joined with `or` (parenthesised when more than one)."""
    pairs = [pair_expr(slo, condition) for condition in conditions]
    if len(pairs) == 1:
        return pairs[0]
    return "\nor\n".join("(\n  " + pair.replace("\n", "\n  ") + "\n)" for pair in pairs)


def burn_annotations(service: Service, slo: Slo, conditions: tuple[Condition, ...], summary: str) -> dict[str, str]:
    """A burn-rate rule's annotations as plain text: `summary`, the description, the window pairs, then the rest (the spec's win)."""
    extra = tuple(dict(pair for k in conditions for pair in k.annotations).items())
    notes = annotations(service, slo, summary, burn_description(slo, conditions), extra)
    first = {name: notes.pop(name) for name in (c.ANNOTATION_SUMMARY, c.ANNOTATION_DESCRIPTION)}
    first[c.ANNOTATION_WINDOWS] = notes.pop(c.ANNOTATION_WINDOWS, windows_text(conditions))
    return {**first, **notes}


def burn_alert(service: Service, slo: Slo, conditions: tuple[Condition, ...]) -> dict:
    """One alerting rule for every condition of one severity (lang/check.py makes their `for` and labels agree)."""
    first = conditions[0]
    rule: dict = {"alert": slo.alerting.name, "expr": burn_expr(slo, conditions)}
    if first.for_:
        rule["for"] = prom_window(first.for_)
    # The spec's texts are escaped; our summary is a Go template, unless the spec gives its own.
    notes = _templated(burn_annotations(service, slo, conditions, ""))
    if not notes[c.ANNOTATION_SUMMARY]:
        notes[c.ANNOTATION_SUMMARY] = burn_summary(slo, conditions)
    rule["labels"] = _templated(alert_labels(service, slo, first.severity, first.labels))
    rule["annotations"] = notes
    return rule


def no_data_alert(service: Service, slo: Slo) -> dict:
    """`<name>NoData` (or its own name): when no 5m error ratio, or no raw total series, exists for `no_data`."""
    assert slo.alerting.no_data is not None
    # A slice SLO's 5m ratio may hold no whole slice: its last slice's error ratio says whether there is data.
    watched = c.error_ratio_rule(c.CURRENT_BURN_WINDOW) if slo.slices is None else c.SLICE_ERROR
    ratio = f"absent({queries.recorded(watched, slo.id)})"
    total = f"absent({queries.raw_total(slo.indicator, c.CURRENT_BURN_WINDOW)})" if slo.alerting.no_data_watch != "ratio" else ""
    # `both` (a critical tier's default): the process being down shows first in the raw total, which goes stale
    # at its next missed scrape, minutes before the 5m ratio has too few samples to exist.
    # `or on ()`: one series either way (the two `absent`s carry different labels), so one alert.
    expr = {"ratio": ratio, "total": total}.get(slo.alerting.no_data_watch, f"{ratio}\nor on ()\n{total}")
    return {
        "alert": no_data_name(slo),
        "expr": expr,
        "for": prom_window(slo.alerting.no_data),
        "labels": _templated(no_data_labels(service, slo)),
        "annotations": _templated(no_data_annotations(service, slo)),
    }


def no_data_name(slo: Slo) -> str:
    """The NoData alert's name: its own, or `<name>NoData`."""
    return slo.alerting.no_data_name or slo.alerting.name + c.ALERT_NO_DATA_SUFFIX


def no_data_labels(service: Service, slo: Slo) -> dict[str, str]:
    """The NoData alert's labels: its severity's `pages`/`tickets` labels over the alerting's."""
    return alert_labels(service, slo, slo.alerting.no_data_severity, slo.alerting.no_data_labels)


def no_data_annotations(service: Service, slo: Slo) -> dict[str, str]:
    """The NoData alert's annotations, its severity's `pages`/`tickets` annotations last (our summary kept)."""
    summary, description = no_data_text(slo)
    return annotations(service, slo, summary, description, slo.alerting.no_data_annotations, keep_ours=True)


def no_data_text(slo: Slo) -> tuple[str, str]:
    """The summary and description of the NoData ticket."""
    assert slo.alerting.no_data is not None
    duration = format_duration(slo.alerting.no_data)
    summary = f"SLO {slo.id} has no data"
    description = (
        f"SLO {slo.id}: no error ratio could be computed for {duration}, so its error budget is unknown."
        " Check that the indicator's series are still scraped and named as the spec says"
        " (for a latency SLO, that the histogram has a bucket at the threshold)."
    )
    if slo.alerting.no_data_watch == "total":
        description = (
            f"SLO {slo.id}: the indicator's total series has not existed for {duration}, so its error budget"
            " is unknown. Check that the exporter is still scraped and the series named as the spec says."
        )
    elif slo.alerting.no_data_watch == "both":
        description = (
            f"SLO {slo.id}: for {duration}, the indicator's total series has not existed or no error ratio could be"
            " computed: the service may be down (no process, nothing scraped), and its error budget is unknown."
            " Check that the service runs and is scraped, and that the series are named as the spec says."
        )
    if slo.group_by:
        description += f" Fires only when no {', '.join(slo.group_by)} at all has data."
    return summary, description


def alert_rules(service: Service, slo: Slo) -> list[dict]:
    """One burn-rate rule per severity, then the NoData alert; none when alerting is disabled."""
    if not slo.alerting.enabled:
        return []
    rules = [burn_alert(service, slo, group) for group in severity_groups(slo)]
    if slo.alerting.no_data:
        rules.append(no_data_alert(service, slo))
    return rules


def humanize_percentage(ratio: Decimal) -> str:
    """What Prometheus's `humanizePercentage` prints for a ratio: Go's `%.4g` of ratio * 100, then `%`."""
    return "%.4g%%" % float(ratio * 100)
