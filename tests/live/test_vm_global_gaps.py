"""A global view where the clusters do not all report alike: the live commands never lie by omission (docs/LIVE.md,
"Global views").

Each test writes the series of its scenario into the shared VictoriaMetrics
(conftest.py's `victoria_url`) through its import API, at an instant of its
own, a day apart from the others' and years from history.py's, so that no
scenario sees another's series: recorded ratios as vmalert in each cluster
would write them (`cluster` from its external label), and raw counters as a
fleet's agents label them.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from helpers import run

SPEC = """service checkout {
  owner  = "team-shop"
  policy = standard

  slo availability {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `gaps_requests_total{job="checkout", code=~"5.."}`
      total  = `gaps_requests_total{job="checkout"}`
    }
  }
}

service shop {
  owner  = "team-shop"
  policy = standard

  slo a {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `gaps_req_total{job="a", code=~"5.."}`
      total  = `gaps_req_total{job="a"}`
    }
  }
  slo b {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `gaps_req_total{job="b", code=~"5.."}`
      total  = `gaps_req_total{job="b"}`
    }
  }
  slo j {
    objective = 99.9%
    window    = 7d
    composite {
      shop-a { weight = 1 }
      shop-b { weight = 1 }
    }
  }
}

policy standard {
  when budget_remaining <= 0% {
    action = "Freeze releases"
    blocks = ["release"]
  }
}
"""
BASE = 1_609_459_200  # 2021-01-01: years before history.py's series
WINDOWS = ("5m", "30m", "1h", "6h", "1d", "3d", "7d")
SLO = 'slo_id="checkout-availability",slo_service="checkout",slo_name="availability"'


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("gaps-specs")
    (directory / "shop.slo").write_text(SPEC, encoding="utf-8")
    return str(directory)


def at(day: int) -> int:
    """The scenario's instant: its own day."""
    return BASE + day * 86400


def write(url: str, lines: list[str]) -> None:
    """Prometheus text lines (timestamps in ms) through VictoriaMetrics' import API, searchable at once."""
    for path, body in (("/api/v1/import/prometheus", "".join(lines).encode()), ("/internal/force_flush", b"")):
        with urllib.request.urlopen(urllib.request.Request(url + path, data=body, method="POST"), timeout=60):
            pass


def recorded(t: int, labels: str, value: float, windows=WINDOWS, stop_before: int = 0, slo: str = SLO) -> list[str]:
    """Recorded ratios once a minute over the 30 minutes before `t` (up to `stop_before` seconds before it)."""
    return [f"slo:sli_error:ratio_rate{w}{{{slo},{labels}}} {value} {s * 1000}\n"
            for w in windows for s in range(t - 1800, t - stop_before + 1, 60)]


def raw(t: int, labels: str, error_ratio: float, rate: float = 600, metric: str = "gaps_requests_total",
        job: str = "checkout") -> list[str]:
    """Request counters once a minute over the 8 hours before `t`."""
    return [f'{metric}{{job="{job}",code="{code}",{labels}}} {m * rate * share!r} {(t - (480 - m) * 60) * 1000}\n'
            for code, share in (("200", 1 - error_ratio), ("500", error_ratio)) for m in range(481)]


def slo(command: str, url: str, specs: str, t: int, *args: str):
    return run(command, specs, "--prometheus", url, "--at", str(t), "--slo", "checkout-availability", *args)


def test_a_cluster_that_stopped_reporting_is_no_data_not_gone(victoria_url, specs):
    # West spent its budget, then its ruler died 15 minutes ago: the gate must not pass on east alone.
    t = at(1)
    write(victoria_url, recorded(t, 'cluster="east"', 0.0001) + recorded(t, 'cluster="west"', 0.01, stop_before=900))
    status = slo("status", victoria_url, specs, t, "--source", "recorded", "--cluster-label", "cluster",
                 "--format", "json")
    rows = {row["group"]["cluster"]: row for row in json.loads(status.stdout)}
    assert sorted(rows) == ["east", "west"], status.output
    assert rows["west"]["sli"] is None
    assert "no series now: last seen at 2021-01-01T23:45:00Z, within the last 1d" in \
        rows["west"]["no_data_windows"]["7d"]
    gate = slo("gate", victoria_url, specs, t, "--source", "recorded", "--cluster-label", "cluster")
    assert gate.exit_code == 3 and "checkout-availability{cluster=west}" in gate.stdout, gate.output
    assert slo("gate", victoria_url, specs, t, "--cluster-label", "cluster", "--no-data", "pass").exit_code == 0
    # A day later west is no longer one of the SLO's clusters (docs/LIVE.md: the lookback).
    later = t + 86400 + 3600
    write(victoria_url, recorded(later, 'cluster="east"', 0.0001))
    assert slo("gate", victoria_url, specs, later, "--source", "recorded", "--cluster-label", "cluster").exit_code == 0


def test_windows_from_different_clusters_are_never_one_row(victoria_url, specs):
    # Without the cluster label: east (burnt) lost its 7d series, west (healthy) has only that one.
    t = at(3)
    write(victoria_url, recorded(t, 'cluster="east"', 0.01, WINDOWS[:-1]) + recorded(t, 'cluster="west"', 0.0001, ("7d",)))
    for command in ("gate", "status"):
        result = slo(command, victoria_url, specs, t, "--source", "recorded")
        assert result.exit_code == 3 and "differ in cluster" in result.stderr, result.output
        assert 'cluster_label = "cluster"' in result.stderr
    named = slo("gate", victoria_url, specs, t, "--source", "recorded", "--cluster-label", "cluster")
    # Named, each cluster is its own row: east has no 7d figure (no data), never west's.
    assert named.exit_code == 3 and "checkout-availability{cluster=east} over 7d (no series)" in named.stdout


def test_replicas_are_the_view_s_to_deduplicate(victoria_url, specs):
    # Two replicas per cluster: naming `replica` as the cluster label would only move the refusal to `cluster`.
    t = at(5)
    write(victoria_url, [line for cluster in ("east", "west") for replica in ("a", "b")
                         for line in recorded(t, f'cluster="{cluster}",replica="{replica}"', 0.0001)])
    named = slo("gate", victoria_url, specs, t, "--cluster-label", "cluster")
    assert named.exit_code == 3 and "differ in replica" in named.stderr, named.output
    assert "deduplicate" in named.stderr and "--query.replica-label" in named.stderr
    assert "-dedup.minScrapeInterval" in named.stderr and 'cluster_label = "replica"' not in named.stderr
    unnamed = slo("gate", victoria_url, specs, t)
    assert unnamed.exit_code == 3 and 'cluster_label = "cluster"' in unnamed.stderr, unnamed.output
    assert "deduplicate" in unnamed.stderr and 'cluster_label = "replica"' not in unnamed.stderr


def shop(name: str) -> str:
    return f'slo_id="shop-{name}",slo_service="shop",slo_name="{name}"'


def test_a_composite_s_members_are_read_per_cluster(victoria_url, specs):
    # West's shop-a is at 1% and drives west's journey: its row must say so, not "shop-a: no data".
    t = at(7)
    figures = {"east": {"a": 0.0001, "b": 0.0001, "j": 0.0002}, "west": {"a": 0.01, "b": 0.0001, "j": 0.0101}}
    write(victoria_url, [line for cluster, values in figures.items() for name, value in values.items()
                         for line in recorded(t, f'cluster="{cluster}"', value, slo=shop(name))])
    result = run("status", specs, "--prometheus", victoria_url, "--at", str(t), "--slo", "shop-j", "--source",
                 "recorded", "--cluster-label", "cluster", "--format", "json")
    rows = {row["group"]["cluster"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == ["east", "west"], result.output
    for cluster, values in figures.items():
        members = {m["slo_id"]: m for m in rows[cluster]["members"]}
        for name in ("a", "b"):
            assert members[f"shop-{name}"]["ratio"] == pytest.approx(values[name]), (cluster, members)
    assert rows["west"]["members"][0]["share"] == pytest.approx(0.01 / 0.0101)


def test_raw_figures_are_per_cluster_when_the_label_is_named(victoria_url, specs):
    # East has 100 times west's traffic at 0.001% errors; west has 5%: the fleet's sum would hide west.
    t = at(9)
    write(victoria_url, raw(t, 'cluster="east"', 0.00001, 60000) + raw(t, 'cluster="west"', 0.05))
    status = slo("status", victoria_url, specs, t, "--source", "raw", "--cluster-label", "cluster", "--format", "json")
    rows = {row["group"]["cluster"]: row for row in json.loads(status.stdout)}
    assert sorted(rows) == ["east", "west"], status.output
    assert rows["west"]["error_budget_remaining"] == pytest.approx(1 - 0.05 / 0.001, rel=0.01)
    assert rows["east"]["error_budget_remaining"] == pytest.approx(1 - 0.00001 / 0.001, rel=0.01)
    gate = slo("gate", victoria_url, specs, t, "--source", "raw", "--cluster-label", "cluster", "--format", "json")
    assert gate.exit_code == 1, gate.output
    assert {b["group"]["cluster"] for b in json.loads(gate.stdout)["blocked_by"]} == {"west"}
    # Without the label: the fleet's figure, as before (one row).
    fleet = slo("status", victoria_url, specs, t, "--source", "raw", "--format", "json")
    assert [row["group"] for row in json.loads(fleet.stdout)] == [{}], fleet.output


def test_auto_reads_a_cluster_without_recorded_series_from_its_raw_ones(victoria_url, specs):
    # East has its rules deployed; west's were never deployed (or its ruler is down), and it burns at 5%.
    t = at(11)
    write(victoria_url, raw(t, 'cluster="east"', 0.0001) + raw(t, 'cluster="west"', 0.05)
          + recorded(t, 'cluster="east"', 0.0001))
    gate = slo("gate", victoria_url, specs, t, "--cluster-label", "cluster", "--format", "json")
    assert gate.exit_code == 1, gate.output
    assert {b["group"]["cluster"] for b in json.loads(gate.stdout)["blocked_by"]} == {"west"}
    status = slo("status", victoria_url, specs, t, "--cluster-label", "cluster", "--format", "json")
    assert sorted(row["group"]["cluster"] for row in json.loads(status.stdout)) == ["east", "west"]
    assert "source: raw" in status.stderr
    # --source recorded reads only what is deployed: west is not there (no row, as documented).
    assert slo("gate", victoria_url, specs, t, "--source", "recorded", "--cluster-label", "cluster").exit_code == 0


def test_a_composite_is_not_computed_per_cluster_from_raw_series(victoria_url, specs):
    t = at(13)
    write(victoria_url, [line for cluster, bad in (("east", 0.0001), ("west", 0.02)) for job in ("a", "b")
                         for line in raw(t, f'cluster="{cluster}"', bad, metric="gaps_req_total", job=job)])
    result = run("gate", specs, "--prometheus", victoria_url, "--at", str(t), "--slo", "shop-j", "--source", "raw",
                 "--cluster-label", "cluster")
    assert result.exit_code == 3, result.output
    assert "composite shop-j: its members' own series come from cluster=east, cluster=west" in result.stderr
    assert "Traceback" not in result.output


def test_a_global_ruler_s_fleet_series_stay_the_figure(victoria_url, specs):
    # One ruler over the global view records the fleet's ratio, without a cluster label: that is the SLO's figure
    # (the contract's sum), not a cluster missing its recorded series.
    t = at(15)
    write(victoria_url, raw(t, 'cluster="east"', 0.0001) + raw(t, 'cluster="west"', 0.05)
          + recorded(t, 'ruler="global"', 0.0002))
    status = slo("status", victoria_url, specs, t, "--cluster-label", "cluster", "--format", "json")
    rows = json.loads(status.stdout)
    assert [row["group"] for row in rows] == [{}] and rows[0]["sli"] == pytest.approx(0.9998), status.output
    assert "source: recorded" in status.stderr
