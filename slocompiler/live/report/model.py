"""The report as OUTPUTS.md's JSON object: per SLO, per owner and on-call rotation; every format renders this."""

from __future__ import annotations

import math
from ...core import calendar
from ...core.units import decimal_text
from .advice import advice, suggested
from .figures import STEP, Alerted, SloFigures
from .period import ReportPeriod

WORKDAY = (8, 20)  # local hours: a page starting outside [08:00, 20:00) is out of hours
UNITS = {"month": "months", "week": "weeks", "quarter": "quarters", None: "periods"}


def number(value: float | None) -> float | None:
    """A finite number to 12 significant digits (no float noise: 0.9998, not 0.9997999999999987), or null
    (OUTPUTS.md: JSON numbers are always finite)."""
    return None if value is None or not math.isfinite(value) else float(f"{value:.12g}")


def objective_number(value) -> float | None:
    """An exact decimal as the JSON number its text is: 0.999, never 0.9990000000000001."""
    return None if value is None else float(decimal_text(value))


def out_of_hours(t: int, zone: str) -> bool:
    """Whether a page starting at `t` started outside 08:00-20:00 local time in `zone`."""
    from datetime import datetime

    hour = datetime.fromtimestamp(t, calendar.zone_info(zone)).hour
    return not WORKDAY[0] <= hour < WORKDAY[1]


def weeks(period: ReportPeriod) -> list[tuple[int, str]]:
    """(start, `2026-W45`) of every ISO week (Monday 00:00 local) that the period reaches, oldest first."""
    first, _ = calendar.period_bounds("week", period.zone, period.start)
    starts = [first, *calendar.period_starts("week", period.zone, first + 1, period.end)]
    out = []
    for start in starts:
        year, week, _ = calendar.local_date(period.zone, start).isocalendar()
        out.append((start, f"{year}-W{week:02d}"))
    return out


def _page(page: Alerted) -> dict:
    return {"alert": ", ".join(page.alerts), "slo_id": page.slo_id, "start": page.start, "end": page.end}


def slo_entry(found: SloFigures, period: ReportPeriod) -> dict:
    """One SLO's object: the contract's keys, then `advice` and what its kind adds."""
    slo, service = found.slo, found.service
    history = [ratio for _, ratio in found.history]
    step = suggested([found.error_ratio, *history]) if found.history else None
    entry = {
        "slo_id": slo.id,
        "service": service.name,
        "owner": service.owner,
        "oncall": service.oncall,
        "objective": objective_number(slo.objective),
        "sla": objective_number(slo.sla),
        "sli": number(found.sli),
        "budget_spent": number(found.budget_spent),
        "met": found.met,
        "sla_met": found.sla_met,
        # After the contract's keys, `started_before`: firing as the period began, counted in the previous period.
        "incidents": [{"start": p.start, "end": p.end, "budget_spent": number(p.budget_spent),
                       "started_before": p.started_before} for p in found.pages],
        "pages": len(began(found.pages)),
        "tickets": len(found.tickets),
        "history": [{"from": earlier.start, "to": earlier.end, "sli": None if ratio is None else float(1 - ratio)}
                    for earlier, ratio in found.history],
        "suggested_objective": objective_number(step),
    }
    said = advice(slo.name, slo.objective, found.error_ratio, history, UNITS[period.unit])
    if said:
        entry["advice"] = said
    if found.reason:
        entry["no_data"] = found.reason
    if found.replay_error:
        entry["alerts_not_replayed"] = found.replay_error
    if slo.slices is not None and found.sli is not None:  # a slice SLO counts slices: how many of the period's were bad
        count = period.length // slo.slices.length
        entry["slices"] = {"length": slo.slices.length, "count": count, "bad": round(found.error_ratio * count)}
    if found.coverage:
        entry["coverage"] = {**found.coverage, "share": number(found.coverage["share"])}
    if found.calendar_periods:
        entry["periods"] = [{**p, "budget_spent": number(p["budget_spent"])} for p in found.calendar_periods]
    if found.members:
        entry["members"] = [{k: number(v) if isinstance(v, float) else v for k, v in m.items()} for m in found.members]
    return entry


def began(alerted: list[Alerted]) -> list[Alerted]:
    """The pages that began in the period: one already firing as it began is the previous period's."""
    return [a for a in alerted if not a.started_before]


def owners(found: list[SloFigures], period: ReportPeriod) -> list[dict]:
    """One object per owner and on-call rotation (services without either are `null`), in order of first appearance."""
    weeks_of = weeks(period)
    groups: dict[tuple, list[SloFigures]] = {}
    for item in found:
        groups.setdefault((item.service.owner, item.service.oncall), []).append(item)
    out = []
    for (owner, oncall), items in groups.items():
        pages = sorted((p for item in items for p in began(item.pages)), key=lambda p: (p.start, p.slo_id))
        per_week = []
        for i, (start, _) in enumerate(weeks_of):
            end = weeks_of[i + 1][0] if i + 1 < len(weeks_of) else period.end
            per_week.append(sum(start <= p.start < end for p in pages))
        late = [_page(p) for p in pages if out_of_hours(p.start, period.zone)]
        out.append({
            "owner": owner,
            "oncall": oncall,
            "pages": len(pages),
            "tickets": sum(len(item.tickets) for item in items),
            "pages_out_of_hours": len(late),
            # A page still firing at the period's last evaluation: noisy when the data past the end says it resolved
            # in time (`last_firing`); not when how long it fired is not known.
            "noisy_pages": [_page(p) for p in pages
                            if p.noisy and (p.end + STEP < period.end or p.last_firing is not None)],
            "pages_per_week": per_week,
            # After the contract's keys: which ISO week each count is, and the pages out of hours themselves.
            "weeks": [name for _, name in weeks_of],
            "out_of_hours": late,
        })
    return out


def report(found: list[SloFigures], period: ReportPeriod) -> dict:
    """The whole report as OUTPUTS.md shapes it (times in Unix seconds, ratios plain numbers)."""
    return {
        # After the contract's keys: the zone of --timezone and the period's name (`2026-W47`), for the renderers.
        "period": {"from": period.start, "to": period.end, "zone": period.zone, "name": period.title},
        "slos": [slo_entry(item, period) for item in found],
        "owners": owners(found, period),
    }


def burndowns(found: list[SloFigures]) -> dict[str, list[tuple[float, float]]]:
    """Each SLO's budget left over the period, for the HTML charts."""
    return {item.slo.id: item.burndown for item in found}
