"""Time slices (issue 24) through the Prometheus backend: the rules' shape, and their generated tests under promtool.

The generated cases (emit/promtest_slices.py) cover every slice good, a slice
exactly at its target, an outage that pages, a blip inside one slice that
does not, a slice without events for each `no_data`, and `ratio = true`.
They must pass against the rules, and fail against rules that count one
slice too many, that drop the floating-point allowance at the target, or
that count a slice without data as good where the spec says bad.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from slocompiler.emit import prometheus
from slocompiler.workflow.compile import load

SPEC = """\
service shop {
  owner = "team-shop"
  slo uptime {
    objective = 99.5%
    slices { length = 1m  target = 95% }
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }
  slo uptime-bad {
    objective = 99.5%
    slices { length = 1m  target = 95%  no_data = bad }
    indicator ratio {
      errors = `http_requests_total{job="shop", code=~"5.."}`
      total  = `http_requests_total{job="shop"}`
    }
  }
  slo uptime-good {
    objective = 99.5%
    group_by  = ["route"]
    slices { length = 2m  target = 95%  no_data = good }
    indicator ratio {
      good  = `http_requests_total{job="shop", code!~"5.."}`
      total = `http_requests_total{job="shop"}`
    }
  }
  slo mean {
    objective = 99%
    slices { length = 10m  ratio = true }
    indicator latency {
      histogram = `http_request_duration_seconds_bucket{job="shop"}`
      threshold = 300ms
    }
  }
  slo probe {
    objective = 99%
    slices { length = 2m  target = 95% }
    indicator threshold {
      metric = `probe_success{job="blackbox"}`
      good   = "== 1"
    }
  }
}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("slices")
    (directory / "shop.slo").write_text(SPEC)
    loaded = load([str(directory / "shop.slo")])
    assert loaded.program is not None, loaded.diagnostics
    return prometheus.emit(loaded.program)


def test_a_1m_slice_slo_reads_each_slice_end(built) -> None:
    rules = built["prometheus/shop.rules.yml"]
    # The last slice's error ratio, raw over 1m (shorter than the 5m tiles).
    assert ('sum(rate(http_requests_total{job="shop", code=~"5.."}[1m])) or on () 0 * '
            'slo:sli_events_total:rate5m{slo_id="shop-uptime"}') in rules
    # Bad-slice ratios: every slice ending within (t - W, t], read at its end.
    assert ('avg_over_time(((slo:slice_error:ratio{slo_id="shop-uptime"} >= 0) > bool 0.05 * (1 + 1e-9))'
            '[3599s:1m])') in rules
    # A day and more: the hourly counts.
    assert ('sum_over_time(slo:slices_bad:sum1h{slo_id="shop-uptime"}[2591999s:1h])\n      /\n'
            '      sum_over_time(slo:slices_counted:count1h{slo_id="shop-uptime"}[2591999s:1h])') in rules
    # min_failures counts bad slices.
    assert ('sum_over_time(((slo:slice_error:ratio{slo_id="shop-uptime"} >= 0) > bool 0.05 * (1 + 1e-9))'
            '[3599s:1m]) >= 10') in rules
    # no_data = bad: a slice without events, or without any series, is a bad one.
    assert "count(" in rules and "or on ()\n      vector(1)" in rules
    # ratio = true: the mean slice error ratio; 10m slices are 5m tiles; the current window holds one slice.
    assert 'avg_over_time((slo:slice_error:ratio{slo_id="shop-mean"} >= 0)[3599s:10m])' in rules
    assert 'slo:sli_error:ratio_rate10m{slo_id="shop-mean"} / 0.01' in rules


def _run(promtool: str, directory: Path, rules: str, tests: str, keep: str | None = None) -> str:
    """promtool test rules on the given texts (only the cases whose name starts with `keep`); its report, '' on success."""
    document = yaml.safe_load(tests)
    if keep is not None:
        document["tests"] = [case for case in document["tests"] if case["name"].startswith(keep)]
        assert document["tests"]
    (directory / "shop.rules.yml").write_text(rules)
    (directory / "shop.test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", "shop.test.yml"], cwd=directory, capture_output=True,
                            check=False, text=True, timeout=600)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def test_generated_slice_tests_pass(built, promtool, tmp_path) -> None:
    tests = built["prometheus/shop.test.yml"]
    for case in ("every slice exactly at its target", "an outage of 15 whole slices of 1m pages",
                 "a blip of 1m inside one slice does not page", "(no_data = skip)", "(no_data = bad)",
                 "(no_data = good)", "a steady 0.09 error ratio in every slice"):
        assert case in tests
    assert _run(promtool, tmp_path, built["prometheus/shop.rules.yml"], tests) == ""


# Each mutant runs the one case that catches it (every case costs promtool about a second).
@pytest.mark.parametrize(("old", "new", "keep", "caught"), [
    ("[3599s:1m]", "[1h:1m]", "shop-uptime: an outage", "shop-uptime: an outage"),  # 61 slices in an hour
    ("> bool 0.05 * (1 + 1e-9)", "> bool 0.05", "shop-uptime-good: every slice exactly at its target",
     "exactly at its target"),  # 1 - 0.95 > 0.05
    ("vector(1)", "vector(0)", "shop-uptime-bad: no series at all", "no series at all"),  # no series read as good
])
def test_generated_slice_tests_fail_on_broken_rules(built, promtool, tmp_path, old, new, keep, caught) -> None:
    rules = built["prometheus/shop.rules.yml"]
    assert old in rules
    report = _run(promtool, tmp_path, rules.replace(old, new), built["prometheus/shop.test.yml"], keep)
    assert caught in report, report


@pytest.mark.parametrize(("length", "indicator", "warned"), [
    ("1m", 'ratio { errors = `e_total{code="500"}` total = `e_total` }', True),
    ("2m", 'ratio { errors = `e_total{code="500"}` total = `e_total` }', False),
    ("1m", 'threshold { metric = `probe_success` good = "== 1" }', False),  # judged samples, not a rate
])
def test_a_1m_slice_of_a_counter_warns_that_it_needs_two_scrapes_a_minute(tmp_path, length, indicator, warned):
    # The review's finding: at a 1m scrape interval the rate over a 1m slice holds one sample, no data.
    (tmp_path / "a.slo").write_text(f'service s {{\n  owner = "t"\n  slo up {{\n    objective = 99%\n'
                                    f'    slices {{ length = {length} target = 95% }}\n    indicator {indicator}\n  }}\n}}\n')
    loaded = load([str(tmp_path / "a.slo")])
    found = [d for d in loaded.diagnostics if "needs two scrapes" in d.message]
    assert [(d.span.line, d.span.column) for d in found] == ([(5, 23)] if warned else [])
