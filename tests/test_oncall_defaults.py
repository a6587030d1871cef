"""LANGUAGE.md "On-call defaults": min_failures, tier defaults, through lowering, checks and the rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from slocompiler.emit import prometheus
from slocompiler.workflow.compile import load

from test_alerting_blocks import RATIO, alerts, compile_files, program_of

LATENCY = 'indicator latency { histogram = `h_bucket{job="x"}` threshold = 300ms }'
EXPR = "indicator expr { error_ratio = `r[$window]` }"


def spec(slo_alerting: str = "", service: str = "", indicator: str = RATIO, tier: str = "") -> str:
    tier_line = f"tier = {tier}" if tier else ""
    alerting = f"alerting {{ {slo_alerting} }}" if slo_alerting else ""
    return (f'service shop {{ owner = "t" {tier_line} {service}\n'
            f'  slo api {{ objective = 99.9% {indicator} {alerting} }} }}')


def lowered(tmp_path: Path, text: str):
    program, errors = compile_files(tmp_path, {"x.slo": text})
    assert not errors, errors
    return program.services[0].slos[0]


def diagnostics(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "x.slo").write_text(text)
    found = load([str(tmp_path / "x.slo")]).diagnostics
    return [f"{d.severity} {d.span.line}:{d.span.column}: {d.message}" for d in found]


def test_pages_need_10_failures_and_tickets_none_by_default(tmp_path):
    slo = lowered(tmp_path, spec())
    assert [(k.severity, k.min_failures) for k in slo.alerting.conditions] == [("page", 10), ("page", 10), ("ticket", 0)]


def test_min_failures_at_alerting_and_condition_level_the_condition_winning(tmp_path):
    text = spec("min_failures = 3 page { burn = 14.4 long = 1h min_failures = 0 } ticket { burn = 1 long = 1d }",
                service="alerting { min_failures = 50 }")
    slo = lowered(tmp_path, text)
    assert [(k.severity, k.min_failures) for k in slo.alerting.conditions] == [("page", 0), ("ticket", 3)]
    service_only = lowered(tmp_path, spec(service="alerting { min_failures = 50 }"))
    assert [k.min_failures for k in service_only.alerting.conditions] == [50, 50, 50]


def test_min_failures_guards_each_page_pair_from_the_recorded_bad_rate(tmp_path):
    service = program_of(tmp_path, spec()).services[0]
    page, ticket = alerts(service)[:2]
    assert ('sum_over_time(slo:sli_events_bad:rate5m{slo_id="shop-api"}[1h]) * 300 / count_over_time(slo:sli_events_bad:rate5m{slo_id="shop-api"}[299s]) >= 10' in page["expr"])
    assert ('sum_over_time(slo:sli_events_bad:rate5m{slo_id="shop-api"}[6h]) * 300 / count_over_time(slo:sli_events_bad:rate5m{slo_id="shop-api"}[299s]) >= 10' in page["expr"])
    assert "count_over_time" not in ticket["expr"]
    off = program_of(tmp_path, spec("min_failures = 0")).services[0]
    assert all("count_over_time" not in rule["expr"] for rule in alerts(off))


def test_no_rule_reads_a_raw_series_for_min_failures(tmp_path):
    """The guard reads only the recorded 5m bad-event rate: the rules' raw reads are those without it."""
    guarded = program_of(tmp_path, spec()).services[0]
    plain = program_of(tmp_path, spec("min_failures = 0")).services[0]
    raw = [rule["expr"].count("e_total") for rule in alerts(guarded)]
    assert raw == [rule["expr"].count("e_total") for rule in alerts(plain)]


@pytest.mark.parametrize("value, message", [
    ("1.5", "min_failures is a whole number of failed events (0 turns it off), not 1.5"),
    ('"10"', 'min_failures'),
])
def test_bad_min_failures_are_located_errors(tmp_path, value, message):
    found = diagnostics(tmp_path, spec(f"page {{ burn = 14.4 long = 1h min_failures = {value} }}"))
    errors = [d for d in found if d.startswith("error")]
    assert len(errors) == 1 and message in errors[0] and errors[0].startswith("error 2:")


def test_a_negative_min_failures_is_a_located_error(tmp_path):
    found = diagnostics(tmp_path, spec("min_failures = -1"))
    assert found == ["error 2:142: a negative number is never valid here: numbers in .slo files are 0 or more"]


def test_expr_slos_warn_that_min_failures_cannot_guard_them_and_their_rules_ignore_it(tmp_path):
    text = spec("min_failures = 5", indicator=EXPR)
    assert any("min_failures does not apply to shop-api" in d and d.startswith("warning") for d in diagnostics(tmp_path, text))
    service = program_of(tmp_path, text).services[0]
    assert all("count_over_time" not in rule["expr"] for rule in alerts(service))
    # The default says nothing: the expr SLO simply has no guard.
    assert not [d for d in diagnostics(tmp_path, spec(indicator=EXPR)) if "min_failures" in d]


def test_low_tier_default_pages_are_tickets_written_pages_stay(tmp_path):
    slo = lowered(tmp_path, spec(tier="low"))
    assert [(k.severity, k.min_failures) for k in slo.alerting.conditions] == [("ticket", 0)] * 3
    written = lowered(tmp_path, spec("page { burn = 14.4 long = 1h }", tier="low"))
    assert [k.severity for k in written.alerting.conditions] == ["page"]
    assert [rule["labels"]["severity"] for rule in alerts(program_of(tmp_path, spec(tier="low")).services[0])] == [
        "ticket", "ticket"]


def test_critical_tier_no_data_pages_after_5m_and_watches_the_total(tmp_path):
    service = program_of(tmp_path, spec(tier="critical")).services[0]
    rule = alerts(service)[-1]
    assert (rule["for"], rule["labels"]["severity"]) == ("5m", "page")
    assert rule["expr"] == 'absent(slo:sli_error:ratio_rate5m{slo_id="shop-api"})\nor on ()\nabsent(sum(e_total{job="x"}))'
    for tier in ("high", "medium", "low"):
        other = alerts(program_of(tmp_path, spec(tier=tier)).services[0])[-1]
        assert (other["for"], other["labels"]["severity"], other["expr"]) == (
            "15m", "ticket", 'absent(slo:sli_error:ratio_rate5m{slo_id="shop-api"})')
    # An expr SLO has no total: its critical default watches the ratio alone.
    expr = alerts(program_of(tmp_path, spec(indicator=EXPR, tier="critical")).services[0])[-1]
    assert expr["expr"] == 'absent(slo:sli_error:ratio_rate5m{slo_id="shop-api"})' and expr["for"] == "5m"
    # Written settings win over the tier's.
    own = alerts(program_of(tmp_path, spec("no_data { for = 20m severity = ticket watch = ratio }", tier="critical"))
                 .services[0])[-1]
    assert (own["for"], own["labels"]["severity"]) == ("20m", "ticket") and "e_total" not in own["expr"]


def test_generated_oncall_cases_pass_in_promtool_and_fail_without_the_guard(tmp_path, promtool):
    for indicator in (RATIO, LATENCY):
        text = spec(indicator=indicator, tier="critical")
        program = program_of(tmp_path, text)
        files = prometheus.emit(program)
        tests = files["prometheus/shop.test.yml"]
        assert "one failed request of a service at 1 request a minute pages nobody" in tests
        assert "two failed requests" in tests
        assert "pages within 3m" in tests
        out = tmp_path / "out"
        (out / "prometheus").mkdir(parents=True, exist_ok=True)
        for path, body in files.items():
            (out / path).write_text(body)
        run = subprocess.run([promtool, "test", "rules", str(out / "prometheus/shop.test.yml")], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        # Without the guard the quiet service's one failure pages.
        rules = out / "prometheus/shop.rules.yml"
        # (The expression's guard lines only: the templates quote the pair too, and stay valid templates.)
        rules.write_text("\n".join(line for line in rules.read_text().split("\n")
                                   if not (line.strip().startswith("sum_over_time(")
                                           and "* 300 / count_over_time" in line))
                         .replace("and\n      )", ")").replace("and\n        )", ")"))
        run = subprocess.run([promtool, "test", "rules", str(out / "prometheus/shop.test.yml")], capture_output=True, text=True)
        assert run.returncode != 0
        # promtool names the failed check: ALERTS showed a firing page where none may be.
        assert 'alertstate="firing", severity="page"' in run.stdout + run.stderr


@pytest.mark.parametrize("tier", ["critical", "high", "medium", "low"])
def test_slo_budget_says_what_each_tier_gets_as_lowering_gives_it(tmp_path, tier):
    """`slo budget`'s tier table against a lowered SLO of that tier: conditions, min_failures, NoData."""
    from slocompiler.core.units import format_duration
    from slocompiler.workflow.budget import WATCHES, tier_cells

    slo = lowered(tmp_path, spec(tier=tier))
    pages, tickets, failures, no_data = tier_cells(tier, slo.window)

    def listed(severity: str) -> str:
        found = [f"{format_duration(k.long)}/{format_duration(k.short)} {k.burn}x"
                 for k in slo.alerting.conditions if k.severity == severity]
        return ", ".join(found) or "none"

    assert (pages, tickets) == (listed("page"), listed("ticket"))
    counts = {f"{k.severity}s {k.min_failures}" for k in slo.alerting.conditions}
    assert set(failures.split(", ")) == counts
    alerting = slo.alerting
    assert no_data == (f"{alerting.no_data_severity} after {format_duration(alerting.no_data)}, "
                       f"{WATCHES[alerting.no_data_watch]}")


def test_slo_budget_prints_the_tier_table():
    from click.testing import CliRunner

    from slocompiler.cli import cli

    out = CliRunner().invoke(cli, ["budget", "99.9%"]).output
    table = out.split("defaults by tier", 1)[1].splitlines()
    assert table[2].split() == ["critical", "1h/5m", "14.4x,", "6h/30m", "6x", "3d/6h", "1x", "pages", "10,", "tickets",
                                "0", "page", "after", "5m,", "5m", "ratio", "or", "raw", "total", "absent"]
    assert table[3].startswith("  high, medium (default)  ")
    assert table[4].split()[:3] == ["low", "none", "1h/5m"] and "tickets 0" in table[4]
