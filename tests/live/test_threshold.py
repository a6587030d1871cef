"""`slo status` of a threshold SLO against the real server: the share of bad probes, as the generated rules count it.

history.py's probe_success has one sample a minute; the live commands judge
the samples through a subquery at the server's evaluation interval (1m), so
every sample is judged once, as the rules' `slo:sli_sample_good:bool` does.
The expected figures are counted here from history.py, the way the rules
count: windows below 2h the samples within them, longer ones and the period
the 5m rates of judged samples summed as the derived and period rules sum them.
"""

from __future__ import annotations

import history
import pytest
from helpers import run, strict_json

from slocompiler.core.conventions import DERIVED_WINDOW_FROM

SPEC = """\
service probes {
  owner = "team-shop"
  slo probe {
    objective = 99.5%
    window    = 7d
    indicator threshold {
      metric = `probe_success{job="probe"}`
      good   = "== 1"
    }
  }
}
"""
WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600, "3d": 259200, "7d": 604800}


def bad_share(first: int, last: int) -> tuple[int, int]:
    """(bad, all) samples of both targets in minutes first..last."""
    minutes = range(max(first, 0), last + 1)
    return sum(1 - history.probe_at(t, m) for t in history.PROBE_TARGETS for m in minutes), \
        len(history.PROBE_TARGETS) * len(minutes)


def rated(points: list[int]) -> float:
    """The ratio of 5m rates of judged samples summed at these minutes: the rate at p covers minutes p-4..p."""
    bad = total = 0
    for point in points:
        b, a = bad_share(point - 4, point)
        bad, total = bad + b, total + a
    return bad / total


def expected(seconds: int, period: bool) -> float:
    last = history.minute(history.AT)
    if period:  # sum_over_time of the 5m rates over [t - W, t], both ends
        return rated(list(range(last - seconds // 60, last + 1)))
    if seconds >= DERIVED_WINDOW_FROM:  # the window less 150s, and the latest rate twice more (history.derived_weights)
        return rated(list(range(last - (seconds - 150) // 60, last + 1)) + [last, last])
    bad, total = bad_share(last - seconds // 60 + 1, last)
    return bad / total


def test_status_gives_the_share_of_bad_samples(prometheus_url, tmp_path):
    (tmp_path / "probes.slo").write_text(SPEC)
    result = run("status", str(tmp_path / "probes.slo"), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--source", "raw", "--format", "json")
    assert result.exit_code == 0, result.output
    (item,) = strict_json(result.stdout)
    assert item["data"] == "ok"
    period = expected(WINDOW_SECONDS["7d"], True)
    assert 0 < period < 0.01  # the probes failed now and then
    assert item["sli"] == pytest.approx(1 - period, rel=1e-9)
    assert item["error_budget_remaining"] == pytest.approx(1 - period / 0.005, rel=1e-9)
    assert list(item["burn_rate"]) == ["5m", "30m", "1h", "6h", "3d", "7d"]
    for window, burn in item["burn_rate"].items():
        seconds = WINDOW_SECONDS[window]
        assert burn == pytest.approx(expected(seconds, seconds == 604800) / 0.005, rel=1e-9), window
    # Ten bad probes of shop 31-40 minutes ago: 10 of 120 samples in the last hour, none in the last 30m.
    assert item["burn_rate"]["1h"] == pytest.approx(10 / 120 / 0.005) and item["burn_rate"]["30m"] == 0
