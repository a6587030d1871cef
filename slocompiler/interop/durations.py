"""Prometheus duration text (`2w`, `28d`, `1h30m`) to whole seconds, with located errors."""

from __future__ import annotations

import re

from ..core.sremath import MAX_WINDOW, MIN_WINDOW
from .yamlsrc import Node, Report

_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w|y))+")
_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400}


def prometheus_seconds(node: Node, report: Report) -> int | None:
    """A duration in whole seconds; an error for text that is none, or for fractions of a second."""
    text = str(node.value).strip() if node.is_scalar else repr(node)
    if not node.is_scalar or not _DURATION.fullmatch(text):
        report.error(node, f'"{text}" is not a duration (like 28d or 2w)')
        return None
    total = sum(int(count) * _SECONDS[unit] for count, unit in _PART.findall(text))
    if total != int(total):
        report.error(node, f'"{text}" is not a whole number of seconds')
        return None
    if total > MAX_WINDOW:
        # Every duration .slo takes (window, alert windows, for) is at most the longest window.
        report.error(node, f'"{text}" is longer than 365d, the longest duration .slo takes')
        return None
    return int(total)


def window_seconds(node: Node, report: Report) -> int | None:
    """An SLO window in whole seconds; an error at the input's line for one `slo check` would refuse."""
    seconds = prometheus_seconds(node, report)
    if seconds is not None and not MIN_WINDOW <= seconds <= MAX_WINDOW:
        report.error(node, f'window "{str(node.value).strip()}" is not from 1d to 365d, which .slo requires; '
                           "the SLO is not imported")
        return None
    return seconds
