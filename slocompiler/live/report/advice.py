"""Advice from the periods before the report's: OUTPUTS.md's ladder rule, worded for a reliability review.

Every test here is on error ratios as exact decimals (`figures.exact_ratio`):
an SLI exactly at its objective is met, and a quarter of the budget is a
quarter, not 0.24999999999997 of it.
"""

from __future__ import annotations

from decimal import Decimal

from ...core.units import percent_text

LADDER = tuple(Decimal(text) for text in ("0.9", "0.95", "0.99", "0.995", "0.999", "0.9995", "0.9999"))
TIGHTER_BELOW = Decimal("0.25")  # the budget spent in every period under a quarter: the objective could be tighter
MISSED_FROM = 2  # missed in this many periods or more: the objective is not being met

Ratio = Decimal | None  # a period's error ratio; None without data


def met(ratio: Decimal, objective: Decimal) -> bool:
    """The error ratio within the objective's budget."""
    return ratio <= 1 - objective


def suggested(ratios: list[Ratio]) -> Decimal | None:
    """The highest step of the ladder met in this period and every previous one (the first ratio is this period's;
    a period without data is left out); None when no step is, or this period has no data."""
    if not ratios or ratios[0] is None:
        return None
    known = [r for r in ratios if r is not None]
    return max((step for step in LADDER if all(met(r, step) for r in known)), default=None)


def sli_text(sli: float | None) -> str:
    """An SLI as a percentage, to the thousandth of a percent: `99.981%` (`no data`)."""
    if sli is None:
        return "no data"
    return f"{sli * 100:.3f}".rstrip("0").rstrip(".") + "%"


def share_text(ratio: float | Decimal | None) -> str:
    """A share of a budget as a percentage to a tenth: `89.4%` (`-`)."""
    return "-" if ratio is None else f"{float(ratio) * 100:.1f}%"


def _sli(ratio: Ratio) -> float | None:
    return None if ratio is None else float(1 - ratio)


def advice(name: str, objective: Decimal, ratio: Ratio, history: list[Ratio], unit: str) -> str | None:
    """The review's sentence for one SLO, or None when the periods say nothing (`unit`: `months`, `weeks`...).

    The periods judged are this one and the previous ones with data: "in every
    one" and "two or more" count them all, as the suggestion does, and the
    wording counts only those (a previous period without data is not one of
    "the last 3 months" the objective was met in).
    """
    known = [r for r in history if r is not None]
    if not known or ratio is None:
        return None
    with_data = "" if len(known) == len(history) else " with data"
    previous = f"the last {unit.rstrip('s')}" if len(history) == 1 else f"the previous {unit.rstrip('s')}{with_data}"
    last = f"each of the last {len(known)} {unit}" if not with_data else f"each of the {len(known)} previous {unit}{with_data}"
    if len(known) == 1:
        last = previous
    step = suggested([ratio, *history])
    budget = 1 - objective
    judged = [*known, ratio]
    missed = [r for r in judged if not met(r, objective)]
    if len(missed) >= MISSED_FROM:
        figures = ", ".join(sli_text(_sli(r)) for r in [*history, ratio])
        text = (f"{name} missed {percent_text(objective)} in {len(missed)} of the {'last ' if not with_data else ''}"
                f"{len(judged)} {unit}{with_data} including this one (SLI {figures}): the objective is not being met")
        if step is not None and step < objective:
            text += f"; {percent_text(step)} was met in every one"
        return text
    if all(r / budget < TIGHTER_BELOW for r in judged):
        if step is not None and step > objective:
            left = 1 - max(judged) / (1 - step)
            return (f"{name} met {percent_text(step)} in {last} and in this one while promising "
                    f"{percent_text(objective)}: {percent_text(step)} would still leave {share_text(left)} of budget "
                    f"in the worst of them")
        most = max(judged) / budget
        return (f"{name} spent under a quarter of its budget in {last} and in this one (at most {share_text(most)}) "
                f"while promising {percent_text(objective)}: the objective could be tighter, or the budget spent on "
                f"faster releases")
    return None
