"""LANGUAGE.md "On-call defaults", alert text: the burn over the firing pair's long window, the description's figures."""

from __future__ import annotations

import dataclasses

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from behaviour import slos

from slocompiler.emit import alert_text
from slocompiler.emit.rules import rules_yaml
from slocompiler.workflow.compile import load

ROOT = Path(__file__).resolve().parent.parent
STEP = 300
DAY = 288  # steps

# specs/checkout.slo: 99.9% over 30d. A day at 100,000 requests a step, then
# 50 minutes at 1,000 without errors, then a 100% outage, ten minutes in at
# 25h: the 1h error ratio is 2/12, a burn of 166.7x. The busy day keeps the
# 30d budget (the period group's value of the step before: 1,000 bad of
# 28,811,000) at 96.53%, so it is not yet spent: 0.96529 * 30d / 166.67.
OUTAGE_TEST = {
    "rule_files": ["checkout.rules.yml"],
    "evaluation_interval": "5m",
    "tests": [{
        "name": "a 100% outage, ten minutes in",
        "interval": "5m",
        "input_series": [
            {"series": 'http_requests_total{job="checkout", code="200"}',
             "values": f"0+100000x{DAY} 28801000+1000x9 28810000+0x1"},
            {"series": 'http_requests_total{job="checkout", code="500"}',
             "values": f"0+0x{DAY + 10} 1000+1000x1"},
        ],
        "alert_rule_test": [{
            "eval_time": "25h",
            "alertname": "CheckoutAvailabilityErrorBudgetBurn",
            "exp_alerts": [{
                "exp_labels": {"slo_id": "checkout-availability", "slo_service": "checkout",
                               "slo_name": "availability", "team": "payments", "severity": "page"},
                "exp_annotations": {
                    "summary": "SLO checkout-availability is burning its error budget 167x over 1h (pages above 14.4x)",
                    "description": (
                        "SLO checkout-availability (99.9% over 30d; error budget 0.001, 43m12s of the 30d).\n"
                        "1h/5m pages above 14.4x (error ratio 0.0144; at that burn the budget lasts 2d2h, 2% of it"
                        " spent when this fires): now 167x over 1h, 1000x over 5m.\n"
                        "6h/30m pages above 6x (error ratio 0.006; at that burn the budget lasts 5d, 5% of it"
                        " spent when this fires): now 0.333x over 6h, 333x over 30m.\n"
                        # At the current (5m) burn, 1000x, and at the 1h one: 0.96529 * 30d / 1000, / 166.67.
                        "Budget remaining over 30d: 96.53%; at the 5m burn it is spent in 41m 42s, at the 1h burn"
                        " in 4h 10m 12s.\n"
                        "Checkout API requests that do not fail"
                    ),
                    "windows": "1h/5m above 14.4x, 6h/30m above 6x",
                    "runbook_url": "https://runbooks.example.com/checkout",
                    "dashboard": "https://grafana.example.com/d/checkout",
                    "oncall": "payments-primary",
                },
            }],
        }],
    }],
}


def _checkout_rules() -> str:
    loaded = load([str(ROOT / "specs" / "checkout.slo")])
    assert loaded.program is not None, loaded.diagnostics
    # Without its weekly release window, whose first occurrence (1970-01-01 05:00 UTC) falls in this day of history.
    service = loaded.program.services[0]
    slos = tuple(dataclasses.replace(slo, maintenance=()) for slo in service.slos)
    return rules_yaml(dataclasses.replace(service, slos=slos, maintenance=()))


def _promtool_test(promtool: str, directory: Path, rules: str) -> subprocess.CompletedProcess:
    (directory / "checkout.rules.yml").write_text(rules, encoding="utf-8")
    (directory / "test.yml").write_text(yaml.safe_dump(OUTAGE_TEST, sort_keys=False, width=1 << 20), encoding="utf-8")
    return subprocess.run([promtool, "test", "rules", "test.yml"], cwd=directory, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ten_minutes_into_an_outage_the_page_says_167x_over_1h(tmp_path, promtool):
    result = _promtool_test(promtool, tmp_path, _checkout_rules())
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_summary_from_the_lowest_threshold_fails_the_outage_test(tmp_path, promtool):
    """The old text (a lower bound, `6x or faster`) cannot pass: the test reads the summary promtool expands."""
    rules = _checkout_rules()
    mutated = rules.replace("x over 1h (pages above 14.4x)", "x over 6h (pages above 6x)", 1)
    assert mutated != rules
    result = _promtool_test(promtool, tmp_path, mutated)
    assert result.returncode != 0
    assert "167x over 6h (pages above 6x)" in result.stdout + result.stderr


@pytest.mark.parametrize(("burn", "text"), [
    ("166.6666666666666666", "167"), ("14.4", "14.4"), ("0.3326", "0.333"), ("1000", "1000"),
    ("999.4", "999"), ("12345.6", "12346"), ("0", "0"), ("20", "20"),
])
def test_burn_rates_print_three_digits_and_whole_numbers_from_1000(burn, text):
    assert alert_text.burn_text(Decimal(burn)) == text


@pytest.mark.parametrize("burn", ["14.45", "999.5", "1000.5", "0.1235"])
def test_a_burn_on_a_rounding_edge_is_unprintable(burn):
    with pytest.raises(alert_text.Unprintable):
        alert_text.burn_text(Decimal(burn))


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (42, "42s"), (60, "1m 0s"), (15012, "4h 10m 12s"), (90061, "1d 1h 1m 1s"), (86400, "1d 0h 0m 0s"),
])
def test_durations_print_as_humanize_duration_does(seconds, text):
    assert alert_text.duration_printed(Decimal(seconds)) == text


def test_group_values_are_quoted_into_the_query_never_spliced():
    slo = slos.slo(group_by=("route", "method"))
    argument = alert_text.query_argument(slo, 'x{slo_id="demo-availability"} % 2 > 0')
    # printf's own `%` doubled; each group label a %q (Go-quoted: a quote or backslash stays in the string literal).
    assert argument == ('(printf `x{slo_id="demo-availability", route=%[1]q, method=%[2]q} %% 2 > 0`'
                        " $labels.route $labels.method)")


def test_a_query_with_a_backquote_is_a_quoted_go_string():
    assert alert_text.go_string("a`b\"c\\") == '"a`b\\"c\\\\"'
    assert alert_text.go_string('x{a="b"}') == '`x{a="b"}`'


def test_static_figures_print_three_significant_digits_never_float_artefacts():
    """A 28d SLO's 0.9333x ticket and a 1x ticket over 3d (10.714...% of 28d): `0.933x`, `10.7%`."""
    from slocompiler.core.ir import Condition

    tickets = (Condition("ticket", Decimal("0.933333333333"), None, 3 * 86400, 6 * 3600, None, (), (), slos.SPAN),
               Condition("ticket", Decimal(1), None, 3 * 86400, 3600, None, (), (), slos.SPAN))
    slo = slos.slo(window=28 * 86400, conditions=tickets)
    text = "".join(part for number, k in enumerate(tickets)
                   for part in alert_text.condition_parts(slo, number, k) if isinstance(part, str))
    assert "tickets above 0.933x (error ratio 0.000933;" in text and "10.7% of it spent" in text
    summary = "".join(part for part in alert_text.summary_parts(slo, tickets) if isinstance(part, str))
    assert "0.933333333333" not in text + summary and "10.7142857143" not in text
