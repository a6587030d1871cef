"""`slo backtest --svg FILE`: a timeline per SLO, error ratio above and each alert's firing intervals below.

Drawn like the docs' detection charts (emit/docs_chart.py): plain SVG text,
the same palette and frame, pixels rounded to a tenth. The ratio is on a log
scale from a tenth of the error budget to 100%, one point per pixel column
holding the column's highest ratio, so a one-minute outage in a month shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from ...core.units import decimal_text, prom_window
from ...emit.docs_chart import PAGE_COLOURS, TICKET_COLOURS
from .model import INCIDENT_WINDOW, Fired, Replay
from .report import title, when

WIDTH = 900
LEFT, RIGHT, TOP = 80, 200, 40
PLOT_W = WIDTH - LEFT - RIGHT
RATIO_H = 160
LANE_H = 18
GAP = 56


def _px(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{_px(x)}" y="{_px(y)}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _colour(fired: Fired, index: int) -> str:
    palette = PAGE_COLOURS if fired.severity == "page" else TICKET_COLOURS
    return palette[index % len(palette)]


def _lanes(replay: Replay) -> list[Fired]:
    # A joined rule shows its conditions too; one rule per condition shows once.
    lanes = list(replay.rules) if len(replay.rules) == len(replay.conditions) else list(replay.rules) + list(replay.conditions)
    if replay.no_data:
        lanes.append(Fired("", "ticket", "ticket no data", None, None, replay.no_data))
    return lanes


def panel_height(replay: Replay) -> int:
    """Pixels one SLO's panel takes: ratio plot, one lane per alert, axis labels."""
    return RATIO_H + LANE_H * len(_lanes(replay)) + GAP


def panel(replay: Replay, top: float) -> list[str]:
    """One SLO: title, ratio on a log scale with thresholds, incidents shaded, firing lanes, time axis."""
    low = math.log10(float(1 - replay.objective) / 10)
    span = max(replay.end - replay.start, replay.step)

    def x(t: float) -> float:
        return LEFT + (t - replay.start) / span * PLOT_W

    def y(ratio: float) -> float:
        clipped = min(max(ratio, 10 ** low), 1.0)
        return top + RATIO_H - (math.log10(clipped) - low) / (0 - low) * RATIO_H

    out = [_text(LEFT, top - 10, title(replay), extra=' font-size="14" font-weight="bold"')]
    for incident in replay.incidents:
        out.append(f'<rect x="{_px(x(incident.start))}" y="{_px(top)}" width="{_px(max(x(incident.end + replay.step) - x(incident.start), 1))}" '
                   f'height="{RATIO_H}" fill="#fdebd0"/>')
    out.append('<g stroke="#d5d8dc" stroke-width="1">')
    exponent = math.ceil(low)
    labels = []
    while exponent <= 0:
        ratio = 10.0 ** exponent
        out.append(f'<line x1="{LEFT}" y1="{_px(y(ratio))}" x2="{LEFT + PLOT_W}" y2="{_px(y(ratio))}"/>')
        labels.append(_text(LEFT - 6, y(ratio) + 4, decimal_text(Decimal(str(ratio)) * 100) + "%", "end"))
        exponent += 1
    out.append("</g>")
    out += labels
    out.append(f'<rect x="{LEFT}" y="{_px(top)}" width="{PLOT_W}" height="{RATIO_H}" fill="none" stroke="#566573"/>')
    out += _ratio_line(replay, x, y, top)
    lanes = _lanes(replay)
    # A condition keeps one colour for its threshold line and its lane.
    colours = {f.label: _colour(f, i) for i, f in enumerate(replay.conditions)}
    for index, fired in enumerate(lanes):
        colour = colours.get(fired.label) or _colour(fired, index)
        lane_y = top + RATIO_H + 6 + index * LANE_H
        out.append(_text(LEFT + PLOT_W + 8, lane_y + 12, fired.label, extra=f' fill="{colour}"'))
        for first, last in fired.intervals:
            out.append(f'<rect x="{_px(x(first))}" y="{_px(lane_y)}" width="{_px(max(x(last + replay.step) - x(first), 1))}" '
                       f'height="{LANE_H - 4}" fill="{colour}"/>')
    for fired in replay.conditions:
        threshold = fired.threshold
        if threshold is not None and threshold <= 1:
            colour = colours[fired.label]
            out.append(f'<line x1="{LEFT}" y1="{_px(y(threshold))}" x2="{LEFT + PLOT_W}" y2="{_px(y(threshold))}" '
                       f'stroke="{colour}" stroke-width="1" stroke-dasharray="6 4"/>')
    bottom = top + RATIO_H + LANE_H * len(lanes) + 6
    out.append(_text(LEFT, bottom + 16, when(replay.start), "start", ' fill="#566573"'))
    out.append(_text(LEFT + PLOT_W, bottom + 16, when(replay.end), "end", ' fill="#566573"'))
    out.append(_text(LEFT + PLOT_W + 8, top + 12, f"error ratio over {prom_window(INCIDENT_WINDOW)}", extra=' fill="#566573"'))
    return out


def _ratio_line(replay: Replay, x, y, top: float) -> list[str]:
    columns: dict[int, float] = {}
    for i, value in enumerate(replay.ratio):
        if value is None or math.isnan(value):
            continue
        column = int((x(replay.start + i * replay.step) - LEFT))
        columns[column] = max(columns.get(column, value), value)
    if not columns:
        return [_text(LEFT + PLOT_W / 2, top + RATIO_H / 2, "no data", "middle", ' fill="#566573"')]
    points = " ".join(f"{_px(LEFT + c)},{_px(y(v))}" for c, v in sorted(columns.items()))
    return [f'<polyline points="{points}" fill="none" stroke="#1b2631" stroke-width="1.2"/>']


def timeline(replays: Sequence[Replay], source: str) -> str:
    """The whole SVG document: one panel per SLO (and group value)."""
    height = TOP + sum(panel_height(r) for r in replays) + 10
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- slo backtest of {escape(source.replace('--', '- -'))} -->",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        "<title>slo backtest</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    top = float(TOP)
    for replay in replays:
        out += panel(replay, top)
        top += panel_height(replay)
    out.append("</svg>")
    return "\n".join(out) + "\n"
