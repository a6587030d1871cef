"""`slo budget`: the error budget as time, the default alert table for an objective, and what each tier gets."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import click

from ..core import timebase
from ..core.conventions import DEFAULT_TIER, TIERS
from ..core.errors import did_you_mean
from ..core.sremath import (
    CALENDAR_PERIODS,
    DEFAULT_TIMEZONE,
    MAX_WINDOW,
    MIN_WINDOW,
    default_min_failures,
    slice_lengths,
    slice_windows,
)
from ..core.units import UNIT_MS, DurationTooLarge, decimal_text, format_duration, parse_duration_ms, percent_text
from ..emit.docs_model import AlertRow, alert_rows, as_slices, default_conditions, slo_budget_rows
from ..lang.alerting import tier_no_data, tier_no_data_severity, tier_no_data_watch, tier_severity
from ..lang.windows import available_zones

EXIT_OK = 0
EXIT_USAGE = 2
_OBJECTIVE = re.compile(r"([0-9]+(?:\.[0-9]+)?)%?")
_DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w))+")

ALERT_HEADER = ("severity", "burn rate", "long", "short", "fires above", "budget spent",
                "full outage", "10x burn", "budget lasts")


class BudgetInputError(ValueError):
    """An objective or window `slo budget` cannot use; the message is one line."""


def parse_objective(text: str) -> Decimal:
    """`99.9%` or `99.9` -> Decimal('0.999'); strictly between 0% and 100%."""
    match = _OBJECTIVE.fullmatch(text.strip())
    if not match:
        raise BudgetInputError(f"objective must be a percentage such as 99.9%, got {text!r}")
    objective = Decimal(match.group(1)) / 100
    if not 0 < objective < 1:
        raise BudgetInputError(f"objective must be strictly between 0% and 100%, got {text!r}")
    return objective


def parse_period(text: str) -> str | None:
    """`calendar month` -> `month` (as a spec writes the window); None for anything not starting with `calendar`."""
    words = text.split()
    if not words or words[0] != "calendar":
        return None
    if len(words) != 2 or words[1] not in CALENDAR_PERIODS:
        raise BudgetInputError(f"a calendar window is one of {', '.join('calendar ' + p for p in CALENDAR_PERIODS)},"
                               f" got {text!r}")
    return words[1]


def parse_timezone(text: str) -> str:
    """An IANA zone name this Python knows, as `timezone =` in a spec takes it."""
    zones = available_zones()
    if text not in zones:
        raise BudgetInputError(f"unknown time zone {text!r}{did_you_mean(text, zones)}")
    return text


def parse_slices(text: str) -> int:
    """`1m` -> 60: a slice length as `slices { length }` takes it (whole minutes dividing 1h)."""
    lengths = {format_duration(length): length for length in slice_lengths()}
    if text.strip() not in lengths:
        raise BudgetInputError(f"slices must be one of {' '.join(lengths)}, got {text!r}")
    return lengths[text.strip()]


def parse_window(text: str) -> int:
    """`30d` -> 2592000 seconds; whole minutes, from 1d to 365d, units largest first."""
    text = text.strip()
    if not _DURATION.fullmatch(text):
        raise BudgetInputError(f"window must be a duration such as 30d or 4w, got {text!r}")
    try:
        ms, ordered = parse_duration_ms(text)
    except DurationTooLarge:
        raise BudgetInputError(f"window must be from 1d to 365d, got a duration of {len(text)} characters") from None
    if not ordered:
        raise BudgetInputError(f"window {text!r} must list units largest first, e.g. 1d12h")
    if ms % UNIT_MS["m"]:
        raise BudgetInputError(f"window {text!r} must be whole minutes")
    seconds = ms // 1000
    if not MIN_WINDOW <= seconds <= MAX_WINDOW:
        raise BudgetInputError(f"window must be from 1d to 365d, got {text!r}")
    return seconds


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns separated by two spaces, no trailing blanks."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]


def alert_cells(row: AlertRow) -> tuple[str, ...]:
    """The cells of one alert row, in ALERT_HEADER order."""
    return (row.severity, row.burn, row.long, row.short, row.threshold, row.budget_spent,
            row.full_outage, row.example_burn, row.budget_lasts)


TIER_HEADER = ("tier", "pages", "tickets", "min_failures", "no-data alert")
WATCHES = {"ratio": "5m ratio absent", "both": "5m ratio or raw total absent"}


def tier_cells(tier: str, window: int) -> tuple[str, str, str, str]:
    """What a tier's SLO gets when its spec sets nothing: page and ticket conditions, their min_failures, NoData alert.

    From the language's own tier functions (lang/alerting.py), so this table cannot drift from what `slo build` writes.
    """
    by: dict[str, list[str]] = {"page": [], "ticket": []}
    for k in default_conditions(window):
        by[tier_severity(k.severity, tier)].append(f"{format_duration(k.long)}/{format_duration(k.short)} "
                                                    f"{decimal_text(k.burn)}x")
    failures = ", ".join(f"{severity}s {default_min_failures(severity)}" for severity, found in by.items() if found)
    no_data = (f"{tier_no_data_severity(tier)} after {format_duration(tier_no_data(tier))}, "
               f"{WATCHES[tier_no_data_watch(tier)]}")
    return ", ".join(by["page"]) or "none", ", ".join(by["ticket"]) or "none", failures, no_data


def tier_rows(window: int) -> list[tuple[str, ...]]:
    """One row per set of tiers with the same defaults, in TIERS order: `high, medium (default)`."""
    rows: dict[tuple[str, ...], list[str]] = {}
    for tier in TIERS:
        rows.setdefault(tier_cells(tier, window), []).append(tier + (" (default)" if tier == DEFAULT_TIER else ""))
    return [(", ".join(tiers), *cells) for cells, tiers in rows.items()]


def report(objective: Decimal, window: int, period: str | None = None, zone: str = DEFAULT_TIMEZONE,
           slices: int | None = None) -> str:
    """The whole text `slo budget` prints; `period` (a calendar unit, then `window` its nominal length) in `zone`;
    `slices`: the budget counted in bad slices of that length."""
    budget = 1 - objective
    over = f"over {format_duration(window)}" if period is None else f"per {timebase.period_text(period, zone)}"
    unit = "events" if slices is None else f"{format_duration(slices)} slices"
    lines = [f"objective {percent_text(objective)} {over}: error budget {percent_text(budget)} of {unit}", ""]
    rows = slo_budget_rows(objective, window, period, zone)
    if slices is not None:
        rows = as_slices(rows, objective, slices)
    lines.append("error budget as time" if slices is None else "error budget as bad slices")
    lines += ["  " + line for line in table(("per", "budget"), [(f"{row.label} ({row.span})", row.text) for row in rows])]
    if period is not None:
        counted = "the events since it started" if slices is None else \
            "the bad slices since it started over the slices of the whole period"
        lines.append(f"  each {period} starts {timebase.STARTS[period]} in {zone}; its budget counts {counted} and"
                     f" starts afresh with the next; alert thresholds use {timebase.nominal_text(period)}")
    lines.append("")
    conditions = default_conditions(window)
    if slices is not None:  # windows of at least two slices, as lang/alerting.py widens a slice SLO's defaults
        conditions = tuple(replace(k, long=long, short=short) for k in conditions
                           for long, short in [slice_windows(k.long, k.short, slices)])
    rows = list(alert_rows(objective, window, conditions))
    lines.append("default alerts (fire when the error ratio over both long and short exceeds 'fires above')")
    lines += ["  " + line for line in table(ALERT_HEADER, [alert_cells(row) for row in rows])]
    if slices is not None:  # docs.alert_rows counts whole slices, but needs the SLO's conditions
        lines.append("  detection times are those of events: with slices an alert fires once enough whole slices"
                     " have ended bad (a slice SLO's docs give them)")
    if any(not row.can_fire for row in rows):
        lines.append("  an alert that fires above 100% can never fire: the objective is too loose for its burn rate")
    lines.append("")
    lines.append("defaults by tier (`tier =` in a service or SLO; written conditions, min_failures and no_data win)")
    lines += ["  " + line for line in table(TIER_HEADER, tier_rows(window))]
    lines.append("  min_failures N: a condition fires only with N bad events within its long window; "
                 "expr SLOs count none (docs/LANGUAGE.md)")
    return "\n".join(lines) + "\n"


def run_budget(objective_text: str, window_text: str, timezone: str | None = None, slices_text: str | None = None) -> int:
    """Print the budget report; a bad objective, window, zone or slice length is one line on stderr and exit 2."""
    try:
        slices = None if slices_text is None else parse_slices(slices_text)
        objective = parse_objective(objective_text)
        period = parse_period(window_text)
        window = parse_window(window_text) if period is None else CALENDAR_PERIODS[period]
        if timezone is not None and period is None:
            raise BudgetInputError("--timezone places calendar periods; give a window such as 'calendar month'")
        zone = parse_timezone(timezone) if timezone is not None else DEFAULT_TIMEZONE
    except BudgetInputError as error:
        click.echo(f"slo budget: error: {error}", err=True)
        return EXIT_USAGE
    click.echo(report(objective, window, period, zone, slices), nl=False)
    return EXIT_OK
