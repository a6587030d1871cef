"""Composite SLOs in the live commands: the composite's ratio from its members' (PromQL), each member's contribution.

A composite's error ratio over a window is min(1, Σ weight × member ratio)
(`aggregate = worst`: max(weight × member ratio / member budget) × the
composite's budget, capped at 1). A member without data counts as its
`when_no_data` says: `good` 0, `bad` 1, `skip` left out; with every member
absent the composite has no data (LANGUAGE.md, "Composite SLOs").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..core.ir import CompositeIndicator, Member, Program, Service, Slo
from ..core.units import decimal_text

# The label that keeps the members' terms apart until they are summed (dropped by the aggregation).
TERM_LABEL = "slo_composite_member"


class CompositeError(Exception):
    """A composite whose members the specs do not define (the checks normally refuse it first)."""


def members(program: Program, slo: Slo) -> list[tuple[Member, Slo]]:
    """The composite's members with their SLOs, in spec order."""
    assert isinstance(slo.indicator, CompositeIndicator)
    found = []
    for member in slo.indicator.members:
        member_slo = program.slo(member.slo_id)
        if member_slo is None:
            raise CompositeError(f'composite "{slo.id}" names no SLO "{member.slo_id}"')
        found.append((member, member_slo))
    return found


def scale(slo: Slo, member: Member, member_slo: Slo) -> Decimal:
    """What a member's ratio is multiplied by: its weight (`worst`: over its budget, times the composite's)."""
    assert isinstance(slo.indicator, CompositeIndicator)
    if slo.indicator.aggregate == "worst":
        return member.weight / member_slo.error_budget * slo.error_budget
    return member.weight


def ratio_promql(program: Program, slo: Slo, member_ratio: Callable[[Slo], str]) -> str:
    """The composite's error ratio as one PromQL expression, from `member_ratio(member SLO)` of each member.

    Each weighted term carries a label of its own, so `or` keeps them all and
    the aggregation (`sum`, or `max` for `worst`) adds (or compares) them; a
    member without data is a constant term (`good`, `bad`) or no term (`skip`).
    The final `and on ()` leaves no figure when no member has one.
    """
    assert isinstance(slo.indicator, CompositeIndicator)
    by = ", ".join(slo.group_by)
    terms, present = [], []
    for index, (member, member_slo) in enumerate(members(program, slo)):
        factor = decimal_text(scale(slo, member, member_slo))
        expr = member_ratio(member_slo)
        term = _labelled(f"{factor} * ({expr})", index)
        if member.when_no_data in ("good", "bad") and not slo.group_by:
            # A constant needs no group labels only when the composite has none.
            constant = "0" if member.when_no_data == "good" else factor
            term = f"({term}\nor\n{_labelled(f'vector({constant})', index)})"
        terms.append(term)
        present.append(f"group by ({by}) ({expr})")
    combined = "\nor\n".join(terms)
    function = "max" if slo.indicator.aggregate == "worst" else "sum"
    return (f"clamp_max({function} by ({by}) (\n{combined}\n), 1)\n"
            f"and on ({by})\n({' or '.join(present)})")


def _labelled(expr: str, index: int) -> str:
    return f'label_replace({expr}, "{TERM_LABEL}", "{index}", "", "")'


@dataclass(frozen=True)
class Contribution:
    """One member's part of a composite's figure over the composite's SLO window."""

    slo_id: str
    weight: Decimal
    when_no_data: str
    ratio: float | None  # the member's own error ratio (None: no data)
    term: float | None  # what it adds to the composite's ratio (sum) or offers as its worst (worst); None: skipped
    share: float | None = None  # term / Σ terms; None when the terms add to 0 or it has none
    reason: str | None = None  # why the member has no ratio

    def json(self) -> dict:
        from .status import number

        return {"slo_id": self.slo_id, "weight": float(self.weight), "when_no_data": self.when_no_data,
                "ratio": number(self.ratio), "contribution": number(self.term), "share": number(self.share),
                **({"no_data": self.reason} if self.reason else {})}


def contributions(slo: Slo, found: list[tuple[Member, Slo, float | None, str | None]]) -> list[Contribution]:
    """Each member's term from its ratio over the SLO window, `when_no_data` applied, and its share of all terms."""
    parts = []
    for member, member_slo, ratio, reason in found:
        factor = float(scale(slo, member, member_slo))
        if ratio is not None:
            term: float | None = factor * ratio
        else:
            term = {"good": 0.0, "bad": factor, "skip": None}[member.when_no_data]
        parts.append(Contribution(member.slo_id, member.weight, member.when_no_data, ratio, term, reason=reason))
    total = sum(p.term for p in parts if p.term is not None)
    return [Contribution(p.slo_id, p.weight, p.when_no_data, p.ratio, p.term,
                         None if p.term is None or total <= 0 else p.term / total, p.reason) for p in parts]


def combine(slo: Slo, found: list[tuple[Member, Slo, float | None]]) -> float | None:
    """The composite's ratio from its members' ratios (None: no data), as `ratio_promql` computes it on the server."""
    if all(ratio is None for _, _, ratio in found):
        return None
    terms = []
    for member, member_slo, ratio in found:
        factor = float(scale(slo, member, member_slo))
        if ratio is not None:
            terms.append(factor * ratio)
        elif member.when_no_data != "skip":
            terms.append(0.0 if member.when_no_data == "good" else factor)
    assert isinstance(slo.indicator, CompositeIndicator)
    return min(1.0, max(terms) if slo.indicator.aggregate == "worst" else sum(terms))


def member_key(slo: Slo, member: Slo, key: tuple[str, ...]) -> tuple[str, ...] | None:
    """The member's group that a composite group reads: the same one, its only one when it has no groups, else none."""
    if not member.group_by:
        return ()
    return key if member.group_by == slo.group_by else None


def composites_of(program: Program, slo_id: str) -> list[tuple[Service, Slo]]:
    """Every composite that reads `slo_id`, directly or through other composites, in spec order."""
    reached: set[str] = set()
    frontier = [slo_id]
    while frontier:
        current = frontier.pop()
        for service in program.services:
            for slo in service.slos:
                if (slo.is_composite and slo.id not in reached
                        and any(m.slo_id == current for m in slo.indicator.members)):
                    reached.add(slo.id)
                    frontier.append(slo.id)
    return [(service, slo) for service in program.services for slo in service.slos if slo.id in reached]
