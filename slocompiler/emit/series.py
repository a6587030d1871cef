"""Input series for generated promtool tests, made up from an indicator's selectors.

For `code=~"5.."` we need a label value the regex matches (`500`) and, for
the good requests, one it does not (`200`). Of expressions only
`sum [by (<group_by>)] (rate(<selector>[$window]))` can be inverted this way;
for any other, callers get None and generate no test for that SLO.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

import promql_parser

from ..core.ir import ExprIndicator, Indicator, LatencyIndicator, Query, RatioIndicator, ThresholdIndicator
from ..core.promql import parse
from ..core.queries import substitute
from ..core.units import decimal_text
from .history import SAMPLE_SERIES

# Tried, in order, when a matcher does not pin a label value down.
CANDIDATES = ("example", "200", "ok", "x", "0", "1", "a", "500")
# Tried first for the events a numerator leaves out: the usual "good" values.
OTHER_VALUES = ("200", "ok", "success", "x", "0", "1", "a", "example")
OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class Selector:
    """A parsed vector selector: metric name and (label, op, value) matchers."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]

    def constraints(self, label: str) -> list[tuple[str, str]]:
        """The (op, value) pairs this selector puts on one label."""
        return [(op, value) for name, op, value in self.matchers if name == label]

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a series with these labels (and `__name__`) is selected."""
        return labels.get("__name__") == self.name and all(
            _holds(op, value, labels.get(name, "")) for name, op, value in self.matchers
        )


@dataclass(frozen=True)
class Series:
    """One input counter: labels (with `__name__`) and its increase per step."""

    labels: tuple[tuple[str, str], ...]
    increase: Decimal


def parse_selector(query: Query) -> Selector | None:
    """The selector of a plain-selector query, or None."""
    if not query.is_selector:
        return None
    node, _ = parse(query.text)
    return _selector(node) if node is not None else None


def canonical_selector(query: Query, group_by: tuple[str, ...]) -> Selector | None:
    """The selector of a plain selector, or of `sum [by (<group_by>)] (rate(<selector>[$window]))`.

    That is the one expression shape whose inputs can be made up: anything
    else may compute something the test cannot predict.
    """
    if query.is_selector:
        return parse_selector(query)
    node, _ = parse(substitute(query.text, 300))
    if node is None:
        return None
    node = _unparen(node)
    if not isinstance(node, promql_parser.AggregateExpr) or str(node.op) != "sum" or node.param is not None:
        return None
    modifier = node.modifier
    if modifier is None:
        if group_by:
            return None
    elif str(modifier.type) != "AggModifierType.By" or sorted(modifier.labels) != sorted(group_by):
        return None
    call = _unparen(node.expr)
    if not isinstance(call, promql_parser.Call) or call.func.name not in ("rate", "increase") or len(call.args) != 1:
        return None
    matrix = call.args[0]
    return _selector(matrix.vector_selector) if isinstance(matrix, promql_parser.MatrixSelector) else None


def _unparen(node):
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    return node


def _selector(node) -> Selector | None:
    if not isinstance(node, promql_parser.VectorSelector) or node.offset is not None or node.at is not None:
        return None
    matchers = tuple((m.name, OPS[str(m.op)], m.value) for m in node.matchers.matchers)
    if node.matchers.or_matchers:
        return None
    name = node.name or next((v for n, op, v in matchers if n == "__name__" and op == "="), "")
    if not name:
        return None
    return Selector(name, tuple(m for m in matchers if m[0] != "__name__"))


def _holds(op: str, pattern: str, value: str) -> bool:
    try:
        if op == "=":
            return value == pattern
        if op == "!=":
            return value != pattern
        matched = re.fullmatch(pattern, value) is not None
    except re.error:
        return False
    return matched if op == "=~" else not matched


def regex_examples(pattern: str) -> list[str]:
    """Strings the (RE2-style) pattern matches fully: one repetition preferred, then the minimum."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
    except Exception:  # a Go-only construct, or a Python without re._parser
        return []
    found = []
    for prefer_one in (True, False):
        try:
            text = _generate(tree, prefer_one)
        except (KeyError, ValueError):
            continue
        if text not in found and re.fullmatch(pattern, text):
            found.append(text)
    return found


def _char_in(items: list) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    chars = []
    for op, arg in items:
        kind = str(op)
        if kind == "LITERAL":
            chars.append(chr(arg))
        elif kind == "RANGE":
            chars.append(chr(arg[0]))
        elif kind == "CATEGORY":
            chars.append({"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(str(arg), "a"))
    if not negate:
        if not chars:
            raise ValueError("empty class")
        return chars[0]
    return next(ch for ch in "a0x_Z" if ch not in chars)


def _generate(tree, prefer_one: bool) -> str:
    out = []
    for op, arg in tree:
        kind = str(op)
        if kind == "LITERAL":
            out.append(chr(arg))
        elif kind == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif kind == "ANY":
            out.append("0")
        elif kind == "IN":
            out.append(_char_in(arg))
        elif kind == "BRANCH":
            out.append(_generate(arg[1][0], prefer_one))
        elif kind == "SUBPATTERN":
            out.append(_generate(arg[-1], prefer_one))
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, inner = arg
            count = max(low, 1) if prefer_one and high >= 1 else low
            out.append(_generate(inner, prefer_one) * count)
        elif kind == "CATEGORY":
            out.append(_char_in([(op, arg)]))
        elif kind != "AT":
            raise ValueError(kind)
    return "".join(out)


def _candidates(constraints: list[tuple[str, str]]) -> list[str]:
    values = []
    for op, value in constraints:
        if op == "=":
            values.append(value)
        elif op == "=~":
            values.extend(regex_examples(value))
        elif op == "!~":
            values.extend(v for v in CANDIDATES if not _holds("=~", value, v))
    values.extend(CANDIDATES)
    return values


def pick(constraints: list[tuple[str, str]]) -> str | None:
    """A label value satisfying every constraint, or None."""
    return next((v for v in _candidates(constraints) if all(_holds(op, p, v) for op, p in constraints)), None)


def _labels(selector: Selector, also: Selector | None, fixed: dict[str, str]) -> dict[str, str] | None:
    """Labels a series needs to be selected by `selector` (and `also`, when possible)."""
    labels = {"__name__": selector.name}
    names = {m[0] for m in selector.matchers}
    if also is not None and also.name == selector.name:
        names |= {m[0] for m in also.matchers}
    for name in sorted(names - set(fixed)):
        constraints = selector.constraints(name) + (also.constraints(name) if also and also.name == selector.name else [])
        value = pick(constraints) or pick(selector.constraints(name))
        if value is None:
            return None
        if value:
            labels[name] = value
    labels.update(fixed)
    return labels if selector.matches(labels) else None


def _outside(total: Selector, numerator: Selector, fixed: dict[str, str]) -> dict[str, str] | None:
    """Labels selected by `total` but not by `numerator` (the events the numerator leaves out)."""
    labels = _labels(total, None, fixed)
    if labels is None or numerator.name != total.name:
        return labels
    # Prefer a label the total leaves free: code="200" next to code=~"5..".
    matchers = sorted(numerator.matchers, key=lambda m: m[0] in labels)
    for name, op, value in matchers:
        if name in fixed:
            continue
        wrong = regex_examples(value) if op == "!~" else [value] if op == "!=" else []
        for candidate in [*wrong, *OTHER_VALUES]:
            trial = {**labels, name: candidate}
            if not _holds(op, value, candidate) and total.matches(trial) and not numerator.matches(trial):
                return trial
    return None if numerator.matches(labels) else labels


def _group_values(group_by: tuple[str, ...], selectors: list[Selector]) -> dict[str, str] | None:
    values = {}
    for name in group_by:
        value = pick([c for s in selectors for c in s.constraints(name)])
        if not value:
            return None
        values[name] = value
    return values


@dataclass(frozen=True)
class Plan:
    """The input counters of an indicator, worked out once: labels and how each one's increase follows the ratio.

    `kinds[i]` says what counter i counts per step: "total" (all events),
    "bad", "good" (total - bad), or "bad?" (bad events, left out when there are none).
    """

    labels: tuple[dict[str, str], ...]
    kinds: tuple[str, ...]

    def increases(self, ratio: Decimal, step_total: Decimal) -> list[Decimal]:
        """Each counter's increase per step at `ratio`, in `labels` order (bad? ones included)."""
        bad = ratio * step_total
        amounts = {"total": step_total, "bad": bad, "bad?": bad, "good": step_total - bad}
        return [amounts[kind] for kind in self.kinds]

    def series(self, ratio: Decimal, step_total: Decimal) -> list[Series]:
        """Counters whose error ratio is `ratio` at `step_total` events per step."""
        bad = ratio * step_total
        amounts = {"total": step_total, "bad": bad, "bad?": bad, "good": step_total - bad}
        return [
            _series(labels, amounts[kind]) for labels, kind in zip(self.labels, self.kinds) if ratio or kind != "bad?"
        ]


# What tells the gauges apart, when the selector leaves it free.
SAMPLE_LABELS = ("instance", "slo_test_series")


@dataclass(frozen=True)
class SamplePlan:
    """A threshold indicator's input gauges: SAMPLE_SERIES series alike but for one label; a sample is good or bad."""

    labels: tuple[dict[str, str], ...]
    good: str
    bad: str

    def series(self, ratio: Decimal, step_total: Decimal) -> list[Series]:
        """The gauges (their labels; `increase` unused), whatever the ratio."""
        return [_series(labels, Decimal(0)) for labels in self.labels]


def _sample_values(indicator: ThresholdIndicator) -> tuple[str, str]:
    # A good and a bad value for the comparison, exact decimals.
    value, op = indicator.value, indicator.op
    good = value + 1 if op in (">", "!=") else value - 1 if op == "<" else value
    bad = value if op in (">", "<", "!=") else value - 1 if op in (">=", "==") else value + 1
    return decimal_text(good), decimal_text(bad)


def _sample_plan(indicator: ThresholdIndicator, group_by: tuple[str, ...]) -> SamplePlan | None:
    metric = parse_selector(indicator.metric)
    if metric is None:
        return None
    groups = _group_values(group_by, [metric])
    base = _labels(metric, None, groups) if groups is not None else None
    free = [name for name in SAMPLE_LABELS if name not in base and name not in dict.fromkeys(m[0] for m in metric.matchers)] \
        if base is not None else []
    if base is None or not free:
        return None
    good, bad = _sample_values(indicator)
    return SamplePlan(tuple({**base, free[0]: f"probe-{i:02d}"} for i in range(SAMPLE_SERIES)), good, bad)


def plan(indicator: Indicator, group_by: tuple[str, ...]) -> Plan | SamplePlan | None:
    """The counters (gauges, for a threshold indicator) to make up for an indicator, or None when its PromQL cannot be inverted."""
    if isinstance(indicator, ExprIndicator):
        return None
    if isinstance(indicator, ThresholdIndicator):
        return _sample_plan(indicator, group_by)
    if isinstance(indicator, LatencyIndicator):
        histogram = parse_selector(indicator.histogram)
        if histogram is None:
            return None
        groups = _group_values(group_by, [histogram])
        base = _labels(histogram, None, groups or {}) if groups is not None else None
        if base is None:
            return None
        return Plan(({**base, "le": indicator.le}, {**base, "le": "+Inf"}), ("good", "total"))
    assert isinstance(indicator, RatioIndicator)
    total = canonical_selector(indicator.total, group_by)
    numerator = canonical_selector(indicator.errors or indicator.good, group_by)  # type: ignore[arg-type]
    if total is None or numerator is None:
        return None
    groups = _group_values(group_by, [total, numerator])
    if groups is None:
        return None
    inside = _labels(numerator, total, groups)
    outside = _outside(total, numerator, groups)
    if inside is None or outside is None:
        return None
    # When the total's selector also counts the numerator's series, the other series makes up only the rest.
    counted = total.matches(inside)
    if indicator.errors is not None:
        return Plan((outside, inside), ("good" if counted else "total", "bad?"))
    return Plan((inside, outside), ("good", "bad" if counted else "total"))


def _series(labels: dict[str, str], increase: Decimal) -> Series:
    return Series(tuple(sorted(labels.items())), increase)


@functools.lru_cache(maxsize=4096)
def series_text(labels: tuple[tuple[str, str], ...]) -> str:
    """`metric{a="b"}` in promtool's series notation, values escaped as PromQL strings."""
    from ..core.queries import promql_string

    name = dict(labels)["__name__"]
    inside = ", ".join(f"{k}={promql_string(v)}" for k, v in labels if k != "__name__")
    return f"{name}{{{inside}}}"
