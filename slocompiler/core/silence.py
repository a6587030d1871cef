"""A composite member's silence: how much of a window it recorded nothing, so that `when_no_data = bad` counts that time.

Without it a member that stops recording would count as bad only in the
windows with no sample of it left: gone for two hours, it would reach the
journey's 1h ratio an hour late, and its budget never. So a composite
records, for each member with `when_no_data = bad`, two series labelled with
the composite's `slo_id` and the member's id (`slo_member`):

- `slo:member_missing_since:timestamp`: when the member's 5m ratio was first
  found missing in this unbroken run of evaluations. The rule reads its own
  previous sample, which the 5m lookback finds only if Prometheus evaluated
  it within 5 minutes: after a restart a new run begins, so the minutes the
  member's ratio needs to come back are not silence. Absent while the member
  has a 5m ratio (an idle member's NaN is one) and while a maintenance window
  of the member, of an SLO under it or of the composite runs.
- `slo:member_no_data:seconds`: 0 until the member has been missing for
  `GRACE`; then, at once, the seconds since it went missing, and after that
  the seconds since this rule's previous evaluation (its own sample's
  timestamp: no evaluation interval is assumed). Always there.

A window's silent share `s` is those seconds summed over the window, over
the window, at most 1, and the member's term over the window its known
ratio `K` over the rest and 1 over the silent share: `1 - (1 - K)(1 - s)`.
The 5m window needs none of this: the member's 5m ratio is missing there.
`good` members are not blended (their ratio is over the time they recorded;
0 once none is left): see `counts_silence`. `replay` is the same over a
list of evaluations, for the live commands. docs/PROMETHEUS.md, "Composite
SLOs".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .conventions import (CURRENT_BURN_WINDOW, LABEL_MEMBER, LABEL_SLO_ID, MAINTENANCE_ACTIVE, MEMBER_MISSING_SINCE,
                          MEMBER_NO_DATA_SECONDS, error_ratio_rule)
from .ir import CompositeIndicator, Member, Slo
from .queries import promql_string, recorded

# How long a member's 5m ratio must be missing before its silence counts: a few missed scrapes, a rollout or a
# slow rule group are not an outage. Its ratio is missing only once its 5m window holds under two scrapes.
GRACE = 5 * 60
# Prometheus's default lookback: how far back an instant selector finds the rules' own previous sample.
LOOKBACK = 5 * 60


def counts_silence(member: Member) -> bool:
    # Only `bad`: counting silence as good would dilute the member's errors over the time it recorded by the time
    # it did not (a ratio of requests against a share of time), so a failing member that flaps would page late.
    return member.when_no_data == "bad"


def counts_over(window: int) -> bool:
    """Whether silence counts in proportion over `window`: not over 5m, where the member's ratio is missing."""
    return window > CURRENT_BURN_WINDOW


def members(composite: Slo) -> list[Member]:
    """The members of a ratio composite whose silence counts (a slice composite reads each slice as it ends)."""
    assert isinstance(composite.indicator, CompositeIndicator)
    if composite.slices is not None:
        return []
    return [member for member in composite.indicator.members if counts_silence(member)]


def selector(name: str, composite_id: str, member_id: str) -> str:
    return (f"{name}{{{LABEL_SLO_ID}={promql_string(composite_id)}, "
            f"{LABEL_MEMBER}={promql_string(member_id)}}}")


def resting_ids(composite: Slo, member_id: str, slos: Mapping[str, Slo]) -> list[str]:
    """The SLOs whose maintenance stops a member's silence counting: the composite and `resting_below` the member."""
    below = resting_below(member_id, slos)
    return [composite.id, *below] if composite.maintenance and composite.id not in below else below


def resting_below(member_id: str, slos: Mapping[str, Slo]) -> list[str]:
    """The member and every SLO under it that has maintenance windows: while one runs the member may have no ratio
    (a nested composite whose members all rest has none either), and that is no outage."""
    found: list[str] = []
    seen: set[str] = set()
    frontier = [member_id]
    while frontier:
        current = frontier.pop(0)
        if current in seen or current not in slos:
            continue
        seen.add(current)
        slo = slos[current]
        if slo.maintenance:
            found.append(current)
        if isinstance(slo.indicator, CompositeIndicator):
            frontier.extend(m.slo_id for m in slo.indicator.members)
    return found


def maintenance_of(ids: Sequence[str]) -> str:
    """A series while a maintenance window of any of `ids` runs (ids are names: no regex character needs escaping)."""
    if len(ids) == 1:
        return recorded(MAINTENANCE_ACTIVE, ids[0])
    return f"{MAINTENANCE_ACTIVE}{{{LABEL_SLO_ID}=~{promql_string('|'.join(ids))}}}"


def missing_since(composite: Slo, member: Member, slos: Mapping[str, Slo]) -> str:
    """`slo:member_missing_since:timestamp` of one member."""
    # `max`: the rule's labels name the series, so a relabelled rule's old series, still in the lookback, is one
    # value with the new, not a second series with the same labels.
    since = f"max({selector(MEMBER_MISSING_SINCE, composite.id, member.slo_id)})"
    expr = (f"(\n  {since}\n  or on ()\n  vector(time())\n)\n"
            f"unless on ()\n{recorded(error_ratio_rule(CURRENT_BURN_WINDOW), member.slo_id)}")
    resting = resting_ids(composite, member.slo_id, slos)
    if resting:
        expr += f"\nunless on ()\n{maintenance_of(resting)}"
    return expr


def no_data_seconds(composite: Slo, member: Member) -> str:
    """`slo:member_no_data:seconds` of one member (after `missing_since` in the same group: it reads this evaluation's)."""
    seconds = selector(MEMBER_NO_DATA_SECONDS, composite.id, member.slo_id)
    since = f"max({selector(MEMBER_MISSING_SINCE, composite.id, member.slo_id)})"
    # Counting already: the seconds since its previous evaluation. Just past the grace: the whole run so far, so an
    # outage counts from when the member's ratio went missing, not from the grace's end.
    go_on = f"(time() - max(timestamp({seconds})))\n    and on ()\n    (max({seconds}) > 0)"
    catch_up = f"time() - {since}"
    return (f"(\n  (\n    {go_on}\n  )\n  or on ()\n  ({catch_up})\n)\n"
            f"and on ()\n({since} <= time() - {GRACE})\n"
            f"or on ()\nvector(0)")


def share(composite_id: str, member_id: str, window: int, apart: bool = False) -> str:
    """The member's silent share of `window`: a number from 0 to 1, 0 before any evaluation recorded it.

    One label-less series: `sum` adds a relabelled rule's old series (still in the range) up with the new one.
    `apart`: a share per series instead, labels kept (a global view's clusters, which must not add up).
    """
    # A second short of the window: Prometheus 2.x ranges hold both ends, so `[1h]` on a minute grid would read
    # 61 evaluations (3 reads 60).
    seconds = f"sum_over_time({selector(MEMBER_NO_DATA_SECONDS, composite_id, member_id)}[{window - 1}s])"
    if not apart:
        seconds = f"sum({seconds})"
    return f"(clamp_max({seconds} / {window}, 1) or on () vector(0))"


def blend(known: str, silent: str) -> str:
    """The member's known ratio `known` (one series, its `slo_id` kept) over the rest of the window and 1 (bad) over
    the `silent` share (a label-less expression)."""
    return f"1 - (1 - ({known}))\n* on () group_left ()\n(1 - {silent})"


def replay(missing: Sequence[bool], times: Sequence[float]) -> list[float]:
    """`slo:member_no_data:seconds` at each evaluation, from whether the member's 5m ratio was missing there and
    counted (not idle, not in maintenance) and the evaluations' times: the two rules' arithmetic."""
    seconds: list[float] = []
    since: float | None = None
    previous: float | None = None
    for gone, at in zip(missing, times):
        unbroken = previous is not None and at - previous <= LOOKBACK
        since = (since if since is not None and unbroken else at) if gone else None
        if since is None or since > at - GRACE:
            seconds.append(0.0)
        elif unbroken and seconds[-1] > 0:
            seconds.append(at - previous)
        else:
            seconds.append(at - since)
        previous = at
    return seconds
