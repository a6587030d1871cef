"""Calendar SLOs in `slo status`, `gate`, `verify` and `backtest` against the real server (calendar_history.py).

The SLO-window figures are the period in progress at `--at`'s, counted by
hand here from history.py's counts as the period rule counts them; a day in
UTC and one in Europe/Berlin cross their boundaries an hour apart, so one
`--at` between them reads a spent day in one zone and a fresh one in the other.
"""

from __future__ import annotations

import calendar_history as ch
import history
import pytest
from helpers import run, strict_json

BUDGET = 0.001
BEFORE_UTC = ch.UTC_BOUNDARY - 1800  # 23:30 UTC on day 8: the UTC day holds the eu outage; Berlin's began at 23:00 UTC
AFTER_UTC = ch.UTC_BOUNDARY + 1800
BEFORE_BERLIN = ch.BERLIN_BOUNDARY - 1800  # 23:30 CET on day 8


@pytest.fixture
def spec(tmp_path) -> str:
    path = tmp_path / "cal.slo"
    path.write_text(ch.SPEC)
    return str(path)


def status(url: str, spec: str, at: int, *extra: str) -> dict[str, dict]:
    result = run("status", spec, "--prometheus", url, "--at", str(at), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return {item["slo_id"]: item for item in strict_json(result.stdout)}


def gate(url: str, spec: str, at: int, slo: str, *extra: str):
    return run("gate", spec, "--prometheus", url, "--at", str(at), "--slo", slo, "--source", "raw", *extra)


# The period in progress at --at, from --at's own zone; (slo, --at, period start)
CASES = [
    ("cal-utc", BEFORE_UTC, ch.UTC_BOUNDARY - ch.DAY),
    ("cal-utc", AFTER_UTC, ch.UTC_BOUNDARY),
    ("cal-berlin", BEFORE_BERLIN, ch.BERLIN_BOUNDARY - ch.DAY),
    ("cal-berlin", BEFORE_UTC, ch.BERLIN_BOUNDARY),
]


@pytest.mark.parametrize(("slo", "at", "start"), CASES)
def test_status_gives_the_period_in_progress(calendar_url, spec, slo, at, start):
    item = status(calendar_url, spec, at, "--source", "raw")[slo]
    ratio = ch.period_ratio(start, at)
    assert item["sli"] == pytest.approx(1 - ratio, rel=1e-12, abs=1e-12)
    assert item["error_budget_remaining"] == pytest.approx(1 - ratio / BUDGET, rel=1e-9)
    assert item["burn_rate"]["calendar day"] == pytest.approx(ratio / BUDGET, rel=1e-9)
    assert item["window"] == "calendar day"
    assert item["period"]["start"] == start and item["period"]["end"] == start + ch.DAY
    zone = "UTC" if slo == "cal-utc" else "Europe/Berlin"
    assert item["period"]["timezone"] == zone and item["period"]["unit"] == "day"
    # The rolling 1d alert window is another figure, derived from the 5m rates as its rule is (not the period's sum).
    rolling = history.period_ratio(ch.counts, at, ch.DAY, history.derived_weights)
    assert item["burn_rate"]["1d"] == pytest.approx(rolling / BUDGET, rel=1e-9)
    assert item["burn_rate"]["1d"] != item["burn_rate"]["calendar day"]


def test_the_boundary_resets_the_budget(calendar_url, spec):
    """The eu outage (30 minutes, every request failing) spent day 8; the next day's budget is whole but for 0.01%."""
    before, after = (status(calendar_url, spec, at, "--source", "raw")["cal-utc"] for at in (BEFORE_UTC, AFTER_UTC))
    assert before["error_budget_remaining"] < -5
    assert after["error_budget_remaining"] == pytest.approx(0.9, abs=1e-6)  # 0.01% errors of a 0.1% budget
    # At 23:30 UTC Berlin is half an hour into its new day, UTC still in the spent one.
    both = status(calendar_url, spec, BEFORE_UTC, "--source", "raw")
    assert both["cal-berlin"]["error_budget_remaining"] == pytest.approx(0.9, abs=1e-6)
    assert both["cal-berlin"]["period"]["start_rfc3339"] == "2023-11-23T00:00:00+01:00"


def test_text_names_the_period_never_the_nominal_length(calendar_url, spec):
    result = run("status", spec, "--prometheus", calendar_url, "--at", str(BEFORE_UTC), "--source", "raw")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "99.9% / calendar day (Europe/Berlin)" in text and "99.9% / calendar day (UTC)" in text
    assert "cal-berlin: SLI and budget over the calendar day (Europe/Berlin) so far, since 2023-11-23 00:00 CET" in text
    assert "cal-utc: SLI and budget over the calendar day (UTC) so far, since 2023-11-22 00:00 UTC" in text
    assert "/ 1d" not in text and "calendar day:" in text


def test_the_deployed_period_ratio_is_read_and_agrees(calendar_url, spec):
    """`slo:sli_error:ratio_period` (as the rule computes it) where deployed; the raw figure equals it."""
    for at in (BEFORE_UTC, AFTER_UTC):
        recorded = status(calendar_url, spec, at, "--source", "recorded", "--slo", "cal-utc")["cal-utc"]
        raw = status(calendar_url, spec, at, "--source", "raw", "--slo", "cal-utc")["cal-utc"]
        assert recorded["sli"] == pytest.approx(raw["sli"], rel=1e-12)
        assert recorded["error_budget_remaining"] == pytest.approx(raw["error_budget_remaining"], rel=1e-9)


@pytest.mark.parametrize("at", [BEFORE_UTC, AFTER_UTC])
def test_an_expr_slo_averages_its_5m_ratios_since_the_start(calendar_url, spec, at):
    item = status(calendar_url, spec, at, "--source", "raw")["cal-expr"]
    start = ch.UTC_BOUNDARY - ch.DAY if at < ch.UTC_BOUNDARY else ch.UTC_BOUNDARY
    assert item["burn_rate"]["calendar day"] == pytest.approx(ch.mean_ratio(start, at) / BUDGET, rel=1e-9)


def test_slices_since_the_start_over_the_whole_period(calendar_url, spec):
    """A calendar slice SLO: bad slices at whole hours since the start, over the day's 1,440 slices."""
    at = ch.UTC_BOUNDARY - 4 * 3600 + 600  # 20:10 on day 8: the hourly counts up to 20:00
    item = status(calendar_url, spec, at, "--source", "raw")["cal-slices"]
    bad = ch.bad_slices(ch.UTC_BOUNDARY - ch.DAY, at)
    assert bad == 30  # the eu outage's 30 minutes
    assert item["burn_rate"]["calendar day"] == pytest.approx(bad / 1440 / 0.01, rel=1e-9)
    after = status(calendar_url, spec, AFTER_UTC + 3600, "--source", "raw")["cal-slices"]
    assert after["sli"] == 1 and after["period"]["start"] == ch.UTC_BOUNDARY


@pytest.mark.parametrize(("slo", "blocked_at", "passes_at"), [
    ("cal-utc", BEFORE_UTC, AFTER_UTC),
    ("cal-berlin", BEFORE_BERLIN, BEFORE_UTC),
])
def test_gate_opens_when_the_period_resets(calendar_url, spec, slo, blocked_at, passes_at):
    blocked = gate(calendar_url, spec, blocked_at, slo)
    assert blocked.exit_code == 1, blocked.output
    zone, day = ("UTC", "2023-11-22 00:00 UTC") if slo == "cal-utc" else ("Europe/Berlin", "2023-11-22 00:00 CET")
    assert f"of the calendar day ({zone}) so far, since {day} (threshold <= 0%)" in blocked.stdout
    passed = gate(calendar_url, spec, passes_at, slo)
    assert passed.exit_code == 0, passed.output
    answer = strict_json(gate(calendar_url, spec, blocked_at, slo, "--format", "json").stdout)
    (entry,) = answer["blocked_by"]
    start = ch.UTC_BOUNDARY - ch.DAY if slo == "cal-utc" else ch.BERLIN_BOUNDARY - ch.DAY
    assert entry["figure"] == pytest.approx(1 - ch.period_ratio(start, blocked_at) / BUDGET, rel=1e-9)
    assert entry["period"]["start"] == start


def test_verify_compares_the_deployed_period_ratio(calendar_url, spec):
    """cal-berlin's deployed ratio is three times the true one: stale; cal-utc's is the rule's own: no finding."""
    result = run("verify", spec, "--prometheus", calendar_url, "--at", str(BEFORE_UTC), "--format", "json")
    findings = [d["message"] for d in strict_json(result.stdout)] if result.stdout.strip() else []
    stale = [m for m in findings if "slo:sli_error:ratio_period" in m]
    assert len(stale) == 1 and "cal-berlin" in stale[0], findings


def test_backtest_budget_resets_at_each_period_start(calendar_url, spec):
    frm, to = ch.UTC_BOUNDARY - 2 * 3600, ch.UTC_BOUNDARY + 2 * 3600
    result = run("backtest", spec, "--prometheus", calendar_url, "--from", str(frm), "--to", str(to),
                 "--slo", "cal-utc", "--slo", "cal-berlin", "--format", "json")
    assert result.exit_code == 0, result.output
    reports = {item["slo_id"]: item for item in strict_json(result.stdout)}
    utc = reports["cal-utc"]
    assert utc["period"] == "calendar day (UTC)"
    day8, day9 = utc["periods"]
    assert (day8["start"], day8["end"], day8["complete"]) == (ch.UTC_BOUNDARY - ch.DAY, ch.UTC_BOUNDARY, True)
    assert day8["error_budget_remaining"] == pytest.approx(
        1 - ch.period_ratio(ch.UTC_BOUNDARY - ch.DAY, ch.UTC_BOUNDARY) / BUDGET, rel=1e-9)
    assert (day9["start"], day9["complete"]) == (ch.UTC_BOUNDARY, False)
    expected = 1 - ch.period_ratio(ch.UTC_BOUNDARY, to) / BUDGET
    assert day9["error_budget_remaining"] == pytest.approx(expected, rel=1e-9)
    assert utc["error_budget_remaining_at_end"] == pytest.approx(expected, rel=1e-9)
    assert day8["error_budget_remaining"] < -5 < 0.8 < day9["error_budget_remaining"]
    # Berlin's day 9 began at 23:00 UTC.
    berlin = reports["cal-berlin"]
    assert [p["start"] for p in berlin["periods"]] == [ch.BERLIN_BOUNDARY - ch.DAY, ch.BERLIN_BOUNDARY]
    assert berlin["error_budget_remaining_at_end"] == pytest.approx(
        1 - ch.period_ratio(ch.BERLIN_BOUNDARY, to) / BUDGET, rel=1e-9)
    text = run("backtest", spec, "--prometheus", calendar_url, "--from", str(frm), "--to", str(to),
               "--slo", "cal-utc").stdout
    assert "error budget remaining per calendar day (UTC), reset at each start: 2023-11-22 -" in text
    assert "2023-11-23 " in text and "% (so far)" in text


def test_history_crosses_the_boundaries():
    """The fixture's premise: the outage sits in both zones' day 8, and the data covers both days."""
    outage = history.START + (8 * 1440 + 14 * 60) * 60
    assert ch.UTC_BOUNDARY - ch.DAY < outage < ch.BERLIN_BOUNDARY < ch.UTC_BOUNDARY
    assert history.START + ch.FIRST_MINUTE * 60 < ch.BERLIN_BOUNDARY - ch.DAY


@pytest.mark.parametrize("at", [ch.UTC_BOUNDARY, ch.UTC_BOUNDARY + 30, ch.UTC_BOUNDARY + 299])
def test_nothing_counted_yet_is_a_whole_budget(calendar_url, spec, at):
    """At the start, before the period's first 5m rate all past it, the rule reads 0 (`or 0 * total`): so does the raw figure."""
    found = status(calendar_url, spec, at, "--source", "raw")
    for slo in ("cal-utc", "cal-expr", "cal-slices"):
        assert found[slo]["sli"] == 1 and found[slo]["error_budget_remaining"] == 1, slo
        assert found[slo]["period"]["start"] == ch.UTC_BOUNDARY


def test_a_23_hour_day_in_berlin(calendar_url, spec):
    """2024-03-31 in Europe/Berlin: 23 hours, so 1,380 slices of 1m; its budget counts from 00:00 CET."""
    at = ch.DST_OUTAGE[1] + 3 * 3600  # 13:10 UTC, 15:10 CEST
    found = status(calendar_url, spec, at, "--source", "raw")
    slices, events = found["cal-dst-slices"], found["cal-dst"]
    for item in (slices, events):
        assert (item["period"]["start"], item["period"]["end"]) == (ch.DST_START, ch.DST_END)
        assert item["period"]["end_rfc3339"] == "2024-04-01T00:00:00+02:00"
    assert slices["burn_rate"]["calendar day"] == pytest.approx(10 / 1380 / 0.01, rel=1e-9)
    ratio = ch.period_ratio(ch.DST_START, at, ch.dst_counts)
    assert events["burn_rate"]["calendar day"] == pytest.approx(ratio / 0.01, rel=1e-9)
    # The rates at each minute from 00:05 CET on, 5 minutes of 100 requests each; the outage's 1,000 failures count 5 times.
    assert ratio == pytest.approx(1000 / (history.minute(at) - history.minute(ch.DST_START) - 4) / 100, rel=1e-9)
