"""The backtest agrees with Prometheus's own rule evaluation.

The backtest replays specs over the test server's history; from the same
history this writes a `promtool test rules` file for the generated rules whose
`alert_rule_test` expectations are the backtest's answers (firing and not
firing) at sampled times around every interval it found, and the real
promtool must pass it. promtool's time 0 is the history minute ORIGIN, early
enough that every window of every evaluation sees the same samples the server has.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

import history
from slocompiler.compile import load
from slocompiler.emit import prometheus as rules
from slocompiler.live.backtest import Range, run
from slocompiler.live.backtest_model import Replay
from slocompiler.live.client import Connection, Prometheus

SPEC = Path(__file__).parent / "backtest" / "regional.slo"
STEP = 60
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


def sample_times(replays: list[Replay]) -> list[int]:
    """Every 20 minutes, and around each firing interval: the evaluations before, at and after each end."""
    times = set(range(FROM, TO + 1, 20 * STEP))
    for replay in replays:
        for fired in replay.conditions:
            for first, last in fired.intervals:
                times.update((first - STEP, first, last, last + STEP))
    return sorted(t for t in times if FROM <= t <= TO)


def expected(service, replays: list[Replay], at: int) -> dict[str, list[dict]]:
    """Alert name -> the alerts firing at `at` by the backtest, with the labels and annotations Prometheus gives them."""
    out: dict[str, list[dict]] = {slo.alerting.name: [] for slo in service.slos}
    slos = {slo.id: slo for slo in service.slos}
    for replay in replays:
        slo = slos[replay.slo_id]
        for condition, fired in zip(slo.alerting.conditions, replay.conditions):
            if any(first <= at <= last for first, last in fired.intervals):
                labels = rules.alert_labels(service, slo, condition.severity, rules.condition_key(slo, condition), condition.labels)
                summary, description = rules.condition_text(slo, condition)
                notes = rules.annotations(service, slo, summary, description, condition.annotations)
                out[slo.alerting.name].append({"exp_labels": {**replay.group, **labels}, "exp_annotations": notes})
    return out


def test_backtest_answers_pass_promtool(prometheus_url, tmp_path, promtool):
    program = load([str(SPEC)]).program
    assert program is not None
    service = program.services[0]
    with Prometheus(Connection(prometheus_url)) as client:
        replays = run(program, client, Range(FROM, TO, STEP))
    # The history must make this test mean something: both severities fire, and not all the time.
    fired = [f for r in replays for f in r.conditions if f.intervals]
    assert {f.severity for f in fired} == {"page", "ticket"}
    assert {r.slo_id for r in replays for f in r.conditions if f.intervals} == {"shop-regional", "shop-latency"}
    (tmp_path / "rules.yml").write_text(rules.rules_yaml(service), encoding="utf-8")
    checks = []
    times = sample_times(replays)
    firing_checks = 0
    for at in times:
        for alertname, alerts in expected(service, replays, at).items():
            firing_checks += bool(alerts)
            checks.append({"eval_time": f"{at - ORIGIN}s", "alertname": alertname, "exp_alerts": alerts})
    assert firing_checks >= 10 and len(checks) - firing_checks >= 10
    document = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": input_series(), "alert_rule_test": checks}],
    }
    (tmp_path / "backtest.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "backtest.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_promtool_catches_a_wrong_answer(prometheus_url, tmp_path, promtool):
    """The same check fails when one expectation is flipped: the test above can fail."""
    program = load([str(SPEC)]).program
    service = program.services[0]
    with Prometheus(Connection(prometheus_url)) as client:
        replays = run(program, client, Range(FROM, TO, STEP))
    first, _ = next(i for r in replays for f in r.conditions for i in f.intervals)
    # Claim nothing fires at the first evaluation where the backtest says something does.
    checks = [{"eval_time": f"{first - ORIGIN}s", "alertname": name, "exp_alerts": []} for name in expected(service, replays, first)]
    (tmp_path / "rules.yml").write_text(rules.rules_yaml(service), encoding="utf-8")
    document = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": input_series(), "alert_rule_test": checks}]}
    (tmp_path / "wrong.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "wrong.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
