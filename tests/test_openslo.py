"""`--target openslo` and `slo import openslo`: the export, its round trip, and OpenSLO written by others."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from interop_helpers import compile_texts, convert_files

from slocompiler.emit import TARGETS
from slocompiler.emit.rules import rules_files
from slocompiler.workflow.compile import load

SPECS = Path(__file__).resolve().parent.parent / "specs"


def without_headers(files: dict[str, str]) -> dict[str, str]:
    """Rules files without their `# generated from <spec>` line, which names a different source."""
    return {path: "\n".join(line for line in text.splitlines() if not line.startswith("#")) for path, text in files.items()}


def import_files(tmp_path: Path, paths: list[str]):
    texts, diagnostics = convert_files("openslo", paths)
    return compile_texts(tmp_path / "imported", texts), diagnostics, texts


@pytest.fixture(scope="module")
def example():
    from slocompiler.lang import project

    loaded = load([str(SPECS)])
    assert loaded.program is not None
    # As `slo build` does: source paths relative to the project root, whatever the checkout's path.
    return project.relocate(loaded.program, project.find([str(SPECS)]))


def test_export_is_openslo_v1_service_and_slo_documents(example):
    files = TARGETS["openslo"](example)
    assert sorted(files) == [f"openslo/{s.name}.yaml" for s in example.services]
    documents = list(yaml.safe_load_all(files["openslo/checkout.yaml"]))
    assert [d["kind"] for d in documents] == ["Service", "SLO", "SLO", "SLO", "SLO"]  # probe: a thresholdMetric
    assert all(d["apiVersion"] == "openslo/v1" for d in documents)
    slo = documents[1]
    assert slo["metadata"]["name"] == "checkout-availability" and slo["spec"]["service"] == "checkout"
    assert slo["spec"]["objectives"] == [{"displayName": "availability", "target": 0.999}]
    assert slo["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]
    ratio = slo["spec"]["indicator"]["spec"]["ratioMetric"]
    assert ratio["bad"]["metricSource"] == {"type": "Prometheus", "spec": {"query": 'http_requests_total{job="checkout", code=~"5.."}'}}
    policy = slo["spec"]["alertPolicies"][0]
    assert policy["spec"]["alertWhenNoData"] is True
    first = policy["spec"]["conditions"][0]["spec"]
    assert first == {"severity": "page", "condition": {"kind": "burnrate", "op": "gt", "threshold": 14.4, "lookbackWindow": "1h"}}
    # A latency indicator: its two buckets.
    latency = documents[2]["spec"]["indicator"]["spec"]["ratioMetric"]
    assert latency["good"]["metricSource"]["spec"]["query"].endswith('le="0.3"}')
    assert latency["total"]["metricSource"]["spec"]["query"].endswith('le="+Inf"}')


def test_export_is_deterministic(example):
    assert TARGETS["openslo"](example) == TARGETS["openslo"](example)


def test_round_trip_of_every_spec_builds_the_same_prometheus_rules(example, tmp_path):
    exported = tmp_path / "openslo"
    exported.mkdir()
    for path, text in TARGETS["openslo"](example).items():
        (tmp_path / path).write_text(text)
    program, diagnostics, _ = import_files(tmp_path, sorted(str(p) for p in exported.iterdir()))
    assert diagnostics == []  # everything the export writes is read back
    # Policies are not exported, and with them go the rules recording their `over` windows.
    without_policies = replace(example, services=tuple(replace(s, policy=None) for s in example.services))
    assert without_headers(rules_files(program)) == without_headers(rules_files(without_policies))
    assert [s.name for s in program.services] == [s.name for s in example.services]


THEIRS = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: web-shop
  displayName: Web shop
spec:
  description: The shop front end
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  labels:
    team: web
spec:
  service: web-shop
  indicatorRef: shop-requests
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: good
      target: 0.9995
  alertPolicies:
    - alertPolicyRef: fast-burn
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: freshness
spec:
  service: web-shop
  indicator:
    metadata:
      name: fresh
    spec:
      ratioMetric:
        counter: true
        rawType: success
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: avg_over_time(shop_catalog_fresh[5m])
  timeWindow:
    - duration: 7d
      calendar:
        startTime: "2024-01-01 00:00:00"
        timeZone: UTC
  budgetingMethod: Timeslices
  objectives:
    - targetPercent: 99
      timeSliceTarget: 0.95
      timeSliceWindow: 5m
      compositeWeight: 2
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: unconvertible
spec:
  service: web-shop
  indicator:
    metadata:
      name: dd
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Datadog
            spec:
              query: sum:requests.ok{*}
        total:
          metricSource:
            type: Datadog
            spec:
              query: sum:requests{*}
  objectives:
    - target: 0.99
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: rangeless
spec:
  service: web-shop
  indicator:
    metadata:
      name: rl
    spec:
      ratioMetric:
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(shop_ok)
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(shop_all)
  objectives:
    - target: 0.99
"""

REFERENCED = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: shop-requests
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="shop", code=~"5.."}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="shop"}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  alertWhenNoData: true
  notificationTargets:
    - targetRef: pager
  conditions:
    - conditionRef: one-hour
    - kind: AlertCondition
      metadata:
        name: one-day
      spec:
        severity: warning
        condition:
          kind: burnrate
          op: gte
          threshold: 3
          lookbackWindow: 1d
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: one-hour
spec:
  severity: page
  condition:
    kind: burnrate
    op: gt
    threshold: 14.4
    lookbackWindow: 1h
    alertAfter: 2m
"""


@pytest.fixture()
def theirs(tmp_path):
    (tmp_path / "slos.yaml").write_text(THEIRS)
    (tmp_path / "shared.yaml").write_text(REFERENCED)
    return import_files(tmp_path, [str(tmp_path / "slos.yaml"), str(tmp_path / "shared.yaml")])


def test_references_across_files_and_burnrate_conditions(theirs):
    program, _, _ = theirs
    service = program.services[0]
    assert service.name == "web-shop" and service.description == "The shop front end"
    availability = service.slos[0]
    assert availability.objective == Decimal("0.9995") and availability.window == 28 * 86400
    assert availability.indicator.errors.text == 'http_requests_total{job="shop", code=~"5.."}'
    assert [(k.severity, k.burn, k.long, k.short, k.for_, dict(k.labels)) for k in availability.alerting.conditions] == [
        ("page", Decimal("14.4"), 3600, 300, 120, {}),
        ("ticket", Decimal("3"), 86400, 7200, None, {"severity": "warning"}),
    ]
    assert availability.alerting.no_data == 900  # alertWhenNoData: true
    # A document's metadata.labels are the Kubernetes labels of its service's PrometheusRule.
    assert dict(availability.labels) == {} and dict(service.kubernetes_labels) == {"team": "web"}


def test_raw_success_ratio_calendar_window_and_time_slices(theirs):
    program, _, texts = theirs
    freshness = program.services[0].slos[1]
    assert freshness.indicator.error_ratio.text == "1 - (avg_over_time(shop_catalog_fresh[$window]))"
    # A 7d timeWindow with a calendar (isRolling false by default) is a calendar week; Timeslices are slices.
    assert (freshness.calendar, freshness.window, freshness.timezone) == ("week", 7 * 86400, "UTC")
    assert (freshness.slices.length, freshness.slices.target, freshness.slices.ratio) == (300, Decimal("0.95"), False)
    assert freshness.objective == Decimal("0.99")
    assert "window    = calendar week" in texts["web-shop"]
    assert "slices { length = 5m target = 95% }" in texts["web-shop"]
    assert freshness.alerting.enabled is False  # no alert policies: no alerts, as before


def test_every_loss_is_a_warning_naming_the_field(theirs, tmp_path):
    _, diagnostics, texts = theirs
    text = THEIRS.splitlines()

    def at(fragment: str, after: int = 0) -> int:
        return next(n for n, line in enumerate(text, 1) if n > after and fragment in line)

    found = {(Path(d.span.file).name, d.span.line): d.message for d in diagnostics}
    assert ("slos.yaml", at("calendar:")) not in found and ("slos.yaml", at("Timeslices")) not in found
    assert found[("slos.yaml", at("compositeWeight"))].startswith("objectives[].compositeWeight belongs to a composite")
    assert found[("slos.yaml", at("type: Datadog"))].startswith('ratioMetric.good.metricSource.type "Datadog" is not Prometheus')
    assert found[("slos.yaml", at("query: sum(shop_all)"))].startswith("this query has no range")
    assert found[("shared.yaml", 25)].startswith("notificationTargets has no counterpart")
    assert found[("slos.yaml", at("displayName: Web shop"))].startswith('metadata.displayName "Web shop" has no counterpart')
    assert "# slo unconvertible was not imported" in texts["web-shop"]
    assert "# slo rangeless was not imported" in texts["web-shop"]


def test_export_matches_golden(example, golden):
    for path, text in sorted(TARGETS["openslo"](example).items()):
        golden(f"openslo/specs/{path}", text)


FEATURES = """\
alerting team-default {
  pages { labels { severity = "critical" routing = "pager" } annotations { playbook = "p" } }
  page   { burn = 14.4 long = 1h short = 5m for = 2m }
  ticket { burn = 1 long = 3d short = 6h labels { routing = "queue" } }
}

service shop {
  owner = "team-shop"
  kubernetes { namespace = "monitoring" labels { prometheus = "k8s" role = "alert-rules" } }
  labels { team = "shop" }
  slo api {
    objective = 99.95%
    window = 28d
    group_by = ["route"]
    indicator latency { histogram = `h_bucket{job="shop"}` threshold = 250ms }
    alerting {
      use = team-default
      no_data { for = 10m name = "ShopApiAbsent" severity = "page" watch = total }
    }
  }
}
"""


def test_round_trip_keeps_kubernetes_metadata_and_the_new_alerting_settings(tmp_path):
    from slocompiler.emit import kubernetes

    (tmp_path / "shop.slo").write_text(FEATURES)
    original = load([str(tmp_path / "shop.slo")]).program
    exported = tmp_path / "openslo"
    exported.mkdir()
    for path, text in TARGETS["openslo"](original).items():
        (tmp_path / path).write_text(text)
    program, diagnostics, _ = import_files(tmp_path, [str(exported / "shop.yaml")])
    assert diagnostics == []
    for emit in (rules_files, kubernetes.emit):
        assert without_headers(emit(program)) == without_headers(emit(original))


PER_PAIR = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api
spec:
  service: pairs
  indicator:
    metadata:
      name: api
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="api", code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="api"}
  timeWindow:
    - duration: 30d
      isRolling: true
  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: burn
      spec:
        conditions:
          - kind: AlertCondition
            metadata:
              name: fast
              labels:
                team: api
                pair: fast
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 2m}
          - kind: AlertCondition
            metadata:
              name: slow
              labels:
                team: api
                pair: slow
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 6, lookbackWindow: 6h, alertAfter: 15m}
          - kind: AlertCondition
            metadata:
              name: fast-again
            spec:
              severity: page
              condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 2m}
"""


def test_per_pair_conditions_are_fitted_to_one_rule_per_severity_with_located_warnings(tmp_path):
    (tmp_path / "pairs.yaml").write_text(PER_PAIR)
    program, diagnostics, _ = import_files(tmp_path, [str(tmp_path / "pairs.yaml")])  # compiles without errors
    conditions = program.services[0].slos[0].alerting.conditions
    # The repeat is dropped; one `for` (the shortest); only the labels all pairs share.
    assert [(k.burn, k.long, k.for_, dict(k.labels)) for k in conditions] == [
        (Decimal("14.4"), 3600, 120, {"team": "api"}), (Decimal("6"), 21600, 120, {"team": "api"})]
    text = PER_PAIR.splitlines()
    lines = {d.span.line: d.message for d in diagnostics}
    assert lines[next(n for n, line in enumerate(text, 1) if "name: fast-again" in line) - 2].startswith(
        "this page condition repeats an earlier one")
    first = next(n for n, line in enumerate(text, 1) if "name: fast" in line) - 2
    messages = [d.message for d in diagnostics if d.span.line == first]
    assert any("one for: 2m, the shortest of 15m, 2m" in m for m in messages)
    assert any("pair differ between them and are dropped" in m for m in messages)


ONCALL = """
service shop {
  owner = "t"
  tier  = low
  alerting { min_failures = 3 }
  slo api {
    objective = 99.9%
    indicator ratio { errors = `e_total{job="x", code="5"}` total = `e_total{job="x"}` }
    alerting {
      page   { burn = 14.4 long = 1h min_failures = 25 }
      page   { burn = 6 long = 6h }
      ticket { burn = 1 long = 3d min_failures = 0 }
    }
  }
  slo quiet { objective = 99% indicator ratio { errors = `e_total{job="y", code="5"}` total = `e_total{job="y"}` } }
}
"""


def test_round_trip_keeps_min_failures_and_the_tier_defaults(tmp_path):
    (tmp_path / "shop.slo").write_text(ONCALL)
    original = load([str(tmp_path / "shop.slo")]).program
    assert [k.min_failures for k in original.services[0].slos[0].alerting.conditions] == [25, 3, 0]
    exported = tmp_path / "openslo"
    exported.mkdir()
    for path, text in TARGETS["openslo"](original).items():
        (tmp_path / path).write_text(text)
    assert '"slocompiler.dev/min-failures": "25"' in (exported / "shop.yaml").read_text()
    program, diagnostics, _ = import_files(tmp_path, [str(exported / "shop.yaml")])
    assert diagnostics == []
    assert without_headers(rules_files(program)) == without_headers(rules_files(original))
