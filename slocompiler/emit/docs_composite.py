"""The docs page's composite and maintenance sections: members with the maths of their budgets, windows in words.

A composite's members each allow `weight × (1 − objective)` of journeys to
fail while meeting their own objectives; their sum against the composite's
error budget says whether the journey promises more than its parts (the
checker warns then too). Maintenance windows are written as their schedule
only, never as "the next one": a page must be the same whatever day it is
built on (docs/DOCS.md).
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions, queries
from ..core.ir import CompositeIndicator, Maintenance, Program, Slo
from ..core.slices import current_window
from ..core.sremath import DEFAULT_TIMEZONE
from ..core.units import decimal_text, format_duration, percent_text
from .docs_text import NONE, md_fence, md_text
from .maintenance_view import EVERY_DAY, clock, is_recurring, local_text, once_bounds, utc_text

NO_DATA_TEXT = {"good": "counts as good (0) without series; left out while idle",
                "bad": "counts as bad (1) without series; left out while idle", "skip": "left out"}
# A ratio composite counts a member's silence in each window for the time it lasted (core/silence.py).
SILENT_TEXT = {**NO_DATA_TEXT,
               "bad": "counts as bad (1) for the time it has no series (once gone 5 minutes, from when it went); "
                      "left out while idle"}


SLICED = ("A composite of slices: a slice of the journey is bad when any member's slice is bad, so weights and"
          " `aggregate` do not apply. It is computed from the members' recorded slices, not from raw series.")


def measures(indicator: CompositeIndicator, sliced: bool = False) -> str:
    if sliced:  # the page adds that its members count slices, and when a slice is bad
        return ("The share of the journey's slices that are bad (weights and `aggregate` do not apply). It is"
                " computed from the members' recorded slices, not from raw series.")
    if indicator.aggregate == "worst":
        return ("The composite's burn rate is its members' highest burn rate, each times its weight"
                " (aggregate = worst): the error ratio is that burn rate times this SLO's error budget."
                " It is computed from the members' recorded ratios, not from raw series.")
    return ("The share of journeys that fail: the sum of its members' error ratios over the same window, each"
            " times its weight (how many times a journey passes through it), capped at 100%. It is computed"
            " from the members' recorded ratios, not from raw series.")


def query_blocks(slo: Slo) -> list[dict[str, str]]:
    """The composite's own recorded ratio: it has no query of its own to show."""
    short = current_window(slo)  # one slice for a composite of slices longer than 5m
    return [{"caption": f"Error ratio over {format_duration(short)}, as the rules record it from the members'"
                        f" `{conventions.error_ratio_rule(short)}` (likewise over every alert window and the SLO"
                        f" window):",
             "code": md_fence(queries.recorded(conventions.error_ratio_rule(short), slo.id))}]


def member_link(member_id: str, program: Program | None) -> str:
    """`[shop-availability](shop.md#slo-availability)`, or the escaped id when the member is not in the run."""
    if program is not None:
        for service in program.services:
            for slo in service.slos:
                if slo.id == member_id:
                    return f"[{md_text(member_id)}]({service.name}.md#slo-{slo.name})"
    return md_text(member_id)


def members_view(slo: Slo, program: Program | None) -> dict[str, object]:
    """The members table and the sentence comparing what they allow with the composite's budget."""
    assert isinstance(slo.indicator, CompositeIndicator)
    worst = slo.indicator.aggregate == "worst"
    rows, allowed, complete = [], Decimal(0), True
    no_data = NO_DATA_TEXT if slo.slices is not None else SILENT_TEXT
    for member in slo.indicator.members:
        found = program.slo(member.slo_id) if program is not None else None
        if found is None:
            complete = False
            objective = allows = NONE
        else:
            share = member.weight * found.error_budget
            allowed += share
            objective = percent_text(found.objective)
            if worst:  # a member burning at 1 (its objective) is seen at its weight
                allows = f"burn rate {decimal_text(member.weight)}"
            else:
                allows = f"{decimal_text(member.weight)} × {percent_text(found.error_budget)} = {percent_text(share)}"
        rows.append({"member": member_link(member.slo_id, program), "weight": decimal_text(member.weight),
                     "no_data": no_data[member.when_no_data], "objective": objective, "allows": allows})
    budget = percent_text(slo.error_budget)
    if slo.slices is not None:
        summary = SLICED
        for row in rows:
            row["allows"] = NONE
    elif worst:
        summary = (f"With aggregate = worst the composite spends its {budget} budget as fast as its fastest member,"
                   " weighted: a member just meeting its own objective burns at 1, which the composite sees as"
                   " its weight. So the composite holds while every member's burn rate times its weight stays"
                   " at or below 1; a member of weight above 1 must do better than its own objective.")
    elif not complete:
        summary = "Some members are not in this build, so what they allow together is not known here."
    else:
        verdict = ("so the members' objectives support the composite's" if allowed <= slo.error_budget
                   else "more than that budget: the journey promises more than its parts do, and can miss its"
                        " objective while every member meets its own")
        summary = (f"Meeting their own objectives, the members may fail {percent_text(allowed)} of journeys"
                   f" together, against the composite's error budget of {budget}, {verdict}.")
    return {"rows": rows, "summary": summary, "worst": worst}


def maintenance_rows(slo: Slo) -> list[dict[str, str]]:
    """Each window of the SLO: name, when (in its zone, and in UTC for a one-off), how long."""
    return [{"name": md_text(window.name), "when": md_text(when_text(window)),
             "length": format_duration(window.duration)} for window in slo.maintenance]


def when_text(window: Maintenance) -> str:
    if is_recurring(window):
        assert window.at is not None
        days = "every day" if window.every == EVERY_DAY else f"every {window.every}"
        return f"{days} at {clock(window.at)} {window.timezone} (local clock time, across daylight saving changes)"
    start, end = once_bounds(window)
    text = f"once, from {utc_text(start)} to {utc_text(end)}"
    if window.timezone == DEFAULT_TIMEZONE:
        return text
    return f"{text}; local time {local_text(start, window.timezone)} to {local_text(end, window.timezone)}"
