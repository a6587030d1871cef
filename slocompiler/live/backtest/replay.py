"""The replay itself, pure: error ratios at each evaluation in, firing intervals and incidents out.

Prometheus evaluates an alerting rule at each group interval: the alert goes
pending at the first evaluation where its expression holds and fires once it
has held at every evaluation for `for` (`now - activeAt >= for`); one
evaluation where it does not hold resolves it. `firing` does exactly that.
A missing or NaN ratio never exceeds a threshold, as in PromQL. A condition
with `min_failures` also needs that many bad events counted within its long
window (the rule's third term); where the pairs held without them, the alert
was withheld, and the report shows it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from .model import ConditionSpec, Fired, GroupKey, Incident, Interval, Replay, RuleSpec, Withheld, fastest_page

Ratios = Sequence[float | None]


def above(ratio: Ratios, limit: float) -> list[bool]:
    """At each evaluation, whether the ratio exists and is strictly above `limit` (NaN is not)."""
    return [value is not None and value > limit for value in ratio]


def held(condition: ConditionSpec, by_window: dict[int, Ratios]) -> list[bool]:
    """`ratio_long > threshold and ratio_short > threshold` at each evaluation."""
    limit = condition.limit
    return [a and b for a, b in zip(above(by_window[condition.long], limit), above(by_window[condition.short], limit))]


def guarded(condition: ConditionSpec, pairs: Sequence[bool], counted: Ratios | None) -> list[bool]:
    """The pair, and at least `min_failures` bad events counted within the long window (none, or NaN, is too few)."""
    needed = condition.min_failures
    if not needed:
        return list(pairs)
    counts = counted if counted is not None else [None] * len(pairs)
    return [pair and count is not None and count >= needed for pair, count in zip(pairs, counts)]


def seen(condition: ConditionSpec, pairs: Sequence[bool], counted: Ratios | None) -> list[float | None]:
    """The count the guard read at each evaluation where the pair held; None elsewhere, or when unguarded."""
    if not condition.min_failures or counted is None:
        return [None] * len(pairs)
    return [count if pair else None for pair, count in zip(pairs, counted)]


def _most(rows: Sequence[Sequence[float | None]]) -> list[float | None]:
    return [max((v for v in column if v is not None and not math.isnan(v)), default=None) for column in zip(*rows)]


def withheld(free: Sequence[bool], kept: Sequence[bool], counts: Sequence[float | None], times: Sequence[int],
             for_: int, start: int) -> tuple[Withheld, ...]:
    """Stretches at which the alert would fire on its pairs alone (`free`) but not with the guard (`kept`), and the most failures counted in each."""
    would, did = firing(free, times, for_), firing(kept, times, for_)
    return _with_counts(intervals([a and not b for a, b in zip(would, did)], times, start), counts, times)


def _with_counts(found: Sequence[Interval], counts: Sequence[float | None], times: Sequence[int]) -> tuple[Withheld, ...]:
    step = times[1] - times[0] if len(times) > 1 else 1
    out = []
    for first, last in found:
        lo, hi = (first - times[0]) // step, (last - times[0]) // step
        out.append(Withheld(first, last, max((c for c in counts[lo:hi + 1] if c is not None), default=0.0)))
    return tuple(out)


def firing(holds: Sequence[bool], times: Sequence[int], for_: int) -> list[bool]:
    """Whether the alert is firing at each evaluation: held at every one since `activeAt`, and for `for_` seconds."""
    if for_ <= 0:
        return list(holds)
    out = []
    active_at: int | None = None
    for now, holding in zip(times, holds):
        if not holding:
            active_at = None
            out.append(False)
            continue
        if active_at is None:
            active_at = now
        out.append(now - active_at >= for_)
    return out


def intervals(flags: Sequence[bool], times: Sequence[int], start: int) -> tuple[Interval, ...]:
    """Stretches of consecutive evaluations at or after `start` where the flag is set: (first, last)."""
    found: list[Interval] = []
    first: int | None = None
    last = 0
    for now, flag in zip(times, flags):
        if now < start:
            continue
        if flag:
            if first is None:
                first = now
            last = now
        elif first is not None:
            found.append((first, last))
            first = None
    if first is not None:
        found.append((first, last))
    return tuple(found)


def merge(groups: Sequence[Sequence[Interval]], step: int) -> tuple[Interval, ...]:
    """The union of interval lists; stretches one step apart or overlapping become one."""
    ordered = sorted(interval for group in groups for interval in group)
    merged: list[list[int]] = []
    for first, last in ordered:
        if merged and first <= merged[-1][1] + step:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((a, b) for a, b in merged)


def total_seconds(found: Sequence[Interval], step: int) -> int:
    """Time firing: each evaluation stands for one step."""
    return sum(last - first + step for first, last in found)


def longest_seconds(found: Sequence[Interval], step: int) -> int:
    """The longest single stretch, 0 when there is none."""
    return max((last - first + step for first, last in found), default=0)


def _or(rows: Sequence[Sequence[bool]]) -> list[bool]:
    return [any(column) for column in zip(*rows)]


def response(pages: Sequence[Interval], first: int, last: int, grace: int, end: int) -> tuple[int | None, int | None]:
    """(detection, reset) of the pages for a stretch `[first, last]`: None when no page met it, reset None while still firing at `end`."""
    mine = [p for p in pages if p[1] >= first and p[0] <= last + grace]
    if not mine:
        return None, None
    reset = None if mine[-1][1] >= end else max(0, mine[-1][1] - last)
    return max(0, mine[0][0] - first), reset


def incidents(ratio: Ratios, times: Sequence[int], start: int, limit: float, budget: float,
              pages: Sequence[Interval], grace: int) -> tuple[tuple[Incident, ...], tuple[Interval, ...]]:
    """Incidents (the ratio above `limit`) with detection and reset, and the page stretches none of them explains.

    A page stretch belongs to an incident when it overlaps the incident or
    starts within `grace` after it: the short window of a page condition still
    holds the errors that long after they stop (SRE-MATH: reset within S).
    """
    stretches = intervals(above(ratio, limit), times, start)
    last_time = times[-1] if times else start
    explained: set[Interval] = set()
    found = []
    for first, last in stretches:
        mine = [p for p in pages if p[1] >= first and p[0] <= last + grace]
        explained.update(mine)
        lo, hi = times.index(first), times.index(last)
        peak = max(v for v in ratio[lo:hi + 1] if v is not None)
        ongoing = last == last_time
        detected = max(0, mine[0][0] - first) if mine else None
        still_firing = bool(mine) and mine[-1][1] == last_time
        reset = None if not mine or ongoing or still_firing else max(0, mine[-1][1] - last)
        found.append(Incident(first, last, ongoing, peak / budget if budget else 0.0, detected, reset))
    noise = tuple(p for p in pages if p not in explained)
    return tuple(found), noise


def replay(slo_id: str, group: dict[str, str], objective: Decimal, window: int, rules: Sequence[RuleSpec],
           by_window: dict[int, Ratios], times: Sequence[int], start: int, end: int, step: int, incident_window: int,
           budget_remaining: float | None, failures: dict[int, Ratios] | None = None) -> Replay:
    """Replay one SLO's rules over one group's ratios; `times` may begin before `start` so `for` sees back.

    `failures` holds, per guarded long window, the bad events the rules count
    there at each evaluation (`failures.py`); a guarded condition without them never holds.
    """
    counted = failures or {}
    conditions = [k for rule in rules for k in rule.conditions]
    pairs = {k: held(k, by_window) for k in conditions}
    holds = {k: guarded(k, pairs[k], counted.get(k.long)) for k in conditions}
    counts = {k: seen(k, pairs[k], counted.get(k.long)) for k in conditions}
    fired_conditions = tuple(
        Fired(k.alert, k.severity, f"{k.severity} {k.key}", k.long, k.short,
              intervals(firing(holds[k], times, k.for_), times, start), k.limit, k.min_failures,
              withheld(pairs[k], holds[k], counts[k], times, k.for_, start))
        for k in conditions
    )
    fired_rules = tuple(_rule(rule, pairs, holds, counts, times, start) for rule in rules)
    pages = merge([f.intervals for f in fired_rules if f.severity == "page"], step)
    tickets = merge([f.intervals for f in fired_rules if f.severity != "page"], step)
    page_rules = [rule for rule in rules if rule.severity == "page"]
    would = merge([intervals(firing(_or([pairs[k] for k in rule.conditions]), times, rule.for_), times, start)
                   for rule in page_rules], step)
    saved = _with_counts([w for w in would if not _touches(w, pages, step)],
                         _most([counts[k] for rule in page_rules for k in rule.conditions]) or [None] * len(times),
                         times)
    fastest = fastest_page(conditions)
    budget = float(1 - objective)
    found: tuple[Incident, ...] = ()
    noise = pages
    grace = max((k.short for k in conditions if k.severity == "page"), default=0)
    if fastest is not None:
        found, noise = incidents(by_window[incident_window], times, start, fastest.limit, budget, pages, grace)
    shown = tuple(v for t, v in zip(times, by_window[incident_window]) if t >= start)
    return Replay(
        slo_id=slo_id, group=group, start=start, end=end, step=step,
        objective=objective, window=window, conditions=fired_conditions, rules=fired_rules,
        incident_burn=fastest.burn if fastest else None, incidents=found, noise=noise, pages=pages,
        tickets=tickets, budget_remaining=budget_remaining, grace=grace, saved=saved, ratio=shown,
    )


def _touches(stretch: Interval, others: Sequence[Interval], step: int) -> bool:
    # A stretch that overlaps or runs into a page sent was a page delayed, not one saved.
    first, last = stretch
    return any(a <= last + step and first <= b + step for a, b in others)


def _rule(rule: RuleSpec, pairs: dict[ConditionSpec, list[bool]], holds: dict[ConditionSpec, list[bool]],
          counts: dict[ConditionSpec, list[float | None]], times: Sequence[int], start: int) -> Fired:
    kept = _or([holds[k] for k in rule.conditions])
    found = intervals(firing(kept, times, rule.for_), times, start)
    held_back = withheld(_or([pairs[k] for k in rule.conditions]), kept, _most([counts[k] for k in rule.conditions]),
                         times, rule.for_, start)
    needed = max(k.min_failures for k in rule.conditions)
    if len(rule.conditions) == 1:
        k = rule.conditions[0]
        return Fired(rule.alert, rule.severity, f"{k.severity} {k.key}", k.long, k.short, found, k.limit, needed, held_back)
    return Fired(rule.alert, rule.severity, rule.severity, None, None, found, None, needed, held_back)


def absent(groups: Sequence[Ratios], count: int) -> list[bool]:
    """`absent(<ratio>)` at each evaluation: no group has a sample (NaN is a sample, so it is not absent)."""
    return [all(values[i] is None for values in groups) for i in range(count)]


def group_keys(by_window: dict[int, dict[GroupKey, Ratios]]) -> list[GroupKey]:
    """Every group value any window has data for, sorted."""
    return sorted({key for series in by_window.values() for key in series})
