"""OpenSLO SLIs: a `ratioMetric` or `thresholdMetric` of Prometheus queries as a `.slo` indicator."""

from __future__ import annotations

import re

from . import model
from .openslo_index import Index
from .yamlsrc import Node, Report

# A range or subquery range in PromQL (`[5m]`, `[1h:1m]`): where $window goes.
RANGE = re.compile(r"\[\s*(?:[0-9]+(?:ms|s|m|h|d|w|y))+\s*(:[^\]]*)?\]")


def _query(node: Node | None, where: str, counter: bool, report: Report) -> tuple[str | None, bool]:
    """A Prometheus query of a metricSource as `.slo` PromQL, and whether it is a plain selector."""
    from ..core.promql import is_plain_selector, parse, strip_comments

    source = node.get("metricSource") if node is not None else None
    if source is None:
        if node is not None:
            report.error(node, f"{where} needs metricSource")
        return None, False
    kind = source.text("type") or ""
    if kind.lower() != "prometheus":
        report.warn(source.get("type") or source, f'{where}.metricSource.type "{kind}" is not Prometheus: '
                                                  "only Prometheus queries translate; the SLO is not imported")
        return None, False
    if source.get("metricSourceRef") is not None:
        report.warn(source.key_span("metricSourceRef"), f"{where}.metricSource.metricSourceRef (a DataSource) is "
                                                        "dropped: the rules run on the Prometheus that loads them")
    spec = source.get("spec")
    query = spec.get("query") if spec is not None else None
    if query is None or not query.is_scalar:
        report.error(source, f"{where}.metricSource.spec needs query")
        return None, False
    # Without comments: spliced into sum_over_time(...[$window]), one would swallow the rest of its line.
    text = strip_comments(str(query.value)).strip()
    expression, error = parse(text)
    if error is not None and error.too_large:
        report.warn(query, f"this query {error.message} (docs/LANGUAGE.md); the SLO is not imported")
        return None, False
    if expression is not None and is_plain_selector(expression):
        if counter:
            return text, True
        return f"sum(sum_over_time({text}[$window]))", False
    if not RANGE.search(text):
        report.warn(query, "this query has no range: .slo needs a plain selector (metric{...}), which it wraps in "
                           "rate() over each window, or an expression with a range such as [5m], which becomes "
                           "[$window]; change the query to one of these (the SLO is not imported)")
        return None, False
    return RANGE.sub(lambda m: "[$window" + (m.group(1) or "") + "]", text), False


def indicator(spec: Node, index: Index, report: Report) -> model.Indicator | None:
    """An SLO's SLI, inline or by `indicatorRef`; None (with a warning or error) when it does not translate."""
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    sli = index.find("SLI", ref, report) if ref is not None else inline
    if sli is None:
        if ref is None:
            report.error(spec, "an OpenSLO SLO needs indicator or indicatorRef")
        return None
    body = sli.get("spec")
    if body is None:
        report.error(sli, "an SLI needs spec")
        return None
    report.unknown_fields(body, ("ratioMetric", "thresholdMetric", "description"), "indicator.spec")
    if body.get("thresholdMetric") is not None:
        return _threshold(body.get("thresholdMetric"), report)
    ratio = body.get("ratioMetric")
    if ratio is None:
        report.error(body, "indicator.spec needs ratioMetric")
        return None
    report.unknown_fields(ratio, ("counter", "good", "bad", "total", "raw", "rawType"), "ratioMetric")
    counter = (ratio.text("counter") or "true").lower() == "true"
    if ratio.get("raw") is not None:
        query, plain = _query(ratio.get("raw"), "ratioMetric.raw", True, report)
        if query is None:
            return None
        if plain:
            # A ratio series has no events to count over a window, and a selector no range to put $window in.
            report.warn(ratio.get("raw"), "ratioMetric.raw is a plain selector: .slo needs the error ratio as an "
                                          "expression with a range such as [5m], which becomes [$window]; "
                                          "the SLO is not imported")
            return None
        success = (ratio.text("rawType") or "failure") == "success"
        return model.Indicator("expr", {"error_ratio": f"1 - ({query})" if success else query})
    total, total_plain = _query(ratio.get("total"), "ratioMetric.total", counter, report)
    part = "bad" if ratio.get("bad") is not None else "good"
    events, events_plain = _query(ratio.get(part), f"ratioMetric.{part}", counter, report)
    if total is None or events is None:
        if ratio.get("total") is None or ratio.get(part) is None:
            report.error(ratio, "ratioMetric needs total and good or bad")
        return None
    if part == "good" and total_plain and events_plain:
        latency = _as_latency(events, total)
        if latency is not None:
            return latency
    return model.Indicator("ratio", {"errors" if part == "bad" else "good": events, "total": total})


def _threshold(node: Node, report: Report) -> model.Indicator | None:
    """A thresholdMetric: `indicator threshold`, its `good` from each objective's op and value (openslo_time.py)."""
    if node.is_scalar:
        report.error(node, "thresholdMetric needs metricSource")
        return None
    query, plain = _query(node, "thresholdMetric", True, report)
    if query is None:
        return None
    if not plain:
        # Each sample is judged against the objective's value: the samples of a selector, not of an expression's result.
        report.warn(node, "thresholdMetric is not a plain selector (metric{...}): a threshold indicator judges each "
                          "sample of the series it selects; the SLO is not imported")
        return None
    return model.Indicator("threshold", {"metric": query})


LE = re.compile(r'\s*,?\s*le\s*=\s*"([^"]*)"')


def _as_latency(good: str, total: str) -> model.Indicator | None:
    """Two buckets of one histogram (good at `le`, total at `+Inf`) are a latency indicator."""
    good_le, total_le = LE.search(good), LE.search(total)
    if not good_le or not total_le or total_le.group(1) != "+Inf":
        return None
    histogram = LE.sub("", good, count=1).replace("{,", "{").replace("{ ", "{").replace("{}", "")
    if histogram != LE.sub("", total, count=1).replace("{,", "{").replace("{ ", "{").replace("{}", ""):
        return None
    return model.Indicator("latency", {"histogram": histogram}, le=good_le.group(1))
