"""What the importers share: objectives as exact text, label maps, services by name, Kubernetes metadata."""

from __future__ import annotations

import functools
import re

from ..core.errors import Span
from . import model
from .write import slo_name
from .yamlsrc import Node, Report

DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
PROM_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
GO_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def objective_text(node: Node | None, report: Report, scale: int = 1) -> str | None:
    """An objective in percent, from the decimal text as written (`99.99` is exactly 99.99%).

    `scale = 100` reads a ratio (OpenSLO's `0.999`) as a percentage, still exactly.
    """
    if node is None:
        return None
    if not node.is_scalar:
        report.error(node, f"objective is a {'list' if node.is_list else 'mapping'}, not a decimal number")
        return None
    text = str(node.value).strip()
    if not DECIMAL.fullmatch(text):
        report.error(node, f'objective "{text}" is not a plain decimal number')
        return None
    from decimal import Decimal

    from ..core.units import SIGNIFICANT_DIGITS, decimal_text, round_decimal

    percent = Decimal(text) * scale
    # Said here, at the input's line, rather than by `slo check` on the written file.
    if not 0 < percent < 100:
        report.error(node, f"objective {decimal_text(percent)}% is not strictly between 0% and 100%, "
                           "which .slo requires; the SLO is not imported")
        return None
    if round_decimal(percent / 100) != percent / 100:
        report.error(node, f"objective {decimal_text(percent)}% has more digits than .slo carries "
                           f"({SIGNIFICANT_DIGITS} significant digits as a ratio); the SLO is not imported")
        return None
    return text if scale == 1 else decimal_text(percent)


def pairs(node: Node | None, report: Report, what: str, templated: bool = False, kubernetes: bool = False) -> dict[str, str]:
    """A string map (labels, annotations); a warning for each pair .slo cannot hold."""
    out: dict[str, str] = {}
    if node is None:
        return out
    if not node.is_map:
        report.warn(node, f"{what} is not a map and is dropped")
        return out
    for key, value in node.items():
        if not value.is_scalar:
            report.warn(value, f'{what} "{key}" is not a string and is dropped')
        elif kubernetes and not kubernetes_label_name().search(key):
            report.warn(node.key_span(key), f'{what} "{key}" is not a valid Kubernetes label name and is dropped')
        elif not kubernetes and not PROM_LABEL.fullmatch(key):
            # Prometheus itself would refuse it on a rule: the source tool's output could not have had it.
            report.warn(node.key_span(key), f'{what} "{key}" is not a Prometheus label name (letters, digits '
                                            "and _, not starting with a digit) and is dropped")
        else:
            if templated and GO_TEMPLATE.search(str(value.value)):
                report.warn(value, f'{what} "{key}" uses Prometheus alert templating ({{{{ ... }}}}), which '
                                   "slocompiler writes as literal text; the summary and description it writes "
                                   "already name the SLO, threshold and windows")
            out[key] = str(value.value)
    return out


@functools.cache
def kubernetes_label_name() -> re.Pattern:
    """Kubernetes label names (`app.kubernetes.io/name`): the IR schema's rule, so import and check agree."""
    from ..lang.schema import ir_schema

    return re.compile(ir_schema()["$defs"]["kubernetes_labels"]["propertyNames"]["pattern"])


def label_names(names: list[tuple[object, Span]], report: Report, what: str) -> list[str]:
    """The Prometheus label names of a grouping, in order; a warning for each other entry, which is dropped."""
    out = []
    for name, span in names:
        if isinstance(name, str) and PROM_LABEL.fullmatch(name):
            out.append(name)
        else:
            report.warn(span, f"{what} entry {name!r} is not a Prometheus label name; dropped")
    return out


def service_named(services: dict[str, model.Service], node: Node, report: Report) -> model.Service:
    """The service of that name, created on first sight; documents naming one service merge into it."""
    name = slo_name(str(node.value))
    if name != node.value:
        report.warn(node, f'service name "{node.value}" becomes "{name}" (.slo names are lower-case letters, digits, - and _)')
    service = services.setdefault(name, model.Service(name))
    if node.span.file not in service.sources:
        service.sources.append(node.span.file)
    return service


def slo_name_of(node: Node, report: Report) -> str:
    """The `.slo` name for an SLO's name in the input; a warning when it has to change."""
    name = slo_name(str(node.value))
    if name != node.value:
        report.warn(node, f'SLO name "{node.value}" becomes "{name}" (.slo names are lower-case letters, digits, - and _)')
    return name


def unique_slo_names(services: dict[str, model.Service], report: Report) -> None:
    """Two SLOs of a service that share a name (once renamed, or merged from two files) get `-2`, `-3`...

    Either would otherwise make the whole file fail `slo check`; the later one
    is renamed, so the first keeps the name its dashboards and alerts had.
    """
    for service in services.values():
        taken = {slo.name for slo in service.slos}
        seen: set[str] = set()
        for slo in service.slos:
            if slo.name in seen:
                number = 2
                while f"{slo.name}-{number}" in taken:
                    number += 1
                new = f"{slo.name}-{number}"
                report.warn(slo.span or Span("<input>", 1, 1), f'service {service.name} already has an SLO named '
                                                               f'"{slo.name}"; this one becomes "{new}"')
                slo.name = new
                taken.add(new)
            seen.add(slo.name)


def kubernetes_metadata(document: Node, service: model.Service, report: Report, name_is_kept: bool = False) -> None:
    """A resource's `metadata.namespace` and `metadata.labels` become the service's `kubernetes { }`.

    `name_is_kept`: the format's `metadata.name` became a name in `.slo` (Pyrra's SLO name).
    """
    metadata = document.get("metadata")
    if metadata is None:
        return
    report.unknown_fields(metadata, ("name", "namespace", "labels", "annotations"), "metadata")
    namespace = metadata.text("namespace")
    labels = pairs(metadata.get("labels"), report, "metadata.labels", kubernetes=True)
    if service.kubernetes_namespace not in (None, namespace) or (service.kubernetes_labels and labels != service.kubernetes_labels):
        report.warn(metadata, f"service {service.name} is in another resource with other Kubernetes metadata; "
                              "the first resource's namespace and labels are kept")
        return
    service.kubernetes_namespace = namespace
    service.kubernetes_labels = labels
    if metadata.get("name") is not None and not name_is_kept:
        report.warn(metadata.get("name"), f"metadata.name is not kept: the PrometheusRule is named slo-{service.name}")  # type: ignore[arg-type]
    if metadata.get("annotations") is not None:
        report.warn(metadata.key_span("annotations"), "metadata.annotations has no counterpart and is dropped")


def one_rule_per_severity(alerting: model.Alerting, where: Node | Span, report: Report) -> None:
    """Make the conditions fit one alert rule per severity, as `slo check` requires; each change a warning.

    The peers write one rule per window pair, each with its own `for`, labels
    and annotations; slocompiler joins the pairs of a severity into one rule.
    A repeated pair is dropped; a severity's `for` becomes the shortest of its
    pairs (no pair fires later than before; the slower ones may fire sooner);
    labels and annotations keep what all of the severity's pairs agree on.
    """
    kept: list[model.Condition] = []
    seen: set[tuple] = set()
    for condition in alerting.conditions:
        key = (condition.severity, condition.amount, condition.long, condition.short)
        if key in seen:
            report.warn(condition.span or where, f"this {condition.severity} condition repeats an earlier one "
                                                 "(same burn and windows); dropped")
            continue
        seen.add(key)
        kept.append(condition)
    alerting.conditions = kept
    for severity in ("page", "ticket"):
        group = [k for k in kept if k.severity == severity]
        if len(group) < 2:
            continue
        at = group[0].span or where
        fors = {k.for_ for k in group}
        if len(fors) > 1:
            shortest = min(fors, key=lambda text: 0 if text is None else _seconds(text))
            report.warn(at, f"the {severity} conditions become one alert rule with one for: "
                            f"{shortest or 'none'}, the shortest of {', '.join(sorted(str(f) for f in fors))}; "
                            "the slower window pairs may fire sooner than before")
            for k in group:
                k.for_ = shortest
        for attribute in ("labels", "annotations"):
            values = [getattr(k, attribute) for k in group]
            if any(v != values[0] for v in values):
                common = {name: value for name, value in values[0].items() if all(v.get(name) == value for v in values)}
                dropped = sorted({name for v in values for name in v if name not in common})
                report.warn(at, f"the {severity} conditions become one alert rule with one set of {attribute}: "
                                f"{', '.join(dropped)} differ between them and are dropped")
                for k in group:
                    setattr(k, attribute, dict(common))


def _seconds(text: str) -> int:
    from ..core.units import parse_duration_ms

    return parse_duration_ms(text)[0]
