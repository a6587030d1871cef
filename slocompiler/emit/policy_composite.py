"""The policy file's composite and maintenance fields, machine-readable.

`composite` lists a composite's members; `member_of` names, on every SLO,
the composites that list it, so `slo gate --slo <member>` can find the
journeys a member's release puts at risk without reading other files'
members. `maintenance` holds each window as data (Unix start or weekday
and local time, zone, duration, a cron line), never a computed next
occurrence: the file must not change with the day it is built.
"""

from __future__ import annotations

from ..core.ir import CompositeIndicator, Maintenance, Program, Service, Slo
from ..core.units import decimal_text, format_duration
from .maintenance_view import clock, cron, is_recurring, once_bounds, schedule_text, utc_text


def owner_service(slo_id: str, program: Program | None) -> str | None:
    """The service that defines an SLO id (ids like `a-b-c` cannot be split by eye)."""
    if program is None:
        return None
    for service in program.services:
        if any(slo.id == slo_id for slo in service.slos):
            return service.name
    return None


def composite_view(slo: Slo, program: Program | None) -> dict[str, object] | None:
    """`aggregate` and each member's id, service, weight and when_no_data; None for any other SLO."""
    if not isinstance(slo.indicator, CompositeIndicator):
        return None
    return {
        "aggregate": slo.indicator.aggregate,
        "members": [
            {"id": member.slo_id, "service": owner_service(member.slo_id, program),
             "weight": decimal_text(member.weight), "when_no_data": member.when_no_data}
            for member in slo.indicator.members
        ],
    }


def member_of(slo: Slo, program: Program | None) -> list[str]:
    """The ids of the composites that list this SLO as a member, sorted."""
    if program is None:
        return []
    return sorted(
        other.id
        for service in program.services
        for other in service.slos
        if isinstance(other.indicator, CompositeIndicator)
        and any(member.slo_id == slo.id for member in other.indicator.members)
    )


def maintenance_view(window: Maintenance, service: Service | None) -> dict[str, object]:
    """One window as data; `scope` says whether the service or the SLO itself set it."""
    scope = "service" if service is not None and window in service.maintenance else "slo"
    view: dict[str, object] = {
        "name": window.name,
        "scope": scope,
        "kind": "recurring" if is_recurring(window) else "once",
        "timezone": window.timezone,
        "duration_seconds": str(window.duration),
        "duration_text": format_duration(window.duration),
        "schedule": schedule_text(window),
        "start": None,
        "end": None,
        "every": None,
        "at": None,
        "cron": None,
    }
    if is_recurring(window):
        assert window.at is not None
        view.update(every=window.every, at=clock(window.at), cron=cron(window))
    else:
        start, end = once_bounds(window)
        view["start"] = {"unix": str(window.start), "utc": utc_text(start)}
        view["end"] = {"unix": str(window.start + window.duration), "utc": utc_text(end)}
    return view
