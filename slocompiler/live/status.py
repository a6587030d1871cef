"""`slo status`: each SLO's state as an aligned table, JSON (OUTPUTS.md's shape) or Markdown."""

from __future__ import annotations

import json

from ..core.ir import Program, Service, Slo
from ..core.units import decimal_text, percent_text, prom_window
from .options import format_time
from .periods import slo_window, window_name
from .readings import IDLE
from .state import GroupState, SloState
from .text import printable

SOURCE_TEXT = {
    "recorded": "recorded series (the deployed slo:* rules)",
    "raw": "the indicators' own series",
    "mixed": "recorded series where deployed, the indicators' own series elsewhere",
}


class SelectionError(Exception):
    """`--service` or `--slo` names nothing in the specs."""


def select(program: Program, services: tuple[str, ...], slo_ids: tuple[str, ...]) -> list[tuple[Service, Slo]]:
    """The SLOs `--service` and `--slo` pick (all when neither is given), in spec order."""
    from ..core.errors import did_you_mean

    all_services = {s.name for s in program.services}
    all_ids = {slo.id for s in program.services for slo in s.slos}
    for name in services:
        if name not in all_services:
            raise SelectionError(f'no service "{name}" in the specs{did_you_mean(name, all_services)}')
    for slo_id in slo_ids:
        if slo_id not in all_ids:
            raise SelectionError(f'no SLO "{slo_id}" in the specs{did_you_mean(slo_id, all_ids)}')
    return [(service, slo) for service in program.services for slo in service.slos
            if (not services or service.name in services) and (not slo_ids or slo.id in slo_ids)]


def number(value: float | None) -> float | None:
    """A figure for JSON: 12 significant digits, so Prometheus's float noise does not show."""
    return None if value is None else float(f"{value:.12g}")


def json_text(document) -> str:
    """JSON for stdout: never NaN or Infinity (a regression raises), and no character that can steer a terminal.

    json.dumps escapes the C0 controls; the other invisible characters (DEL, C1
    controls such as CSI, line separators, bidirectional overrides) can only
    occur inside strings, where `\\uXXXX` is the same text to a JSON reader.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    return "".join(ch if ch.isprintable() or ch == "\n" else _json_escape(ch) for ch in text) + "\n"


def _json_escape(ch: str) -> str:
    point = ord(ch)
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def group_json(state: SloState, group: GroupState) -> dict:
    """One object of `slo status --format json`."""
    slo = state.slo
    item = {
        "slo_id": slo.id,
        "service": state.service.name,
        "slo": slo.name,
        "group": dict(group.group),
        "objective": float(slo.objective),
        "window": window_name(slo, slo_window(slo)),
        "sli": number(group.sli),
        "error_budget_remaining": number(group.budget_remaining),
        "burn_rate": {window_name(slo, w): number(rate) for w, rate in sorted(group.burn.items())},
        # Each window whose ratio is unknown (its burn rate null; the SLO window's: sli and budget null too), and why.
        "no_data_windows": {window_name(slo, w): reason for w, reason in sorted(group.missing.items())},
        "alerts": [
            {"alert": a.alert, "severity": a.condition.severity, "long": prom_window(a.condition.long),
             "short": prom_window(a.condition.short), "burn": float(a.condition.burn), "firing": a.firing}
            for a in group.alerts
        ],
        "policy": [
            {"when": p.when, "action": p.rule.action, "blocks": list(p.rule.blocks), "applies": p.applies,
             "data": "ok" if p.has_data else "no_data"}
            for p in group.policy
        ],
        "data": "ok" if group.has_data else "no_data",
    }
    if state.period is not None:  # a calendar SLO: the period its sli and budget cover (docs/LIVE.md)
        item["period"] = state.period.json()
    if slo.maintenance:  # in maintenance now, or the next window (docs/LIVE.md, "Maintenance windows")
        item["maintenance"] = None if state.maintenance is None else {
            "name": state.maintenance.name, "start": state.maintenance.start, "end": state.maintenance.end,
            "now": state.maintenance.now, "quiet_until": state.maintenance.quiet_until}
    if slo.is_composite:  # each member's part of the SLO window's ratio (docs/LIVE.md, "Composite SLOs")
        item["aggregate"] = slo.indicator.aggregate
        item["members"] = [member_json(part) for part in group.members]
    return item


def member_json(part) -> dict:
    """One member of a composite in `slo status --format json`: its ratio, what it adds (`contribution`), its share."""
    return {"slo_id": part.slo_id, "weight": float(part.weight), "when_no_data": part.when_no_data,
            "ratio": number(part.ratio), "contribution": number(part.term), "share": number(part.share),
            **({"silent": number(part.silent)} if part.silent is not None else {}),
            **({"no_data": part.reason} if part.reason else {})}


def render_json(states: list[SloState]) -> str:
    """The contract's list, one object per SLO and group."""
    return json_text([group_json(s, g) for s in states for g in s.groups])


def percent(value: float | None, digits: int) -> str:
    """`99.95%`, or `-` without data."""
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def rate(value: float | None) -> str:
    """A burn rate to two decimals, or `-`."""
    return "-" if value is None else f"{value:.2f}"


def group_text(group: dict[str, str]) -> str:
    """`region=eu,zone=a`, or `-` for an SLO without group_by; values escaped by `printable`."""
    return ",".join(f"{name}={printable(value)}" for name, value in group.items()) or "-"


def rows(states: list[SloState]) -> list[list[str]]:
    """The table, header first: one row per SLO and group."""
    table = [["SLO", "GROUP", "OBJECTIVE", "SLI", "BUDGET LEFT", "BURN RATE", "FIRING", "POLICY"]]
    for state in states:
        for group in state.groups:
            # A window without data says so: "-" beside "no alert firing" would read as healthy.
            burns = " ".join(f"{window_name(state.slo, w)}:{'no data' if r is None else rate(r)}"
                             for w, r in sorted(group.burn.items()))
            firing = ", ".join(
                f"{a.condition.severity} {prom_window(a.condition.long)}/{prom_window(a.condition.short)}"
                + (": no data" if a.reason and not a.firing else "")
                for a in group.alerts if a.firing or a.reason
            )
            applying = "; ".join(p.when + ("" if p.has_data else ": no data") for p in group.policy
                                 if p.applies or not p.has_data)
            # The SLO window's ratio alone missing leaves SLI and budget without data, not the burn rates and
            # conditions of the windows that have it: a firing ticket must show (as in JSON). Only a group
            # without any figure reads "no data" throughout.
            known = any(r is not None for r in group.ratios.values())
            table.append([
                state.slo.id, group_text(group.group),
                f"{percent_text(state.slo.objective)} / {slo_window_text(state)}",
                percent(group.sli, 3) if group.has_data else "no data",
                percent(group.budget_remaining, 1) if group.has_data else "no data",
                *((burns, firing or "-", applying or "-") if known else ("no data",) * 3),
            ])
    return table


def slo_window_text(state: SloState) -> str:
    """The SLO window as the table's OBJECTIVE column names it: `7d`, or `calendar day (UTC)`."""
    return state.period.name if state.period is not None else prom_window(state.slo.window)


def period_notes(states: list[SloState]) -> list[str]:
    """Below the table, each calendar SLO's period: `checkout-daily: calendar day (UTC) so far, since 2023-11-23 00:00 UTC`."""
    return [f"{state.slo.id}: SLI and budget over the {state.period.since()}"
            for state in states if state.period is not None]


def maintenance_notes(states: list[SloState]) -> list[str]:
    """Below the table: `checkout-availability: in maintenance db-upgrade until ...`, or the next window."""
    notes = []
    for state in states:
        window = state.maintenance
        if window is None:
            continue
        name = printable(window.name)
        if window.now:
            notes.append(f"{state.slo.id}: in maintenance {name} until {format_time(window.end)} "
                         f"(its events count neither good nor bad; its alerts are quiet until {format_time(window.quiet_until)})")
        else:
            notes.append(f"{state.slo.id}: next maintenance {name} from {format_time(window.start)} "
                         f"to {format_time(window.end)}")
    return notes


def member_notes(states: list[SloState]) -> list[str]:
    """Below the table, each composite group's members: `journey-checkout: payments-availability 2 x 0.036% = 0.072% (61%), ...`."""
    notes = []
    for state in states:
        if not state.slo.is_composite:
            continue
        for group in state.groups:
            name = state.slo.id + ("" if not group.group else "{" + group_text(group.group) + "}")
            parts = ", ".join(_member_text(state, part) for part in group.members)
            notes.append(f"{name} ({state.slo.indicator.aggregate} of its members over "
                         f"{slo_window_text(state)}): {parts or 'no member'}")
    return notes


def _member_text(state: SloState, part) -> str:
    weight = decimal_text(part.weight)
    if part.ratio is None and part.reason == IDLE:
        return f"{printable(part.slo_id)} no traffic, left out"
    if part.ratio is None and part.term is None and part.when_no_data != "skip":
        return f"{printable(part.slo_id)} no data, in maintenance: left out"
    if part.ratio is None:
        counted = {"good": "counted good", "bad": "counted bad", "skip": "skipped"}[part.when_no_data]
        term = "" if part.term is None else f" = {percent(part.term, 3)}"
        return f"{printable(part.slo_id)} no data, {counted}{term}"
    share = "" if part.share is None else f" ({part.share * 100:.0f}%)"
    ratio = percent(part.ratio, 3)
    if part.silent:  # its silent time counted as when_no_data says (live/silence.py)
        ratio = f"({ratio}, silent {percent(part.silent, 3)} counted {part.when_no_data})"
    if state.slo.indicator.aggregate == "worst":
        return f"{printable(part.slo_id)} {ratio}, scaled {percent(part.term, 3)}{share}"
    return f"{printable(part.slo_id)} {weight} x {ratio} = {percent(part.term, 3)}{share}"


def render_text(states: list[SloState], at: float) -> str:
    """An aligned table for a terminal, with the time and the source above it, and calendar periods below."""
    table = rows(states)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [f"at {format_time(at)}, from {_sources(states)}"]
    for row in table:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return "\n".join(lines + period_notes(states) + member_notes(states) + maintenance_notes(states)) + "\n"


def _sources(states: list[SloState]) -> str:
    found = sorted({s.source for s in states})
    return SOURCE_TEXT[found[0]] if len(found) == 1 else SOURCE_TEXT["mixed"]


# Characters that start Markdown (or HTML) structure inside a line: links, images, emphasis, code, entities, tags.
MARKDOWN_PUNCTUATION = frozenset("\\`*_[]()<!&|~#")


def md_cell(text: str) -> str:
    """Text shown as itself inside a Markdown table cell: one line, every structural character backslash-escaped."""
    return "".join("\\" + ch if ch in MARKDOWN_PUNCTUATION else " " if ch in "\r\n" else ch for ch in text)


def render_markdown(states: list[SloState], at: float) -> str:
    """A Markdown table for a pull-request comment or a CI job summary."""
    table = rows(states)
    lines = [f"**SLO status** at {format_time(at)}, from {_sources(states)}", ""]
    lines.append("| " + " | ".join(table[0]) + " |")
    lines.append("|" + "|".join("---" for _ in table[0]) + "|")
    for row in table[1:]:
        lines.append("| " + " | ".join(md_cell(cell) for cell in row) + " |")
    notes = period_notes(states) + member_notes(states) + maintenance_notes(states)
    return "\n".join(lines + ([""] + ["- " + md_cell(note) for note in notes] if notes else [])) + "\n"
