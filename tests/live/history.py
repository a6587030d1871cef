"""Synthetic Prometheus history with known figures, written as OpenMetrics for `promtool tsdb create-blocks-from`.

Ten days, one sample a minute. Every count is a pure function of the minute,
so tests compute expected SLIs and burn rates here, independently of the code
under test. Windows that end on a whole minute read exactly these counts:
Prometheus's `rate` needs no extrapolation when samples sit on both ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

START = 1_699_920_000  # 2023-11-14T00:00:00Z
DAYS = 10
STEP = 60
MINUTES = DAYS * 1440
# The time the tests evaluate at: day 9, 12:00. History continues for a day after it.
AT = START + 9 * 86400 + 12 * 3600

REGIONS = ("eu", "us")
# Requests per minute at the daily mean; traffic swings ±60% over the day.
BASE = {("checkout", "eu"): 600.0, ("checkout", "us"): 1500.0, ("payments", "eu"): 900.0,
        ("quiet", "eu"): 12.0}
BASE_ERROR_RATIO = 0.0001

# Known outages: (job, region, first minute, last minute exclusive, error ratio).
OUTAGES = (
    ("checkout", "eu", (8 * 1440 + 14 * 60), (8 * 1440 + 14 * 60 + 30), 1.0),  # day 8, 14:00-14:30, total
    ("checkout", "us", (9 * 1440 + 12 * 60 - 50), (9 * 1440 + 12 * 60 + 20), 0.05),  # burning at AT
    ("payments", "eu", (5 * 1440 + 3 * 60), (5 * 1440 + 9 * 60), 0.01),  # day 5, six hours at 1%
)
# Latency: share of requests at or under each bucket; a slow hour on day 7.
LE = ("0.1", "0.25", "0.5", "1.0", "+Inf")
FAST_SHARE = {"0.1": 0.7, "0.25": 0.999, "0.5": 0.9995, "1.0": 1.0, "+Inf": 1.0}
SLOW_SHARE = {"0.1": 0.2, "0.25": 0.5, "0.5": 0.9, "1.0": 0.99, "+Inf": 1.0}
SLOW_HOUR = (7 * 1440 + 10 * 60, 7 * 1440 + 11 * 60)

# A deployed (stale) copy of the generated rules for payments-availability:
# its objective is 99%, the spec's 99.9%. Error ratios are the true ones.
DEPLOYED_SLO_ID = "payments-availability"
DEPLOYED_OBJECTIVE = 0.99
DEPLOYED_WINDOWS = (300, 1800, 3600, 6 * 3600, 3 * 86400, 7 * 86400)
DEPLOYED_SPAN = (AT - 1800, AT + 600)
# The deployed 30m ratio reads three times the true errors (rules from an older indicator).
DEPLOYED_SKEW = {1800: 3}

# A blackbox probe (tests/live/test_threshold.py): probe_success of target "shop" is 0 in these minutes,
# else 1; target "cart" is always 1. Ten failed probes 40 to 31 minutes before AT, twenty scattered on day 6.
PROBE_DOWN = frozenset(range(9 * 1440 + 12 * 60 - 40, 9 * 1440 + 12 * 60 - 30)) | frozenset(
    6 * 1440 + 100 + 7 * k for k in range(20))
PROBE_TARGETS = ("shop", "cart")


def probe_at(target: str, m: int) -> int:
    """probe_success of a target in minute m."""
    return 0 if target == "shop" and m in PROBE_DOWN else 1


# Cases where the gate must fail closed (tests/live/test_gate_fail_closed.py), on metrics of their own
# (`gate_*`), so no other test's figures or suggestions change. Steady traffic, 0.1% errors, until:
GATE_RATE = 600.0  # requests per minute
GATE_ERROR_RATIO = 0.001
STALL = (AT - START) // STEP - 120  # stalled and lb: no request counted from the minute 2h before AT
GONE = (AT - START) // STEP - 180  # regional, us: no sample from 3h before AT
GATE_SPAN = ((AT - START) // STEP - 8 * 1440, (AT - START) // STEP + 60)  # their series' first and last minute
# A composite member that stops being scraped (tests/live/test_composite_silence_live.py), on metrics of its own
# (`fade_*`): 100 requests a minute, none failing, no sample from FADE_GONE + 1 to FADE_BACK - 1 (minutes), its
# counters starting again from 0 at FADE_BACK.
FADE_GONE = (AT - START) // STEP - 180  # the last sample, 3h before AT
FADE_BACK = (AT - START) // STEP - 60  # the first one again, 1h before AT
FADE_RATE = 100.0
# A deployed composite whose member was silent (rec-fade over rec-lost, `when_no_data = bad`): the composite's
# `slo:member_no_data:seconds` is 60 at every minute of DEPLOYED_SPAN, so at AT its 1h window holds 31 minutes.
FADE_DEPLOYED_SECONDS = 60.0
FADE_MEMBER_RATIO = {3600: 0.001, 604800: 0.0005}


def fade_share(window: int) -> float:
    """rec-fade's silent share of `window` at AT: the deployed seconds in [AT - window, AT]."""
    minutes = len(range(max(DEPLOYED_SPAN[0], AT - window), AT + 1, STEP))
    return min(1.0, minutes * FADE_DEPLOYED_SECONDS / window)


def fade_ratio(window: int) -> float:
    """rec-fade's deployed ratio: rec-lost's over the rest of the window, 1 over its silent share."""
    return 1 - (1 - FADE_MEMBER_RATIO[window]) * (1 - fade_share(window))


# Recorded error ratios of SLOs that exist only as deployed series, around AT: {slo_id: {window: [(labels, value)]}}.
RECORDED_CASES = {
    "rec-nan": {3600: [("", math.nan)], 604800: [("", 0.001)]},
    "rec-group": {3600: [('region="eu"', 0.001)], 604800: [('region="eu"', 0.001), ('region="us"', 0.001)]},
    "rec-dup": {3600: [('prometheus="a"', 0.001), ('prometheus="b"', 0.001)],
                604800: [('prometheus="a"', 0.001), ('prometheus="b"', 0.5)]},
    "rec-partial": {604800: [("", 0.001)]},
    # The same rules in two clusters behind one view: east healthy, west out of budget and burning.
    "rec-clusters": {3600: [('cluster="east"', 0.001), ('cluster="west"', 0.05)],
                     604800: [('cluster="east"', 0.001), ('cluster="west"', 0.5)]},
    # A deployed composite (tests/live/test_composite_live.py): rec-journey = rec-api + 2 x rec-db, as its
    # members' series say over 1h; its 7d series says 0.05 where its members say 0.0015 (stale rules).
    "rec-api": {3600: [("", 0.001)], 604800: [("", 0.0005)]},
    "rec-db": {3600: [("", 0.002)], 604800: [("", 0.0005)]},
    "rec-journey": {3600: [("", 0.005)], 604800: [("", 0.05)]},
    "rec-lost": {window: [("", ratio)] for window, ratio in FADE_MEMBER_RATIO.items()},
    "rec-fade": {window: [("", fade_ratio(window))] for window in FADE_MEMBER_RATIO},
    # The same in clusters behind one view: rec-split's member rec-gone silent in east only; north runs rules from
    # before the silence series (its composite records none).
    "rec-gone": {window: [('cluster="east"', ratio), ('cluster="west"', ratio), ('cluster="north"', ratio)]
                 for window, ratio in FADE_MEMBER_RATIO.items()},
    "rec-split": {window: [('cluster="east"', fade_ratio(window)), ('cluster="west"', ratio),
                           ('cluster="north"', ratio)]
                  for window, ratio in FADE_MEMBER_RATIO.items()},
}


def minute(t: float) -> int:
    """Minute index of a Unix time inside the history."""
    return int((t - START) // STEP)


def total_at(job: str, region: str, m: int) -> float:
    """Requests in minute m: the daily cycle, whole numbers."""
    hour = (m % 1440) / 60
    return float(round(BASE[(job, region)] * (1 + 0.6 * math.sin(2 * math.pi * (hour - 9) / 24))))


def error_ratio_at(job: str, region: str, m: int) -> float:
    """Share of failed requests in minute m."""
    for o_job, o_region, first, last, ratio in OUTAGES:
        if o_job == job and o_region == region and first <= m < last:
            return ratio
    return BASE_ERROR_RATIO


def bad_at(job: str, region: str, m: int) -> float:
    """Failed requests in minute m."""
    return total_at(job, region, m) * error_ratio_at(job, region, m)


def bucket_share(le: str, m: int) -> float:
    """Share of checkout requests at or under `le` in minute m."""
    return (SLOW_SHARE if SLOW_HOUR[0] <= m < SLOW_HOUR[1] else FAST_SHARE)[le]


def window_counts(job: str, regions: tuple[str, ...], end: float, seconds: int) -> tuple[float, float]:
    """(bad, total) requests in the window (end - seconds, end]: what `increase` reads on whole minutes."""
    last = minute(end)  # the counter sample at `end` holds minutes < last
    first = last - seconds // STEP
    bad = total = 0.0
    for region in regions:
        for m in range(max(first, 0), last):
            bad += bad_at(job, region, m)
            total += total_at(job, region, m)
    return bad, total


def window_ratio(job: str, regions: tuple[str, ...], end: float, seconds: int) -> float:
    """The traffic-weighted error ratio over a window ending at `end`."""
    bad, total = window_counts(job, regions, end, seconds)
    return bad / total


def latency_ratio(end: float, seconds: int, le: str) -> float:
    """Checkout's share of requests slower than `le` (both regions) over a window."""
    last = minute(end)
    slow = total = 0.0
    for region in REGIONS:
        for m in range(max(last - seconds // STEP, 0), last):
            n = total_at("checkout", region, m)
            slow += n * (1 - bucket_share(le, m))
            total += n
    return slow / total


def quietest_hour_rate(job: str, region: str, end: float, seconds: int) -> float:
    """Requests per second in the quietest whole hour of the window."""
    last = minute(end)
    rates = []
    for h in range(last - seconds // STEP, last, 60):
        rates.append(sum(total_at(job, region, m) for m in range(max(h, 0), h + 60)) / 3600)
    return min(rates)


def _counter(name: str, labels: str, per_minute, last: int = MINUTES, first: int = 0) -> Iterator[str]:
    value = 0.0
    for m in range(first, last + 1):
        yield f"{name}{{{labels}}} {value!r} {START + m * STEP}\n"
        if m < last:
            value += per_minute(m)


def _gate_cases() -> Iterator[str]:
    """The fail-closed cases' counters: `stalled` stops counting at STALL, `regional`'s us series end at GONE,
    and `lb` counts errors (the load balancer's) while its total (the service's) stops at STALL."""
    bad, good = GATE_RATE * GATE_ERROR_RATIO, GATE_RATE * (1 - GATE_ERROR_RATIO)
    first, end = GATE_SPAN
    cases = (("stalled", "eu", STALL, end), ("regional", "eu", end, end), ("regional", "us", GONE, GONE))
    yield "# TYPE gate_requests counter\n"
    for job, region, counting, last in cases:
        for code, rate in (("200", good), ("500", bad)):
            yield from _counter("gate_requests_total", f'job="{job}",region="{region}",code="{code}"',
                                lambda m, r=rate, c=counting: r if m < c else 0.0, last, first)
    yield from _counter("gate_requests_total", 'job="lb",code="200"', lambda m: GATE_RATE if m < STALL else 0.0, end, first)
    yield "# TYPE gate_errors counter\n"
    yield from _counter("gate_errors_total", 'job="lb"', lambda m: bad, end, first)


def openmetrics() -> Iterator[str]:
    """The whole history, family by family and series by series, ending with `# EOF`."""
    yield "# TYPE http_requests counter\n"
    for job, region in BASE:
        labels = f'job="{job}",region="{region}"'
        yield from _counter("http_requests_total", labels + ',code="200"',
                            lambda m, j=job, r=region: total_at(j, r, m) - bad_at(j, r, m))
        yield from _counter("http_requests_total", labels + ',code="500"', lambda m, j=job, r=region: bad_at(j, r, m))
    yield "# TYPE http_request_duration_seconds histogram\n"
    for region in REGIONS:
        for le in LE:
            labels = f'job="checkout",region="{region}",le="{le}"'
            yield from _counter("http_request_duration_seconds_bucket", labels,
                                lambda m, r=region, b=le: total_at("checkout", r, m) * bucket_share(b, m))
    yield "# TYPE probe_success gauge\n"
    for target in PROBE_TARGETS:
        yield from (f'probe_success{{job="probe",target="{target}"}} {probe_at(target, m)} {START + m * STEP}\n'
                    for m in range(MINUTES + 1))
    yield from _gate_cases()
    yield from _fading()
    yield from _deployed()
    yield "# EOF\n"


def _fading() -> Iterator[str]:
    """The fading member's counters, and the deployed silent seconds of rec-fade's member."""
    from slocompiler.core.conventions import LABEL_MEMBER, LABEL_SERVICE, LABEL_SLO, LABEL_SLO_ID, MEMBER_NO_DATA_SECONDS

    for family, rate in (("fade_requests", FADE_RATE), ("fade_errors", 0.0)):
        yield f"# TYPE {family} counter\n"
        yield from _counter(f"{family}_total", 'job="fade"', lambda m, r=rate: r, FADE_GONE)
        yield from _counter(f"{family}_total", 'job="fade"', lambda m, r=rate: r, MINUTES, FADE_BACK)
    labels = f'{LABEL_SLO_ID}="rec-fade",{LABEL_SERVICE}="rec",{LABEL_SLO}="fade",{LABEL_MEMBER}="rec-lost"'
    split = f'{LABEL_SLO_ID}="rec-split",{LABEL_SERVICE}="rec",{LABEL_SLO}="split",{LABEL_MEMBER}="rec-gone"'
    for series, seconds in ((labels, FADE_DEPLOYED_SECONDS), (f'{split},cluster="east"', FADE_DEPLOYED_SECONDS),
                            (f'{split},cluster="west"', 0.0)):
        for t in range(DEPLOYED_SPAN[0], DEPLOYED_SPAN[1] + 1, STEP):
            yield f"{MEMBER_NO_DATA_SECONDS}{{{series}}} {seconds!r} {t}\n"


def _deployed() -> Iterator[str]:
    from slocompiler.core.conventions import (
        ERROR_BUDGET,
        LABEL_SERVICE,
        LABEL_SLO,
        LABEL_SLO_ID,
        OBJECTIVE,
        error_ratio_rule,
    )

    labels = f'{LABEL_SLO_ID}="{DEPLOYED_SLO_ID}",{LABEL_SERVICE}="payments",{LABEL_SLO}="availability"'
    times = range(DEPLOYED_SPAN[0], DEPLOYED_SPAN[1] + 1, STEP)
    for window in DEPLOYED_WINDOWS:
        for t in times:
            if window == DEPLOYED_WINDOWS[-1]:  # the SLO window, weighed as the period rule does
                ratio = period_ratio(lambda m: (bad_at("payments", "eu", m), total_at("payments", "eu", m)), t, window)
            else:
                ratio = window_ratio("payments", ("eu",), t, window) * DEPLOYED_SKEW.get(window, 1)
            yield f"{error_ratio_rule(window)}{{{labels}}} {ratio!r} {t}\n"
        for slo_id, by_window in RECORDED_CASES.items():  # a family's series stay together (OpenMetrics)
            service, slo = slo_id.split("-")
            for extra, value in by_window.get(window, ()):
                case = f'{LABEL_SLO_ID}="{slo_id}",{LABEL_SERVICE}="{service}",{LABEL_SLO}="{slo}"'
                case += f",{extra}" if extra else ""
                for t in times:
                    yield f"{error_ratio_rule(window)}{{{case}}} {'NaN' if math.isnan(value) else repr(value)} {t}\n"
    for name, value in ((OBJECTIVE, DEPLOYED_OBJECTIVE), (ERROR_BUDGET, round(1 - DEPLOYED_OBJECTIVE, 10))):
        for t in times:
            yield f"{name}{{{labels}}} {value!r} {t}\n"


def period_weights(end: float, seconds: int) -> dict[int, int]:
    """How often each minute counts in the generated period rule at `end`.

    The rule sums 5m rates evaluated each minute over the window: the rate at
    t covers minutes m(t)-5 .. m(t)-1, so a minute counts once per evaluation
    whose 5m reaches it (5 times inside the window, fewer at its edges).
    Prometheus 2.x selects samples in [end - window, end], both ends included.
    """
    return _rate_weights(range(minute(end) - seconds // STEP, minute(end) + 1))


def derived_weights(end: float, seconds: int) -> dict[int, int]:
    """How often each minute counts in a window rule derived from 5m rates (2h and longer) at `end`.

    The rule sums the 5m rates over the window less 150s, then adds the
    latest rate once per sample in the last 150s but one: evaluated each
    minute, the samples at end - 2m30s .. end are 3, so twice.
    """
    last = minute(end)
    points = list(range(last - (seconds - 150) // STEP, last + 1)) + [last, last]
    return _rate_weights(points)


def _rate_weights(points) -> dict[int, int]:
    weights: dict[int, int] = {}
    for point in points:
        for m in range(point - 5, point):
            if m >= 0:
                weights[m] = weights.get(m, 0) + 1
    return weights


def period_ratio(counts, end: float, seconds: int, weights=period_weights) -> float:
    """The period rule's traffic-weighted ratio; `counts(m)` gives (bad, total) in minute m."""
    bad = total = 0.0
    for m, weight in weights(end, seconds).items():
        b, t = counts(m)
        bad += weight * b
        total += weight * t
    return bad / total
