"""The recording rules a composite SLO adds, and the windows its members record for it (docs/PROMETHEUS.md, "Composite SLOs").

A composite's SLI rules read its members' recorded series only: its ratio
over each window it records, its 5m burn rate; a slice composite its last
slice, then the slice rules any slice SLO has. A member records every window
its composites read (`Composites.extra`), in its own SLI group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..core import composites, maintenance, queries, silence
from ..core import conventions as c
from ..core.ir import Program, Service, Slo
from ..core.units import decimal_text


@dataclass(frozen=True)
class Composites:
    """What a service's rules need from the rest of the program: every SLO by id, and each member's extra windows
    (`extra` in its SLI group, for its composites' alerts; `extra_period` in its period group, for their period ratio)."""

    slos: dict[str, Slo] = field(default_factory=dict)
    extra: dict[str, frozenset[int]] = field(default_factory=dict)
    extra_period: dict[str, frozenset[int]] = field(default_factory=dict)

    def windows(self, slo: Slo, own: list[int]) -> list[int]:
        """An SLO's recorded windows: its `own`, and those composites read from it."""
        more = self.extra.get(slo.id)
        return own if not more else sorted(set(own) | more)


def of(program: Program, recorded_windows: Callable[[Service, Slo], list[int]]) -> Composites:
    """The program's composites' needs, given each SLO's own recorded windows; nothing when it has no composite."""
    slos = {slo.id: slo for service in program.services for slo in service.slos}
    if not any(slo.is_composite for slo in slos.values()):
        return Composites(slos)
    own = {slo.id: set(recorded_windows(service, slo)) for service in program.services for slo in service.slos}
    return Composites(slos, *composites.member_windows(program, own))


def _record(name: str, expr: str, labels: dict[str, str]) -> dict:
    return {"record": name, "expr": expr, "labels": dict(labels)}


def ratio_rules(slo: Slo, windows: list[int], labels: dict[str, str], known: Composites) -> list[dict]:
    """An event-style composite's error ratio for each window, then its 5m burn rate (and a calendar one's known ratio)."""
    rules = []
    for member in silence.members(slo):
        # First: this evaluation's ratios read them (core/silence.py).
        own = {**labels, c.LABEL_MEMBER: member.slo_id}
        rules.append(_record(c.MEMBER_MISSING_SINCE, silence.missing_since(slo, member, known.slos), own))
        rules.append(_record(c.MEMBER_NO_DATA_SECONDS, silence.no_data_seconds(slo, member), own))
    # Its own maintenance silences it: every window ratio is absent while one runs (its members' events in it
    # still count after it; only their own windows leave those out: lang/composites.py warns).
    rules += [_record(c.error_ratio_rule(window),
                     maintenance.outside(slo, composites.window_ratio(slo, known.slos, window)), labels)
             for window in windows]
    current = queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    # As for an expr SLO, which counts no events either: what dashboards show as data, and a calendar
    # composite's period ratio averages (its labelled copy).
    rules.append(_record(c.known_ratio_rule(c.CURRENT_BURN_WINDOW), f"{current} >= 0", labels))
    rules.append(_record(c.CURRENT_BURN_RATE, f"{current} / {decimal_text(slo.error_budget)}", labels))
    return rules
