"""A server's samples as one error ratio per SLO group, or the reason there is none.

A ratio that is not a number (0/0, ±Inf) and a group for which the server
answers several series that disagree are no data, with the reason, never a
figure: the gate must not decide on what it did not see (docs/LIVE.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core.ir import Slo

GroupKey = tuple[str, ...]

NO_SERIES = "no series"
NO_RECORDED_SERIES = "no recorded series (--source recorded)"
IDLE = "NaN: no traffic (0/0)"


@dataclass(frozen=True)
class Reading:
    """One group's error ratio over one window: `ratio`, or None and `reason`."""

    labels: dict[str, str]
    ratio: float | None
    reason: str | None = None


def group_key(slo: Slo, labels: dict[str, str]) -> GroupKey:
    """The values of the SLO's group_by labels ('' where absent)."""
    return tuple(labels.get(name, "") for name in slo.group_by)


def not_a_number(value: float) -> str | None:
    """Why a value is no figure (NaN, ±Inf), or None for a finite one."""
    if math.isnan(value):
        return IDLE
    if math.isinf(value):
        return f"{'+' if value > 0 else '-'}Inf: events against a total of 0"
    return None


def reading(labels: dict[str, str], value: float) -> Reading:
    """A value the server computed, kept only when it is a number."""
    reason = not_a_number(value)
    return Reading(labels, None if reason else value, reason)


def divide(part: float, total: float) -> float:
    """`part / total` of two finite counts, with PromQL's answers for a total of 0 (NaN, ±Inf) that `reading` explains."""
    if total == 0:
        return math.nan if part == 0 else math.copysign(math.inf, part)
    return part / total


def single(slo: Slo, samples: list) -> dict[GroupKey, tuple[dict[str, str], float | None, str | None]]:
    """Each group's one value: (group labels, value, None), or (labels, None, why) when several series disagree.

    Several series for one group (replicas behind Thanos, a `cluster` label, an
    expression that does not aggregate) are never one picked: if their values
    differ, the group has no figure for that window.
    """
    found: dict[GroupKey, list] = {}
    for sample in samples:
        found.setdefault(group_key(slo, sample.labels), []).append(sample)
    result = {}
    for key, same in found.items():
        labels = {name: same[0].labels.get(name, "") for name in slo.group_by}
        if len({repr(s.value) for s in same}) > 1:
            differ = sorted({name for s in same for name in s.labels
                             if len({t.labels.get(name) for t in same}) > 1})
            how = f"they differ in {', '.join(differ)}" if differ else "with the same labels"
            result[key] = (labels, None, f"{len(same)} series that disagree ({how}); aggregate or select one")
        else:
            result[key] = (labels, same[0].value, None)
    return result


def by_group(slo: Slo, samples: list) -> dict[GroupKey, Reading]:
    """The samples of one ratio query, one Reading per group."""
    return {key: Reading(labels, None, why) if why else reading(labels, value)
            for key, (labels, value, why) in single(slo, samples).items()}
