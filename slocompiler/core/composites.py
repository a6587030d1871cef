"""The PromQL of composite SLOs: their error ratio from their members' recorded ratios, and what members must record.

A composite never reads a raw series: each window's ratio is one instant
read of each member's recorded `slo:sli_error:ratio_rate<W>` (or, for a slice
composite, its last slice's `slo:slice_error:ratio`). Every member term keeps
the member's `slo_id` (`max by (slo_id)`), so `or` can add the members'
terms up without two of them colliding on equal labels. A member with
`group_by` counts over all its groups, as one journey sees it: its recorded
5m event rates added up over the window (`summed_ratio`), so a tiny group's
few failures weigh what they are. docs/PROMETHEUS.md ("Composite SLOs").
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .conventions import (CURRENT_BURN_WINDOW, EVENTS_BAD_PREFIX, EVENTS_TOTAL_PREFIX, LABEL_SLO_ID, SLICE_ERROR,
                          error_ratio_rule)
from . import silence
from .ir import CompositeIndicator, ExprIndicator, Member, Program, Slo
from .queries import derived_ratio, promql_string, recorded
from .units import prom_window
from .slices import judged_limit
from .units import decimal_text

# Longer windows are SLO windows (the default pairs' longest is 3d): a grouped member's plain sum (`summed_ratio`).
ALERT_WINDOW_MAX = 3 * 86400
# What a member's error ratio counts as while it has none (absent, or 0/0).
NO_DATA_VALUE = {"good": "0", "bad": "1"}


def indicator(slo: Slo) -> CompositeIndicator:
    assert isinstance(slo.indicator, CompositeIndicator)
    return slo.indicator


def summed(slo: Slo) -> bool:
    """Whether a member counts over all its groups from its event rates: it has groups and events (an `expr`
    indicator has none, and a slice is bad when any group's is)."""
    return bool(slo.group_by) and slo.slices is None and not slo.is_composite \
        and not isinstance(slo.indicator, ExprIndicator)


def counted(slo: Slo) -> Slo:
    """The SLO as its composites count it: a `summed` member without its groups (its raw ratio then adds them up)."""
    return replace(slo, group_by=()) if summed(slo) else slo


def summed_ratio(slo: Slo, window: int) -> str:
    """A grouped member's error ratio over `window`, all its groups' events together: its recorded 5m rates summed
    over the window (`derived_ratio`), then added up over its group labels (only those: a cluster's label stays,
    so each cluster's journey reads its own).

    Never tiles below 2h, as its own windows are: a group missing a tile (a gap, a new or an evacuated region)
    would fall back to a sum in other units than its tiled neighbours (one count per evaluation, not per tile),
    and adding the two would weigh it several times over. The derived sum lags a change by about half a
    minute more (docs/PROMETHEUS.md).
    """
    five = CURRENT_BURN_WINDOW
    bad, total = (EVENTS_BAD_PREFIX + prom_window(five), EVENTS_TOTAL_PREFIX + prom_window(five))
    groups = ", ".join(slo.group_by)
    if window == five:
        return f"sum without ({groups}) ({recorded(bad, slo.id)})\n/\nsum without ({groups}) ({recorded(total, slo.id)})"
    if window > ALERT_WINDOW_MAX:
        # An SLO window (the budget's): a plain sum, as a member's own period rule has it; the edge term's
        # 2.5 minutes are nothing there, and its fallback would read the month twice.
        sums = [f"sum without ({groups}) (sum_over_time({recorded(name, slo.id, window)}))" for name in (bad, total)]
        return "\n/\n".join(sums)
    bad_rate, total_rate = (lambda span, name=name: recorded(name, slo.id, span) for name in (bad, total))
    return derived_ratio(bad_rate, total_rate, window, without=slo.group_by)


def member_ratio(members: Mapping[str, Slo], member: Member, window: int) -> str:
    """What a composite reads of a member over `window`: its recorded ratio, or its groups summed (`summed`)."""
    found = members.get(member.slo_id)
    if found is not None and summed(found):
        return f"(\n{textwrap.indent(summed_ratio(found, window), '  ')}\n)"
    return recorded(error_ratio_rule(window), member.slo_id)


def _known(series: str, member: Member, judge: str = "", resting: Sequence[str] = (), present: str | None = None,
           silent: str | None = None) -> str:
    """The member's value, NaN dropped, then `judge`d; `good`/`bad`: 0 or 1 while it has no series (`present`, a
    selector of its recorded series, when `series` is an expression).

    A member whose series is there but 0/0 (NaN: no traffic, a quiet
    night) had nothing to judge: it is left out whatever `when_no_data` says,
    or a quiet member with `bad` would page the journey. `when_no_data` is
    for a member that records nothing (its target is not scraped, its rules
    are not deployed). `resting`: the member and the SLOs under it that have
    maintenance windows; while one runs its silence is expected, so it is
    left out too (maintenance must not page the journey). `silent`: the
    member's silent share of the window (core/silence.py), counted as bad
    beside its known ratio over the rest; an idle member (NaN over what it
    recorded) that has been silent is 0 over the rest, or its silence would
    count only once its window held no sample of it.
    """
    known = f"max by ({LABEL_SLO_ID}) ({series} >= 0){judge}"
    if silent is not None:
        idle = (f"label_replace(vector(0), {promql_string(LABEL_SLO_ID)}, {promql_string(member.slo_id)}, \"\", \"\")"
                f" and on () {present or series} and on () ({silent} > 0)")
        known = silence.blend(f"{known}\nor\n({idle})", silent)
    if member.when_no_data == "skip":
        return known
    # label_replace gives the fallback the member's slo_id, so `or` keeps it apart from the other members.
    fallback = (f"label_replace(vector({NO_DATA_VALUE[member.when_no_data]}), "
                f"{promql_string(LABEL_SLO_ID)}, {promql_string(member.slo_id)}, \"\", \"\")")
    fallback = f"{fallback} unless on () {present or series}"
    if resting:
        fallback = f"{fallback} unless on () {silence.maintenance_of(resting)}"
    return f"{known}\nor\n({fallback})"


def _idle(value: str, members_series: list[str]) -> str:
    """`value`, else NaN while some member has a series but none counts (all idle, 0/0): the journey is idle, as an
    idle SLO's ratio is NaN. Absent would fire the composite's NoData alert on every quiet night."""
    present = "\nor\n".join(f"count({series})" for series in members_series)
    return f"{value}\nor on ()\n(vector(NaN) and on () (\n{textwrap.indent(present, '  ')}\n))"


def _indented(terms: list[str], by: int = 4) -> str:
    """The members' terms joined by `or`, each line indented inside the aggregation."""
    return textwrap.indent("\nor\n".join(terms), " " * by)


def _weighted(term: str, factor: str) -> str:
    return f"({term})" if factor == "1" else f"{factor} * ({term})"


def _resting(members: Mapping[str, Slo], member: Member) -> list[str]:
    # A caller that knows only part of the program (one service's rules) leaves a member out: then no window is known.
    return silence.resting_below(member.slo_id, members)


def members_resting(composite: Slo, slos: Mapping[str, Slo] | None = None) -> str:
    """A series while any member's maintenance runs, or that of an SLO under one: the composite's NoData stays quiet
    then (members' ids are names: no regex character needs escaping)."""
    ids = [member.slo_id for member in indicator(composite).members]
    for member in indicator(composite).members:
        ids += [found for found in silence.resting_below(member.slo_id, slos or {}) if found not in ids]
    return silence.maintenance_of(ids)


def window_ratio(composite: Slo, members: Mapping[str, Slo], window: int) -> str:
    """`slo:sli_error:ratio_rate<W>` of a composite: the weighted sum of its members' (or the worst weighted burn), at most 1.

    Empty when every member is skipped: the composite has no data then.
    """
    spec = indicator(composite)
    terms = []
    for member in spec.members:
        silent = silence.share(composite.id, member.slo_id, window) \
            if silence.counts_over(window) and silence.counts_silence(member) else None
        term = _known(member_ratio(members, member, window), member, resting=_resting(members, member),
                      present=recorded(error_ratio_rule(window), member.slo_id), silent=silent)
        factor = decimal_text(member.weight)
        if spec.aggregate == "worst":
            # The member's burn rate, weighted: written as a division, as 1 / 0.003 has no exact decimal.
            factor = f"{factor} / {decimal_text(members[member.slo_id].error_budget)}"
        terms.append(_weighted(term, factor))
    union = _indented(terms)
    if spec.aggregate == "worst":
        ratio = f"clamp_max(\n  max(\n{union}\n  ) * {decimal_text(composite.error_budget)},\n  1\n)"
    else:
        ratio = f"clamp_max(\n  sum(\n{union}\n  ),\n  1\n)"
    return _idle(ratio, [recorded(error_ratio_rule(window), member.slo_id) for member in spec.members])


def slice_value(composite: Slo, members: Mapping[str, Slo]) -> str:
    """`slo:slice_error:ratio` of a slice composite: 1 when any member's last slice is bad, 0 when all known are good.

    A member's slice is bad above its judged limit (`slices.judged_limit`);
    a member that records slice error ratios without a target counts as bad
    when its slice has any error. Empty when every member skips.
    """
    terms = []
    for member in indicator(composite).members:
        slices = members[member.slo_id].slices
        assert slices is not None
        limit = "0" if slices.target is None else judged_limit(slices)
        judged = _known(recorded(SLICE_ERROR, member.slo_id), member, f" > bool {limit}",
                        resting=_resting(members, member))
        terms.append(f"({judged})")
    return _idle(f"max(\n{_indented(terms, 2)}\n)",
                 [recorded(SLICE_ERROR, member.slo_id) for member in indicator(composite).members])


def ratio_windows(slo: Slo) -> set[int]:
    """Windows of `slo:sli_error:ratio_rate<W>` an SLO records whatever composites read it: its rolling window in the
    period group (a calendar SLO records its period as `ratio_period`)."""
    return set() if slo.calendar is not None else {slo.window}


def member_windows(program: Program, own: Mapping[str, set[int]]) -> tuple[dict[str, frozenset[int]], dict[str, frozenset[int]]]:
    """The windows each SLO must record beyond its `own` (alert and policy windows) for the composites that read it:
    those its composites' alerts read (in its SLI group), and those only their period ratio reads (its period group).

    A composite reads each member's ratio over every window it records
    itself, its own extra ones included, so a composite of composites passes
    its windows down (repeated until nothing changes; the front end refuses
    cycles). A slice composite reads its members' last slices, no window.
    """
    slos = {slo.id: slo for service in program.services for slo in service.slos}
    sli: dict[str, set[int]] = {slo_id: set() for slo_id in slos}
    period: dict[str, set[int]] = {slo_id: set() for slo_id in slos}
    changed = True
    while changed:
        changed = False
        for slo in slos.values():
            if not slo.is_composite or slo.slices is not None:
                continue
            alerts = own.get(slo.id, set()) | sli[slo.id] | {CURRENT_BURN_WINDOW}
            periods = ratio_windows(slo) | period[slo.id]
            for member in indicator(slo).members:
                if member.slo_id not in slos:
                    continue
                has = own.get(member.slo_id, set()) | sli[member.slo_id]
                more_sli = alerts - has
                more_period = periods - has - ratio_windows(slos[member.slo_id]) - period[member.slo_id]
                if more_sli or more_period:
                    sli[member.slo_id] |= more_sli
                    period[member.slo_id] |= more_period
                    changed = True
    return ({slo_id: frozenset(windows) for slo_id, windows in sli.items() if windows},
            {slo_id: frozenset(windows - sli[slo_id]) for slo_id, windows in period.items() if windows - sli[slo_id]})
