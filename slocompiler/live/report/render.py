"""The report as text, Markdown and JSON, each from the one JSON object `model.report` builds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from ...core import calendar
from ...core.units import human_duration, percent_text
from ..text import markdown as _markdown
from ..text import printable
from .advice import share_text, sli_text
from .period import ReportPeriod

STEP = 60


def to_json(report: dict) -> str:
    """The contract's object, strict JSON (no NaN)."""
    return json.dumps(report, indent=2, allow_nan=False) + "\n"


def _objective(value: float | None) -> str:
    return "-" if value is None else percent_text(Decimal(repr(value)))


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _when(t: int, zone: str, date_too: bool = True) -> str:
    return f"{datetime.fromtimestamp(t, calendar.zone_info(zone)):{'%Y-%m-%d %H:%M' if date_too else '%H:%M'}}"


BEFORE = "firing since before the period: counted in the previous one"  # an incident's `started_before`


def _stretch(item: dict, zone: str) -> str:
    """`2026-11-10 14:01 to 14:25 (25m)`: first and last evaluation firing, and the firing time."""
    same_day = _when(item["start"], zone)[:10] == _when(item["end"], zone)[:10]
    return (f"{_when(item['start'], zone)} to {_when(item['end'], zone, not same_day)} "
            f"({human_duration(item['end'] - item['start'] + STEP)}){f' ({BEFORE})' if item.get('started_before') else ''}")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def _slo_row(entry: dict, clean: Callable[[str], str]) -> list[str]:
    return [clean(entry["slo_id"]), clean(entry["owner"] or "-"), _objective(entry["objective"]),
            _objective(entry["sla"]), sli_text(entry["sli"]), share_text(entry["budget_spent"]),
            _yes(entry["met"]), _yes(entry["sla_met"]), str(entry["pages"]), str(entry["tickets"]),
            _objective(entry["suggested_objective"])]


SLO_HEADER = ["SLO", "OWNER", "OBJECTIVE", "SLA", "SLI", "BUDGET SPENT", "MET", "SLA MET", "PAGES", "TICKETS",
              "SUGGESTED"]
OWNER_HEADER = ["OWNER", "ON-CALL", "PAGES", "TICKETS", "OUT OF HOURS", "NOISY", "PAGES PER WEEK"]


def _owner_row(entry: dict, clean: Callable[[str], str]) -> list[str]:
    weeks = " ".join(f"{name[5:]}:{count}" for name, count in zip(entry["weeks"], entry["pages_per_week"]))
    return [clean(entry["owner"] or "-"), clean(entry["oncall"] or "-"), str(entry["pages"]), str(entry["tickets"]),
            str(entry["pages_out_of_hours"]), str(len(entry["noisy_pages"])), weeks]


def _heading(report: dict, period: ReportPeriod) -> str:
    if period.unit is None:
        return f"SLO report {period.title}"
    return (f"SLO report {period.title}: {_when(period.start, period.zone)} to {_when(period.end, period.zone)} "
            f"{period.zone}")


def _history(entry: dict, period: ReportPeriod) -> str:
    """`2024-06 99.98%, 2024-07 99.98%`: each previous period by its name."""
    return ", ".join(f"{ReportPeriod(h['from'], h['to'], period.zone, period.unit).name} {sli_text(h['sli'])}"
                     for h in entry["history"])


def notes(entry: dict, zone: str) -> list[str]:
    """What the tables do not say of one SLO: why it has no figure, why its alerts were not replayed, a calendar
    SLO's own periods, a composite's members (text, Markdown and HTML list them)."""
    notes = []
    if entry.get("no_data"):
        notes.append(f"no data over the period: {entry['no_data']}")
    if entry.get("coverage"):
        part = entry["coverage"]
        notes.append(f"data from {_when(part['from'], zone)} to {_when(part['to'], zone)} only, "
                     f"{share_text(part['share'])} of the period: its figures are of that part")
    if entry.get("alerts_not_replayed"):
        notes.append(f"alerts not replayed: {entry['alerts_not_replayed']}")
    for p in entry.get("periods", []):
        state = "" if p["complete"] else " (so far)"
        notes.append(f"own period from {_when(p['start'], zone)}: budget spent {share_text(p['budget_spent'])}{state}")
    for m in entry.get("members", []):
        silent = f", silent {share_text(m['silent'])} of the minutes (counted {m['when_no_data']})" \
            if m.get("silent") else ""
        notes.append(f"member {m['slo_id']} (weight {m['weight']:g}): error ratio "
                     f"{'-' if m['ratio'] is None else format(m['ratio'], '.6g')}{silent}, share of the composite's "
                     f"{share_text(m['share'])}")
    return notes


def to_text(report: dict, period: ReportPeriod) -> str:
    """Aligned tables for a terminal or an email."""
    zone = period.zone
    clean = printable
    lines = [_heading(report, period), ""]
    lines += _table(SLO_HEADER, [_slo_row(e, clean) for e in report["slos"]])
    incidents = [(e, i) for e in report["slos"] for i in e["incidents"]]
    lines += ["", "Incidents (intervals in which a page fired):" if incidents else "Incidents: none (no page fired)"]
    for entry, incident in incidents:
        lines.append(f"  {clean(entry['slo_id'])}  {_stretch(incident, zone)}  budget spent "
                     f"{share_text(incident['budget_spent'])}")
    said = [e for e in report["slos"] if e.get("advice")]
    if said:
        lines += ["", "Advice:"] + [f"  - {clean(e['slo_id'])}: {clean(e['advice'])}" for e in said]
    if any(e["history"] for e in report["slos"]):
        lines += ["", "SLI in the previous periods:"]
        lines += [f"  {clean(e['slo_id'])}: {_history(e, period)}" for e in report["slos"] if e["history"]]
    noted = [(e, n) for e in report["slos"] for n in notes(e, zone)]
    if noted:
        lines += ["", "Notes:"] + [f"  {clean(e['slo_id'])}: {clean(n)}" for e, n in noted]
    lines += ["", "Owners and on-call rotations:"]
    lines += _table(OWNER_HEADER, [_owner_row(o, clean) for o in report["owners"]])
    for owner in report["owners"]:
        for key, what in (("out_of_hours", "out of hours"), ("noisy_pages", "noisy")):
            for page in owner[key]:
                lines.append(f"  {clean(owner['owner'] or '-')} {what}: {_stretch(page, zone)}  "
                             f"{clean(page['slo_id'])}  {clean(page['alert'])}")
    return "\n".join(lines) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def to_markdown(report: dict, period: ReportPeriod) -> str:
    """Tables for a wiki page or a pull-request comment; every text from a spec or a server escaped (never Markdown
    structure), and the same text the text format shows (`printable`: a newline is `\\n`, a backslash `\\\\`).
    The report's own words, times and figures, and SLO names (identifiers) in advice, are written as they are."""
    zone = period.zone

    def markdown(value: str) -> str:
        return _markdown(printable(value))

    lines = [f"# {_heading(report, period)}", ""]  # our own words, numbers and an IANA zone name
    lines += _md_table(SLO_HEADER, [_slo_row(e, markdown) for e in report["slos"]])
    incidents = [(e, i) for e in report["slos"] for i in e["incidents"]]
    lines += ["", "## Incidents", ""]
    if incidents:
        lines += _md_table(["SLO", "fired", "budget spent"],
                           [[markdown(e["slo_id"]), _stretch(i, zone), share_text(i["budget_spent"])]
                            for e, i in incidents])
    else:
        lines.append("No page fired.")
    said = [e for e in report["slos"] if e.get("advice")]
    if said:
        lines += ["", "## Advice", ""] + [f"- `{e['slo_id']}`: {e['advice']}" for e in said]
    if any(e["history"] for e in report["slos"]):
        lines += ["", "## SLI in the previous periods", ""]
        lines += [f"- `{e['slo_id']}`: {_history(e, period)}" for e in report["slos"] if e["history"]]
    noted = [(e, n) for e in report["slos"] for n in notes(e, zone)]
    if noted:
        lines += ["", "## Notes", ""] + [f"- `{e['slo_id']}`: {markdown(n)}" for e, n in noted]
    lines += ["", "## Owners and on-call rotations", ""]
    lines += _md_table(OWNER_HEADER, [_owner_row(o, markdown) for o in report["owners"]])
    listed = [(o, what, p) for o in report["owners"]
              for key, what in (("out_of_hours", "out of hours"), ("noisy_pages", "noisy")) for p in o[key]]
    if listed:
        lines.append("")
        lines += [f"- {markdown(o['owner'] or '-')}, {what}: {_stretch(p, zone)}, `{p['slo_id']}`, "
                  f"{markdown(p['alert'])}" for o, what, p in listed]
    return "\n".join(lines) + "\n"
