"""What `.slo` accepts, read from the IR schema and the checker's own lists, so an importer drops what `slo check` would refuse.

Each rule here has one definition, in `lang/`; the importers ask it here and
warn at the input's line, where the user can fix it, instead of writing a
spec that fails. What no importer foresees is still caught after writing
(fit.py).
"""

from __future__ import annotations

import functools
import re

from ..core.errors import Span
from .yamlsrc import Node, Report

PROM_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
GO_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


@functools.cache
def schema_pattern(*path: str) -> re.Pattern:
    """The `pattern` at `path` in the IR schema's `$defs`."""
    from ..lang.schema import ir_schema

    found = ir_schema()["$defs"]
    for key in path:
        found = found[key]
    return re.compile(found["pattern"])


def kubernetes_label_name() -> re.Pattern:
    return schema_pattern("kubernetes_labels", "propertyNames")


def kubernetes_label_value() -> re.Pattern:
    return schema_pattern("kubernetes_labels", "additionalProperties")


def kubernetes_namespace(text: str | None, at: Node | Span, report: Report, what: str) -> str | None:
    """A namespace `slo check` accepts, else None with a warning."""
    if text is None or schema_pattern("service", "properties", "kubernetes_namespace").search(text):
        return text
    report.warn(at, f'{what} "{text}" is not a valid Kubernetes namespace (lower-case letters, digits and -, '
                    "at most 63) and is dropped")
    return None


def alert_name(text: str | None, at: Node | Span | None, report: Report, what: str) -> str | None:
    """An alert name Prometheus accepts, else None (the default name) with a warning."""
    if text is None or at is None or schema_pattern("alerting", "properties", "name").search(text):
        return text
    report.warn(at, f'{what} "{text}" is not a valid Prometheus alert name (letters, digits, _ and :, not starting '
                    "with a digit) and is dropped; slocompiler's default alert name is used")
    return None


def reserved_label(name: str) -> str | None:
    """Why `slo check` refuses a label of this name on a rule, or None."""
    from ..lang.check import RESERVED_LABELS

    if name.startswith("__"):
        return "names starting with __ are Prometheus's own"
    if name in RESERVED_LABELS:
        return "slocompiler sets it on every rule"
    return None


def pairs(node: Node | None, report: Report, what: str, templated: bool = False, kubernetes: bool = False,
          annotations: bool = False) -> dict[str, str]:
    """A string map: rule labels, annotations (`annotations`, or `templated` for alert annotations) or
    Kubernetes labels (`kubernetes`); a warning for each pair .slo cannot hold."""
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
        elif kubernetes and not kubernetes_label_value().search(str(value.value)):
            report.warn(value, f'{what} "{key}": "{value.value}" is not a valid Kubernetes label value (at most 63 '
                               "letters, digits, -, _ and ., alphanumeric at both ends) and is dropped")
        elif not kubernetes and not PROM_LABEL.fullmatch(key):
            # Prometheus itself would refuse it on a rule: the source tool's output could not have had it.
            report.warn(node.key_span(key), f'{what} "{key}" is not a Prometheus label name (letters, digits '
                                            "and _, not starting with a digit) and is dropped")
        elif not (kubernetes or annotations or templated) and (why := reserved_label(key)):
            report.warn(node.key_span(key), f'{what} "{key}" is dropped: {why}')
        else:
            if templated and GO_TEMPLATE.search(str(value.value)):
                report.warn(value, f'{what} "{key}" uses Prometheus alert templating ({{{{ ... }}}}), which '
                                   "slocompiler writes as literal text; the summary and description it writes "
                                   "already name the SLO, threshold and windows")
            out[key] = str(value.value)
    return out


def label_names(names: list[tuple[object, Span]], report: Report, what: str) -> list[str]:
    """The label names of a grouping (`group_by`), in order; a warning for each entry `slo check` would refuse."""
    from ..lang.check import ALERT_LABELS, RESERVED_PREFIX

    out: list[str] = []
    for name, span in names:
        if not isinstance(name, str) or not PROM_LABEL.fullmatch(name):
            report.warn(span, f"{what} entry {name!r} is not a Prometheus label name; dropped")
        elif name in out:
            report.warn(span, f"{what} names {name} twice; the second is dropped")
        elif name.startswith(("__", RESERVED_PREFIX)) or name in ALERT_LABELS or reserved_label(name):
            report.warn(span, f"{what} entry {name} is a label slocompiler or Prometheus sets on every alert; "
                              "grouping by it would merge the groups; dropped")
        else:
            out.append(name)
    return out
