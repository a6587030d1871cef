"""A composite member's silence in the live commands, on the real server (core/silence.py, live/silence.py).

history.py's fading member (`fade_*`) is scraped until 3h before AT and again from 1h before it; fade-journey
counts it `bad` without data. rec-fade exists only as deployed series: its member rec-lost was silent (the composite
recorded `slo:member_no_data:seconds`) over the half hour before AT.
"""

from __future__ import annotations

import history
import pytest
from helpers import run, strict_json

FADE = """service fade {
  owner = "t"
  slo api {
    objective = 99.9%
    window    = 7d
    indicator ratio { errors = `fade_errors_total{job="fade"}`  total = `fade_requests_total{job="fade"}` }
  }
  slo journey {
    objective = 99%
    window    = 7d
    composite { fade-api { weight = 1  when_no_data = bad } }
  }
}
"""

REC = """service rec {
  owner = "t"
  slo lost { objective = 99.9%  window = 7d  indicator ratio { errors = `rec_lost_errors`  total = `rec_lost_total` } }
  slo fade {
    objective = 99%
    window    = 7d
    composite { rec-lost { weight = 1  when_no_data = bad } }
  }
}
"""

GONE = history.START + history.FADE_GONE * 60  # its last sample
BACK = history.START + history.FADE_BACK * 60  # its first sample again
BUDGET = 0.01
WEEK = 7 * 86400


def missing(t: int) -> bool:
    """The member's 5m ratio needs two samples within [t - 5m, t] (Prometheus 2.x includes both ends)."""
    return sum(1 for s in range(t - 300, t + 1, 60) if s <= GONE or s >= BACK) < 2


def silent_seconds(t: int) -> float:
    """What the rules record at a whole minute t: once the member's ratio has been missing for 5 minutes, those 5,
    then 60 a minute."""
    if not all(missing(s) for s in range(t - 300, t + 1, 60)):
        return 0.0
    return 60.0 if missing(t - 360) else 300.0


def share(at: int, window: int) -> float:
    return min(1.0, sum(silent_seconds(t) for t in range(at - window + 60, at + 1, 60)) / window)


def specs(tmp_path, text: str) -> str:
    (tmp_path / "s.slo").write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_raw_status_counts_the_members_silent_share_of_every_window(prometheus_url, tmp_path):
    result = run("status", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "fade-journey", "--source", "raw", "--format", "json")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    week = share(history.AT, WEEK)
    assert week == pytest.approx(115 * 60 / WEEK)  # from 5 minutes after its last sample to its return
    assert item["sli"] == pytest.approx(1 - week, rel=1e-9)
    assert item["burn_rate"]["6h"] == pytest.approx(share(history.AT, 6 * 3600) / BUDGET, rel=1e-9)
    assert item["burn_rate"]["1h"] == pytest.approx(0, abs=1e-12)  # back for the whole hour, none failing
    [member] = item["members"]
    assert member["silent"] == pytest.approx(week, rel=1e-9)
    assert member["ratio"] == pytest.approx(0, abs=1e-12) and member["contribution"] == pytest.approx(week, rel=1e-9)
    text = run("status", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--at", str(history.AT),
               "--slo", "fade-journey", "--source", "raw").stdout
    assert "fade-api 1 x (0.000%, silent 1.141% counted bad) = 1.141%" in text


def test_backtest_pages_the_journey_minutes_after_its_member_goes(prometheus_url, tmp_path):
    result = run("backtest", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--from", str(GONE - 3600),
                 "--to", str(history.AT), "--slo", "fade-journey", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    page = next(a for a in report["alerts"] if (a["long"], a["short"]) == ("1h", "5m"))
    # As the rules count it: the 5m ratio is 1 while the member's is missing, the 1h its silent share.
    limit = 14.4 * BUDGET
    holds = [t for t in range(GONE - 3600, history.AT + 1, 60)
             if missing(t) and share(t, 3600) > limit]
    assert holds[0] - GONE <= 20 * 60  # not an hour late, when its 1h window would have emptied
    assert page["fired"] == [[holds[0], holds[-1]]]


def test_a_coarse_backtest_still_counts_the_members_silence(prometheus_url, tmp_path):
    """Review of issue 25: with `--step` over 5 minutes the replay took each step for a restart of the rules and
    counted no silence: the page came an hour late, when the member's 1h window had emptied."""
    result = run("backtest", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--from", str(GONE - 3600),
                 "--to", str(history.AT), "--slo", "fade-journey", "--step", "10m", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    page = next(a for a in report["alerts"] if (a["long"], a["short"]) == ("1h", "5m"))
    assert page["fired"] and page["fired"][0][0] - GONE <= 20 * 60, page


@pytest.mark.parametrize("step", ["90s", "7m", "1h"])
def test_any_backtest_step_reads_the_silence_the_rules_record_each_minute(prometheus_url, tmp_path, step):
    """Review of issue 25: the replay ran on the backtest's grid, so a silence shorter than two steps fell in the
    grace and a 2h step saw none: the 6h/30m page never fired where status (and the rules) had it firing."""
    result = run("backtest", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--from", str(GONE - 3600),
                 "--to", str(history.AT), "--slo", "fade-journey", "--step", step, "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = strict_json(result.stdout)
    page = next(a for a in report["alerts"] if (a["long"], a["short"]) == ("6h", "30m"))
    # The 6h/30m page at each grid time, as the rules would have it (the member's 5m and 30m ratios are missing or
    # its silent share is above the threshold).
    seconds = {"90s": 90, "7m": 420, "1h": 3600}[step]
    limit = 6 * BUDGET
    grid = range(GONE - 3600, history.AT + 1, seconds)
    holds = [t for t in grid if share(t, 6 * 3600) > limit and (share(t, 1800) > limit or missing(t))]
    assert holds, "the case must page"
    assert page["fired"] and page["fired"][0][0] == holds[0], (page, holds[:3])


SLICED = """service fade {
  owner = "t"
  slo api {
    objective = 99.9%
    window    = 7d
    indicator ratio { errors = `fade_errors_total{job="fade"}`  total = `fade_requests_total{job="fade"}` }
  }
  slo up {
    objective = 99%
    window    = 7d
    slices { length = 5m  target = 95% }
    indicator ratio { errors = `fade_errors_total{job="fade"}`  total = `fade_requests_total{job="fade"}` }
  }
  slo sl { objective = 99%  window = 7d  composite { fade-up { weight = 1 } } }
  slo top {
    objective = 99%
    window    = 7d
    composite { fade-sl { weight = 1  when_no_data = bad }  fade-api { weight = 1  when_no_data = bad } }
  }
}
"""


def test_a_bad_member_of_time_slices_is_no_internal_error(prometheus_url, tmp_path):
    """Review of issue 25: replaying the silence of a member that is a composite of time slices (no 5m ratio from
    raw series) raised out of status and gate: `internal error`, and no table for any SLO."""
    folder = specs(tmp_path, SLICED)
    result = run("status", folder, "--prometheus", prometheus_url, "--at", str(history.AT), "--source", "raw")
    assert "internal error" not in result.output and "fade-api" in result.output, result.output
    gate = run("gate", folder, "--prometheus", prometheus_url, "--at", str(history.AT), "--slo", "fade-api")
    assert "internal error" not in gate.output, gate.output


def test_recorded_status_reads_the_composites_deployed_silence(prometheus_url, tmp_path):
    result = run("status", specs(tmp_path, REC), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-fade", "--source", "recorded", "--format", "json")
    assert result.exit_code == 0, result.output
    [item] = strict_json(result.stdout)
    assert item["sli"] == pytest.approx(1 - history.fade_ratio(WEEK), rel=1e-9)
    [member] = item["members"]
    assert member["silent"] == pytest.approx(history.fade_share(WEEK), rel=1e-9)
    assert member["contribution"] == pytest.approx(history.fade_ratio(WEEK), rel=1e-9)


SPLIT = """service rec {
  owner = "t"
  slo gone { objective = 99.9%  window = 7d  indicator ratio { errors = `rec_gone_errors`  total = `rec_gone_total` } }
  slo split {
    objective = 99%
    window    = 7d
    composite { rec-gone { weight = 1  when_no_data = bad } }
  }
}
"""


def test_each_cluster_reads_its_own_deployed_silence(prometheus_url, tmp_path):
    """Behind a global view rec-split's member was silent in east only: west's figure must not add east's."""
    result = run("status", specs(tmp_path, SPLIT), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-split", "--source", "recorded", "--cluster-label", "cluster", "--format", "json")
    assert result.exit_code == 0, result.output
    items = {item["group"]["cluster"]: item for item in strict_json(result.stdout)}
    [east], [west] = items["east"]["members"], items["west"]["members"]
    assert east["silent"] == pytest.approx(history.fade_share(WEEK), rel=1e-9)
    assert west.get("silent", 0) == 0 and west["contribution"] == pytest.approx(0.0005, rel=1e-9)


def test_verify_names_the_cluster_whose_composite_records_no_silence(prometheus_url, tmp_path):
    """Review of issue 25: the check pooled every cluster's series, so one cluster still on old rules went unsaid."""
    result = run("verify", specs(tmp_path, SPLIT), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-split", "--cluster-label", "cluster")
    said = [line for line in result.output.splitlines() if "record no slo:member_no_data:seconds" in line]
    assert len(said) == 1 and "in cluster=north record no" in said[0], result.output


def test_verify_counts_the_silence_the_composite_recorded(prometheus_url, tmp_path):
    """Its members' deployed ratios (0.1% over 1h) alone would call the composite's 1h (over 50%) stale."""
    result = run("verify", specs(tmp_path, REC), "--prometheus", prometheus_url, "--at", str(history.AT),
                 "--slo", "rec-fade")
    assert history.fade_ratio(3600) > 0.5
    # rec-fade's 1h and 7d, and rec-lost's (its deployed series say what its spec's indicator cannot: uncompared).
    assert "2 compared, 2 matched, 0 differed" in result.output, result.output
    assert "stale" not in result.output


def test_the_report_counts_the_minutes_its_member_was_missing(prometheus_url, tmp_path):
    from datetime import UTC, datetime

    def iso(t: int) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    start, end = GONE - 3600, history.AT
    result = run("report", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--format", "json", "--history", "0",
                 "--slo", "fade-journey", "--from", iso(start), "--to", iso(end))
    assert result.exit_code == 0, result.output
    [entry] = strict_json(result.stdout)["slos"]
    # The SLI averages the composite's 5m ratio at the minutes [from + 3m, to + 2m]: 1 wherever the member's is missing.
    minutes = range(start + 180, end + 121, 60)
    share = sum(missing(t) for t in minutes) / len(minutes)
    [member] = entry["members"]
    assert member["silent"] == pytest.approx(share, rel=1e-9) and member["contribution"] == pytest.approx(share)
    assert "member fade-api (weight 1): error ratio 0, silent" in run(
        "report", specs(tmp_path, FADE), "--prometheus", prometheus_url, "--history", "0",
        "--slo", "fade-journey", "--from", iso(start), "--to", iso(end)).stdout


def test_an_idle_member_that_went_silent_counts_its_share_on_the_server(prometheus_url, tmp_path):
    """Review of issue 25: NaN over what it recorded dropped the member's term, silent share and all. The PromQL
    relies on `max` taking a number over NaN; idle and not silent, it has no term (NaN) and no fallback."""
    import httpx

    from slocompiler.live import composite
    from slocompiler.workflow.compile import load

    program = load([specs(tmp_path, FADE)]).program
    slo = program.slo("fade-journey")

    def value(share: str) -> list:
        expr = composite.ratio_promql(program, slo, lambda member: "vector(NaN)", lambda member: share)
        answer = httpx.get(f"{prometheus_url}/api/v1/query", params={"query": expr, "time": history.AT}).json()
        assert answer["status"] == "success", answer
        return [float(sample["value"][1]) for sample in answer["data"]["result"]]

    assert value("vector(0.25)") == [0.25]
    assert value("vector(0)") == []  # idle alone: no term, not the `bad` constant
