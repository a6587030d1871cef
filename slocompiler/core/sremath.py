"""The error-budget and burn-rate arithmetic of SRE-MATH.md, in exact decimals."""

from __future__ import annotations

from decimal import Decimal

from .units import round_decimal

# The SRE Workbook's defaults, as a share of the budget spent within `long`.
# (severity, budget, long seconds, short seconds)
DEFAULT_CONDITIONS = (
    ("page", Decimal("0.02"), 3600, 300),
    ("page", Decimal("0.05"), 6 * 3600, 1800),
    ("ticket", Decimal("0.10"), 3 * 86400, 6 * 3600),
)
DEFAULT_WINDOW = 30 * 86400
# The range LANGUAGE.md allows for an SLO window.
MIN_WINDOW = 86400
MAX_WINDOW = 365 * 86400
DEFAULT_NO_DATA = 15 * 60
# `tier = critical`: no data is a page after 5m (a critical service that is down is an outage).
CRITICAL_NO_DATA = 5 * 60
# A page condition fires only when this many bad events fell within its long
# window (LANGUAGE.md, "On-call defaults"): one failed request of a quiet
# service wakes nobody; any real outage has far more.
DEFAULT_PAGE_MIN_FAILURES = 10
# The default burn rates follow the window only between these two: below 28d
# they stay at 28d's (13.44, 5.6, 0.9333), above 30d at 30d's (14.4, 6, 1).
# docs/LANGUAGE.md ("Default conditions") gives the reasons and the table.
DEFAULT_SCALING_WINDOWS = (28 * 86400, 30 * 86400)
MINUTE = 60
HOUR = 3600
DAY = 86400

# `window = calendar <period>` (LANGUAGE.md 1.1): each period's nominal length,
# what `Slo.window` holds for it, so burn-rate thresholds, default conditions
# and every reader of a window in seconds work unchanged.
CALENDAR_PERIODS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY, "quarter": 90 * DAY, "year": 365 * DAY}
DEFAULT_TIMEZONE = "UTC"
# `slices { length }`: whole minutes from 1m to 1h that divide 1h, so whole
# slices tile every hour.
MIN_SLICE = MINUTE
MAX_SLICE = HOUR
SLICE_NO_DATA = ("good", "bad", "skip")
DEFAULT_SLICE_NO_DATA = "skip"
# What a composite member without data counts as: left out of the sum (its own NoData alert says it is missing).
DEFAULT_MEMBER_NO_DATA = "skip"
# The comparisons of `indicator threshold { good = ">= 1" }`.
THRESHOLD_OPS = ("<", "<=", ">", ">=", "==", "!=")


def default_min_failures(severity: str) -> int:
    """`min_failures` when the spec sets none: pages need 10 bad events, tickets none."""
    return DEFAULT_PAGE_MIN_FAILURES if severity == "page" else 0


def default_conditions(window: int) -> tuple[tuple[str, Decimal, int, int], ...]:
    """The default conditions of a window: (severity, burn, long, short) seconds.

    The Workbook's `budget x W / long`, with W held between 28d and 30d; a
    long window longer than the SLO window becomes the SLO window, and its
    short window a twelfth of that, in whole minutes.
    """
    low, high = DEFAULT_SCALING_WINDOWS
    scaled = min(max(window, low), high)
    conditions = []
    for severity, budget, long, short in DEFAULT_CONDITIONS:
        burn = burn_from_budget(budget, scaled, long)
        if long > window:
            long, short = window, window // 12 // MINUTE * MINUTE
        conditions.append((severity, burn, long, short))
    return tuple(conditions)


def burn_from_budget(budget: Decimal, window: int, long: int) -> Decimal:
    """`r = p * W / L`, rounded the one way every output shows it (0.9333...)."""
    return round_decimal(budget * window / long)


def threshold(burn: Decimal, objective: Decimal) -> Decimal:
    """The error ratio a condition fires above: `r * (1 - O)`."""
    return round_decimal(burn * (1 - objective))


def budget_seconds(objective: Decimal, window: int) -> Decimal:
    """Budget as time: `b * W` (99.9% over 30d = 2592 s = 43m12s)."""
    return (1 - objective) * window


def budget_spent_when_firing(burn: Decimal, long: int, window: int) -> Decimal:
    """Share of the budget gone when a constant burn fires the alert: `r * L / W`."""
    return round_decimal(burn * long / window)


def detection_seconds(burn: Decimal, objective: Decimal, long: int, error_ratio: Decimal) -> Decimal:
    """Time to fire from no errors at a constant error ratio: `L * r * b / e`."""
    return round_decimal(long * burn * (1 - objective) / error_ratio)


def exhaustion_seconds(burn: Decimal, window: int) -> Decimal:
    """Time for a burn rate to spend a whole budget: `W / r`."""
    return round_decimal(window / burn)


def slice_lengths() -> tuple[int, ...]:
    """Every valid slice length in seconds: whole minutes dividing 1h (1m, 2m, 3m, 4m, 5m, 6m, 10m, ... 1h)."""
    return tuple(m * MINUTE for m in range(1, HOUR // MINUTE + 1) if (HOUR // MINUTE) % m == 0)


def budget_slices(objective: Decimal, window: int, length: int) -> Decimal:
    """How many slices of `length` the error budget of `window` allows: `(1 - O) * W / length`."""
    return (1 - objective) * window / length


# A slice SLO's alert window holds at least this many slices: over one slice
# its bad-slice ratio is 0 or 1, a coin rather than a rate (docs/PROMETHEUS.md, "Time slices").
MIN_SLICES_PER_WINDOW = 2


def slice_windows(long: int, short: int, length: int) -> tuple[int, int]:
    """A default condition's (long, short) for a slice SLO: the short at least MIN_SLICES_PER_WINDOW slices, the long longer.

    1h/5m stays for 1m slices, becomes 1h/10m for 5m slices and 4h/2h for 1h
    slices (the long window twice the short one when the short one reached it).
    """
    short = max(short, MIN_SLICES_PER_WINDOW * length)
    return (long if long > short else 2 * short), short
