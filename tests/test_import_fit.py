"""`slo import` writes only what `slo check` accepts: mappings for what the peers allow and `.slo` does not,
and, for anything else, the part the front end refuses dropped with a warning at the input (interop/fit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_helpers import compile_texts, convert_files

from slocompiler.core.errors import Diagnostic, SloError, Span
from slocompiler.interop import model
from slocompiler.interop.fit import fit
from slocompiler.interop.write import service_text
from slocompiler.interop.yamlsrc import Report

EVENTS = "    sli: {events: {error_query: 'sum(rate(e[{{.window}}]))', total_query: 'sum(rate(t[{{.window}}]))'}}\n"


def imported(tmp_path: Path, tool: str, text: str):
    """(texts, diagnostics as (line, severity, message)) of importing `text`; the texts must check."""
    path = tmp_path / "in.yaml"
    path.write_text(text)
    texts, diagnostics = convert_files(tool, [str(path)])
    compile_texts(tmp_path / "out", texts)
    return texts, [(d.span.line, d.severity, d.message) for d in diagnostics]


def sloth(body: str, service: str = "svc", objective: str = "99.9") -> str:
    return f'version: "prometheus/v1"\nservice: {service}\nslos:\n  - name: a\n    objective: {objective}\n{EVENTS}{body}'


PYRRA_90 = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: a, namespace: ns}
spec:
  target: "90"
  window: 28d
  indicator:
    ratio:
      errors: {metric: 'e_total{code=~"5.."}'}
      total: {metric: e_total}
"""


# --- what the front end refuses is dropped, located at the input --------------------------------


def test_a_pyrra_page_that_can_never_fire_at_90_percent_is_dropped_at_the_target(tmp_path):
    texts, diagnostics = imported(tmp_path, "pyrra", PYRRA_90)
    dropped = [d for d in diagnostics if "is dropped: slo check would refuse it" in d[2]]
    assert dropped == [(5, "warning", "the page condition burn 14 over 1h/5m of slo a is dropped: slo check would "
                                      "refuse it: this page condition can never fire: burn rate 14 x error budget "
                                      "0.1 = 1.4, more than 100% errors")]
    assert "burn = 14 " not in texts["ns"] and "burn = 7 " in texts["ns"]


def test_sloth_windows_that_cannot_fire_at_a_low_objective_are_dropped_and_the_rest_kept(tmp_path):
    texts, diagnostics = imported(tmp_path, "sloth", sloth("", objective="90"))
    assert [d[:2] for d in diagnostics if "is dropped" in d[2]] == [(5, "warning")]  # the objective's line
    assert "budget = 2%" not in texts["svc"] and "budget = 5%" in texts["svc"]


def test_when_no_condition_is_left_the_alerting_is_written_off(tmp_path):
    text = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        good: {metricSource: {type: Prometheus, spec: {query: g_total}}}
        total: {metricSource: {type: Prometheus, spec: {query: t_total}}}
  objectives: [{target: 0.99}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 200, lookbackWindow: 1h}}
"""
    texts, diagnostics = imported(tmp_path, "openslo", text)
    assert (14, "warning", "slo a has no alert condition left; its alerting is written off (enabled = false)") \
        in diagnostics
    assert "enabled = false" in texts["svc"] and "burn" not in texts["svc"]


def test_an_slo_the_front_end_refuses_is_dropped_with_its_reason_and_the_others_kept(tmp_path):
    text = sloth("  - name: b\n    objective: 99\n    sli: {events: {error_query: 'sum(', total_query: t}}\n")
    texts, diagnostics = imported(tmp_path, "sloth", text)
    refused = [d for d in diagnostics if "is not imported" in d[2]]
    assert refused == [(9, "warning", "slo b is not imported: slo check would refuse its indicator: invalid PromQL "
                                      "in errors: unclosed left parenthesis")]
    assert "slo a {" in texts["svc"] and "slo b {" not in texts["svc"]
    assert "# slo b was not imported: see the warnings of slo import" in texts["svc"]


def test_openslo_objectives_sharing_an_alert_policy_lose_a_condition_only_where_it_cannot_fire(tmp_path):
    text = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        good: {metricSource: {type: Prometheus, spec: {query: g_total}}}
        total: {metricSource: {type: Prometheus, spec: {query: t_total}}}
  objectives:
    - {displayName: loose, target: 0.9}
    - {displayName: tight, target: 0.999}
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}
          - kind: AlertCondition
            metadata: {name: slow}
            spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 6, lookbackWindow: 6h}}
"""
    texts, diagnostics = imported(tmp_path, "openslo", text)
    assert [d[0] for d in diagnostics if "is dropped" in d[2]] == [20]  # the fast condition, once
    loose, tight = texts["svc"].split("slo a-tight")
    assert "burn = 14.4" not in loose and "burn = 14.4" in tight


def _service(*slos: str) -> model.Service:
    indicator = model.Indicator("ratio", {"errors": "e", "total": "t"})
    service = model.Service("svc", sources=["in.yaml"], span=Span("in.yaml", 2, 10))
    service.slos = [model.Slo(name, "99.9", indicator, span=Span("in.yaml", number + 3, 3))
                    for number, name in enumerate(slos)]
    return service


def test_an_slo_whose_text_does_not_parse_is_dropped_and_the_service_written_without_it():
    def write(service: model.Service) -> str:
        if any(slo.name == "broken" for slo in service.slos):
            raise SloError([Diagnostic(Span("x.slo", 1, 1), "does not parse")])
        return service_text(service, "Sloth")

    report = Report()
    texts = fit({"svc": _service("a", "broken")}, write, report)
    assert "slo a {" in texts["svc"] and "broken" not in texts["svc"].replace("# slo broken was not", "")
    assert [(d.span.line, d.severity) for d in report.diagnostics] == [(4, "warning")]
    assert "slo broken is not imported: a value of it cannot be written as .slo text" in report.diagnostics[0].message


def test_a_service_the_front_end_refuses_outside_its_slos_is_not_imported_with_an_error():
    # The writer stands for any service-level value the importers let through: here, a reserved label.
    def write(service: model.Service) -> str:
        return service_text(service, "Sloth").replace("service svc {", 'service svc {\nlabels { __x = "y" }', 1)

    report = Report()
    assert fit({"svc": _service("a")}, write, report) == {}
    assert [(d.span.line, d.severity) for d in report.diagnostics] == [(2, "error")]
    assert report.diagnostics[0].message.startswith("service svc is not imported: slo check would refuse what it "
                                                    'becomes: label "__x" is reserved')


# --- mappings: what `.slo` refuses is dropped where it is read ---------------------------------


@pytest.mark.parametrize("name, why", [("slo_id", "slocompiler sets it on every rule"),
                                       ("__meta", "names starting with __ are Prometheus's own")])
def test_a_label_the_compiler_reserves_is_dropped_with_a_warning(tmp_path, name, why):
    texts, diagnostics = imported(tmp_path, "sloth", sloth(f"    labels: {{{name}: x, team: a}}\n"))
    assert (7, "warning", f'labels "{name}" is dropped: {why}') in diagnostics
    assert name not in texts["svc"] and 'team = "a"' in texts["svc"]


def test_a_pyrra_rule_label_the_compiler_reserves_is_dropped(tmp_path):
    texts, diagnostics = imported(tmp_path, "pyrra", PYRRA_90.replace(
        "metadata: {name: a, namespace: ns}", 'metadata: {name: a, namespace: ns, labels: {"pyrra.dev/__x": y}}'))
    assert (3, "warning", 'metadata.labels "pyrra.dev/__x" is dropped: names starting with __ are Prometheus\'s own') \
        in diagnostics


def test_kubernetes_metadata_kubernetes_refuses_is_dropped_with_a_warning(tmp_path):
    text = sloth("").replace('version: "prometheus/v1"\n', "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n"
                             "metadata: {namespace: Not_A_Namespace, labels: {team: '-bad-', ok: fine}}\nspec:\n  ", 1)
    text = text.replace("\nslos:", "\n  slos:").replace("\n  - ", "\n    - ").replace("\n    objective", "\n      objective")
    text = text.replace("\n    sli", "\n      sli")
    texts, diagnostics = imported(tmp_path, "sloth", text)
    messages = [d[2] for d in diagnostics]
    assert 'metadata.namespace "Not_A_Namespace" is not a valid Kubernetes namespace (lower-case letters, digits and ' \
           "-, at most 63) and is dropped" in messages
    assert any(m.startswith('metadata.labels "team": "-bad-" is not a valid Kubernetes label value') for m in messages)
    assert "Not_A_Namespace" not in texts["svc"] and 'ok = "fine"' in texts["svc"]


@pytest.mark.parametrize("name", ["1st", "a b", "a-b"])
def test_an_alert_name_prometheus_refuses_is_dropped_and_the_default_used(tmp_path, name):
    texts, diagnostics = imported(tmp_path, "sloth", sloth(f"    alerting: {{name: '{name}'}}\n"))
    assert (7, "warning", f'alerting.name "{name}" is not a valid Prometheus alert name (letters, digits, _ and :, '
                          "not starting with a digit) and is dropped; slocompiler's default alert name is used") \
        in diagnostics


@pytest.mark.parametrize("name", ["readme", "slo-overview"])
def test_a_service_named_like_a_file_the_build_writes_is_renamed(tmp_path, name):
    texts, diagnostics = imported(tmp_path, "sloth", sloth("", service=name))
    assert list(texts) == [f"{name}-"]
    assert (2, "warning", f'service name "{name}" becomes "{name}-" (a build writes a file named {name} beside the '
                          "services' own)") in diagnostics


def test_a_sloth_error_ratio_without_window_is_not_imported(tmp_path):
    text = 'version: "prometheus/v1"\nservice: svc\nslos:\n  - name: a\n    objective: 99\n' \
           "    sli: {raw: {error_ratio_query: 'sum(rate(e[5m])) / sum(rate(t[5m]))'}}\n"
    texts, diagnostics = imported(tmp_path, "sloth", text)
    assert [d[:2] for d in diagnostics] == [(6, "warning")]
    assert diagnostics[0][2].endswith("the SLO is not imported") and "slo a {" not in texts["svc"]


def test_an_openslo_raw_ratio_that_is_a_plain_selector_is_not_imported(tmp_path):
    text = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        raw: {metricSource: {type: Prometheus, spec: {query: 'error_ratio{job="x"}'}}}
  objectives: [{target: 0.99}]
"""
    texts, diagnostics = imported(tmp_path, "openslo", text)
    assert (10, "warning", "ratioMetric.raw is a plain selector: .slo needs the error ratio as an expression with a "
                           "range such as [5m], which becomes [$window]; the SLO is not imported") in diagnostics


def test_a_group_by_label_the_rules_set_to_one_value_is_dropped(tmp_path):
    texts, diagnostics = imported(tmp_path, "pyrra", PYRRA_90.replace(
        "metadata: {name: a, namespace: ns}", 'metadata: {name: a, namespace: ns, labels: {"pyrra.dev/team": x}}')
        .replace("total: {metric: e_total}", "total: {metric: e_total}\n      grouping: [team, route]"))
    assert (11, "warning", "slo a groups by team, which its rules set to one value themselves (or, for le, which "
                           "splits a latency SLO's buckets); dropped from group_by") in diagnostics
    assert 'group_by  = ["route"]' in texts["ns"]


@pytest.mark.parametrize("grouping, message", [
    ("[route, route]", "grouping names route twice; the second is dropped"),
    ("[slo_x, route]", "grouping entry slo_x is a label slocompiler or Prometheus sets on every alert; grouping by it "
                       "would merge the groups; dropped"),
    ("[alertname, route]", "grouping entry alertname is a label slocompiler or Prometheus sets on every alert; "
                           "grouping by it would merge the groups; dropped"),
])
def test_a_grouping_slo_check_refuses_is_dropped_entry_by_entry(tmp_path, grouping, message):
    texts, diagnostics = imported(tmp_path, "pyrra", PYRRA_90.replace(
        "total: {metric: e_total}", f"total: {{metric: e_total}}\n      grouping: {grouping}"))
    assert (11, "warning", message) in diagnostics
    assert 'group_by  = ["route"]' in texts["ns"]


def test_a_value_set_to_null_is_absent(tmp_path):
    text = 'version: "prometheus/v1"\nservice: svc\nslos:\n  - name: a\n    objective: 99\n' \
           "    sli: {events: {error_query: null, total_query: 'sum(rate(t[{{.window}}]))'}}\n"
    texts, diagnostics = imported(tmp_path, "sloth", text)
    assert (6, "error", "sli.events needs error_query and total_query") in diagnostics
    assert "slo a {" not in texts["svc"]


def test_characters_are_written_so_that_they_read_back_the_same(tmp_path):
    description = "tab\there \x85 \u2028 \U000e0001 \U0001f600 \x7f"
    texts, _ = imported(tmp_path, "sloth", sloth(f'    description: "{description.encode("unicode_escape").decode()}"\n'))
    program = compile_texts(tmp_path / "again", texts)
    assert program.services[0].slos[0].description == description


@pytest.mark.parametrize("escape, shown", [("\\0", "a NUL character"), ("\\ud800", "\\ud800, half a UTF-16 surrogate pair")])
def test_a_character_no_slo_text_can_hold_is_a_located_error(tmp_path, escape, shown):
    path = tmp_path / "in.yaml"
    path.write_text(sloth(f'    description: "a{escape}b"\n'))
    from slocompiler.interop.run import convert

    texts, diagnostics, _, readable = convert("sloth", [str(path)], {"window": "30d", "keep_defaults": False,
                                                                     "add_no_data": False})
    assert not readable and texts == {}
    assert [(d.span.line, d.span.column, d.message) for d in diagnostics] == [
        (7, 18, f"this value holds {shown}, which is no character .slo text can hold")]


def test_a_service_whose_own_text_does_not_parse_is_an_error_and_no_slo_is_blamed():
    def write(service: model.Service) -> str:
        raise SloError([Diagnostic(Span("x.slo", 1, 1), "does not parse")])

    report = Report()
    assert fit({"svc": _service("a", "b")}, write, report) == {}
    assert [(d.span.line, d.severity) for d in report.diagnostics] == [(2, "error")]
    assert report.diagnostics[0].message.startswith("service svc cannot be written as .slo text")


def test_conditions_dropped_together_each_say_their_own_reason(tmp_path):
    text = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        good: {metricSource: {type: Prometheus, spec: {query: g_total}}}
        total: {metricSource: {type: Prometheus, spec: {query: t_total}}}
  objectives: [{target: 0.99}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: huge}
            spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 200, lookbackWindow: 1h}}
          - kind: AlertCondition
            metadata: {name: slow, annotations: {slocompiler.dev/short-window: 2h}}
            spec: {severity: ticket, condition: {kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h}}
          - kind: AlertCondition
            metadata: {name: fine}
            spec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}}
"""
    texts, diagnostics = imported(tmp_path, "openslo", text)
    dropped = sorted((d[0], d[2].split("refuse it: ")[1]) for d in diagnostics if "is dropped" in d[2])
    assert dropped == [(18, "this page condition can never fire: burn rate 200 x error budget 0.01 = 2, more than "
                            "100% errors"),
                       (21, "short (2h) must be shorter than long (1h)")]
    assert "burn = 14.4" in texts["svc"]
