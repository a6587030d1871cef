"""Sloth specs: `prometheus/v1` files and `sloth.slok.dev/v1` PrometheusServiceLevel resources.

The prometheus/v1 format spells fields in snake_case (`error_query`,
`page_alert`); the Kubernetes resource in camelCase (`errorQuery`,
`pageAlert`). Both spellings are read in both.
"""

from __future__ import annotations

import re

from . import model
from .accepts import GO_TEMPLATE, alert_name, pairs
from .common import kubernetes_metadata, objective_text, service_named, slo_name_of
from .yamlsrc import Node, Report

PROMETHEUS_V1 = "prometheus/v1"
K8S_API = "sloth.slok.dev/v1"
K8S_KIND = "PrometheusServiceLevel"
GO_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")

# Sloth's alert windows for its two supported SLO periods (the SRE Workbook's
# numbers): per severity, a quick and a slow pair of (budget %, long, short).
SLOTH_WINDOWS = {
    "30d": (("page", "2", "1h", "5m"), ("page", "5", "6h", "30m"), ("ticket", "10", "1d", "2h"), ("ticket", "10", "3d", "6h")),
    "28d": (("page", "2", "1h", "5m"), ("page", "5", "6h", "30m"), ("ticket", "10", "1d", "2h"), ("ticket", "10", "3d", "6h")),
}

SPEC_FIELDS = ("version", "service", "labels", "slos")
SLO_FIELDS = ("name", "objective", "description", "labels", "sli", "alerting")
SLI_FIELDS = ("events", "raw", "plugin")
ALERTING_FIELDS = ("name", "labels", "annotations", "page_alert", "pageAlert", "ticket_alert", "ticketAlert")
ALERT_FIELDS = ("disable", "labels", "annotations")


def read(document: Node, options: dict, report: Report, services: dict[str, model.Service]) -> bool:
    """Add the services of one Sloth document; False when it is no Sloth document."""
    if document.text("version") == PROMETHEUS_V1:
        report.unknown_fields(document, SPEC_FIELDS, "spec")
        _spec(document, document, options, report, services)
        return True
    if (document.text("apiVersion") or "").startswith("sloth.slok.dev/") and document.text("kind") == K8S_KIND:
        report.unknown_fields(document, ("apiVersion", "kind", "metadata", "spec"), K8S_KIND)
        spec = document.get("spec")
        if spec is None or not spec.is_map:
            report.error(document, f"{K8S_KIND} has no spec")
            return True
        report.unknown_fields(spec, ("service", "labels", "slos"), "spec")
        service = _spec(spec, document, options, report, services)
        if service is not None:
            kubernetes_metadata(document, service, report)
        return True
    return False


def _spec(spec: Node, document: Node, options: dict, report: Report, services: dict) -> model.Service | None:
    name_node = spec.get("service")
    if name_node is None or not name_node.is_scalar:
        report.error(spec, "a Sloth spec needs service")
        return None
    service = service_named(services, name_node, report)
    labels = pairs(spec.get("labels"), report, "labels")
    if not service.slos and not service.labels:
        service.labels = labels
        if "owner" in labels and service.owner is None:
            service.owner = labels["owner"]  # Sloth specs say who owns them in this label
    elif labels != service.labels:
        report.warn(spec.get("labels") or spec, f"service {service.name} has other labels in an earlier document; "
                                                 "the first document's labels are kept")
    slos = spec.get("slos") or Node([], spec.span)
    if not slos.is_list:
        report.error(slos, "slos is not a list of SLOs; none is imported")
    for entry in slos.entries():
        slo = _slo(entry, options, report)
        if slo is not None:
            service.slos.append(slo)
        elif entry.text("name"):
            service.comments.append(f"slo {entry.text('name')} was not imported: see the warnings of slo import")
    return service


def _slo(node: Node, options: dict, report: Report) -> model.Slo | None:
    report.unknown_fields(node, SLO_FIELDS + ("info_labels", "infoLabels"), "slo")
    for key in ("info_labels", "infoLabels"):
        if node.get(key) is not None:
            report.warn(node.key_span(key), f"{key} (labels of Sloth's info metric) has no counterpart and is dropped; "
                                            "put labels every rule needs in labels")
    name = node.get("name")
    objective = objective_text(node.get("objective"), report)
    indicator = _indicator(node.get("sli"), report)
    for key, found in (("name", name), ("objective", node.get("objective")), ("sli", node.get("sli"))):
        if found is None:
            report.error(node, f"a Sloth SLO needs {key}")
    if name is None or not name.is_scalar or objective is None or indicator is None:
        return None
    slo = model.Slo(
        name=slo_name_of(name, report),
        objective=objective,
        indicator=indicator,
        window=options["window"],
        description=node.text("description"),
        labels=pairs(node.get("labels"), report, "labels"),
        span=name.span,
        fields=model.spans(objective=node.get("objective"), indicator=node.get("sli"), labels=node.get("labels"),
                           description=node.get("description"), alerting=node.get("alerting")),
    )
    slo.alerting = _alerting(node.get("alerting"), options, report, node)
    for condition in slo.alerting.conditions:
        condition.span = slo.fields["objective"]  # Sloth's windows are fixed: whether they can fire is the objective's doing
    return slo


def query(node: Node | None, report: Report, ratio: bool = False) -> str | None:
    """A Sloth query with `{{.window}}` as `$window`; a warning for any other Go template.

    `ratio`: an error ratio, which is None without `{{.window}}` (`.slo` has nothing to substitute).
    """
    if node is None or not node.is_scalar:
        return None
    text = str(node.value)
    if not GO_WINDOW.search(text) and ratio:
        report.warn(node, "this error ratio query has no {{.window}}: .slo needs $window where the range goes, "
                          "so each alert window can be substituted; the SLO is not imported")
        return None
    if not GO_WINDOW.search(text):
        report.warn(node, "this query has no {{.window}}: .slo needs $window where the range goes, "
                          "so each alert window can be substituted")
    converted = GO_WINDOW.sub("$window", text)
    if GO_TEMPLATE.search(converted):
        report.warn(node, "this query holds a Go template other than {{.window}}, which .slo does not expand")
    return converted


def _indicator(sli: Node | None, report: Report) -> model.Indicator | None:
    if sli is None:
        return None  # reported by the SLO
    if not sli.is_map:
        report.error(sli, "sli is not a mapping (events, raw or plugin)")
        return None
    report.unknown_fields(sli, SLI_FIELDS, "sli")
    plugin = sli.get("plugin")
    if plugin is not None:
        report.warn(sli.key_span("plugin"), f'SLI plugin "{plugin.text("id") or "?"}" has no counterpart: write this SLO\'s indicator '
                            "by hand (the plugin's queries, with $window); the SLO is not imported")
        return None
    events, raw = sli.get("events"), sli.get("raw")
    if events is not None:
        report.unknown_fields(events, ("error_query", "errorQuery", "total_query", "totalQuery"), "sli.events")
        errors = query(events.first("error_query", "errorQuery"), report)
        total = query(events.first("total_query", "totalQuery"), report)
        if errors is None or total is None:
            report.error(events, "sli.events needs error_query and total_query")
            return None
        return model.Indicator("ratio", {"errors": errors, "total": total})
    if raw is not None:
        report.unknown_fields(raw, ("error_ratio_query", "errorRatioQuery"), "sli.raw")
        found = raw.first("error_ratio_query", "errorRatioQuery")
        ratio = query(found, report, ratio=True)
        if ratio is None:
            if found is None or not found.is_scalar:
                report.error(raw, "sli.raw needs error_ratio_query")
            return None
        return model.Indicator("expr", {"error_ratio": ratio})
    report.error(sli, "sli needs events, raw or plugin")
    return None


def _alerting(node: Node | None, options: dict, report: Report, slo: Node) -> model.Alerting:
    """Sloth's alerting; without it (Sloth requires it), Sloth's windows all the same."""
    alerting = model.Alerting(no_data=None if options["add_no_data"] else "false")
    if node is not None and not node.is_map:
        report.warn(node, "alerting is not a mapping; read as empty (Sloth's windows, no labels or annotations)")
    node = node if node is not None and node.is_map else Node({}, slo.span)
    report.unknown_fields(node, ALERTING_FIELDS, "alerting")
    alerting.name = alert_name(node.text("name"), node.get("name"), report, "alerting.name")
    alerting.labels = pairs(node.get("labels"), report, "labels")
    alerting.annotations = pairs(node.get("annotations"), report, "annotations", templated=True)
    disabled = set()
    for severity, keys in (("page", ("page_alert", "pageAlert")), ("ticket", ("ticket_alert", "ticketAlert"))):
        alert = node.first(*keys)
        if alert is None:
            continue
        report.unknown_fields(alert, ALERT_FIELDS, keys[0])
        disable = alert.get("disable")
        if disable is not None and str(disable.value).lower() == "true":
            disabled.add(severity)
        elif disable is not None and str(disable.value).lower() != "false":
            # Sloth reads disable as a boolean: anything else would not load there either.
            report.warn(disable, f"{keys[0]}.disable is not true or false; read as false, so these alerts are kept")
        alerting.severity_labels[severity] = pairs(alert.get("labels"), report, "labels")
        alerting.severity_annotations[severity] = pairs(alert.get("annotations"), report, "annotations", templated=True)
    if disabled == {"page", "ticket"}:
        alerting.enabled = False
        return alerting
    if not options["keep_defaults"]:
        alerting.conditions = [
            model.Condition(severity, f"{budget}%", long, short)
            for severity, budget, long, short in SLOTH_WINDOWS[options["window"]]
            if severity not in disabled
        ]
    elif disabled:
        report.warn(node, "with --keep-defaults, a disabled page or ticket alert cannot be dropped from the "
                          "default conditions; import without --keep-defaults")
    return alerting
