"""Composite SLOs: the `composite { }` block, then its members across every input file.

`lower_composite` reads one block (LANGUAGE.md, "Composite SLOs"). `resolve`
runs once the whole program is lowered: every member must name an SLO of
some input file, no composite may reach itself, and a composite whose
members all count slices of one length counts slices too. It also warns
when the members' objectives cannot support the composite's.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ..core import ir
from ..core.errors import Diagnostics, Span, did_you_mean
from ..core.sremath import SLICE_NO_DATA, slice_windows
from ..core.units import decimal_text
from . import syntax as st
from .values import Reader, Scope, unknown_block

COMPOSITE_ATTRIBUTES = {"aggregate": ("name",)}
MEMBER_ATTRIBUTES = {"weight": ("number",), "when_no_data": ("name",)}
AGGREGATES = ("sum", "worst")


def lower_composite(block: st.Block, scope: Scope, diags: Diagnostics) -> ir.CompositeIndicator | None:
    """`composite { <slo-id> { weight when_no_data } ... aggregate = worst }`; None when it has no members.

    A member with a bad attribute is kept with the default in its place (its
    error already fails the run), so that unknown ids and cycles among the
    members are reported in the same run rather than after the fix.
    """
    attrs = Reader("composite", block.items, COMPOSITE_ATTRIBUTES, scope, diags)
    aggregate = "sum"
    value = attrs.value("aggregate")
    if value is not None:
        if str(value.value) in AGGREGATES:
            aggregate = str(value.value)
        else:
            diags.error(value.span, f'aggregate must be sum or worst, not "{value.value}"'
                                    f"{did_you_mean(str(value.value), AGGREGATES)}")
    members: list[ir.Member] = []
    seen: dict[str, Span] = {}
    for item in block.items:
        if not isinstance(item, st.Block):
            continue
        if item.kind != "stray" or item.name is None:
            unknown_block(item, "composite", ("<slo-id> { weight = 1 }",), diags)
            continue
        span = item.name_span or item.span
        if item.name in seen:
            diags.error(span, f'member "{item.name}" is listed twice in the composite (first at line {seen[item.name].line})')
            continue
        seen[item.name] = span
        members.append(_member(item, span, scope, diags))
    if not members:
        if not seen:
            diags.error(block.span, "composite has no members; list SLO ids, e.g. checkout-availability { weight = 1 }")
        return None
    return ir.CompositeIndicator(members=tuple(members), span=block.span, fields=attrs.fields(), aggregate=aggregate)


def _member(block: st.Block, span: Span, scope: Scope, diags: Diagnostics) -> ir.Member:
    what = f"member {block.name}"
    attrs = Reader(what, block.items, MEMBER_ATTRIBUTES, scope, diags)
    for item in block.items:
        if isinstance(item, st.Block):
            unknown_block(item, what, (), diags)
    weight = Decimal(1)
    value = attrs.value("weight")
    if value is not None:
        if Decimal(str(value.value)) > 0:
            weight = Decimal(str(value.value))
        else:
            diags.error(value.span, f"weight must be above 0, not {value.text}: a member that weighs nothing "
                                    "is not part of the journey; remove it instead")
    when_no_data = "skip"
    value = attrs.value("when_no_data")
    if value is not None:
        if str(value.value) in SLICE_NO_DATA:
            when_no_data = str(value.value)
        else:
            diags.error(value.span, f'when_no_data must be good, bad or skip, not "{value.value}"'
                                    f"{did_you_mean(str(value.value), SLICE_NO_DATA)}")
    assert block.name is not None
    return ir.Member(slo_id=block.name, weight=weight, span=span, fields=attrs.fields(), when_no_data=when_no_data)


def resolve(program: ir.Program, written: set[str], diags: Diagnostics) -> ir.Program:
    """The program with every composite's members checked, and slice composites given their slices.

    `written`: every SLO id the input files define, also those that failed
    to lower (their own errors are reported; a member naming one is not unknown).
    """
    slos = {slo.id: slo for service in program.services for slo in service.slos}
    composites = {slo_id: slo for slo_id, slo in slos.items() if isinstance(slo.indicator, ir.CompositeIndicator)}
    if not composites:
        return program
    broken: set[str] = set()
    for slo in composites.values():
        for member in _members(slo):
            if member.slo_id not in slos:
                broken.add(slo.id)
                if member.slo_id in written:
                    continue
                diags.error(member.span, f'unknown SLO "{member.slo_id}" in composite {slo.id}'
                                         f"{did_you_mean(member.slo_id, written)}",
                            hint="a member is an SLO id, <service>-<slo>, from any input file")
    for cycle in _cycles(composites):
        first = composites[cycle[0]]
        member = next(m for m in _members(first) if m.slo_id == cycle[1 % len(cycle)])
        diags.error(member.span, "composite SLOs form a cycle: " + " -> ".join(cycle + [cycle[0]]))
        broken.update(cycle)
    if broken:
        return program
    resolved: dict[str, ir.Slo] = {}
    for slo_id in _dependency_order(composites):
        slo = composites[slo_id]
        members = [resolved.get(m.slo_id, slos[m.slo_id]) for m in _members(slo)]
        lengths = {m.slices.length if m.slices else None for m in members}
        if None not in lengths and len(lengths) == 1:
            length = lengths.pop()
            slices = ir.Slices(length=length, target=None, span=slo.span, no_data="skip", ratio=True)
            resolved[slo_id] = replace(slo, slices=slices, alerting=_slice_alerting(slo.alerting, length))
    if diags.error_count():
        # The figures these warnings quote may be defaults standing in for a value in error.
        return program
    for slo in composites.values():
        _warn_sliced(resolved.get(slo.id, slo), diags)
        _warn_capacity(resolved.get(slo.id, slo), slos, diags)
        _warn_own_maintenance(slo, slos, diags)
    if not resolved:
        return program
    services = tuple(replace(s, slos=tuple(resolved.get(slo.id, slo) for slo in s.slos)) for s in program.services)
    return replace(program, services=services)


def _slice_alerting(alerting: ir.Alerting, length: int) -> ir.Alerting:
    """The default conditions widened to hold whole slices, as a slice SLO's are (`sremath.slice_windows`).

    Lowering chose them before the members were known; a default condition is
    the one with no written fields.
    """
    conditions = tuple(condition if condition.fields else
                       replace(condition, **dict(zip(("long", "short"),
                                                     slice_windows(condition.long, condition.short, length))))
                       for condition in alerting.conditions)
    return replace(alerting, conditions=conditions)


def _warn_sliced(slo: ir.Slo, diags: Diagnostics) -> None:
    """A composite of slices judges each slice by its worst member: a written weight or `worst` changes nothing."""
    if slo.slices is None:
        return
    spec = slo.indicator
    assert isinstance(spec, ir.CompositeIndicator)
    for member in spec.members:
        if member.weight != 1:
            diags.warning(member.span, f"weight has no effect in composite {slo.id}: its members all count slices, "
                                       "so a slice of the journey is bad when any member's is")
    if spec.aggregate == "worst":
        diags.warning(spec.span, f"aggregate = worst has no effect in composite {slo.id}: its members all count "
                                 "slices, so a slice of the journey is bad when any member's is")


def _schedule(window: ir.Maintenance) -> tuple:
    return window.start, window.every, window.at, window.duration, window.timezone


def _warn_own_maintenance(slo: ir.Slo, slos: dict[str, ir.Slo], diags: Diagnostics) -> None:
    """A composite's own window silences it, but its ratios are its members': their events in it still count,
    unless each member has the same window."""
    for window in slo.maintenance:
        bare = [m.slo_id for m in _members(slo)
                if _schedule(window) not in {_schedule(w) for w in slos[m.slo_id].maintenance}]
        if bare:
            diags.warning(window.span, f"maintenance {window.name} silences composite {slo.id} while it runs, but its "
                                       f"ratios come from its members', which still count their events in it: "
                                       + ", ".join(bare),
                          hint="give those members (or their services) the same maintenance window")


def _members(slo: ir.Slo) -> tuple[ir.Member, ...]:
    assert isinstance(slo.indicator, ir.CompositeIndicator)
    return slo.indicator.members


def _cycles(composites: dict[str, ir.Slo]) -> list[list[str]]:
    """Each cycle once, as the ids along it, starting from its first id in order."""
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(slo_id: str, path: list[str]) -> None:
        if slo_id in path:
            cycle = path[path.index(slo_id):]
            if not any(set(cycle) == set(seen) for seen in cycles):
                cycles.append(cycle)
            return
        if slo_id in done or slo_id not in composites:
            return
        for member in _members(composites[slo_id]):
            visit(member.slo_id, path + [slo_id])
        done.add(slo_id)

    for slo_id in composites:
        visit(slo_id, [])
    return cycles


def _dependency_order(composites: dict[str, ir.Slo]) -> list[str]:
    """Composites after the composites they contain (there are no cycles)."""
    order: list[str] = []

    def visit(slo_id: str) -> None:
        if slo_id in order or slo_id not in composites:
            return
        for member in _members(composites[slo_id]):
            visit(member.slo_id)
        order.append(slo_id)

    for slo_id in composites:
        visit(slo_id)
    return order


def _warn_capacity(slo: ir.Slo, slos: dict[str, ir.Slo], diags: Diagnostics) -> None:
    """The journey promises more than its parts do: Σ weight × (1 − member objective) > 1 − composite objective."""
    assert isinstance(slo.indicator, ir.CompositeIndicator)
    if slo.indicator.aggregate != "sum" or slo.slices is not None:
        return
    parts = [(m, slos[m.slo_id].error_budget) for m in slo.indicator.members]
    allowed = sum((m.weight * budget for m, budget in parts), Decimal(0))
    if allowed <= slo.error_budget:
        return
    terms = " + ".join(f"{decimal_text(m.weight)} × {decimal_text(budget)}" for m, budget in parts)
    diags.warning(slo.span, f"composite {slo.id} promises more than its members do: they may fail "
                            f"{terms} = {decimal_text(allowed)} of journeys within their objectives, "
                            f"above its error budget {decimal_text(slo.error_budget)} "
                            f"(objective {decimal_text(slo.objective * 100)}%)",
                  hint="tighten the members' objectives or loosen the composite's")
