"""The backtest agrees with Prometheus's own rule evaluation.

The backtest replays specs over the test server's history; from the same
history this writes a `promtool test rules` file for the generated rules whose
`alert_rule_test` expectations are the backtest's answers for each generated
alerting rule (firing and not firing) at sampled times around every interval
it found, and the real promtool must pass it. promtool's time 0 is the history minute ORIGIN, early
enough that every window of every evaluation sees the same samples the server has.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

import history
from slocompiler import conventions as c
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
        for fired in replay.rules:
            for first, last in fired.intervals:
                times.update((first - STEP, first, last, last + STEP))
    return sorted(t for t in times if FROM <= t <= TO)


def generated_rules(service) -> tuple[str, dict[str, list[dict]]]:
    """The service's generated rules file, annotations dropped, and each SLO's burn-rate alerting rules in order.

    Annotations only describe an alert (and may hold `$value`); they never
    decide whether it fires, so the check compares labels alone. The labels
    are read from the file, whatever scheme the backend uses to tell rules apart.
    """
    document = yaml.safe_load(rules.rules_yaml(service))
    by_slo: dict[str, list[dict]] = {}
    for slo in service.slos:
        group = next(g for g in document["groups"] if g["name"] == c.GROUP_SLI.format(slo_id=slo.id))
        by_slo[slo.id] = [r for r in group["rules"] if r.get("alert") == slo.alerting.name]
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return yaml.safe_dump(document, sort_keys=False), by_slo


def expected(service, alerting: dict[str, list[dict]], replays: list[Replay], at: int) -> dict[str, list[dict]]:
    """Alert name -> the alerts the backtest says fire at `at`, with the labels Prometheus gives them."""
    out: dict[str, list[dict]] = {slo.alerting.name: [] for slo in service.slos}
    names = {slo.id: slo.alerting.name for slo in service.slos}
    for replay in replays:
        written = alerting[replay.slo_id]
        assert len(written) == len(replay.rules), "backtest_model.rules_of must follow the prometheus backend"
        for rule, fired in zip(written, replay.rules):
            if any(first <= at <= last for first, last in fired.intervals):
                out[names[replay.slo_id]].append({"exp_labels": {**replay.group, **rule["labels"]}})
    return out


def test_backtest_answers_pass_promtool(prometheus_url, tmp_path, promtool):
    program = load([str(SPEC)]).program
    assert program is not None
    service = program.services[0]
    with Prometheus(Connection(prometheus_url)) as client:
        replays = run(program, client, Range(FROM, TO, STEP))
    # The history must make this test mean something: both severities fire, and not all the time.
    fired = [f for r in replays for f in r.rules if f.intervals]
    assert {f.severity for f in fired} == {"page", "ticket"}
    assert {r.slo_id for r in replays for f in r.rules if f.intervals} == {"shop-regional", "shop-latency"}
    text, alerting = generated_rules(service)
    (tmp_path / "rules.yml").write_text(text, encoding="utf-8")
    checks = []
    times = sample_times(replays)
    firing_checks = 0
    for at in times:
        for alertname, alerts in expected(service, alerting, replays, at).items():
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
    first, _ = next(i for r in replays for f in r.rules for i in f.intervals)
    # Claim nothing fires at the first evaluation where the backtest says something does.
    text, _ = generated_rules(service)
    checks = [{"eval_time": f"{first - ORIGIN}s", "alertname": slo.alerting.name, "exp_alerts": []} for slo in service.slos]
    (tmp_path / "rules.yml").write_text(text, encoding="utf-8")
    document = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": input_series(), "alert_rule_test": checks}]}
    (tmp_path / "wrong.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "wrong.test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0
