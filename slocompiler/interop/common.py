"""What the importers share: objectives as exact text, label maps, services by name, Kubernetes metadata."""

from __future__ import annotations

import re

from ..core.errors import Span
from . import model
from .accepts import kubernetes_namespace, pairs
from .write import slo_name
from .yamlsrc import Node, Report

DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


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


def service_named(services: dict[str, model.Service], node: Node, report: Report) -> model.Service:
    """The service of that name, created on first sight; documents naming one service merge into it."""
    from ..lang.filenames import is_reserved_service_name

    name = slo_name(str(node.value))
    if is_reserved_service_name(name):
        report.warn(node, f'service name "{node.value}" becomes "{name}-" (a build writes a file named {name} '
                          "beside the services' own)")
        name += "-"
    elif name != node.value:
        report.warn(node, f'service name "{node.value}" becomes "{name}" (.slo names are lower-case letters, digits, - and _)')
    service = services.setdefault(name, model.Service(name, span=node.span))
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


# Names become file names (`<service>.slo`, `prometheus/<service>.rules.yml`, `docs/<service>/<slo>.svg`),
# which common file systems hold to 255 bytes: this leaves room for the longest suffix.
MAX_NAME_LENGTH = 200


def refuse_long_names(services: dict[str, model.Service], report: Report) -> None:
    """An error for each service or SLO whose name cannot become a file name; it is not imported."""
    def too_long(what: str, name: str) -> str:
        return (f'{what} name "{name[:40]}..." is {len(name)} characters; .slo names become file names, so slo '
                f"import takes at most {MAX_NAME_LENGTH}: shorten it in the input; the {what} is not imported")

    for name, service in list(services.items()):
        if len(name) > MAX_NAME_LENGTH:
            report.error(service.span or Span(service.sources[0] if service.sources else "<input>", 1, 1),
                         too_long("service", name))
            del services[name]
            continue
        for slo in [slo for slo in service.slos if len(slo.name) > MAX_NAME_LENGTH]:
            report.error(slo.span or service.span or Span("<input>", 1, 1), too_long("SLO", slo.name))
            service.slos.remove(slo)
            service.comments.append(f"slo {slo.name[:40]}... was not imported: its name is too long")


def group_by_that_groups(services: dict[str, model.Service], report: Report) -> None:
    """Drop each group_by label an SLO's rules set to one value themselves (or `le` of a latency SLO), with a warning.

    Every group would get the same value, so `slo check` refuses it; which
    labels are fixed is only known once the SLO's labels and conditions are.
    """
    for service in services.values():
        for slo in service.slos:
            fixed = {**slo.labels, **slo.alerting.labels}
            for condition in slo.alerting.conditions:
                fixed.update(condition.labels)
            if slo.indicator is not None and slo.indicator.kind == "latency":
                fixed["le"] = ""
            for name in [name for name in slo.group_by if name in fixed]:
                report.warn(slo.fields.get("group_by") or slo.span or Span("<input>", 1, 1),
                            f"slo {slo.name} groups by {name}, which its rules set to one value themselves "
                            "(or, for le, which splits a latency SLO's buckets); dropped from group_by")
                slo.group_by.remove(name)


def kubernetes_metadata(document: Node, service: model.Service, report: Report, name_is_kept: bool = False) -> None:
    """A resource's `metadata.namespace` and `metadata.labels` become the service's `kubernetes { }`.

    `name_is_kept`: the format's `metadata.name` became a name in `.slo` (Pyrra's SLO name).
    """
    metadata = document.get("metadata")
    if metadata is None:
        return
    report.unknown_fields(metadata, ("name", "namespace", "labels", "annotations"), "metadata")
    namespace = kubernetes_namespace(metadata.text("namespace"), metadata.get("namespace") or metadata, report,
                                     "metadata.namespace")
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
