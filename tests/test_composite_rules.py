"""Composite SLOs' rules (issue 25): their ratios from their members' recorded series, run through the real promtool."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import yaml
from composite_rules_spec import program, service

from slocompiler.core import conventions as c
from slocompiler.core import queries
from slocompiler.core.ir import Program
from slocompiler.emit import alerts, rules
from slocompiler.emit.prometheus import emit


def write(directory: Path, prog: Program) -> Path:
    for path, text in emit(prog).items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory / "prometheus"


def run(promtool: str, *args: str, cwd: Path) -> str:
    result = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def series(name: str, slo_id: str, values: str, **labels: str) -> dict:
    inside = ", ".join(f'{k}="{v}"' for k, v in {"slo_id": slo_id, **labels}.items())
    return {"series": f"{name}{{{inside}}}", "values": values}


def expect(name: str, slo: str, value: float | None) -> dict:
    """A check of one composite's recorded series at 1m: `value`, or no sample at all."""
    samples = [] if value is None else [
        {"labels": f'{name}{{slo_id="journeys-{slo}", slo_service="journeys", slo_name="{slo}"}}', "value": value}]
    return {"expr": f'{name}{{slo_id="journeys-{slo}"}}', "eval_time": "1m", "exp_samples": samples}


def expect_idle(name: str, slo: str) -> dict:
    """A check that one composite's recorded series is NaN at 1m (promtool 2.42 never finds NaN equal to NaN,
    but a NaN differs from itself, where no number does)."""
    selector = f'{name}{{slo_id="journeys-{slo}"}}'
    labels = f'{{slo_id="journeys-{slo}", slo_service="journeys", slo_name="{slo}"}}'
    return {"expr": f"{selector} != bool {selector}", "eval_time": "1m", "exp_samples": [{"labels": labels, "value": 1}]}


RATIO_5M = "slo:sli_error:ratio_rate5m"
RATIO_30D = "slo:sli_error:ratio_rate30d"
SLICE = "slo:slice_error:ratio"
BAD_5M = "slo:sli_events_bad:rate5m"
TOTAL_5M = "slo:sli_events_total:rate5m"


def payments(region: str, bad: float, total: float, then: str = "") -> list[dict]:
    """What shop-payments (grouped by region) records for one region: its 5m event rates and its 5m ratio (the
    composite adds its regions' events up; its ratio series says the member has data). `then`: the values after
    the first sample (default: the same again)."""
    ratio = bad / total if total else "NaN"
    return [series(BAD_5M, "shop-payments", f"{bad} {then or bad}", region=region),
            series(TOTAL_5M, "shop-payments", f"{total} {then or total}", region=region),
            series(RATIO_5M, "shop-payments", f"{ratio} {then or ratio}", region=region)]


# Each case: the members' recorded series (what the members' own rules would record), and the composites' values.
# Values are binary fractions, so sums and products are exact in floating point.
CASES = {
    "weighted sum, a grouped member over all its groups' events": (
        [series(RATIO_5M, "shop-availability", "0.125x2"),
         *payments("eu", 1, 16), *payments("us", 4, 16)],  # 5 in 32, where the worst region has 0.25
        [expect(RATIO_5M, "checkout", 0.4375),  # 0.125 + 2 * 0.15625
         expect(RATIO_5M, "worst", 1),  # 1000 * 0.125 * 0.01, capped at 1
         ]),
    "a tiny group's failures weigh its share of the traffic, not the whole member's": (
        [series(RATIO_5M, "shop-availability", "0x2"),
         *payments("eu", 0, 1022), *payments("tiny", 2, 2)],  # 2 failed in 1024; the tiny region's ratio is 1
        [expect(RATIO_5M, "checkout", 0.00390625)]),  # 2 * 2 / 1024, not 2 * 1
    "capped at 1": (
        [series(RATIO_5M, "shop-availability", "0.25x2"), *payments("eu", 8, 16)],
        [expect(RATIO_5M, "checkout", 1)]),
    "when_no_data: skip leaves out an absent or idle (NaN) member, bad counts 1, good 0": (
        # payments' latest rates are gone (stale at 1m): no 5m ratio, but its 30d window holds what it recorded.
        [series(RATIO_5M, "shop-availability", "NaN NaN"),
         *payments("eu", 2, 16, then="stale"),
         series(RATIO_30D, "shop-payments", "0.125x2", region="eu"),
         series(RATIO_30D, "shop-availability", "0.0005x2")],
        [expect(RATIO_5M, "checkout", 1),  # payments (bad) has no 5m ratio: 2 * 1, capped
         expect(RATIO_5M, "worst", 0),  # availability skipped, payments good: 0, a member that counts, not no data
         expect(RATIO_30D, "checkout", 0.2505),
         ]),
    "worst: the highest weighted burn rate times the composite's budget": (
        [series(RATIO_5M, "shop-availability", "0.001x2"),  # burn 1
         *payments("eu", 1, 32)],  # burn 3.125, weight 2
        [expect(RATIO_5M, "worst", 0.0625)]),
    "slice composite: a slice is bad when any member's is": (
        [series(SLICE, "shop-uptime", "0.0625x2"), series(SLICE, "shop-status", "0x2")],
        [expect(SLICE, "probes", 1)]),
    "slice composite: a member at its target is good, an idle one skipped": (
        [series(SLICE, "shop-uptime", "0.05x2"), series(SLICE, "shop-status", "NaN NaN")],
        [expect(SLICE, "probes", 0)]),
    "slice composite: idle (NaN) when every member is idle, not without data": (
        [series(SLICE, "shop-status", "NaN NaN")],
        [expect_idle(SLICE, "probes")]),
    "slice composite: no data when no member has a series": (
        [series(SLICE, "shop-elsewhere", "0x2")],
        [expect(SLICE, "probes", None)]),
    "an idle member (0/0: no traffic) is left out whatever its when_no_data; bad counts only a missing series": (
        [series(RATIO_5M, "shop-availability", "0.125x2"), *payments("eu", 0, 0)],
        [expect(RATIO_5M, "checkout", 0.125),  # not 0.125 + 2 * 1 (capped): a quiet payments night pages nobody
         ]),
    "every member idle: the journey is idle (NaN), as an idle SLO is, so its NoData stays quiet": (
        [series(RATIO_5M, "shop-availability", "NaN NaN"), *payments("eu", 0, 0)],
        [expect_idle(RATIO_5M, "checkout"), expect_idle(RATIO_5M, "worst")]),
}


def test_composite_ratios_come_from_the_members_recorded_series(tmp_path, promtool) -> None:
    folder = write(tmp_path, program())
    tests = [{"name": name, "interval": "1m", "input_series": inputs, "promql_expr_test": checks}
             for name, (inputs, checks) in CASES.items()]
    document = {"rule_files": ["journeys.rules.yml"], "evaluation_interval": "1m", "tests": tests}
    (folder / "composite.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    run(promtool, "test", "rules", "composite.test.yml", cwd=folder)


def test_generated_cases_page_the_composite_not_the_member_and_the_reverse(tmp_path, promtool) -> None:
    folder = write(tmp_path, program())
    run(promtool, "check", "rules", "journeys.rules.yml", "shop.rules.yml", cwd=folder)
    run(promtool, "test", "rules", "journeys.test.yml", cwd=folder)
    document = yaml.safe_load((folder / "journeys.test.yml").read_text(encoding="utf-8"))
    assert document["rule_files"] == ["journeys.rules.yml", "shop.rules.yml"]
    assert document["group_eval_order"][:2] == ["slo:shop:sli", "slo:shop:period"]
    names = [test["name"] for test in document["tests"]]
    assert names == [
        "journeys-checkout: shop-payments at error ratio 0.0218863 (weight 2): pages the composite, not the member alone",
        "journeys-checkout: shop-availability at error ratio 0.0169363 (weight 1): pages the member, not the composite",
        "journeys-worst: shop-payments at error ratio 0.0419545 (weight 2): pages the composite, not the member alone",
    ]
    # 2 * 0.0218863 is above the checkout's lowest page threshold (6 * 0.005) and 0.0218863 below it: the weight pages.
    assert 2 * 0.0218863 > 0.03 > 0.0218863


def recorded(prog: Program, name: str) -> list[tuple[str, str, str]]:
    """(group, record, slo_id) of every recording rule of one service."""
    text = emit(prog)[c.prometheus_rules_path(name)]
    return [(group["name"], rule["record"], rule["labels"]["slo_id"])
            for group in yaml.safe_load(text)["groups"] for rule in group["rules"] if "record" in rule]


def test_members_record_every_window_their_composites_read() -> None:
    shop = service("shop")
    alone = recorded(Program((shop,)), "shop")
    with_journeys = recorded(program(), "shop")
    # payments' window is 28d: the checkout's 30d period ratio reads its 30d ratio, recorded in its period group.
    assert ("slo:shop:period", RATIO_30D, "shop-payments") in with_journeys
    assert ("slo:shop:period", RATIO_30D, "shop-payments") not in alone
    assert set(with_journeys) - set(alone) == {("slo:shop:period", RATIO_30D, "shop-payments")}


def test_a_program_without_composites_has_the_rules_it_had() -> None:
    shop = service("shop")
    assert rules.rules_yaml(shop) == rules.rules_yaml(shop, rules.composites_of(Program((shop,))))


def test_composites_of_composites_pass_their_windows_down() -> None:
    prog = program()
    journeys = service("journeys")
    checkout = journeys.slos[0]
    # A composite over `checkout` with a 7d window and an alert window of 2d that no other SLO records.
    condition = replace(checkout.alerting.conditions[-1], long=2 * 86400)
    outer = replace(journeys.slos[1], name="outer", id="journeys-outer", window=7 * 86400,
                    indicator=replace(journeys.slos[1].indicator, members=(
                        replace(journeys.slos[1].indicator.members[0], slo_id="journeys-checkout"),)),
                    alerting=replace(checkout.alerting, conditions=(*checkout.alerting.conditions[:-1], condition)))
    prog = Program(tuple(replace(s, slos=(*s.slos, outer)) if s.name == "journeys" else s for s in prog.services))
    journeys_rules = recorded(prog, "journeys")
    shop_rules = recorded(prog, "shop")
    for window in ("2d", "7d"):
        assert (f"slo:journeys:{'sli' if window == '2d' else 'period'}", f"slo:sli_error:ratio_rate{window}",
                "journeys-checkout") in journeys_rules
        for member in ("shop-availability", "shop-payments"):
            assert any(record == f"slo:sli_error:ratio_rate{window}" and slo == member for _, record, slo in shop_rules)


def test_composites_alert_without_event_counts() -> None:
    checkout = service("journeys").slos[0]
    counted = replace(checkout.alerting.conditions[0], min_failures=10)
    assert queries.min_failures(checkout, counted) == 0
    watched = replace(checkout, alerting=replace(checkout.alerting, no_data=900, no_data_watch="both"))
    rule = alerts.no_data_alert(service("journeys"), watched)
    assert rule["expr"] == ('(absent(slo:sli_error:ratio_rate5m{slo_id="journeys-checkout"}))\nunless on ()\n'
                            'slo:maintenance:active{slo_id=~"shop-availability|shop-payments"}')
    assert "scraped" not in rule["annotations"]["description"]


CALENDAR = """
service monthly {
  owner = "team-journeys"
  slo checkout {
    objective = 99%
    window    = calendar month
    timezone  = "Europe/Berlin"
    composite {
      shop-availability { }
      shop-payments     { weight = 2 }
    }
  }
}
"""


def test_a_calendar_composite_averages_its_own_5m_ratio_since_the_period_start(tmp_path, promtool) -> None:
    from composite_rules_spec import SPEC

    from slocompiler.workflow.compile import load

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "shop.slo").write_text(SPEC.split("service journeys")[0], encoding="utf-8")
    (tmp_path / "specs" / "monthly.slo").write_text(CALENDAR, encoding="utf-8")
    loaded = load([str(tmp_path / "specs")])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    folder = write(tmp_path / "out", loaded.program)
    run(promtool, "check", "rules", "monthly.rules.yml", "shop.rules.yml", cwd=folder)
    groups = yaml.safe_load((folder / "monthly.rules.yml").read_text(encoding="utf-8"))["groups"]
    by_record = {rule["record"]: rule["expr"] for group in groups for rule in group["rules"] if "record" in rule}
    assert by_record[c.PERIOD_KNOWN_RATIO].startswith('slo:sli_error_known:ratio_rate5m{slo_id="monthly-checkout"}')
    assert f"avg_over_time({c.PERIOD_KNOWN_RATIO}" in by_record[c.PERIOD_RATIO]
    # Its 5m ratio is the weighted sum of its members' 5m ratios; no member records a window for its period.
    assert 'slo:sli_error:ratio_rate5m{slo_id="shop-payments"}' in by_record[c.error_ratio_rule(300)]
    shop = yaml.safe_load((folder / "shop.rules.yml").read_text(encoding="utf-8"))["groups"]
    assert not any("ratio_rate30d" in rule.get("record", "") and rule["labels"]["slo_id"] == "shop-payments"
                   for group in shop for rule in group["rules"])


def test_the_generated_cases_fail_rules_that_ignore_the_weights(tmp_path, promtool) -> None:
    folder = write(tmp_path, program())
    rules_text = (folder / "journeys.rules.yml").read_text(encoding="utf-8")
    assert "2 * (" in rules_text
    (folder / "journeys.rules.yml").write_text(rules_text.replace("2 * (", "("), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", "journeys.test.yml"], cwd=folder, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode != 0
    # The composite's page, expected where payments (weight 2) fails alone, is missing.
    failures = result.stdout + result.stderr
    assert 'slo_id=\\"journeys-checkout\\"' in failures and "got: nil" in failures


def test_a_slice_composite_member_records_its_bad_slices_over_the_windows_its_composite_reads() -> None:
    journeys = service("journeys")
    probes = next(slo for slo in journeys.slos if slo.name == "probes")
    checkout = journeys.slos[0]
    # An event-style composite (30d) over the slice composite (7d): probes records its 30d bad-slice ratio.
    outer = replace(checkout, name="outer", id="journeys-outer",
                    indicator=replace(checkout.indicator, members=(
                        replace(checkout.indicator.members[0], slo_id=probes.id),)))
    prog = Program(tuple(replace(s, slos=(*s.slos, outer)) if s.name == "journeys" else s for s in program().services))
    groups = yaml.safe_load(emit(prog)[c.prometheus_rules_path("journeys")])["groups"]
    found = [rule["expr"] for group in groups for rule in group["rules"]
             if rule.get("record") == RATIO_30D and rule["labels"]["slo_id"] == probes.id]
    assert len(found) == 1 and found[0].startswith(f'sum_over_time({c.SLICES_BAD_HOUR}{{slo_id="{probes.id}"}}')


def test_worst_writes_each_members_weight_over_its_budget_exactly() -> None:
    from slocompiler.core import composites

    journeys = service("journeys")
    worst = next(slo for slo in journeys.slos if slo.name == "worst")
    members = {slo.id: slo for s in program().services for slo in s.slos}
    odd = {**members, "shop-payments": replace(members["shop-payments"], objective=Decimal("0.997"))}
    text = composites.window_ratio(worst, odd, 300)
    # 2 / 0.003 has no exact decimal: the rule divides rather than print 666.666...
    assert "2 / 0.003 * (max by (slo_id)" in text and "666" not in text
    assert "1 / 0.001 * (max by (slo_id)" in text and ") * 0.01,\n  1\n)\nor on ()" in text


OWN_WINDOW = """service m {
  owner = "o"
  slo api {
    objective = 99%
    indicator ratio { errors = `api_requests_total{code="500"}`  total = `api_requests_total` }
  }
  slo journey {
    objective = 99%
    # promtool's clock starts on 1970-01-01 00:00 UTC: the window runs 00:30-01:30 (and its 5m pad).
    maintenance nightly { every = day  at = "00:30"  for = 1h }
    composite { m-api { weight = 1 } }
  }
}
"""


def test_a_composites_own_maintenance_silences_it_and_is_warned(tmp_path, promtool) -> None:
    from slocompiler.workflow.compile import load

    (tmp_path / "m.slo").write_text(OWN_WINDOW, encoding="utf-8")
    loaded = load([str(tmp_path / "m.slo")])
    assert [d.message.split(":")[0] for d in loaded.diagnostics] == [
        "maintenance nightly silences composite m-journey while it runs, but its ratios come from its members', "
        "which still count their events in it"]
    folder = write(tmp_path, loaded.program)
    # Half the requests fail from the start (the total counts both series): the member pages throughout, the
    # composite only outside its window.
    (folder / "own.test.yml").write_text(yaml.safe_dump({
        "rule_files": ["m.rules.yml"], "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rules.rule_groups(loaded.program.services[0])],
        "tests": [{"interval": "1m",
                   "input_series": [{"series": 'api_requests_total{code="500"}', "values": "0+60x200"},
                                    {"series": "api_requests_total", "values": "0+60x200"}],
                   "promql_expr_test": [
                       {"expr": 'count(slo:sli_error:ratio_rate5m{slo_id="m-journey"})', "eval_time": "60m",
                        "exp_samples": []},
                       {"expr": 'slo:sli_error:ratio_rate5m{slo_id="m-journey"}', "eval_time": "100m",
                        "exp_samples": [{"labels": 'slo:sli_error:ratio_rate5m{slo_id="m-journey", '
                                                   'slo_name="journey", slo_service="m"}', "value": 0.5}]},
                       {"expr": 'count(ALERTS{alertstate="firing", slo_id="m-journey"})', "eval_time": "60m",
                        "exp_samples": []},
                       {"expr": 'count(ALERTS{alertstate="firing", slo_id="m-api", severity="page"})',
                        "eval_time": "60m", "exp_samples": [{"labels": "{}", "value": 1}]},
                   ]}]}), encoding="utf-8")
    run(promtool, "test", "rules", "own.test.yml", cwd=folder)


MEMBER_WINDOW = """service m {
  owner = "o"
  tier  = critical
  slo api {
    objective = 99%
    # promtool's clock starts on 1970-01-01 00:00 UTC: the window runs 00:30-01:30 (and its 5m pad).
    maintenance nightly { every = day  at = "00:30"  for = 1h }
    indicator ratio { errors = `api_requests_total{code="500"}`  total = `api_requests_total` }
  }
  slo journey {
    objective = 99%
    composite { m-api { weight = 1  when_no_data = bad } }
  }
}
"""


def test_a_members_maintenance_neither_pages_nor_starves_the_composite(tmp_path, promtool) -> None:
    """Review of issue 25: a `when_no_data = bad` member in maintenance counted as all bad and paged the journey,
    and the journey's NoData paged while every member rested."""
    from slocompiler.workflow.compile import load

    (tmp_path / "m.slo").write_text(MEMBER_WINDOW, encoding="utf-8")
    loaded = load([str(tmp_path / "m.slo")])
    assert loaded.program is not None, loaded.diagnostics
    folder = write(tmp_path, loaded.program)
    # No request fails, ever: only the member's maintenance silences it.
    (folder / "rest.test.yml").write_text(yaml.safe_dump({
        "rule_files": ["m.rules.yml"], "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rules.rule_groups(loaded.program.services[0],
                                                                 rules.composites_of(loaded.program))],
        "tests": [{"interval": "1m",
                   "input_series": [{"series": 'api_requests_total{code="500"}', "values": "0x200"},
                                    {"series": "api_requests_total", "values": "0+60x200"}],
                   "promql_expr_test": [
                       {"expr": 'count(slo:sli_error:ratio_rate5m{slo_id="m-journey"})', "eval_time": "60m",
                        "exp_samples": []},
                       {"expr": 'count(ALERTS{slo_id="m-journey"})', "eval_time": "60m", "exp_samples": []},
                       {"expr": 'count(ALERTS{slo_id="m-journey"})', "eval_time": "90m", "exp_samples": []},
                   ]}]}), encoding="utf-8")
    run(promtool, "test", "rules", "rest.test.yml", cwd=folder)


def _member_case(promtool: str, tmp_path, spec: str, inputs: list[dict], checks: list[dict]) -> None:
    from slocompiler.workflow.compile import load

    (tmp_path / "m.slo").write_text(spec, encoding="utf-8")
    loaded = load([str(tmp_path / "m.slo")])
    assert loaded.program is not None, loaded.diagnostics
    folder = write(tmp_path, loaded.program)
    (folder / "case.test.yml").write_text(yaml.safe_dump({
        "rule_files": ["m.rules.yml"], "evaluation_interval": "1m",
        "group_eval_order": [g["name"] for g in rules.rule_groups(loaded.program.services[0],
                                                                 rules.composites_of(loaded.program))],
        "tests": [{"interval": "1m", "input_series": inputs, "promql_expr_test": checks}]}), encoding="utf-8")
    run(promtool, "test", "rules", "case.test.yml", cwd=folder)


def _journey_6h(value: float, at: str) -> dict:
    """The journey's 6h ratio is `value` (within 1e-6: sums of rates are not exact in floating point)."""
    within = f'slo:sli_error:ratio_rate6h{{slo_id="m-journey"}} >= {value - 1e-6} <= {value + 1e-6}'
    return {"expr": f"count({within})", "eval_time": at, "exp_samples": [{"labels": "{}", "value": 1}]}


def test_a_few_missed_scrapes_of_a_bad_member_keep_its_long_windows(tmp_path, promtool) -> None:
    """Review of issue 25: while a member's latest 5m rate was absent (7 missed scrapes) its long-window ratios were
    too, so a `when_no_data = bad` member put 1 on every window of the journey and paged it."""
    spec = MEMBER_WINDOW.replace('    maintenance nightly { every = day  at = "00:30"  for = 1h }\n', "")
    assert spec != MEMBER_WINDOW
    healthy_then_gap = "0+60x49 _x7 3420+60x20"
    _member_case(promtool, tmp_path, spec, [
        {"series": 'api_requests_total{code="500"}', "values": "0x49 _x7 0x20"},
        {"series": "api_requests_total", "values": healthy_then_gap},
    ], [
        _journey_6h(0, "56m"),
        {"expr": 'count(ALERTS{slo_id="m-journey", alertstate="firing"})', "eval_time": "56m", "exp_samples": []},
        {"expr": 'count(ALERTS{slo_id="m-journey", alertstate="firing"})', "eval_time": "59m", "exp_samples": []},
    ])


def test_a_members_maintenance_keeps_its_past_in_the_journeys_long_windows(tmp_path, promtool) -> None:
    """Review of issue 25: in a member's maintenance window its long-window ratios vanished, and with them its past
    events from the journey's long windows and budget."""
    _member_case(promtool, tmp_path, MEMBER_WINDOW, [
        {"series": 'api_requests_total{code="500"}', "values": "0+1x200"},
        {"series": "api_requests_total", "values": "0+99x200"},  # with the 500s: 1 in 100 fails
    ], [
        _journey_6h(0.01, "25m"),
        _journey_6h(0.01, "60m"),  # inside the window: the member's 30 minutes before it still count
        {"expr": 'count(slo:sli_error:ratio_rate30d{slo_id="m-journey"})', "eval_time": "60m",
         "exp_samples": [{"labels": "{}", "value": 1}]},
    ])


def test_a_grouped_members_new_region_counts_its_own_minutes(tmp_path, promtool) -> None:
    """Review of issue 25: a region missing a 5m tile (new, evacuated, after a gap) fell back to a sum counted once
    per evaluation while its neighbours counted once per tile, so it weighed ~5x in the journey's 30m and 1h."""
    folder = write(tmp_path, program())
    ratio_1h = "slo:sli_error:ratio_rate1h"
    inputs = [series(ratio_1h, "shop-availability", "0x60"),
              series(BAD_5M, "shop-payments", "0x60", region="eu"),
              series(TOTAL_5M, "shop-payments", "16x60", region="eu"),
              series(ratio_1h, "shop-payments", "0x60", region="eu"),
              series(RATIO_5M, "shop-payments", "0x60", region="eu"),  # payments records: no silence
              # ap appears at 50m and fails outright
              series(BAD_5M, "shop-payments", "_x50 4x10", region="ap"),
              series(TOTAL_5M, "shop-payments", "_x50 4x10", region="ap"),
              series(ratio_1h, "shop-payments", "_x50 1x10", region="ap")]
    # At 60m the 1h sums hold eu's 60 rates and ap's 13 (11 samples, the latest counted twice more for the edge):
    # payments 52 / (960 + 52), weighted 2.
    expected = 2 * 52 / 1012
    within = f'{ratio_1h}{{slo_id="journeys-checkout"}} >= {expected - 1e-9} <= {expected + 1e-9}'
    checks = [{"expr": f"count({within})", "eval_time": "60m", "exp_samples": [{"labels": "{}", "value": 1}]}]
    (folder / "region.test.yml").write_text(yaml.safe_dump({
        "rule_files": ["journeys.rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": inputs, "promql_expr_test": checks}]}), encoding="utf-8")
    run(promtool, "test", "rules", "region.test.yml", cwd=folder)
