"""A composite member's silence in the live commands: its share of a window, as the rules count it (core/silence.py).

Recorded figures read the composite's deployed `slo:member_no_data:seconds`
(`deployed`). Raw figures and replays have no such series: they replay the
two rules over the member's own 5m ratio, one evaluation a minute on the
minutes up to the time they read (`raw_shares`, `seconds`), from the window
and the grace before it, as if the rules had run all along. A command reads
each minute of a member's 5m ratio once (`present_at`), however many
windows replay it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from ..core import silence
from ..core.composites import counted
from ..core.ir import Member, Program, Slo
from ..core.slices import current_window
from .client import Prometheus, Series
from .composite import CompositeError, Rests, resting_at, rests

STEP = 60  # the rules' evaluation interval
# How far before a window the member's 5m ratio is read: the run's start and its grace.
BEFORE = silence.GRACE + silence.LOOKBACK

# A composite's and its nested composites' members' silent shares of one window: PromQL (`vector(<share>)`), or None.
Silent = Callable[[Slo, Member], "str | None"]


def counting(slo: Slo) -> list[Member]:
    """The members whose silence counts in the composite's windows longer than 5m (none for other SLOs)."""
    return silence.members(slo) if slo.is_composite else []


def deployed(slo: Slo, member: Member, window: int) -> str:
    """The member's silent share of `window`, from the composite's deployed series: one per cluster behind a
    global view (`state._in_group` picks the group's)."""
    return silence.share(slo.id, member.slo_id, window, apart=True)


def resting(program: Program, slo: Slo, member: Member) -> Rests:
    """The maintenance windows (with their pads) during which the member's silence does not count: the composite's
    own, and those a member without series rests with (`composite.rests`), as `silence.resting_ids` says."""
    own = [(slo.maintenance, current_window(slo))] if slo.maintenance else []
    member_slo = program.slo(member.slo_id)
    return own + (rests(program, member_slo) if member_slo is not None else [])


def seconds(present: list[bool], times: list[int], rest: Rests) -> list[float]:
    """`slo:member_no_data:seconds` at each evaluation, from whether the member's 5m ratio was there."""
    return silence.replay(_missing(present, times, rest), times)


def _missing(present: list[bool], times: list[int], rest: Rests) -> list[bool]:
    return [not here and not resting_at(rest, t) for here, t in zip(present, times)]


def shares(values: list[float], times: list[int], window: int) -> list[float]:
    """At each time t, the silent seconds at the evaluations within (t - window, t] over the window, at most 1."""
    out, total, first = [], 0.0, 0
    for index, t in enumerate(times):
        total += values[index]
        while times[first] <= t - window:
            total -= values[first]
            first += 1
        out.append(min(1.0, total / window))
    return out


@dataclass
class _Read:
    """The minutes a member's 5m ratio was found at, read from `start` to the grid's last minute."""

    start: int | None = None
    found: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Per client (one command): its windows replay the same minutes back from the same time, the longest (a month
# of 1m points for an SLO window of 30d) holding the others, so each minute is read once.
_reads: weakref.WeakKeyDictionary[Prometheus, dict[tuple[str, int], _Read]] = weakref.WeakKeyDictionary()
_reads_lock = threading.Lock()


def present_at(client: Prometheus, expr: str, times: list[int]) -> list[bool]:
    """Whether `expr` (a member's 5m ratio) has a sample, NaN included, at each of `times` (a step of STEP)."""
    with _reads_lock:
        read = _reads.setdefault(client, {}).setdefault((expr, times[-1]), _Read())
    with read.lock:
        if read.start is None or times[0] < read.start:
            end = times[-1] if read.start is None else read.start - STEP

            def consume(part: list[Series]) -> None:
                for series in part:
                    read.found.update(int(t) for t, _ in series.points)

            client.query_range_each(expr, times[0], end, STEP, consume)
            read.start = times[0]
    return [t in read.found for t in times]


def missing_share(client: Prometheus, program: Program, slo: Slo, member: Member, times: list[int],
                  ratio_5m: Callable[[Slo], str]) -> float:
    """The share of `times` (whole minutes) at which the member's 5m ratio was missing outside maintenance: where
    the composite's 5m ratio counts it as `when_no_data` says, with no grace (a report's SLI averages that ratio)."""
    member_slo = program.slo(member.slo_id)
    if member_slo is None or not times:
        return 0.0
    try:
        expr = ratio_5m(counted(member_slo))
    except CompositeError:  # a composite of time slices: no 5m ratio from raw series
        return 0.0
    present = present_at(client, expr, times)
    return sum(_missing(present, times, resting(program, slo, member))) / len(times)


def raw_shares(client: Prometheus, program: Program, slo: Slo, window: int, at: float,
               ratio_5m: Callable[[Slo], str]) -> dict[str, float]:
    """Each counting member's silent share of `window` at `at`, replayed from its 5m ratio (`ratio_5m(member SLO)`)."""
    members = counting(slo)
    if not silence.counts_over(window) or not members:
        return {}
    last = int(at)
    times = list(range(last - (window + BEFORE) // STEP * STEP, last + 1, STEP))

    def one(member: Member) -> float:
        member_slo = program.slo(member.slo_id)
        if member_slo is None:
            return 0.0
        try:
            expr = ratio_5m(counted(member_slo))
        except CompositeError:  # a composite of time slices has no 5m ratio from raw series to replay
            return 0.0
        present = present_at(client, expr, times)
        return shares(seconds(present, times, resting(program, slo, member)), times, window)[-1]

    return dict(zip((m.slo_id for m in members), client.map(one, members)))


def raw_silent(client: Prometheus, program: Program, slo: Slo, window: int, at: float,
               ratio_5m: Callable[[Slo], str]) -> Silent | None:
    """`Silent` for a composite and the composites under it over `window` at `at`; None when none counts silence."""
    found: dict[tuple[str, str], float] = {}
    seen: set[str] = set()
    frontier = [slo]
    while frontier:
        current = frontier.pop()
        if current.id in seen or not current.is_composite:
            continue
        seen.add(current.id)
        for member_id, share in raw_shares(client, program, current, window, at, ratio_5m).items():
            found[(current.id, member_id)] = share
        frontier.extend(found_slo for m in current.indicator.members
                        if (found_slo := program.slo(m.slo_id)) is not None)
    if not found:
        return None
    return lambda composite, member: (None if (composite.id, member.slo_id) not in found
                                      else f"vector({found[(composite.id, member.slo_id)]!r})")
