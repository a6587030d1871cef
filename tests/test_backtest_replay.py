"""The replay on synthetic ratios: `for`, intervals, incidents, detection, reset, noise."""

from __future__ import annotations

from decimal import Decimal

from slocompiler.live.backtest.model import ConditionSpec, RuleSpec
from slocompiler.live.backtest.replay import firing, incidents, intervals, merge, replay, total_seconds

STEP = 60


def times(n: int, start: int = 0) -> list[int]:
    return [start + i * STEP for i in range(n)]


def test_firing_without_for_is_the_expression():
    holds = [False, True, True, False, True]
    assert firing(holds, times(5), 0) == holds


def test_firing_waits_for_for_and_a_single_miss_resets_it():
    # Held from t=60: pending at 60 and 120, firing from 180 (180 - 60 >= 120).
    holds = [False, True, True, True, True, False, True, True, True]
    assert firing(holds, times(9), 120) == [False, False, False, True, True, False, False, False, True]


def test_for_that_is_not_a_multiple_of_the_step():
    # for 90s at 60s steps: fires at the second evaluation after activeAt + 90s, i.e. 120s after.
    assert firing([True] * 4, times(4), 90) == [False, False, True, True]


def test_intervals_are_first_and_last_evaluation_and_clip_at_start():
    flags = [True, True, False, True, True, True]
    assert intervals(flags, times(6), 0) == ((0, 60), (180, 300))
    assert intervals(flags, times(6), 60) == ((60, 60), (180, 300))
    assert total_seconds(((0, 60), (180, 300)), STEP) == 120 + 180


def test_merge_joins_overlapping_and_adjacent_stretches():
    assert merge([[(0, 60), (300, 360)], [(120, 180)]], STEP) == ((0, 180), (300, 360))


def condition(severity="page", burn="14.4", long=3600, short=300, for_=0, key="1h"):
    burn = Decimal(burn)
    return ConditionSpec("A", severity, key, burn, burn * Decimal("0.001"), long, short, for_)


def test_incident_detection_reset_and_noise():
    # Ratio above 0.0144 at evaluations 2..4; a page from 4 to 6 (explained), one at 10 (noise).
    ratio = [0, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]
    pages = ((240, 360), (600, 600))
    found, noise = incidents(ratio, times(12), 0, 0.0144, 0.001, pages, 300)
    assert len(found) == 1
    incident = found[0]
    assert (incident.start, incident.end, incident.detected, incident.reset) == (120, 240, 120, 120)
    assert incident.peak_burn == 500
    assert noise == ((600, 600),)


def test_an_undetected_incident_and_an_ongoing_one():
    ratio = [0.5, 0, 0, 0.5]
    found, noise = incidents(ratio, times(4), 0, 0.0144, 0.001, (), 300)
    assert [(i.detected, i.reset, i.ongoing) for i in found] == [(None, None, False), (None, None, True)]
    assert noise == ()


def test_replay_of_one_condition_with_for_over_a_window_pair():
    page = condition(for_=120)
    # Long and short both above 0.0144 from evaluation 1 to 5; the short drops at 6.
    long = [0.0, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02]
    short = [0.0, 0.02, 0.02, 0.02, 0.02, 0.02, 0.01, 0.02]
    result = replay("s-a", {}, Decimal("0.999"), 30 * 86400, [RuleSpec("A", "page", (page,), 120)],
                    {3600: long, 300: short}, times(8), 0, 420, STEP, 300, 0.5)
    assert result.conditions[0].intervals == ((180, 300),)
    assert result.rules[0].intervals == ((180, 300),)
    assert result.pages == ((180, 300),)
    # The 5m ratio is above 0.0144 at 1..5 and at 7 (the last, so ongoing).
    assert [(i.start, i.end, i.detected, i.ongoing) for i in result.incidents] == [(60, 300, 120, False), (420, 420, None, True)]
    assert result.noise == ()


def test_a_joined_rule_fires_when_either_pair_holds_and_has_one_for():
    fast = condition()
    slow = condition(burn="6", long=21600, short=1800, key="6h")
    short5 = [0.02, 0.02, 0.0, 0.0]
    one_hour = [0.02, 0.02, 0.0, 0.0]
    six_hours = [0.0, 0.007, 0.007, 0.0]
    half_hour = [0.0, 0.007, 0.007, 0.007]
    rule = RuleSpec("A", "page", (fast, slow), 60)
    result = replay("s-a", {}, Decimal("0.999"), 30 * 86400, [rule],
                    {300: short5, 3600: one_hour, 21600: six_hours, 1800: half_hour}, times(4), 0, 180, STEP, 300, None)
    assert result.rules[0].label == "page"
    # Held at 0, 1, 2 (first pair, then the second): firing from 60 to 120.
    assert result.rules[0].intervals == ((60, 120),)


def test_missing_and_nan_never_exceed():
    page = condition()
    nan = float("nan")
    result = replay("s-a", {}, Decimal("0.999"), 86400, [RuleSpec("A", "page", (page,), 0)],
                    {3600: [None, nan, 1.0], 300: [1.0, 1.0, None]}, times(3), 0, 120, STEP, 300, None)
    assert result.pages == ()


def guarded_page(min_failures=10, for_=0):
    burn = Decimal("14.4")
    return ConditionSpec("A", "page", "1h", burn, burn * Decimal("0.001"), 3600, 300, for_, min_failures)


def test_min_failures_withholds_a_page_and_says_how_many_failures_it_stood_for():
    page = guarded_page()
    # The pair holds at 1..3 and at 6..9; the count reaches 10 only at 8.
    pair = [0.0, 0.02, 0.02, 0.02, 0.0, 0.0, 0.02, 0.02, 0.02, 0.02]
    counts = [0.0, 0.83, 1.67, 1.67, 1.67, 1.67, 5.0, 9.17, 10.0, 12.5]
    result = replay("s-a", {}, Decimal("0.999"), 30 * 86400, [RuleSpec("A", "page", (page,), 0)],
                    {3600: pair, 300: pair}, times(10), 0, 540, STEP, 300, None, {3600: counts})
    # Exactly `>= 10`, as the rule compares: 10.0 pages.
    assert result.pages == ((480, 540),)
    (fired,) = result.conditions
    assert [(w.start, w.end, w.failures) for w in fired.withheld] == [(60, 180, 1.67), (360, 420, 9.17)]
    # The first stretch sent no page at all; the second ran into the page: sent later, not saved.
    assert [(w.start, w.end, w.failures) for w in result.saved] == [(60, 180, 1.67)]


def test_without_counts_a_guarded_condition_never_holds_and_an_unguarded_one_ignores_them():
    pair = [0.02, 0.02]
    for needed, pages in ((10, ()), (0, ((0, 60),))):
        page = guarded_page(needed)
        result = replay("s-a", {}, Decimal("0.999"), 30 * 86400, [RuleSpec("A", "page", (page,), 0)],
                        {3600: pair, 300: pair}, times(2), 0, 60, STEP, 300, None, {3600: [None, float("nan")]})
        assert result.pages == pages


def test_for_runs_on_the_guarded_expression():
    page = guarded_page(for_=120)
    pair = [0.02] * 6
    counts = [5.0, 12.0, 12.0, 12.0, 12.0, 12.0]
    result = replay("s-a", {}, Decimal("0.999"), 30 * 86400, [RuleSpec("A", "page", (page,), 120)],
                    {3600: pair, 300: pair}, times(6), 0, 300, STEP, 300, None, {3600: counts})
    # Pending from 60 (the first evaluation with enough failures), firing from 180; unguarded it fired from 120.
    assert result.pages == ((180, 300),)
    assert [(w.start, w.end) for w in result.rules[0].withheld] == [(120, 120)]


def test_a_derived_window_without_its_latest_rate_keeps_the_sum_as_the_rules_do():
    """queries.derived_ratio falls back to the sum when the latest 5m rate is absent; the replay must too."""
    from slocompiler.core import queries
    from slocompiler.live.backtest import derived

    hours = 2 * 3600
    rates = derived._Window([1.0] * 120 + [None])  # two hours of rates, then a missed one
    # [t - 2h + 150s, t] holds the points 3..120 at 1m; 120 is the missing one.
    assert derived._events(rates, 120, hours, period=False) == (hours - queries.DERIVED_EDGE) // 60
    assert derived._events(derived._Window([None] * 3), 2, hours, period=False) is None
