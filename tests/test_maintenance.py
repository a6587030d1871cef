"""core/maintenance.py: occurrences against facts checked by hand, the PromQL against them through the real promtool."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import UTC, datetime

import pytest

from slocompiler.core import calendar as cal
from slocompiler.core import maintenance as m
from slocompiler.core.ir import Maintenance, Span

HOUR = 3600
DAY = 86400
SPAN = Span("test.slo", 1, 1)


def utc(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


def recurring(every: str, at: str, hours: float, zone: str) -> Maintenance:
    hh, mm = at.split(":")
    return Maintenance(f"{every}-{at}", int(hours * HOUR), SPAN, every=every, at=int(hh) * HOUR + int(mm) * 60,
                       timezone=zone)


def once(start: int, hours: float) -> Maintenance:
    return Maintenance("once", int(hours * HOUR), SPAN, start=start)


# ---------------------------------------------------------------------------
# The reference


def test_a_weekly_window_keeps_its_local_time_across_the_change_to_summer_time():
    window = recurring("sunday", "02:00", 2, "Europe/Berlin")
    starts = [start for start, _ in m.occurrences(window, utc(2026, 3, 20), utc(2026, 4, 6))]
    # 22 March: CET (01:00 UTC); 29 March: 02:00 does not exist, read with CET's offset (fold=0): 01:00 UTC,
    # which is 03:00 CEST; 5 April: CEST (00:00 UTC).
    assert starts == [utc(2026, 3, 22, 1), utc(2026, 3, 29, 1), utc(2026, 4, 5, 0)]


def test_a_local_time_that_happens_twice_is_its_first_instance():
    # 25 October 2026, Berlin: 02:00-03:00 happens in CEST, then again in CET. fold=0: the CEST one.
    window = recurring("sunday", "02:30", 1, "Europe/Berlin")
    assert m.occurrences(window, utc(2026, 10, 24), utc(2026, 10, 26)) == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))]


def test_for_is_elapsed_time_and_may_cross_midnight_and_last_longer_than_a_day():
    daily = recurring("day", "23:30", 2, "America/New_York")
    assert m.occurrences(daily, utc(2026, 7, 1, 12), utc(2026, 7, 2, 12)) == [(utc(2026, 7, 2, 3, 30), utc(2026, 7, 2, 5, 30))]
    long = recurring("friday", "20:00", 60, "UTC")
    # Running on Sunday morning: it started on Friday.
    assert m.occurrences(long, utc(2026, 12, 6, 6), utc(2026, 12, 6, 7)) == [(utc(2026, 12, 4, 20), utc(2026, 12, 7, 8))]


def test_next_occurrence_is_the_running_one_else_the_next_and_a_past_one_off_has_none():
    window = recurring("sunday", "02:00", 2, "UTC")
    assert m.next_occurrence(window, utc(2026, 12, 6, 3)) == (utc(2026, 12, 6, 2), utc(2026, 12, 6, 4))
    assert m.next_occurrence(window, utc(2026, 12, 6, 4)) == (utc(2026, 12, 13, 2), utc(2026, 12, 13, 4))
    one = once(utc(2026, 12, 5, 2), 3)
    assert m.next_occurrence(one, utc(2026, 12, 1)) == (utc(2026, 12, 5, 2), utc(2026, 12, 5, 5))
    assert m.next_occurrence(one, utc(2026, 12, 5, 4)) == (utc(2026, 12, 5, 2), utc(2026, 12, 5, 5))
    assert m.next_occurrence(one, utc(2026, 12, 5, 5)) is None


def test_active_at_covers_the_window_and_the_pad_after_it():
    one = once(utc(2026, 12, 5, 2), 3)
    start, end = utc(2026, 12, 5, 2), utc(2026, 12, 5, 5)
    assert [m.active_at([one], t, 300) for t in (start - 1, start, end - 1, end, end + 299, end + 300)] == \
        [False, True, True, True, True, False]
    assert not m.active_at([one], end, 0)


# ---------------------------------------------------------------------------
# The PromQL through the real promtool: one file, every case evaluated at its own instant (time()).

PAD = 300
PROMTOOL_WINDOWS = (
    recurring("sunday", "02:00", 2, "Europe/Berlin"),  # DST changes fall on Sundays, at 02:00/03:00 local
    recurring("sunday", "02:30", 1, "Europe/Berlin"),  # in the gap in March, twice in October
    recurring("day", "23:30", 2, "Europe/Berlin"),  # across midnight, every day
    recurring("sunday", "01:30", 30, "America/New_York"),  # longer than a day; 01:30 twice on 1 November
    recurring("day", "02:30", 1, "America/New_York"),  # in the gap on 8 March
    recurring("day", "22:00", 20, "Europe/Berlin"),  # longer than half a period: ends past the clock's midpoint
    recurring("saturday", "22:15", 3, "Asia/Kathmandu"),  # +05:45, no DST
    recurring("day", "00:00", 1, "UTC"),
    once(utc(2026, 12, 5, 2), 3),
)
# Around each zone's changes of 2026, and one of 2044 near the table's end.
SPELLS = ((utc(2026, 3, 6), utc(2026, 3, 10)), (utc(2026, 3, 27), utc(2026, 4, 1)),
          (utc(2026, 10, 23), utc(2026, 10, 27)), (utc(2026, 10, 30), utc(2026, 11, 3)),
          (utc(2026, 12, 4), utc(2026, 12, 7)), (utc(2044, 10, 28), utc(2044, 11, 8)))
# Outside the rules' table years, where only a live command's span (`within`) is exact: around 2024's and 2050's
# changes in Berlin (the last Sundays of March and October) and New York (the second Sunday of March, the first
# of November).
LIVE_SPELLS = ((utc(2024, 3, 6), utc(2024, 3, 12)), (utc(2024, 3, 28), utc(2024, 4, 3)),
               (utc(2024, 10, 24), utc(2024, 10, 29)), (utc(2024, 10, 31), utc(2024, 11, 5)),
               (utc(2050, 3, 10), utc(2050, 3, 15)), (utc(2050, 3, 24), utc(2050, 3, 29)),
               (utc(2050, 10, 27), utc(2050, 11, 1)), (utc(2050, 11, 3), utc(2050, 11, 8)))


def promtool_instants(window: Maintenance, rng: random.Random, spells=SPELLS) -> list[int]:
    """Both sides of every start, end and padded end in the spells, and a few instants at random."""
    instants: set[int] = set()
    for frm, to in spells:
        for start, end in m.occurrences(window, frm, to):
            instants |= {start - 1, start, end - 1, end, end + PAD - 1, end + PAD}
        instants |= {rng.randrange(frm, to) for _ in range(3)}
    return sorted(instants)


def _case(expr: str, t: int, active: bool) -> str:
    samples = "\n          - labels: '{}'\n            value: 1\n" if active else " []\n"
    return f"      - expr: {expr}\n        eval_time: {t}s\n        exp_samples:{samples}"


def maintenance_test_file() -> str:
    cases = []
    for index, window in enumerate(PROMTOOL_WINDOWS):
        text = m.active_promql([window], PAD)
        for number, t in enumerate(promtool_instants(window, random.Random(index))):
            expr = f"&w{index} {json.dumps(text)}" if number == 0 else f"*w{index}"
            cases.append(_case(expr, t, m.active_at([window], t, PAD)))
        # Cut to each spell's instants (`within`, as `slo report` writes it): the same answers there, and the
        # right ones before and after the rules' table years too (live/outside.py).
        for frm, to in (*SPELLS, *LIVE_SPELLS):
            near = [t for t in promtool_instants(window, random.Random(index), (*SPELLS, *LIVE_SPELLS))
                    if frm - DAY <= t <= to + DAY]
            if near:
                cut = json.dumps(m.active_promql([window], PAD, within=(near[0], near[-1])))
                cases += [_case(cut, t, m.active_at([window], t, PAD)) for t in near]
    # Several windows in one expression, and a literal `now` as generated tests write it.
    both = PROMTOOL_WINDOWS[0], PROMTOOL_WINDOWS[-1]
    for t in (utc(2026, 12, 5, 1), utc(2026, 12, 5, 3), utc(2026, 12, 6, 1, 30), utc(2026, 12, 6, 3, 2)):
        cases.append(_case(json.dumps(m.active_promql(both, PAD)), t, m.active_at(both, t, PAD)))
        cases.append(_case(json.dumps(m.active_promql(both, 0, now=str(t))), 0, m.active_at(both, t, 0)))
    return ("evaluation_interval: 1d\ntests:\n  - interval: 1d\n    input_series: []\n    promql_expr_test:\n"
            + "".join(cases))


def test_the_cases_are_not_all_alike():
    text = maintenance_test_file()
    assert text.count("value: 1") > 100 and text.count("exp_samples: []") > 100


def test_the_promql_is_active_exactly_when_the_reference_is(promtool, tmp_path):
    path = tmp_path / "maintenance.test.yml"
    path.write_text(maintenance_test_file(), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(path)], check=False, capture_output=True, text=True,
                            timeout=300)
    lines = [line.split(", time: ")[-1] if "expr:" in line else line for line in result.stdout.splitlines()]
    assert result.returncode == 0, "\n".join(lines[:40]) + result.stderr[-2000:]


def test_a_table_cut_to_a_span_keeps_its_values_there_and_only_the_steps_within():
    table = cal.clock_table(m.tabled_occurrences("sunday", 2 * HOUR, "Europe/Berlin"))
    lo, hi = utc(2026, 3, 1), utc(2026, 11, 1)
    cut = table.within((lo, hi))
    assert len(cut.steps) == 2 and len(table.steps) > 40 and table.within(None) == table
    rng = random.Random(7)
    for t in [lo, hi, *(s for s, _ in cut.steps), *(rng.randrange(lo, hi + 1) for _ in range(200))]:
        assert cut.at(t) == table.at(t)
    assert "bool" not in m.active_promql([recurring("sunday", "02:00", 2, "Europe/Berlin")], PAD,
                                         within=(utc(2024, 6, 1), utc(2024, 10, 1)))


def test_without_a_clock_change_the_expression_has_no_table():
    assert "bool" not in m.active_promql([recurring("saturday", "22:15", 3, "Asia/Kathmandu")], PAD)
    assert "bool" in m.active_promql([recurring("sunday", "02:00", 2, "Europe/Berlin")], PAD)


@pytest.mark.parametrize("window", PROMTOOL_WINDOWS[:7])
def test_the_tables_cover_the_table_years(window):
    periods = m.tabled_occurrences(window.every, window.at, window.timezone)
    first, end = cal.table_range()
    assert periods[0].start < first and periods[-1].start >= end


def test_before_the_table_the_rules_keep_the_first_offset(promtool, tmp_path):
    # Berlin kept CET all year in 1970, as the table's first offset (December 2024) does: Saturday 3 January, 21:00 UTC.
    window = recurring("saturday", "22:00", 2, "Europe/Berlin")
    assert m.occurrences_before_table(window, 0, 11 * 86400) == [(69 * HOUR, 71 * HOUR), (237 * HOUR, 239 * HOUR)]
    cases = [_case(json.dumps(m.active_promql([window], 0)), t, 69 * HOUR <= t < 71 * HOUR)
             for t in (69 * HOUR - 1, 69 * HOUR, 71 * HOUR - 1, 71 * HOUR)]
    path = tmp_path / "early.test.yml"
    path.write_text("evaluation_interval: 1d\ntests:\n  - interval: 1d\n    input_series: []\n    promql_expr_test:\n"
                    + "".join(cases), encoding="utf-8")
    result = subprocess.run([promtool, "test", "rules", str(path)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
