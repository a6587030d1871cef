"""Live commands in 2024, before the rules' table years (2025-2045), in Europe/Berlin, on the real server.

The rules' step tables of a zone's clock changes are fixed to 2025-2045;
before them they keep January 2025's offset (CET), an hour off in a Berlin
summer. A live command evaluates the same maintenance PromQL at the times it
reads, so its tables are built for that span (live/outside.py,
`maintenance.table_years`). report_history.py's September 2024 (constant
traffic, the `rpt-api` outage 02:00-02:10 UTC on Friday the 20th) read as a
calendar month in Berlin, with and without a weekly window on Fridays at
04:00 Berlin time (02:00 UTC in summer; CET would put it at 03:00 UTC, after
the outage). Figures from report_history.py's minutes and zoneinfo.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import report_history as h
from helpers import run, strict_json

from slocompiler.core import maintenance
from slocompiler.core.ir import Maintenance, Span

SPEC = """\
service ber {
  owner = "t"

  slo month {
    objective = 99.9%
    window    = calendar month
    timezone  = "Europe/Berlin"
    indicator ratio {
      errors = `report_requests_total{job="rpt-api", code="500"}`
      total  = `report_requests_total{job="rpt-api"}`
    }
  }

  slo quiet {
    objective = 99.9%
    window    = calendar month
    timezone  = "Europe/Berlin"
    maintenance night { every = friday  at = "04:00"  for = 15m  timezone = "Europe/Berlin" }
    indicator ratio {
      errors = `report_requests_total{job="rpt-api", code="500"}`
      total  = `report_requests_total{job="rpt-api"}`
    }
  }
}
"""
NIGHT = Maintenance("night", 900, Span("ber.slo", 1, 1), every="friday", at=4 * 3600, timezone="Europe/Berlin")
PAD = 300  # the rules drop a 5m rate that holds any minute of a window
SEPTEMBER = (1_725_141_600, 1_727_733_600)  # 2024-09-01 and 2024-10-01 00:00 CEST (22:00 UTC the day before)
OUTAGE = h.OUTAGES[1][1]  # 2024-09-20T02:00:00Z, 10 minutes


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def specs(tmp_path) -> str:
    (tmp_path / "ber.slo").write_text(SPEC, encoding="utf-8")
    return str(tmp_path)


def expected_ratio(first: int, last: int, quiet: bool) -> float:
    """The 5m rates at each whole minute in [first, last] summed (bad over total), those in a window or its pad
    left out when `quiet`, the windows placed by zoneinfo."""
    windows = maintenance.occurrences(NIGHT, first - PAD, last + 1) if quiet else []
    bad = total = 0.0
    for t in range(first, last + 1, 60):
        if not any(start <= t < end + PAD for start, end in windows):
            bad += h.rate_5m(lambda m: h.bad_at("rpt-api", m), t)
            total += h.rate_5m(lambda m: h.total_at("rpt-api", m), t)
    return bad / total


def test_the_window_is_in_the_outage_only_on_the_summer_clock():
    # The reference: 04:00 CEST is 02:00 UTC, covering the outage; the rules' CET before 2025 would say 03:00.
    assert maintenance.occurrences(NIGHT, OUTAGE, OUTAGE + 1) == [(OUTAGE, OUTAGE + 900)]
    assert maintenance.occurrences_before_table(NIGHT, OUTAGE, OUTAGE + 1) == []


def test_report_of_a_berlin_month_in_2024(prometheus_url, tmp_path):
    result = run("report", specs(tmp_path), "--prometheus", prometheus_url, "--period", "2024-09",
                 "--timezone", "Europe/Berlin", "--history", "0", "--format", "json")
    assert result.exit_code == 0, result.output
    report = strict_json(result.stdout)
    assert (report["period"]["from"], report["period"]["to"]) == SEPTEMBER
    found = {entry["slo_id"]: entry for entry in report["slos"]}
    first, last = SEPTEMBER[0] + 180, SEPTEMBER[1] + 120  # the report sums [from + 3m, to + 2m]
    for slo_id, quiet in (("ber-month", False), ("ber-quiet", True)):
        entry = found[slo_id]
        assert entry["sli"] == pytest.approx(1 - expected_ratio(first, last, quiet), rel=1e-11), slo_id
        # The calendar SLO's own period: the Berlin month, from local midnight in summer time.
        assert [(p["start"], p["end"], p["complete"]) for p in entry["periods"]] == [(*SEPTEMBER, True)]
    # The night outage spends budget and pages, except inside the window.
    assert found["ber-quiet"]["budget_spent"] < found["ber-month"]["budget_spent"] - 0.2
    assert any(OUTAGE <= i["start"] <= OUTAGE + 600 for i in found["ber-month"]["incidents"])
    assert not any(OUTAGE <= i["start"] <= OUTAGE + 3600 for i in found["ber-quiet"]["incidents"])


def test_status_at_a_time_in_2024(prometheus_url, tmp_path):
    at = _at("2024-09-20T02:30:00")
    result = run("status", specs(tmp_path), "--prometheus", prometheus_url, "--at", str(at), "--source", "raw",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    found = {entry["slo_id"]: entry for entry in strict_json(result.stdout)}
    for slo_id, quiet in (("ber-month", False), ("ber-quiet", True)):
        assert (found[slo_id]["period"]["start"], found[slo_id]["period"]["end"]) == SEPTEMBER
        # The period's 5m rates at each whole minute from its start + 5m to --at (live/periods.raw_ratio).
        assert found[slo_id]["sli"] == pytest.approx(1 - expected_ratio(SEPTEMBER[0] + 300, at, quiet), rel=1e-11)


def test_backtest_in_2024_pages_outside_the_window_only(prometheus_url, tmp_path):
    result = run("backtest", specs(tmp_path), "--prometheus", prometheus_url, "--from", "2024-09-20T01:00:00Z",
                 "--to", "2024-09-20T04:00:00Z", "--format", "json")
    assert result.exit_code == 0, result.output
    fired = {entry["slo_id"]: h.fired(entry, "page") for entry in json.loads(result.stdout)}
    assert any(OUTAGE <= start <= OUTAGE + 600 for start, _ in fired["ber-month"])
    assert fired["ber-quiet"] == []
