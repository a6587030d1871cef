"""Lowering `alerting { ... }` blocks, and merging a service's alerting into each SLO's.

Conditions given at SLO level replace the inherited ones; `name`, `enabled`,
`no_data`, `labels`, `annotations`, `pages`/`tickets` and `no_data { }` merge,
the SLO's winning. A block with `use = NAME` builds on a named top-level
`alerting NAME { }` block the same way (lower.py resolves the name). With no
conditions anywhere, the SRE Workbook defaults apply, scaled to the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..core import ir
from ..core.conventions import CRITICAL_TIER, DEFAULT_TIER, LOW_TIER, alert_name_default
from ..core.errors import Diagnostics, Span
from ..core.sremath import CRITICAL_NO_DATA, DEFAULT_NO_DATA, burn_from_budget, default_min_failures, slice_windows
from ..core.sremath import default_conditions as sremath_defaults
from ..core.units import UNIT_MS, format_duration_ms
from . import syntax as st
from .values import STRING_KINDS, Reader, Scope, lower_labels, unknown_block

ALERTING_ATTRIBUTES = {"name": STRING_KINDS, "enabled": ("bool",), "no_data": ("duration", "bool"), "use": ("name",),
                       "min_failures": ("number",)}
NO_DATA_ATTRIBUTES = {"for": ("duration",), "name": STRING_KINDS, "severity": ("name",) + STRING_KINDS, "watch": ("name",)}
NO_DATA_WATCH = ("ratio", "total", "both")
SEVERITIES = ("page", "ticket")
# `pages { }` and `tickets { }`: labels and annotations for every condition of that severity.
SEVERITY_BLOCKS = {"pages": "page", "tickets": "ticket"}
CONDITION_ATTRIBUTES = {"long": ("duration",), "short": ("duration",), "for": ("duration",), "burn": ("number",), "budget": ("percent",),
                        "min_failures": ("number",)}
ALERTING_BLOCKS = ("page", "ticket", "pages", "tickets", "no_data", "labels", "annotations")
MINUTE_MS = UNIT_MS["m"]


@dataclass(frozen=True)
class ConditionSpec:
    """A condition as written: its burn is known only once the SLO window is."""

    severity: str
    burn: Decimal | None
    budget: Decimal | None
    long_ms: int
    short_ms: int | None
    for_ms: int | None
    labels: tuple
    annotations: tuple
    span: Span
    fields: tuple
    min_failures: int | None = None  # None: the alerting block's, else the severity's default


@dataclass(frozen=True)
class AlertingSpec:
    """One `alerting` block; None means not set here (inherit)."""

    name: str | None = None
    enabled: bool | None = None
    no_data: int | None | bool = None  # seconds; False: switched off; None: inherit
    conditions: tuple[ConditionSpec, ...] = ()
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    span: Span | None = None
    fields: tuple = ()
    use: str | None = None  # a named top-level alerting block this one builds on
    use_span: Span | None = None
    severity_labels: dict = field(default_factory=dict)  # {"page": {label: value}, ...}
    severity_annotations: dict = field(default_factory=dict)
    no_data_name: str | None = None
    no_data_severity: str | None = None
    no_data_watch: str | None = None
    min_failures: int | None = None


def lower_alerting(block: st.Block, scope: Scope, diags: Diagnostics) -> AlertingSpec:
    attrs = Reader("alerting", block.items, ALERTING_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(block.items, scope, diags)
    annotations, annotation_fields = lower_labels(block.items, scope, diags, "annotations")
    conditions = []
    severity_labels: dict = {}
    severity_annotations: dict = {}
    severity_fields: tuple = ()
    no_data_block: st.Block | None = None
    for item in block.items:
        if not isinstance(item, st.Block) or item.kind in ("labels", "annotations"):
            continue
        if item.kind in ("page", "ticket"):
            condition = lower_condition(item, scope, diags)
            if condition:
                conditions.append(condition)
        elif item.kind == "stray" and item.name in SEVERITY_BLOCKS:
            severity = SEVERITY_BLOCKS[item.name]
            if severity in severity_labels:
                diags.error(item.span, f"{item.name} is given twice in this alerting block")
            _only_labels(item, diags)
            severity_labels[severity], found = lower_labels(item.items, scope, diags)
            severity_annotations[severity], found_annotations = lower_labels(item.items, scope, diags, "annotations")
            severity_fields += tuple((f"{item.name}.{name}", span) for name, span in found + found_annotations)
        elif item.kind == "stray" and item.name == "no_data":
            if no_data_block is not None:
                diags.error(item.span, "no_data is given twice in this alerting block")
            no_data_block = item
        else:
            unknown_block(item, "alerting", ALERTING_BLOCKS, diags)
    enabled = attrs.value("enabled")
    no_data_value = attrs.value("no_data")
    no_data: int | bool | None = None
    if no_data_value is not None:
        if no_data_value.kind == "bool":
            if no_data_value.value:
                diags.error(no_data_value.span, "no_data takes a duration (like 15m) or false")
            no_data = False
        else:
            no_data = whole_minutes(no_data_value, "no_data", diags)
    settings = NoDataSettings()
    if no_data_block is not None:
        if no_data_value is not None:
            diags.error(no_data_block.span, "set no_data either as a value or as a block, not both")
        settings = lower_no_data(no_data_block, scope, diags)
        if settings.for_ is not None:
            no_data = settings.for_
    use = attrs.value("use")
    min_failures = attrs.value("min_failures")
    return AlertingSpec(
        name=attrs.string("name"),
        enabled=bool(enabled.value) if enabled else None,
        no_data=no_data,
        conditions=tuple(conditions),
        labels=labels,
        annotations=annotations,
        span=block.span,
        fields=attrs.fields() + label_fields + annotation_fields + severity_fields + settings.fields,
        use=str(use.value) if use else None,
        use_span=use.span if use else None,
        severity_labels=severity_labels,
        severity_annotations=severity_annotations,
        no_data_name=settings.name,
        no_data_severity=settings.severity,
        no_data_watch=settings.watch,
        min_failures=whole_count(min_failures, diags) if min_failures else None,
    )


def whole_count(value: st.Value, diags: Diagnostics) -> int | None:
    """`min_failures`: a whole number of events, 0 or more (the grammar has no negative numbers)."""
    number = Decimal(value.value)  # type: ignore[arg-type]
    if number != number.to_integral_value():
        diags.error(value.span, f"min_failures is a whole number of failed events (0 turns it off), not {value.text}")
        return None
    return int(number)


@dataclass(frozen=True)
class NoDataSettings:
    """What a `no_data { }` block sets; None: inherited or the default."""

    for_: int | None = None
    name: str | None = None
    severity: str | None = None
    watch: str | None = None
    fields: tuple = ()


def lower_no_data(block: st.Block, scope: Scope, diags: Diagnostics) -> NoDataSettings:
    """`no_data { for name severity watch }`: the NoData alert's settings."""
    attrs = Reader("no_data", block.items, NO_DATA_ATTRIBUTES, scope, diags)
    for item in block.items:
        if isinstance(item, st.Block):
            word = item.name if item.kind == "stray" else item.kind
            diags.error(item.span, f'no_data has no "{word}" block; its labels and annotations are those of '
                                   "pages { } or tickets { }, by its severity")
    for_value = attrs.value("for")
    severity = attrs.value("severity")
    if severity is not None and str(severity.value) not in SEVERITIES:
        diags.error(severity.span, f'no_data severity is "page" or "ticket", not "{severity.value}"',
                    hint='another severity label goes in pages { labels { severity = "..." } } or tickets { ... }')
        severity = None
    watch = attrs.value("watch")
    if watch is not None and str(watch.value) not in NO_DATA_WATCH:
        diags.error(watch.span, f'no_data watch is ratio (the recorded 5m error ratio), total '
                                f'(the indicator\'s raw total series) or both, not {watch.value}')
        watch = None
    fields = tuple((f"no_data.{name}", span) for name, span in attrs.fields())
    return NoDataSettings(
        for_=whole_minutes(for_value, "no_data for", diags) if for_value else None,
        name=attrs.string("name"),
        severity=str(severity.value) if severity else None,
        watch=str(watch.value) if watch else None,
        fields=fields,
    )


def _only_labels(block: st.Block, diags: Diagnostics) -> None:
    """`pages { }` and `tickets { }` hold labels and annotations, nothing else."""
    for item in block.items:
        if isinstance(item, st.Attribute):
            diags.error(item.span, f'{block.name} holds only labels {{ }} and annotations {{ }}, not "{item.name}"')
        elif isinstance(item, st.Block) and item.kind not in ("labels", "annotations"):
            unknown_block(item, str(block.name), ("labels", "annotations"), diags)


def merge_alerting(base: AlertingSpec, local: AlertingSpec) -> AlertingSpec:
    """A block over the named block it uses: conditions replace, everything else merges, local winning."""

    def pick(name: str):
        mine = getattr(local, name)
        return mine if mine is not None else getattr(base, name)

    def nested(name: str) -> dict:
        merged = {sev: dict(values) for sev, values in getattr(base, name).items()}
        for sev, values in getattr(local, name).items():
            merged[sev] = {**merged.get(sev, {}), **values}
        return merged

    return AlertingSpec(
        name=pick("name"),
        enabled=pick("enabled"),
        no_data=pick("no_data"),
        conditions=local.conditions or base.conditions,
        labels={**base.labels, **local.labels},
        annotations={**base.annotations, **local.annotations},
        span=local.span or base.span,
        fields=tuple({**dict(base.fields), **dict(local.fields)}.items()),
        use=None,
        severity_labels=nested("severity_labels"),
        severity_annotations=nested("severity_annotations"),
        no_data_name=pick("no_data_name"),
        no_data_severity=pick("no_data_severity"),
        no_data_watch=pick("no_data_watch"),
        min_failures=pick("min_failures"),
    )


def whole_minutes(value: st.Value, name: str, diags: Diagnostics) -> int | None:
    """Seconds of a duration that must be whole minutes (rule names have no seconds)."""
    ms = int(value.value)  # type: ignore[arg-type]
    if ms <= 0 or ms % MINUTE_MS:
        diags.error(value.span, f"{name} must be a whole number of minutes, not {value.text}")
        return None
    return ms // 1000


def whole_seconds(value: st.Value, name: str, diags: Diagnostics) -> int | None:
    """Milliseconds of a duration that must be whole seconds (Prometheus would round it)."""
    ms = int(value.value)  # type: ignore[arg-type]
    if ms % 1000:
        diags.error(value.span, f"{name} must be a whole number of seconds, not {value.text}")
        return None
    return ms


def lower_condition(block: st.Block, scope: Scope, diags: Diagnostics) -> ConditionSpec | None:
    what = f"{block.kind} condition"
    attrs = Reader(what, block.items, CONDITION_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(block.items, scope, diags)
    annotations, annotation_fields = lower_labels(block.items, scope, diags, "annotations")
    for item in block.items:
        if isinstance(item, st.Block) and item.kind not in ("labels", "annotations"):
            unknown_block(item, what, ("labels", "annotations"), diags)
    count = diags.error_count()
    if attrs.has("burn") == attrs.has("budget"):
        diags.error(block.span, f'{what} needs exactly one of "burn" or "budget"')
    if not attrs.has("long"):
        diags.error(block.span, f'{what} needs "long", the long window (like 1h)')
    long_value, short_value, for_value = attrs.value("long"), attrs.value("short"), attrs.value("for")
    burn, budget = attrs.value("burn"), attrs.value("budget")
    min_failures = attrs.value("min_failures")
    failures = whole_count(min_failures, diags) if min_failures else None
    long_s = whole_minutes(long_value, "long", diags) if long_value else None
    short_ms = None
    if short_value is not None:
        short_ms = (whole_minutes(short_value, "short", diags) or 0) * 1000
    elif long_s is not None and (long_s * 1000 // 12) % MINUTE_MS:
        diags.error(long_value.span, f"short defaults to long / 12 = {format_duration_ms(long_s * 1000 // 12)}, "
                                     "not a whole number of minutes; set short")
    if burn is not None and Decimal(burn.value) <= 0:
        diags.error(burn.span, "burn must be greater than 0")
    if budget is not None and not (0 < Decimal(budget.value) <= 100):
        diags.error(budget.span, "budget must be more than 0% and at most 100%")
    if diags.error_count() > count or long_s is None:
        return None
    return ConditionSpec(
        severity=block.kind,
        burn=Decimal(burn.value) if burn else None,
        budget=Decimal(budget.value) / 100 if budget else None,
        long_ms=long_s * 1000,
        short_ms=short_ms,
        for_ms=whole_seconds(for_value, "for", diags) if for_value else None,
        labels=tuple(labels.items()),
        annotations=tuple(annotations.items()),
        span=block.span,
        fields=attrs.fields() + label_fields + annotation_fields,
        min_failures=failures,
    )


def resolve_alerting(service: AlertingSpec, slo: AlertingSpec, service_name: str, slo_name: str,
                     span: Span, window: int, diags: Diagnostics, tier: str = DEFAULT_TIER,
                     slice_length: int | None = None) -> ir.Alerting:
    """The alerting of one SLO: the SLO's settings over the service's over the defaults (LANGUAGE.md, "On-call defaults")."""
    specs = slo.conditions or service.conditions
    merged = merge_alerting(service, slo)
    written = tuple(_condition(spec, window, merged.min_failures) for spec in specs)
    defaults = tuple(_with_min_failures(k, merged.min_failures) for k in default_conditions(window, span, tier, slice_length))
    conditions = tuple(_with_severity_settings(condition, merged) for condition in written or defaults)
    no_data = slo.no_data if slo.no_data is not None else service.no_data
    if no_data is None:
        no_data = tier_no_data(tier)
    enabled = slo.enabled if slo.enabled is not None else service.enabled
    no_data_severity = merged.no_data_severity or tier_no_data_severity(tier)
    fields = {**dict(service.fields), **dict(slo.fields)}
    return ir.Alerting(
        name=slo.name or service.name or alert_name_default(service_name, slo_name),
        enabled=True if enabled is None else enabled,
        no_data=None if no_data is False else int(no_data),
        conditions=conditions,
        labels=tuple({**service.labels, **slo.labels}.items()),
        annotations=tuple({**service.annotations, **slo.annotations}.items()),
        span=slo.span or service.span or span,
        fields=tuple(fields.items()),
        no_data_name=merged.no_data_name or "",  # "": the backends write `<name>NoData`
        no_data_severity=no_data_severity,
        no_data_watch=merged.no_data_watch or tier_no_data_watch(tier),
        no_data_labels=tuple(merged.severity_labels.get(no_data_severity, {}).items()),
        no_data_annotations=tuple(merged.severity_annotations.get(no_data_severity, {}).items()),
    )


def _with_severity_settings(condition: ir.Condition, alerting: AlertingSpec) -> ir.Condition:
    """A condition with its severity's `pages { }` / `tickets { }` labels and annotations under its own."""
    labels = alerting.severity_labels.get(condition.severity, {})
    annotations = alerting.severity_annotations.get(condition.severity, {})
    if not labels and not annotations:
        return condition
    return replace(
        condition,
        labels=tuple({**labels, **dict(condition.labels)}.items()),
        annotations=tuple({**annotations, **dict(condition.annotations)}.items()),
    )


def default_conditions(window: int, span: Span, tier: str = DEFAULT_TIER,
                       slice_length: int | None = None) -> tuple[ir.Condition, ...]:
    """The SRE Workbook's three conditions, scaled to the window as `sremath.default_conditions` says.

    They carry no `budget`: outside 28d-30d the share of the budget they spend
    is not the Workbook's, and the outputs compute it from the burn rate.
    With `tier = low` the pages are tickets: nobody is woken for a low-tier service.
    A slice SLO's windows hold at least two slices (`sremath.slice_windows`).
    """
    def widened(long: int, short: int) -> tuple[int, int]:
        return (long, short) if slice_length is None else slice_windows(long, short, slice_length)

    return tuple(
        ir.Condition(tier_severity(severity, tier), burn, None, *widened(long, short), None, (), (), span)
        for severity, burn, long, short in sremath_defaults(window)
    )


def tier_severity(severity: str, tier: str) -> str:
    """A default condition's severity for a tier: a low tier's pages are tickets."""
    return "ticket" if tier == LOW_TIER else severity


def tier_no_data_severity(tier: str) -> str:
    """The default NoData alert's severity: a page for a critical service (down is an outage), else a ticket."""
    return "page" if tier == CRITICAL_TIER else "ticket"


def tier_no_data(tier: str) -> int:
    """The default NoData alert's `for`: 5m for a critical service, else 15m."""
    return CRITICAL_NO_DATA if tier == CRITICAL_TIER else DEFAULT_NO_DATA


def tier_no_data_watch(tier: str) -> str:
    """What the default NoData alert watches: a critical service's raw total too (the process is down), else the ratio."""
    return "both" if tier == CRITICAL_TIER else "ratio"


def _with_min_failures(condition: ir.Condition, alerting_value: int | None) -> ir.Condition:
    value = alerting_value if alerting_value is not None else default_min_failures(condition.severity)
    return replace(condition, min_failures=value)


def _condition(spec: ConditionSpec, window: int, alerting_min_failures: int | None = None) -> ir.Condition:
    long = spec.long_ms // 1000
    short = spec.short_ms // 1000 if spec.short_ms is not None else long // 12
    burn = spec.burn if spec.budget is None else burn_from_budget(spec.budget, window, long)
    return ir.Condition(
        severity=spec.severity,
        burn=burn,
        budget=spec.budget,
        long=long,
        short=short,
        for_=spec.for_ms // 1000 if spec.for_ms is not None else None,
        labels=spec.labels,
        annotations=spec.annotations,
        span=spec.span,
        fields=spec.fields,
        min_failures=next(v for v in (spec.min_failures, alerting_min_failures, default_min_failures(spec.severity))
                          if v is not None),
    )
