"""The PromQL the backends write for an indicator over a window.

A selector becomes `sum(rate(<selector>[W]))` (`sum by (...)` with
`group_by`); an expression has `$window` replaced. The count of bad events
falls back to `0 * total` when the error series does not exist at all, so a
service that has never failed has an error ratio of 0, not no data.

The generated rules pass `total`, the recorded 5m rate of all events, for that
fallback, so that no rule reads a raw selector twice; `derived_ratio` builds a
long window from recorded 5m rates (docs/PROMETHEUS.md explains both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal

from .conventions import (
    CURRENT_BURN_WINDOW,
    DERIVED_WINDOW_FROM,
    EVENTS_BAD_PREFIX,
    LABEL_SLO_ID,
    SAMPLE_GOOD,
)
from .ir import (
    CompositeIndicator,
    Condition,
    ExprIndicator,
    Indicator,
    LatencyIndicator,
    Query,
    RatioIndicator,
    Slo,
    ThresholdIndicator,
)
from .promql import WINDOW_PLACEHOLDER  # one rule for checking and for output
from .units import decimal_text, prom_window


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal holding `value` exactly."""
    return json.dumps(value, ensure_ascii=False)


def substitute(text: str, window: int) -> str:
    """Replace the `$window` placeholder with a Prometheus duration such as `1h`."""
    return WINDOW_PLACEHOLDER.sub(prom_window(window), text)


def with_matcher(selector: str, label: str, value: str, op: str = "=") -> str:
    """Add `label="value"` (or another match operator) to a plain vector selector's matchers."""
    text = selector.strip()
    matcher = f"{label}{op}{promql_string(value)}"
    if text.endswith("}"):
        inside = text[text.index("{") + 1 : -1].strip().rstrip(",").strip()
        head = text[: text.index("{")]
        return f"{head}{{{inside + ', ' if inside else ''}{matcher}}}"
    if "{" in text or " " in text:
        raise ValueError(f"not a plain vector selector: {selector}")
    return f"{text}{{{matcher}}}"


def by_clause(group_by: tuple[str, ...]) -> str:
    """`sum` or `sum by (a, b) ` (with the space before the argument)."""
    return f"sum by ({', '.join(group_by)}) " if group_by else "sum"


def events(query: Query, window: int, group_by: tuple[str, ...]) -> str:
    """The event rate of one query: `sum(rate(sel[W]))`, or the expression with `$window` filled in."""
    if query.is_selector:
        return f"{by_clause(group_by)}(rate({query.text.strip()}[{prom_window(window)}]))"
    return f"({substitute(query.text.strip(), window)})"


def recorded(name: str, slo_id: str, window: int | None = None) -> str:
    """A selector of one SLO's recorded series, with a range when `window` is given."""
    selector = f"{name}{{{LABEL_SLO_ID}={promql_string(slo_id)}}}"
    return selector if window is None else f"{selector}[{prom_window(window)}]"


_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def le_pattern(le: str) -> str:
    """A regex matching every spelling of the bucket boundary `le`: `1`, `1.0`, `1.00`, `1e+00`, `1E0`...

    Go clients write `le="1"`, Python's client and Prometheus 3 `le="1.0"`;
    an exact `le="1"` matcher finds no bucket in the latter.
    """
    if not _DECIMAL.fullmatch(le):
        # `+Inf`, or text lang/lower.py would have refused: matched as written.
        return re.escape(le)
    value = Decimal(le).normalize()
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int) and not sign
    text = "".join(map(str, digits))
    # Positional: integer part, then the fraction with any trailing zeros.
    point = len(text) + exponent
    if value == 0:
        plain = r"0+(\.0*)?"
    elif point <= 0:
        plain = r"0*\." + "0" * -point + text + "0*"
    elif point >= len(text):
        plain = "0*" + text + "0" * (point - len(text)) + r"(\.0*)?"
    else:
        plain = "0*" + text[:point] + r"\." + text[point:] + "0*"
    # Scientific: one digit before the point, the exponent with any sign and zeros.
    power = point - 1 if value else 0
    mantissa = text[0] + (r"\." + text[1:] + "0*" if len(text) > 1 else r"(\.0*)?")
    power_text = r"[+-]?0+" if power == 0 else (r"\+?0*" + str(power) if power > 0 else "-0*" + str(-power))
    return f"{plain}|{mantissa}[eE]{power_text}"


def with_le(selector: str, le: str) -> str:
    """The histogram selector narrowed to the bucket `le`, whatever its spelling (`le=~"..."`)."""
    return with_matcher(selector, "le", le_pattern(le), op="=~")


def _latency_buckets(indicator: LatencyIndicator) -> tuple[Query, Query]:
    # Good events are the bucket at the threshold, all events the +Inf bucket.
    good = Query(with_le(indicator.histogram.text, indicator.le), True, indicator.histogram.span)
    total = Query(with_matcher(indicator.histogram.text, "le", "+Inf"), True, indicator.histogram.span)
    return good, total


def _latency_events(indicator: LatencyIndicator, window: int, group_by: tuple[str, ...], op: str) -> str:
    # Series by series: `+Inf op ignoring(le) threshold bucket`. A series
    # without a bucket at the threshold (an instance with another bucket
    # layout, mid-rollout) drops out of both counts instead of having all its
    # requests read as slow; with no such bucket anywhere, there is no data.
    good, total = _latency_buckets(indicator)
    every = f"rate({total.text.strip()}[{prom_window(window)}])"
    fast = f"rate({good.text.strip()}[{prom_window(window)}])"
    return f"{by_clause(group_by)}({every} {op} ignoring(le) {fast})"


def judged(indicator: ThresholdIndicator) -> str:
    """Each sample of a threshold indicator's series judged: `metric >= bool 1` is 1 when good, 0 when not (NaN: 0)."""
    return f"{indicator.metric.text.strip()} {indicator.op} bool {decimal_text(indicator.value)}"


def sample_range(window: int) -> str:
    """`[4m59s]` for 5m: one second short, so the range holds the evaluations of the last 5m, not one more.

    Prometheus 2 ranges include both ends; consecutive 5m tiles would count
    the evaluation on their border twice. Evaluations are exactly an interval
    apart, so one second less holds each once, on Prometheus 2 and 3 alike.
    """
    return prom_window(window - 1)


def samples(indicator: ThresholdIndicator, window: int) -> str:
    """The judged samples over `window` from the raw series: a subquery at the server's evaluation interval.

    `[W:]` steps at the global evaluation interval, which is the interval the
    generated rules record `slo:sli_sample_good:bool` at: the same samples.
    """
    return f"({judged(indicator)})[{sample_range(window)}:]"


def recorded_samples(slo_id: str, window: int) -> str:
    """The recorded judged samples of an SLO over `window` (`sample_range`)."""
    return f"{recorded(SAMPLE_GOOD, slo_id)}[{sample_range(window)}]"


def sample_counts(judged_range: str, window: int, group_by: tuple[str, ...], kind: str) -> str:
    """Samples per second over a range of judged samples: `total`, `good` or `bad` (total - good)."""
    count = {"total": f"count_over_time({judged_range})", "good": f"sum_over_time({judged_range})",
             "bad": f"count_over_time({judged_range}) - sum_over_time({judged_range})"}[kind]
    return f"{by_clause(group_by)}({count}) / {window}"


def sample_ratio(judged_range: str, group_by: tuple[str, ...]) -> str:
    """The share of bad samples over a range of judged samples (the per-second division cancels)."""
    count = f"count_over_time({judged_range})"
    return f"{by_clause(group_by)}({count} - sum_over_time({judged_range}))\n/\n{by_clause(group_by)}({count})"


def total_events(indicator: Indicator, window: int, group_by: tuple[str, ...]) -> str | None:
    """The rate of all events over `window`; None for an `expr` indicator, which has no event counts.

    A threshold indicator's events are its samples: samples per second.
    """
    if isinstance(indicator, RatioIndicator):
        return events(indicator.total, window, group_by)
    if isinstance(indicator, LatencyIndicator):
        return _latency_events(indicator, window, group_by, "and")
    if isinstance(indicator, ThresholdIndicator):
        return sample_counts(samples(indicator, window), window, group_by, "total")
    return None


def good_events(indicator: Indicator, window: int, group_by: tuple[str, ...]) -> str | None:
    """The rate of good events over `window` where the indicator counts them; None for a ratio of errors or an expr."""
    if isinstance(indicator, ThresholdIndicator):
        return sample_counts(samples(indicator, window), window, group_by, "good")
    if isinstance(indicator, LatencyIndicator):
        return events(_latency_buckets(indicator)[0], window, group_by)
    if isinstance(indicator, RatioIndicator) and indicator.good is not None:
        return events(indicator.good, window, group_by)
    return None


def on(group_by: tuple[str, ...]) -> str:
    """`on (a, b)`: match a raw aggregate with a recorded series, which carries the SLO's labels too."""
    return f"on ({', '.join(group_by)})"


def bad_events(indicator: Indicator, window: int, group_by: tuple[str, ...], total: str | None = None,
               fill: bool = True) -> str | None:
    """The rate of bad events over `window`, 0 (not missing) when the numerator series is absent.

    `total`, when given, is a recorded series of the same window's total rate
    that the expression reads instead of the raw total (it then matches `on`
    the group_by labels, since the recorded series carries the SLO's labels too).
    `fill=False` leaves a ratio of errors without that 0 (missing instead):
    for a sum or a maximum of positive thresholds, to which it adds nothing,
    without reading the total's series a second time.
    """
    raw_total = total_events(indicator, window, group_by)
    if raw_total is None:
        return None
    if isinstance(indicator, ThresholdIndicator):
        # Bad and all samples come from the same series: no fallback needed.
        return f"({sample_counts(samples(indicator, window), window, group_by, 'bad')})"
    matching = "" if total is None else f" {on(group_by)}"
    total = raw_total if total is None else total
    # `or 0 * total` gives each group that has traffic but no bad (or good)
    # series a 0, with the group's labels, instead of dropping the group.
    zero = f"0 * {total}"
    if isinstance(indicator, LatencyIndicator):
        # No fallback for a missing bucket: a histogram without a bucket at the
        # threshold has no data (NoData fires); `or 0` would read as 100% errors.
        if not matching:  # series by series, as the raw total is (see _latency_events)
            return f"({_latency_events(indicator, window, group_by, '-')})"
        # The recorded total already counts only series that have the threshold bucket.
        return f"({total} -{matching} {events(_latency_buckets(indicator)[0], window, group_by)})"
    if isinstance(indicator, RatioIndicator) and indicator.errors is not None:
        if not fill:
            return f"({events(indicator.errors, window, group_by)})"
        return f"({events(indicator.errors, window, group_by)} or{matching} {zero})"
    assert isinstance(indicator, RatioIndicator) and indicator.good is not None
    good = events(indicator.good, window, group_by)
    return f"({total} -{matching} ({good} or{matching} {zero}))"


def error_ratio(indicator: Indicator, window: int, group_by: tuple[str, ...], fallback: str | None = None,
                fill: bool = True) -> str:
    """The error ratio over `window`, straight from the indicator's series.

    `fallback`, when given, is the recorded 5m total rate: the `or 0 * total`
    fallback reads it instead of the raw total, so that the expression reads
    each raw selector once (the good form becomes `1 - good / total`).
    `fill=False`: as `bad_events`, no 0 where a ratio of errors has no error series.
    """
    if isinstance(indicator, ExprIndicator):
        return f"({substitute(indicator.error_ratio.text.strip(), window)})"
    if isinstance(indicator, ThresholdIndicator):
        return sample_ratio(samples(indicator, window), group_by)
    total = total_events(indicator, window, group_by)
    if fallback is None:
        return f"{bad_events(indicator, window, group_by, fill=fill)}\n/\n{total}"
    matching = on(group_by)
    if isinstance(indicator, LatencyIndicator):
        good = events(_latency_buckets(indicator)[0], window, group_by)
        return f"1 - {good}\n/\n{total}"
    assert isinstance(indicator, RatioIndicator)
    if indicator.errors is not None:
        return f"({events(indicator.errors, window, group_by)} or {matching} 0 * {fallback})\n/ {matching}\n{total}"
    assert indicator.good is not None
    good = events(indicator.good, window, group_by)
    return f"1 - ({good} or {matching} 0 * {fallback})\n/ {matching}\n{total}"


# The latest 5m rate stands again for the newest 2.5 minutes of a derived window.
DERIVED_EDGE = 150


def derived_ratio(bad: Callable[[int | None], str], total: Callable[[int | None], str], window: int,
                  without: tuple[str, ...] = ()) -> str:
    """The error ratio over `window` from 5m rates of bad and of all events, traffic-weighted.

    `bad(span)` and `total(span)` give the 5m rate as a range over `span`
    seconds (a recorded series' range, or a subquery), or now when span is None.
    The sum of the 5m rates over the window less 2.5 minutes, plus the latest
    rate once per evaluation in 2.5 minutes (the samples of the last 2.5
    minutes but one), counts each event of the window equally but near its
    two ends; a plain sum would lag a change by 2.5 minutes. While there is no
    latest rate the sum alone stands. docs/PROMETHEUS.md works it out.
    `without`: group labels whose groups' events are added up (a composite's
    member counted over all its groups; other labels, a cluster's too, stay).
    """
    def events_in(rate: Callable[[int | None], str]) -> str:
        events = derived_events(rate, window)
        return f"sum without ({', '.join(without)}) {events}" if without else events

    return f"{events_in(bad)}\n/\n{events_in(total)}"


def derived_events(rate: Callable[[int | None], str], window: int) -> str:
    """`derived_ratio`'s numerator or denominator: the 5m rates summed over the window, the latest for its edge."""
    summed = f"sum_over_time({rate(window - DERIVED_EDGE)})"
    # clamp_min: after missed evaluations the latest rate may be older than 150s (count 0): add nothing then.
    # `or`: while the latest rate is absent (missed scrapes, maintenance) the window keeps what it summed;
    # without it the whole window would vanish and a composite read its member as having no series.
    return f"({summed} + {rate(None)} * clamp_min(count_over_time({rate(DERIVED_EDGE)}) - 1, 0) or {summed})"


def tiles(window: int) -> bool:
    """Whether `window` is read as consecutive recorded 5m rates (`tiled_ratio`): a multiple of 5m below 2h."""
    return CURRENT_BURN_WINDOW < window < DERIVED_WINDOW_FROM and window % CURRENT_BURN_WINDOW == 0


def tiled_ratio(bad: Callable[[int | None], str], total: Callable[[int | None], str], window: int) -> str:
    """The error ratio over `window` from the recorded 5m rates now and at every 5 minutes back.

    `bad` and `total` give the recorded 5m rates as `derived_ratio` takes them. Rates 5 minutes
    apart count consecutive 5 minutes of events, so their sum counts the
    window's events once each, newest included: no lag (`derived_ratio` sums
    every evaluation instead, which weighs the newest minutes less). A group
    with a tile older than its recorded series (just deployed or relabelled,
    or a gap after a restart) has no tiled sum; it takes the derived ratio of
    what was recorded instead (`or`, group by group).
    """
    def events_in(rate: Callable[[int | None], str]) -> str:
        lookups = [rate(None)] + [f"{rate(None)} offset {prom_window(k * CURRENT_BURN_WINDOW)}"
                                  for k in range(1, window // CURRENT_BURN_WINDOW)]
        return "(\n  " + "\n  + ".join(lookups) + "\n)"

    derived = derived_ratio(bad, total, window)
    # `or` binds loosest: (tiled) or (derived), each a quotient.
    return f"{events_in(bad)}\n/\n{events_in(total)}\nor\n{derived}"


def raw_total(indicator: Indicator, window: int) -> str:
    """The indicator's total series as scraped, for `absent()`: no rule in between.

    Wrapped in `sum()` so that `absent()` yields one label-free series, as it
    does for the recorded ratio, rather than copying the selector's matchers.
    A total given as an expression is used with `$window` filled in; an expr
    indicator has no total (the checker rejects `watch = total` for it).
    """
    if isinstance(indicator, RatioIndicator):
        query = indicator.total
    elif isinstance(indicator, LatencyIndicator):
        return f'sum({with_matcher(indicator.histogram.text, "le", "+Inf")})'
    elif isinstance(indicator, ThresholdIndicator):
        return f"sum({indicator.metric.text.strip()})"  # the samples are the events
    else:
        raise ValueError("an expr indicator has no total series")
    return f"sum({query.text.strip() if query.is_selector else substitute(query.text.strip(), window)})"


def min_failures(slo: Slo, condition: Condition) -> int:
    """The bad events (slices) a condition needs within its long window: 0 for an `expr` SLO or an event-style composite,
    which have no events to count."""
    if slo.slices is not None:
        return condition.min_failures
    return 0 if isinstance(slo.indicator, (ExprIndicator, CompositeIndicator)) else condition.min_failures


# The range that holds 300 s / interval samples of a series recorded every interval: 299s, not 5m, whose
# range includes both ends on Prometheus 2 (6 samples at 1m, so each failure counted 5/6) but not on
# Prometheus 3 or VictoriaMetrics; 299s holds 5 at 1m, 10 at 30s, 20 at 15s on all three.
INTERVAL_RANGE = CURRENT_BURN_WINDOW - 1


def failures_within(slo_id: str, window: int) -> str:
    """The bad events of the last `window`, from the recorded 5m bad-event rate alone (no raw series).

    Each recorded sample is a rate; times the evaluation interval it is the
    events of that interval, so their sum over the window counts its events.
    The interval is not in the rules, but a 299s range holds 300 s / interval
    samples (`INTERVAL_RANGE`): `sum_over_time(bad[W]) * 300 / count_over_time(bad[299s])`.
    Unlike `avg_over_time(bad[W]) * W`, a series younger than the window
    (a new SLO or group) is not counted as if its first minutes had lasted
    the whole window. A range read of one recorded series; a threshold SLO
    counts its bad samples the same way, from its recorded rate of bad samples.
    """
    bad = EVENTS_BAD_PREFIX + prom_window(CURRENT_BURN_WINDOW)
    if window == CURRENT_BURN_WINDOW:
        return f"{recorded(bad, slo_id)} * {window}"
    return (f"sum_over_time({recorded(bad, slo_id, window)}) * {CURRENT_BURN_WINDOW}"
            f" / count_over_time({recorded(bad, slo_id, INTERVAL_RANGE)})")
