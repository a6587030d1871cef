"""A composite SLO's panels: its members' contributions, where its traffic panel would be.

A composite records no event rates (`slo:sli_events_*`): its error ratio is
computed from its members' recorded ratios. So its row plots what each
member adds instead (its Data panel reads its own error ratio, grafana_traffic).
"""

from __future__ import annotations

from decimal import Decimal

from ..core import composites
from ..core import conventions as c
from ..core.ir import CompositeIndicator, Program, Slo
from ..core.slices import current_window
from ..core.units import decimal_text, prom_window
from .grafana_panels import target, timeseries, worst_in_step

def members(slo: Slo) -> CompositeIndicator:
    assert isinstance(slo.indicator, CompositeIndicator)
    return slo.indicator


def member_window(member_id: str, program: Program | None) -> int:
    """The shortest window a member records its ratio over: 5m, or one slice of a slice SLO (core.slices)."""
    found = program.slo(member_id) if program is not None else None
    return c.CURRENT_BURN_WINDOW if found is None else current_window(found)


def contribution(slo: Slo, member_id: str, weight: Decimal, program: Program | None) -> str:
    """`weight * ratio` (sum) or `weight * ratio / member budget` (worst): what the member adds, per step at its worst."""
    window = member_window(member_id, program)
    member = program.slo(member_id) if program is not None else None
    if member is not None and composites.summed(member):
        # One line for the member, its groups' events added up as the composite's rules add them.
        ratio = f"({composites.summed_ratio(member, window)})".replace("\n", " ")
    else:
        ratio = worst_in_step(f'{c.error_ratio_rule(window)}{{{c.LABEL_SLO_ID}="{member_id}"}}')
    scale = "" if weight == 1 else f"{decimal_text(weight)} * "
    if members(slo).aggregate == "worst":
        if member is not None:
            return f"{scale}{ratio} / {decimal_text(member.error_budget)}"
    return f"{scale}{ratio}"


def members_panel(slo: Slo, program: Program | None, uid_of: dict[str, str]) -> dict:
    """Each member's weighted error ratio, stacked (sum), or weighted burn rate, side by side (worst).

    Stacked for `sum` because the stack's top is then the composite's own
    ratio; not for `worst`, whose value is the highest line, not a total.
    Panel links open each member's service dashboard.
    """
    indicator = members(slo)
    targets = [
        target(chr(ord("A") + index) if index < 26 else f"M{index}",
               contribution(slo, member.slo_id, member.weight, program),
               f"{member.slo_id} × {decimal_text(member.weight)}"
               + _over(member_window(member.slo_id, program)))
        for index, member in enumerate(indicator.members)
    ]
    if indicator.aggregate == "worst":
        panel = timeseries(
            "Members",
            targets,
            "suffix:x",
            "Each member's burn rate over 5m, one slice for a slice SLO (its error ratio over its own error"
            " budget), times its weight. The composite burns as fast as the highest line (aggregate = worst)."
            " A gap is a member without traffic (left out) or without series (counted as its when_no_data says).",
        )
    else:
        panel = timeseries(
            "Members",
            targets,
            "percentunit",
            "Each member's error ratio over 5m (one slice for a slice SLO) times its weight, stacked: the top"
            " of the stack is the composite's error ratio (capped at 100%). A gap is a member without traffic"
            " (left out) or without series (counted as its when_no_data says).",
            stacking={"group": "A", "mode": "normal"},
            fillOpacity=40,
        )
        panel["fieldConfig"]["defaults"]["min"] = 0
    links = []
    for member in indicator.members:
        uid = uid_of.get(member.slo_id)
        if uid is not None:
            links.append({"targetBlank": False, "title": f"{member.slo_id} dashboard",
                          "url": f"/d/{uid}?${{{c.GRAFANA_DATASOURCE_VAR}:queryparam}}"})
    panel["links"] = links
    return panel


def _over(window: int) -> str:
    """Nothing for the usual 5m; a slice member's window in its legend, since the stack mixes them then."""
    return "" if window == c.CURRENT_BURN_WINDOW else f" (over {prom_window(window)})"
