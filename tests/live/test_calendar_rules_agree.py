"""A calendar SLO's live figure equals what the generated rules record, checked by promtool on the same counts.

`slo status --source raw` on the real server (calendar_history.py) gives the
period's ratio at a time in history; promtool evaluates the generated rules,
`slo:sli_error:ratio_period` included, on the same counters shifted to its
1970 clock by whole days (UTC days and Berlin's CET days stay aligned: the
step tables keep the zone's January offset before their first year), and
must find that figure at the matching instant, within 1e-9.
"""

from __future__ import annotations

import dataclasses
import subprocess

import calendar_history as ch
import history
import pytest
import server
import yaml
from helpers import run, strict_json

from slocompiler.core import conventions as c
from slocompiler.emit import rules
from slocompiler.workflow.compile import load

SHIFT_DAYS = 7  # promtool's 0 is history's day 7, 00:00 UTC; the eu outage is at 1970-01-02 14:00
CHECKS = (86400 + 16 * 3600, 86400 + 14 * 3600 + 20 * 60)  # after and inside the outage, both zones' periods holding it
SLOS = ("utc", "berlin")
READ = (c.EVENTS_TOTAL_PREFIX + "5m", c.EVENTS_BAD_PREFIX + "5m", c.PERIOD_EVENTS_BAD, c.PERIOD_EVENTS_TOTAL,
        c.PERIOD_START, c.PERIOD_RATIO)


def _counters(last: int) -> list[dict]:
    first = SHIFT_DAYS * 1440
    found = []
    for region in history.REGIONS:
        for code, per_minute in (("200", lambda m, r=region: history.total_at("checkout", r, m) - history.bad_at("checkout", r, m)),
                                 ("500", lambda m, r=region: history.bad_at("checkout", r, m))):
            values, total = [], 0.0
            for m in range(first, first + last + 1):
                values.append(repr(total))
                total += per_minute(m)
            found.append({"series": f'http_requests_total{{job="checkout",region="{region}",code="{code}"}}',
                          "values": " ".join(values)})
    return found


def test_the_rules_record_the_live_figure(calendar_url, tmp_path):
    binary, promtool = server.find_binaries()
    spec = tmp_path / "cal.slo"
    spec.write_text(ch.SPEC)
    program = load([str(spec)]).program
    assert program is not None
    service = program.services[0]
    service = dataclasses.replace(service, slos=tuple(s for s in service.slos if s.name in SLOS))
    # The generated rules that the period ratio reads, as generated; the alerts and other windows, which promtool
    # would evaluate at each of the 2,400 steps too, left out (most of its 34 s).
    document = yaml.safe_load(rules.rules_yaml(service))
    for group in document["groups"]:
        group["rules"] = [rule for rule in group["rules"] if rule.get("record") in READ]
    assert sorted({rule["record"] for group in document["groups"] for rule in group["rules"]}) == sorted(READ)
    (tmp_path / "cal.rules.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    checks = []
    for at in CHECKS:
        moment = history.START + SHIFT_DAYS * 86400 + at
        result = run("status", str(spec), "--prometheus", calendar_url, "--at", str(moment), "--source", "raw",
                     "--format", "json")
        assert result.exit_code == 0, result.output
        found = {item["slo_id"]: item for item in strict_json(result.stdout)}
        for name in SLOS:
            ratio = 1 - found[f"cal-{name}"]["sli"]
            assert ratio > 0.005  # the outage's day, not a steady 0.01% that any weighting gives
            selector = f'{c.PERIOD_RATIO}{{{c.LABEL_SLO_ID}="cal-{name}"}}'
            checks.append({"expr": f"sum(abs({selector} - {ratio!r}) <= bool {ratio * 1e-9!r})",
                           "eval_time": f"{at}s", "exp_samples": [{"labels": "{}", "value": 1}]})
    # The groups in their order: promtool's own is random, and a period group evaluated before the SLI group
    # would read the 5m rates of the step before (a flaky 1e-9).
    order = [group["name"] for group in document["groups"]]
    document = {"rule_files": ["cal.rules.yml"], "evaluation_interval": "1m", "group_eval_order": order,
                "tests": [{"interval": "1m", "input_series": _counters(max(CHECKS) // 60),
                           "promql_expr_test": checks}]}
    (tmp_path / "cal.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    answer = _promtool(promtool, tmp_path / "cal.test.yml")
    if answer.returncode:  # say what the rules recorded: the same file, expecting nothing, shows it
        for check in checks:
            check.update(expr=f"{c.PERIOD_RATIO}", exp_samples=[])
        (tmp_path / "cal.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        shown = _promtool(promtool, tmp_path / "cal.test.yml")
        pytest.fail(f"{answer.stdout[-3000:]}{answer.stderr[-2000:]}\nthe rules recorded:\n{shown.stdout[-3000:]}{shown.stderr[-3000:]}")


def _promtool(promtool: str, path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=600, check=False)


def test_the_zone_boundaries_line_up_in_1970():
    """The premise of the shift: promtool's day 1970-01-02 is history's day 8 in UTC and in Berlin alike."""
    from slocompiler.core.calendar import period_bounds

    assert period_bounds("day", "UTC", 86400 + 16 * 3600) == (86400, 2 * 86400)
    assert period_bounds("day", "Europe/Berlin", 86400 + 16 * 3600) == (86400 - 3600, 2 * 86400 - 3600)
