"""The generated rules evaluated by vmalert (replay mode) on VictoriaMetrics agree with Prometheus on the same history.

A VictoriaMetrics of its own gets history.py's checkout series; `vmalert
-replay.timeFrom/-replay.timeTo` evaluates the built rules over 9¾ days of
it, writing the recorded series and `ALERTS` back into it (chained rules
read the rules before them from there). The Prometheus side is the shared
test server with the same history: `slo backtest` for the alerts (proven
equal to Prometheus's rule evaluation by test_backtest_promtool.py) and the
indicator's own series as the rules compute them (`state.raw_ratio`,
proven equal to the rules' expressions by test_status.py) for the ratios.
Tolerance: docs/ENGINES.md ("Tolerance"), engines.py.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import history
import pytest
import victoria
import yaml
from engines import BUDGET_ABSOLUTE, EDGE, RELATIVE, intervals_agree, seen
from helpers import run

from slocompiler.core import conventions as c
from slocompiler.emit.rules import rules_files
from slocompiler.live import state
from slocompiler.live.client import Connection, Prometheus
from slocompiler.workflow.compile import load

SPEC = """service checkout {
  owner = "team-shop"

  slo availability {
    objective = 99.9%
    window    = 7d
    group_by  = ["region"]
    indicator ratio {
      errors = `http_requests_total{job="checkout", code=~"5.."}`
      total  = `http_requests_total{job="checkout"}`
    }
  }
}
"""
SLO_ID = "checkout-availability"
REPLAY = (history.START, history.START + 9 * 86400 + 18 * 3600)
# Alerts compared from day 7 (the slow hour; the eu outage on day 8, the us one at AT); ratios every 30
# minutes from the day the 7d window is full.
ALERTS_FROM = history.START + 7 * 86400
RATIOS = (history.START + 7 * 86400 + 1800, REPLAY[1], 1800)


def without_annotations(text: str) -> str:
    """The rules file without annotations: vmalert 1.79's replay refuses a template calling `query`, which the
    summaries and descriptions do (docs/ENGINES.md); annotations never change when an alert fires."""
    document = yaml.safe_load(text)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return yaml.safe_dump(document, sort_keys=False)


def _rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, vmalert):
    """A VictoriaMetrics holding the checkout history and vmalert's replay of the built rules; its URL, the spec."""
    binary, _ = victoria.find_binaries()
    if not binary:
        pytest.fail("victoria-metrics is required (apt-get install victoria-metrics)")
    directory = tmp_path_factory.mktemp("vmalert-replay")
    spec = directory / "checkout.slo"
    spec.write_text(SPEC, encoding="utf-8")
    program = load([str(spec)]).program
    assert program is not None
    rules = []
    for path, text in rules_files(program).items():
        rules.append(directory / path.rsplit("/", 1)[-1])
        rules[-1].write_text(without_annotations(text), encoding="utf-8")
    running = victoria.VictoriaMetrics(binary, directory)
    try:
        running.import_openmetrics(line for line in history.openmetrics()
                                   if line.startswith("http_requests_total{") and 'job="checkout"' in line)
        started = time.monotonic()
        # -datasource.queryStep=0s: each group's own interval as the step (the default 5m overrides it).
        failed = victoria.replay_rule_by_rule(vmalert, rules, running, _rfc3339(REPLAY[0]), _rfc3339(REPLAY[1]),
                                              directory, "-remoteWrite.flushInterval=200ms", "-datasource.queryStep=0s")
        assert failed is None, failed.stdout[-2000:] + failed.stderr[-2000:]
        print(f"vmalert replay of {len(rules)} rules file(s): {time.monotonic() - started:.1f}s")
        yield running.url, spec, program
    finally:
        running.stop()


def _export(url: str, match: str) -> list[dict]:
    """Raw samples of the series matching `match` in the replay span: [{metric, values, timestamps}]."""
    query = urllib.parse.urlencode({"match[]": match, "start": REPLAY[0], "end": REPLAY[1]})
    with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=60) as answer:
        return [json.loads(line) for line in answer.read().decode().splitlines() if line.strip()]


def _intervals(times: list[int], step: int = 60) -> list[list[int]]:
    """Sorted evaluation times as [first, last] runs without a gap of more than one step."""
    found: list[list[int]] = []
    for t in sorted(times):
        if found and t - found[-1][1] <= step:
            found[-1][1] = t
        else:
            found.append([t, t])
    return found


def test_alerts_fire_in_the_same_intervals(replayed, prometheus_url):
    url, spec, _ = replayed
    fired: dict[tuple[str, str], list[int]] = {}
    for series in _export(url, f'ALERTS{{alertstate="firing",{c.LABEL_SLO_ID}="{SLO_ID}"}}'):
        key = (series["metric"].get("region", ""), series["metric"]["severity"])
        fired.setdefault(key, []).extend(t // 1000 for t in series["timestamps"] if t // 1000 >= ALERTS_FROM)
    result = run("backtest", str(spec), "--prometheus", prometheus_url, "--from", str(ALERTS_FROM),
                 "--to", str(REPLAY[1]), "--format", "json")
    assert result.exit_code == 0, result.output
    expected: dict[tuple[str, str], list[int]] = {}
    for report in json.loads(result.stdout):
        for alert in report["alerts"]:
            times = expected.setdefault((report["group"]["region"], alert["severity"]), [])
            times.extend(t for start, end in alert["fired"] for t in range(start, end + 1, 60))
    assert any(expected.values()), "the history should page somewhere"
    for key in sorted(set(expected) | set(fired)):
        ours, theirs = _intervals(expected.get(key, [])), _intervals(fired.get(key, []))
        assert intervals_agree(ours, theirs, EDGE), (key, ours, theirs)
        print(f"{key}: {ours} / {theirs}")


def test_window_ratios_and_period_budget_agree(replayed, prometheus_url):
    url, _, program = replayed
    slo = program.services[0].slos[0]
    windows = sorted({w for cond in slo.alerting.conditions for w in (cond.long, cond.short)} | {slo.window})
    budget = float(slo.error_budget)
    compared = 0
    with Prometheus(Connection(prometheus_url)) as prom, Prometheus(Connection(url)) as vm:
        for window in windows:
            theirs = {s.labels["region"]: dict(s.points) for s in vm.query_range(
                f'{c.error_ratio_rule(window)}{{{c.LABEL_SLO_ID}="{SLO_ID}"}}', *RATIOS)}
            ours = {s.labels["region"]: dict(s.points) for s in prom.query_range(state.raw_ratio(slo, window), *RATIOS)}
            assert set(ours) == set(theirs) == {"eu", "us"}, window
            for region, points in ours.items():
                assert set(points) == set(theirs[region]), (window, region)
                for t, value in points.items():
                    gap = abs(value - theirs[region][t]) / max(abs(value), 1e-12)
                    seen[f"ratio {window}s"] = max(seen.get(f"ratio {window}s", 0.0), gap)
                    assert gap <= RELATIVE, (window, region, t, value, theirs[region][t])
                    compared += 1
        remaining = {s.labels["region"]: dict(s.points) for s in vm.query_range(
            f'{c.BUDGET_REMAINING}{{{c.LABEL_SLO_ID}="{SLO_ID}"}}', *RATIOS)}
        period = {s.labels["region"]: dict(s.points) for s in prom.query_range(state.raw_ratio(slo, slo.window), *RATIOS)}
        for region, points in period.items():
            for t, ratio in points.items():
                gap = abs((1 - ratio / budget) - remaining[region][t])
                seen["period budget remaining"] = max(seen.get("period budget remaining", 0.0), gap)
                assert gap <= BUDGET_ABSOLUTE, (region, t, 1 - ratio / budget, remaining[region][t])
    assert compared > 1000


@pytest.fixture(scope="module", autouse=True)
def _report_differences():
    """With -s: the largest differences between the engines seen by this module's comparisons."""
    yield
    print("\nlargest differences, Prometheus vs vmalert's replay:",
          ", ".join(f"{key} {value:.3g}" for key, value in sorted(seen.items())))
