"""`slo report` on the real Prometheus: four months of report_history.py, figures counted here from its minutes."""

from __future__ import annotations

from pathlib import Path

import pytest
import report_history as h
from helpers import run, strict_json

SPECS = str(Path(__file__).resolve().parent / "report_specs")
BUDGET = {"api-availability": 0.001, "search-availability": 0.01, "legacy-availability": 0.0001}
JOB = {"api-availability": "rpt-api", "search-availability": "rpt-search", "legacy-availability": "rpt-legacy"}
DAYTIME, NIGHT, BURST = (first for _, first, _ in h.OUTAGES)
MIN = 60


def report(url: str, *extra: str) -> dict:
    result = run("report", SPECS, "--prometheus", url, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # piped: no progress lines
    return strict_json(result.stdout)


@pytest.fixture(scope="module")
def september(prometheus_url) -> dict:
    return report(prometheus_url, "--period", "2024-09")


def by_id(found: dict) -> dict[str, dict]:
    return {entry["slo_id"]: entry for entry in found["slos"]}


def expected_ratio(slo_id: str, frm: int, to: int) -> float:
    bad, total = h.period_sums(JOB[slo_id], frm, to)
    return bad / total


def test_period_and_contract_keys(september):
    assert september["period"] == {"from": h.SEPTEMBER, "to": h.OCTOBER, "zone": "UTC", "name": "2024-09"}
    assert list(september["period"])[:2] == ["from", "to"]  # the contract's keys first
    keys = ["slo_id", "service", "owner", "oncall", "objective", "sla", "sli", "budget_spent", "met", "sla_met",
            "incidents", "pages", "tickets", "history", "suggested_objective"]
    for entry in september["slos"]:
        assert list(entry)[:len(keys)] == keys
        assert set(entry) - set(keys) <= {"advice"}
    for owner in september["owners"]:
        assert list(owner) == ["owner", "oncall", "pages", "tickets", "pages_out_of_hours", "noisy_pages",
                               "pages_per_week", "weeks", "out_of_hours"]


@pytest.mark.parametrize("slo_id", sorted(JOB))
def test_sli_and_budget_as_the_period_rule_sums_them(september, slo_id):
    entry = by_id(september)[slo_id]
    ratio = expected_ratio(slo_id, h.SEPTEMBER, h.OCTOBER)
    assert entry["sli"] == pytest.approx(1 - ratio, rel=1e-11)
    assert entry["budget_spent"] == pytest.approx(ratio / BUDGET[slo_id], rel=1e-9)
    for earlier, (frm, to) in zip(entry["history"], ((h.JUNE, h.JULY), (h.JULY, h.AUGUST), (h.AUGUST, h.SEPTEMBER))):
        assert (earlier["from"], earlier["to"]) == (frm, to)
        assert earlier["sli"] == pytest.approx(1 - expected_ratio(slo_id, frm, to), rel=1e-11)


def test_objectives_met_and_missed(september):
    found = by_id(september)
    api = found["api-availability"]
    # 0.02% errors and 32,000 failed requests of 43.2 million: 94% of the budget, met; the SLA (99.5%) too.
    assert (api["objective"], api["sla"], api["met"], api["sla_met"]) == (0.999, 0.995, True, True)
    assert 0.93 < api["budget_spent"] < 0.95
    assert (found["legacy-availability"]["met"], found["legacy-availability"]["sla_met"]) == (False, None)
    assert found["legacy-availability"]["budget_spent"] == pytest.approx(2.0, rel=1e-6)
    assert found["search-availability"]["met"] is True


def test_incidents_are_the_page_intervals(september):
    """Each outage pages from the first evaluation after its first failing minute (`for` 0, 1,000 failures a minute
    are past min_failures 10). The 2-minute burst: the fast page's 5m window holds a failing minute until 6 minutes
    after the burst began, and so does the latest 5m rate the slow page's derived 6h window counts three times."""
    api = by_id(september)["api-availability"]
    assert (api["pages"], api["tickets"]) == (3, 2)
    starts = [i["start"] for i in api["incidents"]]
    assert starts == [DAYTIME + MIN, NIGHT + MIN, BURST + MIN]
    daytime, night, burst = api["incidents"]
    # The slow page (30m short window) holds until the last failing minute leaves its 30m window.
    assert daytime["end"] == DAYTIME + 20 * MIN + 29 * MIN
    assert night["end"] == NIGHT + 10 * MIN + 29 * MIN
    assert burst["end"] == BURST + 6 * MIN
    total = h.period_sums("rpt-api", h.SEPTEMBER, h.OCTOBER)[1]
    for incident in api["incidents"]:
        bad = sum(h.rate_5m(lambda m: h.bad_at("rpt-api", m), t)
                  for t in range(incident["start"] + MIN, incident["end"] + MIN + 1, MIN))
        assert incident["budget_spent"] == pytest.approx(bad / total / 0.001, rel=1e-9)
    # The outage of 20 minutes (20,000 failed requests) spent about 46% of the month's budget.
    assert 0.45 < daytime["budget_spent"] < 0.47
    for quiet in ("search-availability", "legacy-availability"):
        assert by_id(september)[quiet]["incidents"] == []
    # Legacy's 0.02% is twice its 0.01% budget: its ticket (burn 1 over 3d and 6h) fires all month, one interval.
    assert (by_id(september)["legacy-availability"]["pages"], by_id(september)["legacy-availability"]["tickets"]) == (0, 1)


def test_a_page_firing_as_the_period_begins_spends_only_the_periods_errors(prometheus_url):
    """The period starts 10 minutes into the daytime outage: its page is firing at the first minute. Its share counts
    the minutes the SLI sums (`[from + 3m, to + 2m]`), not the 5m windows reaching back into the previous period, so
    the pages' shares add up to no more than the period's budget spent (all of it here: every failed request of the
    period falls while the page fires)."""
    found = report(prometheus_url, "--from", str(DAYTIME + 10 * MIN), "--to", str(DAYTIME + 86400), "--history", "0",
                   "--slo", "api-availability")
    [api] = found["slos"]
    assert api["incidents"][0]["start"] == DAYTIME + 10 * MIN
    # Paged before the period began: listed, counted in the previous period's report (the next test).
    assert api["incidents"][0]["started_before"] is True and api["pages"] == len(api["incidents"]) - 1
    spent = sum(incident["budget_spent"] for incident in api["incidents"])
    assert spent <= api["budget_spent"] * (1 + 1e-9)
    bad = sum(h.rate_5m(lambda m: h.bad_at("rpt-api", m), t)
              for t in range(DAYTIME + 13 * MIN, api["incidents"][0]["end"] + MIN + 1, MIN))
    total = sum(h.rate_5m(lambda m: h.total_at("rpt-api", m), t)
                for t in range(DAYTIME + 13 * MIN, DAYTIME + 86400 + 2 * MIN + 1, MIN))
    assert api["incidents"][0]["budget_spent"] == pytest.approx(bad / total / 0.001, rel=1e-6)


def test_an_outage_split_between_two_periods_is_counted_once_with_its_page(prometheus_url):
    """The daytime outage's 20 minutes split 10 and 10 between two adjacent periods: the two reports' failed
    requests add up to every failed request of the two (counted here minute by minute), each half counting its own
    10,000 (the 5m windows centred on the bound share its minutes evenly). Summed from `from + 5m` to `to`, the
    minutes on either side of the bound were lost to both."""
    bound = DAYTIME + 10 * MIN
    halves = [(bound - 3600, bound), (bound, bound + 3600)]
    failed, pages = [], []
    for frm, to in halves:
        found = report(prometheus_url, "--from", str(frm), "--to", str(to), "--history", "0",
                       "--slo", "api-availability")
        [api] = found["slos"]
        pages.append((api["pages"], found["owners"][0]["pages"], [i["started_before"] for i in api["incidents"]]))
        bad, total = h.events("rpt-api", frm, to)
        failed.append((1 - api["sli"]) * total)
        assert failed[-1] == pytest.approx(bad, rel=1e-9)
    assert sum(failed) == pytest.approx(h.events("rpt-api", *halves[0])[0] + h.events("rpt-api", *halves[1])[0],
                                        rel=1e-9)
    assert [round(f) for f in failed] == [10_000 + 10, 10_000 + 10]  # and 0.02% of the other 50 minutes' 50,000
    # Its page began in the first: counted there once; the second lists it as firing since before.
    assert pages == [(1, 1, [False]), (0, 0, [True])]


def test_a_period_ending_off_the_hour_keeps_its_last_page(prometheus_url):
    """`--to` four minutes into the burst: the hourly maxima that pick where to replay must reach past the period's
    end, or the page of its last minutes goes unseen (`slo backtest` sees it). Still firing at the end, it is cut
    there; the data past the end says it resolved three minutes later, noisy, as a longer report says."""
    found = report(prometheus_url, "--from", str(BURST - 86400), "--to", str(BURST + 4 * MIN), "--history", "0",
                   "--slo", "api-availability")
    [api] = found["slos"]
    assert [(i["start"], i["end"]) for i in api["incidents"]] == [(BURST + MIN, BURST + 3 * MIN)]
    assert api["pages"] == 1
    [owner] = found["owners"]
    assert owner["pages"] == 1 and [(p["start"], p["end"]) for p in owner["noisy_pages"]] == [
        (BURST + MIN, BURST + 3 * MIN)]


def test_a_stretch_running_past_the_end_of_the_data_keeps_its_alerts(prometheus_url):
    """The history ends 2024-10-01 01:00; legacy's ticket burns to its last minute. The replay of that stretch runs
    to its short window after the data's last hour: no data there is no reason to drop the SLO's alerts (it dropped
    the ticket, with a note naming a `--to` nobody gave)."""
    found = report(prometheus_url, "--from", str(h.SEPTEMBER + 24 * h.DAY), "--to", str(h.OCTOBER + 2 * h.DAY),
                   "--history", "0", "--slo", "legacy-availability")
    [legacy] = found["slos"]
    assert "alerts_not_replayed" not in legacy
    assert (legacy["pages"], legacy["tickets"]) == (0, 1)


def _backtest(url: str, slo_id: str, severity: str) -> list[list[int]]:
    """`slo backtest` over the whole month: the severity's fired intervals, merged as the report merges them."""
    result = run("backtest", SPECS, "--prometheus", url, "--slo", slo_id,
                 "--from", str(h.SEPTEMBER), "--to", str(h.OCTOBER - MIN), "--format", "json")
    assert result.exit_code == 0, result.output
    return h.fired(strict_json(result.stdout)[0], severity)


def test_pages_agree_with_slo_backtest(september, prometheus_url):
    """The report replays where a condition could hold, with those conditions; `slo backtest` over the whole month
    finds the same pages, and for legacy (whose ticket alone can hold, all month) the same ticket."""
    assert [[i["start"], i["end"]] for i in by_id(september)["api-availability"]["incidents"]] == \
        _backtest(prometheus_url, "api-availability", "page")
    assert _backtest(prometheus_url, "api-availability", "ticket").__len__() == 2
    legacy = _backtest(prometheus_url, "legacy-availability", "ticket")
    assert len(legacy) == by_id(september)["legacy-availability"]["tickets"] == 1
    assert _backtest(prometheus_url, "legacy-availability", "page") == []


def test_advice_from_the_previous_months(september):
    found = by_id(september)
    search = found["search-availability"]
    # 0.03% errors: 3% of a 99% budget each month; 99.95% is met in all four, 99.99% in none.
    assert search["suggested_objective"] == 0.9995
    assert search["advice"] == ("availability met 99.95% in each of the last 3 months and in this one while "
                                "promising 99%: 99.95% would still leave 40.0% of budget in the worst of them")
    legacy = found["legacy-availability"]
    assert legacy["suggested_objective"] == 0.9995
    assert legacy["advice"].startswith("availability missed 99.99% in 4 of the last 4 months including this one "
                                       "(SLI 99.98%, 99.98%, 99.98%, 99.98%): the objective is not being met")
    api = found["api-availability"]
    assert api["suggested_objective"] == 0.999  # 99.906% this month
    assert "advice" not in api  # 94% spent this month: neither too loose nor missed


def test_owners_and_rotations(september):
    team_a, team_b = september["owners"]
    assert (team_a["owner"], team_a["oncall"], team_a["pages"], team_a["tickets"]) == ("team-a", "a-primary", 3, 2)
    assert (team_b["owner"], team_b["oncall"], team_b["pages"], team_b["tickets"]) == ("team-b", "b-rotation", 0, 1)
    # UTC: the 02:01 page is out of hours; the 19:01 burst is not, but it is noisy (6 minutes <= 2 x 5m).
    assert team_a["pages_out_of_hours"] == 1
    assert [(p["slo_id"], p["start"]) for p in team_a["out_of_hours"]] == [("api-availability", NIGHT + MIN)]
    assert [(p["start"], p["end"]) for p in team_a["noisy_pages"]] == [(BURST + MIN, BURST + 6 * MIN)]
    # Both pages fired (the 6h window's latest 5m rate counts thrice); the 1h/5m one, the shorter, makes it noisy.
    assert team_a["noisy_pages"][0]["alert"] == ("ApiAvailabilityErrorBudgetBurn (page 1h), "
                                                 "ApiAvailabilityErrorBudgetBurn (page 6h)")
    # ISO weeks 35 (from Monday 26 August) to 40: the 10th is in week 37, the 20th in 38, the 25th in 39.
    assert list(zip(team_a["weeks"], team_a["pages_per_week"])) == [
        ("2024-W35", 0), ("2024-W36", 0), ("2024-W37", 1), ("2024-W38", 1), ("2024-W39", 1), ("2024-W40", 0)]


def test_out_of_hours_in_a_time_zone(prometheus_url):
    """In Europe/Berlin (UTC+2 in September) the month starts at 22:00 UTC, and the burst's 21:01 is out of hours."""
    found = report(prometheus_url, "--period", "2024-09", "--timezone", "Europe/Berlin", "--history", "0",
                   "--slo", "api-availability")
    assert {k: found["period"][k] for k in ("from", "to")} == {"from": h.SEPTEMBER - 7200, "to": h.OCTOBER - 7200}
    assert (found["period"]["zone"], found["period"]["name"]) == ("Europe/Berlin", "2024-09 (Europe/Berlin)")
    owner = found["owners"][0]
    assert owner["pages_out_of_hours"] == 2
    assert [p["start"] for p in owner["out_of_hours"]] == [NIGHT + MIN, BURST + MIN]
    assert found["slos"][0]["history"] == [] and found["slos"][0]["suggested_objective"] is None


def test_iso_week_and_quarter(prometheus_url):
    week = report(prometheus_url, "--period", "2024-W37", "--slo", "api-availability", "--history", "1")
    monday = h.SEPTEMBER + 8 * 86400
    assert {k: week["period"][k] for k in ("from", "to")} == {"from": monday, "to": monday + 7 * 86400}
    entry = week["slos"][0]
    assert [i["start"] for i in entry["incidents"]] == [DAYTIME + MIN]
    assert entry["sli"] == pytest.approx(1 - expected_ratio("api-availability", monday, monday + 7 * 86400), rel=1e-11)
    assert entry["history"][0]["from"] == monday - 7 * 86400
    quarter = report(prometheus_url, "--period", "2024-Q3", "--slo", "api-availability", "--history", "1")
    assert {k: quarter["period"][k] for k in ("from", "to")} == {"from": h.JULY, "to": h.OCTOBER}
    assert quarter["slos"][0]["pages"] == 3
    earlier = quarter["slos"][0]["history"][0]
    # The second quarter (from 1 April): the series begin on 31 May, the figure is of what there is.
    assert (earlier["from"], earlier["to"]) == (1_711_929_600, h.JULY)
    assert earlier["sli"] == pytest.approx(0.9998, abs=1e-6)


def test_text_markdown_and_file(prometheus_url, tmp_path):
    text = run("report", SPECS, "--prometheus", prometheus_url, "--period", "2024-09", "--history", "0")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "SLO report 2024-09: 2024-09-01 00:00 to 2024-10-01 00:00 UTC"
    assert "  api-availability  2024-09-25 19:01 to 19:06 (6m)  budget spent 4.2%" in lines
    markdown = run("report", SPECS, "--prometheus", prometheus_url, "--period", "2024-09", "--format", "markdown",
                   "--history", "0", "--slo", "api-availability")
    assert markdown.exit_code == 0
    assert markdown.stdout.startswith("# SLO report 2024")
    assert "| api\\-availability | team\\-a | 99.9% | 99.5% | 99.906% | 94.1% | yes | yes | 3 | 2 | - |" in markdown.stdout
    target = tmp_path / "review.json"
    written = run("report", SPECS, "--prometheus", prometheus_url, "--period", "2024-09", "--format", "json",
                  "--history", "0", "--slo", "api-availability", "-o", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert strict_json(target.read_text())["period"]["from"] == h.SEPTEMBER
    assert [p.name for p in tmp_path.iterdir()] == ["review.json"]  # no temporary file left beside it


def test_calendar_slices_composites_and_maintenance(prometheus_url, tmp_path):
    """The 1.1 features on history.py's days: a calendar SLO reports its own days, a composite its members, an
    outage inside a maintenance window spends nothing and pages no one (the same outage pages an SLO without it)."""
    import calendar_history
    import test_maintenance_live
    from helpers import SPECS as SHOP

    (tmp_path / "cal.slo").write_text(calendar_history.SPEC, encoding="utf-8")
    (tmp_path / "pay.slo").write_text(test_maintenance_live.SPEC, encoding="utf-8")
    composites = str(Path(SHOP).parent / "composite_specs")
    result = run("report", SHOP, composites, str(tmp_path), "--prometheus", prometheus_url, "--format", "json",
                 "--from", "2023-11-18T00:00:00Z", "--to", "2023-11-21T00:00:00Z", "--history", "1")
    assert result.exit_code == 0, result.output
    found = by_id(strict_json(result.stdout))
    day = 86400
    assert [(p["start"], p["complete"]) for p in found["cal-utc"]["periods"]] == [
        (1_700_265_600 + k * day, True) for k in range(3)]
    assert found["cal-slices"]["periods"] and found["cal-expr"]["sli"] is not None
    # One-minute slices, good at 99% of requests: with 0.01% errors every slice of the three days is good.
    assert found["cal-slices"]["slices"] == {"length": 60, "count": 3 * 1440, "bad": 0}
    assert found["cal-slices"]["sli"] == 1.0
    assert [m["slo_id"] for m in found["journey-checkout"]["members"]] == [
        "checkout-latency", "payments-availability", "ghost-availability"]
    assert found["ghost-availability"]["no_data"] == "no series in the period"
    assert found["ghost-availability"]["sli"] is None and found["ghost-availability"]["met"] is None
    # Day 5's six hours at 1% errors (03:00-09:00 UTC on the 19th) are the maintenance window of pay-outage.
    assert found["pay-outage"]["incidents"] == [] and found["pay-outage"]["pages"] == 0
    # ... because the alerts were replayed and held none, not because a replay starting in the window saw no data.
    assert "alerts_not_replayed" not in found["pay-outage"]
    assert found["pay-outage"]["sli"] == pytest.approx(1 - 0.0001, abs=1e-9)
    assert found["payments-availability"]["pages"] >= 1


def test_html_of_the_real_report(prometheus_url):
    """The merged renderer takes this report as it is: one page, the SLOs and owners in it, no script."""
    result = run("report", SPECS, "--prometheus", prometheus_url, "--period", "2024-09", "--format", "html",
                 "--history", "1")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.lstrip().lower().startswith("<!doctype html") and "<script" not in page.lower()
    for text in ("api-availability", "legacy-availability", "team-a", "b-rotation", "<svg"):
        assert text in page


def test_html_gets_the_report_and_each_burn_down(prometheus_url, monkeypatch):
    """`--format html` hands html.render_html the JSON object and, per SLO, the budget left from 1.0 at the start
    to 1 - budget_spent at the end, one point an hour."""
    import sys
    import types

    seen = {}

    def render_html(report, burndown):
        seen.update(report=report, burndown=burndown)
        return "<!doctype html>\n"

    monkeypatch.setitem(sys.modules, "slocompiler.live.report.html", types.SimpleNamespace(render_html=render_html))
    result = run("report", SPECS, "--prometheus", prometheus_url, "--period", "2024-09", "--format", "html",
                 "--history", "0", "--slo", "api-availability")
    assert result.exit_code == 0, result.output
    assert result.stdout == "<!doctype html>\n"
    entry = seen["report"]["slos"][0]
    points = seen["burndown"]["api-availability"]
    assert points[0] == (h.SEPTEMBER, 1.0) and points[-1][0] == h.OCTOBER
    assert points[-1][1] == pytest.approx(1 - entry["budget_spent"], rel=1e-9)
    assert len(points) == 30 * 24 + 1
    # The daytime outage: about 46% of the budget goes between the hour before it and the hour after.
    before = dict(points)[DAYTIME]
    after = dict(points)[DAYTIME + 2 * 3600]
    assert 0.45 < before - after < 0.48


def test_markdown_shows_spec_text_as_text(prometheus_url, tmp_path):
    """An owner or rotation name is the spec's text, never Markdown structure: no link, no HTML, no extra cell."""
    hostile = "[x](javascript:alert(1)) | <b>bold</b>"
    spec = h.SPEC.split("service legacy")[0].replace('owner  = "team-a"', f'owner  = "{hostile}"', 1)
    (tmp_path / "hostile.slo").write_text(spec, encoding="utf-8")
    result = run("report", str(tmp_path), "--prometheus", prometheus_url, "--period", "2024-09", "--format",
                 "markdown", "--history", "0", "--slo", "api-availability")
    assert result.exit_code == 0, result.output
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"html": True}).enable("table").parse(result.stdout)
    assert not [t for t in tokens if t.type.startswith("html")]
    inline = [child for t in tokens if t.children for child in t.children]
    assert not [t for t in inline if t.type in ("link_open", "html_inline")]
    assert any(t.content == hostile for t in inline if t.type == "text") or hostile.replace(" ", "") in \
        "".join(t.content for t in inline).replace(" ", "")
    header = next(line for line in result.stdout.splitlines() if line.startswith("| api"))
    assert len([cell for cell in header.split(" | ")]) == 11  # the `|` in the owner is escaped, no extra cell


def test_progress_on_a_terminal_only(prometheus_url):
    """A line per SLO on stderr when it is a terminal (a pseudo-terminal here); piped, nothing (the tests above)."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        # The installed `slo` beside this Python: `-m slocompiler` from the checkout would import the source tree,
        # which has no grammar inside the package (a regular install does).
        slo = str(Path(sys.executable).with_name("slo"))
        done = subprocess.run([slo, "report", SPECS, "--prometheus", prometheus_url,
                               "--period", "2024-09", "--history", "0", "--format", "json"],
                              stdout=subprocess.PIPE, stderr=follower, timeout=300)
        os.close(follower)
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    lines = said.decode().split()
    assert sorted(lines[1::2]) == sorted(JOB) and lines[0::2] == ["[1/3]", "[2/3]", "[3/3]"]
    assert strict_json(done.stdout.decode())["period"]["from"] == h.SEPTEMBER


def test_sums_over_several_series_and_over_error_series_that_never_exist(prometheus_url, tmp_path):
    """The sums add each series' own sum (two jobs' errors and totals here), and an errors selector with no series
    at all (`code="599"`) is no errors, not no data, in the period and in each previous one."""
    (tmp_path / "sums.slo").write_text("""\
service both {
  slo availability {
    objective = 99%
    indicator ratio {
      errors = `report_requests_total{job=~"rpt-api|rpt-search", code="500"}`
      total  = `report_requests_total{job=~"rpt-api|rpt-search"}`
    }
  }
  slo never-failed {
    objective = 99.9%
    indicator ratio {
      errors = `report_requests_total{job="rpt-api", code="599"}`
      total  = `report_requests_total{job="rpt-api"}`
    }
  }
}
""", encoding="utf-8")
    result = run("report", str(tmp_path / "sums.slo"), "--prometheus", prometheus_url, "--period", "2024-09",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    found = by_id(strict_json(result.stdout))
    periods = ((h.JUNE, h.JULY), (h.JULY, h.AUGUST), (h.AUGUST, h.SEPTEMBER), (h.SEPTEMBER, h.OCTOBER))
    for (frm, to), sli in zip(periods, [e["sli"] for e in found["both-availability"]["history"]]
                              + [found["both-availability"]["sli"]]):
        sums = [h.period_sums(job, frm, to) for job in ("rpt-api", "rpt-search")]
        assert sli == pytest.approx(1 - sum(b for b, _ in sums) / sum(t for _, t in sums), rel=1e-11)
    never = found["both-never-failed"]
    assert never["sli"] == 1 and never["budget_spent"] == 0 and never["pages"] == 0
    assert [e["sli"] for e in never["history"]] == [1, 1, 1]


def test_a_period_the_data_covers_in_part_says_so(prometheus_url):
    """The history begins on May 31st: a report of May 30th and 31st has the 31st's figures, and says they are the
    31st's only (in JSON, and as a note in text); a month the data covers says nothing."""
    span = ("--from", str(h.START - 86400), "--to", str(h.START + 86400), "--history", "0", "--slo", "api-availability")
    [api] = report(prometheus_url, *span)["slos"]
    part = api["coverage"]
    assert h.START <= part["from"] <= h.START + 10 * MIN and part["to"] == h.START + 86400
    assert part["share"] == pytest.approx(0.5, abs=0.01)
    text = run("report", SPECS, "--prometheus", prometheus_url, *span).stdout
    assert "data from 2024-05-31 00:0" in text and "to 2024-06-01 00:00 only, 50.0% of the period" in text, text
    assert "coverage" not in by_id(report(prometheus_url, "--period", "2024-09", "--history", "0"))["api-availability"]


def test_a_noisy_page_across_a_bound_is_noisy_once_and_spends_to_the_sums_end(prometheus_url):
    """The 2-minute burst's page fires from BURST + 1m to BURST + 6m; a bound at BURST + 3m cuts it. The first
    period reads past its end that it resolved within twice its short window (noisy, counted there), the second
    lists it as firing since before. The first's share runs to the end of its sums (`to + 2m`), where the
    second's begin: none of the page's minutes is lost between them."""
    bound = BURST + 3 * MIN
    first, second = (report(prometheus_url, "--from", str(frm), "--to", str(to), "--history", "0",
                            "--slo", "api-availability") for frm, to in ((bound - 3600, bound), (bound, bound + 3600)))
    noisy = [[p["start"] for p in owner["noisy_pages"]] for owner in (first["owners"][0], second["owners"][0])]
    assert noisy == [[BURST + MIN], []]
    assert [i["started_before"] for i in second["slos"][0]["incidents"]] == [True]
    bad = sum(h.rate_5m(lambda m: h.bad_at("rpt-api", m), t) for t in range(BURST + 2 * MIN, bound + 2 * MIN + 1, MIN))
    total = sum(h.rate_5m(lambda m: h.total_at("rpt-api", m), t)
                for t in range(bound - 3600 + 3 * MIN, bound + 2 * MIN + 1, MIN))
    assert first["slos"][0]["incidents"][0]["budget_spent"] == pytest.approx(bad / total / 0.001, rel=1e-6)
