"""`slo backtest --against PATH`: two versions of the specs replayed over the same data, side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .model import Replay
from .replay import response
from .report import _aligned, markdown_table, markdown_title, percent, span, summary, title, to_json, when

HEADER = ["", "against", "current"]


def _key(replay: Replay) -> tuple:
    return replay.slo_id, tuple(sorted(replay.group.items()))


def shared_incidents(current: Replay | None, against: Replay | None) -> list[tuple[int, int]]:
    """Both versions' incidents as one list: overlapping stretches joined, so each version is judged on the same ones.

    Each version calls an incident what burns faster than its own fastest
    page; a looser page must still be asked about the burn the stricter one saw.
    """
    stretches = sorted((i.start, i.end) for replay in (current, against) if replay for i in replay.incidents)
    joined: list[list[int]] = []
    for first, last in stretches:
        if joined and first <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], last)
        else:
            joined.append([first, last])
    return [(a, b) for a, b in joined]


def _met(replay: Replay | None, first: int, last: int) -> tuple[str, str]:
    if replay is None:
        return "absent", "absent"
    detected, reset = response(replay.pages, first, last, replay.grace, replay.end)
    if detected is None:
        return "missed", "-"
    return span(detected), ("still firing" if reset is None else span(reset))


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
        ["pages withheld by min_failures", cell(then, "saved"), cell(now, "saved")],
        ["budget left at end", cell(then, "budget", percent), cell(now, "budget", percent)],
    ]
    for first, last in shared_incidents(current, against):
        then_detected, then_reset = _met(against, first, last)
        now_detected, now_reset = _met(current, first, last)
        out.append([f"detection of the {when(first)} incident", then_detected, now_detected])
        out.append([f"reset after the {when(first)} incident", then_reset, now_reset])
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
        changed = [f"{row[0]} {_changed(row)}" for row in table if row[1] != row[2]]
        out.append("  " + ("changed: " + ", ".join(changed) if changed else "no change"))
        out += _aligned(["", "against", "current", "change"],
                        [[*row, "" if row[1] == row[2] else f"{row[1]} → {row[2]}"] for row in table])
        out.append("")
    return "\n".join(out)


def to_markdown(current: Sequence[Replay], against: Sequence[Replay], against_path: str) -> str:
    """The same, as a pull-request comment: changed figures in bold."""
    out = ["# Backtest: current specs against " + f"`{against_path}`", ""]
    for now, then in _pairs(current, against):
        out += [f"## {markdown_title(now or then)}", ""]  # type: ignore[arg-type]
        table = [[row[0], row[1], row[2] if row[1] == row[2] else f"**{row[2]}**"] for row in rows(now, then)]
        out += markdown_table(HEADER, table) + [""]
    return "\n".join(out)


def to_json_pair(current: Sequence[Replay], against: Sequence[Replay]) -> str:
    """`{"current": [...], "against": [...]}`, each the contract's list."""
    return json.dumps({"current": json.loads(to_json(current)), "against": json.loads(to_json(against))}, indent=2,
                      allow_nan=False) + "\n"
