"""The live commands against VictoriaMetrics' Prometheus API: the same figures as against Prometheus (docs/ENGINES.md).

Both servers hold the same history (conftest.py imports calendar_history.py's
OpenMetrics into each). Every command runs against both and the answers are
compared field by field: the same rows, alerts, rules and diagnostics, and
figures within the tolerance docs/ENGINES.md states (engines.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import history
import pytest
from engines import differences, intervals_agree, seen
from helpers import SPECS, expected_ratio, run

AT = str(history.AT)
BACKTEST = Path(__file__).parent / "backtest"


def both(prometheus_url: str, victoria_url: str, *args: str):
    """`slo <args> --prometheus URL` against each engine: (Prometheus's result, VictoriaMetrics')."""
    return run(*args, "--prometheus", prometheus_url), run(*args, "--prometheus", victoria_url)


def test_status_figures_agree_from_raw_series(prometheus_url, victoria_url):
    prom, vm = both(prometheus_url, victoria_url, "status", SPECS, "--at", AT, "--format", "json", "--source", "raw")
    assert prom.exit_code == vm.exit_code == 0, vm.output
    assert differences(json.loads(prom.stdout), json.loads(vm.stdout)) == []


def test_status_figures_from_raw_series_equal_the_known_counts(prometheus_url, victoria_url):
    # Not only the same as Prometheus: right. The period figure of checkout us against history.py's counts.
    vm = run("status", SPECS, "--at", AT, "--format", "json", "--source", "raw", "--prometheus", victoria_url,
             "--slo", "checkout-availability")
    us = next(o for o in json.loads(vm.stdout) if o["group"] == {"region": "us"})
    period = expected_ratio("checkout-availability", {"region": "us"}, 7 * 86400, period=True)
    assert abs(us["sli"] - (1 - period)) / period < 0.01
    assert abs(us["burn_rate"]["1h"] - expected_ratio("checkout-availability", {"region": "us"}, 3600) / 0.001) < 1e-6


def test_status_from_recorded_series_agrees(prometheus_url, victoria_url):
    # The deployed series of payments and the recorded cases (rec-*) of history.py, NaN included.
    prom, vm = both(prometheus_url, victoria_url, "status", SPECS, "--at", AT, "--format", "json")
    assert prom.exit_code == vm.exit_code == 0, vm.output
    assert differences(json.loads(prom.stdout), json.loads(vm.stdout)) == []


def test_gate_decides_the_same(prometheus_url, victoria_url):
    for extra in ((), ("--action", "deploy"), ("--service", "payments", "--service", "quiet")):
        prom, vm = both(prometheus_url, victoria_url, "gate", SPECS, "--at", AT, "--format", "json", *extra)
        assert prom.exit_code == vm.exit_code, (extra, vm.output)
        assert differences(json.loads(prom.stdout), json.loads(vm.stdout)) == [], extra
    before = str(history.START - 86400)  # no data yet: exit 3 on both
    prom, vm = both(prometheus_url, victoria_url, "gate", SPECS, "--at", before, "--service", "quiet")
    assert prom.exit_code == vm.exit_code == 3


def test_verify_finds_the_same(prometheus_url, victoria_url):
    prom, vm = both(prometheus_url, victoria_url, "verify", SPECS, "--at", AT, "--format", "json")
    assert prom.exit_code == vm.exit_code == 1, vm.output
    assert differences(json.loads(prom.stdout), json.loads(vm.stdout)) == []


def test_backtest_fires_in_the_same_intervals(prometheus_url, victoria_url):
    span = ("--from", str(history.START + 7 * 86400), "--to", str(history.START + 9 * 86400 + 18 * 3600))
    prom, vm = both(prometheus_url, victoria_url, "backtest", str(BACKTEST / "shop.slo"), *span, "--format", "json")
    assert prom.exit_code == vm.exit_code == 0, vm.output
    ours, theirs = json.loads(prom.stdout), json.loads(vm.stdout)
    assert [(r["slo_id"], r.get("group")) for r in ours] == [(r["slo_id"], r.get("group")) for r in theirs]
    assert any(alert["fired"] for r in ours for alert in r["alerts"])  # day 8's and day 9's outages page
    for a, b in zip(ours, theirs):
        for x, y in zip(a["alerts"], b["alerts"], strict=True):
            assert intervals_agree(x["fired"], y["fired"]), (a["slo_id"], x["fired"], y["fired"])
        assert differences(a["error_budget_remaining_at_end"], b["error_budget_remaining_at_end"],
                           "error_budget_remaining") == []


def test_a_subquery_longer_than_victoriametrics_takes_is_sent_in_parts(prometheus_url, victoria_url):
    # VictoriaMetrics 1.79 refuses a subquery of more than 30,000 points: a 30d window at 1m has 43,200.
    from slocompiler.live.client import Connection, LiveError, Prometheus
    from slocompiler.live.subqueries import over_time

    expr = 'sum(rate(http_requests_total{job="payments"}[5m]))'
    whole = f"sum_over_time(({expr})[30d:1m])"
    with Prometheus(Connection(prometheus_url)) as prom, Prometheus(Connection(victoria_url)) as vm:
        try:
            vm.query(whole, history.AT)
            refused = False
        except LiveError as error:
            refused = "too many points" in str(error)
        assert refused, "VictoriaMetrics answered a 43,200-point subquery: the parts are no longer needed"
        parts = over_time("sum", expr, 30 * 86400, 60)
        assert parts.count("sum_over_time") == 3
        # Prometheus: the parts count every minute once, as the whole subquery does.
        for function in ("sum", "count"):
            one = prom.query(f"{function}_over_time(({expr})[30d:1m])", history.AT)[0].value
            assert prom.query(over_time(function, expr, 30 * 86400, 60), history.AT)[0].value == pytest.approx(one, rel=1e-12)
        assert differences(prom.query(parts, history.AT)[0].value, vm.query(parts, history.AT)[0].value,
                           "30d subquery in parts") == []


@pytest.fixture(scope="module", autouse=True)
def _report_differences():
    """With -s: the largest differences between the engines seen by this module's comparisons."""
    yield
    print("\nlargest relative differences, Prometheus vs VictoriaMetrics:",
          ", ".join(f"{key} {value:.3g}" for key, value in sorted(seen.items())))
