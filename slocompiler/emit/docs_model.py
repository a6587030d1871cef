"""The numbers people read about an SLO: budget as time and the alert table.

Shared by the docs backend and `slo budget`, so both print the same figures.
Everything here is plain text from exact decimals; no Markdown, no Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ..core import calendar, sremath, timebase
from ..core.units import decimal_text, format_duration, human_duration, percent_text, round_decimal

WEEK = 7 * 86400
DAY = 86400
# The docs show how fast each alert catches a burn this many times the budget rate.
EXAMPLE_BURN = Decimal(10)
NEVER = "never"


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """The error budget over one span of time."""

    label: str
    span: str
    seconds: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One burn-rate condition, as the alert table shows it."""

    severity: str
    burn: str
    long: str
    short: str
    for_: str
    threshold: str
    budget_spent: str
    full_outage: str
    example_burn: str
    budget_lasts: str
    can_fire: bool


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    """What the alert table needs to know about a condition (IR or default)."""

    severity: str
    burn: Decimal
    long: int
    short: int
    for_: int | None = None
    # The share of the budget the spec gave, if it gave one: shown as it stands.
    budget: Decimal | None = None


def budget_rows(objective: Decimal, window: int) -> tuple[BudgetRow, ...]:
    """The budget as time over the window, a week and a day (99.9%, 30d: 43m12s, 10m4.8s, 1m26.4s)."""
    rows = []
    for label, span in (("window", window), ("week", WEEK), ("day", DAY)):
        seconds = sremath.budget_seconds(objective, span)
        rows.append(BudgetRow(label, format_duration(span), seconds, human_duration(seconds)))
    return tuple(rows)


def period_budget_rows(objective: Decimal, unit: str, zone: str) -> tuple[BudgetRow, ...]:
    """A calendar period's budget as time: in its nominal, shortest and longest period, then a week and a day
    when shorter (99.9%, month in Europe/Berlin: 43m12s in 30 days, 40m19.2s in 28, 44m42s in 31 days 1 hour, ...).

    The budget of a period is a share of that period, so a long month allows
    more than a short one; the nominal length is what the thresholds use.
    """
    nominal = calendar.NOMINAL_DAYS[unit] * DAY
    shortest, longest = timebase.period_lengths(unit, zone)
    if shortest == longest:  # every period of the nominal length: a day or week in a zone without clock changes
        spans = [(unit, nominal)]
    else:
        spans = [(f"nominal {unit}", nominal)]
        for word, span in (("shortest", shortest), ("longest", longest)):
            if span == nominal:  # a quarter of 90d: `nominal and shortest quarter`, one row
                spans[0] = (f"nominal and {word} {unit}", nominal)
            else:
                spans.append((f"{word} {unit}", span))
    spans += [(label, span) for label, span in (("week", WEEK), ("day", DAY)) if span < shortest]
    rows = []
    for label, span in spans:
        seconds = sremath.budget_seconds(objective, span)
        # In words (`31 days 1 hour`): a calendar SLO's text never reads like a rolling `30d`.
        rows.append(BudgetRow(label, timebase.length_words(span), seconds, human_duration(seconds)))
    return tuple(rows)


def slo_budget_rows(objective: Decimal, window: int, unit: str | None, zone: str) -> tuple[BudgetRow, ...]:
    """`budget_rows` for a rolling window, `period_budget_rows` for a calendar period (`unit`)."""
    return budget_rows(objective, window) if unit is None else period_budget_rows(objective, unit, zone)


def as_slices(rows: tuple[BudgetRow, ...], objective: Decimal, length: int) -> tuple[BudgetRow, ...]:
    """Budget rows as bad slices of `length`, with the time they stand for: `216 bad 1m slices (3h36m)`."""
    fixed = []
    for row in rows:
        span = row.seconds / (1 - objective) if objective < 1 else Decimal(0)
        count = sremath.budget_slices(objective, int(span), length) if span else Decimal(0)
        text = f"{decimal_text(round_decimal(count))} bad {format_duration(length)} slices ({row.text})"
        fixed.append(replace(row, text=text))
    return tuple(fixed)


def default_conditions(window: int) -> tuple[ConditionSpec, ...]:
    """The default conditions of a window (30d: 14.4, 6, 1; 7d: 13.44, 5.6, 0.9333...)."""
    return tuple(
        ConditionSpec(severity, burn, long, short)
        for severity, burn, long, short in sremath.default_conditions(window)
    )


def alert_row(objective: Decimal, window: int, condition: ConditionSpec) -> AlertRow:
    """Threshold, budget spent, detection times and budget life for one condition."""
    burn = condition.burn
    fires_above = sremath.threshold(burn, objective)
    can_fire = fires_above <= 1
    budget = 1 - objective
    example_ratio = EXAMPLE_BURN * budget
    spent = condition.budget
    if spent is None:
        spent = sremath.budget_spent_when_firing(burn, condition.long, window)
    # An alert with `for` fires that long after its condition first holds.
    pending = condition.for_ or 0
    if not can_fire:
        full_outage = example = NEVER
    else:
        full_outage = human_duration(sremath.detection_seconds(burn, objective, condition.long, Decimal(1)) + pending)
        if EXAMPLE_BURN < burn or example_ratio > 1:
            example = NEVER
        else:
            example = human_duration(
                sremath.detection_seconds(burn, objective, condition.long, example_ratio) + pending)
    return AlertRow(
        severity=condition.severity,
        burn=decimal_text(burn),
        long=format_duration(condition.long),
        short=format_duration(condition.short),
        for_=format_duration(condition.for_) if condition.for_ else "",
        threshold=percent_text(fires_above),
        budget_spent=percent_text(spent),
        full_outage=full_outage,
        example_burn=example,
        budget_lasts=human_duration(sremath.exhaustion_seconds(burn, window)),
        can_fire=can_fire,
    )


def alert_rows(objective: Decimal, window: int, conditions: tuple[ConditionSpec, ...]) -> tuple[AlertRow, ...]:
    """The alert table, in the order the conditions were given."""
    return tuple(alert_row(objective, window, condition) for condition in conditions)


def sla_margin(objective: Decimal, sla: Decimal, window: int) -> tuple[str, str]:
    """Margin between SLO and SLA: (`0.4 percentage points`, extra errors as time over the window)."""
    points = decimal_text((objective - sla) * 100)
    extra = human_duration(sremath.budget_seconds(sla, window) - sremath.budget_seconds(objective, window))
    return points, extra
