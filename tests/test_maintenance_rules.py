"""Maintenance windows in the Prometheus rules: the generated cases pass, and fail on rules that ignore a window."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from types import SimpleNamespace

import yaml

from slocompiler.core import pairs
from slocompiler.core.units import parse_duration_ms
from slocompiler.emit import alerts, prometheus
from slocompiler.workflow.compile import load

SHOP = """
service shop {
  owner = "team-shop"
  slo avail {
    objective = 99.9%
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
    maintenance release { every = thursday at = "06:00" for = 1h timezone = "Europe/Berlin" }
  }
}
"""

VARIED = """
service varied {
  owner = "team-shop"
  maintenance nightly { every = day at = "02:30" for = 30m timezone = "America/New_York" }
  maintenance upgrade { from = "2026-12-05T02:00:00Z" for = 3h }
  slo latency {
    objective = 99%
    group_by  = ["route"]
    indicator latency { histogram = `http_request_duration_seconds_bucket{job="shop"}` threshold = 300ms }
    alerting { page { burn = 14.4 long = 1h short = 7m } }
  }
  slo probe {
    objective = 99.5%
    indicator threshold { metric = `probe_success{job="blackbox"}` good = "== 1" }
  }
  slo fresh {
    objective = 99%
    indicator expr { error_ratio = `avg_over_time((max(queue_age_seconds) > bool 300)[$window:1m])` }
  }
  slo sliced {
    objective = 99.5%
    window    = calendar month
    slices { length = 1m target = 95% no_data = bad }
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }
}
"""

SLICED = """
service sliced {
  owner = "team-shop"
  slo sliced {
    objective = 99.5%
    slices { length = 1m target = 95% no_data = bad }
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
    maintenance nightly { every = day at = "01:00" for = 30m timezone = "UTC" }
  }
}
"""


def program_of(tmp_path: Path, text: str):
    spec = tmp_path / "spec.slo"
    spec.write_text(text, encoding="utf-8")
    loaded = load([str(spec)])
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


def without_maintenance(program):
    services = tuple(dataclasses.replace(service, maintenance=(), slos=tuple(
        dataclasses.replace(slo, maintenance=()) for slo in service.slos)) for service in program.services)
    return dataclasses.replace(program, services=services)


def only_case(test_text: str, words: str) -> str:
    document = yaml.safe_load(test_text)
    document["tests"] = [case for case in document["tests"] if words in case["name"]]
    assert len(document["tests"]) == 1
    return yaml.safe_dump(document, sort_keys=False)


def test_without_maintenance_nothing_is_recorded_or_excluded(tmp_path):
    rules = prometheus.emit(without_maintenance(program_of(tmp_path, SHOP)))["prometheus/shop.rules.yml"]
    assert "slo:maintenance" not in rules and "unless on ()" not in rules


def test_the_generated_cases_pass_and_catch_rules_that_ignore_maintenance(tmp_path, promtool, monkeypatch):
    """One promtool run: the maintenance case each set of rules is about, beside its own rules file."""
    program = program_of(tmp_path, SHOP)
    good = prometheus.emit(program)
    outage, hold = (only_case(good["prometheus/shop.test.yml"], words) for words in ("spends nothing", "does not hold"))
    tests = {"good": outage, "good_hold": hold, "ignored": outage, "held": hold, "no_data": outage}
    rules = {"good": good["prometheus/shop.rules.yml"], "good_hold": good["prometheus/shop.rules.yml"],
             "ignored": prometheus.emit(without_maintenance(program))["prometheus/shop.rules.yml"]}
    unchanged = SimpleNamespace(outside=lambda slo, expr: expr)
    monkeypatch.setattr(pairs, "maintenance", unchanged)
    rules["held"] = prometheus.emit(program)["prometheus/shop.rules.yml"]
    monkeypatch.undo()
    monkeypatch.setattr(alerts, "maintenance", unchanged)
    rules["no_data"] = prometheus.emit(program)["prometheus/shop.rules.yml"]
    monkeypatch.undo()
    assert len(set(rules.values())) == 4
    for name, text in rules.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "shop.rules.yml").write_text(text, encoding="utf-8")
        (tmp_path / name / "shop.test.yml").write_text(tests[name], encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", *(f"{name}/shop.test.yml" for name in rules)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    verdicts = {}
    for block in output.split("Unit Testing:")[1:]:
        name = block.strip().split("/", 1)[0]
        verdicts[name] = "SUCCESS" in block.split("\n", 2)[1]
    assert verdicts == {"good": True, "good_hold": True, "ignored": False, "held": False, "no_data": False}, output[-4000:]
    assert "NoData" in output  # the NoData mutant fails on its alert, not on a page


def test_every_indicator_kind_with_maintenance_passes_promtool(tmp_path, promtool):
    """Latency with group_by and a raw 7m window, threshold, expr, calendar slices with no_data = bad; UTC-less zones, a one-off."""
    files = prometheus.emit(program_of(tmp_path, VARIED))
    rules = files["prometheus/varied.rules.yml"]
    # No window reads raw series but the base series' own 5m: the 7m window comes from the recorded rates.
    assert "[7m]" not in rules and "rate(http_request_duration_seconds_bucket" in rules
    (tmp_path / "varied.rules.yml").write_text(rules, encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", "varied.rules.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_slice_in_maintenance_is_skipped_even_with_no_data_bad(tmp_path, promtool):
    files = prometheus.emit(program_of(tmp_path, SLICED))
    (tmp_path / "sliced.rules.yml").write_text(files["prometheus/sliced.rules.yml"], encoding="utf-8")
    # No series at all: every slice is bad (no_data = bad) but those of 01:00-01:30 and the 5 minutes after
    # (a slice SLO's pad: its current window).
    selector = 'slo:slice_error:ratio{slo_id="sliced-sliced"}'
    checks = [(59, 1), (60, None), (94, None), (95, 1)]
    test = {"rule_files": ["sliced.rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [],
        "promql_expr_test": [{"expr": f"max({selector})", "eval_time": f"{minute}m",
                              "exp_samples": [] if value is None else [{"labels": "{}", "value": value}]}
                             for minute, value in checks]}]}
    (tmp_path / "slices.test.yml").write_text(yaml.safe_dump(test), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "slices.test.yml"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_cases_that_reach_the_first_window_are_left_out_and_said_so(tmp_path):
    tests = prometheus.emit(program_of(tmp_path, SHOP))["prometheus/shop.test.yml"]
    document = yaml.safe_load(tests)
    last = max(parse_duration_ms(check["eval_time"])[0] // 1000 for case in document["tests"]
               if "maintenance" not in case["name"]
               for check in case.get("alert_rule_test", []) + case.get("promql_expr_test", []))
    assert last < 5 * 3600  # 1970-01-01 06:00 Berlin is 05:00 UTC
    assert "# Not tested: 4 cases of shop-avail (they reach its first maintenance window, at 5h in promtool's time)" in tests
