"""Error-ratio histories for generated promtool tests, and what the alert rules make of them.

A history is a list of phases `(error ratio, seconds)` at constant traffic,
sampled every `step` from t=0, where rules are evaluated every `step` too.
With samples on the evaluation grid, a
`rate()` over [W] at t covers exactly the increments in (t-W, t] (fewer
when t < W), so each window's error ratio is the time average of the phases
it spans. `rule_fires` predicts an alert rule from that, exactly, in decimals.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from ..core import calendar, queries, sremath
from ..core.conventions import CURRENT_BURN_WINDOW
from ..core.ir import Condition, Slo, ThresholdIndicator
from .alert_text import Unprintable, round_seconds

Phases = list[tuple[Decimal, int]]
# Ratios this close (relative) to a threshold are a coin toss in floating point.
TIE = Decimal("0.000001")

# promtool expands a series written `a+bxn` by adding b in binary floating
# point, which is exact for whole numbers only (below 2**53). So a history's
# ratios have at most RATIO_DIGITS significant digits and RATIO_PLACES places,
# and it counts 10**places events per step (at least MIN_EVENTS_PER_STEP):
# every count is a whole number, written and summed exactly. 10**12 events a
# step over a few thousand steps stays below 2**53.
RATIO_DIGITS = 6
RATIO_PLACES = 12
MIN_EVENTS_PER_STEP = 1000


def exact_ratio(value: Decimal) -> Decimal:
    """`value` rounded down to a ratio a history realises exactly (RATIO_DIGITS digits, RATIO_PLACES places)."""
    if value <= 0:
        return Decimal(0)
    exponent = max(value.adjusted() - RATIO_DIGITS + 1, -RATIO_PLACES)
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN).normalize()


def events_per_step(phases: Phases) -> int:
    """All events per step of a history: enough that each phase's bad events are a whole number."""
    places = max((-ratio.normalize().as_tuple().exponent for ratio, _ in phases), default=0)
    return max(MIN_EVENTS_PER_STEP, 10 ** max(places, 0))  # type: ignore[operator]


# A threshold history realises its ratios as a share of this many gauges
# (ratios in steps of 1/40): each sample is one event, so an exact 0.0144
# would need 10,000 series, which promtool would replay for minutes.
SAMPLE_SERIES = 40


def samples_per_step(slo: Slo) -> int:
    """The gauges of a threshold SLO's made-up inputs (SAMPLE_SERIES), else 0."""
    return SAMPLE_SERIES if isinstance(slo.indicator, ThresholdIndicator) else 0


class Tie(Exception):
    """A window's ratio sits on a threshold: the float result cannot be predicted."""


def window_ratio(phases: Phases, t: int, window: int, step: int) -> Decimal | None:
    """The error ratio over (t - window, t]; None before the second sample."""
    start = max(0, t - window)
    if t - start < step:
        return None
    bad = Decimal(0)
    position = 0
    for ratio, length in phases:
        low, high = max(position, start), min(position + length, t)
        if high > low:
            bad += ratio * (high - low)
        position += length
    return bad / (t - start)


def sampled(phases: Phases, t: int, window: int, step: int) -> tuple[Decimal, int]:
    """A threshold history's samples in (t - window, t]: the sum of their bad shares, and how many steps hold them.

    One sample per gauge every step from t = 0 (the sample at 0 belongs to the
    first phase, the one at a phase's end to that phase), as the rules record
    `slo:sli_sample_good:bool` at every evaluation.
    """
    first = max(0, (t - window) // step + 1) * step
    total, count, position = Decimal(0), 0, 0
    bounds = []
    for ratio, length in phases:
        bounds.append((position, position + length, ratio))
        position += length
    for u in range(first, t + 1, step):
        ratio = next((r for low, high, r in bounds if low < u <= high), bounds[0][2] if u == 0 else Decimal(0))
        total += ratio
        count += 1
    return total, count


def slo_window_ratio(slo: Slo, phases: Phases, t: int, window: int, step: int) -> Decimal | None:
    """`window_ratio` for events, or the share of bad samples for a threshold SLO."""
    if not isinstance(slo.indicator, ThresholdIndicator):
        return window_ratio(phases, t, window, step)
    total, count = sampled(phases, t, window, step)
    return total / count if count else None


def _above(ratio: Decimal | None, limit: Decimal) -> bool:
    if ratio is None:
        return False
    if abs(ratio - limit) <= limit * TIE:
        raise Tie()
    return ratio > limit


def pair_value(slo: Slo, condition: Condition, phases: Phases, t: int, step: int,
               events: Decimal = Decimal(1000), eval_step: int | None = None) -> Decimal | None:
    """The long-window ratio when both windows are above the condition's threshold at t (and `min_failures` met), else None."""
    limit = sremath.threshold(condition.burn, slo.objective)
    long_ratio = slo_window_ratio(slo, phases, t, condition.long, step)
    if not (_above(long_ratio, limit) and _above(slo_window_ratio(slo, phases, t, condition.short, step), limit)):
        return None
    needed = queries.min_failures(slo, condition)
    counted = failures_within(phases, t, condition.long, step, events, eval_step or step,
                              isinstance(slo.indicator, ThresholdIndicator))
    if needed and not _enough(counted, needed):
        return None
    return long_ratio


def failures_within(phases: Phases, t: int, window: int, step: int, events: Decimal,
                    eval_step: int, samples: bool = False) -> Decimal | None:
    """What `queries.failures_within` reads at t: the recorded 5m bad-event rates summed over the window, times 5m, over their count in 5m.

    The 5m rate recorded at u (every `eval_step`, from the first evaluation
    with two samples) counts the bad events in (u - 5m, u] (from the first
    sample, a counter starting at 0, no extrapolation); `events` per sampling
    `step`. Prometheus 2 ranges include their start: [t - W, t]; the count's
    range is 299s (`queries.INTERVAL_RANGE`), which holds 300 s / eval_step samples.
    With `samples` (a threshold SLO), the rate at u counts the bad samples in
    (u - 5m, u], `events` gauges a step.
    """
    five = CURRENT_BURN_WINDOW

    def rate(u: int) -> Decimal:
        if samples:
            return sampled(phases, u, five, step)[0] * events / five
        ratio = window_ratio(phases, u, five, step)
        return Decimal(0) if ratio is None else ratio * events * (min(u, five) // step) / five

    if window == five:
        return rate(t) * five
    # A counter's rate needs two samples; a judged sample counts from the first.
    recorded = [u for u in range(t - t % eval_step, -1, -eval_step) if u >= (0 if samples else step)]
    in_window = [u for u in recorded if u >= t - window]
    in_five = [u for u in recorded if u >= t - queries.INTERVAL_RANGE]
    if not in_five:
        return None
    return sum((rate(u) for u in in_window), Decimal(0)) * five / len(in_five)


# A count this close (relative) to `min_failures` depends on which edge samples the range holds.
COUNT_MARGIN = Decimal("0.2")


def _enough(count: Decimal | None, needed: int) -> bool:
    if count is None:
        return False
    if abs(count - needed) <= needed * COUNT_MARGIN:
        raise Tie()
    return count >= needed


def rule_value(slo: Slo, conditions: tuple[Condition, ...], phases: Phases, t: int, step: int,
               events: Decimal = Decimal(1000), eval_step: int | None = None) -> Decimal | None:
    """The value of an `or` of window pairs at t: the first pair's that holds, else None."""
    for condition in conditions:
        value = pair_value(slo, condition, phases, t, step, events, eval_step)
        if value is not None:
            return value
    return None


def rule_fires(slo: Slo, conditions: tuple[Condition, ...], phases: Phases, t: int, step: int,
               events: Decimal | None = None, eval_step: int | None = None) -> bool:
    """Whether the rule fires at t: it held at every evaluation (every `eval_step`, default `step`) over its `for`."""
    hold = conditions[0].for_ or 0
    if events is None:
        events = Decimal(samples_per_step(slo) or events_per_step(phases))
    if t - hold < 0:
        return False
    return all(rule_value(slo, conditions, phases, earlier, step, events, eval_step) is not None
               for earlier in range(t - hold, t + 1, eval_step or step))


def humanize_stable(ratio: Decimal) -> bool:
    """Whether `humanizePercentage` (Go's %.4g of ratio * 100) surely prints what the exact ratio rounds to."""
    scaled = ratio * 100
    if scaled == 0:
        return True
    unit = Decimal(1).scaleb(scaled.adjusted() - 3)
    remainder = (scaled / unit) % 1
    return abs(remainder - Decimal("0.5")) > Decimal("0.0001")


def grid_step(slos: list[Slo], longest: int = 300) -> int:
    """The sampling and evaluation step of a test file: at most `longest`, dividing every window, `for` and `no_data`."""
    step = longest
    for slo in slos:
        for condition in slo.alerting.conditions:
            for seconds in (condition.long, condition.short, condition.for_ or 0):
                step = math.gcd(step, seconds)
        step = math.gcd(step, slo.alerting.no_data or 0)
        # Slices end on the grid, and the rate over a slice reads samples at both its ends.
        step = math.gcd(step, slo.slices.length if slo.slices else 0)
    return step


def period_ratio(phases: Phases, t: int, window: int, step: int, eval_step: int, samples: bool = False,
                 start: int | None = None) -> Decimal | None:
    """The SLO window's recorded error ratio at t: the 5m bad rates recorded over the window, summed, over the total.

    Each 5m rate (recorded every `eval_step` from the first evaluation with
    two samples) spans `min(u, 5m) / step` sampling steps at constant traffic,
    so the sums weigh each 5m error ratio by that; None before the first.
    With `samples` (a threshold SLO) each 5m rate counts the judged samples
    in (u - 5m, u], from the first evaluation.

    With `start`, a calendar SLO's period ratio (emit/calendar_rules.py) for
    the period starting then: the labelled 5m rate recorded at u carries the
    start the period group recorded an evaluation before (promtool evaluates
    the SLI group first), so it counts when u - eval_step >= start, and only
    once its 5 minutes are all past the start. With none yet, 0 (the rule's
    fallback, once a 5m total exists).
    """
    five = CURRENT_BURN_WINDOW
    first = 0 if samples else step
    recorded = [u for u in range(0, t + 1, eval_step)
                if u >= first and (u >= t - window if start is None else u - max(eval_step, five) >= start)]
    if not recorded:
        return Decimal(0) if start is not None and t >= first else None
    if samples:
        counts = [sampled(phases, u, five, step) for u in recorded]
        return sum((bad for bad, _ in counts), Decimal(0)) / sum(count for _, count in counts)
    weights = [Decimal(min(u, five) // step) for u in recorded]
    bad = sum((w * (window_ratio(phases, u, five, step) or 0) for u, w in zip(recorded, weights)), Decimal(0))
    return bad / sum(weights)


def slo_period_ratio(slo: Slo, phases: Phases, t: int, step: int, eval_step: int) -> Decimal | None:
    """The SLO window's recorded ratio at t: since the period start for a calendar SLO, else over the rolling window."""
    samples = bool(samples_per_step(slo))
    if slo.calendar is None:
        return period_ratio(phases, t, slo.window, step, eval_step, samples)
    start = calendar.period_bounds(slo.calendar, slo.timezone, t)[0]
    return period_ratio(phases, t, slo.window, step, eval_step, samples, start)


class Readings:
    """What an alert's template queries return at t (alert_text.py's keys), computed when first asked.

    Lazily, as the template's chain of pairs asks: a pair after the one
    that holds is never queried, so its tie with a threshold does not matter.
    The budget remaining is the period group's, evaluated after the alert's
    group: the alert reads the one recorded a step before.
    """

    def __init__(self, slo: Slo, conditions: tuple[Condition, ...], phases: Phases, t: int, step: int,
                 events: Decimal, eval_step: int | None = None) -> None:
        self.slo, self.conditions, self.phases, self.t, self.step = slo, conditions, phases, t, step
        self.events, self.eval_step = events, eval_step or step
        self.known: dict[tuple, Decimal | None] = {}

    def __getitem__(self, key: tuple) -> Decimal | None:
        if key not in self.known:
            self.known[key] = self._read(key)
        return self.known[key]

    def _burn(self, window: int) -> Decimal | None:
        ratio = slo_window_ratio(self.slo, self.phases, self.t, window, self.step)
        return None if ratio is None else ratio / self.slo.error_budget

    def _pair(self, condition: Condition) -> Decimal | None:
        return pair_value(self.slo, condition, self.phases, self.t, self.step, self.events, self.eval_step)

    def _period(self, t: int) -> Decimal | None:
        return slo_period_ratio(self.slo, self.phases, t, self.step, self.eval_step)

    def remaining(self) -> Decimal | None:
        """1 - the SLO window's error ratio / budget, as recorded one evaluation before t."""
        ratio = self._period(self.t - self.eval_step)
        if ratio is None:
            return None
        left = 1 - ratio / self.slo.error_budget
        if abs(left) <= TIE:  # the templates ask whether it is above 0
            raise Unprintable()
        return left

    def _read(self, key: tuple) -> Decimal | None:
        kind, which = key
        if kind in ("held", "silent"):  # a history's series never vanish: no hold, no silent member
            return None
        if kind == "remaining":
            left = self.remaining()
            return left if left is not None and (left > 0) == (which == "left") else None
        condition = self.conditions[which]
        if kind == "long":
            return self._burn(condition.long)
        if kind == "short":
            return self._burn(condition.short)
        ratio = self._pair(condition)
        burn = None if ratio is None else ratio / self.slo.error_budget
        if kind == "pair" or burn is None:
            return burn
        if kind == "exhaustion-short":  # at the short window's burn, while the pair holds
            burn = self._burn(condition.short)
            assert burn  # above the pair's threshold
        left = self.remaining()  # "exhaustion": seconds until the budget left is spent at this burn
        return None if left is None or left <= 0 else round_seconds(left * self.slo.window / burn)
