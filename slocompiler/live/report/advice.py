"""Advice from the periods before the report's: OUTPUTS.md's ladder rule, worded for a reliability review."""

from __future__ import annotations

from decimal import Decimal

from ...core.units import percent_text

LADDER = tuple(Decimal(text) for text in ("0.9", "0.95", "0.99", "0.995", "0.999", "0.9995", "0.9999"))
TIGHTER_BELOW = 0.25  # the budget spent in every previous period under a quarter: the objective could be tighter
MISSED_FROM = 2  # missed in this many previous periods or more: the objective is not being met


def met(sli: float, objective: Decimal) -> bool:
    """The SLI meets the objective: its error ratio within the budget (the same float test as the report's `met`)."""
    return 1 - sli <= float(1 - objective)


def suggested(slis: list[float | None]) -> Decimal | None:
    """The highest step of the ladder met in this period and every previous one (the first SLI is this period's;
    a period without data is left out); None when no step is, or this period has no SLI."""
    if not slis or slis[0] is None:
        return None
    known = [s for s in slis if s is not None]
    return max((step for step in LADDER if all(met(s, step) for s in known)), default=None)


def sli_text(sli: float | None) -> str:
    """An SLI as a percentage, to the thousandth of a percent: `99.981%` (`no data`)."""
    if sli is None:
        return "no data"
    return f"{sli * 100:.3f}".rstrip("0").rstrip(".") + "%"


def share_text(ratio: float | None) -> str:
    """A share of a budget as a percentage to a tenth: `89.4%` (`-`)."""
    return "-" if ratio is None else f"{ratio * 100:.1f}%"


def advice(name: str, objective: Decimal, sli: float | None, history: list[float | None], unit: str) -> str | None:
    """The review's sentence for one SLO, or None when the periods say nothing (`unit`: `months`, `weeks`...).

    The periods judged are this one and the previous ones with data: "in every
    one" and "two or more" count them all, as the suggestion does.
    """
    known = [s for s in history if s is not None]
    if not known or sli is None:
        return None
    count = len(history)
    last = f"each of the last {count} {unit}" if count > 1 else f"the last {unit.rstrip('s')}"
    step = suggested([sli, *history])
    budget = float(1 - objective)
    judged = [*known, sli]
    missed = [s for s in judged if not met(s, objective)]
    if len(missed) >= MISSED_FROM:
        figures = ", ".join(sli_text(s) for s in [*history, sli])
        text = (f"{name} missed {percent_text(objective)} in {len(missed)} of the last {len(judged)} {unit} "
                f"including this one (SLI {figures}): the objective is not being met")
        if step is not None and step < objective:
            text += f"; {percent_text(step)} was met in every one"
        return text
    if all((1 - s) / budget < TIGHTER_BELOW for s in judged):
        if step is not None and step > objective:
            left = 1 - max(1 - s for s in judged) / float(1 - step)
            return (f"{name} met {percent_text(step)} in {last} and in this one while promising "
                    f"{percent_text(objective)}: {percent_text(step)} would still leave {share_text(left)} of budget "
                    f"in the worst of them")
        most = max((1 - s) / budget for s in judged)
        return (f"{name} spent under a quarter of its budget in {last} and in this one (at most {share_text(most)}) "
                f"while promising {percent_text(objective)}: the objective could be tighter, or the budget spent on "
                f"faster releases")
    return None
