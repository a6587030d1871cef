"""Pyrra `pyrra.dev/v1alpha1` ServiceLevelObjective resources.

One resource is one SLO; its namespace is the service (Pyrra has no
services), `metadata.name` the SLO. Pyrra's alerting is a fixed set of four
burn-rate alerts whose windows scale with the SLO window; they are written out
(`pyrra_windows`), with Pyrra's `severity` labels, so the imported SLO alerts
where Pyrra did. Its absent alert becomes a NoData alert on the raw total series.
"""

from __future__ import annotations

import re

from . import model
from .accepts import PROM_LABEL, alert_name, label_names, reserved_label
from .common import (
    kubernetes_metadata,
    objective_text,
    one_rule_per_severity,
    service_named,
    slo_name_of,
)
from .durations import window_seconds
from .yamlsrc import Node, Report

KIND = "ServiceLevelObjective"
LABEL_PREFIX = "pyrra.dev/"  # metadata labels Pyrra copies onto every rule, without the prefix
MINUTE = 60

# Pyrra's windows as divisors of the SLO window (1h, 5m and 2m of 28 days for
# the first): (severity, burn factor, long, short, for), each rounded to a minute.
PYRRA_WINDOWS = (
    ("page", 14, 672, 8064, 20160),
    ("page", 7, 112, 1344, 2688),
    ("ticket", 2, 28, 336, 672),
    ("ticket", 1, 7, 112, 224),
)
SEVERITY_LABELS = {"page": "critical", "ticket": "warning"}
SPEC_FIELDS = ("description", "target", "window", "indicator", "alerting")
ALERTING_FIELDS = ("disabled", "burnrates", "absent", "name", "absentName")


def _round_minute(seconds: float) -> int:
    """Go's Duration.Round(time.Minute): to the nearest minute, halves away from zero."""
    return int(seconds // MINUTE + (1 if seconds % MINUTE >= MINUTE / 2 else 0)) * MINUTE


def pyrra_windows(window: int) -> list[tuple[str, int, int, int, int]]:
    """(severity, factor, long, short, for) in seconds, as Pyrra derives them from the window."""
    # Pyrra divides nanoseconds as integers before rounding; whole seconds give the same minutes.
    return [(severity, factor, _round_minute(window / long), _round_minute(window / short), _round_minute(window / for_))
            for severity, factor, long, short, for_ in PYRRA_WINDOWS]


def absent_for(window: int, objective: str) -> int:
    """Pyrra's absent alert `for`: the time the first alert needs at 100% errors, plus its `for`."""
    from decimal import Decimal

    _, factor, long, _, for_ = pyrra_windows(window)[0]
    seconds = int(factor * (1 - Decimal(objective) / 100) * long) + for_
    return max(_round_minute(seconds), MINUTE)


def read(document: Node, options: dict, report: Report, services: dict[str, model.Service]) -> bool:
    """Add the SLO of one Pyrra resource; False when it is none."""
    if not ((document.text("apiVersion") or "").startswith("pyrra.dev/") and document.text("kind") == KIND):
        return False
    from ..core.units import format_duration

    report.unknown_fields(document, ("apiVersion", "kind", "metadata", "spec", "status"), KIND)
    metadata, spec = document.get("metadata"), document.get("spec")
    name = metadata.get("name") if metadata else None
    if spec is None or name is None:
        report.error(document, f"a {KIND} needs metadata.name and spec")
        return True
    namespace = metadata.get("namespace") if metadata else None  # type: ignore[union-attr]
    service = service_named(services, namespace or Node("default", document.span), report)
    rule_labels, k8s_labels = _split_labels(metadata, report)  # type: ignore[arg-type]
    kubernetes_metadata(_without_pyrra_labels(document, k8s_labels), service, report, name_is_kept=True)
    report.unknown_fields(spec, SPEC_FIELDS, "spec")
    objective = objective_text(spec.get("target"), report)
    window_node = spec.get("window")
    window = window_seconds(window_node, report) if window_node is not None else None
    indicator, group_by = _indicator(spec.get("indicator"), report)
    if objective is None or window is None or indicator is None:
        if window_node is None:
            report.error(spec, "a Pyrra SLO needs window")
        service.comments.append(f"slo {name.value} was not imported: see the warnings of slo import")
        return True
    slo = model.Slo(
        name=slo_name_of(name, report),
        objective=objective,
        indicator=indicator,
        window=format_duration(window),
        description=spec.text("description"),
        group_by=group_by,
        labels=rule_labels,
        span=name.span,
        fields=model.spans(objective=spec.get("target"), window=window_node, indicator=spec.get("indicator"),
                           labels=metadata.get("labels"), description=spec.get("description"),  # type: ignore[union-attr]
                           alerting=spec.get("alerting"), group_by=_grouping_node(spec.get("indicator"))),
    )
    slo.alerting = _alerting(spec.get("alerting"), window, objective, report, spec.get("alerting") or spec)
    for condition in slo.alerting.conditions:
        condition.span = spec.get("target").span  # type: ignore[union-attr]  # Pyrra's windows are fixed: the target decides
    service.slos.append(slo)
    return True


def _split_labels(metadata: Node, report: Report) -> tuple[dict[str, str], dict[str, str]]:
    """`pyrra.dev/team: x` is the rule label `team`; every other label is the resource's own."""
    rule_labels, other = {}, {}
    labels = metadata.get("labels")
    for key, value in labels.items() if labels is not None else ():
        if key.startswith(LABEL_PREFIX) and value.is_scalar:
            name = key[len(LABEL_PREFIX):]
            if PROM_LABEL.fullmatch(name) and (why := reserved_label(name)):
                report.warn(labels.key_span(key), f'metadata.labels "{key}" is dropped: {why}')
            elif PROM_LABEL.fullmatch(name):
                rule_labels[name] = str(value.value)
            else:
                report.warn(labels.key_span(key), f'metadata.labels "{key}": "{name}" is not a Prometheus label name '
                                                  "(letters, digits and _, not starting with a digit) and is dropped")
        else:
            other[key] = value
    return rule_labels, other


def _without_pyrra_labels(document: Node, labels: dict) -> Node:
    metadata = document.get("metadata")
    assert metadata is not None
    inner = dict(metadata.value)  # type: ignore[arg-type]
    if "labels" in inner:
        inner["labels"] = Node(labels, inner["labels"].span, keys=inner["labels"].keys)
    return Node({**document.value, "metadata": Node(inner, metadata.span, keys=metadata.keys)}, document.span)  # type: ignore[dict-item]


def _selector(node: Node | None, report: Report, what: str) -> str | None:
    metric = node.get("metric") if node is not None else None
    if metric is None or not metric.is_scalar:
        if node is not None:
            report.error(node, f"{what} needs metric")
        return None
    report.unknown_fields(node, ("metric",), what)
    return _without_comments(str(metric.value))


def _without_comments(metric: str) -> str:
    """A metric as Pyrra reads it, parsed: the importer splices it into longer queries, where a comment would swallow the rest of its line."""
    from ..core.promql import strip_comments

    return strip_comments(metric).strip()


def _grouping_node(indicator: Node | None) -> Node | None:
    for kind in ("ratio", "latency", "bool_gauge"):
        block = indicator.get(kind) if indicator is not None else None
        if block is not None:
            return block.get("grouping")
    return None


def _grouping(node: Node, report: Report) -> list[str]:
    grouping = node.get("grouping")
    if grouping is None:
        return []
    if not grouping.is_list:
        report.warn(grouping, "grouping is not a list of label names; dropped")
        return []
    return label_names([(item.value if item.is_scalar else repr(item), item.span) for item in grouping.entries()],
                       report, "grouping")


LE_MATCHER = re.compile(r',?\s*le\s*=\s*"([^"]*)"\s*,?')


def _latency(success: str, total: str) -> model.Indicator:
    """A `latency` indicator when total is the same histogram's `_count`; else good over total, as Pyrra reads it."""
    found = LE_MATCHER.search(success)
    if found:
        histogram = LE_MATCHER.sub(lambda m: "," if m.group(0).startswith(",") and m.group(0).endswith(",") else "", success, count=1)
        histogram = histogram.replace("{}", "").replace("{,", "{").replace(",}", "}")
        base, _, matchers = histogram.partition("{")
        total_base, _, total_matchers = total.partition("{")
        if base.endswith("_bucket") and total_base == base[: -len("_bucket")] + "_count" and matchers == total_matchers:
            return model.Indicator("latency", {"histogram": histogram}, le=found.group(1))
    return model.Indicator("ratio", {"good": success, "total": total})


def _indicator(node: Node | None, report: Report) -> tuple[model.Indicator | None, list[str]]:
    if node is None:
        return None, []
    report.unknown_fields(node, ("ratio", "latency", "bool_gauge", "latencyNative"), "indicator")
    for kind, part in (("ratio", "errors"), ("latency", "success")):
        block = node.get(kind)
        if block is None:
            continue
        report.unknown_fields(block, (part, "total", "grouping"), f"indicator.{kind}")
        events = _selector(block.get(part), report, f"indicator.{kind}.{part}")
        total = _selector(block.get("total"), report, f"indicator.{kind}.total")
        if events is None or total is None:
            return None, []
        indicator = model.Indicator("ratio", {"errors": events, "total": total}) if kind == "ratio" else _latency(events, total)
        return indicator, _grouping(block, report)
    if (gauge := node.get("bool_gauge")) is not None:
        report.unknown_fields(gauge, ("metric", "grouping"), "indicator.bool_gauge")
        metric = gauge.text("metric")
        if metric is None:
            report.error(gauge, "indicator.bool_gauge needs metric")
            return None, []
        # A 0/1 gauge: each sample is a check, good when it is 1 (LANGUAGE.md maps it to a threshold).
        return model.Indicator("threshold", {"metric": _without_comments(metric).strip()}, good="== 1"), \
            _grouping(gauge, report)
    if node.get("latencyNative") is not None:
        report.warn(node.key_span("latencyNative"), "indicator.latencyNative (native histograms) has no counterpart; "
                                                    "the SLO is not imported: write a ratio indicator by hand")
    else:
        report.error(node, "indicator needs ratio, latency or bool_gauge")
    return None, []


def _flag(node: Node | None, key: str, default: bool) -> bool:
    value = node.text(key) if node is not None else None
    return default if value is None else value.lower() == "true"


def _alerting(node: Node | None, window: int, objective: str, report: Report, where: Node) -> model.Alerting:
    from ..core.units import format_duration

    if node is not None:
        report.unknown_fields(node, ALERTING_FIELDS, "alerting")
    given = alert_name(node.text("name"), node.get("name"), report, "alerting.name") if node is not None else None
    alerting = model.Alerting(name=given or "ErrorBudgetBurn")
    alerting.severity_labels = {severity: {"severity": value} for severity, value in SEVERITY_LABELS.items()}
    burnrates = _flag(node, "burnrates", True) and not _flag(node, "disabled", False)
    absent = _flag(node, "absent", True)
    if not burnrates and not absent:
        alerting.enabled = False
        return alerting
    alerting.conditions = [
        model.Condition(severity, str(factor), format_duration(long), format_duration(short), format_duration(for_))
        for severity, factor, long, short, for_ in pyrra_windows(window)
    ]
    one_rule_per_severity(alerting, where, report)
    if not burnrates and node is not None:  # burnrates or disabled was set, so node is there
        key = "burnrates" if node.get("burnrates") is not None else "disabled"
        report.warn(node.key_span(key), f"{key} turns off the burn-rate alerts but not the absent one, which .slo "
                                        "cannot say (NoData belongs to an SLO that alerts); the burn-rate alerts are kept")
    if absent:
        alerting.no_data = format_duration(absent_for(window, objective))
        absent_name = alert_name(node.text("absentName"), node.get("absentName"), report,
                                 "alerting.absentName") if node is not None else None
        alerting.no_data_name = absent_name or "SLOMetricAbsent"
        alerting.no_data_severity = "page"
        alerting.no_data_watch = "total"
    else:
        alerting.no_data = "false"
    return alerting
