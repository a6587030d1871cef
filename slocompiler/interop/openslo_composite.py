"""OpenSLO composite SLOs, and the maintenance windows our export writes as annotations.

An OpenSLO v1 composite (the shape of OpenSLO's Go SDK) is an SLO without an
indicator of its own whose objectives each name one: `indicator` or
`indicatorRef`, a `target` and a `compositeWeight`. An objective whose
`indicatorRef` is the SLI of another SLO document of the inputs (our export
writes `<slo-id>-sli`), or an SLI document that exactly one SLO document of
the same target names, makes that SLO the member; any other SLI becomes a
member SLO of its own, `<composite>-<objective>`, with alerting off (OpenSLO
alerts on the composite). Members are resolved once every SLO is read, since a
composite may come before its members.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..core.errors import Span
from ..core.units import decimal_text
from . import model
from .common import DECIMAL, objective_text
from .openslo_index import Index, ref_name
from .openslo_sli import indicator as read_indicator
from .openslo_time import SLICE_METHODS, slices
from .write import slo_name
from .yamlsrc import Node, Report

# Nobl9's `whenDelayed` of a composite's component, where an objective carries it.
WHEN_DELAYED = {"CountAsGood": "good", "CountAsBad": "bad", "Ignore": "skip"}
WHEN_NO_DATA = ("good", "bad", "skip")
# Written as bare words in `.slo`: anything else would be structure, not a value.
DURATION = re.compile(r"([0-9]+(ms|s|m|h|d|w))+")
CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
EVERY = ("day", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OBJECTIVE_FIELDS = ("displayName", "target", "targetPercent", "op", "value", "timeSliceTarget",
                    "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight", "whenDelayed")


def is_composite(spec: Node) -> bool:
    """Objectives that name their own indicator make a composite (OpenSLO's Go SDK: `IsComposite`)."""
    objectives = spec.get("objectives")
    entries = objectives.entries() if objectives is not None else []
    return any(o.get("indicator") is not None or o.get("indicatorRef") is not None for o in entries)


def sli_owners(index: Index) -> dict[str, Node]:
    """SLO documents by the SLI names a composite's `indicatorRef` may give them by: their inline
    indicator's name, and `<slo>-sli` (what our export writes, also for a composite member)."""
    owners: dict[str, Node] = {}
    for document in index.by_kind["SLO"].values():
        metadata, spec = document.get("metadata"), document.get("spec")
        inline = spec.get("indicator") if spec is not None else None
        inline_meta = inline.get("metadata") if inline is not None and inline.is_map else None
        if inline_meta is not None and inline_meta.text("name"):
            owners.setdefault(str(inline_meta.text("name")), document)
        if metadata is not None and metadata.text("name"):
            owners.setdefault(f"{metadata.text('name')}-sli", document)
    return owners


def sli_users(index: Index) -> dict[str, list[Node]]:
    """SLO documents by the SLI document they name in `spec.indicatorRef`."""
    users: dict[str, list[Node]] = {}
    for document in index.by_kind["SLO"].values():
        spec = document.get("spec")
        ref = spec.get("indicatorRef") if spec is not None else None
        name = ref_name(ref) if ref is not None else None
        if name is not None:
            users.setdefault(name, []).append(document)
    return users


def _user_with_target(users: list[Node], target: str) -> Node | None:
    """The one SLO document of `users` with one objective of this target (percent text), if there is one:
    then the composite's objective is that SLO, not a new one."""
    found = []
    for document in users:
        objectives = document.get("spec").get("objectives")  # type: ignore[union-attr]
        entries = objectives.entries() if objectives is not None else []
        if len(entries) != 1:
            continue
        ratio, percent = entries[0].get("target"), entries[0].get("targetPercent")
        own = Decimal(str(ratio.value)) * 100 if ratio is not None and ratio.is_scalar and DECIMAL.fullmatch(str(ratio.value).strip()) \
            else Decimal(str(percent.value)) if percent is not None and percent.is_scalar and DECIMAL.fullmatch(str(percent.value).strip()) \
            else None
        if own == Decimal(target):
            found.append(document)
    return found[0] if len(found) == 1 else None


@dataclass
class Pending:
    """A composite read, its members still to be found among the imported SLOs."""

    service: model.Service
    slo: model.Slo
    members: list[tuple[Node, Node | model.Slo, str, str | None]] = field(default_factory=list)
    # (objective, the member's SLO document or generated SLO, weight, when_no_data)


def read_composite(spec: Node, service: model.Service, slo: model.Slo, mine: dict[str, str], method: str,
                   index: Index, owners: tuple[dict[str, Node], dict[str, list[Node]]],
                   report: Report) -> Pending | None:
    """The composite's members, generated member SLOs added to `service`; None (with warnings) when it
    cannot be imported. `slo` is the composite, its window and alerting already read."""
    if spec.get("indicator") is not None or spec.get("indicatorRef") is not None:
        report.warn(spec.key_span("indicator") if spec.get("indicator") is not None else spec.key_span("indicatorRef"),
                    f"slo {slo.name} has objectives with an indicator of their own (a composite) and an indicator "
                    "for the whole SLO: OpenSLO allows one or the other; the SLO is not imported")
        return None
    no_data = _json_object(mine.get("when-no-data"), slo.span, report)
    pending = Pending(service, slo)
    targets: list[tuple[Decimal, Decimal]] = []
    objectives: Node = spec.get("objectives")  # type: ignore[assignment]
    for number, objective in enumerate(objectives.entries(), 1):
        member = _member(objective, number, slo, method, index, owners, no_data, report)
        if member is None:
            return None
        target, entry = member
        targets.append((Decimal(entry[2]), Decimal(target)))
        pending.members.append(entry)
    if "composite-objective" not in mine:
        _weights_that_may_be_shares(targets, objectives, slo.name, report)
        slo.objective = _derived_objective(targets, objectives, slo.name, report)  # type: ignore[assignment]
        if not slo.objective:
            return None
    service.slos.extend(source for _, source, _, _ in pending.members if isinstance(source, model.Slo))
    return pending


def _member(objective: Node, number: int, slo: model.Slo, method: str, index: Index,
            owners: tuple[dict[str, Node], dict[str, list[Node]]], no_data: dict[str, str],
            report: Report) -> tuple[str, tuple[Node, Node | model.Slo, str, str | None]] | None:
    """(the objective's target, its `Pending` entry) for one objective of a composite; None when it cannot be read."""
    report.unknown_fields(objective, OBJECTIVE_FIELDS, "objectives[]")
    for key in ("op", "value") + (() if method in SLICE_METHODS else ("timeSliceTarget", "timeSliceWindow")):
        if objective.get(key) is not None:
            report.warn(objective.key_span(key), f"objectives[].{key} has no counterpart on a composite's member "
                                                 "and is dropped")
    ref, inline = objective.get("indicatorRef"), objective.get("indicator")
    if ref is None and inline is None:
        report.warn(objective, f"objective {number} of composite {slo.name} names no indicator: in a composite "
                               "every objective is a member; the SLO is not imported")
        return None
    weight = _weight(objective.get("compositeWeight"), report)
    target = objective_text(objective.get("target"), report, scale=100) if objective.get("target") is not None \
        else objective_text(objective.get("targetPercent"), report)
    if weight is None or target is None:
        if objective.get("target") is None and objective.get("targetPercent") is None:
            report.error(objective, "an objective needs target (a ratio like 0.999) or targetPercent")
        return None
    display = objective.text("displayName")
    when = _when_no_data(objective, no_data.get(display or ""), report)
    name = ref_name(ref) if ref is not None else None
    owner = owners[0].get(name) if name is not None else None
    if owner is None and name is not None:  # an SLI document: an SLO of it with this very target is the member
        owner = _user_with_target(owners[1].get(name, []), target)
    source = owner or _generated(objective, slo, f"{slo.name}-{slo_name(display or str(number))}", target, method,
                                 index, report)
    return None if source is None else (target, (objective, source, weight, when))


def _weights_that_may_be_shares(targets: list[tuple[Decimal, Decimal]], at: Node, name: str, report: Report) -> None:
    """Our export's weights are .slo's; another tool's may be shares of a weighted average: say so."""
    total = sum((weight for weight, _ in targets), Decimal(0))
    if total != 1:
        report.warn(at, f"the compositeWeight values of composite {name} add up to {decimal_text(total)}: .slo adds "
                        "its members' error ratios each times its weight (a journey through the member that many "
                        "times), where a tool that averages them (weight / sum of weights) counts "
                        f"{decimal_text(total)} times less; weights kept as written")


def _weight(node: Node | None, report: Report) -> str | None:
    if node is None:
        return "1"
    text = str(node.value).strip() if node.is_scalar else ""
    if not DECIMAL.fullmatch(text) or Decimal(text) <= 0:
        report.error(node, f'compositeWeight "{text}" is not a decimal number above 0; the composite is not imported')
        return None
    return text  # as written: `slo fmt` gives it its canonical spelling, every digit kept


def _when_no_data(objective: Node, ours: str | None, report: Report) -> str | None:
    delayed = objective.get("whenDelayed")
    if delayed is not None:
        word = WHEN_DELAYED.get(str(delayed.value)) if delayed.is_scalar else None
        if word is None:
            report.warn(delayed, f'whenDelayed "{delayed.value}" is none of {", ".join(WHEN_DELAYED)}; dropped')
        return word
    return ours if ours in WHEN_NO_DATA else None


def _json_object(text: str | None, at: Span | None, report: Report) -> dict[str, str]:
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        report.warn(at or Span("<input>", 1, 1), "annotation slocompiler.dev/when-no-data is not a JSON object of "
                                                 "good, bad or skip; dropped")
        return {}
    return found


def _generated(objective: Node, composite: model.Slo, name: str, target: str, method: str, index: Index,
               report: Report) -> model.Slo | None:
    """A member SLO for an SLI no other SLO document holds: the composite's window, alerting off."""
    indicator = read_indicator(objective, index, report)
    member_slices = slices(method, objective, report) if method in SLICE_METHODS else None
    if indicator is None or (method in SLICE_METHODS and member_slices is None):
        report.warn(objective, f"member {name} of composite {composite.name} cannot be imported; neither is the composite")
        return None
    if indicator.kind == "threshold":
        report.warn(objective, f"member {name} of composite {composite.name} is a thresholdMetric, whose objective "
                               "needs op and value of its own; the composite is not imported")
        return None
    alerting = model.Alerting(enabled=False)  # OpenSLO alerts on the composite, not on its members
    return model.Slo(name=name, objective=target, indicator=indicator, window=composite.window,
                     timezone=composite.timezone, slices=member_slices, alerting=alerting, span=objective.span,
                     comments=[f"a member of composite {composite.name}"],
                     fields=model.spans(objective=objective, indicator=objective.get("indicator") or objective.get("indicatorRef")))


def _derived_objective(targets: list[tuple[Decimal, Decimal]], at: Node, name: str, report: Report) -> str | None:
    """OpenSLO gives a composite no target of its own: what its members' targets support together."""
    budget = sum((weight * (100 - target) for weight, target in targets), Decimal(0))
    objective = 100 - budget
    if objective <= 0:
        report.warn(at, f"composite {name}: its members' weighted error budgets add up to {decimal_text(budget)}%, "
                        "leaving it no objective; the SLO is not imported")
        return None
    text = decimal_text(objective)
    report.warn(at, f"composite {name} has no target of its own in OpenSLO: objective = {text}%, what its members' "
                    "targets support together (100% - sum of weight x (100% - target)); set the journey's own")
    return text


def resolve(pending: list[Pending], created: dict[int, list[tuple[model.Service, model.Slo]]], report: Report) -> None:
    """Find each composite's members among the imported SLOs (`created`: by SLO document); a composite
    missing one is not imported."""
    for item in pending:
        members = []
        for objective, source, weight, when in item.members:
            if isinstance(source, model.Slo):
                members.append(model.Member(item.service, source, weight, when))
                continue
            found = created.get(id(source), [])
            if len(found) != 1:
                why = "is not imported (see its warnings)" if not found else \
                    f"has {len(found)} objectives, so which one is meant is unclear"
                report.warn(objective.get("indicatorRef") or objective,
                            f"the member of composite {item.slo.name} named here {why}; the composite is not imported")
                # Its own member SLOs go with it: they were made only for it.
                doomed = {id(item.slo)} | {id(s) for _, s, _, _ in item.members if isinstance(s, model.Slo)}
                item.service.slos = [s for s in item.service.slos if id(s) not in doomed]
                item.service.comments.append(f"slo {item.slo.name} was not imported: see the warnings of slo import")
                break
            service, member = found[0]
            _compare_target(objective, member, report)
            members.append(model.Member(service, member, weight, when))
        else:
            item.slo.composite.members = members  # type: ignore[union-attr]


def _compare_target(objective: Node, member: model.Slo, report: Report) -> None:
    target = objective.get("target")
    percent = Decimal(str(target.value)) * 100 if target is not None and target.is_scalar \
        and DECIMAL.fullmatch(str(target.value).strip()) else None
    if percent is not None and percent != Decimal(member.objective):
        report.warn(target, f"target {decimal_text(percent)}% differs from slo {member.name}'s own objective "
                            f"{member.objective}%: a member keeps its own objective")


def _window_ok(entry: object) -> bool:
    """A window `.slo` accepts, checked here: one it refuses would take the whole service (or SLO) with it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()) or not entry.get("name") \
            or not DURATION.fullmatch(entry.get("for", "")):
        return False
    try:
        if entry.get("timezone") is not None:
            ZoneInfo(entry["timezone"])
        if "from" in entry:
            datetime.fromisoformat(entry["from"])
            return not {"every", "at"} & set(entry)
    except (ValueError, KeyError, OSError):  # zoneinfo raises ZoneInfoNotFoundError, a KeyError
        return False
    return entry.get("every") in EVERY and bool(CLOCK.fullmatch(entry.get("at", "")))


def maintenance_windows(text: str | None, at: Span, report: Report) -> list[model.Maintenance]:
    """Our `slocompiler.dev/maintenance` annotation: a JSON list of windows in `.slo` spelling."""
    if not text:
        return []
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    windows = []
    for entry in found if isinstance(found, list) else [None]:
        if not _window_ok(entry):
            report.warn(at, "annotation slocompiler.dev/maintenance is not a list of windows with name and for "
                            "(as slo build --target openslo writes it); dropped")
            return []
        windows.append(model.Maintenance(name=slo_name(entry["name"]), for_=entry["for"], from_=entry.get("from"),
                                         every=entry.get("every"), at=entry.get("at"),
                                         timezone=entry.get("timezone")))
    return windows
