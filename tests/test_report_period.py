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
    assert suggested([0.9997, 0.9998, 0.99991]) == __import__("decimal").Decimal("0.9995")
    assert suggested([0.85]) is None
    assert suggested([None, 0.9999]) is None
    from decimal import Decimal

    said = advice("availability", Decimal("0.999"), 0.9998, [0.9998, 0.99985, 0.9998], "months")
    assert said == ("availability met 99.95% in each of the last 3 months and in this one while promising 99.9%: "
                    "99.95% would still leave 60.0% of budget in the worst of them")
    # Under a quarter spent, but nothing higher on the ladder is met: the budget is there to spend.
    said = advice("availability", Decimal("0.9999"), 0.99999, [0.99999], "weeks")
    assert said.startswith("availability spent under a quarter of its budget in the last week and in this one")
    said = advice("latency", Decimal("0.99"), 0.985, [0.985, 0.995], "months")
    assert said.startswith("latency missed 99% in 2 of the last 3 months including this one (SLI 98.5%, 99.5%, 98.5%)")
    assert said.endswith("; 95% was met in every one")
    assert advice("latency", Decimal("0.99"), 0.995, [0.995, 0.995], "months") is None  # half spent: nothing to say
    assert advice("latency", Decimal("0.99"), 0.995, [None], "months") is None  # no data before
