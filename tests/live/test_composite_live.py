"""Composite SLOs in `slo status` and `slo gate` against the real server: figures from history.py's counts.

journey-checkout (composite_specs/journey.slo) = 1 x checkout-latency + 2 x payments-availability, plus a
member without any series that is skipped; payments had a six-hour outage on day 5, checkout a slow hour on day 7.
"""

from __future__ import annotations

from pathlib import Path

import history
import pytest
from helpers import SPECS, expected_ratio, run, strict_json

COMPOSITE_SPECS = str(Path(__file__).resolve().parent / "composite_specs")
WEEK = 7 * 86400
WEIGHTS = {"checkout-latency": 1.0, "payments-availability": 2.0}
BUDGET = 0.004  # objective 99.6%
WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "6h": 21600, "1d": 86400, "3d": 259200, "7d": WEEK}


def member_ratio(slo_id: str, window: int) -> float:
    return expected_ratio(slo_id, {}, window, window == WEEK)


def composite_ratio(window: int) -> float:
    """min(1, Σ weight x member ratio); the ghost member has no data and is skipped."""
    return min(1.0, sum(weight * member_ratio(slo_id, window) for slo_id, weight in WEIGHTS.items()))


def status(url: str, *extra: str) -> list[dict]:
    result = run("status", SPECS, COMPOSITE_SPECS, "--prometheus", url, "--at", str(history.AT),
                 "--slo", "journey-checkout", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_raw_figures_are_the_weighted_sum_of_the_members(prometheus_url):
    [item] = strict_json(status(prometheus_url, "--source", "raw", "--format", "json"))
    ratio = composite_ratio(WEEK)
    assert item["data"] == "ok" and item["aggregate"] == "sum"
    assert item["sli"] == pytest.approx(1 - ratio, rel=1e-9)
    assert item["error_budget_remaining"] == pytest.approx(1 - ratio / BUDGET, rel=1e-9)
    assert item["burn_rate"]  # every window status reads, each from the members over that window
    for window, burn in item["burn_rate"].items():
        assert burn == pytest.approx(composite_ratio(WINDOW_SECONDS[window]) / BUDGET, rel=1e-9), window


def test_each_member_contribution_and_share(prometheus_url):
    [item] = strict_json(status(prometheus_url, "--source", "raw", "--format", "json"))
    terms = {slo_id: weight * member_ratio(slo_id, WEEK) for slo_id, weight in WEIGHTS.items()}
    members = {m["slo_id"]: m for m in item["members"]}
    assert list(members) == ["checkout-latency", "payments-availability", "ghost-availability"]
    for slo_id, term in terms.items():
        assert members[slo_id]["ratio"] == pytest.approx(member_ratio(slo_id, WEEK), rel=1e-9)
        assert members[slo_id]["contribution"] == pytest.approx(term, rel=1e-9)
        assert members[slo_id]["share"] == pytest.approx(term / sum(terms.values()), rel=1e-9)
    ghost = members["ghost-availability"]
    assert ghost["ratio"] is None and ghost["contribution"] is None and ghost["share"] is None
    assert ghost["when_no_data"] == "skip" and ghost["no_data"]


def test_an_idle_member_is_left_out_even_when_no_data_counts_bad(prometheus_url):
    """Review of issue 25: `when_no_data = bad` counted a member without traffic (0/0) as failing: a quiet night paged."""
    result = run("status", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--source", "raw", "--format", "json")
    assert result.exit_code == 0, result.output
    items = {item["slo_id"]: item for item in strict_json(result.stdout)}
    idle = items["journey-idle"]
    assert idle["sli"] == pytest.approx(1 - member_ratio("checkout-latency", WEEK), rel=1e-9)
    member = {m["slo_id"]: m for m in idle["members"]}["idle-availability"]
    assert member["ratio"] is None and member["contribution"] is None
    # Every member idle: the journey is idle (no figure), not failing.
    assert items["journey-asleep"]["sli"] is None and items["journey-asleep"]["data"] == "no_data"
    text = run("status", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--at", str(history.AT),
               "--source", "raw", "--slo", "journey-idle").stdout
    assert "idle-availability no traffic, left out" in text


def test_a_grouped_member_counts_over_all_its_groups(prometheus_url):
    """Review of issue 25: a grouped member counted as its worst group, so a small region's failures paged the
    journey. checkout-availability's us region burns at AT, eu does not: the journey sees both regions' events."""
    result = run("status", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--source", "raw", "--format", "json", "--slo", "journey-regional")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    both = expected_ratio("checkout-availability", {}, WEEK, True)
    assert item["sli"] == pytest.approx(1 - both, rel=1e-9)
    for window, burn in item["burn_rate"].items():
        seconds = WINDOW_SECONDS[window]
        expected = expected_ratio("checkout-availability", {}, seconds, seconds == WEEK)
        assert burn == pytest.approx(expected / BUDGET, rel=1e-9), window
    us = expected_ratio("checkout-availability", {"region": "us"}, 300)
    assert item["burn_rate"]["5m"] * BUDGET < 0.8 * us  # not the burning region's ratio: eu takes a third of the traffic
    [member] = item["members"]
    assert member["ratio"] == pytest.approx(both, rel=1e-9)
    # backtest replays the member over both regions too
    result = run("backtest", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--from", str(history.AT - 7200),
                 "--to", str(history.AT), "--slo", "journey-regional", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    assert report["error_budget_remaining_at_end"] == pytest.approx(1 - both / BUDGET, rel=1e-6)


def test_the_text_table_lists_the_members_below_it(prometheus_url):
    text = status(prometheus_url, "--source", "raw")
    note = [line for line in text.splitlines() if line.startswith("journey-checkout (sum of its members over 7d)")]
    assert len(note) == 1, text
    share = 2 * member_ratio("payments-availability", WEEK) / (composite_ratio(WEEK))
    assert f"payments-availability 2 x {member_ratio('payments-availability', WEEK) * 100:.3f}%" in note[0]
    assert f"({share * 100:.0f}%)" in note[0] and "ghost-availability no data, skipped" in note[0]


def test_gate_of_a_member_reads_the_composites_it_belongs_to(prometheus_url):
    remaining = 1 - composite_ratio(WEEK) / BUDGET
    assert remaining <= 0, "the history must exhaust the journey's budget for this case"
    args = ("gate", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--at", str(history.AT), "--source", "raw")
    member = run(*args, "--slo", "payments-availability")
    assert member.exit_code == 1, member.output
    assert "release blocked by journey-checkout: when budget_remaining <= 0%" in member.stdout
    assert "payments-availability belongs to composite(s) journey-checkout" in member.stdout
    as_json = strict_json(run(*args, "--slo", "payments-availability", "--format", "json").stdout)
    assert [b["slo_id"] for b in as_json["blocked_by"]] == ["journey-checkout"]
    assert as_json["composites"] == {"payments-availability": ["journey-checkout"]}
    assert run(*args, "--slo", "journey-checkout").exit_code == 1
    markdown = run(*args, "--slo", "payments-availability", "--format", "markdown").stdout
    assert "- payments-availability belongs to composite\\(s\\) journey-checkout" in markdown
    # A member of no composite gates alone, as before.
    alone = run(*args, "--slo", "quiet-availability", "--format", "json")
    assert alone.exit_code != 1 and "composites" not in strict_json(alone.stdout)


# rec-journey exists only as deployed series (history.RECORDED_CASES), with its members'.
RECORDED = """service rec {
  owner = "t"
  slo api { objective = 99.9%  window = 7d  indicator ratio { errors = `rec_api_errors`  total = `rec_api_total` } }
  slo db { objective = 99.9%  window = 7d  indicator ratio { errors = `rec_db_errors`  total = `rec_db_total` } }
  slo journey {
    objective = 99%
    window    = 7d
    composite {
      rec-api { weight = 1 }
      rec-db  { weight = 2 }
    }
  }
}
"""


def recorded_specs(tmp_path) -> str:
    (tmp_path / "rec.slo").write_text(RECORDED, encoding="utf-8")
    return str(tmp_path)


def test_recorded_figures_are_the_composites_own_series_with_its_members(prometheus_url, tmp_path):
    result = run("status", recorded_specs(tmp_path), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-journey", "--source", "recorded", "--format", "json")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    assert item["sli"] == pytest.approx(1 - 0.05) and item["burn_rate"]["1h"] == pytest.approx(0.005 / 0.01)
    members = {m["slo_id"]: (m["ratio"], m["contribution"]) for m in item["members"]}
    assert members == {"rec-api": (pytest.approx(0.0005), pytest.approx(0.0005)),
                       "rec-db": (pytest.approx(0.0005), pytest.approx(0.001))}


def test_verify_compares_a_deployed_composite_with_its_members_deployed_series(prometheus_url, tmp_path):
    result = run("verify", recorded_specs(tmp_path), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-journey")
    stale = [line for line in result.output.splitlines() if "rec-journey" in line and "stale" in line]
    # 7d: 0.05 deployed, 0.0005 + 2 x 0.0005 by its members; 1h agrees (0.005 both ways).
    assert len(stale) == 1, result.output
    assert "slo:sli_error:ratio_rate7d of rec-journey is 0.05, its members' deployed series give 0.0015" in stale[0]


def test_verify_warns_when_the_deployed_composite_records_no_silence_for_a_bad_member(prometheus_url, tmp_path):
    """Review of issue 25: rules from before the silence series matched the spec's figures while no member was
    silent, and verify could not say they would page an hour late when one went."""
    (tmp_path / "rec.slo").write_text(RECORDED.replace("rec-db  { weight = 2 }",
                                                       "rec-db  { weight = 2  when_no_data = bad }"), encoding="utf-8")
    result = run("verify", str(tmp_path), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-journey")
    assert "the deployed rules of rec-journey record no slo:member_no_data:seconds for rec-db" in result.output, \
        result.output
    assert "record no slo:member_no_data:seconds for rec-api" not in result.output  # skipped: none expected
    # rec-fade's rules record rec-lost's.
    (tmp_path / "rec.slo").write_text(REC_FADE, encoding="utf-8")
    fine = run("verify", str(tmp_path), "--prometheus", prometheus_url, "--at", str(history.AT), "--slo", "rec-fade")
    assert "record no slo:member_no_data:seconds" not in fine.output, fine.output


REC_FADE = """service rec {
  owner = "t"
  slo lost { objective = 99.9%  window = 7d  indicator ratio { errors = `rec_lost_errors`  total = `rec_lost_total` } }
  slo fade { objective = 99%  window = 7d  composite { rec-lost { weight = 1  when_no_data = bad } } }
}
"""


def composite_at(t: int, seconds: int) -> float:
    """journey-checkout's ratio over a short (plain rate) window ending at t, from history.py's counts."""
    return min(1.0, history.latency_ratio(t, seconds, "0.25")
               + 2 * history.window_ratio("payments", ("eu",), t, seconds))


def page_burn() -> float:
    from slocompiler.workflow.compile import load

    slo = load([SPECS, COMPOSITE_SPECS]).program.slo("journey-checkout")
    return float(next(k.burn for k in slo.alerting.conditions if (k.long, k.short) == (3600, 300)))


def test_backtest_replays_the_composites_alerts_from_its_members_history(prometheus_url):
    start, end = history.SLOW_HOUR[0] * 60 + history.START - 3 * 3600, history.AT
    result = run("backtest", SPECS, COMPOSITE_SPECS, "--prometheus", prometheus_url, "--from", str(start),
                 "--to", str(end), "--slo", "journey-checkout", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    page = next(a for a in report["alerts"] if (a["long"], a["short"]) == ("1h", "5m"))
    # The page's pair: both ratios above its burn x the budget, minute by minute over checkout's slow hour.
    limit = page_burn() * BUDGET
    holds = [t for t in range(start, end + 1, 60) if composite_at(t, 3600) > limit and composite_at(t, 300) > limit]
    assert holds and holds == list(range(holds[0], holds[-1] + 60, 60))  # one stretch
    assert page["fired"] == [[holds[0], holds[-1]]]
    assert report["error_budget_remaining_at_end"] == pytest.approx(1 - composite_ratio(WEEK) / BUDGET, rel=1e-6)


CALENDAR = """service daily {
  owner = "t"
  slo journey {
    objective = 99%
    window    = calendar day
    composite {
      checkout-latency      { weight = 1 }
      payments-availability { weight = 2 }
    }
  }
}
"""


def test_a_calendar_composite_averages_its_5m_ratio_since_the_period_start(prometheus_url, tmp_path):
    (tmp_path / "daily.slo").write_text(CALENDAR, encoding="utf-8")
    at = history.START + 7 * 86400 + 12 * 3600  # day 7, 12:00 UTC: checkout's slow hour (10:00-11:00) in the period
    result = run("status", SPECS, str(tmp_path), "--prometheus", prometheus_url, "--at", str(at), "--source", "raw",
                 "--slo", "daily-journey", "--format", "json")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    # As the rules: the time average of the composite's 5m ratio at each whole minute from the start + 5m to --at.
    start = at - 12 * 3600
    ratios = [composite_at(t, 300) for t in range(start + 300, at + 1, 60)]
    assert item["period"]["start"] == start
    assert item["sli"] == pytest.approx(1 - sum(ratios) / len(ratios), rel=1e-9)
