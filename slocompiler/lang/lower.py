"""Pass 2: syntax trees to the IR: imports, templates, defaults, units, inheritance.

Shape errors (unknown or repeated attributes, wrong value kinds, missing
required attributes, unknown templates and policies, bad PromQL) are found
here, where the syntax is at hand; rules about the meaning of a complete IR
live in `check.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..core import ir
from ..core.conventions import DEFAULT_TIER
from ..core.errors import Diagnostics, Span, did_you_mean
from ..core.sremath import DEFAULT_TIMEZONE, DEFAULT_WINDOW
from . import syntax as st
from .alerting import AlertingSpec, lower_alerting, merge_alerting, resolve_alerting, whole_minutes
from .composites import lower_composite
from .composites import resolve as resolve_composites
from .indicators import lower_indicator
from .maintenance import lower_maintenances, maintenance_blocks
from .modules import Module
from .values import STRING_KINDS, Reader, Scope, lower_labels, resolve, unknown_block
from .windows import lower_slices, lower_timezone, lower_window

S = STRING_KINDS
SERVICE_ATTRIBUTES = {
    "description": S, "owner": S, "oncall": S, "tier": ("name",) + S,
    "runbook": S, "dashboard": S, "policy": ("name",), "timezone": S,
}
SLO_ATTRIBUTES = {"description": S, "objective": ("percent",), "window": ("duration", "calendar"), "sla": ("percent",),
                  "group_by": ("list",), "timezone": S}
POLICY_ATTRIBUTES = {"description": S}
RULE_ATTRIBUTES = {"action": S, "notify": ("list",), "blocks": ("list",)}
POLICY_METRICS = ("budget_remaining", "burn_rate")
SERVICE_BLOCKS = ("labels", "alerting", "slo", "kubernetes", "maintenance")
KUBERNETES_ATTRIBUTES = {"namespace": S}
SLO_BLOCKS = ("labels", "alerting", "indicator", "composite", "slices", "maintenance")


@dataclass(frozen=True)
class SloSource:
    """An SLO body to lower: from an `slo` block, or a template expanded with its arguments."""

    name: str
    span: Span
    items: tuple
    scope: Scope
    template: str | None = None
    home: Module | None = None  # the file whose named alerting blocks `use` sees (a template's own)


@dataclass(frozen=True)
class Inherited:
    """What every SLO of a service inherits from it."""

    service: str
    labels: dict[str, str]
    label_fields: tuple
    alerting: AlertingSpec
    run: Lowering | None = None
    module: Module | None = None
    tier: str = DEFAULT_TIER
    timezone: str = DEFAULT_TIMEZONE
    maintenance: tuple[ir.Maintenance, ...] = ()


@dataclass
class Lowering:
    """State of one lowering run: modules by path, and policies lowered once each."""

    modules: dict[str, Module]
    diags: Diagnostics = field(default_factory=Diagnostics)
    policies: dict[tuple[str, str], ir.Policy | None] = field(default_factory=dict)
    alertings: dict[tuple[str, str], AlertingSpec] = field(default_factory=dict)
    kubernetes: dict[str, tuple[str | None, dict[str, str]]] = field(default_factory=dict)


def lower(modules: dict[str, Module], inputs: list[str], diags: Diagnostics) -> ir.Program:
    """The IR of every service in the input files (imported-only files give none)."""
    run = Lowering(modules, diags)
    services = []
    written: set[str] = set()
    for path in inputs:
        module = modules.get(path)
        if module is None or module.source is None:
            continue
        for item in module.source.items:
            if isinstance(item, st.Block) and item.kind == "service":
                services.append(lower_service(run, module, item))
                written.update(f"{item.name}-{slo.name}" for slo in item.items
                               if isinstance(slo, st.SloCall) or (isinstance(slo, st.Block) and slo.kind == "slo"))
        check_definitions(run, module)
    return resolve_composites(ir.Program(tuple(sorted(services, key=lambda s: (s.name, s.span)))), written, diags)


def check_definitions(run: Lowering, module: Module) -> None:
    """A file's own named alerting blocks and `kubernetes { }`, checked even when nothing uses them."""
    for name, definition in module.alertings.items():
        if definition.path == module.path:
            use_alerting(run, module, AlertingSpec(use=name, use_span=definition.node.span))
    if module.kubernetes is not None and module.kubernetes.path == module.path:
        kubernetes_defaults(run, module)


def lower_service(run: Lowering, module: Module, block: st.Block) -> ir.Service:
    diags = run.diags
    what = f"service {block.name}"
    scope = Scope()
    attrs = Reader(what, block.items, SERVICE_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(block.items, scope, diags)
    alerting = AlertingSpec()
    slos = []
    kubernetes: tuple[str | None, dict[str, str]] = (None, {})
    kubernetes_fields: tuple = ()
    for item in block.items:
        if isinstance(item, st.Block):
            if item.kind == "alerting":
                alerting = use_alerting(run, module, lower_alerting(item, scope, diags))
            elif item.kind == "stray" and item.name == "kubernetes":
                namespace, k8s_labels, kubernetes_fields = lower_kubernetes(item, diags)
                kubernetes = (namespace, k8s_labels)
            elif item.kind == "slo":
                slos.append(SloSource(item.name, item.span, item.items, Scope()))
            elif item.kind not in ("labels", "named"):
                unknown_block(item, what, SERVICE_BLOCKS, diags)
        elif isinstance(item, st.SloCall):
            found = module.templates.get(item.template)
            expanded = expand_call(module, item, diags, run.modules.get(found.path) if found else None)
            if expanded:
                slos.append(expanded)
    # Warnings judge what was written: an SLO that failed to lower still counts.
    if not attrs.has("owner"):
        diags.warning(block.name_span or block.span,
                      f'service "{block.name}" has no owner; set owner = "team-..." so alerts reach someone')
    if not any(isinstance(i, st.SloCall) or (isinstance(i, st.Block) and i.kind == "slo") for i in block.items):
        diags.warning(block.name_span or block.span, f'service "{block.name}" has no SLOs')
    tier_value = attrs.value("tier")
    tier = str(tier_value.value) if tier_value else DEFAULT_TIER
    policy = None
    policy_value = attrs.value("policy")
    if policy_value is not None:
        policy = find_policy(run, module, policy_value)
    namespace, k8s_labels = kubernetes_defaults(run, module)
    namespace = kubernetes[0] or namespace
    k8s_labels = {**k8s_labels, **kubernetes[1]}
    timezone = lower_timezone(attrs, diags)
    maintenance = lower_maintenances(maintenance_blocks(block.items, what, diags), timezone or DEFAULT_TIMEZONE, what,
                                     scope, diags)
    inherited = Inherited(block.name, labels, label_fields, alerting, run, module, tier, timezone or DEFAULT_TIMEZONE,
                          maintenance)
    lowered = tuple(slo for source in slos if (slo := lower_slo(source, inherited, diags)))
    zoned = any(slo.calendar or slo.maintenance for slo in lowered)
    if timezone is not None and lowered and not zoned:
        diags.warning(attrs.span("timezone", block.span), f"timezone has no effect: no SLO of service {block.name} "
                                                          "has a calendar window (window = calendar month ...) "
                                                          "or a maintenance window")
    return ir.Service(
        name=block.name,
        description=attrs.string("description"),
        owner=attrs.string("owner"),
        oncall=attrs.string("oncall"),
        tier=tier,
        runbook=attrs.string("runbook"),
        dashboard=attrs.string("dashboard"),
        policy=policy,
        labels=tuple(labels.items()),
        slos=lowered,
        span=block.name_span or block.span,
        fields=attrs.fields() + label_fields + kubernetes_fields,
        kubernetes_namespace=namespace,
        kubernetes_labels=tuple(sorted(k8s_labels.items())),
        maintenance=maintenance,
    )


def lower_kubernetes(block: st.Block, diags: Diagnostics) -> tuple[str | None, dict[str, str], tuple]:
    """`kubernetes { namespace labels { } }`: where the PrometheusRule goes and what selects it."""
    scope = Scope()
    attrs = Reader("kubernetes", block.items, KUBERNETES_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(block.items, scope, diags)
    for item in block.items:
        if isinstance(item, st.Block) and item.kind != "labels":
            unknown_block(item, "kubernetes", ("labels",), diags)
    fields = tuple((f"kubernetes_{name}", span) for name, span in attrs.fields() + label_fields)
    return attrs.string("namespace"), labels, fields


def kubernetes_defaults(run: Lowering, module: Module) -> tuple[str | None, dict[str, str]]:
    """The top-level `kubernetes { }` a file has or imports, lowered once per defining file."""
    found = module.kubernetes
    if found is None:
        return None, {}
    if found.path not in run.kubernetes:
        namespace, labels, _ = lower_kubernetes(found.node, run.diags)
        run.kubernetes[found.path] = (namespace, labels)
    return run.kubernetes[found.path]


def use_alerting(run: Lowering | None, module: Module | None, spec: AlertingSpec) -> AlertingSpec:
    """An alerting block over the named block its `use` names (none: the block as it is)."""
    if spec.use is None or run is None or module is None:
        return spec
    found = module.alertings.get(spec.use)
    if found is None:
        assert spec.use_span is not None
        run.diags.error(spec.use_span, f'unknown alerting block "{spec.use}"{did_you_mean(spec.use, module.alertings)}')
        return spec
    key = (found.path, spec.use)
    if key not in run.alertings:
        base = lower_alerting(found.node, Scope(), run.diags)
        if base.use is not None:
            assert base.use_span is not None
            run.diags.error(base.use_span, f'a named alerting block cannot use another ("{base.use}"); '
                                           "write its conditions here, or use it directly")
        run.alertings[key] = base
    return merge_alerting(run.alertings[key], spec)


def lower_slo(source: SloSource, inherited: Inherited, diags: Diagnostics) -> ir.Slo | None:
    """One SLO from a block or an expanded template body; None after an error."""
    name, span, items, scope = source.name, source.span, source.items, source.scope
    what = f"slo {name}"
    attrs = Reader(what, items, SLO_ATTRIBUTES, scope, diags)
    labels, label_fields = lower_labels(items, scope, diags)
    time_base = lower_window(attrs, diags)
    window, calendar = time_base or (DEFAULT_WINDOW, None)
    timezone = lower_timezone(attrs, diags)
    slices: ir.Slices | None = None
    slices_seen = False
    slices_span = span
    composite_seen = False
    objective_value = attrs.value("objective")
    if objective_value is None and not attrs.has("objective"):
        diags.error(span, f"{what} has no objective; add one, e.g. objective = 99.9%")
    objective = Decimal(objective_value.value) / 100 if objective_value else Decimal("0.99")
    sla_value = attrs.value("sla")
    indicator = None
    alerting = AlertingSpec()
    for item in items:
        if not isinstance(item, st.Block):
            continue
        if item.kind == "indicator" or (item.kind == "stray" and item.name == "composite"):
            if indicator is not None:
                if item.kind == "indicator" and not composite_seen:
                    diags.error(item.span, f"{what} has a second indicator; an SLO has exactly one")
                else:
                    diags.error(item.span, f"{what} has an indicator and a composite; a composite's error ratio "
                                           "comes from its members, so it has no indicator of its own")
                continue
            composite_seen = composite_seen or item.kind != "indicator"
            if item.kind == "indicator":
                indicator = lower_indicator(item, scope, window, diags) or False
            else:
                indicator = lower_composite(item, scope, diags) or False
        elif item.kind == "stray" and item.name == "slices":
            if slices_seen:
                diags.error(item.span, f"{what} has a second slices block; an SLO has one")
                continue
            slices_seen = True
            slices_span = item.span
            slices = lower_slices(item, scope, diags)
        elif item.kind == "alerting":
            alerting = use_alerting(inherited.run, source.home or inherited.module, lower_alerting(item, scope, diags))
        elif item.kind == "stray" and item.name == "kubernetes":
            diags.error(item.span, "kubernetes { } belongs to the service (or the top of a file), not to an SLO: "
                                   "all of a service's rules are one PrometheusRule")
        elif item.kind not in ("labels", "named"):
            unknown_block(item, what, SLO_BLOCKS, diags)
    if indicator is None:
        diags.error(span, f"{what} has no indicator; add indicator ratio {{...}}, latency {{...}}, expr {{...}} "
                          "or threshold {...}, or make it a composite {...} of other SLOs")
    own_zone = timezone or inherited.timezone
    maintenance = lower_maintenances(maintenance_blocks(items, what, diags), own_zone, what, scope, diags)
    if indicator and indicator.kind == "composite":
        if slices_seen:
            slices = None
            diags.error(slices_span, f"{what} is a composite: its slices come from its members "
                                     "(all members with slices of one length make a composite of "
                                     "slices); remove this slices block")
        if attrs.has("group_by"):
            diags.error(attrs.span("group_by", span), f"{what} is a composite: it has one error ratio, "
                                              "so no group_by (a grouped member counts over all its groups)")
    if not indicator or objective_value is None:
        return None
    merged_labels = {**inherited.labels, **labels}
    group_by = lower_group_by(attrs, scope, diags)
    merged = resolve_alerting(inherited.alerting, alerting, inherited.service, name, span, window, diags, inherited.tier,
                              slices.length if slices else None)
    if indicator.kind in ("expr", "composite") and merged.no_data_watch == "both" and not any(
            field == "no_data.watch" for field, _ in merged.fields):
        # A critical tier's default also watches the total series; an expr indicator or a composite has none.
        merged = replace(merged, no_data_watch="ratio")
    return ir.Slo(
        name=name,
        id=f"{inherited.service}-{name}",
        description=attrs.string("description"),
        objective=objective,
        window=window,
        sla=Decimal(sla_value.value) / 100 if sla_value else None,
        group_by=tuple(name for name, _ in group_by),
        indicator=indicator,
        alerting=merged,
        labels=tuple(merged_labels.items()),
        template=source.template,
        span=span,
        calendar=calendar,
        timezone=timezone or inherited.timezone,
        slices=slices,
        maintenance=inherited.maintenance + maintenance,
        # The SLO's own first: it wins. `group_by.<label>` locates each entry.
        fields=attrs.fields() + tuple((f"group_by.{name}", span) for name, span in group_by)
        + label_fields + inherited.label_fields,
    )


def lower_group_by(attrs: Reader, scope: Scope, diags: Diagnostics) -> tuple[tuple[str, Span], ...]:
    """The group_by label names, each with where it was written."""
    value = attrs.value("group_by")
    if value is None:
        return ()
    names = []
    for item in value.value:  # type: ignore[union-attr]
        item = resolve(item, scope, diags)
        if item is None:
            continue
        if item.kind == "bool":  # a bare `true` is the label named so, as any keyword is a label name
            names.append((item.text, item.span))
            continue
        if item.kind not in STRING_KINDS + ("name",):
            diags.error(item.span, f"group_by takes label names, not {item.kind}")
            continue
        names.append((str(item.value), item.span))
    return tuple(names)


def expand_call(module: Module, call: st.SloCall, diags: Diagnostics, home: Module | None = None) -> SloSource | None:
    """`slo x = tpl(args)`: the template's body with the arguments in scope; None after an error."""
    found = module.templates.get(call.template)
    if found is None:
        diags.error(call.template_span, f'unknown template "{call.template}"{did_you_mean(call.template, module.templates)}')
        return None
    template = found.node
    params = {p.name: p for p in template.params}
    signature = ", ".join(p.name + (f" = {p.default.text}" if p.default else "") for p in template.params)
    env: dict[str, st.Value] = {}
    rejected = False
    for arg in call.args:
        if arg.name not in params:
            guess = did_you_mean(arg.name, params).removeprefix("; ")
            diags.error(arg.span, f'template {template.name} has no parameter "{arg.name}"'
                        f'{" (" + guess + ")" if guess else ""}; its parameters are ({signature})')
        elif arg.name in env:
            diags.error(arg.span, f'argument "{arg.name}" is given twice')
        elif arg.value.kind == "param":
            diags.error(arg.value.span, "a template argument cannot be a parameter reference")
        else:
            env[arg.name] = arg.value
            continue
        rejected = True
    missing = [p.name for p in template.params if p.name not in env and p.default is None]
    if missing:
        names = ", ".join(f'"{m}"' for m in missing)
        diags.error(call.template_span, f"template {template.name} needs {names}; its parameters are ({signature})")
        return None
    if rejected:
        return None
    for param in template.params:
        env.setdefault(param.name, param.default)
    return SloSource(call.name, call.span, template.items, Scope(env, template.name), template.name, home)


def find_policy(run: Lowering, module: Module, value: st.Value) -> ir.Policy | None:
    name = str(value.value)
    found = module.policies.get(name)
    if found is None:
        run.diags.error(value.span, f'unknown policy "{name}"{did_you_mean(name, module.policies)}')
        return None
    key = (found.path, name)
    if key not in run.policies:
        run.policies[key] = lower_policy(found.node, run.diags)
    return run.policies[key]


def lower_policy(block: st.Block, diags: Diagnostics) -> ir.Policy:
    what = f"policy {block.name}"
    scope = Scope()
    attrs = Reader(what, block.items, POLICY_ATTRIBUTES, scope, diags)
    rules = tuple(rule for item in block.items if isinstance(item, st.Rule) if (rule := lower_rule(item, scope, diags)))
    return ir.Policy(block.name, attrs.string("description"), rules, block.name_span or block.span, attrs.fields())


def lower_rule(rule: st.Rule, scope: Scope, diags: Diagnostics) -> ir.PolicyRule | None:
    attrs = Reader(f"when {rule.metric}", rule.items, RULE_ATTRIBUTES, scope, diags)
    ok = True
    if rule.metric not in POLICY_METRICS:
        diags.error(rule.metric_span, f'unknown policy metric "{rule.metric}"{did_you_mean(rule.metric, POLICY_METRICS)}',
                    hint="metrics: budget_remaining (percentage), burn_rate (number)")
        ok = False
    expected = "percent" if rule.metric == "budget_remaining" else "number"
    if ok and rule.value.kind != expected:
        word = "a percentage (like 50%)" if expected == "percent" else "a number (like 2)"
        diags.error(rule.value.span, f"{rule.metric} is compared with {word}")
        ok = False
    if not attrs.has("action"):
        diags.error(rule.span, f"when {rule.metric} needs an action")
    action = attrs.string("action")
    notify = _string_list(attrs, "notify", diags)
    blocks = _string_list(attrs, "blocks", diags)
    if not ok or action is None:
        return None
    value = Decimal(rule.value.value)
    if expected == "percent":
        value = value / 100
    fields = attrs.fields() + (("metric", rule.metric_span), ("op", rule.op_span), ("value", rule.value.span))
    if rule.over is not None:
        fields += (("over", rule.over.span),)
    over = None
    if rule.over is not None:
        over = whole_minutes(rule.over, "over", diags)  # seconds, in whole minutes
        if over is None:
            return None
    return ir.PolicyRule(rule.metric, rule.op, value, over, action, tuple(notify), rule.span, fields, tuple(blocks))


def _string_list(attrs: Reader, name: str, diags: Diagnostics) -> list[str]:
    """A list attribute of strings (`notify`, `blocks`); other items are errors."""
    strings = []
    value = attrs.value(name)
    for item in value.value if value else ():  # type: ignore[union-attr]
        if item.kind in STRING_KINDS:
            strings.append(str(item.value))
        else:
            diags.error(item.span, f"{name} takes strings, not {item.kind}")
    return strings
