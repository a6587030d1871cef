"""core/calendar.py: calendar periods in a time zone, the reference against known facts, the PromQL through the real promtool."""

from __future__ import annotations

import calendar as gregorian
import json
import math
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slocompiler.core import calendar as cal
from slocompiler.core.units import format_duration

HOUR = 3600


def utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


def offset(zone: str, t: int) -> int:
    return datetime.fromtimestamp(t, cal.zone_info(zone)).utcoffset() // timedelta(seconds=1)


def hours(unit: str, zone: str, t: int) -> float:
    start, end = cal.period_bounds(unit, zone, t)
    return (end - start) / HOUR


# ---------------------------------------------------------------------------
# The reference against facts checked by hand


def test_a_berlin_day_lasts_23_hours_in_march_and_25_in_october():
    # 2026-03-29 starts at 00:00 CET (UTC+1) and ends at 00:00 CEST (UTC+2).
    assert cal.period_bounds("day", "Europe/Berlin", utc(2026, 3, 29, 12)) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert cal.period_bounds("day", "Europe/Berlin", utc(2026, 10, 25, 12)) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert hours("day", "Europe/Berlin", utc(2026, 10, 25, 12)) == 25
    assert hours("day", "Europe/Berlin", utc(2026, 7, 1)) == 24


def test_weeks_start_on_monday_months_quarters_and_years_on_the_first():
    t = utc(2026, 3, 29, 12)  # a Sunday
    assert cal.period_bounds("week", "Europe/Berlin", t) == (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22))
    assert cal.period_bounds("month", "Europe/Berlin", t) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))
    assert cal.period_bounds("quarter", "Europe/Berlin", t) == (utc(2025, 12, 31, 23), utc(2026, 3, 31, 22))
    assert cal.period_bounds("quarter", "Europe/Berlin", utc(2026, 11, 2)) == (utc(2026, 9, 30, 22), utc(2026, 12, 31, 23))
    assert cal.period_bounds("year", "Europe/Berlin", t) == (utc(2025, 12, 31, 23), utc(2026, 12, 31, 23))
    # Midnight on Monday itself starts the week; a second before, the week before.
    assert cal.period_bounds("week", "Europe/Berlin", utc(2026, 3, 29, 22))[0] == utc(2026, 3, 29, 22)
    assert cal.period_bounds("week", "Europe/Berlin", utc(2026, 3, 29, 22) - 1)[0] == utc(2026, 3, 22, 23)


def test_utc_and_fixed_offset_zones():
    assert cal.period_bounds("day", "UTC", utc(2026, 5, 5, 5)) == (utc(2026, 5, 5), utc(2026, 5, 6))
    assert cal.period_bounds("month", "UTC", utc(2028, 2, 10)) == (utc(2028, 2, 1), utc(2028, 3, 1))  # 29 days
    assert cal.period_bounds("year", "UTC", utc(2028, 2, 10)) == (utc(2028, 1, 1), utc(2029, 1, 1))
    # Etc/GMT+5 is UTC-5 (POSIX signs).
    assert cal.period_bounds("day", "Etc/GMT+5", utc(2026, 5, 5, 12)) == (utc(2026, 5, 5, 5), utc(2026, 5, 6, 5))
    # Asia/Kathmandu is UTC+5:45 all year.
    assert cal.period_bounds("day", "Asia/Kathmandu", utc(2026, 1, 1, 12)) == (utc(2025, 12, 31, 18, 15), utc(2026, 1, 1, 18, 15))


def test_lord_howe_changes_its_clocks_by_half_an_hour():
    # UTC+11 in summer, +10:30 in winter: the first Sunday of April lasts 24.5
    # hours, the first Sunday of October 23.5.
    assert cal.period_bounds("day", "Australia/Lord_Howe", utc(2026, 4, 5, 6)) == (utc(2026, 4, 4, 13), utc(2026, 4, 5, 13, 30))
    assert hours("day", "Australia/Lord_Howe", utc(2026, 10, 4, 6)) == 23.5


def test_chatham_changes_its_clocks_at_a_quarter_to():
    # UTC+12:45, +13:45 from the last Sunday of September, 2:45 local.
    assert cal.period_bounds("day", "Pacific/Chatham", utc(2026, 9, 27, 0)) == (utc(2026, 9, 26, 11, 15), utc(2026, 9, 27, 10, 15))


def test_santiago_changes_its_clocks_at_midnight():
    # Clocks go back at 24:00 on the first Saturday of April (Sunday 00:00 -03
    # becomes Saturday 23:00 -04): Saturday lasts 25 hours.
    assert cal.period_bounds("day", "America/Santiago", utc(2026, 4, 4, 12)) == (utc(2026, 4, 4, 3), utc(2026, 4, 5, 4))
    # They jump from Saturday 24:00 -04 to Sunday 01:00 -03 in September:
    # Sunday has no midnight and starts with the jump, 23 hours long.
    sunday = cal.period_bounds("day", "America/Santiago", utc(2026, 9, 6, 12))
    assert sunday == (utc(2026, 9, 6, 4), utc(2026, 9, 7, 3))
    assert cal.period_bounds("week", "America/Santiago", utc(2026, 9, 6, 12))[1] == utc(2026, 9, 7, 3)
    assert datetime.fromtimestamp(sunday[0], cal.zone_info("America/Santiago")).hour == 1


def test_period_starts_lists_the_boundaries_in_a_range():
    starts = cal.period_starts("month", "Europe/Berlin", utc(2026, 1, 1), utc(2026, 5, 1))
    assert starts == [utc(2026, 1, 31, 23), utc(2026, 2, 28, 23), utc(2026, 3, 31, 22), utc(2026, 4, 30, 22)]
    assert cal.period_starts("day", "UTC", utc(2026, 1, 1), utc(2026, 1, 3)) == [utc(2026, 1, 1), utc(2026, 1, 2)]


def test_unknown_units_and_zones_are_refused():
    with pytest.raises(ValueError, match="fortnight"):
        cal.period_bounds("fortnight", "UTC", 0)
    with pytest.raises(ValueError, match="fortnight"):
        cal.period_start_promql("fortnight", "UTC")
    with pytest.raises(KeyError):  # zoneinfo.ZoneInfoNotFoundError
        cal.period_bounds("day", "Mars/Olympus_Mons", 0)


def test_the_nominal_lengths_are_the_languages():
    assert cal.NOMINAL_DAYS == {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}


def test_the_table_warns_a_year_before_it_ends():
    first, end = cal.table_range()
    assert (first, end) == (utc(cal.TABLE_FIRST_YEAR, 1, 1), utc(cal.TABLE_LAST_YEAR + 1, 1, 1))
    assert not cal.table_runs_out(utc(2026, 6, 1))
    assert not cal.table_runs_out(end - 366 * 86400)
    assert cal.table_runs_out(end - 365 * 86400)
    assert cal.table_runs_out(end + 1)


# ---------------------------------------------------------------------------
# The reference's properties

PROPERTY_ZONES = (
    "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
    "America/Havana", "Asia/Beirut", "Antarctica/Casey", "America/St_Johns", "UTC", "Etc/GMT+5",
)  # fmt: skip


def _first_day_of(unit: str, day: date) -> bool:
    return {
        "day": True,
        "week": day.weekday() == 0,
        "month": day.day == 1,
        "quarter": day.day == 1 and day.month in (1, 4, 7, 10),
        "year": (day.month, day.day) == (1, 1),
    }[unit]


@settings(max_examples=300, deadline=None)
@given(
    unit=st.sampled_from(cal.UNITS),
    zone=st.sampled_from(PROPERTY_ZONES),
    t=st.integers(min_value=utc(1990, 1, 1), max_value=utc(2060, 1, 1)),
)
def test_periods_hold_their_instant_start_at_local_midnight_and_tile_the_line(unit, zone, t):
    start, end = cal.period_bounds(unit, zone, t)
    assert start <= t < end
    first = cal.local_date(zone, start)
    assert cal.local_date(zone, start - 1) < first and _first_day_of(unit, first)
    if datetime.fromtimestamp(start, cal.zone_info(zone)).time() != datetime.min.time():
        assert offset(zone, start) > offset(zone, start - 1)  # not midnight: the clocks jumped over it
    assert cal.period_bounds(unit, zone, start) == (start, end)
    assert cal.period_bounds(unit, zone, start - 1)[1] == start
    assert cal.period_bounds(unit, zone, end)[0] == end
    assert 24 * HOUR - cal.MAX_CLOCK_CHANGE <= end - start <= cal.MAX_PERIOD_SECONDS[unit]


# ---------------------------------------------------------------------------
# What the PromQL computes, step by step in Python: every boundary of the table


def _local_days(unit: str, clock: float, end: bool) -> int:
    """The PromQL's local day number of the period's start (or end) on the local clock `clock`."""
    day_number = math.floor(clock / cal.DAY)
    local = datetime.fromtimestamp(math.floor(clock), UTC).date()
    day_of_year = local.timetuple().tm_yday
    leap = int(local.year % 4 == 0)
    quarter = (local.month - 1) // 3
    if unit == "day":
        return day_number + end
    if unit == "week":
        return math.floor((clock + 3 * cal.DAY) / cal.WEEK) * 7 - 3 + 7 * end
    if unit == "month":
        return day_number - local.day + 1 + end * gregorian.monthrange(local.year, local.month)[1]
    if unit == "quarter":
        if end:
            return day_number - day_of_year + 1 + math.floor(quarter * 91.75 + 90.125 + leap)
        return day_number - day_of_year + 1 + max(math.floor(quarter * 91.75 - 1.625 + leap), 0)
    return day_number - day_of_year + 1 + end * (365 + leap)


def emulated(unit: str, zone: str, now: float, end: bool = False) -> int:
    clock = now + cal.clock_offsets(unit, zone).at(now)
    offsets = cal.end_offsets(unit, zone) if end else cal.start_offsets(unit, zone)
    return _local_days(unit, clock, end) * cal.DAY - offsets.at(now)


def fixed_offset_bounds(unit: str, offset_seconds: int, t: int) -> tuple[int, int]:
    """The periods of a zone that keeps one offset: what the PromQL gives outside its table."""
    start_day = cal.period_start_date(unit, datetime.fromtimestamp(t + offset_seconds, UTC).date())
    end_day = cal.next_period_date(unit, start_day)
    return cal.wall_seconds(start_day) - offset_seconds, cal.wall_seconds(end_day) - offset_seconds


def expected_bounds(unit: str, zone: str, t: int) -> tuple[int, int]:
    """The reference inside the table, the first or last offset kept outside it."""
    periods = cal.tabled_periods(unit, zone)
    if t < periods[0].start:
        return fixed_offset_bounds(unit, periods[0].offset, t)
    if t >= periods[-1].start:
        return fixed_offset_bounds(unit, periods[-1].offset, t)
    return cal.period_bounds(unit, zone, t)


EMULATED_ZONES = (*PROPERTY_ZONES, "America/New_York", "Australia/Sydney", "Africa/Casablanca", "Europe/Dublin")


@pytest.mark.parametrize("zone", EMULATED_ZONES)
def test_the_promql_arithmetic_finds_every_boundary_of_the_table(zone):
    for unit in cal.UNITS:
        periods = cal.tabled_periods(unit, zone)
        starts = [period.start for period in periods]
        # The period after the table's last start ends where the last offset puts it.
        starts.append(expected_bounds(unit, zone, starts[-1])[1])
        for previous, boundary, following in zip(starts, starts[1:], starts[2:]):
            assert emulated(unit, zone, boundary - 1) == previous, (unit, boundary)
            assert emulated(unit, zone, boundary - 1, end=True) == boundary, (unit, boundary)
            for t in (boundary, boundary + 1):
                assert (emulated(unit, zone, t), emulated(unit, zone, t, end=True)) == (boundary, following), (unit, t)


def test_the_table_holds_the_references_periods():
    for unit in cal.UNITS:
        periods = cal.tabled_periods(unit, "America/Santiago")
        for period, following in zip(periods[::50], periods[1::50]):
            assert cal.period_bounds(unit, "America/Santiago", period.start) == (period.start, following.start)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Santiago", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_outside_the_table_the_first_and_last_offsets_are_kept(zone):
    rng = random.Random(24)
    first, end = cal.table_range()
    for unit in cal.UNITS:
        for t in [rng.randrange(0, first) for _ in range(20)] + [rng.randrange(end + 8 * 86400, utc(2090, 1, 1)) for _ in range(20)]:
            assert (emulated(unit, zone, t), emulated(unit, zone, t, end=True)) == expected_bounds(unit, zone, t)
            start, stop = expected_bounds(unit, zone, t)
            assert start <= t < stop


# ---------------------------------------------------------------------------
# The PromQL text through the real promtool
#
# promtool's time starts at 0, but an eval_time may be decades long: the
# plain `time()` form is evaluated at the very instants it is meant for. A
# few cases evaluate the same text with a number for `now` at time 0, as
# generated tests of a DST day will.

PROMTOOL_ZONES = ("Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC", "Etc/GMT+5")
NEAR_EPOCH = (0, 82_799, 82_800, 86_399, 86_400, 4 * 86_400 - 1, 4 * 86_400)


def _boundaries(unit: str, zone: str, rng: random.Random) -> list[int]:
    """The table's period starts to check: every one for years (and quarters without daylight saving); else a sample.

    The sample: both sides of a few offset changes (the first two, the last
    two, two more at random), the table's first and last starts, six at
    random. The Python emulation above checks every start; promtool shows
    the text computes what the emulation does (a case costs a few
    milliseconds: Prometheus 2.42 evaluates these expressions in time
    quadratic in their size).
    """
    starts = [period.start for period in cal.tabled_periods(unit, zone)]
    changes = [index for index, start in enumerate(starts) if start in dict(cal.start_offsets(unit, zone).steps)]
    if unit == "year" or (unit == "quarter" and not changes):
        return starts
    sampled = changes[:2] + changes[-2:] + rng.sample(changes, min(2, len(changes)))
    chosen = {starts[i] for index in sampled for i in (index - 1, index)}
    chosen |= set(starts[:2] + starts[-2:]) | set(rng.sample(starts, 6))
    return sorted(chosen)


def promtool_instants(unit: str, zone: str) -> list[int]:
    rng = random.Random(f"{unit} {zone}")
    first, end = cal.table_range()
    instants = {t for boundary in _boundaries(unit, zone, rng) for t in (boundary - 1, boundary)}
    clock_steps = [threshold for threshold, _ in cal.clock_offsets(unit, zone).steps]
    instants |= {t for threshold in rng.sample(clock_steps, min(4, len(clock_steps))) for t in (threshold - 1, threshold)}
    instants |= {rng.randrange(first, end) for _ in range(6)}
    instants |= {rng.randrange(0, first) for _ in range(2)} | {rng.randrange(end, utc(2080, 1, 1)) for _ in range(2)}
    return sorted(instants | set(NEAR_EPOCH))


def _case(expr: str, eval_time: int, value: int) -> str:
    return (
        f"      - expr: {expr}\n        eval_time: {eval_time}s\n"
        f"        exp_samples:\n          - labels: '{{}}'\n            value: {value}\n"
    )


def _test_group(cases: list[str]) -> str:
    return "  - interval: 1d\n    input_series: []\n    promql_expr_test:\n" + "".join(cases)


def plain_form_group(unit: str, zone: str, name: str) -> str:
    """Start and end at each instant, the expressions written once (YAML anchors)."""
    cases = []
    for which, index in (("start", 0), ("end", 1)):
        text = cal.period_start_promql(unit, zone) if which == "start" else cal.period_end_promql(unit, zone)
        anchor = f"{name}_{which}"
        for number, t in enumerate(promtool_instants(unit, zone)):
            expr = f"&{anchor} {json.dumps(text)}" if number == 0 else f"*{anchor}"
            cases.append(_case(expr, t, expected_bounds(unit, zone, t)[index]))
    return _test_group(cases)


def literal_now_group() -> str:
    """The same text with a number for `now`, at time 0: Berlin's DST days of 2026."""
    cases = []
    for unit in cal.UNITS:
        for t in (utc(2026, 3, 28, 23) - 1, utc(2026, 3, 29, 12), utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)):
            start, end = cal.period_bounds(unit, "Europe/Berlin", t)
            cases.append(_case(json.dumps(cal.period_start_promql(unit, "Europe/Berlin", now=str(t))), 0, start))
            cases.append(_case(json.dumps(cal.period_end_promql(unit, "Europe/Berlin", now=f"{t} + 0")), 0, end))
    return _test_group(cases)


def run_promtool(promtool: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", str(path)], check=False, capture_output=True, text=True, timeout=300)


def test_the_promql_gives_the_references_periods_in_promtool(promtool, tmp_path):
    groups = [literal_now_group()]
    for zone in PROMTOOL_ZONES:
        for unit in cal.UNITS:
            groups.append(plain_form_group(unit, zone, f"{unit}_{zone.replace('/', '_').replace('+', 'p')}"))
    # Two files, one per core: promtool runs the groups of a file one after the other.
    paths = []
    for index, share in enumerate((groups[0::2], groups[1::2])):
        path = tmp_path / f"calendar_{index}.test.yml"
        path.write_text("evaluation_interval: 1d\ntests:\n" + "".join(share), encoding="utf-8")
        paths.append(path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda path: run_promtool(promtool, path), paths))
    for result in results:
        assert result.returncode == 0, failures(result.stdout + result.stderr)


def failures(output: str) -> str:
    """promtool's failures without the expressions (kilobytes each): eval time, expected, got."""
    lines = [line.split(", time: ")[-1] if "expr:" in line else line for line in output.splitlines() if line.strip()]
    return "\n".join(lines[:60])


def test_near_the_epoch_berlin_keeps_its_1970_offset():
    """The generated tests start at 0: Berlin was UTC+1 then, as at the table's start, so its periods there are real."""
    for unit in cal.UNITS:
        for t in NEAR_EPOCH:
            assert expected_bounds(unit, "Europe/Berlin", t) == cal.period_bounds(unit, "Europe/Berlin", t)
    assert cal.period_bounds("day", "Europe/Berlin", 82_800) == (82_800, 82_800 + 86_400)


# ---------------------------------------------------------------------------
# Events since the period start, from a recorded 5m rate

SINCE_START_TEST = """
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # 1 event/s for 90 minutes, then 3; the period starts at 1h.
      - series: 'slo:sli_events_bad:rate5m{slo_id="x"}'
        values: '1x89 3x90'
      - series: 'slo:period_start:timestamp{slo_id="x"}'
        values: '0x59 3600x120'
    promql_expr_test:
"""


def test_since_start_counts_the_events_of_the_current_period(promtool, tmp_path):
    expr = cal.since_start_promql(
        'slo:sli_events_bad:rate5m{slo_id="x"}',
        'slo:period_start:timestamp{slo_id="x"}',
        format_duration(cal.MAX_PERIOD_SECONDS["month"]),
    )
    # At 2h: the rates at 65m..85m (5 steps of 1/s) and 90m..120m (7 of 3/s),
    # 300 s each; those of the period before (0m..60m) are left out.
    expected = {7200: 5 * 300 + 7 * 900, 7350: 5 * 300 + 7 * 900, 3900: 300, 5400: 5 * 300 + 900}
    cases = [
        f"      - expr: '{expr}'\n        eval_time: {t}s\n        exp_samples:\n"
        f"          - labels: '{{slo_id=\"x\"}}'\n            value: {value}\n"
        for t, value in expected.items()
    ]
    # Before the first 5 minutes of the period are over there is no step yet: no sample.
    cases.append(f"      - expr: '{expr}'\n        eval_time: 3660s\n        exp_samples: []\n")
    path = tmp_path / "since_start.test.yml"
    path.write_text(SINCE_START_TEST + "".join(cases), encoding="utf-8")
    result = run_promtool(promtool, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[31d3h:5m]" in expr
