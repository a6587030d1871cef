"""`slo import sloth`: Sloth specs (written here from Sloth's published field list) to `.slo` that alerts as Sloth did."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from interop_helpers import compile_texts, convert_files

from slocompiler.cli import cli
from slocompiler.emit import kubernetes
from slocompiler.emit.rules import rules_yaml

PROMETHEUS_V1 = """\
version: "prometheus/v1"
service: "payments"
labels:
  owner: "team-pay"
slos:
  - name: "requests-availability"
    objective: 99.99
    description: "Requests that do not fail."
    labels:
      category: availability
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="pay",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="pay"}[{{ .window }}]))
    alerting:
      name: PaymentsHighErrorRate
      labels:
        category: "availability"
      annotations:
        runbook: "https://runbooks.example.com/payments"
      page_alert:
        labels:
          severity: critical
          routing_key: payments
      ticket_alert:
        labels:
          severity: warning
  - name: "latency"
    objective: 99.5
    sli:
      raw:
        error_ratio_query: |
          1 - (sum(rate(h_bucket{le="0.5", path=~"/api/.+$"}[{{.window}}])) / sum(rate(h_count[{{.window}}])))
    alerting:
      name: PaymentsSlow
      ticket_alert:
        disable: true
"""

RESOURCES = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: search-slos
  namespace: monitoring
  labels:
    prometheus: k8s
    role: alert-rules
spec:
  service: "search"
  slos:
    - name: "queries"
      objective: 99.9
      sli:
        events:
          errorQuery: sum(rate(search_errors_total[{{.window}}]))
          totalQuery: sum(rate(search_queries_total[{{.window}}]))
      alerting:
        name: SearchErrors
        pageAlert:
          disable: true
        ticketAlert:
          disable: true
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
"""

# Sloth's alert windows for both its periods: (severity, error budget %, long hours, short minutes).
SLOTH_WINDOWS = [("page", 2, 1, 5), ("page", 5, 6, 30), ("ticket", 10, 24, 120), ("ticket", 10, 72, 360)]


def imported(tmp_path: Path, text: str, name: str = "sloth.yaml", **options):
    (tmp_path / name).write_text(text)
    return convert_files("sloth", [str(tmp_path / name)], **options)


def compiled(tmp_path: Path, texts: dict[str, str]):
    return compile_texts(tmp_path / "specs", texts)


def sloth_alerts(objective: str, period_days: int, severities=("page", "ticket")) -> list[tuple[str, Decimal, int, int]]:
    """What Sloth alerts on: burn = budget% x period / long, threshold = burn x (1 - objective/100)."""
    budget = 1 - Decimal(objective) / 100
    return [
        (severity, Decimal(percent) / 100 * period_days * 24 / long_h * budget, long_h * 3600, short_m * 60)
        for severity, percent, long_h, short_m in SLOTH_WINDOWS
        if severity in severities
    ]


def our_alerts(slo) -> list[tuple[str, Decimal, int, int]]:
    return [(k.severity, k.burn * slo.error_budget, k.long, k.short) for k in slo.alerting.conditions]


@pytest.mark.parametrize("window, days", [("30d", 30), ("28d", 28)])
def test_imported_specs_check_and_alert_at_sloth_thresholds_and_windows(tmp_path, window, days):
    texts, diagnostics = imported(tmp_path, PROMETHEUS_V1, window=window)
    assert not [d for d in diagnostics if d.is_error]
    availability, latency = compiled(tmp_path, texts).services[0].slos
    assert availability.objective == Decimal("0.9999")  # from the decimal text: exactly 99.99%
    assert availability.window == days * 86400
    for ours, theirs in zip(our_alerts(availability), sloth_alerts("99.99", days), strict=True):
        assert ours[0] == theirs[0] and ours[2:] == theirs[2:]
        assert abs(ours[1] - theirs[1]) < Decimal("1e-12")  # ours are exact; 28d burns are rounded once
    # ticket_alert.disable drops the ticket conditions.
    assert [a[0] for a in our_alerts(latency)] == ["page", "page"]
    assert [a[2:] for a in our_alerts(latency)] == [a[2:] for a in sloth_alerts("99.5", days, ("page",))]


def test_labels_annotations_names_and_no_data(tmp_path):
    texts, _ = imported(tmp_path, PROMETHEUS_V1)
    service = compiled(tmp_path, texts).services[0]
    availability, latency = service.slos
    assert service.owner == "team-pay" and dict(service.labels) == {"owner": "team-pay"}
    assert dict(availability.labels) == {"owner": "team-pay", "category": "availability"}
    alerting = availability.alerting
    assert alerting.name == "PaymentsHighErrorRate" and alerting.no_data is None  # Sloth has no NoData alert
    assert dict(alerting.labels) == {"category": "availability"}
    assert dict(alerting.annotations) == {"runbook": "https://runbooks.example.com/payments"}
    pages = [dict(k.labels) for k in alerting.conditions if k.severity == "page"]
    assert pages == [{"severity": "critical", "routing_key": "payments"}] * 2
    assert latency.indicator.kind == "expr"
    # A `$` of the query (a regex anchor) stays a `$`.
    assert '"/api/.+$"' in latency.indicator.error_ratio.text


def test_keep_defaults_and_add_no_data(tmp_path):
    texts, diagnostics = imported(tmp_path, PROMETHEUS_V1, keep_defaults=True, add_no_data=True)
    assert "page {" not in texts["payments"] and "no_data" not in texts["payments"]
    availability = compiled(tmp_path, texts).services[0].slos[0]
    assert availability.alerting.no_data == 900 and len(availability.alerting.conditions) == 3
    # The disabled ticket alert cannot be honoured with the defaults: said, not silent.
    assert any("--keep-defaults" in d.message for d in diagnostics)


def test_kubernetes_resources_keep_namespace_and_labels_and_both_disabled_means_no_alerts(tmp_path):
    texts, diagnostics = imported(tmp_path, RESOURCES)
    service = compiled(tmp_path, texts).services[0]
    assert service.kubernetes_namespace == "monitoring"
    assert dict(service.kubernetes_labels) == {"prometheus": "k8s", "role": "alert-rules"}
    assert service.slos[0].alerting.enabled is False
    metadata = yaml.safe_load(kubernetes.resource_yaml(service))["metadata"]
    assert metadata["namespace"] == "monitoring" and metadata["labels"]["role"] == "alert-rules"
    located = {(d.span.line, d.message.split(":")[0]) for d in diagnostics}
    assert (4, "metadata.name is not kept") in located
    assert (25, "this document is not a Sloth spec and is skipped") in located


def test_every_dropped_field_is_a_warning_at_its_line(tmp_path):
    text = PROMETHEUS_V1.replace('  - name: "latency"\n', '  - name: "latency"\n    info_labels:\n      tier: "1"\n')
    text = text.replace("          routing_key: payments\n", "          routing_key: payments\n        unknown_thing: 1\n")
    text += """\
  - name: "plugged"
    objective: 99
    sli:
      plugin:
        id: "sloth-common/kubernetes/apiserver/availability"
    alerting:
      name: X
"""
    texts, diagnostics = imported(tmp_path, text)

    def line_of(fragment: str) -> int:
        return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)

    lines = {d.span.line: d.message for d in diagnostics}
    assert lines[line_of("info_labels:")].startswith("info_labels (labels of Sloth's info metric) has no counterpart")
    assert lines[line_of("plugin:")].startswith('SLI plugin "sloth-common/kubernetes/apiserver/availability" has no counterpart')
    assert lines[line_of("unknown_thing")] == "page_alert.unknown_thing has no counterpart in .slo and is dropped"
    assert len(diagnostics) == 3
    assert all(d.span.file.endswith("sloth.yaml") and d.severity == "warning" for d in diagnostics)
    assert "# slo plugged was not imported" in texts["payments"]
    compiled(tmp_path, texts)


def test_cli_writes_one_file_per_service_and_exits_1_on_unreadable_input(tmp_path):
    (tmp_path / "a.yaml").write_text(PROMETHEUS_V1)
    (tmp_path / "b.yaml").write_text(RESOURCES)
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "sloth", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["payments.slo", "search.slo"]
    result = runner.invoke(cli, ["check", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # Importing again gives the same files: fine. A file with other text is never overwritten.
    again = runner.invoke(cli, ["import", "sloth", str(tmp_path / "a.yaml"), "-o", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    (tmp_path / "out" / "search.slo").write_text("# mine\n")
    refused = runner.invoke(cli, ["import", "sloth", str(tmp_path / "b.yaml"), "-o", str(tmp_path / "out")])
    assert refused.exit_code == 1 and "search.slo exists with other text" in refused.output
    assert (tmp_path / "out" / "search.slo").read_text() == "# mine\n"
    stdout = runner.invoke(cli, ["import", "sloth", str(tmp_path / "a.yaml")])
    assert stdout.exit_code == 0 and stdout.stdout == (tmp_path / "out" / "payments.slo").read_text()
    assert runner.invoke(cli, ["import", "sloth", str(tmp_path / "missing.yaml")]).exit_code == 1
    assert runner.invoke(cli, ["import", "pyrra", str(tmp_path / "a.yaml"), "--keep-defaults"]).exit_code == 2
    (tmp_path / "bad.yaml").write_text("version: [\n")
    assert runner.invoke(cli, ["import", "sloth", str(tmp_path / "bad.yaml")]).exit_code == 1


def test_imported_text_is_already_formatted(tmp_path):
    from slocompiler.fmt.format import format_text

    texts, _ = imported(tmp_path, PROMETHEUS_V1)
    assert format_text(texts["payments"], "x.slo") == texts["payments"]


def test_every_subpackage_is_listed_for_installation():
    """A non-editable install (CI's) holds only the packages pyproject.toml names."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "slocompiler").rglob("__init__.py")}
    assert found <= listed


def test_built_alert_rules_compare_at_sloths_thresholds_over_sloths_windows(tmp_path):
    """Read back from the rules file: every (window, threshold) comparison Sloth's alerts make, and no other."""
    import re

    from slocompiler.core.units import prom_window

    texts, _ = imported(tmp_path, PROMETHEUS_V1)
    service = compiled(tmp_path, texts).services[0]
    groups = yaml.safe_load(rules_yaml(service))["groups"]
    exprs = [r["expr"] for g in groups for r in g["rules"] if r.get("alert") == "PaymentsHighErrorRate"]
    found = {(w, Decimal(t)) for e in exprs for w, t in re.findall(r"ratio_rate(\w+)\{[^}]*\} > ([0-9.]+)", e)}
    expected = set()
    for _, threshold, long, short in sloth_alerts("99.99", 30):
        expected |= {(prom_window(long), threshold), (prom_window(short), threshold)}
    assert found == expected


def test_imported_specs_pass_promtool(tmp_path, promtool):
    import subprocess

    from slocompiler.emit import prometheus

    import yaml

    texts, _ = imported(tmp_path, PROMETHEUS_V1)
    program = compiled(tmp_path, texts)
    for path, text in prometheus.emit(program).items():
        (tmp_path / path.split("/")[1]).write_text(text)
    # As for Pyrra's: two cases of each SLO prove the imported rules and tests load and agree (all of them took
    # promtool half a minute); the generated cases themselves are tested in test_prometheus_promtool.py.
    document = yaml.safe_load((tmp_path / "payments.test.yml").read_text())
    slos = [slo for service in program.services for slo in service.slos]
    kept = [case for slo in slos for case in
            [case for case in document["tests"] if case["name"].startswith(f"{slo.id}:")][:2]]
    assert len(kept) >= 2  # some SLO has cases (an SLO whose inputs cannot be made up has none)
    document["tests"] = kept
    (tmp_path / "payments.test.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    for args in (["check", "rules", "payments.rules.yml"], ["test", "rules", "payments.test.yml"]):
        result = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_json_diagnostics_do_not_mix_with_the_slo_text_on_stdout(tmp_path):
    import json

    (tmp_path / "a.yaml").write_text(PROMETHEUS_V1.replace("    objective: 99.5\n", "    objective: 99.5\n    info_labels: {a: b}\n"))
    result = CliRunner().invoke(cli, ["import", "sloth", str(tmp_path / "a.yaml"), "--format", "json"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# imported from")
    assert json.loads(result.stderr)[0]["message"].startswith("info_labels")


def test_a_label_named_like_a_keyword_is_kept(tmp_path):
    text = PROMETHEUS_V1.replace('  owner: "team-pay"\n', '  owner: "team-pay"\n  slo: "x"\n  page: "y"\n', 1)
    texts, diagnostics = imported(tmp_path, text)
    assert not [d for d in diagnostics if "slo" in d.message.split() or '"page"' in d.message]
    assert {"slo": "x", "page": "y"}.items() <= dict(compiled(tmp_path, texts).services[0].labels).items()
