"""OpenSLO and the 1.1 time base: calendar windows, Timeslices, RatioTimeslices and thresholdMetric, both ways."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from interop_helpers import compile_texts, convert_files

from slocompiler.emit import openslo
from slocompiler.workflow.compile import load

SPEC = """\
service shop {
  owner    = "team"
  timezone = "Europe/Berlin"

  slo uptime {
    objective = 99.5%
    window    = calendar month
    slices { length = 5m target = 95% no_data = bad }
    indicator threshold {
      metric = `probe_success{job="blackbox"}`
      good   = ">= 1"
    }
  }

  slo api {
    objective = 99.9%
    window    = calendar quarter
    timezone  = "America/New_York"
    slices { length = 1h ratio = true }
    indicator expr { error_ratio = `1 - avg_over_time(up[$window])` }
  }

  slo temp {
    objective = 99%
    window    = 28d
    indicator threshold {
      metric = `temperature_celsius`
      good   = "!= -2.5"
    }
  }
}
"""

SLI = """\
    metadata:
      name: probe
    spec:
      thresholdMetric:
        metricSource:
          type: Prometheus
          spec:
            query: probe_success{job="blackbox"}
"""


def slo_document(name: str, window: str, method: str, objective: str, indicator: str = SLI) -> str:
    return (f"apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: {name}\nspec:\n  service: shop\n"
            f"  indicator:\n{indicator}  timeWindow:\n{window}  budgetingMethod: {method}\n"
            f"  objectives:\n{objective}")


def import_text(tmp_path: Path, text: str):
    (tmp_path / "in.yaml").write_text(text)
    texts, diagnostics = convert_files("openslo", [str(tmp_path / "in.yaml")])
    program = compile_texts(tmp_path / "imported", texts) if texts else None
    return program, diagnostics, texts


def test_export_writes_calendar_windows_slices_and_threshold_metrics(tmp_path) -> None:
    (tmp_path / "shop.slo").write_text(SPEC)
    program = load([str(tmp_path / "shop.slo")]).program
    documents = list(yaml.safe_load_all(next(iter(openslo.emit(program).values()))))
    uptime, api, temp = (d["spec"] for d in documents[1:])
    assert uptime["timeWindow"] == [{"duration": "1M", "isRolling": False,
                                     "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "Europe/Berlin"}}]
    assert uptime["budgetingMethod"] == "Timeslices"
    assert uptime["objectives"] == [{"displayName": "uptime", "target": 0.995, "op": "gte", "value": 1,
                                     "timeSliceTarget": 0.95, "timeSliceWindow": "5m"}]
    assert uptime["indicator"]["spec"]["thresholdMetric"]["metricSource"]["spec"]["query"] == \
        'probe_success{job="blackbox"}'
    assert documents[1]["metadata"]["annotations"] == {"slocompiler.dev/slice-no-data": "bad"}
    assert (api["timeWindow"][0]["duration"], api["budgetingMethod"]) == ("1Q", "RatioTimeslices")
    assert api["objectives"][0] == {"displayName": "api", "target": 0.999, "timeSliceWindow": "1h"}
    # != has no OpenSLO op: the annotation carries it.
    assert "op" not in temp["objectives"][0] and temp["timeWindow"] == [{"duration": "28d", "isRolling": True}]
    assert documents[3]["metadata"]["annotations"] == {"slocompiler.dev/good": "!= -2.5"}


def test_round_trip_keeps_the_time_base(tmp_path) -> None:
    (tmp_path / "shop.slo").write_text(SPEC)
    program = load([str(tmp_path / "shop.slo")]).program
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "shop.yaml").write_text(next(iter(openslo.emit(program).values())))
    texts, _ = convert_files("openslo", [str(tmp_path / "export" / "shop.yaml")])
    again = compile_texts(tmp_path / "imported", texts)

    def time_base(p):
        # A rolling SLO's zone moves nothing (and the export writes none).
        return [(s.name, s.window, s.calendar, s.timezone if s.calendar else None, s.slices and (s.slices.length, s.slices.target,
                 s.slices.no_data, s.slices.ratio), getattr(s.indicator, "op", None), getattr(s.indicator, "value", None))
                for s in p.services[0].slos]

    assert time_base(again) == time_base(program)


def test_a_calendar_month_imports_with_its_zone(tmp_path) -> None:
    window = ("    - duration: 1M\n      isRolling: false\n      calendar:\n"
              "        startTime: 2024-03-01 00:00:00\n        timeZone: Europe/Paris\n")
    program, diagnostics, _ = import_text(tmp_path, slo_document("probe", window, "Occurrences",
                                                                 "    - target: 0.999\n      op: gte\n      value: 1\n"))
    slo = program.services[0].slos[0]
    assert (slo.calendar, slo.window, slo.timezone, slo.slices) == ("month", 30 * 86400, "Europe/Paris", None)
    assert (slo.indicator.kind, slo.indicator.op, slo.indicator.value) == ("threshold", ">=", Decimal(1))
    assert [d.message for d in diagnostics if d.severity == "error"] == []


def test_a_start_time_that_starts_no_period_is_a_warning(tmp_path) -> None:
    window = ("    - duration: 1w\n      isRolling: false\n      calendar:\n"
              "        startTime: 2024-01-03 12:00:00\n        timeZone: UTC\n")
    program, diagnostics, _ = import_text(tmp_path, slo_document("probe", window, "Occurrences",
                                                                 "    - target: 0.99\n      op: gt\n      value: 0\n"))
    assert program.services[0].slos[0].calendar == "week"
    assert any(d.message.startswith("calendar.startTime 2024-01-03 12:00:00 is not the start of a week")
               for d in diagnostics)


def test_timeslices_and_ratio_timeslices(tmp_path) -> None:
    window = "    - duration: 28d\n      isRolling: true\n"
    both = slo_document("a", window, "Timeslices", "    - target: 0.99\n      op: gte\n      value: 1\n"
                        "      timeSliceTarget: 0.9\n      timeSliceWindow: 2m\n") + "\n---\n" + slo_document(
        "b", window, "RatioTimeslices", "    - target: 0.95\n      op: lt\n      value: 0.5\n"
        "      timeSliceTarget: 0.9\n      timeSliceWindow: 10m\n")
    program, diagnostics, texts = import_text(tmp_path, both)
    a, b = program.services[0].slos
    assert (a.slices.length, a.slices.target, a.slices.ratio) == (120, Decimal("0.9"), False)
    assert (b.slices.length, b.slices.target, b.slices.ratio) == (600, None, True)
    assert (b.indicator.op, b.indicator.value) == ("<", Decimal("0.5"))
    assert "slices { length = 10m ratio = true }" in texts["shop"]
    assert any(d.message.startswith("timeSliceTarget has no meaning for RatioTimeslices") for d in diagnostics)


def test_timeslices_without_a_slice_length_is_not_imported(tmp_path) -> None:
    window = "    - duration: 28d\n      isRolling: true\n"
    _, diagnostics, texts = import_text(tmp_path, slo_document("a", window, "Timeslices", "    - target: 0.99\n"))
    assert "a Timeslices objective needs timeSliceWindow, the length of a slice" in [d.message for d in diagnostics]
    assert "# slo a was not imported" in texts["shop"]


def test_a_threshold_metric_that_is_no_selector_is_not_imported(tmp_path) -> None:
    sli = SLI.replace('query: probe_success{job="blackbox"}', "query: avg_over_time(probe_success[5m])")
    _, diagnostics, texts = import_text(tmp_path, slo_document(
        "a", "    - duration: 28d\n", "Occurrences", "    - target: 0.99\n      op: gte\n      value: 1\n", sli))
    assert any(d.message.startswith("thresholdMetric is not a plain selector") for d in diagnostics)
    assert "# slo a was not imported" in texts["shop"]
