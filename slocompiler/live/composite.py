"""Composite SLOs in the live commands: the composite's ratio from its members' (PromQL), each member's contribution.

A composite's error ratio over a window is min(1, Σ weight × member ratio)
(`aggregate = worst`: max(weight × member ratio / member budget) × the
composite's budget, capped at 1). A member without a series counts as its
`when_no_data` says: `good` 0, `bad` 1, `skip` left out. An idle member
(0/0: its series are there, without traffic) and one in its maintenance
window are left out whatever it says, as the rules do
(core/composites.py). With no term left the composite is idle (NaN) while
some member has series, else it has no data. A member with `group_by`
counts over all its groups (`core.composites.counted`: its events added
up, as one journey sees them); a composite itself has no groups.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..core import maintenance, silence
from ..core.composites import counted
from ..core.slices import current_window
from ..core.ir import CompositeIndicator, Maintenance, Member, Program, Service, Slo
from ..core.units import decimal_text
from .outside import active

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


def ratio_promql(program: Program, slo: Slo, member_ratio: Callable[[Slo], str],
                 silent: Callable[[Member], str | None] | None = None) -> str:
    """The composite's error ratio as one PromQL expression, from `member_ratio(member SLO)` of each member.

    As the composite's rules read its members' recorded ratios (core/composites.py):
    a member's figure is its ratio over all its groups (`counted`);
    a member without series is a constant (`good` 0, `bad` 1) or no term
    (`skip`); an idle one (NaN: 0/0), or one in maintenance, no term. Each
    weighted term carries a label of its own, so `or` keeps them all, and the
    aggregation (`sum`, or `max` for `worst`) reads those that are numbers. No
    term at all: no figure. Each member's ratio is written once: it is the
    costly part. `silent(member)`: the member's silent share of the window (one
    series, label-less or not), which its ratio then counts as bad
    (core/silence.py); None where it has none.
    """
    terms = []
    for index, (member, member_slo) in enumerate(members(program, slo)):
        factor = decimal_text(scale(slo, member, member_slo))
        known = f"max({member_ratio(counted(member_slo))})"
        share = silent(member) if silent is not None else None
        if share is not None:
            # `max`: one series whatever it reads (a deployed share per cluster behind a global view). Idle over
            # what it recorded and silent too: 0 over the rest, as the rules count it. `max` of the ratio and a 0
            # while silent: PromQL's `max` takes a number over NaN, so the ratio is read once; idle alone stays NaN
            # (there, so the fallback below stays out, and left out by `>= 0`).
            share = f"max({share})"
            filled = (f'max(label_replace({known}, "{TERM_LABEL}", "ratio", "", "")\n'
                      f'or label_replace(vector(0) and on () ({share} > 0), "{TERM_LABEL}", "silent", "", ""))')
            known = f"({silence.blend(filled, share)})"
        term = _labelled(f"{factor} * {known}", index)
        if member.when_no_data in NO_DATA_RATIO:
            constant = decimal_text(scale(slo, member, member_slo) * NO_DATA_RATIO[member.when_no_data])
            # `or` on equal labels: the constant only where the member has no series at all.
            fallback = _labelled(f"vector({constant})", index)
            rest = rests(program, member_slo)
            if rest:
                on = "\nor on ()\n".join(f"({active(windows, pad)})" for windows, pad in rest)
                fallback = f"({fallback}\nunless on ()\n({on}))"
            term = f"({term}\nor\n{fallback})"
        terms.append(term)
    function = "max" if indicator(slo).aggregate == "worst" else "sum"
    return f"clamp_max({function}((\n" + "\nor\n".join(terms) + "\n) >= 0), 1)"


NO_DATA_RATIO = {"good": Decimal(0), "bad": Decimal(1)}


def indicator(slo: Slo) -> CompositeIndicator:
    assert isinstance(slo.indicator, CompositeIndicator)
    return slo.indicator


def _labelled(expr: str, index: int) -> str:
    return f'label_replace({expr}, "{TERM_LABEL}", "{index}", "", "")'


def worst(ratios) -> float | None:
    """A member's figure from its ratios: the worst known one (one, for a member counted over all its groups; a
    grouped `expr` member's worst group); NaN when it has ratios but none is a number (idle: 0/0); None when it has
    none (no series)."""
    ratios = [r for r in ratios if r is not None]
    known = [r for r in ratios if math.isfinite(r)]
    if known:
        return max(known)
    return math.nan if ratios else None


def counted_silence(ratio: float, silent: float) -> float:
    """A member's known ratio over the rest of a window and 1 (bad) over its `silent` share."""
    return 1 - (1 - ratio) * (1 - silent) if silent else ratio


Rests = list[tuple[tuple[Maintenance, ...], int]]


def rests(program: Program | None, member_slo: Slo) -> Rests:
    """The maintenance windows (with their pads) during which a member without series is left out: its own and
    those of the SLOs under it (core/silence.resting_below); its own alone without the program."""
    if program is None:
        found = [member_slo] if member_slo.maintenance else []
    else:
        slos = {slo.id: slo for service in program.services for slo in service.slos}
        found = [slos[slo_id] for slo_id in silence.resting_below(member_slo.id, slos)]
    return [(slo.maintenance, current_window(slo)) for slo in found]


def resting_at(rest: Rests, at: float | None) -> bool:
    """Whether one of the windows of `rest` (`rests`) runs at `at`."""
    return at is not None and any(maintenance.active_at(windows, at, pad) for windows, pad in rest)


def _term(slo: Slo, member: Member, member_slo: Slo, ratio: float | None, at: float | None,
          silent: float = 0.0, rest: Rests | None = None) -> float | None:
    """What the member adds (sum) or offers (worst): its weighted ratio (its `silent` share counted; idle and silent:
    0 over the rest); with no series, its `when_no_data` constant unless it rests at `at` (`rest`, default its own
    windows); idle (NaN) and not silent, or skipped: None."""
    factor = float(scale(slo, member, member_slo))
    if ratio is not None:
        if math.isnan(ratio):
            return factor * silent if silent else None
        return factor * counted_silence(ratio, silent)
    if member.when_no_data not in NO_DATA_RATIO:
        return None
    if resting_at(rests(None, member_slo) if rest is None else rest, at):
        return None
    return factor * float(NO_DATA_RATIO[member.when_no_data])


@dataclass(frozen=True)
class Contribution:
    """One member's part of a composite's figure over the composite's SLO window."""

    slo_id: str
    weight: Decimal
    when_no_data: str
    ratio: float | None  # the member's own error ratio (None: no data, or idle: 0/0)
    term: float | None  # what it adds to the composite's ratio (sum) or offers as its worst (worst); None: skipped
    share: float | None = None  # term / Σ terms; None when the terms add to 0 or it has none
    reason: str | None = None  # why the member has no ratio
    silent: float | None = None  # the share of the window it recorded nothing in (when_no_data good or bad)


def contributions(slo: Slo, found: list[tuple[Member, Slo, float | None, str | None]],
                  at: float | None = None, silent: dict[str, float] | None = None,
                  program: Program | None = None) -> list[Contribution]:
    """Each member's term from its ratio over the SLO window (NaN: idle), `when_no_data` applied (over its `silent`
    share of the window too, by member id), and its share of all terms. `program`: where the SLOs under a member
    are found, whose maintenance rests it too."""
    parts = []
    for member, member_slo, ratio, reason in found:
        quiet = (silent or {}).get(member.slo_id)
        term = _term(slo, member, member_slo, ratio, at, quiet or 0.0, rests(program, member_slo))
        known = None if ratio is None or math.isnan(ratio) else ratio
        parts.append(Contribution(member.slo_id, member.weight, member.when_no_data, known, term, reason=reason,
                                  silent=quiet))
    total = sum(p.term for p in parts if p.term is not None)
    return [dataclasses.replace(p, share=None if p.term is None or total <= 0 else p.term / total) for p in parts]


def combine(slo: Slo, found: list[tuple[Member, Slo, float | None]], at: float | None = None) -> float | None:
    """The composite's ratio at `at` from its members' figures (None: no series, NaN: idle), as `ratio_promql` and
    the rules compute it: NaN when no member counts but some has series, None when none has."""
    return combiner(slo, [(member, member_slo) for member, member_slo, _ in found])([r for _, _, r in found], at)


def combiner(slo: Slo, parts: list[tuple[Member, Slo]],
             program: Program | None = None) -> Callable[[list[float | None], float | None], float | None]:
    """`combine` for these members, their factors worked out once: a replay combines at every evaluation."""
    factors = [float(scale(slo, member, member_slo)) for member, member_slo in parts]
    constants = [None if member.when_no_data not in NO_DATA_RATIO else factor * float(NO_DATA_RATIO[member.when_no_data])
                 for factor, (member, _) in zip(factors, parts)]
    paused = [rests(program, member_slo) for _, member_slo in parts]
    most = indicator(slo).aggregate == "worst"

    def at_time(ratios: list[float | None], at: float | None, silent: list[float] | None = None) -> float | None:
        """`silent`: each member's silent share of the window at `at` (None: none)."""
        terms = []
        for index, (factor, constant, quiet, ratio) in enumerate(zip(factors, constants, paused, ratios)):
            if ratio is not None:  # `_term`, one member at a time
                share = silent[index] if silent is not None else 0.0
                if not math.isnan(ratio):
                    terms.append(factor * counted_silence(ratio, share))
                elif share:
                    terms.append(factor * share)
            elif constant is not None and not resting_at(quiet, at):
                terms.append(constant)
        if not terms:
            return math.nan if any(ratio is not None for ratio in ratios) else None
        return min(1.0, max(terms) if most else sum(terms))

    return at_time


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
