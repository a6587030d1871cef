"""`slo status` against the real server: figures equal history.py's counts and the generated rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import history
import pytest
from helpers import SPECS, expected_ratio, program, run, status_json

from slocompiler.core import conventions as c
from slocompiler.core import queries
from slocompiler.core.units import prom_window
from slocompiler.emit.rules import rule_groups
from slocompiler.live.client import Connection, Prometheus

WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600, "1d": 86400, "3d": 259200, "7d": 604800}


def slos_by_id():
    return {slo.id: (service, slo) for service in program().services for slo in service.slos}


def test_json_has_the_contract_shape_and_every_group(prometheus_url):
    objects = status_json(prometheus_url)
    keys = ["slo_id", "service", "slo", "group", "objective", "window", "sli", "error_budget_remaining",
            "burn_rate", "no_data_windows", "alerts", "policy", "data"]
    assert all(list(o) == keys for o in objects)
    assert [(o["slo_id"], o["group"]) for o in objects] == [
        ("checkout-availability", {"region": "eu"}), ("checkout-availability", {"region": "us"}),
        ("checkout-latency", {}), ("held-us", {}), ("payments-availability", {}), ("quiet-availability", {})]
    first = objects[0]
    assert first["objective"] == 0.999 and first["window"] == "7d" and first["data"] == "ok"
    assert list(first["alerts"][0]) == ["alert", "severity", "long", "short", "burn", "firing"]
    assert list(first["policy"][0]) == ["when", "action", "blocks", "applies", "data"]
    assert first["no_data_windows"] == {} and {p["data"] for o in objects for p in o["policy"]} == {"ok"}


def test_figures_equal_the_known_counts(prometheus_url):
    slos = slos_by_id()
    for item in status_json(prometheus_url, "--source", "raw"):
        service, slo = slos[item["slo_id"]]
        budget = float(slo.error_budget)
        period = expected_ratio(item["slo_id"], item["group"], slo.window, period=True)
        assert item["sli"] == pytest.approx(1 - period, rel=1e-9)
        assert item["error_budget_remaining"] == pytest.approx(1 - period / budget, rel=1e-9, abs=1e-9)
        windows = {w for cond in slo.alerting.conditions for w in (cond.long, cond.short)} | {slo.window}
        windows |= {rule.over or slo.window for rule in (service.policy.rules if service.policy else ())}
        assert [WINDOW_SECONDS[w] for w in item["burn_rate"]] == sorted(windows)
        for window, burn in item["burn_rate"].items():
            seconds = WINDOW_SECONDS[window]
            expected = expected_ratio(item["slo_id"], item["group"], seconds, seconds == slo.window) / budget
            assert burn == pytest.approx(expected, rel=1e-9), (item["slo_id"], window)


def test_alert_conditions_and_policy_follow_the_figures(prometheus_url):
    slos = slos_by_id()
    objects = status_json(prometheus_url, "--source", "raw")
    for item in objects:
        service, slo = slos[item["slo_id"]]
        for alert, condition in zip(item["alerts"], slo.alerting.conditions, strict=True):
            threshold = float(condition.burn * slo.error_budget)
            holds = all(expected_ratio(item["slo_id"], item["group"], w) > threshold
                        for w in (condition.long, condition.short))
            assert alert["firing"] == holds or condition.for_  # `for`: its own test below
            assert (alert["long"], alert["short"]) == (prom_window(condition.long), prom_window(condition.short))
    us = objects[1]
    # The outage at AT burns the us region: both pages fire; eu's old outage fires nothing now.
    assert [a["firing"] for a in us["alerts"] if a["severity"] == "page"] == [True, True]
    assert not any(a["firing"] for a in objects[0]["alerts"])
    applies = {o["slo_id"] + str(o["group"]): [p["when"] for p in o["policy"] if p["applies"]] for o in objects}
    assert applies["checkout-availability{'region': 'eu'}"] == [
        "budget_remaining < 50%", "budget_remaining <= 0%", "burn_rate > 2 over 1d"]
    assert applies["checkout-availability{'region': 'us'}"] == ["burn_rate > 2 over 1d"]
    assert applies["quiet-availability{}"] == []


def _inline(expr: str, recorded: dict[str, str], slo_id: str) -> str:
    """Replace each recorded series the expression reads by its rule's expression (a subquery for a range).

    A tile `x offset 5m` becomes the last point of a 1m subquery offset so: `offset` takes no expression.
    """
    for name, body in sorted(recorded.items(), key=lambda item: -len(item[0])):
        selector = re.escape(queries.recorded(name, slo_id))
        expr = re.sub(selector + r"\[(\w+)\]", lambda m, b=body: f"({b})[{m.group(1)}:1m]", expr)
        expr = re.sub(selector + r" offset (\w+)", lambda m, b=body: f"last_over_time(({b})[1m:1m] offset {m.group(1)})",
                      expr)
        expr = re.sub(selector, lambda m, b=body: f"({b})", expr)
    return expr


def test_figures_equal_the_generated_recording_rules(prometheus_url):
    """The generated rules' own expressions, evaluated by the same server, give the same SLI and burn rates."""
    status = {(o["slo_id"], o["group"].get("region", "")): o for o in status_json(prometheus_url, "--source", "raw")}
    with Prometheus(Connection(prometheus_url)) as client:
        for service in program().services:
            for slo in service.slos:
                rules = [rule for group in rule_groups(service) for rule in group["rules"]
                         if "record" in rule and rule["labels"][c.LABEL_SLO_ID] == slo.id]
                recorded = {rule["record"]: rule["expr"] for rule in rules}
                for rule in rules:
                    if not rule["record"].startswith(c.ERROR_RATIO_PREFIX):
                        continue
                    window = rule["record"][len(c.ERROR_RATIO_PREFIX):]
                    for sample in client.query(_inline(rule["expr"], recorded, slo.id), history.AT):
                        mine = status[(slo.id, sample.labels.get("region", ""))]["burn_rate"][window]
                        theirs = sample.value / float(slo.error_budget)
                        assert mine == pytest.approx(theirs, rel=1e-9), (slo.id, window)


def test_auto_reads_deployed_rules_and_says_so(prometheus_url):
    result = run("status", SPECS, "--prometheus", prometheus_url, "--at", str(history.AT), "--slo", history.DEPLOYED_SLO_ID)
    assert result.exit_code == 0
    # payments has deployed ratios for its alert windows and period, not for the policy's 1d.
    assert "from recorded series where deployed, the indicators' own series elsewhere" in result.stdout
    recorded = status_json(prometheus_url, "--slo", history.DEPLOYED_SLO_ID, "--source", "recorded")[0]
    assert recorded["burn_rate"]["1d"] is None and recorded["burn_rate"]["1h"] == pytest.approx(
        history.window_ratio("payments", ("eu",), history.AT, 3600) / 0.001, rel=1e-9)
    raw = run("status", SPECS, "--prometheus", prometheus_url, "--at", str(history.AT), "--slo", "quiet-availability")
    assert "from the indicators' own series" in raw.stdout


def test_no_data_is_null_figures(prometheus_url):
    item = status_json(prometheus_url, "--slo", "quiet-availability", "--at", str(history.START - 86400))[0]
    assert item["data"] == "no_data" and item["sli"] is None and item["error_budget_remaining"] is None
    assert set(item["burn_rate"].values()) == {None} and not any(p["applies"] for p in item["policy"])
    # Every window is named, with why: the service's series did not exist yet.
    assert item["no_data_windows"] == {window: "no series" for window in item["burn_rate"]}
    assert {p["data"] for p in item["policy"]} == {"no_data"}


def test_text_and_markdown_tables(prometheus_url):
    text = run("status", SPECS, "--prometheus", prometheus_url, "--at", "2023-11-23T12:00:00Z", "--source", "raw").stdout
    lines = text.splitlines()
    assert lines[0] == "at 2023-11-23T12:00:00Z, from the indicators' own series"
    header = lines[1]
    assert header.startswith("SLO ") and "BUDGET LEFT" in header
    # Aligned: every row's BUDGET LEFT cell starts in the header's column.
    column = header.index("BUDGET LEFT")
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines[2:])
    us = next(line for line in lines if "region=us" in line)
    assert "page 1h/5m, page 6h/30m" in us
    markdown = run("status", SPECS, "--prometheus", prometheus_url, "--at", str(history.AT), "--format", "markdown").stdout
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert rows[1] == "|---|---|---|---|---|---|---|---|" and len(rows) == 8
    assert all(row.count(" | ") == 7 for row in rows[2:])


def test_unreachable_server_is_exit_3_in_one_line():
    result = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--timeout", "2")
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: cannot reach Prometheus")


def test_unknown_slo_is_a_usage_error_with_a_suggestion():
    result = run("status", SPECS, "--prometheus", "http://127.0.0.1:1", "--slo", "checkout-availabilty")
    assert result.exit_code == 2 and 'did you mean "checkout-availability"' in result.stderr


def test_a_condition_with_for_fires_only_after_holding_that_long(prometheus_url):
    item = status_json(prometheus_url, "--slo", "held-us", "--source", "raw")[0]

    def held(minutes: int) -> bool:
        ends = range(history.AT - minutes * 60, history.AT + 1, 60)
        return all(history.window_ratio("checkout", ("us",), end, window) > 0.0144
                   for end in ends for window in (3600, 300))

    # The us outage began 50 minutes before AT; the 1h ratio crossed 1.44% some 18 minutes later.
    assert (held(30), held(40)) == (True, False)
    assert [alert["firing"] for alert in item["alerts"]] == [held(30), held(40)]


def test_the_readme_session_is_what_status_and_gate_print(prometheus_url, tmp_path, monkeypatch):
    # The README's example runs on specs/shop.slo, a copy of the test specs.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "shop.slo").write_text((Path(SPECS) / "shop.slo").read_text())
    monkeypatch.chdir(tmp_path)
    for command in ("slo status specs/ --service checkout --at 2023-11-23T12:00:00Z",
                    "slo gate specs/ --service checkout --at 2023-11-23T12:00:00Z"):
        shown = readme.split(f"$ {command}", 1)[1].split("\n$ ", 1)[0]
        shown = shown.split("\n", 1)[1] if shown.startswith(";") else shown.lstrip("\n")
        result = run(*command.split()[1:], "--prometheus", prometheus_url, "--source", "raw")
        assert result.stdout == shown.replace("exit 1\n", ""), result.output


@pytest.mark.parametrize("share, fires", [(0.5, True), (2.0, False)])
def test_status_applies_min_failures_as_the_rules_do(prometheus_url, tmp_path, share, fires):
    """The us outage at AT pages; asking for more failures than it had silences both pages, as the rules would."""
    bad_1h, _ = history.window_counts("checkout", ("us",), history.AT, 3600)
    bad_6h, _ = history.window_counts("checkout", ("us",), history.AT, 6 * 3600)
    needed = int((bad_1h if fires else bad_6h) * share)
    text = (Path(SPECS) / "shop.slo").read_text().replace(
        'policy = standard\n', f"policy = standard\n  alerting {{ min_failures = {needed} }}\n", 1)
    (tmp_path / "shop.slo").write_text(text)
    result = run("status", str(tmp_path), "--prometheus", prometheus_url, "--at", str(history.AT), "--format", "json",
                 "--source", "raw", "--slo", "checkout-availability")
    assert result.exit_code == 0, result.output
    us = next(o for o in json.loads(result.stdout) if o["group"] == {"region": "us"})
    assert [a["firing"] for a in us["alerts"] if a["severity"] == "page"] == [fires, fires]


def test_text_shows_burn_rates_and_firing_when_only_the_slo_window_is_missing():
    # Every window but 7d has a 1% error ratio (10x a 0.1% budget): the SLI and budget have no data, but the
    # burn rates and the ticket firing do, as JSON says; the text once printed "no data" over all of them.
    from slocompiler.live import state as live_state
    from slocompiler.live.readings import Reading
    from slocompiler.live.status import render_json, render_markdown, rows

    service, slo = slos_by_id()["payments-availability"]
    results = {w: {(): Reading({}, 0.01)} for w in live_state.windows(service, slo) if w != slo.window}
    groups = live_state._groups(service, slo, results, {})
    states = [live_state.SloState(service, slo, groups, "recorded")]
    (item,) = json.loads(render_json(states))
    assert item["sli"] is None and item["burn_rate"]["1h"] == pytest.approx(10)
    assert any(alert["firing"] for alert in item["alerts"])
    row = rows(states)[1]
    assert row[3:5] == ["no data", "no data"]  # SLI and budget
    assert "1h:10.00" in row[5] and "7d:no data" in row[5]
    assert "ticket 3d/6h" in row[6] and "no data" not in row[6].split(", ")[0]
    assert "burn_rate > 2 over 1d" in row[7] and "budget_remaining <= 0%: no data" in row[7]
    assert "1h:10.00" in render_markdown(states, history.AT)
