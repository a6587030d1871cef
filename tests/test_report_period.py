"""The periods `slo report` covers: months, ISO weeks, quarters and --from/--to, in UTC or a zone, and the ones before."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from slocompiler.live.report.advice import advice, suggested
from slocompiler.live.report.period import PeriodError, choose, last_complete_month, parse_period

NOW = datetime(2026, 12, 4, 21, 0, tzinfo=timezone.utc).timestamp()


def utc(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


def test_month_week_quarter_in_utc():
    month = parse_period("2026-11", "UTC")
    assert (month.start, month.end, month.name) == (utc(2026, 11, 1), utc(2026, 12, 1), "2026-11")
    week = parse_period("2026-W47", "UTC")  # ISO week 47 of 2026: Monday 16 November
    assert (week.start, week.end, week.name) == (utc(2026, 11, 16), utc(2026, 11, 23), "2026-W47")
    quarter = parse_period("2026-Q4", "UTC")
    assert (quarter.start, quarter.end, quarter.name) == (utc(2026, 10, 1), utc(2027, 1, 1), "2026-Q4")
    assert parse_period("2026-w01", "UTC").start == utc(2025, 12, 29)  # week 1 holds the year's first Thursday


def test_a_zone_moves_the_bounds_and_keeps_dst():
    month = parse_period("2026-03", "Europe/Berlin")  # from CET (+1) to CEST (+2) on the 29th
    assert (month.start, month.end) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))
    assert month.title == "2026-03 (Europe/Berlin)"


def test_history_steps_back_by_whole_units():
    assert [p.name for p in parse_period("2026-01", "UTC").history(3)] == ["2025-10", "2025-11", "2025-12"]
    assert [p.name for p in parse_period("2026-W01", "UTC").history(2)] == ["2025-W51", "2025-W52"]
    assert [p.name for p in parse_period("2026-Q1", "UTC").history(1)] == ["2025-Q4"]
    custom = choose(None, utc(2026, 11, 10), utc(2026, 11, 12), "UTC", NOW)
    assert [(p.start, p.end) for p in custom.history(2)] == [(utc(2026, 11, 6), utc(2026, 11, 8)),
                                                              (utc(2026, 11, 8), utc(2026, 11, 10))]
    assert custom.name == "2026-11-10 00:00 to 2026-11-12 00:00 UTC"


def test_default_is_the_last_complete_month():
    assert choose(None, None, None, "UTC", NOW).name == "2026-11"
    assert last_complete_month("UTC", utc(2027, 1, 1)).name == "2026-12"
    # 00:30 on 1 December in Berlin is still November in UTC: the zone decides.
    assert last_complete_month("Europe/Berlin", utc(2026, 11, 30, 23, 30)).name == "2026-11"


@pytest.mark.parametrize(("period", "start", "end", "zone", "words"), [
    ("2026-12", None, None, "UTC", "2026-12 is not over yet (it ends 2027-01-01 00:00 UTC)"),
    ("2027-01", None, None, "UTC", "2027-01 has not started yet"),
    ("2026-00", None, None, "UTC", "'2026-00' is not a month"),
    ("1969-12", None, None, "UTC", "'1969-12' is not a month"),
    ("2026-W00", None, None, "UTC", "'2026-W00' is not an ISO week: 2026 has weeks 01 to 53"),
    ("26-11", None, None, "UTC", "'26-11' is not a period"),
    (None, 240.0, 120.0, "UTC", "is not before --to"),
    (None, 120.0, 360.0, "UTC", "--from 1970-01-01 00:02:00 UTC to --to 1970-01-01 00:06:00 UTC is shorter than "
                                "the SLI's 5m rates: a report covers at least 5 minutes"),
    (None, 120.5, 240.0, "UTC", "--from and --to must be whole minutes (the rules evaluate once a minute), "
                                "such as 1970-01-01 00:02:00 UTC"),
    (None, 90.0, 240.0, "UTC", "--from and --to must be whole minutes"),
    (None, 120.0, 270.0, "UTC", "--from and --to must be whole minutes"),
    (None, None, 240.0, "UTC", "--from and --to go together"),
    ("2026-11", None, None, "Nowhere/Land", "'Nowhere/Land' is not an IANA time zone"),
])
def test_bad_periods(period, start, end, zone, words):
    with pytest.raises(PeriodError, match=None) as found:
        choose(period, start, end, zone, NOW)
    assert words in str(found.value)


def test_ladder_and_wording():
    from decimal import Decimal as D

    assert suggested([D("0.0003"), D("0.0002"), D("0.00009")]) == D("0.9995")
    assert suggested([D("0.15")]) is None
    assert suggested([None, D("0.0001")]) is None
    said = advice("availability", D("0.999"), D("0.0002"), [D("0.0002"), D("0.00015"), D("0.0002")], "months")
    assert said == ("availability met 99.95% in each of the last 3 months and in this one while promising 99.9%: "
                    "99.95% would still leave 60.0% of budget in the worst of them")
    # Under a quarter spent, but nothing higher on the ladder is met: the budget is there to spend.
    said = advice("availability", D("0.9999"), D("0.00001"), [D("0.00001")], "weeks")
    assert said.startswith("availability spent under a quarter of its budget in the last week and in this one")
    said = advice("latency", D("0.99"), D("0.015"), [D("0.015"), D("0.005")], "months")
    assert said.startswith("latency missed 99% in 2 of the last 3 months including this one (SLI 98.5%, 99.5%, 98.5%)")
    assert said.endswith("; 95% was met in every one")
    assert advice("latency", D("0.99"), D("0.005"), [D("0.005"), D("0.005")], "months") is None  # half spent
    assert advice("latency", D("0.99"), D("0.005"), [None], "months") is None  # no data before


def test_exactly_at_the_objective_is_met_and_a_quarter_is_no_less(tmp_path):
    """Ratios from float sums land a hair off the decimal they stand for (0.24999999999997 of the budget for a
    quarter): an SLI exactly at 99.9% is met, and a quarter spent is not "under a quarter"."""
    from decimal import Decimal as D

    from slocompiler.live.report.figures import SloFigures, exact_ratio
    from slocompiler.workflow.compile import load

    at_objective = exact_ratio(1 - (1 - 1000 / 1_000_000))  # 1,000 failed of a million: 0.0010000000000000009
    assert at_objective == D("0.001")
    quarter = exact_ratio(0.00024999999999997)
    assert advice("availability", D("0.999"), quarter, [quarter], "months") is None
    assert advice("availability", D("0.999"), quarter * D("0.99"), [quarter * D("0.99")], "months") is not None
    assert suggested([at_objective]) == D("0.999")
    spec = tmp_path / "a.slo"
    spec.write_text('service a {\n  slo availability {\n    objective = 99.9%\n    sla = 99.5%\n    window = 30d\n'
                    '    indicator ratio {\n      errors = `e`\n      total = `t`\n    }\n  }\n}\n', encoding="utf-8")
    program = load([str(spec)]).program
    service = program.services[0]
    figures = SloFigures(service, service.slos[0], error_ratio=at_objective)
    assert (figures.met, figures.sla_met, figures.budget_spent, figures.sli) == (True, True, 1.0, 0.999)
    at_sla = SloFigures(service, service.slos[0], error_ratio=exact_ratio(1 - (1 - 5000 / 1_000_000)))
    assert (at_sla.met, at_sla.sla_met, at_sla.sli) == (False, True, 0.995)


def test_advice_counts_only_the_periods_with_data():
    from decimal import Decimal as D

    said = advice("availability", D("0.999"), D("0.0002"), [D("0.0002"), None, D("0.0002")], "months")
    assert "in each of the 2 previous months with data and in this one" in said, said
    said = advice("availability", D("0.999"), D("0.0002"), [None, D("0.0002")], "months")
    assert "in the previous month with data and in this one" in said, said
    said = advice("latency", D("0.99"), D("0.015"), [D("0.015"), None, D("0.02")], "months")
    assert said.startswith("latency missed 99% in 3 of the 3 months with data including this one "
                           "(SLI 98.5%, no data, 98%, 98.5%)"), said

def test_a_period_that_ended_minutes_ago_waits_for_its_last_data():
    """The sums read the 5m rates to 2 minutes past the end: a report run at 00:01 would change by 00:05."""
    just_after = utc(2026, 12, 1) + 60
    with pytest.raises(PeriodError) as found:
        choose(None, None, None, "UTC", just_after)
    assert str(found.value) == ("2026-11 ended less than 5 minutes ago: its last minutes' data is not all in yet, and "
                                "its figures would change; run the report from 2026-12-01 00:05 UTC")
    assert choose(None, None, None, "UTC", utc(2026, 12, 1) + 300).name == "2026-11"
