"""Maintenance windows in `slo status` and `slo backtest` against the real server: figures from history.py's counts.

payments' six-hour outage (day 5, 03:00-09:00 UTC, 1% errors) falls inside `upgrade`; `now` covers --at.
The rules drop every 5m rate while a window is on or ended less than 5m ago (core/maintenance.py): so do
the expected figures here, minute by minute.
"""

from __future__ import annotations

import history
import pytest
from helpers import run, strict_json

WEEK = 7 * 86400
DAY5 = history.START + 5 * 86400
SPEC = """service pay {
  owner = "t"
  maintenance upgrade { from = "2023-11-19T03:00:00Z"  for = 6h }

  slo outage {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `http_requests_total{job="payments", code=~"5.."}`
      total  = `http_requests_total{job="payments"}`
    }
  }

  slo now {
    objective = 99.9%
    window    = 7d
    maintenance now { from = "2023-11-23T11:30:00Z"  for = 1h }
    indicator ratio {
      errors = `http_requests_total{job="payments", code=~"5.."}`
      total  = `http_requests_total{job="payments"}`
    }
  }
}
"""
UPGRADE = (DAY5 + 3 * 3600, DAY5 + 9 * 3600)
NOW = (history.AT - 1800, history.AT + 1800)


def specs(tmp_path) -> str:
    (tmp_path / "pay.slo").write_text(SPEC, encoding="utf-8")
    return str(tmp_path)


def expected_ratio(windows: list[tuple[int, int]], end: int = history.AT, seconds: int = WEEK) -> float:
    """The SLO window's ratio from the 5m rates evaluated each minute, those at [start, end + 5m) of a window left out."""
    last = history.minute(end)
    kept = [p for p in range(last - seconds // 60, last + 1)
            if not any(history.minute(a) <= p < history.minute(b) + 5 for a, b in windows)]
    bad = total = 0.0
    for m, weight in history._rate_weights(kept).items():
        bad += weight * history.bad_at("payments", "eu", m)
        total += weight * history.total_at("payments", "eu", m)
    return bad / total


def status(url: str, tmp_path, *extra: str):
    result = run("status", specs(tmp_path), "--prometheus", url, "--at", str(history.AT), "--source", "raw", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_events_inside_maintenance_count_neither_good_nor_bad(prometheus_url, tmp_path):
    items = {item["slo_id"]: item for item in strict_json(status(prometheus_url, tmp_path, "--format", "json"))}
    outage = items["pay-outage"]
    ratio = expected_ratio([UPGRADE])
    assert ratio < expected_ratio([]) / 3  # the outage would have counted
    assert outage["sli"] == pytest.approx(1 - ratio, rel=1e-9)
    assert outage["error_budget_remaining"] == pytest.approx(1 - ratio / 0.001, rel=1e-9)
    assert outage["maintenance"] is None  # a one-off window in the past: none to come
    now = items["pay-now"]
    assert now["sli"] == pytest.approx(1 - expected_ratio([UPGRADE, NOW]), rel=1e-9)
    assert now["maintenance"] == {"name": "now", "start": NOW[0], "end": NOW[1], "now": True,
                                  "quiet_until": NOW[1] + 300}
    # No 5m rate while in maintenance: no burn over 5m, so no alert from it.
    assert now["burn_rate"]["5m"] is None and "5m" in now["no_data_windows"]
    assert not any(a["firing"] for a in now["alerts"])


def test_text_says_an_slo_is_in_maintenance(prometheus_url, tmp_path):
    text = status(prometheus_url, tmp_path)
    assert "pay-now: in maintenance now until 2023-11-23T12:30:00Z" in text
    assert "its alerts are quiet until 2023-11-23T12:35:00Z" in text
    assert "- pay-now: in maintenance now until 2023-11-23T12:30:00Z" in status(prometheus_url, tmp_path, "--format", "markdown")


def test_backtest_replays_no_alert_from_an_outage_in_maintenance(prometheus_url, tmp_path):
    args = ("backtest", specs(tmp_path), "--prometheus", prometheus_url, "--from", str(DAY5), "--to",
            str(DAY5 + 86400), "--slo", "pay-outage", "--format", "json")
    result = run(*args)
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    assert all(alert["fired"] == [] for alert in report["alerts"]), report["alerts"]
    # The control: the same SLO without its maintenance window pages on that outage.
    (tmp_path / "pay.slo").write_text(SPEC.replace('  maintenance upgrade { from = "2023-11-19T03:00:00Z"  for = 6h }\n', ""))
    [control] = strict_json(run(*args[:1], str(tmp_path), *args[2:]).stdout)
    assert any(alert["fired"] for alert in control["alerts"])


def test_backtest_from_inside_a_maintenance_window(prometheus_url, tmp_path):
    """The ratio is absent in the window and the 5m after it by design: that is no missing data (no exit 3)."""
    start, end = DAY5 + 4 * 3600, DAY5 + 86400  # an hour into `upgrade` (03:00-09:00)
    result = run("backtest", specs(tmp_path), "--prometheus", prometheus_url, "--from", str(start), "--to", str(end),
                 "--slo", "pay-outage", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    assert all(alert["fired"] == [] for alert in report["alerts"]), report["alerts"]
    # The window's end is no gap either.
    ended = run("backtest", specs(tmp_path), "--prometheus", prometheus_url, "--from", str(DAY5 - 86400), "--to",
                str(DAY5 + 4 * 3600), "--slo", "pay-outage", "--format", "json")
    assert ended.exit_code == 0, ended.output


def test_report_replays_alerts_around_a_maintenance_window(prometheus_url, tmp_path):
    """A window opening two hours before the outage: the report's replay of the outage's stretch starts inside
    it, where the ratio is absent by design; the SLO keeps its alerts (none fire), not `alerts_not_replayed`."""
    (tmp_path / "pay.slo").write_text(SPEC.replace('from = "2023-11-19T03:00:00Z"  for = 6h',
                                                   'from = "2023-11-19T01:00:00Z"  for = 9h'), encoding="utf-8")
    result = run("report", str(tmp_path), "--prometheus", prometheus_url, "--from", str(DAY5 - 86400), "--to",
                 str(DAY5 + 86400), "--slo", "pay-outage", "--history", "0", "--format", "json")
    assert result.exit_code == 0, result.output
    [entry] = strict_json(result.stdout)["slos"]
    assert "alerts_not_replayed" not in entry
    assert entry["pages"] == 0 and entry["tickets"] == 0


CALENDAR = """service cal {
  owner = "t"
  maintenance upgrade { from = "2023-11-19T03:00:00Z"  for = 6h }

  slo day {
    objective = 99.9%
    window    = calendar day
    indicator ratio {
      errors = `http_requests_total{job="payments", code=~"5.."}`
      total  = `http_requests_total{job="payments"}`
    }
  }
}
"""


def test_a_calendar_period_leaves_maintenance_out_too(prometheus_url, tmp_path):
    (tmp_path / "cal.slo").write_text(CALENDAR, encoding="utf-8")
    at = DAY5 + 12 * 3600
    result = run("status", str(tmp_path), "--prometheus", prometheus_url, "--at", str(at), "--source", "raw",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    # The period rule's 5m rates at each whole minute from the day's start + 5m to --at, those in maintenance out.
    first, last = history.minute(DAY5) + 5, history.minute(at)
    kept = [p for p in range(first, last + 1)
            if not history.minute(UPGRADE[0]) <= p < history.minute(UPGRADE[1]) + 5]
    weights = history._rate_weights(kept)
    bad = sum(w * history.bad_at("payments", "eu", m) for m, w in weights.items())
    total = sum(w * history.total_at("payments", "eu", m) for m, w in weights.items())
    assert item["sli"] == pytest.approx(1 - bad / total, rel=1e-9)
    assert item["sli"] > 0.9995  # the outage's 1% would have shown


def test_a_report_ending_inside_maintenance_leaves_it_out_to_the_last_minute(prometheus_url, tmp_path):
    """`--to` three hours into `upgrade` (its 1% errors): the report's sums reach two minutes past the end, and its
    maintenance tests must reach as far, or those minutes' outage counts."""
    result = run("report", specs(tmp_path), "--prometheus", prometheus_url, "--from", str(DAY5), "--to",
                 str(UPGRADE[0] + 3 * 3600), "--slo", "pay-outage", "--history", "0", "--format", "json")
    assert result.exit_code == 0, result.output
    [outage] = strict_json(result.stdout)["slos"]
    assert outage["sli"] == pytest.approx(1 - 0.0001, abs=1e-9), outage
