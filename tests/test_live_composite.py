"""live/composite.py without a server: the composite formula in Python (backtest, contributions) and its PromQL (status)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from slocompiler.core.promql import parse
from slocompiler.live import composite, silence
from slocompiler.workflow.compile import load

SPEC = """service s {
  owner = "t"
  slo a { objective = 99.9%  window = 7d  indicator ratio { errors = `a_errors`  total = `a_total` } }
  slo b {
    objective = 99%
    window    = 7d
    indicator ratio { errors = `b_errors`  total = `b_total` }
    maintenance nightly { every = day  at = "02:00"  for = 1h }
  }
  slo c { objective = 99%  window = 7d  indicator ratio { errors = `c_errors`  total = `c_total` } }
  slo sum {
    objective = 99.5%
    window    = 7d
    composite {
      s-a { weight = 2 }
      s-b { weight = 1  when_no_data = bad }
      s-c { weight = 1  when_no_data = skip }
    }
  }
  slo worst {
    objective = 99.5%
    window    = 7d
    composite {
      s-a { weight = 1 }
      s-b { weight = 3  when_no_data = good }
      aggregate = worst
    }
  }
  slo journey { objective = 99%  window = 7d  composite { s-sum { weight = 1 } } }
}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec")
    (folder / "s.slo").write_text(SPEC, encoding="utf-8")
    loaded = load([str(folder)])
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


def found(program, slo_id, ratios):
    slo = program.slo(slo_id)
    return slo, [(m, s, ratios[s.id]) for m, s in composite.members(program, slo)]


def test_sum_weighs_members_and_applies_when_no_data(program):
    slo, parts = found(program, "s-sum", {"s-a": 0.001, "s-b": 0.002, "s-c": None})
    assert composite.combine(slo, parts) == pytest.approx(2 * 0.001 + 0.002)  # c skipped
    slo, parts = found(program, "s-sum", {"s-a": 0.001, "s-b": None, "s-c": 0.5})
    assert composite.combine(slo, parts) == 1.0  # b counts bad (1): capped at 1
    contributions = composite.contributions(slo, [(m, s, r, None) for m, s, r in parts])
    assert [c.term for c in contributions] == [pytest.approx(0.002), 1.0, 0.5]
    assert sum(c.share for c in contributions) == pytest.approx(1)


def test_worst_is_the_highest_weighted_burn_times_the_composites_budget(program):
    slo, parts = found(program, "s-worst", {"s-a": 0.002, "s-b": 0.005})
    # a burns 2x its 0.1% budget, b 3 x 0.5x of its 1%: 2x wins, times 0.5% = 1%.
    assert composite.combine(slo, parts) == pytest.approx(0.01)
    slo, parts = found(program, "s-worst", {"s-a": None, "s-b": None})
    assert composite.combine(slo, parts) == 0.0  # a skipped (the default), b good
    slo, parts = found(program, "s-sum", {"s-a": None, "s-b": 0.0, "s-c": None})
    assert composite.combine(slo, parts) == 0.0
    assert composite.scale(slo, *composite.members(program, slo)[0]) == Decimal(2)


def test_no_term_is_no_data(program):
    slo = program.slo("s-sum")
    skipped = [(m, s, None) for m, s in composite.members(program, slo) if m.when_no_data == "skip"]
    assert composite.combine(slo, skipped) is None


NIGHT = 1796437800  # 2026-12-05T02:30:00Z, inside s-b's nightly window
NOON = 1796472000  # 2026-12-05T12:00:00Z


def test_an_idle_member_is_left_out_whatever_its_when_no_data(program):
    """Review of issue 25: a `bad` member without traffic (0/0) counted 1 and paged the journey on a quiet night."""
    slo, parts = found(program, "s-sum", {"s-a": 0.001, "s-b": math.nan, "s-c": None})
    assert composite.combine(slo, parts) == pytest.approx(0.002)
    contributions = composite.contributions(slo, [(m, s, r, None) for m, s, r in parts])
    assert [c.term for c in contributions] == [pytest.approx(0.002), None, None]
    assert contributions[1].ratio is None
    slo, parts = found(program, "s-sum", {"s-a": math.nan, "s-b": math.nan, "s-c": None})
    assert math.isnan(composite.combine(slo, parts))  # idle, as the rules record it: not "no data"


def test_a_member_in_maintenance_is_left_out_whatever_its_when_no_data(program):
    slo, parts = found(program, "s-sum", {"s-a": 0.001, "s-b": None, "s-c": None})
    assert composite.combine(slo, parts, NIGHT) == pytest.approx(0.002)
    assert composite.combine(slo, parts, NOON) == 1.0  # no series outside its window: counted bad
    assert composite.combine(slo, parts, NIGHT + 1800 + 240) == pytest.approx(0.002)  # 03:04: within the 5m pad after the window


def test_the_promql_parses_and_names_every_member(program):
    slo = program.slo("s-sum")
    text = composite.ratio_promql(program, slo, lambda member: f"{member.id.replace('-', '_')}_ratio")
    parse(text)
    assert all(f"s_{name}_ratio" in text for name in "abc") and "vector(1)" in text and text.startswith("clamp_max(sum(")


def test_composites_of_follows_composites_of_composites(program):
    assert [slo.id for _, slo in composite.composites_of(program, "s-b")] == ["s-sum", "s-worst", "s-journey"]
    assert [slo.id for _, slo in composite.composites_of(program, "s-sum")] == ["s-journey"]
    assert composite.composites_of(program, "s-journey") == []


def test_a_members_silent_share_counts_as_its_when_no_data(program):
    """core/silence.py: bad counts 1 over the silent share; a good or skipped member has no share."""
    slo = program.slo("s-sum")
    parts = [(m, s) for m, s in composite.members(program, slo)]
    combine = composite.combiner(slo, parts)
    # a (weight 2) 0.001 known; b (bad) 0.002 known over the rest of the window, silent a quarter of it.
    assert combine([0.001, 0.002, None], NOON, [0.0, 0.25, 0.0]) == pytest.approx(2 * 0.001 + (1 - 0.998 * 0.75))
    # Review of issue 25: b counted good over its silent share diluted its errors by the time it was gone.
    assert [m.slo_id for m in silence.counting(program.slo("s-worst"))] == []
    assert [m.slo_id for m in silence.counting(slo)] == ["s-b"]
    contributions = composite.contributions(slo, [(m, s, r, None) for (m, s), r in zip(parts, [0.001, 0.002, None])],
                                            NOON, {"s-b": 0.25})
    assert [c.silent for c in contributions] == [None, 0.25, None]
    assert contributions[1].term == pytest.approx(1 - 0.998 * 0.75)


def test_the_promql_counts_each_members_silent_share(program):
    slo = program.slo("s-sum")
    text = composite.ratio_promql(program, slo, lambda member: f"{member.id.replace('-', '_')}_ratio",
                                  lambda member: "vector(0.25)" if member.slo_id == "s-b" else None)
    parse(text)
    # Once in the blend, once in the idle stand-in (0 over the rest while it is silent).
    assert text.count("max(vector(0.25))") == 2 and text.count("max(s_b_ratio)") == 1  # the costly part once


def test_silent_seconds_sum_over_each_window():
    from slocompiler.live import silence

    times = [60 * i for i in range(10)]
    values = [0, 0, 60, 60, 60, 0, 0, 0, 0, 0]
    assert silence.shares(values, times, 120) == [0, 0, 0.5, 1.0, 1.0, 0.5, 0, 0, 0, 0]
    assert silence.shares(values, times, 600)[-1] == pytest.approx(0.3)


class RangeReads:
    """Stands in for the server: the 5m ratio is there at even minutes; records each range read."""

    def __init__(self) -> None:
        self.ranges: list[tuple[float, float]] = []

    def query_range_each(self, expr, start, end, step, consume) -> None:
        from slocompiler.live.client import Series

        self.ranges.append((start, end))
        consume([Series({}, [(t, 0.0) for t in range(int(start), int(end) + 1, int(step)) if t % 120 == 0])])


def test_a_commands_windows_read_each_minute_of_a_members_ratio_once():
    """Review of issue 25: each window of a raw status replayed its member from a month of 1m reads again."""
    from slocompiler.live import silence

    client = RangeReads()
    last = 600 * 60
    hour = list(range(last - 3600, last + 1, 60))
    day = list(range(last - 6 * 3600, last + 1, 60))
    assert silence.present_at(client, "x", hour) == [t % 120 == 0 for t in hour]
    assert silence.present_at(client, "x", day) == [t % 120 == 0 for t in day]
    assert silence.present_at(client, "x", hour[10:]) == [t % 120 == 0 for t in hour[10:]]
    assert client.ranges == [(hour[0], last), (day[0], hour[0] - 60)]


def test_an_idle_member_that_went_silent_counts_its_silent_share(program):
    """Review of issue 25: NaN over what it recorded (no traffic) dropped its term, silent share and all."""
    slo = program.slo("s-sum")
    combine = composite.combiner(slo, composite.members(program, slo))
    assert combine([0.001, math.nan, None], NOON, [0.0, 0.25, 0.0]) == pytest.approx(2 * 0.001 + 0.25)
    assert combine([0.001, math.nan, None], NOON, [0.0, 0.0, 0.0]) == pytest.approx(2 * 0.001)  # idle: no term
    parts = [(m, s, r, None) for (m, s), r in zip(composite.members(program, slo), [0.001, math.nan, None])]
    assert composite.contributions(slo, parts, NOON, {"s-b": 0.25})[1].term == pytest.approx(0.25)


def test_maintenance_under_a_nested_member_leaves_it_out(tmp_path):
    """Review of issue 25: the rules rest a member without series while an SLO under it is in maintenance; the live
    figures must too, or a backtest pages where the rules do not."""
    from test_composite_silence import NESTED

    (tmp_path / "m.slo").write_text(NESTED, encoding="utf-8")
    nested = load([str(tmp_path / "m.slo")]).program
    journey = nested.slo("m-journey")
    parts = composite.members(nested, journey)
    inside, after = 90 * 60, 130 * 60  # m-api's window runs 01:00-02:00 UTC (and its 5m pad)
    assert composite.combiner(journey, parts, nested)([None], inside) is None
    assert composite.combiner(journey, parts, nested)([None], after) == 1.0
    assert composite.combiner(journey, parts)([None], inside) == 1.0  # without the program: its own windows only
    text = composite.ratio_promql(nested, journey, lambda member: "x")
    parse(text)
    assert "unless on ()" in text
