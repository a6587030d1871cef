"""OpenSLO v1: `Service`, `SLO`, `SLI`, `AlertPolicy` and `AlertCondition` documents.

SLIs, alert policies and alert conditions may be inline or referenced by
name from any document of any input file. Only Prometheus sources translate.
The `slocompiler.dev/` annotations that `--target openslo` writes are read
back (see emit/openslo.py), so an export imports to the same rules.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from ..core.conventions import OPENSLO_ANNOTATION_PREFIX as P
from ..core.conventions import TIERS
from ..core.errors import Span
from ..core.units import format_duration
from . import model
from .accepts import alert_name, kubernetes_namespace, label_names, pairs
from .common import DECIMAL, objective_text, one_rule_per_severity, service_named
from .durations import prometheus_seconds
from .openslo_composite import (
    Pending,
    is_composite,
    maintenance_windows,
    read_composite,
    resolve,
    sli_owners,
    sli_users,
)
from .openslo_index import Index
from .openslo_sli import indicator as _indicator
from .openslo_time import SLICE_METHODS, slices, threshold_condition, time_window
from .write import NAME, slo_name
from .yamlsrc import Node, Report

# Our annotations whose values `.slo` takes as a bare word (a duration, a name) or from a short list:
# what each must look like.
_DURATION = re.compile(r"([0-9]+(ms|s|m|h|d|w))+")
BARE = {"no-data": re.compile(rf"false|{_DURATION.pattern}"), "short-window": _DURATION,
        "no-data-watch": re.compile(r"ratio|total|both"), "no-data-severity": re.compile(r"page|ticket"),
        "slice-no-data": re.compile(r"good|bad|skip")}
BARE_WORDS = {"no-data": "a duration (like 15m) or false", "short-window": "a duration (like 5m)",
              "no-data-watch": "ratio, total or both", "no-data-severity": "page or ticket",
              "slice-no-data": "good, bad or skip"}
TICKET_SEVERITIES = ("ticket", "warning", "warn", "info", "low", "minor")
MINUTE = 60


def read(documents: list[Node], options: dict, report: Report, services: dict[str, model.Service]) -> None:
    """Add the services and SLOs of every OpenSLO document of the inputs."""
    index = Index(documents, report)
    for document in index.order:
        if document.text("kind") == "Service":
            _service(document, report, services)
    owners = (sli_owners(index), sli_users(index))
    created: dict[int, list[tuple[model.Service, model.Slo]]] = {}  # SLO document -> what it became
    pending: list[Pending] = []
    for document in index.order:
        if document.text("kind") == "SLO":
            _slo(document, index, report, services, _Composites(owners, created, pending))
    resolve(pending, created, report)
    for name, service in list(services.items()):
        if not service.slos and not service.comments:
            report.warn(index.by_kind["Service"][name] if name in index.by_kind["Service"] else documents[0],
                        f"service {name} has no SLO and is not imported")
            del services[name]


class _Composites:
    """What reading composites needs across SLO documents: SLIs by owner, SLOs by document, composites to resolve."""

    def __init__(self, owners: tuple[dict[str, Node], dict[str, list[Node]]], created: dict, pending: list[Pending]):
        self.owners, self.created, self.pending = owners, created, pending


def _annotations(metadata: Node | None, report: Report, ours: tuple[str, ...], where: str) -> tuple[dict, dict]:
    """(our `slocompiler.dev/` annotations, the others as alert annotations), warning about what is dropped."""
    mine: dict[str, str] = {}
    notes = metadata.get("annotations") if metadata is not None else None
    if notes is None:
        return mine, {}
    plain = Node({k: v for k, v in notes.items() if not k.startswith(P)}, notes.span, keys=notes.keys)
    for key, value in notes.items():
        if not key.startswith(P):
            continue
        short = key[len(P):]
        if short in ours and value.is_scalar and short in BARE and not BARE[short].fullmatch(str(value.value)):
            # Written as a bare word, not a string: anything else would be `.slo` structure, not a value.
            report.warn(value, f'{where}.annotations.{key} "{value.value}" is not {BARE_WORDS[short]}; dropped')
        elif short in ours and value.is_scalar:
            mine[short] = str(value.value)
        else:
            report.warn(notes.key_span(key), f"{where}.annotations.{key} is not one slocompiler reads here; dropped")
    return mine, pairs(plain, report, f"{where}.annotations", annotations=True)


def _service(document: Node, report: Report, services: dict) -> model.Service | None:
    metadata = document.get("metadata")
    name = metadata.get("name") if metadata is not None else None
    if name is None:
        report.error(document, "an OpenSLO Service needs metadata.name")
        return None
    report.unknown_fields(metadata, ("name", "displayName", "namespace", "labels", "annotations"), "metadata")
    service = service_named(services, name, report)
    _display_name(metadata, service.name, report)  # type: ignore[arg-type]
    spec = document.get("spec")
    report.unknown_fields(spec, ("description",), "spec")
    service.description = spec.text("description") if spec is not None else None
    service.description = service.description or None
    _kubernetes(metadata, service, report)  # type: ignore[arg-type]
    mine, others = _annotations(metadata, report, ("owner", "oncall", "tier", "runbook", "dashboard",
                                                   "kubernetes-namespace", "labels", "maintenance"), "metadata")
    for key in others:
        report.warn(metadata.get("annotations").key_span(key), f"metadata.annotations.{key} has no counterpart on a service; dropped")  # type: ignore[union-attr]
    service.owner, service.oncall = mine.get("owner"), mine.get("oncall")
    service.runbook, service.dashboard = mine.get("runbook"), mine.get("dashboard")
    if mine.get("tier") in TIERS:
        service.tier = mine["tier"]
    service.kubernetes_namespace = service.kubernetes_namespace or kubernetes_namespace(
        mine.get("kubernetes-namespace"), _annotation_span(metadata, "kubernetes-namespace"), report,
        f"metadata.annotations.{P}kubernetes-namespace")
    service.labels = _json_pairs(mine.get("labels"), metadata, report, "labels")
    service.maintenance = service.maintenance or maintenance_windows(
        mine.get("maintenance"), _annotation_span(metadata, "maintenance"), report)
    return service


def _annotation_span(metadata: Node | None, key: str) -> Span:
    """Where our annotation `key` is written (for warnings about its value)."""
    notes = metadata.get("annotations") if metadata is not None else None
    return notes.key_span(P + key) if notes is not None else (metadata.span if metadata else Span("<input>", 1, 1))


def _json_pairs(text: str | None, metadata: Node | None, report: Report, key: str,
                annotations: bool = False) -> dict[str, str]:
    """A `slocompiler.dev/` annotation holding a JSON object of strings (our export writes them so)."""
    if not text:
        return {}
    notes = metadata.get("annotations") if metadata is not None else None
    at = notes.key_span(P + key) if notes is not None else Span("<input>", 1, 1)
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        report.warn(at, f"annotations.{P}{key} is not a JSON object; dropped")
        return {}
    return pairs(Node({k: Node(v if isinstance(v, str) else [], at) for k, v in found.items()}, at,
                      keys={k: at for k in found}), report, f"annotations.{P}{key}", annotations=annotations)


def _kubernetes(metadata: Node, service: model.Service, report: Report) -> None:
    """A document's `metadata.namespace` and `metadata.labels` are the service's Kubernetes metadata."""
    namespace = kubernetes_namespace(metadata.text("namespace"), metadata.get("namespace") or metadata, report,
                                     "metadata.namespace")
    labels = pairs(metadata.get("labels"), report, "metadata.labels", kubernetes=True)
    clash = [key for key, value in labels.items() if service.kubernetes_labels.get(key, value) != value]
    if (namespace and service.kubernetes_namespace not in (None, namespace)) or clash:
        report.warn(metadata, f"service {service.name} has other Kubernetes metadata in another document; "
                              "the first document's namespace and labels are kept")
        return
    service.kubernetes_namespace = service.kubernetes_namespace or namespace
    service.kubernetes_labels.update(labels)


def _slo(document: Node, index: Index, report: Report, services: dict, composites: _Composites) -> None:
    metadata, spec = document.get("metadata"), document.get("spec")
    name = metadata.get("name") if metadata is not None else None
    if name is None or spec is None:
        report.error(document, "an OpenSLO SLO needs metadata.name and spec")
        return
    report.unknown_fields(metadata, ("name", "displayName", "namespace", "labels", "annotations"), "metadata")
    report.unknown_fields(spec, ("description", "service", "indicator", "indicatorRef", "timeWindow",
                                 "budgetingMethod", "objectives", "alertPolicies"), "spec")
    service_ref = spec.get("service")
    if service_ref is None:
        report.error(spec, "an OpenSLO SLO needs spec.service")
        return
    service = service_named(services, service_ref, report)
    base = _slo_name(str(name.value), service.name, metadata.text("displayName"))  # type: ignore[union-attr]
    _display_name(metadata, base, report)  # type: ignore[arg-type]

    def skip(why: str = "see the warnings of slo import") -> None:
        service.comments.append(f"slo {base} was not imported: {why}")

    composite = is_composite(spec)
    indicator = None if composite else _indicator(spec, index, report)
    time_base = time_window(spec.get("timeWindow"), report)
    method_node = spec.get("budgetingMethod")
    method = str(method_node.value) if method_node is not None and method_node.is_scalar else "Occurrences"
    if method not in ("Occurrences", *SLICE_METHODS):
        report.warn(method_node, f"budgetingMethod {method} is none of Occurrences, Timeslices and "
                                 "RatioTimeslices; imported as Occurrences")
        method = "Occurrences"
    objectives = spec.get("objectives")
    if (indicator is None and not composite) or time_base is None or objectives is None or not objectives.entries():
        if objectives is None:
            report.error(spec, "an OpenSLO SLO needs objectives")
        return skip()
    _kubernetes(metadata, service, report)  # type: ignore[arg-type]
    mine, others = _annotations(metadata, report, ("group-by", "sla", "labels", "good", "slice-no-data", "maintenance",
                                                   "composite-objective", "composite-aggregate", "when-no-data"),
                                "metadata")
    for key in others:
        report.warn(metadata.get("annotations").key_span(key), f"metadata.annotations.{key} has no counterpart on an SLO; dropped")  # type: ignore[union-attr]
    labels = _json_pairs(mine.get("labels"), metadata, report, "labels")
    window_text, zone = time_base
    alerting = _alerting(spec.get("alertPolicies"), index, report)
    notes = metadata.get("annotations")  # type: ignore[union-attr]
    at = notes.key_span(P + "group-by") if notes is not None else metadata.span  # type: ignore[union-attr]
    group_by = label_names([(g, at) for g in mine.get("group-by", "").split(",") if g], report, f"{P}group-by")
    maintenance = maintenance_windows(mine.get("maintenance"), _annotation_span(metadata, "maintenance"), report)
    sla = objective_text(Node(mine["sla"], name.span), report, scale=100) if "sla" in mine else None
    fields = {**model.spans(objective=objectives, composite=objectives, window=spec.get("timeWindow"),
                            description=spec.get("description"), alerting=spec.get("alertPolicies")),
              "group_by": at, "labels": _annotation_span(metadata, "labels"), "sla": _annotation_span(metadata, "sla")}
    if composite:
        own = objective_text(Node(mine["composite-objective"], _annotation_span(metadata, "composite-objective")),
                             report, scale=100) if "composite-objective" in mine else ""
        aggregate = mine.get("composite-aggregate")
        if aggregate not in (None, "sum", "worst"):
            report.warn(_annotation_span(metadata, "composite-aggregate"), f'composite-aggregate "{aggregate}" is '
                                                                           "neither sum nor worst; dropped")
            aggregate = None
        slo = model.Slo(name=base, objective=own or "", indicator=None, window=window_text, timezone=zone,
                        description=spec.text("description"), labels=labels, alerting=alerting, group_by=group_by,
                        sla=sla, span=name.span, fields=fields, maintenance=maintenance,
                        composite=model.Composite(aggregate=aggregate if aggregate != "sum" else None))
        found = None if own is None else read_composite(spec, service, slo, mine, method, index,
                                                        composites.owners, report)
        if found is None:
            return skip()
        service.slos.append(slo)
        composites.created[id(document)] = [(service, slo)]
        composites.pending.append(found)
        return None
    assert indicator is not None
    entries = objectives.entries()
    for number, objective in enumerate(entries, 1):
        report.unknown_fields(objective, ("displayName", "target", "targetPercent", "op", "value", "timeSliceTarget",
                                          "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight"), "objectives[]")
        used = (("timeSliceTarget", "timeSliceWindow") if method in SLICE_METHODS else ()) + \
            (("op", "value") if indicator.kind == "threshold" else ())
        for key in ("timeSliceTarget", "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight", "op", "value"):
            if key == "compositeWeight" and objective.get(key) is not None:
                report.warn(objective.key_span(key), "objectives[].compositeWeight belongs to a composite's objectives, "
                                                     "each naming its member's indicator; this SLO is no composite, "
                                                     "so it is dropped")
            elif objective.get(key) is not None and key not in used:
                report.warn(objective.key_span(key), f"objectives[].{key} has no counterpart in .slo and is dropped")
        objective_slices = slices(method, objective, report) if method in SLICE_METHODS else None
        if objective_slices is not None and mine.get("slice-no-data"):
            objective_slices.no_data = mine["slice-no-data"]
        objective_indicator = indicator
        if indicator.kind == "threshold":
            # Our export writes == and != (which OpenSLO's op cannot say) as an annotation.
            good = mine.get("good") or threshold_condition(objective, report)
            objective_indicator = model.Indicator("threshold", indicator.queries, good=good) if good else None
        if (method in SLICE_METHODS and objective_slices is None) or objective_indicator is None:
            skip()
            continue
        target = objective_text(objective.get("target"), report, scale=100) if objective.get("target") is not None \
            else objective_text(objective.get("targetPercent"), report)
        if target is None:
            if objective.get("target") is None and objective.get("targetPercent") is None:
                report.error(objective, "an objective needs target (a ratio like 0.999) or targetPercent")
            continue
        slo_id = base if len(entries) == 1 else f"{base}-{slo_name(objective.text('displayName') or str(number))}"
        service.slos.append(model.Slo(
            name=slo_id, objective=target, indicator=objective_indicator, window=window_text, timezone=zone,
            slices=objective_slices,
            description=spec.text("description"), labels=labels, alerting=alerting,
            group_by=group_by, sla=sla, maintenance=list(maintenance),
            span=name.span,
            fields={**model.spans(objective=objective, window=spec.get("timeWindow"),
                                  indicator=spec.get("indicator") or spec.get("indicatorRef"),
                                  description=spec.get("description"), alerting=spec.get("alertPolicies")),
                    "group_by": at, "labels": _annotation_span(metadata, "labels"),
                    "sla": _annotation_span(metadata, "sla")},
        ))
        composites.created.setdefault(id(document), []).append((service, service.slos[-1]))


def _display_name(metadata: Node, name: str, report: Report) -> None:
    display = metadata.get("displayName")
    if display is not None and display.value != name:
        report.warn(display, f'metadata.displayName "{display.value}" has no counterpart (the name is "{name}"); dropped')


def _slo_name(name: str, service: str, display: str | None) -> str:
    """Our export names an SLO `<service>-<slo>`: the prefix comes off again."""
    if display and name == f"{service}-{display}" and NAME.fullmatch(display):
        return display
    return slo_name(name.removeprefix(f"{service}-") or name)


def _alerting(policies: Node | None, index: Index, report: Report) -> model.Alerting:
    alerting = model.Alerting()
    if policies is None or not policies.entries():
        alerting.enabled = False  # OpenSLO without alert policies alerts on nothing
        return alerting
    no_data = False
    for entry in policies.entries():
        ref = entry.get("alertPolicyRef")
        policy = index.find("AlertPolicy", ref, report) if ref is not None else entry
        if policy is None:
            continue
        metadata, spec = policy.get("metadata"), policy.get("spec")
        if spec is None:
            report.error(policy, "an AlertPolicy needs spec")
            continue
        report.unknown_fields(spec, ("description", "alertWhenNoData", "alertWhenResolved", "alertWhenBreaching",
                                     "conditions", "notificationTargets"), "AlertPolicy.spec")
        if spec.get("notificationTargets") is not None:
            report.warn(spec.key_span("notificationTargets"), "notificationTargets has no counterpart: route alerts "
                                                              "in Alertmanager by their labels; dropped")
        no_data = no_data or (spec.text("alertWhenNoData") or "false").lower() == "true"
        mine, others = _annotations(metadata, report, ("alert-name", "enabled", "no-data", "no-data-name",
                                                       "no-data-severity", "no-data-watch", "no-data-labels",
                                                       "no-data-annotations"), "AlertPolicy.metadata")
        alerting.name = alerting.name or alert_name(mine.get("alert-name"), _annotation_span(metadata, "alert-name"),
                                                    report, f"annotations.{P}alert-name")
        alerting.enabled = alerting.enabled and mine.get("enabled") != "false"
        alerting.labels.update(pairs(metadata.get("labels") if metadata else None, report, "AlertPolicy.metadata.labels"))
        alerting.annotations.update(others)
        if "no-data" in mine and mine["no-data"] != "false":
            alerting.no_data = mine["no-data"]
        alerting.no_data_name = alerting.no_data_name or alert_name(
            mine.get("no-data-name"), _annotation_span(metadata, "no-data-name"), report, f"annotations.{P}no-data-name")
        alerting.no_data_severity = alerting.no_data_severity or mine.get("no-data-severity")
        alerting.no_data_watch = alerting.no_data_watch or mine.get("no-data-watch")
        block = "page" if (alerting.no_data_severity or "ticket") == "page" else "ticket"
        if "no-data-labels" in mine:
            alerting.severity_labels[block] = _json_pairs(mine["no-data-labels"], metadata, report, "no-data-labels")
        if "no-data-annotations" in mine:
            alerting.severity_annotations[block] = _json_pairs(mine["no-data-annotations"], metadata, report, "no-data-annotations",
                                                                  annotations=True)
        for item in (spec.get("conditions") or Node([], spec.span)).entries():
            condition_ref = item.get("conditionRef")
            found = index.find("AlertCondition", condition_ref, report) if condition_ref is not None else item
            if found is not None:
                condition = _condition(found, report)
                if condition is not None:
                    alerting.conditions.append(condition)
    if not no_data:
        alerting.no_data = "false"
    one_rule_per_severity(alerting, policies, report)
    if alerting.enabled and not alerting.conditions:
        report.warn(policies, "no alert condition could be imported: the SLO would get slocompiler's default "
                              "conditions; they are written off (enabled = false) instead")
        alerting.enabled = False
    return alerting


def _condition(document: Node, report: Report) -> model.Condition | None:
    metadata, spec = document.get("metadata"), document.get("spec")
    if spec is None:
        report.error(document, "an AlertCondition needs spec")
        return None
    report.unknown_fields(spec, ("severity", "condition", "description"), "AlertCondition.spec")
    body = spec.get("condition")
    if body is None or body.text("kind") != "burnrate":
        report.warn(body or spec, f'alert condition kind "{body.text("kind") if body else None}" has no counterpart: '
                                  "only burnrate conditions translate; dropped")
        return None
    report.unknown_fields(body, ("kind", "op", "threshold", "lookbackWindow", "alertAfter"), "condition")
    op = body.text("op") or "gt"
    if op not in ("gt", "gte"):
        report.warn(body.get("op") or body, f'condition op "{op}" has no counterpart: a burn rate fires above its '
                                            "threshold; dropped")
        return None
    threshold, lookback = body.get("threshold"), body.get("lookbackWindow")
    # A plain decimal only: NaN, Infinity or 1e400 would not compare or would never fire.
    burn = Decimal(threshold.value) if threshold is not None and threshold.is_scalar \
        and DECIMAL.fullmatch(threshold.value.strip()) else None  # type: ignore[union-attr]
    if burn is None or burn <= 0 or lookback is None:
        report.error(body, "a burnrate condition needs a threshold above 0 and lookbackWindow")
        return None
    long = prometheus_seconds(lookback, report)
    if long is None:
        return None
    mine, others = _annotations(metadata, report, ("short-window", "min-failures"), "AlertCondition.metadata")
    severity_text = (spec.text("severity") or "page")
    severity = "ticket" if severity_text.lower() in TICKET_SEVERITIES else "page"
    short = mine.get("short-window")
    if short is None and (long // 12) % MINUTE:
        short = format_duration(max(MINUTE, round(long / 12 / MINUTE) * MINUTE))
    alert_after = body.get("alertAfter")
    after = prometheus_seconds(alert_after, report) if alert_after is not None else None
    condition = model.Condition(severity, _decimal(burn), format_duration(long), short,
                                format_duration(after) if after else None)
    condition.span = document.span
    failures = mine.get("min-failures")
    if failures is not None and failures.isdigit():
        condition.min_failures = str(int(failures))
    elif failures is not None:
        report.warn(metadata, f'min-failures "{failures}" is not a whole number; the default applies')
    condition.labels = pairs(metadata.get("labels") if metadata else None, report, "AlertCondition.metadata.labels")
    if severity_text not in ("page", "ticket"):
        condition.labels.setdefault("severity", severity_text)
    condition.annotations = others
    return condition


def _decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
