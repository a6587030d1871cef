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


def test_three_minute_outage_shows_in_the_sli_and_alerts_panels(tmp_path: Path, promtool: str):
    program = slos.program(slos.slo(alerting_annotations=(("summary", "s"), ("description", "d"))), runbook=None)
    queries = _queries(program)
    sli, alerts = queries["SLI against the objective A"], queries["Alerts A"]
    # 1000 requests every 15s; every one fails from 20m to 23m (12 samples).
    ok = "0+1000x80 80000+0x12 80000+1000x140"
    bad = "0+0x80 0+1000x12 12000+0x140"
    case = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "15s",
        "tests": [{
            "interval": "15s",
            "input_series": [
                {"series": 'http_requests_total{job="demo", code="200"}', "values": ok},
                {"series": 'http_requests_total{job="demo", code="503"}', "values": bad},
            ],
            "promql_expr_test": [
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
            ],
        }],
    }
    (tmp_path / "rules.yml").write_text(rules_yaml(program.services[0]), encoding="utf-8")
    (tmp_path / "test.yml").write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
