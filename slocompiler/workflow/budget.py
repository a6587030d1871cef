"""`slo budget`: the error budget as time and the default alert table for an objective."""

from __future__ import annotations

import re
from decimal import Decimal

import click

from ..core.sremath import MAX_WINDOW, MIN_WINDOW
from ..core.units import UNIT_MS, DurationTooLarge, format_duration, parse_duration_ms, percent_text
from ..emit.docs_model import AlertRow, alert_rows, budget_rows, default_conditions

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


def report(objective: Decimal, window: int) -> str:
    """The whole text `slo budget` prints."""
    budget = 1 - objective
    lines = [f"objective {percent_text(objective)} over {format_duration(window)}: "
             f"error budget {percent_text(budget)} of events", ""]
    lines.append("error budget as time")
    lines += ["  " + line for line in table(
        ("per", "budget"), [(f"{row.label} ({row.span})", row.text) for row in budget_rows(objective, window)])]
    lines.append("")
    rows = list(alert_rows(objective, window, default_conditions(window)))
    lines.append("default alerts (fire when the error ratio over both long and short exceeds 'fires above')")
    lines += ["  " + line for line in table(ALERT_HEADER, [alert_cells(row) for row in rows])]
    if any(not row.can_fire for row in rows):
        lines.append("  an alert that fires above 100% can never fire: the objective is too loose for its burn rate")
    return "\n".join(lines) + "\n"


def run_budget(objective_text: str, window_text: str) -> int:
    """Print the budget report; a bad objective or window is one line on stderr and exit 2."""
    try:
        objective = parse_objective(objective_text)
        window = parse_window(window_text)
    except BudgetInputError as error:
        click.echo(f"slo budget: error: {error}", err=True)
        return EXIT_USAGE
    click.echo(report(objective, window), nl=False)
    return EXIT_OK
