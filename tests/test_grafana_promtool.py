"""A 3-minute outage shows on the service dashboard at its default range, proven through promtool.

At the SLO window's range (30d) Grafana asks for a point about every hour;
the test evaluates the dashboard's own queries once, 37 minutes after a
3-minute full outage ended, with `$__rate_interval` set to that hour.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from behaviour import slos

from slocompiler.emit import grafana
from slocompiler.emit.rules import rules_yaml

STEP = "1h"
LABELS = 'slo_id="demo-availability", slo_service="demo", slo_name="availability", team="demo"'


def _queries(program) -> dict[str, str]:
    board = json.loads(grafana.emit(program)["grafana/demo.json"])
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            found[f"{panel['title']} {target['refId']}"] = target["expr"].replace("$__rate_interval", STEP)
    return found


def _run_promtool(tmp_path: Path, promtool: str, program, ok: str, bad: str, tests: list[dict]) -> None:
    """The program's rules through `promtool test rules`, on a 200 and a 503 counter sampled every 15s."""
    case = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "15s",
        "tests": [{
            "interval": "15s",
            "input_series": [
                {"series": 'http_requests_total{job="demo", code="200"}', "values": ok},
                {"series": 'http_requests_total{job="demo", code="503"}', "values": bad},
            ],
            "promql_expr_test": tests,
        }],
    }
    (tmp_path / "rules.yml").write_text(rules_yaml(program.services[0]), encoding="utf-8")
    (tmp_path / "test.yml").write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_three_minute_outage_shows_in_the_sli_and_alerts_panels(tmp_path: Path, promtool: str):
    program = slos.program(slos.slo(alerting_annotations=(("summary", "s"), ("description", "d"))), runbook=None)
    queries = _queries(program)
    sli, alerts = queries["SLI against the objective A"], queries["Alerts A"]
    # 1000 requests every 15s; every one fails from 20m to 23m (12 samples).
    ok = "0+1000x80 80000+0x12 80000+1000x140"
    bad = "0+0x80 0+1000x12 12000+0x140"
    tests = [
        # The step's lowest SLI is far below the objective...
        {"expr": f"count(({sli}) < 0.9)", "eval_time": STEP, "exp_samples": [{"labels": "{}", "value": 1}]},
        # ...where the instant value at the step shows a healthy service.
        {"expr": f'(1 - slo:sli_error:ratio_rate5m{{{LABELS}}}) < 0.999', "eval_time": STEP, "exp_samples": []},
        # The page fired (2) during the step, though it resolved long before it ended.
        {"expr": f'({alerts}) == 2', "eval_time": STEP, "exp_samples": [
            {"labels": '{alertname="DemoAvailabilityErrorBudgetBurn", severity="page"}', "value": 2},
            {"labels": '{alertname="DemoAvailabilityErrorBudgetBurn", severity="ticket"}', "value": 2},
        ]},
        {"expr": f'ALERTS{{slo_id="demo-availability", severity="page"}}', "eval_time": STEP, "exp_samples": []},
    ]
    _run_promtool(tmp_path, promtool, program, ok, bad, tests)


def _row_queries(program) -> dict[tuple[str, str, str], str]:
    """(SLO name, panel title, refId) -> the query, for every SLO row of the service dashboard."""
    board = json.loads(grafana.emit(program)["grafana/demo.json"])
    found, row = {}, ""
    for panel in board["panels"]:
        if panel["type"] == "row":
            row = panel["title"].split(":")[0]
        for target in panel.get("targets", []):
            found[(row, panel["title"], target["refId"])] = target["expr"]
    return found


def _at(expr: str, step: str) -> str:
    return expr.replace("$__rate_interval", step)


def test_traffic_and_data_panels_through_promtool(tmp_path: Path, promtool: str):
    """Data is 2 with events, 1 without (idle), 0 while the series are gone; Traffic plots events per second.

    100 requests a second, 10 of them failing, for 20m; no samples for 20m
    (the process is down); then the counters come back for 10m of the same
    traffic, and stay flat after (no traffic). A ratio SLO and an `expr`
    SLO read the same counters.
    """
    ratio_expr = ('sum(rate(http_requests_total{job="demo", code=~"5.."}[$window]))'
                  ' / sum(rate(http_requests_total{job="demo"}[$window]))')
    program = slos.program(slos.slo(), slos.slo(name="freshness", indicator=slos.expr(ratio_expr)))
    queries = _row_queries(program)
    assert ("freshness", "Traffic", "A") not in queries  # an `expr` SLO counts no events
    ok = "0+1350x80 _x79 108000+1350x40 162000+0x40"
    bad = "0+150x80 _x79 12000+150x40 18000+0x40"

    def data(slo: str, step: str, at: str, value: int) -> dict:
        return {"expr": _at(queries[(slo, "Data", "A")], step), "eval_time": at,
                "exp_samples": [{"labels": "{}", "value": value}]}

    def near(slo: str, ref: str, at: str, value: float) -> dict:
        # Within a millionth: the rates of a perfectly linear counter, read back through floats.
        expr = f"abs(({_at(queries[(slo, 'Traffic', ref)], '5m')}) - {value}) < 0.000001"
        return {"expr": f"count({expr})", "eval_time": at, "exp_samples": [{"labels": "{}", "value": 1}]}

    tests = []
    for slo in ("availability", "freshness"):
        tests += [
            data(slo, "1m", "10m", 2),  # events
            data(slo, "1m", "35m", 0),  # the series are gone
            data(slo, "1m", "45m", 2),  # back
            data(slo, "1m", "58m", 1),  # no events
            # The worst within a step, which the value at the step would not show:
            data(slo, "1h", "50m", 0),  # the gap, in an hour that ends with events
            data(slo, "15m", "58m", 1),  # idle minutes, in a step that began with events
            data(slo, "10m", "15m", 2),
        ]
    tests += [
        near("availability", "A", "15m", 100), near("availability", "B", "15m", 10),
        near("availability", "A", "60m", 0), near("availability", "B", "60m", 0),
        # No rate to average while the series are gone: a gap in both lines, not a 0.
        {"expr": _at(queries[("availability", "Traffic", "A")], "5m"), "eval_time": "35m", "exp_samples": []},
        {"expr": _at(queries[("availability", "Traffic", "B")], "5m"), "eval_time": "35m", "exp_samples": []},
    ]
    _run_promtool(tmp_path, promtool, program, ok, bad, tests)
