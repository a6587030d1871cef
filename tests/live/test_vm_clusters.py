"""Two clusters on VictoriaMetrics behind a global view: `slo status` and `slo gate` tell the truth (docs/LIVE.md, "Global views").

Each cluster is a VictoriaMetrics holding its own traffic of the last two
hours, up to now (east: 0.01% errors, healthy; west: 1%, ten times its
budget) and a vmalert evaluating the built rules against it with
`-external.label=cluster=<name>`. vmalert writes through the cluster's
vmagent, which sends every recorded series to the cluster's storage (the
rules chain: each reads the ones before it from there) and to a third
VictoriaMetrics, the global view, the way a fleet feeds a global
VictoriaMetrics. `status` and `gate` then read the global view only.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request

import pytest
import victoria
import yaml
from helpers import run

from slocompiler.core import conventions as c
from slocompiler.emit.rules import rules_files
from slocompiler.workflow.compile import load

SPEC = """service checkout {
  owner  = "team-shop"
  policy = standard

  slo availability {
    objective = 99.9%
    window    = 7d
    indicator ratio {
      errors = `http_requests_total{job="checkout", code="500"}`
      total  = `http_requests_total{job="checkout"}`
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
# Its own servers only: it may run beside the shared ones' tests on another worker (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("victoria-clusters")

CLUSTERS = {"east": 0.0001, "west": 0.01}  # error ratio of each cluster's traffic
RATE = 600  # requests a minute
HISTORY = 120  # minutes up to now
EVALUATION = "2s"


def _lines(error_ratio: float, now: int, extra: str = ""):
    """The cluster's counters, one sample a minute for HISTORY minutes up to `now`, as OpenMetrics lines."""
    for code, share in (("200", 1 - error_ratio), ("500", error_ratio)):
        for m in range(HISTORY + 1):
            t = now - (HISTORY - m) * 60
            yield f'http_requests_total{{job="checkout",code="{code}"{extra}}} {m * RATE * share!r} {t}\n'


def _fast(text: str) -> str:
    """The rules file with every group at the test's evaluation interval: the period group's 2m would take minutes."""
    document = yaml.safe_load(text)
    for group in document["groups"]:
        group.pop("interval", None)
    return yaml.safe_dump(document, sort_keys=False)


def _at(url: str, windows: int) -> str:
    """A few seconds ago, at which the view shows both clusters' ratios: VictoriaMetrics drops a series from an
    instant query once its last sample is older than about two of its intervals (here 2s), and the newest may not
    be searchable yet (docs/ENGINES.md). On a loaded machine a vmalert can fall that far behind for a moment: the
    instant is taken again until both show all their `windows` ratios (the period group's 7d too, which can lag
    the 5m one; equal counts alone passed with a window missing in both)."""
    started = time.monotonic()
    every = '{__name__=~"slo:sli_error:ratio_rate.+"}'
    while True:
        at = int(time.time()) - 5
        query = urllib.parse.urlencode({"query": f"count by (cluster) ({every})", "time": at})
        with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as answer:
            found = {item["metric"].get("cluster"): int(item["value"][1])
                     for item in json.load(answer)["data"]["result"]}
        if all(found.get(name) == windows for name in CLUSTERS):
            return str(at)
        assert time.monotonic() < started + 90, f"ratios per cluster at {at}: {found}, not {windows} each"
        time.sleep(1)


def _series(url: str, match: str) -> list[dict]:
    query = urllib.parse.urlencode({"match[]": match, "start": int(time.time()) - 600})
    with urllib.request.urlopen(f"{url}/api/v1/series?{query}", timeout=10) as answer:
        return json.load(answer)["data"]


@pytest.fixture(scope="module")
def global_view(tmp_path_factory, vmalert):
    """The global view's URL and the spec's folder, once both clusters' period ratios have reached it."""
    binary, _ = victoria.find_binaries()
    agent = shutil.which("vmagent")
    if not binary or not agent:
        pytest.fail("victoria-metrics and vmagent are required (apt-get install victoria-metrics)")
    directory = tmp_path_factory.mktemp("vm-clusters")
    (directory / "specs").mkdir()
    (directory / "specs" / "checkout.slo").write_text(SPEC, encoding="utf-8")
    program = load([str(directory / "specs")]).program
    assert program is not None
    rules = directory / "checkout.rules.yml"
    rules.write_text(_fast(next(iter(rules_files(program).values()))), encoding="utf-8")
    running: list = []
    try:
        (directory / "global").mkdir()
        world = victoria.VictoriaMetrics(binary, directory / "global")
        running.append(world)
        now = int(time.time()) // 60 * 60
        for name, error_ratio in CLUSTERS.items():
            (directory / name).mkdir()
            storage = victoria.VictoriaMetrics(binary, directory / name)
            running.append(storage)
            storage.import_openmetrics(_lines(error_ratio, now))
            # The global view holds every cluster's raw series too, labelled as a fleet's agents label them.
            world.import_openmetrics(_lines(error_ratio, now, f',cluster="{name}"'))
            forward = victoria.Vmagent(agent, [storage.url, world.url], directory, f"vmagent-{name}")
            running.append(forward)
            running.append(victoria.Vmalert(
                vmalert, [rules], directory, f"vmalert-{name}", f"-datasource.url={storage.url}",
                f"-remoteWrite.url={forward.url}", f"-external.label=cluster={name}",
                f"-evaluationInterval={EVALUATION}", "-remoteWrite.flushInterval=200ms",
                # vmalert refuses alerting rules without a notifier; none listens here (the test reads storage).
                "-notifier.url=http://127.0.0.1:1"))
        # Every window's ratio of both clusters in the global view (the 7d one reads the 5m rates recorded before).
        windows = {rule["record"] for group in yaml.safe_load(rules.read_text(encoding="utf-8"))["groups"]
                   for rule in group["rules"] if rule.get("record", "").startswith("slo:sli_error:ratio_rate")}
        assert len(windows) == 6, windows  # 5m to 3d, and the period's 7d
        started = time.monotonic()
        while not {(name, cluster) for name in windows for cluster in CLUSTERS} <= {
                (s["__name__"], s.get("cluster")) for s in _series(world.url, f'{{{c.LABEL_SLO_ID}!=""}}')}:
            assert time.monotonic() < started + 90, "the recorded series never reached the global view"
            time.sleep(0.5)
        print(f"recorded series of both clusters in the global view after {time.monotonic() - started:.1f}s")
        time.sleep(6)  # so that _at() falls after both clusters' first evaluations of every rule
        yield world.url, str(directory / "specs"), now, len(windows)
    finally:
        for process in reversed(running):
            process.stop()


def test_status_shows_each_cluster_s_figures(global_view):
    url, specs, _, windows = global_view
    result = run("status", specs, "--prometheus", url, "--source", "recorded", "--cluster-label", "cluster",
                 "--format", "json", "--at", _at(url, windows))
    assert result.exit_code == 0, result.output
    rows = {row["group"]["cluster"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == ["east", "west"]
    for name, error_ratio in CLUSTERS.items():
        assert abs(rows[name]["sli"] - (1 - error_ratio)) < error_ratio * 0.01, rows[name]
        assert abs(rows[name]["error_budget_remaining"] - (1 - error_ratio / 0.001)) < 0.01 * error_ratio / 0.001
    assert rows["west"]["error_budget_remaining"] < 0 < rows["east"]["error_budget_remaining"]
    text = run("status", specs, "--prometheus", url, "--source", "recorded", "--cluster-label", "cluster",
               "--at", _at(url, windows)).stdout
    assert "cluster=west" in text and "cluster=east" in text


def test_gate_blocks_on_the_bad_cluster(global_view):
    url, specs, _, windows = global_view
    result = run("gate", specs, "--prometheus", url, "--source", "recorded", "--cluster-label", "cluster",
                 "--format", "json", "--at", _at(url, windows))
    assert result.exit_code == 1, result.output
    blocked = json.loads(result.stdout)["blocked_by"]
    assert {(b["group"]["cluster"], b["when"]) for b in blocked} == {("west", "budget_remaining <= 0%")}
    # Without the label, neither cluster stands for both: exit 3, naming it.
    unnamed = run("gate", specs, "--prometheus", url, "--source", "recorded", "--at", _at(url, windows))
    assert unnamed.exit_code == 3 and 'cluster_label = "cluster"' in unnamed.stderr, unnamed.output


def test_backtest_replays_each_cluster(global_view):
    url, specs, now, windows = global_view
    # To now: the deployed series at --to tell the clusters apart, and vmalert started after the history's end.
    span = ("--from", str(now - 90 * 60), "--to", _at(url, windows))
    result = run("backtest", specs, "--prometheus", url, *span, "--cluster-label", "cluster", "--format", "json")
    assert result.exit_code == 0, result.output
    replays = {r["group"]["cluster"]: r for r in json.loads(result.stdout)}
    assert sorted(replays) == ["east", "west"]
    # West burns at 10x: the 6h/30m page (above 6x) fires; east at 0.1x fires nothing.
    assert any(a["fired"] for a in replays["west"]["alerts"]) and not any(a["fired"] for a in replays["east"]["alerts"])
    assert replays["west"]["error_budget_remaining_at_end"] < 0 < replays["east"]["error_budget_remaining_at_end"]
    unnamed = run("backtest", specs, "--prometheus", url, *span)
    assert unnamed.exit_code == 3 and 'cluster_label = "cluster"' in unnamed.stderr, unnamed.output


def test_verify_compares_each_cluster_with_its_own_series(global_view):
    url, specs, _, windows = global_view
    result = run("verify", specs, "--prometheus", url, "--cluster-label", "cluster", "--format", "json", "--at", _at(url, windows))
    # Each cluster's deployed ratios are its own traffic's: nothing stale (the global sum would be 5x off for both).
    assert result.exit_code == 0 and "stale" not in result.output, result.output
    text = run("verify", specs, "--prometheus", url, "--cluster-label", "cluster", "--at", _at(url, windows))
    assert text.stderr.splitlines()[-1].startswith("ok: 1 SLO(s) match the live series; "), text.stderr
    unnamed = run("verify", specs, "--prometheus", url, "--at", _at(url, windows))
    assert unnamed.exit_code == 3 and 'cluster_label = "cluster"' in unnamed.stderr, unnamed.output
