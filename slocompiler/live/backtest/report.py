"""`slo backtest` reports: json (the contract's shape), an aligned text table, markdown."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timezone

from ...core.units import decimal_text, human_duration, prom_window
from ..text import markdown, printable
from .model import INCIDENT_WINDOW, Fired, Incident, Replay
from .replay import longest_seconds, total_seconds


def when(seconds: int) -> str:
    """A Unix time as people read it in a report: `2026-11-02 14:02` (UTC; seconds only when not whole minutes)."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds % 60 else "%Y-%m-%d %H:%M")


def span(seconds: int | None) -> str:
    """`2m`, `1h4m`; `-` for none."""
    return "-" if seconds is None else human_duration(seconds)


def title(replay: Replay) -> str:
    """`checkout-availability` or `checkout-availability {region="eu"}`: one line, whatever the server's label values hold."""
    return replay.slo_id + (" " + _group(replay) if replay.group else "")


def markdown_title(replay: Replay) -> str:
    """The title for a Markdown heading: the id as code, the group as plain text (never Markdown)."""
    return f"`{replay.slo_id}`" + (" " + markdown(_group(replay)) if replay.group else "")


def _group(replay: Replay) -> str:
    # Quoted as Prometheus quotes label values: escaped by `printable`, and a `"` inside one is `\"`.
    return "{" + ", ".join(f'{k}="' + printable(v).replace('"', '\\"') + '"' for k, v in replay.group.items()) + "}"


def to_json(replays: Sequence[Replay]) -> str:
    """The contract's list, one object per SLO (per group value with `group_by`, which adds `group`)."""
    out = []
    for replay in replays:
        item: dict = {"slo_id": replay.slo_id}
        if replay.group:
            item["group"] = dict(replay.group)
        item.update({
            "from": replay.start,
            "to": replay.end,
            "step": replay.step,
            "alerts": [
                {"alert": f.alert, "severity": f.severity, "long": prom_window(f.long or 0),
                 "short": prom_window(f.short or 0), "fired": [[a, b] for a, b in f.intervals],
                 "min_failures": f.min_failures,
                 "withheld_by_min_failures": [{"start": w.start, "end": w.end, "failures": _count(w.failures)}
                                              for w in f.withheld]}
                for f in replay.conditions
            ],
            "error_budget_remaining_at_end": _number(replay.budget_remaining),
        })
        over = f"the {replay.period_name} in progress" if replay.period_name else prom_window(replay.window)
        if item["error_budget_remaining_at_end"] is None:  # null, and why (OUTPUTS.md: JSON numbers are finite)
            item["error_budget_remaining_at_end_reason"] = (f"no figure over {over} at the end "
                                                            "(no traffic, no series, or not a number)")
        if replay.period_name:  # a calendar SLO: the budget of each period, reset at each start (docs/BACKTEST.md)
            item["period"] = replay.period_name
            item["periods"] = [{"start": p.start, "end": p.end, "error_budget_remaining": _number(p.budget_remaining),
                                "complete": p.complete} for p in replay.periods]
        out.append(item)
    return json.dumps(out, indent=2, allow_nan=False) + "\n"


def failures_text(value: float) -> str:
    """A failure count as the rules estimate it, to two places: `0.83`, `12`."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _count(value: float) -> float | int:
    number = float(failures_text(value)) if math.isfinite(value) else 0.0
    return int(number) if number == int(number) else number


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def summary(replay: Replay) -> dict:
    """The figures both the table and a comparison show."""
    step = replay.step
    return {
        "pages": len(replay.pages),
        "pages_total": total_seconds(replay.pages, step),
        "pages_longest": longest_seconds(replay.pages, step),
        "tickets": len(replay.tickets),
        "tickets_total": total_seconds(replay.tickets, step),
        "tickets_longest": longest_seconds(replay.tickets, step),
        "incidents": len(replay.incidents),
        "missed": sum(i.detected is None for i in replay.incidents),
        "noise": len(replay.noise),
        "saved": len(replay.saved),
        "budget": replay.budget_remaining,
    }


def percent(value: float | None) -> str:
    """0.623 -> `62.3%`; `no data`."""
    if value is None or math.isnan(value):
        return "no data"
    return f"{value * 100:.1f}%"


def _alert_rows(fired: Sequence[Fired], step: int) -> list[list[str]]:
    return [[f.alert, f.label, str(len(f.intervals)), span(total_seconds(f.intervals, step)),
             span(longest_seconds(f.intervals, step))] for f in fired]


def _incident_rows(incidents: Sequence[Incident], step: int) -> list[list[str]]:
    rows = []
    for i in incidents:
        end = "ongoing" if i.ongoing else when(i.end)
        detected = "missed" if i.detected is None else span(i.detected)
        reset = "-" if i.reset is None else span(i.reset)
        rows.append([when(i.start), end, span(i.end - i.start + step), f"{i.peak_burn:.4g}x", detected, reset])
    return rows


ALERT_HEADER = ["alert", "rule", "fired", "total", "longest"]
CONDITION_HEADER = ["alert", "condition", "fired", "total", "longest"]
INCIDENT_HEADER = ["incident", "until", "lasted", "peak burn", "detected", "reset"]
WITHHELD_HEADER = ["withheld", "until", "lasted", "failures", "min_failures", "then"]


def _withheld_rows(replay: Replay) -> list[list[str]]:
    # Per rule: a stretch that runs into the rule's own firing was a late alert; else none was sent.
    rows = []
    for f in replay.rules:
        for w in f.withheld:
            later = any(a <= w.end + replay.step and w.start <= b + replay.step for a, b in f.intervals)
            rows.append([f.label, when(w.start), when(w.end), span(w.end - w.start + replay.step),
                         failures_text(w.failures), str(f.min_failures), "sent later" if later else "not sent"])
    return [[f"{row[0]} {row[1]}", *row[2:]] for row in rows]


def _saved_line(replay: Replay) -> str:
    saved = replay.saved
    line = f"min_failures withheld {len(saved)} page(s) the burn-rate pairs alone would have sent"
    if saved:
        line += f" (at most {failures_text(max(w.failures for w in saved))} failures each)"
    return line


def headline(replay: Replay) -> list[str]:
    """The lines above an SLO's tables: range, pages, tickets, incidents, noise, budget."""
    s = summary(replay)
    lines = [
        f"{when(replay.start)} to {when(replay.end)} UTC, every {prom_window(replay.step)}",
        f"pages {s['pages']} (firing {span(s['pages_total'])}, longest {span(s['pages_longest'])}); "
        f"tickets {s['tickets']} (firing {span(s['tickets_total'])}, longest {span(s['tickets_longest'])})",
    ]
    if replay.no_data:
        lines.append(f"no data: the NoData ticket fired {len(replay.no_data)} time(s), for "
                     f"{span(total_seconds(replay.no_data, replay.step))} in all")
    if replay.incident_burn is None:
        lines.append("no page condition, so no incidents are measured")
    else:
        lines.append(f"incidents {s['incidents']} (burn above {decimal_text(replay.incident_burn)}x over {prom_window(INCIDENT_WINDOW)}), "
                     f"missed {s['missed']}; noise pages {s['noise']}")
    if any(f.min_failures for f in replay.rules if f.severity == "page"):
        lines.append(_saved_line(replay))
    if replay.period_name:
        lines.append(f"error budget remaining at the end: {percent(s['budget'])} (the {replay.period_name} so far)")
        lines.append(f"error budget remaining per {replay.period_name}, reset at each start: " + ", ".join(
            f"{p.label} {percent(p.budget_remaining)}" + ("" if p.complete else " (so far)") for p in replay.periods))
    else:
        lines.append(f"error budget remaining at the end: {percent(s['budget'])}")
    return lines


def _aligned(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def _joined(replay: Replay) -> bool:
    return len(replay.rules) != len(replay.conditions)


def to_text(replays: Sequence[Replay]) -> str:
    """An aligned table per SLO, for a terminal."""
    out: list[str] = []
    for replay in replays:
        out.append(title(replay))
        out += ["  " + line for line in headline(replay)]
        if replay.rules:
            out += _aligned(ALERT_HEADER, _alert_rows(replay.rules, replay.step))
        if _joined(replay):
            out += _aligned(CONDITION_HEADER, _alert_rows(replay.conditions, replay.step))
        if replay.incidents:
            out += _aligned(INCIDENT_HEADER, _incident_rows(replay.incidents, replay.step))
        if _withheld_rows(replay):
            out += _aligned(WITHHELD_HEADER, _withheld_rows(replay))
        if replay.noise:
            out.append("  noise pages: " + ", ".join(f"{when(a)} ({span(b - a + replay.step)})" for a, b in replay.noise))
        out.append("")
    return "\n".join(out)


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured table; `|` in a cell is escaped."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]


def to_markdown(replays: Sequence[Replay]) -> str:
    """A section per SLO, for a pull-request comment or a CI job summary."""
    out = ["# Backtest", ""]
    for replay in replays:
        out += [f"## {markdown_title(replay)}", ""]
        out += [f"- {line}" for line in headline(replay)] + [""]
        if replay.rules:
            out += markdown_table(ALERT_HEADER, _alert_rows(replay.rules, replay.step)) + [""]
        if _joined(replay):
            out += markdown_table(CONDITION_HEADER, _alert_rows(replay.conditions, replay.step)) + [""]
        if replay.incidents:
            out += markdown_table(INCIDENT_HEADER, _incident_rows(replay.incidents, replay.step)) + [""]
        if _withheld_rows(replay):
            out += markdown_table(WITHHELD_HEADER, _withheld_rows(replay)) + [""]
    return "\n".join(out)
