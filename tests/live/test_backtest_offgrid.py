"""A backtest off the whole-minute grid: derived windows come from the server's subqueries and agree with the grid's."""

from __future__ import annotations

import math
from pathlib import Path

import history

from slocompiler.live.backtest import derived as backtest_derived
from slocompiler.live.backtest.fetch import Grid, window_ratio
from slocompiler.live.backtest.run import Range, run
from slocompiler.live.client import Connection, Prometheus
from slocompiler.workflow.compile import load

SPEC = Path(__file__).parent / "backtest" / "shop.slo"
# Two hours around day 8's total outage of checkout eu (14:00-14:30): ratios swing from 0.0001 to 0.5.
START = history.START + 8 * 86400 + 13 * 3600
END = START + 2 * 3600
SHIFT = 30  # seconds off the minute
TOLERANCE = 0.01


def regional():
    program = load([str(SPEC)]).program
    return next(slo for service in program.services for slo in service.slos if slo.id == "checkout-regional")


class Counting(Prometheus):
    """The real client, noting each range query's expression."""

    def __init__(self, url: str) -> None:
        super().__init__(Connection(url))
        self.asked: list[str] = []

    def query_range(self, expr, start, end, step):
        self.asked.append(expr)
        return super().query_range(expr, start, end, step)

    def query_range_each(self, expr, start, end, step, consume):
        self.asked.append(expr)
        return super().query_range_each(expr, start, end, step, consume)


def test_derived_windows_off_the_grid_agree_with_the_grid(prometheus_url):
    slo = regional()
    on, off = Grid(START, END, 60), Grid(START + SHIFT, END + SHIFT, 60)
    assert backtest_derived.replayable(on.start, on.step) and not backtest_derived.replayable(off.start, off.step)
    windows = [w for w in (7200, 6 * 3600, 86400, slo.window) if backtest_derived.derives(slo, w)]
    assert len(windows) == 4
    with Counting(prometheus_url) as client:
        for window in windows:
            client.asked.clear()
            shifted = window_ratio(client, slo, window, off)
            # The server summed the 5m rates itself: one subquery at 1m, no prefix sums here.
            assert len(client.asked) == 1 and "[5m:1m]" not in client.asked[0] and ":1m])" in client.asked[0]
            aligned = window_ratio(client, slo, window, on)
            assert sorted(shifted) == sorted(aligned) == [("eu",), ("us",)]
            for key in aligned:
                values, moved = aligned[key], shifted[key]
                assert all(v is not None and math.isfinite(v) for v in values + moved)
                for i in range(len(values) - 1):
                    # 30s later the subquery reads the same 1m-aligned 5m rates less the window's first, and
                    # as its latest term the raw 5m rate at t+30s (extrapolated): the value lies between the
                    # grid's at t and at t+1m, within 1% of it (the most seen is 0.7%, at the outage's edges).
                    low, high = sorted((values[i], values[i + 1]))
                    assert low * (1 - TOLERANCE) <= moved[i] <= high * (1 + TOLERANCE), (window, key, i)
            # us had no outage here: its error ratio is the same at every minute, so the two agree exactly.
            assert all(abs(a - b) <= 1e-9 * a for a, b in zip(aligned[("us",)], shifted[("us",)]))


def test_replay_off_the_grid_fires_as_on_it(prometheus_url):
    program = load([str(SPEC)]).program
    with Prometheus(Connection(prometheus_url)) as client:
        aligned = run(program, client, Range(START, END, 60))
        shifted = run(program, client, Range(START + SHIFT, END + SHIFT, 60))
    assert [(r.slo_id, r.group) for r in aligned] == [(r.slo_id, r.group) for r in shifted]
    fired = 0
    for a, b in zip(aligned, shifted):
        assert [x.label for x in a.conditions] == [x.label for x in b.conditions]
        for x, y in zip(a.conditions, b.conditions):
            assert len(x.intervals) == len(y.intervals), (a.slo_id, a.group, x.label)
            for first, second in zip(x.intervals, y.intervals):
                # The same evaluations, 30s later; a step either way where a ratio crosses the threshold there.
                assert abs(second[0] - SHIFT - first[0]) <= 60 and abs(second[1] - SHIFT - first[1]) <= 60
                fired += 1
    assert fired >= 3  # eu's outage pages, in checkout-availability and checkout-regional
