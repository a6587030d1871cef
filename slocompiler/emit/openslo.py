"""OpenSLO backend (opt-in): `openslo/<service>.yaml`, OpenSLO v1 `Service` and `SLO` documents.

Each SLO carries its SLI and AlertPolicy inline. What OpenSLO has no field for
(owner, runbook, the rule labels, group_by, short windows, NoData settings...)
travels in `metadata.annotations` under `slocompiler.dev/`; `metadata.labels`
of the Service are its Kubernetes labels, which other OpenSLO tools
ignore and `slo import openslo` reads back: the round trip builds the same
Prometheus rules. docs/MIGRATING.md lists the mapping.
"""

from __future__ import annotations

import json

from ..core import conventions as c
from ..core.ir import (
    Alerting,
    CompositeIndicator,
    Condition,
    ExprIndicator,
    LatencyIndicator,
    Maintenance,
    Program,
    Query,
    Service,
    Slo,
    ThresholdIndicator,
)
from ..core.queries import substitute, with_matcher
from ..core.sremath import default_min_failures
from ..core.units import decimal_text, format_duration
from .render import one_line, render

P = c.OPENSLO_ANNOTATION_PREFIX
# A calendar period as OpenSLO's duration shorthand, and a start of every period
# (local midnight, a Monday, January 1st): OpenSLO tools count periods from it.
CALENDAR_DURATIONS = {"day": "1d", "week": "1w", "month": "1M", "quarter": "1Q", "year": "1Y"}
CALENDAR_START = "2024-01-01 00:00:00"
# `good = ">= 1"` as a thresholdMetric objective's op; == and != have none (the annotation carries them).
THRESHOLD_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def emit(program: Program) -> dict[str, str]:
    """`openslo/<service>.yaml` for every service."""
    slos = {slo.id: slo for service in program.services for slo in service.slos}
    return {c.openslo_path(s.name): service_yaml(s, slos) for s in program.services}


def service_yaml(service: Service, slos: dict[str, Slo] | None = None) -> str:
    """One service's documents, through openslo.yaml.j2; `slos` (by id, from every service) for composites' members."""
    everything = {slo.id: slo for slo in service.slos} | (slos or {})
    return render(
        "openslo.yaml.j2",
        source=one_line(service.source),
        api_version=c.OPENSLO_API_VERSION,
        service=service_view(service),
        slos=[slo_view(service, slo, everything) for slo in service.slos],
    )


def _notes(**values: object) -> dict[str, str]:
    """Annotations under our prefix, for the values that are set."""
    return {P + key.replace("_", "-"): str(value) for key, value in values.items() if value not in (None, "", ())}


def _json(pairs: tuple) -> str | None:
    """Labels as one annotation value: a JSON object, keys in the spec's order."""
    return json.dumps(dict(pairs), ensure_ascii=False) if pairs else None


def service_view(service: Service) -> dict:
    """The Service document's data."""
    return {
        "name": service.name,
        "description": service.description,
        # A resource's labels are its Kubernetes labels, as `slo import` reads them; the rule labels travel apart.
        "labels": dict(service.kubernetes_labels),
        "annotations": _notes(owner=service.owner, oncall=service.oncall, tier=service.tier,
                              runbook=service.runbook, dashboard=service.dashboard,
                              kubernetes_namespace=service.kubernetes_namespace, labels=_json(service.labels),
                              maintenance=maintenance_json(service.maintenance)),
    }


def maintenance_json(windows: tuple[Maintenance, ...]) -> str | None:
    """Maintenance windows as one annotation (OpenSLO v1 has none): a JSON list in `.slo` spelling."""
    from datetime import datetime, timezone

    spelled = []
    for window in windows:
        entry: dict[str, str] = {"name": window.name}
        if window.start is not None:
            entry["from"] = datetime.fromtimestamp(window.start, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            assert window.every is not None and window.at is not None
            entry |= {"every": window.every, "at": f"{window.at // 3600:02d}:{window.at % 3600 // 60:02d}",
                      "timezone": window.timezone}
        entry["for"] = format_duration(window.duration)
        spelled.append(entry)
    return json.dumps(spelled, ensure_ascii=False) if spelled else None


def query_text(query: Query, window: int) -> str:
    """A query OpenSLO tools can run: a selector as it is, `$window` as the SLO window."""
    return query.text.strip() if query.is_selector else substitute(query.text.strip(), window)


def indicator_view(slo: Slo) -> dict:
    """`ratioMetric`: good or bad over total; a latency histogram as its two buckets; expr as a raw failure ratio."""
    indicator = slo.indicator
    if isinstance(indicator, ThresholdIndicator):
        return {"threshold": indicator.metric.text.strip()}
    if isinstance(indicator, ExprIndicator):
        return {"raw": query_text(indicator.error_ratio, slo.window)}
    if isinstance(indicator, LatencyIndicator):
        return {
            "good": with_matcher(indicator.histogram.text, "le", indicator.le),
            "total": with_matcher(indicator.histogram.text, "le", "+Inf"),
        }
    if indicator.errors is not None:
        return {"bad": query_text(indicator.errors, slo.window), "total": query_text(indicator.total, slo.window)}
    assert indicator.good is not None
    return {"good": query_text(indicator.good, slo.window), "total": query_text(indicator.total, slo.window)}


def condition_view(slo: Slo, condition: Condition, index: int) -> dict:
    """One AlertCondition's data."""
    notes = dict(condition.annotations)
    # Written only where it differs from the severity's default, which the import applies again.
    failures = condition.min_failures if condition.min_failures != default_min_failures(condition.severity) else None
    notes.update(_notes(short_window=format_duration(condition.short),
                        min_failures=None if failures is None else str(failures)))
    return {
        "name": f"{slo.id}-{condition.severity}-{index}",
        "labels": dict(condition.labels),
        "annotations": notes,
        "severity": condition.severity,
        "threshold": decimal_text(condition.burn),
        "lookback": format_duration(condition.long),
        "alert_after": format_duration(condition.for_) if condition.for_ else None,
    }


def alerting_view(slo: Slo) -> dict:
    """The inline AlertPolicy's data."""
    alerting: Alerting = slo.alerting
    notes = dict(alerting.annotations)
    notes.update(_notes(
        alert_name=alerting.name,
        enabled="false" if not alerting.enabled else None,
        no_data=format_duration(alerting.no_data) if alerting.no_data else "false",
        no_data_name=alerting.no_data_name,
        no_data_severity=alerting.no_data_severity if alerting.no_data_severity != "ticket" else None,
        no_data_watch=alerting.no_data_watch if alerting.no_data_watch != "ratio" else None,
        no_data_labels=_json(alerting.no_data_labels),
        no_data_annotations=_json(alerting.no_data_annotations),
    ))
    return {
        "name": f"{slo.id}-alerting",
        "labels": dict(alerting.labels),
        "annotations": notes,
        "no_data": bool(alerting.enabled and alerting.no_data),
        "conditions": [condition_view(slo, k, i) for i, k in enumerate(alerting.conditions, 1)],
    }


def window_view(slo: Slo) -> dict:
    """`timeWindow[0]`: rolling with its duration, or a calendar period from a period start in the SLO's zone."""
    if slo.calendar is None:
        return {"duration": format_duration(slo.window), "rolling": True}
    return {"duration": CALENDAR_DURATIONS[slo.calendar], "rolling": False, "start": CALENDAR_START,
            "zone": slo.timezone}


def objective_view(slo: Slo) -> dict:
    """`objectives[0]` beyond its target: time slices, and a threshold's comparison."""
    view: dict = {}
    if slo.slices is not None:
        view["time_slice_window"] = format_duration(slo.slices.length)
        if slo.slices.target is not None:
            view["time_slice_target"] = decimal_text(slo.slices.target)
    if isinstance(slo.indicator, ThresholdIndicator) and slo.indicator.op in THRESHOLD_OPS:
        view["op"] = THRESHOLD_OPS[slo.indicator.op]
        view["value"] = decimal_text(slo.indicator.value)
    return view


def budgeting_method(slo: Slo) -> str:
    if slo.slices is None:
        return "Occurrences"
    return "RatioTimeslices" if slo.slices.ratio else "Timeslices"


def composite_view(composite: CompositeIndicator, slos: dict[str, Slo]) -> list[dict]:
    """`objectives[]` of a composite: one per member, its SLI by reference, its own target, `compositeWeight`.

    `displayName` is the member's SLO id and `indicatorRef` names the SLI its own document holds
    (`<id>-sli`), which is how `slo import openslo` finds the member again.
    """
    views = []
    for member in composite.members:
        own = slos[member.slo_id]
        slices = {k: v for k, v in objective_view(own).items() if k.startswith("time_slice")}
        views.append({"display_name": member.slo_id, "indicator_ref": f"{member.slo_id}-sli",
                      "target": decimal_text(own.objective), "weight": decimal_text(member.weight), **slices})
    return views


def composite_notes(slo: Slo) -> dict[str, str]:
    """What OpenSLO's composite cannot say: the composite's own objective, `aggregate`, `when_no_data`."""
    composite = slo.indicator
    if not isinstance(composite, CompositeIndicator):
        return {}
    no_data = {m.slo_id: m.when_no_data for m in composite.members if m.when_no_data != "skip"}
    return _notes(composite_objective=decimal_text(slo.objective),
                  composite_aggregate=composite.aggregate if composite.aggregate != "sum" else None,
                  when_no_data=json.dumps(no_data) if no_data else None)


def slo_view(service: Service, slo: Slo, slos: dict[str, Slo] | None = None) -> dict:
    """One SLO document's data; `slos` by id, for a composite's members."""
    composite = slo.indicator if isinstance(slo.indicator, CompositeIndicator) else None
    own = tuple(window for window in slo.maintenance if window not in service.maintenance)
    threshold = slo.indicator if isinstance(slo.indicator, ThresholdIndicator) else None
    good = f"{threshold.op} {decimal_text(threshold.value)}" if threshold and threshold.op not in THRESHOLD_OPS else None
    no_data = slo.slices.no_data if slo.slices and slo.slices.no_data != "skip" else None
    return {
        "name": slo.id,
        "display_name": slo.name,
        "description": slo.description,
        "service": service.name,
        "labels": {},
        "annotations": _notes(group_by=",".join(slo.group_by), sla=decimal_text(slo.sla) if slo.sla else None,
                              labels=_json(slo.labels), good=good, slice_no_data=no_data,
                              maintenance=maintenance_json(own)) | composite_notes(slo),
        "indicator": None if composite else indicator_view(slo),
        "members": composite_view(composite, slos or {}) if composite else [],
        "window": window_view(slo),
        "method": budgeting_method(slo),
        "objective": objective_view(slo),
        "target": decimal_text(slo.objective),
        "alerting": alerting_view(slo),
    }
