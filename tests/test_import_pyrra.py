"""`slo import pyrra`: ServiceLevelObjective resources (written here from Pyrra's published CRD fields)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from interop_helpers import compile_texts, convert_files

from slocompiler.emit import kubernetes, prometheus
from slocompiler.emit.rules import rules_yaml

RESOURCES = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-errors
  namespace: shop
  labels:
    prometheus: k8s
    role: alert-rules
    pyrra.dev/team: platform
spec:
  target: "99.5"
  window: 4w
  description: API requests that do not fail.
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="api",code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
      grouping: [route]
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: shop
  labels:
    prometheus: k8s
    role: alert-rules
spec:
  target: "99"
  window: 2w
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{job="api",le="0.5"}
      total:
        metric: http_request_duration_seconds_count{job="api"}
  alerting:
    name: ApiSlow
    absent: false
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: probes
  namespace: shop
  labels:
    prometheus: k8s
    role: alert-rules
spec:
  target: "99.9"
  window: 30d
  indicator:
    bool_gauge:
      metric: probe_success{job="blackbox"}
---
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: native
  namespace: shop
spec:
  target: "99"
  window: 28d
  indicator:
    latencyNative:
      latency: 1s
      total:
        metric: http_request_duration_seconds{job="api"}
"""

M, H, D = 60, 3600, 86400
# Pyrra's windows, worked out by hand from its rule (the window divided, rounded to a minute):
# (severity, factor, long, short, for).
PYRRA = {
    "28d": [("page", 14, H, 5 * M, 2 * M), ("page", 7, 6 * H, 30 * M, 15 * M),
            ("ticket", 2, D, 2 * H, H), ("ticket", 1, 4 * D, 6 * H, 3 * H)],
    "14d": [("page", 14, 30 * M, 3 * M, M), ("page", 7, 3 * H, 15 * M, 8 * M),
            ("ticket", 2, 12 * H, H, 30 * M), ("ticket", 1, 2 * D, 3 * H, 90 * M)],
    "30d": [("page", 14, 64 * M, 5 * M, 2 * M), ("page", 7, 386 * M, 32 * M, 16 * M),
            ("ticket", 2, 1543 * M, 129 * M, 64 * M), ("ticket", 1, 6171 * M, 386 * M, 193 * M)],
}


@pytest.fixture()
def imported(tmp_path: Path):
    (tmp_path / "slos.yaml").write_text(RESOURCES)
    texts, diagnostics = convert_files("pyrra", [str(tmp_path / "slos.yaml")])
    return compile_texts(tmp_path / "specs", texts).services[0], diagnostics, texts


def test_pyrra_windows_thresholds_and_for_are_written_out(imported):
    service, _, _ = imported
    for slo, window in zip(service.slos, ("28d", "14d", "30d"), strict=True):
        got = [(k.severity, k.burn, k.long, k.short, k.for_) for k in slo.alerting.conditions]
        # One alert rule per severity has one `for`: the shortest of that severity's pairs.
        shortest = {sev: min(f for s, *_, f in PYRRA[window] if s == sev) for sev in ("page", "ticket")}
        assert got == [(s, Decimal(f), long, short, shortest[s]) for s, f, long, short, _ in PYRRA[window]], slo.name
        # Pyrra's threshold: factor x (1 - target).
        assert [k.burn * slo.error_budget for k in slo.alerting.conditions] == [
            Decimal(f) * (1 - Decimal(t) / 100) for _, f, *_ in PYRRA[window] for t in [{"api-errors": "99.5", "api-latency": "99", "probes": "99.9"}[slo.name]]]
        assert [dict(k.labels)["severity"] for k in slo.alerting.conditions] == ["critical", "critical", "warning", "warning"]


def test_indicators_grouping_and_labels(imported):
    service, _, _ = imported
    errors, latency, probes = service.slos
    assert service.name == "shop" and [s.name for s in service.slos] == ["api-errors", "api-latency", "probes"]
    assert errors.group_by == ("route",) and dict(errors.labels) == {"team": "platform"}
    assert errors.indicator.errors.text == 'http_requests_total{job="api",code=~"5.."}'
    assert latency.indicator.kind == "latency" and latency.indicator.le == "0.5"
    assert latency.indicator.histogram.text == 'http_request_duration_seconds_bucket{job="api"}'
    # bool_gauge is a threshold indicator: a sample is good when it is 1 (LANGUAGE.md).
    assert probes.indicator.kind == "threshold" and (probes.indicator.op, probes.indicator.value) == ("==", 1)
    assert probes.indicator.metric.text == 'probe_success{job="blackbox"}'
    assert probes.objective == Decimal("0.999") and probes.window == 30 * D


def test_absent_alert_becomes_a_no_data_page_on_the_raw_total(imported):
    service, _, _ = imported
    errors, latency, _ = service.slos
    # 14 x 0.5% x 1h = 252s, plus the 2m for: 6m12s, rounded to 6m.
    assert (errors.alerting.no_data, errors.alerting.no_data_name, errors.alerting.no_data_severity,
            errors.alerting.no_data_watch) == (6 * M, "SLOMetricAbsent", "page", "total")
    assert latency.alerting.no_data is None  # absent: false
    rules = [r for g in yaml.safe_load(rules_yaml(service))["groups"] for r in g["rules"]]
    absent = [r for r in rules if r.get("alert") == "SLOMetricAbsent"][0]
    assert absent["expr"] == 'absent(sum(http_requests_total{job="api"}))'
    assert absent["labels"]["severity"] == "critical"


def test_kubernetes_metadata_and_warnings(imported):
    service, diagnostics, texts = imported
    metadata = yaml.safe_load(kubernetes.resource_yaml(service))["metadata"]
    assert metadata["namespace"] == "shop"
    assert {k: metadata["labels"][k] for k in ("prometheus", "role")} == {"prometheus": "k8s", "role": "alert-rules"}
    # The fourth resource has no labels: said, and the first resource's are kept.
    assert [(d.span.line, d.message.split(";")[0].split(" (")[0]) for d in diagnostics
            if "become one alert rule" not in d.message] == [
        (61, "service shop is in another resource with other Kubernetes metadata"),
        (67, "indicator.latencyNative")]
    assert "# slo native was not imported" in texts["shop"]


def test_generated_rules_pass_promtool(imported, tmp_path, promtool):
    import subprocess

    service, _, _ = imported
    from slocompiler.core.ir import Program

    import yaml

    for path, text in prometheus.emit(Program((service,))).items():
        (tmp_path / path.split("/")[1]).write_text(text)
    # Pyrra's `for` puts the cases on a 1m grid over days: all of them take promtool three minutes. Two
    # cases of each SLO prove the imported rules and tests load and agree; the generated cases
    # themselves are tested in test_prometheus_promtool.py, test_threshold.py and test_oncall_defaults.py.
    document = yaml.safe_load((tmp_path / "shop.test.yml").read_text())
    kept = []
    for slo in service.slos:
        kept += [case for case in document["tests"] if case["name"].startswith(f"{slo.id}:")][:2]
    assert len(kept) == 2 * len(service.slos)
    document["tests"] = kept
    (tmp_path / "shop.test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    for args in (["check", "rules", "shop.rules.yml"], ["test", "rules", "shop.test.yml"]):
        result = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_pyrra_for_per_pair_becomes_one_for_per_severity_with_a_located_warning(imported):
    _, diagnostics, _ = imported
    warnings = [d for d in diagnostics if "become one alert rule with one for" in d.message]
    # Three SLOs, each with two pages and two tickets of different `for`.
    assert len(warnings) == 6
    assert all(d.span.line > 1 and d.severity == "warning" for d in warnings)
    assert "2m, the shortest of 15m, 2m" in warnings[0].message
