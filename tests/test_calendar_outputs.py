"""Calendar windows in the static outputs (issue 24): alert text, docs, policy, Grafana and `slo budget` name the
calendar period and its zone, never a rolling 30d; a rolling SLO beside them reads as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

import calendar_spec
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.core import conventions as c
from slocompiler.core import timebase
from slocompiler.emit import alert_text, grafana_period
from slocompiler.workflow.compile import render

ROOT = Path(__file__).resolve().parent.parent
# What a calendar SLO's text must never say: its window as a rolling length.
ROLLING_WORDS = re.compile(r"any rolling|rolling \d|\dd rolling|over (the )?(30|90)d\b|remaining over \d|\dd window|per 30d|\(30d\)")


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return render(calendar_spec.program())


def _slos():
    return {slo.name: slo for slo in calendar_spec.program().services[0].slos}


def _alert_rules(outputs) -> dict[str, dict]:
    """The page rule of each burn-rate alert, by name."""
    groups = yaml.safe_load(outputs["prometheus/ledger.rules.yml"])["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]
            if "alert" in rule and not rule["alert"].endswith("NoData") and rule["labels"]["severity"] == "page"}


# --- words ---------------------------------------------------------------------------------------------------


def test_period_lengths_come_from_tzdata():
    assert timebase.period_lengths("month", "Europe/Berlin") == (28 * 86400, 31 * 86400 + 3600)
    assert timebase.period_lengths("day", "Europe/Berlin") == (23 * 3600, 25 * 3600)
    assert timebase.period_lengths("day", "UTC") == (86400, 86400)
    assert timebase.period_lengths("quarter", "UTC") == (90 * 86400, 92 * 86400)
    assert timebase.length_words(31 * 86400 + 3600) == "31 days 1 hour"
    assert timebase.length_words(23 * 3600 + 1800) == "23 hours 30 minutes"


# --- alert text ----------------------------------------------------------------------------------------------


def test_alert_descriptions_name_the_period_and_this_periods_budget(outputs):
    rules = _alert_rules(outputs)
    month = rules["LedgerSettlementErrorBudgetBurn"]["annotations"]["description"]
    assert month.startswith("SLO ledger-settlement (99.9% per calendar month (Europe/Berlin); error budget 0.001,"
                            " 43m12s of a 30-day month).")
    assert "\nBudget remaining this month: " in month
    day = rules["LedgerUptimeErrorBudgetBurn"]["annotations"]["description"]
    assert "per calendar day (Europe/Berlin)" in day and "\nBudget remaining today: " in day
    for description in (month, day):
        assert not ROLLING_WORDS.search(description), description


def test_a_rolling_slo_keeps_its_words(outputs):
    description = _alert_rules(outputs)["LedgerReadsErrorBudgetBurn"]["annotations"]["description"]
    assert description.startswith("SLO ledger-reads (99.9% over 30d; error budget 0.001, 43m12s of the 30d).")
    assert "\nBudget remaining over 30d: " in description


def test_thresholds_keep_the_nominal_length(outputs):
    """LANGUAGE.md: burn-rate thresholds use the period's nominal length (a month: 30d, so 14.4 and 6 and 1)."""
    assert "1h/5m above 14.4x, 6h/30m above 6x" in _alert_rules(outputs)["LedgerSettlementErrorBudgetBurn"]["annotations"]["windows"]


def test_the_expanded_text_is_the_templates():
    """The promtool cases' expectations come from the same parts as the rules' templates."""
    slo = _slos()["settlement"]
    conditions = tuple(k for k in slo.alerting.conditions if k.severity == "page")
    parts = alert_text.description_parts(slo, conditions)
    assert parts[0] == alert_text.template(slo, parts[:1])
    assert "Budget remaining this month: " in alert_text.template(slo, parts)


def test_a_calendar_slice_slos_generated_cases_pass_promtool(outputs, promtool, tmp_path):
    """The calendar day slice SLO's cases (its alert text predicted by history_slices) through the real promtool.

    Only its own cases with alert text: the file's grid is 1m for the slice SLO, and every case costs.
    """
    import subprocess

    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "ledger.rules.yml").write_text(outputs["prometheus/ledger.rules.yml"], encoding="utf-8")
    document = yaml.safe_load(outputs["prometheus/ledger.test.yml"])
    # The cases whose alert text says "today": the rest replay the same slices and cost a minute more.
    document["tests"] = [case for case in document["tests"] if case["name"].startswith("ledger-uptime:")
                         and "Budget remaining today: " in json.dumps(case)]
    assert document["tests"]
    (folder / "ledger.test.yml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(folder / "ledger.test.yml")], capture_output=True,
                            text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


# --- docs ----------------------------------------------------------------------------------------------------


def _section(page: str, name: str) -> str:
    start = page.index(f"\n## SLO {name}\n")
    end = page.find("\n## ", start + 1)
    return page[start:end]


def test_docs_say_calendar_month_and_the_budget_of_each_length(outputs):
    page = outputs["docs/ledger.md"]
    assert "| [settlement](#slo-settlement) | 99.9% | calendar month (Europe/Berlin) | 43m12s | — |" in page
    month = _section(page, "settlement")
    assert "99.9% of events are good in each calendar month (Europe/Berlin), which starts on the 1st at local midnight" in month
    assert "| nominal month (30 days) | 43m12s |" in month
    assert "| shortest month (28 days) | 40m19.2s |" in month
    assert "| longest month (31 days 1 hour) | 44m42s |" in month
    assert f"`{c.PERIOD_RATIO}`" in month
    assert "error budget left in the current calendar month (Europe/Berlin), since it started" in month
    day = _section(page, "uptime")
    assert "| shortest day (23 hours) | 6.9 bad 1m slices (6m54s) |" in day
    assert "| longest day (1 day 1 hour) | 7.5 bad 1m slices (7m30s) |" in day
    assert f"the rules record it as `{c.PERIOD_RATIO}`" in day
    quarter = _section(page, "reports")
    assert "| nominal and shortest quarter (90 days) | 21h36m |" in quarter
    for name in ("settlement", "uptime", "reports", "exports"):
        assert not ROLLING_WORDS.search(_section(page, name)), name
    assert "over any rolling 30d window" in _section(page, "reads")
    assert "settlement: 21m36s of 43m12s left this month (in a 30-day month)" in page
    index = outputs["docs/README.md"]
    assert "| 99.9% | calendar month (Europe/Berlin) | 43m12s |" in index
    assert "(99.9% per calendar month (Europe/Berlin))" in outputs["docs/ledger/settlement.svg"]


# --- policy --------------------------------------------------------------------------------------------------


def test_policy_names_the_period_and_its_lengths(outputs):
    document = yaml.safe_load(outputs["policies/ledger.yaml"])
    schema = json.loads((ROOT / "slocompiler" / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    slos = {slo["name"]: slo for slo in document["slos"]}
    month = slos["settlement"]
    assert month["window"] == {"seconds": 2592000, "text": "calendar month (Europe/Berlin)"}
    assert month["calendar"] == {
        "period": "month", "timezone": "Europe/Berlin",
        "shortest": {"seconds": 2419200, "text": "28 days", "error_budget": {"seconds": 2419.2, "text": "40m19.2s"}},
        "longest": {"seconds": 2682000, "text": "31 days 1 hour", "error_budget": {"seconds": 2682, "text": "44m42s"}},
    }
    assert "seconds: 2419.2\n" in outputs["policies/ledger.yaml"]  # exact decimals, no float noise
    assert month["prometheus"]["budget_remaining"] == c.BUDGET_REMAINING
    assert slos["reads"]["calendar"] is None and slos["reads"]["window"]["text"] == "30d"


# --- Grafana -------------------------------------------------------------------------------------------------


def _row(board: dict, name: str) -> list[dict]:
    panels, inside = [], False
    for panel in board["panels"]:
        if panel["type"] == "row":
            inside = panel["title"].split(":")[0] == name
        elif inside:
            panels.append(panel)
    return panels


def test_grafana_shows_this_period_so_far_beside_the_rolling_view(outputs):
    board = json.loads(outputs["grafana/ledger.json"])
    titles = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert "settlement: 99.9% per calendar month (Europe/Berlin)" in titles
    assert "reads: 99.9% over 30d" in titles
    assert board["weekStart"] == "monday"  # ISO weeks, for the week SLO's `now/w`
    for name, unit, zone in (("settlement", "month", "Europe/Berlin"), ("uptime", "day", "Europe/Berlin"),
                             ("reports", "quarter", "UTC"), ("exports", "week", "Europe/Berlin")):
        panels = {p["title"]: p for p in _row(board, name)}
        so_far = f"this calendar {unit} so far ({zone})"
        stat = panels[f"SLI {so_far}"]
        assert stat["targets"][0]["expr"] == f'1 - {c.PERIOD_RATIO}{{slo_id="ledger-{name}"}}'
        over_time = panels[f"Error budget remaining over time, {so_far}"]
        assert over_time["timeFrom"] == grafana_period.SO_FAR[unit]
        assert f"in {zone}" in over_time["description"] and f"in {zone}" in stat["description"]
        sli = panels["SLI against the objective"]
        assert sli["targets"][1]["expr"] == f'1 - {c.PERIOD_RATIO}{{slo_id="ledger-{name}"}}'
        words = json.dumps([(p["title"], p.get("description", ""), [t["legendFormat"] for t in p.get("targets", [])])
                            for p in panels.values()])
        assert not ROLLING_WORDS.search(words), (name, ROLLING_WORDS.search(words))
    assert grafana_period.SO_FAR == {"day": "now/d", "week": "now/w", "month": "now/M", "quarter": "now/fQ",
                                     "year": "now/y"}
    assert board["fiscalYearStartMonth"] == 0  # so that Grafana's fiscal quarter is the calendar one
    reads = {p["title"]: p for p in _row(board, "reads")}
    assert "timeFrom" not in reads["Error budget remaining over time"]


def test_only_a_calendar_week_sets_the_week_start():
    assert grafana_period.week_start(list(calendar_spec.program().services[0].slos)) == {"weekStart": "monday"}
    assert grafana_period.week_start([s for s in calendar_spec.program().services[0].slos if s.calendar != "week"]) == {}


# --- slo budget ----------------------------------------------------------------------------------------------


EXPECTED_MONTH = """\
objective 99.9% per calendar month (Europe/Berlin): error budget 0.1% of events

error budget as time
  per                             budget
  nominal month (30 days)         43m12s
  shortest month (28 days)        40m19.2s
  longest month (31 days 1 hour)  44m42s
  week (7 days)                   10m4.8s
  day (1 day)                     1m26.4s
  each month starts on the 1st at local midnight in Europe/Berlin; its budget counts the events since it started and starts afresh with the next; alert thresholds use a 30-day month
"""


def test_slo_budget_for_a_calendar_month():
    result = CliRunner().invoke(cli, ["budget", "99.9%", "--window", "calendar month", "--timezone", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(EXPECTED_MONTH)
    # The alert table uses the nominal 30 days, as the rules do.
    assert "\n  page      14.4       1h    5m     1.44%" in result.stdout
    assert not ROLLING_WORDS.search(result.stdout.split("default alerts")[0])


def test_slo_budget_for_a_calendar_day_in_utc_has_one_length():
    result = CliRunner().invoke(cli, ["budget", "99.9%", "--window", "calendar day"])
    assert result.exit_code == 0, result.output
    assert "objective 99.9% per calendar day (UTC)" in result.stdout
    assert "\n  day (1 day)  1m26.4s\n" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--window", "calendar fortnight"], "a calendar window is one of calendar day, calendar week, calendar month,"
                                         " calendar quarter, calendar year, got 'calendar fortnight'"),
    (["--window", "calendar month", "--timezone", "Berlin"], "unknown time zone 'Berlin'; did you mean \"Europe/Berlin\"?"),
    (["--timezone", "Europe/Berlin"], "--timezone places calendar periods; give a window such as 'calendar month'"),
])
def test_slo_budget_refuses_bad_periods_in_one_line(args, message):
    result = CliRunner().invoke(cli, ["budget", "99.9%", *args])
    assert result.exit_code == 2
    assert result.stderr == f"slo budget: error: {message}\n"


def test_slo_budget_counts_slices_per_period_length():
    result = CliRunner().invoke(cli, ["budget", "99.5%", "--window", "calendar month", "--timezone", "Europe/Berlin",
                                      "--slices", "1m"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("objective 99.5% per calendar month (Europe/Berlin): error budget 0.5% of 1m slices\n")
    assert "\n  nominal month (30 days)         216 bad 1m slices (3h36m)\n" in result.stdout
    assert "\n  longest month (31 days 1 hour)  223.5 bad 1m slices (3h43m30s)\n" in result.stdout
    assert "its budget counts the bad slices since it started over the slices of the whole period" in result.stdout


def test_slo_budget_slices_widen_the_default_windows_as_the_language_does():
    """A slice SLO's default windows hold two slices at least: 1h/10m for 5m slices (lang/alerting.py)."""
    five = CliRunner().invoke(cli, ["budget", "99.5%", "--slices", "5m"]).stdout
    assert "\n  window (30d)  43.2 bad 5m slices (3h36m)\n" in five
    assert "\n  page      14.4       1h    10m " in five
    one = CliRunner().invoke(cli, ["budget", "99.5%", "--slices", "1m"]).stdout
    assert "\n  page      14.4       1h    5m " in one


def test_slo_budget_refuses_a_slice_length_the_language_refuses():
    result = CliRunner().invoke(cli, ["budget", "99.5%", "--slices", "7m"])
    assert result.exit_code == 2
    assert result.stderr == "slo budget: error: slices must be one of 1m 2m 3m 4m 5m 6m 10m 12m 15m 20m 30m 1h, got '7m'\n"
