"""Lowering `indicator ratio|latency|expr|threshold { ... }`, with every PromQL string parsed."""

from __future__ import annotations

import re
from decimal import Decimal

from ..core import ir, promql
from ..core.errors import Diagnostics, Span, did_you_mean, suggest
from ..core.sremath import THRESHOLD_OPS
from ..core.units import decimal_text, prom_window
from . import syntax as st
from .values import STRING_KINDS, Reader, Scope, Text, content_position, with_window

S = STRING_KINDS
# The `le` values client libraries write: plain decimals (Decimal() would also take "NaN" or " 1").
_BUCKET = re.compile(r"[0-9]+(\.[0-9]+)?")
INDICATOR_ATTRIBUTES = {
    "ratio": {"total": S, "errors": S, "good": S},
    "latency": {"histogram": S, "threshold": ("duration",), "le": S},
    "expr": {"error_ratio": S},
    "threshold": {"metric": S, "good": S},
}
# `good = ">= 1"`: a comparison, then a number (a gauge may go below zero).
_CONDITION = re.compile(r"\s*(?P<op>[<>=!~]*)\s*(?P<number>-?[0-9]+(\.[0-9]+)?)\s*")
# Comparisons written the way other languages do, and what they mean here.
_OP_SPELLINGS = {"": ">=", "=": "==", "=>": ">=", "=<": "<=", "<>": "!=", "~": "==", "=~": "==", "!": "!="}


def lower_indicator(block: st.Block, scope: Scope, window: int, diags: Diagnostics) -> ir.Indicator | None:
    """The indicator of an SLO whose window is `window` seconds; None after an error."""
    kind = block.name or ""
    if kind not in INDICATOR_ATTRIBUTES:
        diags.error(block.name_span or block.span, f'unknown indicator "{kind}"{did_you_mean(kind, INDICATOR_ATTRIBUTES)}',
                    hint="indicators: ratio, latency, expr, threshold")
        return None
    what = f"indicator {kind}"
    attrs = Reader(what, block.items, INDICATOR_ATTRIBUTES[kind], scope, diags)
    span = block.name_span or block.span
    count = diags.error_count()
    if kind == "ratio":
        one_of(attrs, ("errors", "good"), what, span, diags)
        require(attrs, "total", what, span, diags)
        total = query(attrs, "total", window, diags)
        errors = query(attrs, "errors", window, diags)
        good = query(attrs, "good", window, diags)
        if diags.error_count() > count or total is None or (errors is None and good is None):
            return None
        return ir.RatioIndicator(total, errors, good, span, attrs.fields())
    if kind == "latency":
        one_of(attrs, ("threshold", "le"), what, span, diags)
        require(attrs, "histogram", what, span, diags)
        histogram = query(attrs, "histogram", window, diags, selector_only=True)
        le, seconds = bucket(attrs, diags)
        if diags.error_count() > count or histogram is None or le is None:
            return None
        return ir.LatencyIndicator(histogram, le, seconds, span, attrs.fields())
    if kind == "threshold":
        require(attrs, "metric", what, span, diags)
        require(attrs, "good", what, span, diags)
        metric = query(attrs, "metric", window, diags, selector_only=True)
        condition = good_condition(attrs, diags)
        if diags.error_count() > count or metric is None or condition is None:
            return None
        return ir.ThresholdIndicator(metric, condition[0], condition[1], span, attrs.fields())
    require(attrs, "error_ratio", what, span, diags)
    error_ratio = query(attrs, "error_ratio", window, diags, window_required=True)
    if diags.error_count() > count or error_ratio is None:
        return None
    return ir.ExprIndicator(error_ratio, span, attrs.fields())


def require(attrs: Reader, name: str, what: str, span: Span, diags: Diagnostics) -> None:
    if not attrs.has(name):
        diags.error(span, f'{what} needs "{name}"')


def one_of(attrs: Reader, names: tuple[str, str], what: str, span: Span, diags: Diagnostics) -> None:
    given = [n for n in names if attrs.has(n)]
    if not given:
        diags.error(span, f'{what} needs one of "{names[0]}" or "{names[1]}"')
    elif len(given) == 2:
        diags.error(attrs.span(names[1], span), f'{what} takes "{names[0]}" or "{names[1]}", not both')


def bucket(attrs: Reader, diags: Diagnostics) -> tuple[str | None, Decimal | None]:
    """The `le` label value: from `threshold` in seconds, shortest form, or `le` as given."""
    threshold = attrs.value("threshold")
    if threshold is not None:
        seconds = Decimal(int(threshold.value)) / 1000  # type: ignore[arg-type]
        if seconds <= 0:
            diags.error(threshold.span, "threshold must be longer than 0s")
            return None, None
        return decimal_text(seconds), seconds
    le = attrs.text("le")
    if le is None:
        return None, None
    if le.text == "+Inf":
        # Good events would be the +Inf bucket, that is every event.
        diags.error(le.origin.span, 'le = "+Inf" counts every request as fast, so this SLO could never fail or page; '
                                    "give the bucket at the latency threshold")
        return None, None
    if not _BUCKET.fullmatch(le.text):
        diags.error(le.origin.span, f'le must be a bucket boundary such as "0.3" or "1.0", not "{le.text}"')
        return None, None
    return le.text, None


def good_condition(attrs: Reader, diags: Diagnostics) -> tuple[str, Decimal] | None:
    """`good = ">= 1"`: the comparison and the number a good sample meets."""
    text = attrs.text("good")
    if text is None:
        return None
    match = _CONDITION.fullmatch(text.text)
    if match and match["op"] in THRESHOLD_OPS:
        return match["op"], Decimal(match["number"])
    ops = " ".join(THRESHOLD_OPS)
    guess = ""
    if match:
        op = _OP_SPELLINGS.get(match["op"]) or suggest(match["op"], THRESHOLD_OPS)
        guess = f'; did you mean "{op} {match["number"]}"?' if op else ""
    diags.error(text.origin.span, f'good must be a comparison and a number, like ">= 1", not "{text.text}"{guess}',
                hint=f"comparisons: {ops}; a sample is good when it meets the condition")
    return None


def query(attrs: Reader, name: str, window: int, diags: Diagnostics, *, selector_only: bool = False,
          window_required: bool = False) -> ir.Query | None:
    """A PromQL attribute: a plain selector, or an expression containing `$window`."""
    text = attrs.text(name)
    if text is None:
        return None
    checked, index_map = with_window(text, prom_window(window))
    expression, error = promql.parse(checked)
    if error is not None:
        offset = error.offset
        source_index = index_map[offset] if index_map is not None and offset < len(index_map) else offset
        position = content_position(text.origin, source_index)
        if error.too_large:
            diags.error(position, f"the PromQL in {name} {error.message}",
                        hint="docs/LANGUAGE.md gives these limits, far above any SLO query")
        else:
            diags.error(position, f"invalid PromQL in {name}: {error.message}")
        return None
    # Outputs splice the query into longer expressions, where a comment would
    # swallow the rest of its line: they get it without comments.
    text = Text(promql.strip_comments(text.text), None, text.origin)
    has_window = bool(promql.WINDOW_PLACEHOLDER.search(text.text))
    selector = promql.is_plain_selector(expression)
    where = text.origin.span
    if selector_only:
        if not selector:
            if name == "metric":
                diags.error(where, f'{name} must be a vector selector of a gauge or probe, like probe_success{{job="x"}}: '
                                   "each of its samples is judged against good")
            else:
                diags.error(where, f"{name} must be a vector selector of a histogram's _bucket series, "
                                   f'like metric_bucket{{job="x"}}')
            return None
        if name == "metric":
            return ir.Query(text.text, True, where)
        return _histogram(text, expression, name, diags)
    if window_required and not has_window:
        diags.error(where, f"{name} must contain $window, where the compiler puts each window it needs")
        return None
    if not selector and not has_window:
        diags.error(where, f"{name} is a PromQL expression without $window; use a plain selector "
                           f"(the compiler wraps it in sum(rate(...))) or put $window in its range selectors")
        return None
    if has_window and not window_required and selector:
        selector = False
    return ir.Query(text.text, selector, where)


def _histogram(text: Text, expression, name: str, diags: Diagnostics) -> ir.Query | None:
    for matcher in expression.matchers.matchers:
        if matcher.name == "le":
            diags.error(text.origin.span, f'{name} must not match on "le": the compiler picks the buckets')
            return None
    metric = expression.name or ""
    if metric and not metric.endswith("_bucket"):
        diags.warning(text.origin.span, f'{name} selects "{metric}", which is not a _bucket series; '
                                        f'did you mean "{metric}_bucket"?')
    return ir.Query(text.text, True, text.origin.span)
