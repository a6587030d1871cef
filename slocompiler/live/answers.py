"""The Prometheus API's JSON into samples and series, as it is parsed.

Each `{"metric": ..., "value": ...}` and `{"metric": ..., "values": [...]}`
object becomes a `Sample` or `Series` the moment the parser has read it, so
the parser's dicts and lists for a result never exist beside the result:
an answer costs its samples, not the samples and their JSON twice over.
Every time in an answer must be a time (finite, 1970 to 9999): a time of
+Inf would make a loop over its steps endless.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from .limits import MAX_TIME


@dataclass(frozen=True, slots=True)
class Sample:
    """One series of an instant vector: its labels and value (NaN and ±Inf kept as floats)."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a range query: its labels and `(unix seconds, value)` points in time order."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class BadTime(ValueError):
    """A sample at a time that is not one: NaN, ±Inf, before 1970 or after 9999."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def time_of(value: object) -> float:
    """A sample's time, as Prometheus sends it (a number); BadTime when it is not a time."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("a sample time is a number")
    seconds = float(value)
    if not 0 <= seconds < MAX_TIME:  # NaN fails this too
        raise BadTime(str(value))
    return seconds


def value_of(text: object) -> float:
    """A sample's value: Prometheus sends strings ("0.001", "NaN", "+Inf")."""
    if not isinstance(text, str):
        raise TypeError("a sample value is a string")
    return float(text)


def labels_of(labels: object) -> dict[str, str]:
    """A label set: an object of strings."""
    if type(labels) is not dict or not all(type(v) is str for v in labels.values()):
        raise TypeError("labels are an object of strings")
    return labels  # type: ignore[return-value]


def _compact(obj: dict) -> object:
    # Called by the parser for every object, innermost first. Anything of
    # another shape stays a dict, for the caller to call malformed.
    if len(obj) != 2 or "metric" not in obj:
        return obj
    try:
        if "value" in obj:
            point = obj["value"]
            if type(point) is list and len(point) == 2:
                time_of(point[0])
                return Sample(labels_of(obj["metric"]), value_of(point[1]))
        elif "values" in obj:
            points = obj["values"]
            if type(points) is list:
                labels = labels_of(obj["metric"])
                return Series(labels, [(time_of(t), value_of(v)) for t, v in points])
    except BadTime:
        raise
    except (TypeError, ValueError):
        pass
    return obj


def parse(text: str) -> object:
    """The JSON answer with its samples and series built as they are read; ValueError when not JSON, BadTime on a bad time."""
    return json.loads(text, object_hook=_compact, parse_constant=_no_constant)


def _no_constant(name: str) -> float:
    # JSON has no NaN or Infinity; Python's parser would take them as numbers (times included).
    raise ValueError(f"{name} is not JSON")


def finite(value: float) -> float | None:
    """The value, or None for NaN and ±Inf (a ratio with no traffic is no data, not a number)."""
    return value if math.isfinite(value) else None
