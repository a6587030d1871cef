"""The PromQL written for indicators (slocompiler/core/queries.py) and the made-up test inputs (emit/series.py)."""

from __future__ import annotations

from decimal import Decimal

import promql_parser
import pytest
import sample_ir
import yaml
from behaviour import slos

from slocompiler.core import queries
from slocompiler.core.ir import Query
from slocompiler.emit import prometheus
from slocompiler.emit.series import Selector, canonical_selector, parse_selector, plan, regex_examples

HOUR = 3600


def synthesize(indicator, group_by, ratio, step_total):
    """Counters whose error ratio is `ratio` at `step_total` events per step, as promtest makes them; None if it cannot."""
    made = plan(indicator, group_by)
    return None if made is None else made.series(ratio, step_total)


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("foo", 'foo{le="0.3"}'),
        ("foo{}", 'foo{le="0.3"}'),
        ('foo{a="b"}', 'foo{a="b", le="0.3"}'),
        ('foo{a="b",}', 'foo{a="b", le="0.3"}'),
        (' foo{a="}"} ', 'foo{a="}", le="0.3"}'),
    ],
)
def test_with_matcher(selector, expected):
    assert queries.with_matcher(selector, "le", "0.3") == expected
    promql_parser.parse(expected)


def test_selector_and_expression_queries():
    selector = Query('x_total{a="b"}', True, slos.SPAN)
    expression = Query("sum(rate(x_total[$window])) + 0 * count_over_time(y[$window])", False, slos.SPAN)
    assert queries.events(selector, HOUR, ()) == 'sum(rate(x_total{a="b"}[1h]))'
    assert queries.events(selector, 90 * 60, ("a", "b")) == 'sum by (a, b) (rate(x_total{a="b"}[90m]))'
    assert queries.events(expression, 28 * 86400, ("a",)) == "(sum(rate(x_total[28d])) + 0 * count_over_time(y[28d]))"


def test_errors_fall_back_to_zero_per_group():
    bad = queries.bad_events(slos.ratio(), HOUR, ("route",))
    assert bad == (
        '(sum by (route) (rate(http_requests_total{job="demo", code=~"5.."}[1h]))'
        ' or 0 * sum by (route) (rate(http_requests_total{job="demo"}[1h])))'
    )


def test_good_and_latency_count_bad_events_as_total_minus_good():
    good = queries.bad_events(slos.ratio(errors=None, good='x_total{ok="1"}', total="x_total"), HOUR, ())
    assert good == '(sum(rate(x_total[1h])) - (sum(rate(x_total{ok="1"}[1h])) or 0 * sum(rate(x_total[1h]))))'
    latency = queries.error_ratio(slos.latency(le="2.5"), HOUR, ())
    assert 'http_request_duration_seconds_bucket{job="demo", le=~"0*2\\\\.50*|2\\\\.50*[eE][+-]?0+"}[1h]' in latency
    # No `or 0 * total` for the bucket: a histogram without it has no data, not 100% errors.
    assert " or " not in latency
    # Series by series: an instance without the threshold bucket is left out of both counts.
    assert latency.startswith('(sum(rate(http_request_duration_seconds_bucket{job="demo", le="+Inf"}[1h]) - ignoring(le) rate(')
    assert '/\nsum(rate(http_request_duration_seconds_bucket{job="demo", le="+Inf"}[1h]) and ignoring(le) rate(' in latency


@pytest.mark.parametrize(("le", "spellings", "others"), [
    ("1", ["1", "1.0", "1.00", "1e+00", "1E0", "1.0e+00"], ["10", "0.1", "1.5", "11", "1e"]),
    ("0.3", ["0.3", "0.30", ".3", "3e-01", "3.0e-1", "3E-1"], ["0.03", "3", "0.31", "0.3e1"]),
    ("0.005", ["0.005", "5e-03", "5.0e-3"], ["0.05", "5e-2"]),
    ("2.5", ["2.5", "2.50", "2.5e+00", "2.5e0"], ["25", "0.25"]),
    ("10", ["10", "10.0", "1e+01", "1e1", "1.0e+01"], ["1", "100", "1e+00"]),
    ("+Inf", ["+Inf"], ["Inf", "inf"]),
])
def test_le_pattern_matches_every_spelling_of_the_boundary(le, spellings, others):
    import re

    pattern = queries.le_pattern(le)
    assert [s for s in spellings if not re.fullmatch(pattern, s)] == []
    assert [s for s in others if re.fullmatch(pattern, s)] == []


def test_expr_indicator_is_substituted_as_it_stands():
    assert queries.error_ratio(slos.expr("avg_over_time(x[$window])"), 300, ("a",)) == "(avg_over_time(x[5m]))"
    assert queries.bad_events(slos.expr(), 300, ()) is None


def test_every_generated_query_parses():
    programs = [sample_ir.program(), slos.program(slos.slo(group_by=("route",)), slos.slo(name="l", indicator=slos.latency()))]
    for program in programs:
        for path, text in prometheus.emit(program).items():
            if path.endswith(".rules.yml"):
                for group in yaml.safe_load(text)["groups"]:
                    for rule in group["rules"]:
                        promql_parser.parse(rule["expr"])


def test_regex_examples():
    assert regex_examples("5..") == ["500"]
    assert regex_examples("GET|POST") == ["GET"]
    assert regex_examples("(4|5)[0-9]{2}") == ["400"]
    assert "" not in regex_examples(".*")[:1]
    assert regex_examples("[^a]b") == ["bb"]
    assert regex_examples("[^ab0]") == ["x"]
    assert regex_examples("(?P<x") == []


def _rates(series, selector: Selector) -> Decimal:
    return sum((s.increase for s in series if selector.matches(dict(s.labels))), Decimal(0))


@pytest.mark.parametrize(
    "errors, total",
    [
        ('http_requests_total{job="demo", code=~"5.."}', 'http_requests_total{job="demo"}'),
        ('http_requests_total{job="demo", code!~"2..|3.."}', 'http_requests_total{job="demo", code=~"[0-9]+"}'),
        ('http_requests_total{job="demo", status="error"}', 'http_requests_total{job="demo", status!="skip"}'),
        ('http_errors_total{job="demo"}', 'http_requests_total{job="demo"}'),
    ],
)
def test_synthesized_series_give_the_ratio(errors, total):
    indicator = slos.ratio(errors, total)
    series = synthesize(indicator, ("job",), Decimal("0.02"), Decimal(1000))
    assert series is not None
    bad = _rates(series, parse_selector(indicator.errors))
    everything = _rates(series, parse_selector(indicator.total))
    assert (bad, everything) == (Decimal(20), Decimal(1000))
    assert all(dict(s.labels)["job"] == "demo" for s in series)


def test_synthesized_good_and_latency_series():
    indicator = slos.ratio(errors=None, good='jobs_total{outcome="ok"}', total="jobs_total")
    series = synthesize(indicator, (), Decimal("0.25"), Decimal(100))
    assert _rates(series, parse_selector(indicator.good)) == 75
    assert _rates(series, parse_selector(indicator.total)) == 100
    latency = synthesize(slos.latency(le="1"), ("route",), Decimal("0.1"), Decimal(100))
    assert [(dict(s.labels)["le"], dict(s.labels)["route"], s.increase) for s in latency] == [
        ("1", "example", 90), ("+Inf", "example", 100),
    ]


def test_no_error_series_at_ratio_zero():
    series = synthesize(slos.ratio(), (), Decimal(0), Decimal(1000))
    assert [dict(s.labels).get("code") for s in series] == ["200"]


def test_expressions_and_impossible_selectors_give_no_inputs():
    assert synthesize(slos.expr(), (), Decimal("0.1"), Decimal(1)) is None
    assert synthesize(slos.ratio(selectors=False), (), Decimal("0.1"), Decimal(1)) is None
    # Every event the total selects is an error: nothing can be a good event.
    assert synthesize(slos.ratio("x_total", "x_total"), (), Decimal("0.1"), Decimal(1)) is None


@pytest.mark.parametrize(
    "text, group_by, found",
    [
        ('sum by (queue) (rate(jobs_total{outcome="ok"}[$window]))', ("queue",), True),
        ("(sum(increase(jobs_total[$window])))", (), True),
        ("sum(rate(jobs_total[$window]))", ("queue",), False),
        ("sum by (queue) (rate(jobs_total[$window]))", (), False),
        ("sum without (queue) (rate(jobs_total[$window]))", ("queue",), False),
        ("sum(rate(jobs_total[$window])) * 2", (), False),
        ("max(rate(jobs_total[$window]))", (), False),
        ("sum(rate(jobs_total[$window] offset 1h))", (), False),
    ],
)
def test_canonical_expressions_are_fed_through_their_selector(text, group_by, found):
    selector = canonical_selector(Query(text, False, slos.SPAN), group_by)
    assert (selector is not None) == found
    if found:
        assert selector.name == "jobs_total"


def test_canonical_expression_ratio_gets_generated_tests():
    indicator = slos.ratio(
        None, "sum by (queue) (rate(jobs_total[$window]))", good='sum by (queue) (rate(jobs_total{outcome="ok"}[$window]))',
        selectors=False,
    )
    series = synthesize(indicator, ("queue",), Decimal("0.01"), Decimal(100))
    assert [(dict(s.labels)["outcome"], s.increase) for s in series] == [("ok", 99), ("200", 1)]
