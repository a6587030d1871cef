"""The intermediate representation: what a set of `.slo` files means.

Frozen, slotted dataclasses with tuples, so equality and repr come free.
Every node that came from source carries a `span`. Defaults are applied,
templates expanded, imports resolved: backends never look at syntax.
Durations are whole seconds (`int`), except the latency threshold, which is
an exact `Decimal` of seconds; objectives and budgets are `Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import Span
from .sremath import DEFAULT_MEMBER_NO_DATA, DEFAULT_SLICE_NO_DATA, DEFAULT_TIMEZONE

Labels = tuple[tuple[str, str], ...]


FieldSpans = tuple[tuple[str, "Span"], ...]


def at(node: object, field: str) -> Span:
    """Where the spec set `field` of a node (`labels.team` for one label), else the node itself."""
    for name, span in getattr(node, "fields", ()):
        if name == field:
            return span
    return node.span  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Query:
    """A PromQL string from a spec, template parameters already substituted.

    `text` may hold the `$window` placeholder; `is_selector` says it is a
    plain vector selector, which the compiler wraps in `sum(rate(...[W]))`.
    """

    text: str
    is_selector: bool
    span: Span


@dataclass(frozen=True, slots=True)
class RatioIndicator:
    """Bad (or good) events over all events."""

    total: Query
    errors: Query | None
    good: Query | None
    span: Span
    fields: FieldSpans = ()
    kind: str = "ratio"


@dataclass(frozen=True, slots=True)
class LatencyIndicator:
    """A histogram: good events are those at or under the `le` bucket."""

    histogram: Query
    le: str
    threshold_seconds: Decimal | None
    span: Span
    fields: FieldSpans = ()
    kind: str = "latency"


@dataclass(frozen=True, slots=True)
class ExprIndicator:
    """An expression that yields the error ratio itself."""

    error_ratio: Query
    span: Span
    fields: FieldSpans = ()
    kind: str = "expr"


@dataclass(frozen=True, slots=True)
class ThresholdIndicator:
    """A gauge or probe: each sample of `metric` is good when `sample <op> value` holds.

    `metric` is a plain vector selector; the SLI is the share of good samples.
    """

    metric: Query
    op: str
    value: Decimal
    span: Span
    fields: FieldSpans = ()
    kind: str = "threshold"


@dataclass(frozen=True, slots=True)
class Member:
    """One member of a composite: an SLO id (`<service>-<slo>`, from any input file).

    `weight`: how many times a journey passes through it (> 0).
    `when_no_data`: what the member's error ratio counts as while it has none:
    `good` (0), `bad` (1) or `skip` (left out of the composite's sum).
    """

    slo_id: str
    weight: Decimal
    span: Span
    fields: FieldSpans = ()
    when_no_data: str = DEFAULT_MEMBER_NO_DATA


@dataclass(frozen=True, slots=True)
class CompositeIndicator:
    """`composite { <slo-id> { weight when_no_data } aggregate }`: an SLO whose error ratio comes from other SLOs'.

    `aggregate`: `sum`, the weighted sum of the members' error ratios over a
    window (capped at 1), or `worst`, the highest weighted member burn rate.
    Members are read from their recorded rules, never their raw series.
    """

    members: tuple[Member, ...]
    span: Span
    fields: FieldSpans = ()
    aggregate: str = "sum"
    kind: str = "composite"


Indicator = RatioIndicator | LatencyIndicator | ExprIndicator | ThresholdIndicator | CompositeIndicator


@dataclass(frozen=True, slots=True)
class Maintenance:
    """`maintenance NAME { from for }` (once) or `{ every at for timezone }` (recurring).

    Events and slices inside it count neither good nor bad, and no burn-rate
    alert fires from them. Once: `start`, Unix seconds. Recurring: `every` is
    `day` or a weekday (`monday` ... `sunday`), `at` the local start in
    seconds after midnight in `timezone`, local clock time kept across DST.
    `duration` (`for`) in seconds, > 0.
    """

    name: str
    duration: int
    span: Span
    fields: FieldSpans = ()
    start: int | None = None
    every: str | None = None
    at: int | None = None
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class Slices:
    """`slices { length target no_data ratio }`: the SLO counts good time slices, not events.

    A slice of `length` seconds is good when its SLI is at least `target`
    (None with `ratio`: then the SLI is the mean of the slices' SLIs).
    `no_data`: what a slice without data counts as (good, bad or skip).
    """

    length: int
    target: Decimal | None
    span: Span
    fields: FieldSpans = ()
    no_data: str = DEFAULT_SLICE_NO_DATA
    ratio: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    """One multi-window burn-rate condition.

    `burn` is always set; `budget` too when the spec gave the condition as a
    share of the budget (then `burn = budget * window / long`).
    `min_failures`: the fewest bad events within `long` that let it fire
    (0: no such guard); `expr` SLOs have no event counts and ignore it.
    """

    severity: str
    burn: Decimal
    budget: Decimal | None
    long: int
    short: int
    for_: int | None
    labels: Labels
    annotations: Labels
    span: Span
    fields: FieldSpans = ()
    min_failures: int = 0


@dataclass(frozen=True, slots=True)
class Alerting:
    """The alerting of one SLO, after inheritance from its service."""

    name: str
    enabled: bool
    no_data: int | None
    conditions: tuple[Condition, ...]
    labels: Labels
    annotations: Labels
    span: Span
    fields: FieldSpans = ()
    # The NoData alert: its name ("": `<name>NoData`), severity (page or
    # ticket) and what it watches: `ratio`, the recorded 5m error ratio, or
    # `total`, the indicator's raw total series (caught before any rule runs).
    no_data_name: str = ""
    no_data_severity: str = "ticket"
    no_data_watch: str = "ratio"
    # The `pages { }` / `tickets { }` labels and annotations of its severity.
    no_data_labels: Labels = ()
    no_data_annotations: Labels = ()


@dataclass(frozen=True, slots=True)
class Slo:
    """One service level objective."""

    name: str
    id: str
    description: str | None
    objective: Decimal
    window: int
    sla: Decimal | None
    group_by: tuple[str, ...]
    indicator: Indicator
    alerting: Alerting
    labels: Labels
    template: str | None
    span: Span
    fields: FieldSpans = ()
    # `window = calendar <period>`: the period (day, week, month, quarter,
    # year), `window` then its nominal length; None for a rolling window.
    calendar: str | None = None
    # The IANA zone calendar periods start in (the SLO's, else its service's).
    timezone: str = DEFAULT_TIMEZONE
    slices: Slices | None = None
    # The maintenance windows that apply: the service's, then the SLO's own.
    maintenance: tuple[Maintenance, ...] = ()

    @property
    def is_composite(self) -> bool:
        return self.indicator.kind == "composite"

    @property
    def error_budget(self) -> Decimal:
        """The share of events allowed to fail: 1 - objective, exactly."""
        return 1 - self.objective


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """`when <metric> <op> <value> [over <duration>] { action notify blocks }`.

    `blocks` names what the rule stops while it applies (`slo gate --action`).
    """

    metric: str
    op: str
    value: Decimal
    over: int | None
    action: str
    notify: tuple[str, ...]
    span: Span
    fields: FieldSpans = ()
    blocks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A named list of error-budget rules."""

    name: str
    description: str | None
    rules: tuple[PolicyRule, ...]
    span: Span
    fields: FieldSpans = ()


@dataclass(frozen=True, slots=True)
class Service:
    """A service and its SLOs."""

    name: str
    description: str | None
    owner: str | None
    oncall: str | None
    tier: str
    runbook: str | None
    dashboard: str | None
    policy: Policy | None
    labels: Labels
    slos: tuple[Slo, ...]
    span: Span
    fields: FieldSpans = ()
    # Where the kubernetes target puts the PrometheusRule, and the labels the
    # Prometheus Operator's ruleSelector matches (`kubernetes { }` blocks).
    kubernetes_namespace: str | None = None
    kubernetes_labels: Labels = ()
    # The service's own `maintenance` blocks (each SLO also carries them).
    maintenance: tuple[Maintenance, ...] = ()

    @property
    def source(self) -> str:
        """The spec file that defines this service, as the user named it."""
        return self.span.file


@dataclass(frozen=True, slots=True)
class Program:
    """Every service of a run, in a stable order (by name)."""

    services: tuple[Service, ...]

    def slo(self, slo_id: str) -> Slo | None:
        """The SLO with this id (`<service>-<slo>`), or None."""
        for service in self.services:
            for slo in service.slos:
                if slo.id == slo_id:
                    return slo
        return None
