"""The gate fails closed on the real server: no figure for a window a blocking rule reads is no data (exit 3), never a pass.

history.py's `gate_*` series: `stalled` stopped counting 2h before AT (a load
balancer failing in front: 0/0), `regional`'s us series ended 3h before AT,
`lb`'s errors go on while its total stopped (+Inf); `rec-*` exist only as
recorded ratios (NaN as Prometheus records 0/0, a group missing from one
window, two replicas that disagree, a window not recorded at all).
"""

from __future__ import annotations

import history
import pytest
from helpers import run, strict_json

AT = str(history.AT)
SPEC = """
service stalled {
  owner  = "team-gate"
  policy = fast

  slo api {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_requests_total{job="stalled", code=~"5.."}`
      total  = `gate_requests_total{job="stalled"}`
    }
  }
}

service regional {
  owner  = "team-gate"
  policy = fast

  slo api {
    objective = 99%
    window    = 7d
    group_by  = ["region"]
    indicator ratio {
      errors = `gate_requests_total{job="regional", code=~"5.."}`
      total  = `gate_requests_total{job="regional"}`
    }
  }
}

service lb {
  owner  = "team-gate"
  policy = fast

  slo api {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_errors_total{job="lb"}`
      total  = `gate_requests_total{job="lb"}`
    }
  }

  slo huge {
    objective = 99%
    window    = 7d
    indicator expr {
      error_ratio = `1e308 + 0 * sum(rate(gate_errors_total{job="lb"}[$window]))`
    }
  }
}

service rec {
  owner  = "team-gate"
  policy = fast

  slo nan {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_requests_total{job="regional", region="eu", code=~"5.."}`
      total  = `gate_requests_total{job="regional", region="eu"}`
    }
  }

  slo group {
    objective = 99%
    window    = 7d
    group_by  = ["region"]
    indicator ratio {
      errors = `gate_requests_total{job="regional", code=~"5.."}`
      total  = `gate_requests_total{job="regional"}`
    }
  }

  slo dup {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_requests_total{job="regional", region="eu", code=~"5.."}`
      total  = `gate_requests_total{job="regional", region="eu"}`
    }
  }

  slo partial {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_requests_total{job="regional", region="eu", code=~"5.."}`
      total  = `gate_requests_total{job="regional", region="eu"}`
    }
  }

  slo clusters {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `gate_requests_total{job="regional", region="eu", code=~"5.."}`
      total  = `gate_requests_total{job="regional", region="eu"}`
    }
  }
}

service burning {
  owner  = "team-gate"
  policy = fast

  slo api {
    objective = 99%
    window    = 7d
    indicator ratio {
      errors = `http_requests_total{job="checkout", region="us", code=~"5.."}`
      total  = `http_requests_total{job="checkout", region="us"}`
    }
  }
}

policy fast {
  when budget_remaining <= 0% {
    action = "Freeze releases"
    blocks = ["release"]
  }
  when burn_rate > 2 over 1h {
    action = "Hold releases while the last hour burns"
    blocks = ["release"]
  }
  when burn_rate > 10 over 5m {
    action = "Look at the last five minutes"
  }
}
"""


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("fail-closed")
    (folder / "gate.slo").write_text(SPEC, encoding="utf-8")
    return str(folder)


def gate(url: str, specs: str, slo: str, *extra: str, at: str = AT):
    return run("gate", specs, "--prometheus", url, "--at", at, "--slo", slo, *extra)


def gate_json(url: str, specs: str, slo: str, *extra: str, at: str = AT) -> tuple[int, dict]:
    result = gate(url, specs, slo, "--format", "json", *extra, at=at)
    return result.exit_code, strict_json(result.stdout)


def status_json(url: str, specs: str, slo: str, *extra: str, at: str = AT) -> list[dict]:
    result = run("status", specs, "--prometheus", url, "--at", at, "--slo", slo, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def test_counters_that_stopped_are_no_data_not_a_pass(prometheus_url, specs):
    # The 7d budget is 90% left, so only the 1h rule could block; its window is 0/0.
    result = gate(prometheus_url, specs, "stalled-api")
    assert result.exit_code == 3, result.output
    assert result.stdout == ("no data for stalled-api over 1h (NaN: no traffic (0/0)), read by burn_rate > 2 over 1h: "
                             "the gate fails (--no-data)\n")
    passed = gate(prometheus_url, specs, "stalled-api", "--no-data", "pass")
    assert passed.exit_code == 0 and "the gate passes (--no-data)" in passed.stdout
    code, document = gate_json(prometheus_url, specs, "stalled-api")
    assert code == 3 and document["result"] == "no_data"
    assert document["no_data"] == [{"slo_id": "stalled-api", "group": {}, "windows": {"1h": "NaN: no traffic (0/0)"}}]


def test_series_gone_for_one_group_is_no_data_for_that_group(prometheus_url, specs):
    # us has 7d of data but no series in the last 3 hours; eu is healthy.
    code, document = gate_json(prometheus_url, specs, "regional-api")
    assert code == 3 and document["blocked_by"] == []
    assert document["no_data"] == [{"slo_id": "regional-api", "group": {"region": "us"}, "windows": {"1h": "no series"}}]
    github = gate(prometheus_url, specs, "regional-api", "--format", "github").stdout
    # Annotated at the rule that cannot be evaluated (the policy's second rule).
    line = SPEC.splitlines().index("  when burn_rate > 2 over 1h {") + 1
    assert github.startswith("::error file=") and f",line={line},col=3,title=slo gate::no data for regional-api{{region=us}} " \
                                                   "over 1h (no series)" in github


def test_an_infinite_ratio_is_no_data(prometheus_url, specs):
    # The load balancer's errors go on while the service's own total stopped: errors / 0 = +Inf.
    code, document = gate_json(prometheus_url, specs, "lb-api")
    assert code == 3, document
    assert document["no_data"][0]["windows"] == {"1h": "+Inf: events against a total of 0"}
    status = status_json(prometheus_url, specs, "lb-api")[0]
    assert status["burn_rate"]["1h"] is None and status["burn_rate"]["5m"] is None


def test_a_ratio_too_large_for_figures_is_null_with_a_reason(prometheus_url, specs):
    # 1e308 / a 1% budget overflows to infinity: before, JSON carried -Infinity and the gate blocked on it.
    status = status_json(prometheus_url, specs, "lb-huge")[0]
    assert status["data"] == "no_data" and status["sli"] is None and status["error_budget_remaining"] is None
    assert status["no_data_windows"]["7d"] == "a ratio too large to compute with (1e+308)"
    code, document = gate_json(prometheus_url, specs, "lb-huge")
    assert code == 3 and document["no_data"][0]["windows"]["7d"].startswith("a ratio too large")


def test_a_window_no_blocking_rule_reads_does_not_fail_the_gate(prometheus_url, specs):
    # Ten minutes after the stall: the last 5m are 0/0, the last hour still has 50 minutes of traffic.
    at = str(history.START + (history.STALL + 10) * history.STEP)
    assert gate(prometheus_url, specs, "stalled-api", at=at).exit_code == 0
    status = status_json(prometheus_url, specs, "stalled-api", at=at)[0]
    assert status["no_data_windows"] == {"5m": "NaN: no traffic (0/0)"}
    assert status["burn_rate"]["1h"] == pytest.approx(history.GATE_ERROR_RATIO / 0.01, rel=1e-6)


def test_status_shows_the_window_as_no_data_never_as_healthy(prometheus_url, specs):
    status = status_json(prometheus_url, specs, "stalled-api")[0]
    assert status["data"] == "ok" and status["burn_rate"]["1h"] is None
    assert status["no_data_windows"] == {"5m": "NaN: no traffic (0/0)", "30m": "NaN: no traffic (0/0)",
                                         "1h": "NaN: no traffic (0/0)"}
    hour = next(p for p in status["policy"] if p["when"] == "burn_rate > 2 over 1h")
    assert hour["applies"] is False and hour["data"] == "no_data"
    text = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "stalled-api").stdout
    row = text.splitlines()[2]
    assert "5m:no data 30m:no data 1h:no data 6h:0.10" in row
    assert "page 1h/5m: no data" in row and "burn_rate > 2 over 1h: no data" in row
    markdown = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "stalled-api",
                   "--format", "markdown").stdout
    assert "1h:no data" in markdown and "burn\\_rate > 2 over 1h: no data" in markdown


def test_recorded_nan_is_no_data(prometheus_url, specs):
    # Prometheus records NaN for a 0/0 ratio; the deployed series exist, so auto reads them too.
    for source in ("recorded", "auto"):
        code, document = gate_json(prometheus_url, specs, "rec-nan", "--source", source)
        assert code == 3 and document["no_data"][0]["windows"] == {"1h": "NaN: no traffic (0/0)"}, source


def test_a_group_missing_from_one_recorded_window_is_no_data(prometheus_url, specs):
    code, document = gate_json(prometheus_url, specs, "rec-group", "--source", "recorded")
    assert code == 3
    assert document["no_data"] == [{"slo_id": "rec-group", "group": {"region": "us"}, "windows": {"1h": "no series"}}]


def test_recorded_replicas_told_apart_by_an_unknown_label_stop_the_command(prometheus_url, specs):
    # Two series for one SLO (replicas behind a global view) that differ in `prometheus`, a label the rules do not
    # set: 0.1% and 50% over 7d, agreeing over 1h. Neither is picked, not even where they agree: exit 3, naming it.
    for command in ("gate", "status"):
        result = run(command, specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "rec-dup", "--source", "recorded")
        assert result.exit_code == 3 and result.stdout == "", command
        assert "differ in prometheus" in result.stderr and "--cluster-label prometheus" in result.stderr
    # Told which label it is, the gate decides per replica: b's 50% over 7d has spent the budget.
    code, document = gate_json(prometheus_url, specs, "rec-dup", "--source", "recorded", "--cluster-label", "prometheus")
    assert code == 1 and [b["group"] for b in document["blocked_by"]] == [{"prometheus": "b"}]


def test_each_cluster_has_its_own_figures_and_any_blocks_the_gate(prometheus_url, specs):
    # rec-clusters: east healthy, west out of budget, both recorded with a `cluster` label.
    status = status_json(prometheus_url, specs, "rec-clusters", "--source", "recorded", "--cluster-label", "cluster")
    by_cluster = {item["group"]["cluster"]: item for item in status}
    assert sorted(by_cluster) == ["east", "west"]
    assert by_cluster["east"]["error_budget_remaining"] == pytest.approx(0.9)
    assert by_cluster["west"]["error_budget_remaining"] == pytest.approx(-49)
    text = run("status", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "rec-clusters",
               "--source", "recorded", "--cluster-label", "cluster").stdout
    assert "cluster=east" in text and "cluster=west" in text
    code, document = gate_json(prometheus_url, specs, "rec-clusters", "--source", "recorded", "--cluster-label", "cluster")
    assert code == 1
    assert {(b["group"]["cluster"], b["when"]) for b in document["blocked_by"]} == {
        ("west", "budget_remaining <= 0%"), ("west", "burn_rate > 2 over 1h")}
    # Without the label configured, the command names it instead of deciding on either cluster.
    unnamed = gate(prometheus_url, specs, "rec-clusters", "--source", "recorded")
    assert unnamed.exit_code == 3 and 'cluster_label = "cluster"' in unnamed.stderr


def test_the_cluster_label_comes_from_pyproject_too(prometheus_url, specs, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.slocompiler]\ncluster_label = "cluster"\n', encoding="utf-8")
    (tmp_path / "gate.slo").write_text(SPEC, encoding="utf-8")
    code, document = gate_json(prometheus_url, str(tmp_path), "rec-clusters", "--source", "recorded")
    assert code == 1 and {b["group"]["cluster"] for b in document["blocked_by"]} == {"west"}


def test_a_window_not_recorded_is_no_data_with_source_recorded(prometheus_url, specs):
    # rec-partial has its 7d ratio deployed, not its 1h one.
    code, document = gate_json(prometheus_url, specs, "rec-partial", "--source", "recorded")
    assert code == 3 and document["no_data"][0]["windows"] == {"1h": "no recorded series (--source recorded)"}
    # auto computes the missing window from the indicator's own series: the gate sees every window and passes.
    code, document = gate_json(prometheus_url, specs, "rec-partial")
    assert code == 0 and document["no_data"] == []


def test_blocked_wins_over_no_data(prometheus_url, specs):
    # A known block is an answer: stalled's missing hour is still named, beside checkout us's burning hour.
    result = gate(prometheus_url, specs, "burning-api", "--slo", "stalled-api", "--format", "json")
    document = strict_json(result.stdout)
    assert result.exit_code == 1 and document["result"] == "blocked"
    assert [(b["slo_id"], b["when"]) for b in document["blocked_by"]] == [("burning-api", "burn_rate > 2 over 1h")]
    assert [n["slo_id"] for n in document["no_data"]] == ["stalled-api"]


def test_no_selected_slo_is_a_usage_error(prometheus_url, specs, tmp_path):
    # --service and --slo that select nothing together, and specs without any SLO: a gate over nothing passes nothing.
    result = run("gate", specs, "--prometheus", prometheus_url, "--at", AT, "--service", "stalled", "--slo", "lb-api")
    assert result.exit_code == 2 and "no SLO to gate" in result.stderr, result.output
    (tmp_path / "policies.slo").write_text(SPEC[SPEC.index("policy fast"):], encoding="utf-8")
    result = run("gate", str(tmp_path), "--prometheus", prometheus_url, "--at", AT)
    assert result.exit_code == 2 and "no SLO to gate" in result.stderr, result.output
    unknown = run("gate", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "stalled-apx")
    assert unknown.exit_code == 2 and 'did you mean "stalled-api"' in unknown.stderr


def test_backtest_json_is_finite(prometheus_url, specs, tmp_path):
    # Only lb-huge: its budget left is 1 - 1e308 / 1%, which overflows.
    text = SPEC[SPEC.index("service lb {"):SPEC.index("service rec {")].replace("policy = fast", "")
    (tmp_path / "huge.slo").write_text(text, encoding="utf-8")
    start = history.AT - 3 * 3600
    result = run("backtest", str(tmp_path), "--prometheus", prometheus_url, "--from", str(start), "--to", AT,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    huge = next(item for item in strict_json(result.stdout) if item["slo_id"] == "lb-huge")
    assert huge["error_budget_remaining_at_end"] is None
    assert huge["error_budget_remaining_at_end_reason"] == \
        "no figure over 7d at the end (no traffic, no series, or not a number)"


def test_a_cluster_label_that_is_not_a_label_name_is_a_usage_error(prometheus_url, specs, tmp_path):
    flag = gate(prometheus_url, specs, "rec-clusters", "--cluster-label", "clu-ster")
    assert flag.exit_code == 2 and "is not a Prometheus label name" in flag.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.slocompiler]\ncluster_label = "__name__"\n', encoding="utf-8")
    (tmp_path / "gate.slo").write_text(SPEC, encoding="utf-8")
    table = gate(prometheus_url, str(tmp_path), "rec-clusters")
    assert table.exit_code == 2 and "cluster_label '__name__' is not a Prometheus label name" in table.stderr


def test_verify_and_backtest_name_the_label_that_tells_servers_apart(prometheus_url, specs):
    # rec-dup: two servers' deployed series (prometheus="a", "b") that disagree; verify and backtest would
    # otherwise compare or replay one of them, or their sum, for the SLO: exit 3 naming the label, as status does.
    verify = run("verify", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "rec-dup")
    assert verify.exit_code == 3 and 'cluster_label = "prometheus"' in verify.stderr, verify.output
    span = ("--from", str(history.AT - 3600), "--to", AT)
    backtest = run("backtest", specs, "--prometheus", prometheus_url, *span, "--slo", "rec-dup")
    assert backtest.exit_code == 3 and 'cluster_label = "prometheus"' in backtest.stderr, backtest.output
    # Named, each server's series is checked on its own: no refusal.
    named = run("verify", specs, "--prometheus", prometheus_url, "--at", AT, "--slo", "rec-dup", "--cluster-label", "prometheus")
    assert named.exit_code in (0, 1) and "cluster_label" not in named.stderr, named.output
