"""Lowering `alerting { ... }` blocks, and merging a service's alerting into each SLO's.

Conditions given at SLO level replace the inherited ones; `name`, `enabled`,
`no_data`, `labels` and `annotations` merge, the SLO's winning. With no
conditions anywhere, the SRE Workbook defaults apply, scaled to the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import ir
from . import syntax as st
from .conventions import alert_name_default
from .sremath import DEFAULT_NO_DATA, burn_from_budget
from .sremath import default_conditions as sremath_defaults
from .units import UNIT_MS, format_duration_ms
from .values import STRING_KINDS, Diagnostics, Reader, Scope, lower_labels, unknown_block

ALERTING_ATTRIBUTES = {"name": STRING_KINDS, "enabled": ("bool",), "no_data": ("duration", "bool")}
CONDITION_ATTRIBUTES = {"long": ("duration",), "short": ("duration",), "for": ("duration",), "burn": ("number",), "budget": ("percent",)}
ALERTING_BLOCKS = ("page", "ticket", "labels", "annotations")
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
    span: ir.Span
    fields: tuple


@dataclass(frozen=True)
class AlertingSpec:
    """One `alerting` block; None means not set here (inherit)."""

    name: str | None = None
    enabled: bool | None = None
    no_data: int | None | bool = None  # seconds; False: switched off; None: inherit
    conditions: tuple[ConditionSpec, ...] = ()
    labels: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    span: ir.Span | None = None
    fields: tuple = ()


def lower_alerting(block: st.Block, scope: Scope, diags: Diagnostics) -> AlertingSpec:
    attrs = Reader("alerting", block.items, ALERTING_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(block.items, scope, diags)
    annotations, annotation_fields = lower_labels(block.items, scope, diags, "annotations")
    conditions = []
    for item in block.items:
        if not isinstance(item, st.Block) or item.kind in ("labels", "annotations"):
            continue
        if item.kind in ("page", "ticket"):
            condition = lower_condition(item, scope, diags)
            if condition:
                conditions.append(condition)
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
    return AlertingSpec(
        name=attrs.string("name"),
        enabled=bool(enabled.value) if enabled else None,
        no_data=no_data,
        conditions=tuple(conditions),
        labels=labels,
        annotations=annotations,
        span=block.span,
        fields=attrs.fields() + label_fields + annotation_fields,
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
    )


def resolve_alerting(service: AlertingSpec, slo: AlertingSpec, service_name: str, slo_name: str,
                     span: ir.Span, window: int, diags: Diagnostics) -> ir.Alerting:
    """The alerting of one SLO: the SLO's settings over the service's over the defaults."""
    specs = slo.conditions or service.conditions
    conditions = tuple(_condition(spec, window) for spec in specs) or default_conditions(window, span)
    no_data = slo.no_data if slo.no_data is not None else service.no_data
    if no_data is None:
        no_data = DEFAULT_NO_DATA
    enabled = slo.enabled if slo.enabled is not None else service.enabled
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
    )


def default_conditions(window: int, span: ir.Span) -> tuple[ir.Condition, ...]:
    """The SRE Workbook's three conditions, scaled to the window as `sremath.default_conditions` says.

    They carry no `budget`: outside 28d-30d the share of the budget they spend
    is not the Workbook's, and the outputs compute it from the burn rate.
    """
    return tuple(
        ir.Condition(severity, burn, None, long, short, None, (), (), span)
        for severity, burn, long, short in sremath_defaults(window)
    )


def _condition(spec: ConditionSpec, window: int) -> ir.Condition:
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
    )
