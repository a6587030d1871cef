"""The `alertmanager` target, built by default: inhibit rules that pass the real `amtool check-config`."""

from __future__ import annotations

import subprocess

import yaml
from behaviour import slos

from slocompiler.core.ir import Condition
from slocompiler.emit import TARGETS
from slocompiler.workflow import compile as compiler

PATH = "alertmanager/inhibit_rules.yml"


def _config(rules_text: str) -> str:
    """A minimal alertmanager.yml with the generated list under `inhibit_rules`."""
    config = {
        "route": {"receiver": "oncall", "group_by": ["alertname", "slo_id"]},
        "receivers": [{"name": "oncall"}],
        "inhibit_rules": yaml.safe_load(rules_text),
    }
    return yaml.safe_dump(config, sort_keys=False)


def test_specs_inhibit_rules_of_a_default_build_pass_amtool(tmp_path, amtool):
    program = compiler.load(["specs"]).program
    text = compiler.render(program)[PATH]  # no targets named: the default build writes it
    (tmp_path / "alertmanager.yml").write_text(_config(text), encoding="utf-8")
    result = subprocess.run([amtool, "check-config", "alertmanager.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inhibit" in result.stdout.lower() or "SUCCESS" in result.stdout


def test_a_page_inhibits_the_tickets_of_its_slo_and_group():
    program = slos.program(slos.slo(group_by=("route",)))
    [rule] = yaml.safe_load(TARGETS["alertmanager"](program)[PATH])
    assert rule == {
        "source_matchers": ['alertname="DemoAvailabilityErrorBudgetBurn"', 'slo_id="demo-availability"', 'severity="page"'],
        "target_matchers": ['alertname="DemoAvailabilityErrorBudgetBurn"', 'slo_id="demo-availability"', 'severity="ticket"'],
        "equal": ["slo_id", "route"],
    }


def test_no_rule_without_both_severities_and_an_empty_list_parses():
    pages_only = tuple(k for k in slos.default_conditions(30 * slos.DAY) if k.severity == "page")
    program = slos.program(slos.slo(conditions=pages_only), slos.slo(name="off", enabled=False))
    assert yaml.safe_load(TARGETS["alertmanager"](program)[PATH]) == []


def test_severity_labels_of_the_conditions_are_matched():
    page, _, ticket = slos.default_conditions(30 * slos.DAY)
    ticket = Condition(**{**{f: getattr(ticket, f) for f in ticket.__slots__}, "labels": (("severity", "low"),)})
    [rule] = yaml.safe_load(TARGETS["alertmanager"](slos.program(slos.slo(conditions=(page, ticket))))[PATH])
    assert rule["target_matchers"][-1] == 'severity="low"'


def test_pages_and_tickets_relabelled_alike_are_told_apart_by_slo_severity():
    page, _, ticket = slos.default_conditions(30 * slos.DAY)
    page, ticket = (Condition(**{**{f: getattr(k, f) for f in k.__slots__}, "labels": (("severity", "critical"),)})
                    for k in (page, ticket))
    [rule] = yaml.safe_load(TARGETS["alertmanager"](slos.program(slos.slo(conditions=(page, ticket))))[PATH])
    assert rule["source_matchers"][-1] == 'slo_severity="page"'
    assert rule["target_matchers"][-1] == 'slo_severity="ticket"'


def test_specs_inhibit_rules_match_golden(golden):
    program = compiler.load(["specs"]).program
    golden("alertmanager/specs/inhibit_rules.yml", TARGETS["alertmanager"](program)[PATH])
