"""A global view where the cluster label is on one kind of series only: `verify` and `backtest` never claim
a per-cluster answer they did not compute (docs/LIVE.md, "Global views").

The series are written into the shared VictoriaMetrics (`victoria_url`), each
scenario under its own service (its own `job` and `slo_id`) and day, so they
meet neither each other nor the history of history.py:

- `split`: raw counters without `cluster` (0.1% errors), deployed ratios of
  `cluster="east"` and `"west"` (0.3: plainly wrong): the label is on rule
  output only (vmalert's or Prometheus's external labels);
- `stale`: the same on one server, no cluster anywhere;
- `rollout`: raw counters per cluster (east 0.01%, west 5% errors) and no
  deployed series yet, the moment a backtest is most useful.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from helpers import run

SPEC = """service {name} {{
  owner  = "team-shop"
  policy = standard

  slo availability {{
    objective = 99.9%
    window    = 7d
    indicator ratio {{
      errors = `http_requests_total{{job="{name}", code="500"}}`
      total  = `http_requests_total{{job="{name}"}}`
    }}
  }}
}}

policy standard {{
  when budget_remaining <= 0% {{
    action = "Freeze releases"
    blocks = ["release"]
  }}
}}
"""
# Days apart, and far from history.py's November 2023.
BASE = 1_760_000_000 // 86400 * 86400
AT = {"split": BASE, "stale": BASE + 3 * 86400, "rollout": BASE + 6 * 86400}
RATE = 600  # requests a minute
HISTORY = 8 * 60  # minutes of raw counters up to --at
DEPLOYED = ("5m", "30m", "1h", "6h")


def _raw(name: str, at: int, error_ratio: float, extra: str = ""):
    for code, share in (("200", 1 - error_ratio), ("500", error_ratio)):
        for m in range(HISTORY + 1):
            t = at - (HISTORY - m) * 60
            yield f'http_requests_total{{job="{name}",code="{code}"{extra}}} {m * RATE * share!r} {t * 1000}\n'


def _deployed(name: str, at: int, value: float, extra: str = ""):
    labels = f'slo_id="{name}-availability",slo_service="{name}",slo_name="availability"{extra}'
    for window in DEPLOYED:
        for t in range(at - 1800, at + 1, 60):
            yield f"slo:sli_error:ratio_rate{window}{{{labels}}} {value} {t * 1000}\n"


def _post(url: str, path: str, body: bytes = b"") -> None:
    with urllib.request.urlopen(urllib.request.Request(url + path, data=body, method="POST"), timeout=60):
        pass


@pytest.fixture(scope="module")
def view(victoria_url, tmp_path_factory):
    """The shared VictoriaMetrics with the three scenarios written in; {scenario: its specs folder}."""
    lines = [*_raw("split", AT["split"], 0.001),
             *(line for cluster in ("east", "west") for line in _deployed("split", AT["split"], 0.3, f',cluster="{cluster}"')),
             *_raw("stale", AT["stale"], 0.001), *_deployed("stale", AT["stale"], 0.3),
             *_raw("rollout", AT["rollout"], 0.0001, ',cluster="east"'),
             *_raw("rollout", AT["rollout"], 0.05, ',cluster="west"')]
    _post(victoria_url, "/api/v1/import/prometheus", "".join(lines).encode())
    _post(victoria_url, "/internal/force_flush")
    folders = {}
    for name in AT:
        folder = tmp_path_factory.mktemp(f"labels-{name}")
        (folder / f"{name}.slo").write_text(SPEC.format(name=name), encoding="utf-8")
        folders[name] = str(folder)
    return victoria_url, folders


def _verify(view, name: str, *extra: str):
    url, folders = view
    return run("verify", folders[name], "--prometheus", url, "--at", str(AT[name]), *extra)


def test_verify_warns_for_each_cluster_it_cannot_compare(view):
    result = _verify(view, "split", "--cluster-label", "cluster")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    for cluster in ("east", "west"):
        for window in DEPLOYED:
            assert any(f"slo:sli_error:ratio_rate{window} of split-availability{{cluster={cluster}}} is 0.3, but the "
                       "spec's indicator gives no figure for" in line for line in lines), (cluster, window, result.stderr)
        assert f'no raw series of the indicator carries cluster="{cluster}"' in result.stderr
    assert "match the live series" not in result.stderr
    assert lines[-1] == ("checked 1 SLO(s): 0 error(s), 8 warning(s); deployed error ratios (per SLO, group and window): "
                         "0 compared, 0 matched, 0 differed, 8 could not be compared")
    markdown = _verify(view, "split", "--cluster-label", "cluster", "--format", "markdown").stdout
    assert "8 could not be compared" in markdown.splitlines()[0]


def test_verify_summary_counts_what_differed(view):
    # One server, deployed ratios wrong in every window: four warnings, and a last line that does not say "match".
    result = _verify(view, "stale")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("the rules running compute something else") == 4
    assert result.stderr.splitlines()[-1] == (
        "checked 1 SLO(s): 0 error(s), 4 warning(s); deployed error ratios (per SLO, group and window): "
        "4 compared, 0 matched, 4 differed, 0 could not be compared")


def test_verify_without_deployed_rules_says_there_was_nothing_to_compare(view):
    result = _verify(view, "rollout", "--cluster-label", "cluster")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        "ok: 1 SLO(s) checked against the live series; no deployed error ratio to compare")


def _backtest(view, name: str, *extra: str):
    url, folders = view
    at = AT[name]
    return run("backtest", folders[name], "--prometheus", url, "--from", str(at - 3 * 3600), "--to", str(at), *extra)


def test_backtest_replays_each_cluster_from_the_raw_series_before_any_rule_is_deployed(view):
    result = _backtest(view, "rollout", "--cluster-label", "cluster", "--format", "json")
    assert result.exit_code == 0, result.output
    replays = {r["group"]["cluster"]: r for r in json.loads(result.stdout)}
    assert sorted(replays) == ["east", "west"]
    # West at 5% errors (50x its budget) pages; east at 0.01% does not: the fleet sum would hide one or the other.
    assert any(a["fired"] for a in replays["west"]["alerts"]) and not any(a["fired"] for a in replays["east"]["alerts"])


def test_backtest_refuses_when_only_the_deployed_series_carry_the_label(view):
    result = _backtest(view, "split", "--cluster-label", "cluster")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: split-availability: its deployed series carry cluster (east, west), but its "
                           "replay cannot tell the clusters apart: no series it is replayed from carries cluster"), line


def test_backtest_on_one_server_shows_no_empty_cluster_group(view):
    # No series carries the label (a pyproject's cluster_label on a single Prometheus): the plain replay.
    result = _backtest(view, "stale", "--cluster-label", "cluster", "--format", "json")
    assert result.exit_code == 0, result.output
    (replay,) = json.loads(result.stdout)
    assert "group" not in replay  # as without the label, no `cluster=""`
    assert "cluster" not in _backtest(view, "stale", "--cluster-label", "cluster").stdout
