"""The backtest agrees with Prometheus's own rule evaluation.

The backtest replays specs over the test server's history; from the same
history this writes a `promtool test rules` file for the generated rules whose
`alert_rule_test` expectations are the backtest's answers for each generated
alerting rule (firing and not firing) at sampled times around every interval
it found, and the real promtool must pass it. promtool's time 0 is the history
minute ORIGIN, early enough that every window of every evaluation sees the
same samples the server has.
"""

from __future__ import annotations

from pathlib import Path

import history
import pytest
from promtool_report import failed_alerts, seconds

from slocompiler.live.backtest.run import Range, run
from slocompiler.live.client import Connection, Prometheus
from slocompiler.workflow.compile import load

from .backtest_checks import STEP, promtool_checks, run_promtool

SPEC = Path(__file__).parent / "backtest" / "regional.slo"
# Day 7 06:00 to day 8 18:00: the slow hour (day 7, 10:00) and the eu outage (day 8, 14:00).
FROM = history.START + 7 * 86400 + 6 * 3600
TO = history.START + 8 * 86400 + 18 * 3600
# One day (the longest window) and the longest `for` before FROM.
ORIGIN = FROM - 86400 - 3600
METRICS = ("http_requests_total", "http_request_duration_seconds_bucket")


def input_series() -> list[dict]:
    """The history's checkout series from ORIGIN to TO, one value a minute, exactly as written to the TSDB."""
    values: dict[str, list[str]] = {}
    for line in history.openmetrics():
        if not line.startswith(METRICS) or 'job="checkout"' not in line:
            continue
        series, value, at = line.rsplit(" ", 2)
        if ORIGIN <= int(at) <= TO:
            values.setdefault(series, []).append(value)
    return [{"series": series, "values": " ".join(points)} for series, points in values.items()]


def replays(prometheus_url: str):
    program = load([str(SPEC)]).program
    assert program is not None
    with Prometheus(Connection(prometheus_url)) as client:
        return program.services[0], run(program, client, Range(FROM, TO, STEP))


@pytest.fixture(scope="module")
def checked(prometheus_url, tmp_path_factory, promtool) -> dict:
    """The backtest's answers as checks, and one flipped answer, in one promtool run: what each test reads.

    Replaying the 61 hours is what costs (~20 s of promtool's CPU), so the
    flipped expectation (nothing fires at the first evaluation where the
    backtest says something does) sits in the same test group as the
    backtest's own: it must be the one failure promtool reports.
    """
    service, found = replays(prometheus_url)
    text, checks, firing = promtool_checks(service, found, FROM, TO, ORIGIN)
    first, _ = next(i for r in found for f in r.rules for i in f.intervals)
    flipped = [{"eval_time": f"{first - ORIGIN}s", "alertname": slo.alerting.name, "exp_alerts": []} for slo in service.slos]
    # The backtest's own check at that time and name says which flipped ones must fail.
    answers = {(check["alertname"], seconds(check["eval_time"])): check["exp_alerts"] for check in checks}
    must_fail = {(f["alertname"], seconds(f["eval_time"])) for f in flipped if answers[f["alertname"], seconds(f["eval_time"])]}
    result = run_promtool(promtool, tmp_path_factory.mktemp("backtest"), text, input_series(), checks + flipped)
    return {"service": service, "found": found, "checks": checks, "firing": firing, "must_fail": must_fail,
            "failed": failed_alerts(result), "report": (result.stdout + result.stderr)[-4000:]}


def test_backtest_answers_pass_promtool(checked):
    found = checked["found"]
    # The history must make this test mean something: both severities fire, and not all the time.
    fired = [f for r in found for f in r.rules if f.intervals]
    assert {f.severity for f in fired} == {"page", "ticket"}
    assert {r.slo_id for r in found for f in r.rules if f.intervals} == {"shop-regional", "shop-latency"}
    assert checked["firing"] >= 10 and len(checked["checks"]) - checked["firing"] >= 10
    # The only failures are the flipped expectations (each "nothing fires"), none of the backtest's answers.
    assert sorted(checked["failed"]) == sorted((name, at, True) for name, at in checked["must_fail"]), checked["report"]


def test_promtool_catches_a_wrong_answer(checked):
    """The same check fails when one expectation is flipped: the test above can fail."""
    assert checked["must_fail"]
    assert {(name, at) for name, at, nothing in checked["failed"] if nothing} >= checked["must_fail"], checked["report"]
