"""Turning backtest answers into a `promtool test rules` file for the generated rules, and running it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from slocompiler.core import conventions as c
from slocompiler.emit import rules
from slocompiler.live.backtest.model import Replay

STEP = 60


def generated_rules(service) -> tuple[str, dict[str, list[dict]], dict[str, dict]]:
    """The service's rules file with annotations dropped; each SLO's burn-rate rules in order; its NoData rule.

    Annotations only describe an alert (and may hold `$value`); they never
    decide whether it fires, so the checks compare labels alone. The labels
    are read from the file, whatever scheme the backend uses to tell rules apart.
    """
    document = yaml.safe_load(rules.rules_yaml(service))
    burn: dict[str, list[dict]] = {}
    no_data: dict[str, dict] = {}
    for slo in service.slos:
        own = [r for g in document["groups"] for r in g["rules"] if r["labels"].get(c.LABEL_SLO_ID) == slo.id]
        burn[slo.id] = [r for r in own if r.get("alert") == slo.alerting.name]
        for rule in own:
            if rule.get("alert") == slo.alerting.name + c.ALERT_NO_DATA_SUFFIX:
                no_data[slo.id] = rule
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return yaml.safe_dump(document, sort_keys=False), burn, no_data


def sample_times(replays: list[Replay], start: int, end: int) -> list[int]:
    """Every 20 minutes, and around each firing interval and each stretch min_failures withheld: the evaluations before, at and after each end."""
    times = set(range(start, end + 1, 20 * STEP))
    for replay in replays:
        withheld = [[(w.start, w.end) for w in f.withheld] for f in replay.rules]
        for found in [f.intervals for f in replay.rules] + [replay.no_data] + withheld:
            for first, last in found:
                times.update((first - STEP, first, last, last + STEP))
    return sorted(t for t in times if start <= t <= end)


def expected(service, written: tuple, replays: list[Replay], at: int) -> dict[str, list[dict]]:
    """Alert name -> the alerts the backtest says fire at `at`, with the labels Prometheus gives them."""
    _, burn, no_data = written
    out: dict[str, list[dict]] = {}
    for slo in service.slos:
        out[slo.alerting.name] = []
        if slo.id in no_data:
            out[slo.alerting.name + c.ALERT_NO_DATA_SUFFIX] = []
    names = {slo.id: slo.alerting.name for slo in service.slos}
    seen_no_data = set()
    for replay in replays:
        assert len(burn[replay.slo_id]) == len(replay.rules), "backtest_model.rules_of must follow the prometheus backend"
        for rule, fired in zip(burn[replay.slo_id], replay.rules):
            if _firing(fired.intervals, at):
                out[names[replay.slo_id]].append({"exp_labels": {**replay.group, **rule["labels"]}})
        # NoData is one alert per SLO, whatever its groups.
        if _firing(replay.no_data, at) and replay.slo_id not in seen_no_data:
            seen_no_data.add(replay.slo_id)
            out[names[replay.slo_id] + c.ALERT_NO_DATA_SUFFIX].append({"exp_labels": no_data[replay.slo_id]["labels"]})
    return out


def _firing(found, at: int) -> bool:
    return any(first <= at <= last for first, last in found)


def promtool_checks(service, replays: list[Replay], start: int, end: int, origin: int) -> tuple[str, list[dict], int]:
    """(rules file text, alert_rule_test entries with promtool's time 0 at `origin`, how many expect a firing alert)."""
    written = generated_rules(service)
    checks, firing = [], 0
    for at in sample_times(replays, start, end):
        for alertname, alerts in expected(service, written, replays, at).items():
            firing += bool(alerts)
            checks.append({"eval_time": f"{at - origin}s", "alertname": alertname, "exp_alerts": alerts})
    return written[0], checks, firing


def run_promtool(promtool: str, directory: Path, rules_text: str, input_series: list[dict], checks: list[dict]):
    """Write the rules and the test file into `directory` and run `promtool test rules` on it."""
    (directory / "rules.yml").write_text(rules_text, encoding="utf-8")
    document = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": input_series, "alert_rule_test": checks}],
    }
    (directory / "backtest.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return subprocess.run([promtool, "test", "rules", "backtest.test.yml"], cwd=directory, capture_output=True, text=True)
