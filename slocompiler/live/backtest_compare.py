"""`slo backtest --against PATH`: two versions of the specs replayed over the same data, side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .backtest_model import Incident, Replay
from .backtest_report import _aligned, markdown_table, percent, span, summary, title, to_json, when

HEADER = ["", "against", "current"]


def _key(replay: Replay) -> tuple:
    return replay.slo_id, tuple(sorted(replay.group.items()))


def _detection(incident: Incident | None) -> str:
    if incident is None:
        return "no incident"
    return "missed" if incident.detected is None else span(incident.detected)


def _reset(incident: Incident | None) -> str:
    if incident is None or incident.detected is None:
        return "-"
    return "still firing" if incident.reset is None else span(incident.reset)


def _overlapping(incident: Incident, others: Sequence[Incident]) -> Incident | None:
    for other in others:
        if other.start <= incident.end and incident.start <= other.end:
            return other
    return None


def rows(current: Replay | None, against: Replay | None) -> list[list[str]]:
    """The figures of one SLO in both versions: counts, then each incident's detection and reset."""
    now = summary(current) if current else None
    then = summary(against) if against else None

    def cell(s: dict | None, name: str, fmt=str) -> str:
        return "absent" if s is None else fmt(s[name])

    out = [
        ["pages", cell(then, "pages"), cell(now, "pages")],
        ["pages firing", cell(then, "pages_total", span), cell(now, "pages_total", span)],
        ["tickets", cell(then, "tickets"), cell(now, "tickets")],
        ["tickets firing", cell(then, "tickets_total", span), cell(now, "tickets_total", span)],
        ["noise pages", cell(then, "noise"), cell(now, "noise")],
        ["budget left at end", cell(then, "budget", percent), cell(now, "budget", percent)],
    ]
    # Incidents depend on each version's fastest page; pair those that overlap.
    seen: list[Incident] = []
    for incident in (current.incidents if current else ()):
        other = _overlapping(incident, against.incidents) if against else None
        if other:
            seen.append(other)
        out.append([f"detection of the {when(incident.start)} incident", _detection(other), _detection(incident)])
        out.append([f"reset after the {when(incident.start)} incident", _reset(other), _reset(incident)])
    for incident in (against.incidents if against else ()):
        if incident not in seen:
            out.append([f"detection of the {when(incident.start)} incident", _detection(incident), _detection(None)])
    return out


def _pairs(current: Sequence[Replay], against: Sequence[Replay]) -> list[tuple[Replay | None, Replay | None]]:
    theirs = {_key(r): r for r in against}
    pairs: list[tuple[Replay | None, Replay | None]] = [(r, theirs.pop(_key(r), None)) for r in current]
    pairs += [(None, r) for r in against if _key(r) in theirs]
    return pairs


def _changed(row: list[str]) -> str:
    return row[1] if row[1] == row[2] else f"{row[1]} → {row[2]}"


def to_text(current: Sequence[Replay], against: Sequence[Replay], against_path: str) -> str:
    """Per SLO, a table of the two versions' figures; `→` marks what changed."""
    out = [f"against: {against_path}", ""]
    for now, then in _pairs(current, against):
        table = rows(now, then)
        out.append(title(now or then))  # type: ignore[arg-type]
        out += _aligned(["", "against", "current", "change"],
                        [[*row, "" if row[1] == row[2] else f"{row[1]} → {row[2]}"] for row in table])
        out.append("")
    return "\n".join(out)


def to_markdown(current: Sequence[Replay], against: Sequence[Replay], against_path: str) -> str:
    """The same, as a pull-request comment: changed figures in bold."""
    out = ["# Backtest: current specs against " + f"`{against_path}`", ""]
    for now, then in _pairs(current, against):
        out += [f"## `{title(now or then)}`", ""]  # type: ignore[arg-type]
        table = [[row[0], row[1], row[2] if row[1] == row[2] else f"**{row[2]}**"] for row in rows(now, then)]
        out += markdown_table(HEADER, table) + [""]
    return "\n".join(out)


def to_json_pair(current: Sequence[Replay], against: Sequence[Replay]) -> str:
    """`{"current": [...], "against": [...]}`, each the contract's list."""
    return json.dumps({"current": json.loads(to_json(current)), "against": json.loads(to_json(against))}, indent=2) + "\n"


def headline(current: Sequence[Replay], against: Sequence[Replay]) -> list[str]:
    """One line per SLO whose figures changed: `checkout-availability: pages 11 → 3, detection of ... 2m → 6m`."""
    lines = []
    for now, then in _pairs(current, against):
        changed = [f"{row[0]} {_changed(row)}" for row in rows(now, then) if row[1] != row[2]]
        if changed:
            lines.append(f"{title(now or then)}: " + ", ".join(changed))  # type: ignore[arg-type]
    return lines
