"""`slo import` on inputs a migration meets in bulk: names that collide once renamed, objectives `.slo` cannot hold, odd types."""

from __future__ import annotations

from pathlib import Path

import pytest
from interop_helpers import compile_texts, convert_files

SLI = """\
    sli:
      events:
        error_query: sum(rate(a[{{.window}}]))
        total_query: sum(rate(b[{{.window}}]))
"""


INDICATOR = """\
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'g'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 't'}}}
"""


def _sloth(tmp_path: Path, slos: str) -> str:
    path = tmp_path / "sloth.yaml"
    path.write_text(f'version: "prometheus/v1"\nservice: "svc"\nslos:\n{slos}')
    return str(path)


def test_two_slo_names_that_collide_once_renamed_stay_apart_with_a_located_warning(tmp_path):
    slos = f'  - name: "Requests.Availability"\n    objective: 99.9\n{SLI}' \
           f'  - name: "requests-availability"\n    objective: 99.5\n{SLI}'
    texts, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    program = compile_texts(tmp_path / "out", texts)
    assert len({slo.name for slo in program.services[0].slos}) == 2
    clash = [d for d in diagnostics if "already" in d.message]
    assert clash and clash[0].span.line == 10 and clash[0].severity == "warning"


@pytest.mark.parametrize("objective", ["100", "0", "100.0", "99.99999999999999999999", "150"])
def test_an_objective_slo_cannot_hold_is_an_error_at_the_input_line(tmp_path, objective):
    slos = f'  - name: "a"\n    objective: {objective}\n{SLI}'
    texts, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    errors = [d for d in diagnostics if d.is_error]
    assert errors and errors[0].span.line == 5, diagnostics
    assert "slo a {" not in texts["svc"]


def test_an_objective_of_the_wrong_type_names_what_was_written(tmp_path):
    slos = f'  - name: "a"\n    objective: [1]\n{SLI}'
    _, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    assert [d.message for d in diagnostics if d.is_error] == ["objective is a list, not a decimal number"]


def test_an_sli_that_is_no_mapping_is_an_error(tmp_path):
    slos = '  - name: "a"\n    objective: 99.9\n    sli: "nope"\n'
    _, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    assert [(d.span.line, d.is_error) for d in diagnostics if "sli" in d.message] == [(6, True)]


@pytest.mark.parametrize("value", ['"yes"', "1", "maybe"])
def test_a_disable_that_is_not_true_or_false_is_a_warning(tmp_path, value):
    slos = f'  - name: "a"\n    objective: 99.9\n{SLI}    alerting:\n      page_alert:\n        disable: {value}\n'
    _, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    assert [d.span.line for d in diagnostics if "disable" in d.message] == [12]


PYRRA = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {{name: a, namespace: ns}}
spec:
  target: "99.9"
  window: {window}
  indicator:
    bool_gauge:
      metric: up{{job="x"}}
"""


@pytest.mark.parametrize("window", ["1000000000000000000000w", "400d", "5m"])
def test_a_pyrra_window_slo_cannot_hold_is_an_error_at_its_line_not_a_crash(tmp_path, window):
    path = tmp_path / "pyrra.yaml"
    path.write_text(PYRRA.format(window=window))
    texts, diagnostics = convert_files("pyrra", [str(path)])
    assert [d.span.line for d in diagnostics if d.is_error] == [6], diagnostics
    assert "slo a {" not in texts["ns"]


def test_an_openslo_window_slo_cannot_hold_is_an_error_at_its_line(tmp_path):
    path = tmp_path / "openslo.yaml"
    path.write_text("""\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: svc
""" + INDICATOR + """\
  timeWindow:
    - duration: 99999999999999999999d
      isRolling: true
  objectives:
    - target: 0.999
""")
    texts, diagnostics = convert_files("openslo", [str(path)])
    assert [d.span.line for d in diagnostics if d.is_error] == [14], diagnostics


@pytest.mark.parametrize("threshold", ["NaN", "sNaN", "Infinity", "1e400", "[1]"])
def test_an_openslo_threshold_that_is_no_usable_number_is_an_error_not_a_crash(tmp_path, threshold):
    path = tmp_path / "openslo.yaml"
    path.write_text(f"""\
apiVersion: openslo/v1
kind: AlertCondition
metadata: {{name: fast}}
spec:
  severity: page
  condition: {{kind: burnrate, op: gt, threshold: {threshold}, lookbackWindow: 1h}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {{name: a}}
spec:
  service: svc
{INDICATOR}  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata: {{name: p}}
      spec:
        conditions:
          - conditionRef: fast
""")
    texts, diagnostics = convert_files("openslo", [str(path)])
    assert [d.span.line for d in diagnostics if d.is_error] == [6], diagnostics
    compile_texts(tmp_path / "out", texts)


def test_a_list_where_a_value_belongs_is_shown_as_written_not_as_python(tmp_path):
    path = tmp_path / "pyrra.yaml"
    path.write_text(PYRRA.format(window="[28d]"))
    _, diagnostics = convert_files("pyrra", [str(path)])
    assert [d.message for d in diagnostics if d.is_error] == ['"[28d]" is not a duration (like 28d or 2w)']


def test_a_query_holding_a_backtick_is_imported_in_an_escaped_string(tmp_path):
    slos = '  - name: "a"\n    objective: 99.9\n    sli:\n      events:\n' \
           "        error_query: 'sum(rate(a{x=\"`$$\\\\\"}[{{.window}}]))'\n" \
           "        total_query: sum(rate(b[{{.window}}]))\n"
    texts, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    assert not [d for d in diagnostics if d.is_error], diagnostics
    program = compile_texts(tmp_path / "out", texts)
    assert program.services[0].slos[0].indicator.errors.text == 'sum(rate(a{x="`$$\\\\"}[$window]))'


OPENSLO_ANNOTATED = """\
apiVersion: openslo/v1
kind: Service
metadata:
  name: svc
  annotations:
    slocompiler.dev/labels: {labels}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: a
  annotations:
    slocompiler.dev/group-by: {group_by}
spec:
  service: svc
""" + INDICATOR.replace("{", "{{").replace("}", "}}") + """\
  objectives:
    - target: 0.999
"""


@pytest.mark.parametrize("labels", ["'not json'", """'["a"]'""", """'{"page": "x", "ok": 1}'"""])
def test_slocompiler_label_annotations_that_are_no_json_object_of_strings_are_warnings(tmp_path, labels):
    path = tmp_path / "openslo.yaml"
    path.write_text(OPENSLO_ANNOTATED.format(labels=labels, group_by="'x'"))
    texts, diagnostics = convert_files("openslo", [str(path)])
    assert diagnostics and {d.span.line for d in diagnostics} == {6}, diagnostics
    compile_texts(tmp_path / "out", texts)


@pytest.mark.parametrize("key, value", [("no-data", '"5m } }"'), ("no-data-watch", '"total }"'),
                                        ("no-data", "1 hour")])
def test_an_annotation_written_as_a_bare_word_that_is_none_is_dropped_with_a_warning(tmp_path, key, value):
    path = tmp_path / "openslo.yaml"
    path.write_text(OPENSLO_ANNOTATED.format(labels="'{}'", group_by="x") + """\
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: p
        annotations:
          slocompiler.dev/{key}: {value}
      spec: {{alertWhenNoData: true, conditions: []}}
""".format(key=key, value=value))
    texts, diagnostics = convert_files("openslo", [str(path)])
    dropped = [d for d in diagnostics if key in d.message]
    assert [(d.span.line, d.severity) for d in dropped] == [(30, "warning")], diagnostics
    assert dropped[0].message.endswith("; dropped")
    compile_texts(tmp_path / "out", texts)


@pytest.mark.parametrize("grouping", ['["Bad Label", ok]', '"route"', "[[a], ok]"])
def test_a_pyrra_grouping_slo_cannot_hold_is_a_located_warning(tmp_path, grouping):
    path = tmp_path / "pyrra.yaml"
    path.write_text(PYRRA.format(window="28d").replace('up{job="x"}', f'up{{job="x"}}\n      grouping: {grouping}'))
    texts, diagnostics = convert_files("pyrra", [str(path)])
    assert [d.span.line for d in diagnostics if "grouping" in d.message] == [10], diagnostics
    compile_texts(tmp_path / "out", texts)


def test_an_openslo_group_by_annotation_slo_cannot_hold_is_a_located_warning(tmp_path):
    path = tmp_path / "openslo.yaml"
    path.write_text(OPENSLO_ANNOTATED.format(labels="'{}'", group_by="'Bad Label,ok'"))
    texts, diagnostics = convert_files("openslo", [str(path)])
    assert [d.span.line for d in diagnostics] == [13], diagnostics
    compile_texts(tmp_path / "out", texts)


def test_sloth_slos_that_are_no_list_are_an_error(tmp_path):
    path = tmp_path / "sloth.yaml"
    path.write_text('version: "prometheus/v1"\nservice: "svc"\nslos: {a: 1}\n')
    _, diagnostics = convert_files("sloth", [str(path)])
    assert [(d.span.line, d.severity) for d in diagnostics] == [(3, "error")]


def test_sloth_alerting_that_is_no_mapping_is_a_warning(tmp_path):
    slos = f'  - name: "a"\n    objective: 99.9\n{SLI}    alerting: "x"\n'
    _, diagnostics = convert_files("sloth", [_sloth(tmp_path, slos)])
    assert [(d.span.line, d.severity) for d in diagnostics] == [(10, "warning")]


OPENSLO_SLI = """\
apiVersion: openslo/v1
kind: SLI
metadata: {name: i}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {type: Prometheus, spec: {query: 'g'}}}
    total: {metricSource: {type: Prometheus, spec: {query: 't'}}}
"""


def test_two_openslo_documents_of_one_kind_and_name_are_an_error_at_the_second(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(OPENSLO_SLI)
    second.write_text(OPENSLO_SLI.replace("'g'", "'other'"))
    _, diagnostics = convert_files("openslo", [str(first), str(second)])
    assert [(d.span.file, d.span.line, d.severity) for d in diagnostics] == [(str(second), 3, "error")]


def test_an_openslo_document_of_another_version_says_so(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(OPENSLO_SLI.replace("openslo/v1", "openslo/v1alpha"))
    _, diagnostics = convert_files("openslo", [str(path)])
    assert ["v1alpha" in d.message for d in diagnostics] == [True]


def test_a_service_repeated_in_two_files_is_a_warning_only(tmp_path):
    service = "apiVersion: openslo/v1\nkind: Service\nmetadata: {name: svc}\nspec: {}\n"
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(service)
    second.write_text(service)
    _, diagnostics = convert_files("openslo", [str(first), str(second)])
    assert (str(second), 3, "warning") in [(d.span.file, d.span.line, d.severity) for d in diagnostics]
    assert not [d for d in diagnostics if d.is_error]
