"""The alerting rules of an SLO: one burn-rate rule per severity, then the NoData ticket.

One incident must notify once: Alertmanager groups notifications by alert
name and labels, so all page conditions of an SLO are ONE rule (the window
pairs joined with `or`, the Workbook's final recommendation) and no label
tells the pairs apart; the `windows` annotation lists which pairs can fire
it. Tickets are a second rule, which `alertmanager/inhibit_rules.yml`
silences while the page fires. docs/PROMETHEUS.md describes the layout.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core import conventions as c
from ..core import composites, maintenance, pairs, queries
from ..core.ir import Condition, ExprIndicator, Service, Slo
from ..core.units import format_duration, prom_window, significant_text
from . import alert_text
from .alert_text import go_template_text, holds, pair_text


def _templated(values: dict[str, str]) -> dict[str, str]:
    return {name: go_template_text(value) for name, value in values.items()}


def severity_groups(slo: Slo) -> list[tuple[Condition, ...]]:
    """The conditions of each alert rule: one tuple per severity, in order of first appearance."""
    groups: dict[str, list[Condition]] = {}
    for condition in slo.alerting.conditions:
        groups.setdefault(condition.severity, []).append(condition)
    return [tuple(group) for group in groups.values()]


def windows_text(conditions: tuple[Condition, ...]) -> str:
    """The `windows` annotation: every pair that can fire the rule, with its burn rate."""
    return ", ".join(f"{pair_text(k)} above {significant_text(k.burn)}x" for k in conditions)


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


def pair_expr(slo: Slo, condition: Condition) -> str:
    """`long > t and short > t`, and, with `min_failures`, at least that many bad events within `long`."""
    return pairs.window_pair(slo, condition)


def burn_expr(slo: Slo, conditions: tuple[Condition, ...], severity: str | None = None) -> str:
    """Each pair (`pair_expr`), the pairs joined with `or` (parenthesised when more than one); with `severity`
    (the rule's label), the first pair's hold after them (`pairs.held`)."""
    branches = [pair_expr(slo, condition) for condition in conditions]
    if severity is not None:
        branches.append(pairs.held(slo, conditions[0], slo.alerting.name, severity))
    if len(branches) == 1:
        return branches[0]
    return "\nor\n".join("(\n  " + branch.replace("\n", "\n  ") + "\n)" for branch in branches)


def spec_annotations(slo: Slo, conditions: tuple[Condition, ...]) -> dict[str, str]:
    """The annotations the spec sets on the alerting block and these conditions (later wins)."""
    return dict([*sorted(slo.alerting.annotations), *(pair for k in conditions for pair in sorted(k.annotations))])


def burn_annotations(service: Service, slo: Slo, conditions: tuple[Condition, ...]) -> dict[str, str]:
    """A burn-rate rule's annotations as plain text: `summary` and `description` empty unless the spec sets them
    (ours are templates: `burn_alert` and the generated tests fill them in), the window pairs, then the rest."""
    extra = tuple(dict(pair for k in conditions for pair in k.annotations).items())
    notes = annotations(service, slo, "", "", extra)
    first = {name: notes.pop(name) for name in (c.ANNOTATION_SUMMARY, c.ANNOTATION_DESCRIPTION)}
    first[c.ANNOTATION_WINDOWS] = notes.pop(c.ANNOTATION_WINDOWS, windows_text(conditions))
    return {**first, **notes}


def ours(slo: Slo, conditions: tuple[Condition, ...]) -> dict[str, tuple]:
    """Our summary and description as text parts (alert_text.py), for those the spec does not set itself."""
    texts = {c.ANNOTATION_SUMMARY: alert_text.summary_parts(slo, conditions),
             c.ANNOTATION_DESCRIPTION: alert_text.description_parts(slo, conditions)}
    return {name: parts for name, parts in texts.items() if name not in spec_annotations(slo, conditions)}


def burn_alert(service: Service, slo: Slo, conditions: tuple[Condition, ...]) -> dict:
    """One alerting rule for every condition of one severity (lang/check.py makes their `for` and labels agree)."""
    first = conditions[0]
    labels = alert_labels(service, slo, first.severity, first.labels)
    severity = labels[c.LABEL_SEVERITY] if holds(conditions) else None
    rule: dict = {"alert": slo.alerting.name, "expr": burn_expr(slo, conditions, severity)}
    if first.for_:
        rule["for"] = prom_window(first.for_)
    # The spec's texts are escaped; our summary and description are templates, unless the spec gives its own.
    notes = _templated(burn_annotations(service, slo, conditions))
    for name, parts in ours(slo, conditions).items():
        notes[name] = alert_text.template(slo, parts)
    rule["labels"] = _templated(labels)
    rule["annotations"] = notes
    return rule


def no_data_alert(service: Service, slo: Slo, slos: Mapping[str, Slo] | None = None) -> dict:
    """`<name>NoData` (or its own name): when no 5m error ratio, or no raw total series, exists for `no_data`."""
    assert slo.alerting.no_data is not None
    ratio = f"absent({_watched(slo)})"
    watch = no_data_watch(slo)
    total = f"absent({queries.raw_total(slo.indicator, c.CURRENT_BURN_WINDOW)})" if watch != "ratio" else ""
    # `both` (a critical tier's default): the process being down shows first in the raw total, which goes stale
    # at its next missed scrape, minutes before the 5m ratio has too few samples to exist.
    # `or on ()`: one series either way (the two `absent`s carry different labels), so one alert.
    expr = {"ratio": ratio, "total": total}.get(watch, f"{ratio}\nor on ()\n{total}")
    # Maintenance removes the ratio (and may stop the service): no data then is expected, not news.
    expr = maintenance.outside(slo, expr)
    if slo.is_composite:  # a member's maintenance removes its ratio: the journey's silence is expected then too
        expr = f"({expr})\nunless on ()\n{composites.members_resting(slo, slos)}"
    return {
        "alert": no_data_name(slo),
        "expr": expr,
        "for": prom_window(slo.alerting.no_data),
        "labels": _templated(no_data_labels(service, slo)),
        "annotations": _templated(no_data_annotations(service, slo)),
    }


def no_data_watch(slo: Slo) -> str | None:
    """What the NoData alert watches: a composite has no raw series of its own, only its recorded ratio."""
    return "ratio" if slo.is_composite else slo.alerting.no_data_watch


def _watched(slo: Slo) -> str:
    """The series whose absence is no data: the 5m error ratio; a slice SLO's last slice, unless it always exists.

    A slice SLO's 5m ratio may hold no whole slice, so its last slice's error
    ratio says whether there is data; but with `no_data = good | bad` and no
    `group_by` that one exists without any series (`or vector(...)`), and the
    5m event rate (an expr SLO's own 5m ratio) says it instead.
    """
    if slo.slices is None:
        return queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    if slo.slices.no_data == "skip" or slo.group_by:
        return queries.recorded(c.SLICE_ERROR, slo.id)
    if isinstance(slo.indicator, ExprIndicator):
        return queries.error_ratio(slo.indicator, c.CURRENT_BURN_WINDOW, slo.group_by)
    return queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(c.CURRENT_BURN_WINDOW), slo.id)


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
    if slo.is_composite:
        members = ", ".join(member.slo_id for member in slo.indicator.members)  # type: ignore[union-attr]
        description = (
            f"SLO {slo.id}: no error ratio could be computed for {duration}: none of its members ({members}) had a"
            " series that counts (a member with `when_no_data = skip` counts only while it records a ratio; one"
            " without traffic keeps the journey idle, not silent), so its error budget is unknown. Check the members'"
            " own SLOs: their rules deployed, their series there."
        )
    elif slo.alerting.no_data_watch == "total":
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


def alert_rules(service: Service, slo: Slo, slos: Mapping[str, Slo] | None = None) -> list[dict]:
    """One burn-rate rule per severity, then the NoData alert; none when alerting is disabled. `slos`: every SLO by
    id (a composite's NoData rests with the maintenance of SLOs under its members)."""
    if not slo.alerting.enabled:
        return []
    rules = [burn_alert(service, slo, group) for group in severity_groups(slo)]
    if slo.alerting.no_data:
        rules.append(no_data_alert(service, slo, slos))
    return rules
