"""`slo status` of a slice SLO against the real server: its bad-slice ratios, counted here from history.py.

history.py's counters have one sample a minute on the minute, so the 1m
slice ending at minute e holds the requests of minute e - 1. The expected
figures are the share of those slices whose error ratio is above 1 - target,
over the slices ending within each window (a day and more: ending at the last
whole hour, which AT is).
"""

from __future__ import annotations

import history
import pytest
from helpers import run, strict_json

SPEC = """\
service shop {
  owner = "team-shop"
  slo uptime {
    objective = 99.5%
    window    = 7d
    slices { length = 1m  target = 99% }
    indicator ratio {
      errors = `http_requests_total{job="checkout", code=~"5.."}`
      total  = `http_requests_total{job="checkout"}`
    }
  }
}
"""
WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600, "3d": 259200, "7d": 604800}


def bad_slice(end: int) -> int:
    """1 when the 1m slice ending at minute `end` is bad (its requests are minute end - 1's)."""
    m = end - 1
    bad = sum(history.bad_at("checkout", r, m) for r in history.REGIONS)
    total = sum(history.total_at("checkout", r, m) for r in history.REGIONS)
    return int(bad / total > 0.01)


def expected(seconds: int) -> float:
    last = history.minute(history.AT)
    ends = range(last - seconds // 60 + 1, last + 1)
    return sum(map(bad_slice, ends)) / len(ends)


@pytest.mark.parametrize("source", ["raw"])
def test_status_gives_the_bad_slice_ratios(prometheus_url, tmp_path, source):
    assert history.AT % 3600 == 0  # the hourly windows end at AT too
    (tmp_path / "shop.slo").write_text(SPEC)
    result = run("status", str(tmp_path / "shop.slo"), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--source", source, "--format", "json")
    assert result.exit_code == 0, result.output
    (item,) = strict_json(result.stdout)
    assert list(item["burn_rate"]) == ["5m", "30m", "1h", "6h", "3d", "7d"]
    for window, burn in item["burn_rate"].items():
        assert burn == pytest.approx(expected(WINDOW_SECONDS[window]) / 0.005, rel=1e-9), window
    # The us outage at 5% makes the last 50 slices bad; the eu outage of day 8 thirty more.
    assert item["burn_rate"]["1h"] == pytest.approx(50 / 60 / 0.005)
    assert item["burn_rate"]["7d"] == pytest.approx(80 / 10080 / 0.005)
    assert item["sli"] == pytest.approx(1 - 80 / 10080)
    page = next(a for a in item["alerts"] if a["long"] == "1h")
    assert page["firing"]  # 50 bad slices in the hour: above 14.4x and above min_failures


def test_backtest_pages_on_whole_bad_slices(prometheus_url, tmp_path):
    """A replay asks the server for each window's bad-slice ratio: the us outage's page, 10 bad slices in."""
    from click.testing import CliRunner

    from slocompiler.cli import cli

    (tmp_path / "shop.slo").write_text(SPEC)
    start = history.AT - 2 * 3600
    result = CliRunner().invoke(cli, ["backtest", str(tmp_path / "shop.slo"), "--prometheus", prometheus_url,
                                      "--from", str(start), "--to", str(history.AT), "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (report,) = strict_json(result.stdout)
    page = next(a for a in report["alerts"] if (a["severity"], a["long"]) == ("page", "1h"))
    # The outage starts 50 minutes before AT; its slices are bad from the one ending 49 minutes before:
    # min_failures = 10 bad slices, and 10 of 60 is above 14.4 x 0.005.
    outage = history.AT - 50 * 60
    assert page["fired"] and page["fired"][0][0] == outage + 10 * 60, page
