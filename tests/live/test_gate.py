"""`slo gate` against the real server: blocks, --action, selection, no data, formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import history
import pytest
from helpers import SPECS, expected_ratio, run

AT = str(history.AT)


def gate(url: str, *extra: str):
    return run("gate", SPECS, "--prometheus", url, "--at", AT, *extra)


def test_release_blocked_by_the_rule_the_figure_and_the_threshold(prometheus_url):
    result = gate(prometheus_url, "--slo", "checkout-availability")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # eu's outage spent the budget: the freeze rule (line 59) and the 1d burn rule (line 63) both block.
    assert ("shop.slo:59:3: release blocked by checkout-availability{region=eu}: "
            "when budget_remaining <= 0%: budget remaining -") in lines[0]
    assert "(threshold <= 0%); policy says: Freeze releases" in lines[0]
    assert any("checkout-availability{region=us}: when burn_rate > 2 over 1d: burn rate over 1d 2." in line for line in lines)


def test_burn_rate_over_d_is_evaluated_over_d(prometheus_url):
    result = gate(prometheus_url, "--slo", "checkout-availability", "--format", "json")
    blocked = json.loads(result.stdout)["blocked_by"]
    us = [b for b in blocked if b["group"] == {"region": "us"}]
    assert len(us) == 1 and us[0]["when"] == "burn_rate > 2 over 1d"
    # The 1d ratio is derived from the 5m rates, as the rule computes it (history.derived_weights) ...
    assert abs(us[0]["figure"] - expected_ratio("checkout-availability", {"region": "us"}, 86400) / 0.001) < 1e-9
    # ... within 0.1% of the exact count over the day (docs/PROMETHEUS.md: derived windows).
    bad, total = history.window_counts("checkout", ("us",), history.AT, 86400)
    assert us[0]["figure"] == pytest.approx(bad / total / 0.001, rel=1e-3)


def test_pass_when_no_blocking_rule_applies(prometheus_url):
    result = gate(prometheus_url, "--service", "payments", "--service", "quiet")
    assert result.exit_code == 0 and result.stdout.startswith("release: pass (2 SLO(s)")


def test_action_picks_the_rules_that_block_it(prometheus_url):
    # Only the 1d burn rule blocks "deploy"; a rule blocking only "release" does not.
    deploy = json.loads(gate(prometheus_url, "--slo", "checkout-availability", "--action", "deploy", "--format", "json").stdout)
    assert {b["when"] for b in deploy["blocked_by"]} == {"burn_rate > 2 over 1d"}
    other = gate(prometheus_url, "--slo", "checkout-availability", "--action", "migration")
    assert other.exit_code == 0


def test_github_annotation_points_at_the_rule(prometheus_url):
    result = gate(prometheus_url, "--slo", "checkout-availability", "--format", "github")
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=") and "shop.slo,line=59,col=3,title=slo gate::release blocked by" in first
    assert "%" not in first.split("::", 2)[2].replace("%25", "")  # a literal % is escaped


def test_no_data_fails_unless_told_to_pass(prometheus_url):
    before = str(history.START - 86400)
    result = run("gate", SPECS, "--prometheus", prometheus_url, "--at", before, "--service", "quiet")
    assert result.exit_code == 3 and "no data for quiet-availability" in result.stdout
    passed = run("gate", SPECS, "--prometheus", prometheus_url, "--at", before, "--service", "quiet", "--no-data", "pass")
    assert passed.exit_code == 0


def test_markdown_summary(prometheus_url):
    text = gate(prometheus_url, "--slo", "checkout-availability", "--format", "markdown").stdout
    assert "**blocked**" in text.splitlines()[0] and "| SLO | rule | figure | action |" in text


def test_server_error_is_exit_3(prometheus_url):
    result = run("gate", SPECS, "--prometheus", prometheus_url + "/nowhere", "--at", AT)
    assert result.exit_code == 3 and "answered HTTP 404" in result.stderr


def test_markdown_rule_in_a_code_span_is_not_html_escaped(prometheus_url):
    # Inside backticks GitHub shows `&lt;` as typed: the rule must read `budget_remaining <= 0%`.
    text = gate(prometheus_url, "--slo", "checkout-availability", "--format", "markdown").stdout
    assert "`budget_remaining <= 0%`" in text and "&lt;" not in text.split("|")[7]


def test_markdown_names_the_slos_without_data(prometheus_url):
    before = str(history.START - 86400)
    for extra in ((), ("--no-data", "pass")):
        result = run("gate", SPECS, "--prometheus", prometheus_url, "--at", before, "--service", "quiet",
                     "--format", "markdown", *extra)
        assert "quiet-availability" in result.stdout, result.stdout


def test_github_annotation_escapes_the_file_name(prometheus_url, tmp_path):
    folder = tmp_path / "a,b:c"
    folder.mkdir()
    (folder / "shop.slo").write_text((Path(SPECS) / "shop.slo").read_text())
    result = run("gate", str(folder), "--prometheus", prometheus_url, "--at", AT, "--slo", "checkout-availability",
                 "--format", "github")
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=") and "a%2Cb%3Ac" in first and "a,b:c" not in first


def test_an_action_no_rule_blocks_is_a_usage_error(prometheus_url):
    # A typo would otherwise pass every release: `--action relase` gates nothing.
    result = gate(prometheus_url, "--action", "relase")
    assert result.exit_code == 2 and 'did you mean "release"' in result.stderr, result.output
    # The default action passes where no policy blocks anything (a team without blocking rules yet).
    assert gate(prometheus_url, "--service", "held").exit_code == 0
    # An action no rule blocks and that resembles none passes, with a warning.
    other = gate(prometheus_url, "--slo", "checkout-availability", "--action", "migration")
    assert other.exit_code == 0 and 'no policy rule of the selected SLOs blocks "migration"' in other.stderr


def test_a_spec_error_is_not_blocked(tmp_path):
    # A pipeline reads exit 1 as "blocked, do not release" and may read 3 (no answer) as "try again" or
    # "fail open": specs the gate cannot read are neither, but a usage error (2), before any query.
    (tmp_path / "bad.slo").write_text((Path(SPECS) / "shop.slo").read_text().replace("99.9%", "100%", 1))
    result = run("gate", str(tmp_path), "--prometheus", "http://127.0.0.1:9", "--at", AT)
    assert result.exit_code == 2, result.output
    assert "objective must be strictly between 0% and 100%" in result.stderr and result.stdout == ""
    missing = run("gate", str(tmp_path / "nowhere"), "--prometheus", "http://127.0.0.1:9", "--at", AT)
    assert missing.exit_code == 2, missing.output
    # status and verify keep exit 1 for spec errors, as check and build do (1 has no other meaning there).
    assert run("status", str(tmp_path), "--prometheus", "http://127.0.0.1:9", "--at", AT).exit_code == 1
