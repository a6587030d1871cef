"""A crash during an outage does not resolve the page (issue 28 review, bug 1).

checkout (tier = critical) at 120 requests a minute for 2h, then 10 minutes
of 100% errors, then the process vanishes (a staleness marker, no more
samples). The 5m rates stop about 4 minutes later, and the 5m ratio with
them: the page's pairs fail once the 30m window has no rate left (+19), and
without the hold it resolved while the service was dead. With it, the page
stays one alert instance, firing, while the 1h ratio of the rates recorded
within the hour is above the threshold (pairs.held), until +71.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from slocompiler.emit.rules import rules_yaml
from slocompiler.workflow.compile import load

ROOT = Path(__file__).resolve().parent.parent
PAGE = ('ALERTS{alertname="CheckoutAvailabilityErrorBudgetBurn", alertstate="firing",'
        ' slo_id="checkout-availability", severity="page"}')
LABELS = {"slo_id": "checkout-availability", "slo_service": "checkout", "slo_name": "availability",
          "team": "payments", "severity": "page"}
START = 120  # minutes of healthy traffic before the outage
CRASH = 10  # minutes into the outage


def _rules(spec: str = "checkout.slo") -> str:
    loaded = load([str(ROOT / "specs" / spec)])
    assert loaded.program is not None, loaded.diagnostics
    return rules_yaml(loaded.program.services[0])


def _firing(minute: int) -> dict:
    found = ", ".join(f'{k}="{v}"' for k, v in {"__name__": "ALERTS", "alertname": "CheckoutAvailabilityErrorBudgetBurn",
                                                "alertstate": "firing", **LABELS}.items())
    return {"expr": PAGE, "eval_time": f"{START + minute}m", "exp_samples": [{"labels": "{" + found + "}", "value": 1}]}


def _test(checks: list[dict], alert_checks: list[dict]) -> dict:
    return {
        "rule_files": ["checkout.rules.yml"],
        "evaluation_interval": "1m",
        "tests": [{
            "name": "an outage, then the process vanishes",
            "interval": "1m",
            "input_series": [
                {"series": 'http_requests_total{job="checkout", code="200"}',
                 "values": f"0+120x{START} {120 * START}+0x{CRASH - 1} stale"},
                {"series": 'http_requests_total{job="checkout", code="500"}',
                 "values": f"0+0x{START} 0+120x{CRASH - 1} stale"},
            ],
            "promql_expr_test": checks,
            "alert_rule_test": alert_checks,
        }],
    }


def _run(promtool: str, directory: Path, rules: str, test: dict) -> subprocess.CompletedProcess:
    (directory / "checkout.rules.yml").write_text(rules, encoding="utf-8")
    (directory / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False, width=1 << 20), encoding="utf-8")
    return subprocess.run([promtool, "test", "rules", "test.yml"], cwd=directory, capture_output=True, text=True,
                          timeout=600, check=False)


HELD_TEXT = {
    "exp_labels": LABELS,
    "exp_annotations": {
        "summary": ("SLO checkout-availability is burning its error budget 241x over 1h at its last reading"
                    " (pages above 14.4x); no data since: the service may be down"),
        "description": (
            "SLO checkout-availability (99.9% over 30d; error budget 0.001, 43m12s of the 30d).\n"
            "1h/5m pages above 14.4x (error ratio 0.0144; at that burn the budget lasts 2d2h, 2% of it spent when"
            " this fires): now 241x over 1h, no data over 5m.\n"
            "6h/30m pages above 6x (error ratio 0.006; at that burn the budget lasts 5d, 5% of it spent when"
            " this fires): now 73.4x over 6h, 939x over 30m.\n"
            "Budget remaining over 30d: none, already spent.\n"
            "No 5m error ratio: the service may be down or no longer scraped. This page holds while the 1h"
            " error ratio of what was recorded within 1h is above 0.0144.\n"
            "Checkout API requests that do not fail"
        ),
        "windows": "1h/5m above 14.4x, 6h/30m above 6x",
        "runbook_url": "https://runbooks.example.com/checkout",
        "dashboard": "https://grafana.example.com/d/checkout",
        "oncall": "payments-primary",
    },
}


def test_a_crash_mid_outage_keeps_the_page_firing_and_says_so(tmp_path, promtool):
    # Firing at every evaluation from +3 to +60: no resolve, no re-fire (a re-fire would go through a gap).
    checks = [_firing(minute) for minute in range(3, 61)]
    # The long windows keep the outage's rates after the crash: the 3d/6h ticket fires on them too.
    ticket = {"exp_labels": {**LABELS, "severity": "ticket"}, "exp_annotations": {
        "summary": "SLO checkout-availability is burning its error budget 73.4x over 3d (tickets above 1x)",
        "description": (
            "SLO checkout-availability (99.9% over 30d; error budget 0.001, 43m12s of the 30d).\n"
            "3d/6h tickets above 1x (error ratio 0.001; at that burn the budget lasts 30d, 10% of it spent when"
            " this fires): now 73.4x over 3d, 73.4x over 6h.\n"
            "Budget remaining over 30d: none, already spent.\n"
            "Checkout API requests that do not fail"),
        **{k: v for k, v in HELD_TEXT["exp_annotations"].items() if k not in ("summary", "description", "windows")},
        "windows": "3d/6h above 1x"}}
    texts = [{"eval_time": f"{START + 30}m", "alertname": "CheckoutAvailabilityErrorBudgetBurn",
              "exp_alerts": [HELD_TEXT, ticket]}]
    result = _run(promtool, tmp_path, _rules(), _test(checks, texts))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hold_ends_an_hour_after_the_last_ratio(tmp_path, promtool):
    """The last 5m rate is recorded at +13; the 1h ratio of what was recorded holds the page until +71 (the NoData
    page stays).

    (`ALERTS` queried at an evaluation time shows the evaluation before it.)
    """
    late = [{"expr": PAGE, "eval_time": f"{START + 73}m", "exp_samples": []}, _firing(71)]
    result = _run(promtool, tmp_path, _rules(), _test(late, []))
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_hold_the_page_resolves(tmp_path, promtool):
    rules = _rules()
    unheld = re.sub(r"\n      or\n      \(\n        \(?slo:sli_error:ratio_rate1h\{.*?\n      \)", "", rules,
                    flags=re.DOTALL)
    assert unheld != rules and "ALERTS{" not in unheld
    result = _run(promtool, tmp_path, unheld, _test([_firing(18), _firing(19), _firing(20)], []))
    assert result.returncode != 0
    assert "time: 2h19m" in result.stdout + result.stderr and "time: 2h18m" not in result.stdout + result.stderr


def test_groups_hold_alone_and_tickets_do_not_hold():
    rules = yaml.safe_load(_rules("billing-worker.slo"))["groups"][0]["rules"]
    page, ticket = [r for r in rules if r.get("alert") == "BillingWorkerProcessingErrorBudgetBurn"]
    assert "unless on (slo_id, queue)\n" in page["expr"] and "and on (slo_id, queue)\n  ALERTS{" in page["expr"]
    assert "ALERTS" not in ticket["expr"] and ticket["labels"]["severity"] == "ticket"


def test_an_expr_slo_holds_too():
    """An `expr` indicator has no raw total, but a 5m ratio: its page holds the same way."""
    text = _rules("billing-worker.slo")
    assert ('slo:sli_error:ratio_rate30m{slo_id="billing-worker-freshness"} > 0.1\n        unless on (slo_id)\n'
            '        slo:sli_error:ratio_rate5m{slo_id="billing-worker-freshness"}') in text


def test_vmalert_accepts_the_rules(tmp_path):
    vmalert = shutil.which("vmalert")
    if vmalert is None:
        pytest.skip("vmalert is not installed")
    for spec in ("checkout.slo", "billing-worker.slo"):
        path = tmp_path / "rules.yml"
        path.write_text(_rules(spec), encoding="utf-8")
        result = subprocess.run([vmalert, f"-rule={path}", "-dryRun"], capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr
