"""`slo report --format html`: the report as one self-contained HTML file (OUTPUTS.md, "Reports").

No script, no external style, font, image or link: inline CSS (with a print
layout, black on white) and inline SVG charts. Python turns the report's
JSON object into plain text and coordinates (charts.py); the template
(templates/report/report.html.j2, autoescaped) only lays them out, so every
string from a spec reaches the page as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal

from ...core import calendar
from ...emit.render import render
from ..text import printable
from . import charts
from .render import BEFORE
from .render import notes as slo_notes

TEMPLATE = "report/report.html.j2"
# Percentages keep up to this many decimals: 99.95%, 99.9999%; never float noise.
PERCENT_PLACES = Decimal("0.0001")
NONE = "-"


def percent(ratio: float | int | None) -> str:
    """0.9995 -> `99.95%`; 1.25 -> `125%`. A value near 0% or 100% but not on it never rounds onto it."""
    if ratio is None:
        return NONE
    exact = Decimal(repr(float(ratio))) * 100
    shown = exact.quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)
    if shown in (0, 100) and shown != exact:
        # 99.99999% is not 100%: round away from the boundary instead.
        shown = exact.quantize(PERCENT_PLACES, rounding=ROUND_DOWN if exact < shown else ROUND_UP)
    text = format(shown, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return ("0" if text == "-0" else text) + "%"


def iso(seconds: float | int, zone: str = "UTC") -> str:
    """A Unix time in ISO 8601, in UTC (`2026-11-02T14:02:00Z`) or the report's `--timezone` (`...T15:02:00+01:00`)."""
    if zone == "UTC":
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(seconds, tz=calendar.zone_info(zone)).isoformat()


def day(seconds: float | int, zone: str = "UTC") -> str:
    """A Unix time for a heading, in the report's zone: `2026-11-02 14:02 UTC`, or the date alone at midnight."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc if zone == "UTC" else calendar.zone_info(zone))
    return moment.strftime("%Y-%m-%d" if (moment.hour, moment.minute, moment.second) == (0, 0, 0) else
                           f"%Y-%m-%d %H:%M {zone}")


def yes_no(value: bool | None) -> str:
    """`yes`, `no`, or `-` when there is nothing to meet (an SLO without an SLA)."""
    return NONE if value is None else ("yes" if value else "no")


def text(value: object) -> str:
    """A spec's string as the text format shows it (`printable`: one line, a newline as `\\n`), or `-` for none;
    numbers as they are. The template's autoescaping then makes it HTML."""
    return NONE if value is None else printable(value) if isinstance(value, str) else str(value)


def _noisy(value: object, zone: str = "UTC") -> tuple[str, list[str]]:
    """`noisy_pages` as a count and one line per page, whether the report gives a number or the pages themselves."""
    if value is None or isinstance(value, (bool, int, float)):
        return text(value), []
    pages = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    return str(len(pages)), [_describe(page, zone) for page in pages]


def _describe(page: object, zone: str = "UTC") -> str:
    """One noisy page in words: its alert first, times in the report's zone."""
    if not isinstance(page, Mapping):
        return str(page)
    parts = [str(page["alert"])] if "alert" in page else []
    for key, value in page.items():
        if key == "alert":
            continue
        shown = iso(value, zone) if key in ("start", "end") and isinstance(value, (int, float)) else text(value)
        parts.append(f"{key} {shown}")
    return ", ".join(parts)


def _slo_view(index: int, slo: Mapping, start: float, end: float, burndown: Sequence[tuple[float, float]],
              zone: str = "UTC") -> dict:
    incidents = slo.get("incidents") or []
    return {
        "anchor": f"slo-{index}",
        "slo_id": text(slo["slo_id"]),
        "service": text(slo.get("service")),
        "owner": text(slo.get("owner")),
        "oncall": text(slo.get("oncall")),
        "objective": percent(slo.get("objective")),
        "sla": percent(slo.get("sla")),
        "sli": percent(slo.get("sli")) if slo.get("sli") is not None else "no data",
        "budget_spent": percent(slo.get("budget_spent")),
        "met": yes_no(slo.get("met")),
        "sla_met": yes_no(slo.get("sla_met")),
        "missed": slo.get("met") is False,
        "pages": text(slo.get("pages")),
        "tickets": text(slo.get("tickets")),
        "suggested_objective": percent(slo.get("suggested_objective")),
        "incidents": [
            {"start": iso(i["start"], zone), "end": iso(i["end"], zone), "budget_spent": percent(i.get("budget_spent")),
             "before": BEFORE if i.get("started_before") else ""} for i in incidents
        ],
        "history": [
            {"from": day(h["from"], zone), "to": day(h["to"], zone), "sli": percent(h.get("sli")) if h.get("sli") is not None else "no data"}
            for h in slo.get("history") or []
        ],
        "advice": text(slo["advice"]) if slo.get("advice") else "",
        "notes": [text(note) for note in slo_notes(slo, zone)],
        "chart": charts.burndown(start, end, burndown, [(i["start"], i["end"]) for i in incidents], zone),
    }


def _owner_view(owner: Mapping, zone: str = "UTC") -> dict:
    weeks = [int(n) for n in owner.get("pages_per_week") or []]
    noisy, noisy_pages = _noisy(owner.get("noisy_pages"), zone)
    late = [_describe(page, zone) for page in owner.get("out_of_hours") or []]
    # The ISO weeks by name (`W47`, from `weeks`: 2026-W47) where the report gives them, else their order.
    names = [str(name).rsplit("-", 1)[-1] for name in owner.get("weeks") or []]
    if len(names) != len(weeks):
        names = [str(i + 1) for i in range(len(weeks))]
    return {
        "owner": text(owner.get("owner")),
        "oncall": text(owner.get("oncall")),
        "pages": text(owner.get("pages")),
        "tickets": text(owner.get("tickets")),
        "out_of_hours": text(owner.get("pages_out_of_hours")),
        "noisy": noisy,
        "noisy_pages": noisy_pages,
        "out_of_hours_pages": late,
        "weeks": [{"week": name, "pages": str(n)} for name, n in zip(names, weeks)],
        "chart": charts.bars(weeks, names) if weeks else None,
    }


def view(report: Mapping, burndown: Mapping[str, Sequence[tuple[float, float]]]) -> dict:
    """The template's model: every figure as the text it shows, every chart as coordinates."""
    start, end = report["period"]["from"], report["period"]["to"]
    zone = report["period"].get("zone") or "UTC"  # every time shown: tables, headings, the charts' axes
    return {
        "period": {"from": day(start, zone), "to": day(end, zone), "from_iso": iso(start), "to_iso": iso(end),
                   "zone": zone, "name": text(report["period"].get("name") or "")},
        "slos": [_slo_view(i + 1, slo, start, end, burndown.get(slo["slo_id"], ()), zone)
                 for i, slo in enumerate(report["slos"])],
        "owners": [_owner_view(owner, zone) for owner in report.get("owners") or []],
    }


def render_html(report: dict, burndown: dict[str, list[tuple[float, float]]]) -> str:
    """The report as one HTML document: a summary table, a section per SLO with its burn-down, one per owner."""
    return render(TEMPLATE, **view(report, burndown))
