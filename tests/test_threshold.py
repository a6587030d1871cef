"""Threshold indicators (issue 24) through the Prometheus backend: the rules' shape, and their generated tests under promtool.

A threshold SLO's events are its series' samples, each judged once per
evaluation by `slo:sli_sample_good:bool`; the 5m rates count them
(docs/PROMETHEUS.md, "Indicators"). The generated promtool tests replay
gauges (a share of 40 series bad) and must pass; with the comparison turned
the wrong way round they must fail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from slocompiler.emit import prometheus
from slocompiler.workflow.compile import load

SPEC = """\
service web {
  owner = "team-web"
  slo probe {
    objective = 99%
    indicator threshold {
      metric = `probe_success{job="blackbox", target="shop"}`
      good   = ">= 1"
    }
  }
  slo temperature {
    objective = 99.5%
    group_by  = ["zone"]
    indicator threshold {
      metric = `room_celsius{site="lab"}`
      good   = "< 30.5"
    }
    alerting { page { burn = 14.4 long = 1h short = 5m min_failures = 0 } }
  }
}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("threshold")
    (directory / "web.slo").write_text(SPEC)
    loaded = load([str(directory / "web.slo")])
    assert loaded.program is not None, loaded.diagnostics
    files = prometheus.emit(loaded.program)
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    return directory / "prometheus", files


def test_samples_are_judged_once_and_counted_per_second(built) -> None:
    _, files = built
    rules = files["prometheus/web.rules.yml"]
    assert 'probe_success{job="blackbox", target="shop"} >= bool 1\n' in rules
    assert 'sum(count_over_time(slo:sli_sample_good:bool{slo_id="web-probe"}[299s])) / 300\n' in rules
    assert ('sum(count_over_time(slo:sli_sample_good:bool{slo_id="web-probe"}[299s])'
            ' - sum_over_time(slo:sli_sample_good:bool{slo_id="web-probe"}[299s])) / 300\n') in rules
    # group_by keeps the label through the judged samples to the rates.
    assert 'sum by (zone) (count_over_time(slo:sli_sample_good:bool{slo_id="web-temperature"}[299s])) / 300' in rules
    assert 'room_celsius{site="lab"} < bool 30.5' in rules
    # Only the judging rule reads the raw series, once, as an instant.
    assert rules.count("probe_success") == 1


def _promtool_test(promtool: str, directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", "web.test.yml"], cwd=directory, capture_output=True, text=True,
                          timeout=600)


def test_generated_tests_pass_and_fail_on_the_wrong_comparison(built, promtool, tmp_path) -> None:
    directory, files = built
    tests = files["prometheus/web.test.yml"]
    assert tests.count("- name:") >= 12 and "probe-39" in tests
    result = _promtool_test(promtool, directory)
    assert result.returncode == 0, result.stdout + result.stderr
    # A sample on the threshold counts as bad: `> bool 1` would judge every good probe bad.
    (tmp_path / "web.test.yml").write_text(tests)
    (tmp_path / "web.rules.yml").write_text(files["prometheus/web.rules.yml"].replace(">= bool 1", "> bool 1"))
    broken = _promtool_test(promtool, tmp_path)
    report = broken.stdout + broken.stderr
    assert broken.returncode != 0 and "web-probe" in report and "name: web-temperature" not in report



PROBE = """\
service web {{
  owner = "team-web"
  slo probe {{
    objective = 99.9%
    indicator threshold {{
      metric = `probe_success{{job="blackbox", target="shop"}}`
      good   = ">= 1"
    }}
{alerting}  }}
}}
"""


def _page_check(at: str, firing: bool) -> dict:
    expected = [{"labels": 'ALERTS{alertname="WebProbeErrorBudgetBurn", alertstate="firing", severity="page", '
                           'slo_id="web-probe", slo_name="probe", slo_service="web"}', "value": 1}] if firing else []
    return {"expr": 'ALERTS{alertname="WebProbeErrorBudgetBurn", alertstate="firing", severity="page"}',
            "eval_time": at, "exp_samples": expected}


def _probe_run(promtool: str, directory: Path, alerting: str, values: str, checks: list[dict]) -> bool:
    (directory / "web.slo").write_text(PROBE.format(alerting=alerting))
    loaded = load([str(directory / "web.slo")])
    assert loaded.program is not None, loaded.diagnostics
    (directory / "web.rules.yml").write_text(prometheus.emit(loaded.program)["prometheus/web.rules.yml"])
    case = {"rule_files": ["web.rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [{"series": 'probe_success{job="blackbox", target="shop"}', "values": values}],
        "promql_expr_test": checks}]}
    (directory / "probe.test.yml").write_text(yaml.safe_dump(case))
    return subprocess.run([promtool, "test", "rules", "probe.test.yml"], cwd=directory, capture_output=True,
                          text=True, timeout=600).returncode == 0


QUIET = [_page_check(f"{m}m", False) for m in range(60, 121, 5)]


@pytest.mark.parametrize(("values", "checks"), [
    # One and two failed probes after a healthy hour: at 99.9% either would page on the ratio alone,
    # but min_failures (10 bad samples for a page) holds it.
    ("1x60 0 1x60", QUIET),
    ("1x60 0 1 1 0 1x60", QUIET),
    # Down for 30 minutes: the page fires once ten failures are counted (on-call defaults, issue 28).
    ("1x60 0x30", [_page_check("68m", False), _page_check("72m", True)]),
], ids=["one failure", "two failures", "30m down"])
def test_min_failures_counts_bad_probe_samples(promtool, tmp_path, values, checks) -> None:
    assert _probe_run(promtool, tmp_path, "", values, checks)
    if checks is QUIET:  # the guard is what holds the page: without it the same history pages
        assert not _probe_run(promtool, tmp_path, "    alerting { min_failures = 0 }\n", values, checks)
