"""The neutral model as `.slo` text, laid out by `slo fmt`'s own layout."""

from __future__ import annotations

import re

from ..fmt.format import format_text
from ..lang.syntax import KEYWORDS
from .model import Alerting, Composite, Indicator, Maintenance, Pairs, Service, Slo

NAME = re.compile(r"[a-z][a-z0-9_-]*")
# What the grammar reads as one bare word; any other label name is written as a string.
BARE_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def slo_name(text: str) -> str:
    """A valid `.slo` name for another tool's name: lower case, other characters as `-`."""
    name = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    if not name or not name[0].isalpha():
        name = "x-" + name
    return name + "-" if name in KEYWORDS else name


def comment(text: str) -> str:
    """A `#` comment line holding `text`: a line break in it (from a file or SLO name) would end the
    comment and let the rest be read as `.slo`, so every unprintable character is written `\\uXXXX`."""
    return "# " + "".join(map(_printable, text)) + "\n"


def _printable(ch: str) -> str:
    # `\uXXXX` holds the basic plane only; a character beyond it cannot end a line or a string, so stays as it is.
    return ch if ch.isprintable() or ord(ch) > 0xFFFF else f"\\u{ord(ch):04x}"


def string(text: str) -> str:
    """A `.slo` string literal holding `text` exactly: escapes, and `$` doubled."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    body = "".join(map(_printable, body))
    return '"' + body.replace("$", "$$") + '"'


def promql(text: str) -> str:
    """A raw string for PromQL that already says `$window`: other `$` are doubled so they stay literal.

    A raw string cannot hold a backtick: such a query becomes an escaped string instead.
    """
    if "`" in text:
        return string(text.strip()).replace("$$window", "$window")
    doubled = text.replace("$", "$$").replace("$$window", "$window")
    return "`" + doubled.strip() + "`"


def _pairs(keyword: str, pairs: Pairs) -> str:
    if not pairs:
        return ""
    # Keywords are label names like any other; a Kubernetes label name with a
    # prefix (`app.kubernetes.io/name`) is written quoted.
    inner = " ".join(f"{name if BARE_LABEL.fullmatch(name) else string(name)} = {string(value)}"
                     for name, value in pairs.items())
    return f"{keyword} {{ {inner} }}\n"


def _indicator(indicator: Indicator) -> str:
    lines = [f"{name} = {promql(query)}" for name, query in indicator.queries.items()]
    if indicator.le is not None:
        lines.append(f"le = {string(indicator.le)}")
    if indicator.good is not None:
        lines.append(f"good = {string(indicator.good)}")
    return f"indicator {indicator.kind} {{\n" + "\n".join(lines) + "\n}\n"


def _composite(composite: Composite) -> str:
    lines = []
    for member in composite.members:
        no_data = f" when_no_data = {member.when_no_data}" if member.when_no_data else ""
        lines.append(f"{member.slo_id} {{ weight = {member.weight}{no_data} }}")
    if composite.aggregate:
        lines.append(f"aggregate = {composite.aggregate}")
    return "composite {\n" + "\n".join(lines) + "\n}\n"


def _maintenance(windows: list[Maintenance]) -> str:
    out = []
    for window in windows:
        words = [("from", string(window.from_) if window.from_ else None), ("every", window.every),
                 ("at", string(window.at) if window.at else None), ("for", window.for_),
                 ("timezone", string(window.timezone) if window.timezone else None)]
        out.append(f"maintenance {window.name} {{ " + " ".join(f"{k} = {v}" for k, v in words if v) + " }\n")
    return "".join(out)


def _alerting(alerting: Alerting) -> str:
    out = []
    if alerting.name:
        out.append(f"name = {string(alerting.name)}")
    if not alerting.enabled:
        out.append("enabled = false")
    settings = [(k, v) for k, v in (("name", alerting.no_data_name), ("severity", alerting.no_data_severity))
                if v is not None]
    if alerting.no_data is not None and not settings and alerting.no_data_watch is None:
        out.append(f"no_data = {alerting.no_data}")
    elif settings or alerting.no_data_watch is not None:
        inner = [f"for = {alerting.no_data}"] if alerting.no_data not in (None, "false") else []
        inner += [f"{k} = {string(v)}" for k, v in settings]
        if alerting.no_data_watch:
            inner.append(f"watch = {alerting.no_data_watch}")
        out.append("no_data { " + " ".join(inner) + " }")
    out += [_pairs("labels", alerting.labels), _pairs("annotations", alerting.annotations)]
    for severity, block in (("page", "pages"), ("ticket", "tickets")):
        inner = _pairs("labels", alerting.severity_labels.get(severity, {}))
        inner += _pairs("annotations", alerting.severity_annotations.get(severity, {}))
        if inner:
            out.append(f"{block} {{\n{inner}}}")
    for condition in alerting.conditions:
        words = [("budget" if condition.is_budget else "burn", condition.amount), ("long", condition.long)]
        words += [(k, v) for k, v in (("short", condition.short), ("for", condition.for_),
                                      ("min_failures", condition.min_failures)) if v]
        inner = " ".join(f"{k} = {v}" for k, v in words)
        extra = _pairs("labels", condition.labels) + _pairs("annotations", condition.annotations)
        out.append(f"{condition.severity} {{ {inner}\n{extra}}}" if extra else f"{condition.severity} {{ {inner} }}")
    body = "\n".join(part.rstrip("\n") for part in out if part)
    return f"alerting {{\n{body}\n}}\n" if body else ""


def _slo(slo: Slo) -> str:
    out = [comment(line) for line in slo.comments]
    out.append(f"slo {slo.name} {{\n")
    if slo.description:
        out.append(f"description = {string(slo.description)}\n")
    out.append(f"objective = {slo.objective}%\n")
    if slo.sla:
        out.append(f"sla = {slo.sla}%\n")
    if slo.window:
        out.append(f"window = {slo.window}\n")
    if slo.timezone:
        out.append(f"timezone = {string(slo.timezone)}\n")
    if slo.slices:
        target = f" target = {slo.slices.target}%" if slo.slices.target is not None else ""
        ratio = " ratio = true" if slo.slices.ratio else ""
        no_data = f" no_data = {slo.slices.no_data}" if slo.slices.no_data else ""
        out.append(f"slices {{ length = {slo.slices.length}{target}{no_data}{ratio} }}\n")
    if slo.group_by:
        out.append("group_by = [" + ", ".join(string(name) for name in slo.group_by) + "]\n")
    out.append(_pairs("labels", slo.labels))
    out.append(_maintenance(slo.maintenance))
    out.append(_composite(slo.composite) if slo.composite else _indicator(slo.indicator))  # type: ignore[arg-type]
    out.append(_alerting(slo.alerting))
    out.append("}\n")
    return "".join(out)


def service_text(service: Service, tool: str, path: str = "imported.slo", sources: list[str] | None = None) -> str:
    """One service as formatted `.slo` text, with a comment naming where it came from (`sources`, as shown)."""
    out = [comment(f"imported from {', '.join(sources or service.sources)} ({tool}) by slo import")]
    out.append(f"service {service.name} {{\n")
    if service.description:
        out.append(f"description = {string(service.description)}\n")
    for name in ("owner", "oncall", "runbook", "dashboard"):
        if getattr(service, name):
            out.append(f"{name} = {string(getattr(service, name))}\n")
    if service.tier:
        out.append(f"tier = {service.tier}\n")
    if service.kubernetes_namespace or service.kubernetes_labels:
        inner = f"namespace = {string(service.kubernetes_namespace)}\n" if service.kubernetes_namespace else ""
        out.append(f"kubernetes {{\n{inner}{_pairs('labels', service.kubernetes_labels)}}}\n")
    out.append(_pairs("labels", service.labels))
    out.append(_maintenance(service.maintenance))
    for slo in service.slos:
        out.append(_slo(slo))
    out += [comment(line) for line in service.comments]
    out.append("}\n")
    return format_text("".join(out), path)
