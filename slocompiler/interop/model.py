"""What an importer found, in neutral terms: `write.py` turns it into `.slo` text.

Values are kept as text in `.slo` spelling where they will be written
(`objective = "99.9"` is written `99.9%`, exactly as the input had it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.errors import Span

Pairs = dict[str, str]


@dataclass
class Condition:
    """`page { budget = 2% long = 1h short = 5m }`: `amount` is `2%` (budget) or `14.4` (burn)."""

    severity: str
    amount: str
    long: str
    short: str | None = None
    for_: str | None = None
    labels: Pairs = field(default_factory=dict)
    annotations: Pairs = field(default_factory=dict)
    span: Span | None = None  # where the input says it, for warnings; not written
    min_failures: str | None = None  # None: the severity's default

    @property
    def is_budget(self) -> bool:
        return self.amount.endswith("%")


@dataclass
class Alerting:
    name: str | None = None
    enabled: bool = True
    no_data: str | None = None  # "false", a duration, or None for the default
    no_data_name: str | None = None
    no_data_severity: str | None = None
    no_data_watch: str | None = None
    labels: Pairs = field(default_factory=dict)
    annotations: Pairs = field(default_factory=dict)
    severity_labels: dict[str, Pairs] = field(default_factory=dict)  # "page" -> labels
    severity_annotations: dict[str, Pairs] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)


@dataclass
class Indicator:
    """kind `ratio` (errors or good, total), `latency` (histogram, le), `expr` (error_ratio) or `threshold` (metric, good)."""

    kind: str
    queries: dict[str, str]  # attribute -> PromQL text with `$window`
    le: str | None = None
    good: str | None = None  # a threshold's condition, like ">= 1"


@dataclass
class Slices:
    """`slices { length target ratio }`: `target` a percentage without the sign, None with `ratio`."""

    length: str
    target: str | None
    ratio: bool = False
    no_data: str | None = None  # good, bad or skip; None: the default


@dataclass
class Maintenance:
    """`maintenance NAME { from for }` or `{ every at for timezone }`, values in `.slo` spelling."""

    name: str
    for_: str
    from_: str | None = None
    every: str | None = None
    at: str | None = None
    timezone: str | None = None


@dataclass
class Member:
    """A composite's member: an SLO of the import (its id is known only once names are final)."""

    service: Service
    slo: Slo
    weight: str
    when_no_data: str | None = None

    @property
    def slo_id(self) -> str:
        return f"{self.service.name}-{self.slo.name}"


@dataclass
class Composite:
    members: list[Member] = field(default_factory=list)
    aggregate: str | None = None  # None: the default (sum)


@dataclass
class Slo:
    name: str
    objective: str  # a percentage without the sign: "99.9"
    indicator: Indicator | None  # None for a composite
    window: str | None = None  # `30d`, or `calendar month`
    timezone: str | None = None
    slices: Slices | None = None
    description: str | None = None
    sla: str | None = None  # a percentage without the sign, like objective
    group_by: list[str] = field(default_factory=list)
    labels: Pairs = field(default_factory=dict)
    alerting: Alerting = field(default_factory=Alerting)
    comments: list[str] = field(default_factory=list)
    composite: Composite | None = None
    maintenance: list[Maintenance] = field(default_factory=list)
    span: Span | None = None  # where the input names it, for warnings; not written
    fields: dict[str, Span] = field(default_factory=dict)  # `.slo` attribute -> the input that gave it, for warnings


def spans(**nodes) -> dict[str, Span]:
    """`Slo.fields` from the input nodes that gave each attribute (None: not given)."""
    return {name: node.span for name, node in nodes.items() if node is not None}


@dataclass
class Service:
    name: str
    description: str | None = None
    owner: str | None = None
    oncall: str | None = None
    tier: str | None = None
    runbook: str | None = None
    dashboard: str | None = None
    labels: Pairs = field(default_factory=dict)
    kubernetes_namespace: str | None = None
    kubernetes_labels: Pairs = field(default_factory=dict)
    slos: list[Slo] = field(default_factory=list)
    maintenance: list[Maintenance] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the input files, for the header comment
    span: Span | None = None  # where the input first names it, for errors; not written
    comments: list[str] = field(default_factory=list)  # SLOs that could not be imported, and why
