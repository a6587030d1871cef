"""The Prometheus and Kubernetes backends: rule names, labels, numbers, escaping."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest
import yaml
from behaviour import slos

from slocompiler.core import conventions as c
from slocompiler.core.ir import Condition
from slocompiler.emit import alerts, kubernetes, prometheus
from slocompiler.emit.rules import rules_files, rules_yaml

METADATA = [c.OBJECTIVE, c.ERROR_BUDGET, c.TIME_PERIOD_DAYS, c.CURRENT_BURN_RATE, c.PERIOD_BURN_RATE, c.BUDGET_REMAINING]


def rules_of(program) -> list[dict]:
    """Every rule of the program's first service, parsed back from the YAML."""
    text = rules_yaml(program.services[0])
    return [rule for group in yaml.safe_load(text)["groups"] for rule in group["rules"]]


def alerts_of(program) -> list[dict]:
    return [rule for rule in rules_of(program) if "alert" in rule]


def test_recording_rules_are_those_of_outputs_md():
    records = [r["record"] for r in rules_of(slos.program(slos.slo())) if "record" in r]
    windows = ["5m", "30m", "1h", "6h", "3d", "30d"]
    assert sorted(set(records)) == sorted(
        {c.ERROR_RATIO_PREFIX + w for w in windows} | set(METADATA) | {c.EVENTS_BAD_PREFIX + "5m", c.EVENTS_TOTAL_PREFIX + "5m"}
    )
    assert len(records) == len(set(records))


def test_every_rule_carries_the_slo_labels():
    program = slos.program(slos.slo(labels=(("team", "demo"), ("tier", "gold"))))
    for rule in rules_of(program):
        assert {k: rule["labels"][k] for k in ("slo_id", "slo_service", "slo_name", "team", "tier")} == {
            "slo_id": "demo-availability", "slo_service": "demo", "slo_name": "availability", "team": "demo", "tier": "gold",
        }


def test_rule_groups_are_two_per_service_with_each_slos_rules_in_spec_order():
    program = slos.program(slos.slo(), slos.slo(name="latency", indicator=slos.latency()))
    groups = yaml.safe_load(rules_yaml(program.services[0]))["groups"]
    assert [g["name"] for g in groups] == ["slo:demo:sli", "slo:demo:period"]
    assert [g.get("interval") for g in groups] == [None, "2m"]
    for group in groups:
        owners = [r["labels"]["slo_id"] for r in group["rules"]]
        # One SLO's rules after the other's, never interleaved.
        assert owners == sorted(owners, key=["demo-availability", "demo-latency"].index) and len(set(owners)) == 2
    # Alerts come after the ratios they read, in the same group.
    for slo_id in ("demo-availability", "demo-latency"):
        kinds = ["alert" in r for r in groups[0]["rules"] if r["labels"]["slo_id"] == slo_id]
        assert kinds == sorted(kinds) and any(kinds)


@pytest.mark.parametrize("count", [1, c.SLOS_PER_GROUP, c.SLOS_PER_GROUP + 1, 2 * c.SLOS_PER_GROUP, 2 * c.SLOS_PER_GROUP + 1])
def test_a_service_gets_a_pair_of_groups_per_slos_per_group_each_slo_whole_and_in_order(count):
    names = [f"s{i:02d}" for i in range(count)]
    groups = yaml.safe_load(rules_yaml(slos.program(*(slos.slo(name=n) for n in names)).services[0]))["groups"]
    pairs = -(-count // c.SLOS_PER_GROUP)
    suffixes = [""] + [f":{k}" for k in range(2, pairs + 1)]
    assert [g["name"] for g in groups] == [f"slo:demo:{kind}{suffix}" for suffix in suffixes for kind in ("sli", "period")]
    for k, suffix in enumerate(suffixes):
        expected = [f"demo-{n}" for n in names[k * c.SLOS_PER_GROUP:(k + 1) * c.SLOS_PER_GROUP]]
        for group in groups[2 * k:2 * k + 2]:
            owners = [r["labels"]["slo_id"] for r in group["rules"]]
            # Each SLO's rules together, the SLOs in spec order.
            assert list(dict.fromkeys(owners)) == expected
            assert owners == sorted(owners, key=expected.index)


def test_every_recorded_series_a_rule_reads_is_recorded_before_it_in_its_group():
    """Rules of one group run in order at one timestamp: an SLI rule reading a series recorded after it,
    or in another group, would read the previous evaluation's value."""
    program = slos.program(slos.slo(), slos.slo(name="latency", indicator=slos.latency()),
                           slos.slo(name="routes", group_by=("route",)),
                           slos.slo(name="probe", indicator=slos.expr()))
    # Instant reads (no range): the window sums read earlier evaluations' samples on purpose.
    reads = re.compile(r'(slo:[a-z_:0-9]+)\{slo_id="([^"]+)"\}(?!\[)')
    groups = yaml.safe_load(rules_yaml(program.services[0]))["groups"]
    assert len(groups) == 2
    for group in groups:
        recorded: set[tuple[str, str]] = set()
        for rule in group["rules"]:
            for name, slo_id in reads.findall(rule["expr"]):
                assert (name, slo_id) in recorded, (group["name"], rule.get("record") or rule.get("alert"), name)
            if "record" in rule:
                recorded.add((rule["record"], rule["labels"]["slo_id"]))


def test_one_alert_per_severity_then_no_data():
    alerts = alerts_of(slos.program(slos.slo()))
    assert [(a["alert"], a["labels"]["severity"], a["for"] if "for" in a else None) for a in alerts] == [
        ("DemoAvailabilityErrorBudgetBurn", "page", None),
        ("DemoAvailabilityErrorBudgetBurn", "ticket", None),
        ("DemoAvailabilityErrorBudgetBurnNoData", "ticket", "15m"),
    ]
    assert all("slo_window" not in a["labels"] for a in alerts)
    assert alerts[0]["expr"] == (
        '(\n  slo:sli_error:ratio_rate1h{slo_id="demo-availability"} > 0.0144\n  and\n'
        '  slo:sli_error:ratio_rate5m{slo_id="demo-availability"} > 0.0144\n)\nor\n'
        '(\n  slo:sli_error:ratio_rate6h{slo_id="demo-availability"} > 0.006\n  and\n'
        '  slo:sli_error:ratio_rate30m{slo_id="demo-availability"} > 0.006\n)\nor\n'
        # The page holds while the SLO has no data (a crash mid-outage must not resolve it): tickets do not.
        '(\n  slo:sli_error:ratio_rate1h{slo_id="demo-availability"} > 0.0144\n'
        '  unless on (slo_id)\n  slo:sli_error:ratio_rate5m{slo_id="demo-availability"}\n  and on (slo_id)\n'
        '  ALERTS{alertname="DemoAvailabilityErrorBudgetBurn", alertstate="firing", slo_id="demo-availability",'
        ' severity="page"}\n)'
    )
    assert alerts[1]["expr"] == (
        'slo:sli_error:ratio_rate3d{slo_id="demo-availability"} > 0.001\nand\n'
        'slo:sli_error:ratio_rate6h{slo_id="demo-availability"} > 0.001'
    )
    assert alerts[0]["annotations"]["windows"] == "1h/5m above 14.4x, 6h/30m above 6x"
    assert alerts[1]["annotations"]["windows"] == "3d/6h above 1x"
    assert alerts[2]["expr"] == 'absent(slo:sli_error:ratio_rate5m{slo_id="demo-availability"})'


def test_condition_labels_override_severity_and_for_is_kept():
    condition = Condition("ticket", Decimal(2), None, 6 * 3600, 1800, 600, (("severity", "low"), ("team", "oncall")), (), slos.SPAN)
    alerts = alerts_of(slos.program(slos.slo(conditions=(condition,), alerting_labels=(("team", "alerting"), ("slo_id", "x")))))
    assert alerts[0]["labels"]["severity"] == "low"
    assert alerts[0]["labels"]["team"] == "oncall"
    assert alerts[0]["labels"]["slo_id"] == "demo-availability"
    assert alerts[0]["for"] == "10m"
    assert alerts[1]["labels"]["team"] == "alerting"


def test_conditions_sharing_a_long_window_are_one_rule():
    one = Condition("page", Decimal(10), None, 3600, 300, None, (), (), slos.SPAN)
    two = Condition("page", Decimal(5), None, 3600, 600, None, (), (), slos.SPAN)
    [alert] = alerts_of(slos.program(slos.slo(conditions=(one, two), no_data=None)))
    assert alert["expr"].count("\nor\n") == 2  # the two pairs, then the first one's hold
    assert alert["annotations"]["windows"] == "1h/5m above 10x, 1h/10m above 5x"
    summary = alert["annotations"]["summary"]
    # One rule, its summary names the pair that fired: the pairs in the expression's order, then a fallback.
    assert summary.index("x over 1h (pages above 10x)") < summary.index("x over 1h (pages above 5x)")
    assert summary.endswith("at 5x or faster: error ratio {{ $value | humanizePercentage }}{{ end }}{{ end }}{{ end }}")


def test_disabled_alerting_keeps_recording_rules_only():
    rules = rules_of(slos.program(slos.slo(enabled=False)))
    assert not [r for r in rules if "alert" in r]
    records = [r["record"] for r in rules]
    assert c.BUDGET_REMAINING in records and "slo:sli_error:ratio_rate3d" in records


def test_no_data_false_gives_no_no_data_alert():
    assert [a["alert"] for a in alerts_of(slos.program(slos.slo(no_data=None)))] == ["DemoAvailabilityErrorBudgetBurn"] * 2


def test_annotations_say_threshold_windows_and_budget_time():
    program = slos.program(slos.slo(), dashboard="https://grafana.example.com/d/demo", oncall="demo-primary")
    page = alerts_of(program)[0]["annotations"]
    assert page["summary"].startswith("SLO demo-availability is burning its error budget {{ with query `(slo:sli_error")
    assert "x over 1h (pages above 14.4x){{ else }}" in page["summary"]
    lines = page["description"].split("\n")
    assert lines[0] == "SLO demo-availability (99.9% over 30d; error budget 0.001, 43m12s of the 30d)."
    assert lines[1].startswith("1h/5m pages above 14.4x (error ratio 0.0144; at that burn the budget lasts 2d2h,"
                               " 2% of it spent when this fires): now {{ with query `slo:sli_error:ratio_rate1h{")
    assert lines[2].startswith("6h/30m pages above 6x (error ratio 0.006; at that burn the budget lasts 5d,")
    assert lines[3].startswith("Budget remaining over 30d: {{ with query `slo:period_error_budget_remaining:ratio{")
    assert page["description"].endswith("\nDemo requests that do not fail")
    assert page["runbook_url"] == "https://runbooks.example.com/demo"
    assert page["dashboard"] == "https://grafana.example.com/d/demo"
    assert page["oncall"] == "demo-primary"
    assert "dashboard" not in alerts_of(slos.program(slos.slo()))[0]["annotations"]


def test_summary_names_the_group_and_no_data_keeps_its_own_texts():
    program = slos.program(slos.slo(group_by=("route", "method"), alerting_annotations=(("summary", "mine"), ("team", "x"))))
    page, _, no_data = alerts_of(program)
    assert page["annotations"]["summary"] == "mine"
    assert no_data["annotations"]["summary"] == "SLO demo-availability has no data"
    assert no_data["annotations"]["team"] == "x"
    [page, *_] = alerts_of(slos.program(slos.slo(group_by=("route", "method"))))
    assert page["annotations"]["summary"].startswith(
        "SLO demo-availability (route={{ $labels.route }}, method={{ $labels.method }}) is burning"
    )


def test_28d_window_scales_burn_rates_with_exact_decimals():
    text = rules_yaml(slos.program(slos.slo(window=28 * slos.DAY)).services[0])
    for threshold in ("> 0.01344\n", "> 0.0056\n", "> 0.000933333333333\n"):
        assert threshold in text
    assert "ratio_rate28d" in text and "[28d]" in text and "4w" not in text
    assert "vector(28)" in text
    assert "at 0.933x or faster" in text and "0.933333333333x" not in text


def test_no_binary_float_noise_anywhere():
    for objective in ("0.999", "0.99", "0.995", "0.9999", "0.95"):
        for window in (7, 28, 30, 90):
            text = rules_yaml(slos.program(slos.slo(objective=objective, window=window * slos.DAY)).services[0])
            assert not re.search(r"\d\.\d*(0000000\d|9999999)", text), (objective, window)
            assert "e-" not in text.lower().replace("time", "").replace("rate", "")


def test_group_by_keeps_labels_through_every_raw_query():
    program = slos.program(slos.slo(group_by=("route", "method")))
    exprs = [r["expr"] for r in rules_of(program) if "rate(http_requests_total" in r["expr"]]
    assert exprs and all("sum(" not in e for e in exprs)
    assert all(e.count("sum by (route, method) (rate(") == e.count("rate(") for e in exprs)


def test_expr_indicator_uses_a_time_average_for_the_period_and_is_not_tested():
    program = slos.program(slos.slo(indicator=slos.expr()))
    records = {r["record"]: r["expr"] for r in rules_of(program) if "record" in r}
    assert records["slo:sli_error:ratio_rate1h"] == '(1 - avg_over_time(up{job="demo"}[1h]))'
    assert records["slo:sli_error:ratio_rate30d"] == 'avg_over_time(slo:sli_error_known:ratio_rate5m{slo_id="demo-availability"}[30d])'
    assert records["slo:sli_error_known:ratio_rate5m"] == 'slo:sli_error:ratio_rate5m{slo_id="demo-availability"} >= 0'
    assert c.EVENTS_BAD_PREFIX + "5m" not in records
    tests = prometheus.emit(program)["prometheus/demo.test.yml"]
    assert "# Not tested: demo-availability (no input series can be made up for its indicator's PromQL)" in tests
    assert yaml.safe_load(tests)["tests"] == []


NASTY = 'say "hi" {{ $value }} {{{ # not a comment: yes\nline two | <script>alert(1)</script> \\ }}'


def nasty_program():
    condition = Condition("page", Decimal("14.4"), None, 3600, 300, None, (("why", NASTY),), (("what", NASTY),), slos.SPAN)
    return slos.program(
        slos.slo(
            description=NASTY, labels=(("team", NASTY),), conditions=(condition,),
            alerting_labels=(("note", "{{ .Labels }}"),), alerting_annotations=(("playbook", NASTY),),
        ),
        runbook="https://runbooks.example.com/demo#a:b {{x}}",
    )


def test_spec_strings_reach_the_yaml_as_the_same_text():
    rules = rules_of(nasty_program())
    assert all(r["labels"]["team"] == (NASTY if "record" in r else alerts.go_template_text(NASTY)) for r in rules)
    alert = [r for r in rules if "alert" in r][0]
    assert alert["annotations"]["what"] == alert["annotations"]["playbook"] == alerts.go_template_text(NASTY)
    assert alert["labels"]["note"] == '{{ "{{" }} .Labels }}'
    assert alert["annotations"]["runbook_url"] == 'https://runbooks.example.com/demo#a:b {{ "{{" }}x}}'


def test_prometheus_expands_escaped_strings_back_to_the_spec_text(tmp_path, promtool):
    """The generated promtool tests expect the spec's text verbatim in labels and annotations."""
    files = prometheus.emit(nasty_program())
    for path, text in files.items():
        (tmp_path / path.split("/")[1]).write_text(text, encoding="utf-8")
    tests = yaml.safe_load(files["prometheus/demo.test.yml"])["tests"]
    expected = [a for t in tests for check in t["alert_rule_test"] for a in check["exp_alerts"]]
    assert any(a["exp_annotations"]["what"] == NASTY and a["exp_labels"]["why"] == NASTY for a in expected)
    for args in (["check", "rules", "demo.rules.yml"], ["test", "rules", "demo.test.yml"]):
        result = subprocess.run([promtool, *args], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("text", ["{{", "a {{ b }} c", "{{{{", "}} {{", "no braces"])
def test_go_template_text_only_touches_opening_braces(text):
    escaped = alerts.go_template_text(text)
    assert escaped.replace('{{ "{{" }}', "{{") == text
    assert "{{" not in escaped.replace('{{ "{{" }}', "")


def test_headers_name_the_spec():
    program = slos.program(slos.slo())
    for text in [*prometheus.emit(program).values(), *kubernetes.emit(program).values()]:
        assert text.startswith("# generated by slocompiler from specs/demo.slo, do not edit\n")


def test_kubernetes_resource_holds_the_same_groups():
    program = slos.program(slos.slo(), name="billing_worker")
    files = kubernetes.emit(program)
    assert list(files) == ["kubernetes/billing_worker.yaml"]
    document = yaml.safe_load(files["kubernetes/billing_worker.yaml"])
    assert document["apiVersion"] == "monitoring.coreos.com/v1"
    assert document["kind"] == "PrometheusRule"
    assert document["metadata"]["name"] == "slo-billing-worker"
    assert document["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "slocompiler", "slo_service": "billing_worker"}
    assert document["spec"]["groups"] == yaml.safe_load(rules_yaml(program.services[0]))["groups"]


def test_rules_files_is_emit_without_tests():
    program = slos.program(slos.slo())
    assert rules_files(program) == {
        k: v for k, v in prometheus.emit(program).items() if k.endswith(".rules.yml")
    }
