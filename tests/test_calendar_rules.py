"""Calendar SLOs' rules (issue 24): the generated promtool tests pass, and fail on rules that do not reset or use the wrong zone."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from slocompiler.core import conventions as c
from slocompiler.emit import prometheus, rules
from slocompiler.workflow.compile import load

SPEC = """
service shop {
  owner    = "team-shop"
  timezone = "Europe/Berlin"

  slo orders {
    objective = 99.9%
    window    = calendar month
    indicator ratio {
      errors = "http_requests_total{job=\\"shop\\", code=~\\"5..\\"}"
      total  = "http_requests_total{job=\\"shop\\"}"
    }
  }
  slo carts {
    objective = 99%
    window    = calendar day
    indicator ratio {
      errors = "cart_requests_total{code=~\\"5..\\"}"
      total  = "cart_requests_total"
    }
    alerting { enabled = false }
  }
  slo payments {
    objective = 99.5%
    window    = calendar day
    timezone  = "UTC"
    group_by  = ["route"]
    indicator ratio {
      errors = "pay_requests_total{code=~\\"5..\\"}"
      total  = "pay_requests_total"
    }
    alerting { enabled = false }
  }
}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calendar")
    (folder / "shop.slo").write_text(SPEC, encoding="utf-8")
    loaded = load([str(folder)])
    assert not [d for d in loaded.diagnostics if d.severity == "error"]
    return loaded.program


def _write(program, folder: Path, rules_text: str | None = None, only: str | None = None) -> Path:
    files = prometheus.emit(program)
    (folder / "prometheus").mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        if path.endswith(".test.yml") and only is not None:
            document = yaml.safe_load(text)
            document["tests"] = [t for t in document["tests"] if only in t["name"]]
            text = yaml.safe_dump(document, sort_keys=False)
        if path.endswith(".rules.yml") and rules_text is not None:
            text = rules_text
        (folder / path).write_text(text, encoding="utf-8")
    return folder / "prometheus" / "shop.test.yml"


def _promtool(promtool: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=600, check=False)


def test_the_calendar_rules_record_the_period_and_its_ratio(program):
    text = rules.rules_yaml(program.services[0])
    period = yaml.safe_load(text)["groups"][1]["rules"]
    names = [(r["record"], r["labels"]["slo_id"]) for r in period]
    assert names[:3] == [(c.PERIOD_START, "shop-orders"), (c.PERIOD_END, "shop-orders"), (c.PERIOD_RATIO, "shop-orders")]
    assert (c.error_ratio_rule(30 * 86400), "shop-orders") not in names
    by = {(r["record"], r["labels"]["slo_id"]): r["expr"] for r in period}
    # A day in Berlin and one in UTC: each computes its own.
    assert "time()" in by[(c.PERIOD_START, "shop-carts")] and "time()" in by[(c.PERIOD_START, "shop-payments")]
    assert "[747h]" in by[(c.PERIOD_RATIO, "shop-orders")] and "[27h]" in by[(c.PERIOD_RATIO, "shop-carts")]
    assert by[(c.TIME_PERIOD_DAYS, "shop-orders")] == "vector(30)"


def test_a_second_slo_of_the_same_unit_and_zone_copies_the_start(tmp_path):
    twice = SPEC.replace("window    = calendar day\n    timezone  = \"UTC\"", "window    = calendar day")
    (tmp_path / "shop.slo").write_text(twice, encoding="utf-8")
    period = yaml.safe_load(rules.rules_yaml(load([str(tmp_path)]).program.services[0]))["groups"][1]["rules"]
    starts = {r["labels"]["slo_id"]: r["expr"] for r in period if r["record"] == c.PERIOD_START}
    assert starts["shop-payments"] == f'vector(scalar({c.PERIOD_START}{{slo_id="shop-carts"}}))'


def test_the_generated_tests_pass_and_fail_on_broken_rules(program, promtool, tmp_path):
    """The whole file passes; the calendar cases fail when the ratio sums every period, or the zone is UTC."""
    good = _write(program, tmp_path / "good")
    text = rules.rules_yaml(program.services[0])
    # Every period's sums kept: two series of one label set once a second period starts.
    no_reset = text.replace("and on (slo_period)", "and on ()")
    assert no_reset != text
    utc_start = rules.rules_yaml(program.services[0])
    from slocompiler.core import calendar

    berlin = calendar.period_start_vector_promql("day", "Europe/Berlin")
    assert berlin in utc_start
    utc_start = utc_start.replace(berlin, calendar.period_start_vector_promql("day", "UTC"))
    # Only the cases that must catch each: the reset one replays the Berlin day; a wrong zone shows at time 0, in the bounds case.
    mutants = [_write(program, tmp_path / name, broken, only=only)
               for name, broken, only in (("no_reset", no_reset, "shop-carts: "),
                                          ("utc", utc_start, "shop-carts: the calendar day in Europe/Berlin: bounds"))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda path: _promtool(promtool, path), [good, *mutants]))
    assert results[0].returncode == 0, results[0].stdout[-3000:] + results[0].stderr[-3000:]
    for result, name in zip(results[1:], ("slo:sli_error:ratio_period", "slo:period_start:timestamp")):
        assert result.returncode != 0 and name in result.stdout + result.stderr


def test_check_warns_at_the_window_when_the_offset_table_ends_within_a_year(tmp_path, monkeypatch):
    from slocompiler.core import calendar
    from slocompiler.lang import check

    (tmp_path / "shop.slo").write_text(SPEC, encoding="utf-8")
    end = calendar.table_range()[1]
    monkeypatch.setattr(check, "clock", lambda: end - 400 * 86400)
    assert not [d for d in load([str(tmp_path)]).diagnostics if "table" in d.message]
    monkeypatch.setattr(check, "clock", lambda: end - 300 * 86400)
    warned = [d for d in load([str(tmp_path)]).diagnostics if "table" in d.message]
    assert len(warned) == 3 and all(d.severity == "warning" for d in warned)
    assert "Europe/Berlin's UTC offsets that ends with 2045" in warned[0].message
    assert warned[0].span.line == 8  # the orders SLO's `window`
