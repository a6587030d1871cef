"""The generated promtool cases of a composite SLO: a member's outage that pages the composite but not the member
alone, and one that pages the member but not the composite.

Each case feeds every member's raw input series (the member under test at a
constant error ratio, the others without errors), loads the members' rules
files too, and counts the firing pages of the composite and of the member in
Prometheus's `ALERTS` series (no annotations to predict). A constant ratio
reads the same over every window, so whether a page fires depends on its
lowest threshold alone. Slice composites and composites of composites are
not covered here, nor an outage of a member that counts slices (its
window ratio is the share of bad slices: 0 or 1 under a constant error
ratio); docs/PROMETHEUS.md, "Composite SLOs".
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..core import conventions as c
from ..core import sremath
from ..core.conventions import CURRENT_BURN_WINDOW
from ..core.composites import indicator
from ..core.ir import Member, Service, Slo
from ..core.queries import promql_string
from ..core.units import decimal_text, prom_window
from .history import exact_ratio
from .promtest_maintenance import first_window
from .promtest_parts import input_series
from .series import Plan, plan

# How far from a threshold a case's ratios stay (floating point, and a clear reading of the case).
MARGIN = Decimal("1.1")
PAGE = "page"


def page_threshold(slo: Slo) -> Decimal | None:
    """The lowest error ratio that pages (a constant ratio pages above it), or None when nothing pages."""
    if not slo.alerting.enabled:
        return None
    limits = [sremath.threshold(k.burn, slo.objective) for k in slo.alerting.conditions if k.severity == PAGE]
    return min(limits, default=None)


def composite_ratio(composite: Slo, member: Member, budget: Decimal, ratio: Decimal) -> Decimal:
    """The composite's error ratio while one member has `ratio` and the others none."""
    if indicator(composite).aggregate == "worst":
        return min(member.weight * ratio / budget * composite.error_budget, Decimal(1))
    return min(member.weight * ratio, Decimal(1))


def _ratio_for(composite: Slo, member: Member, budget: Decimal, target: Decimal) -> Decimal:
    """The member ratio at which the composite's reaches `target` (the inverse of `composite_ratio`)."""
    if indicator(composite).aggregate == "worst":
        return target * budget / (member.weight * composite.error_budget)
    return target / member.weight


def _pages(slo: Slo, at: int) -> dict:
    """A check counting `slo`'s firing pages (by `severity`, or `slo_severity` when a label renamed it)."""
    base = (f"{c.ALERTS_SERIES}{{{c.LABEL_ALERT_NAME}={promql_string(slo.alerting.name)}, "
            f"{c.LABEL_ALERT_STATE}=\"firing\", {c.LABEL_SLO_ID}={promql_string(slo.id)}, ")
    expr = f"count({base}{c.LABEL_SEVERITY}=\"{PAGE}\"}} or {base}{c.LABEL_ALERT_CLASS}=\"{PAGE}\"}})"
    return {"expr": expr, "eval_time": prom_window(at)}


def composite_cases(services: Mapping[str, Service], slo: Slo, step: int, at: int) -> list[dict] | None:
    """The two cases of an event-style composite whose members can be fed, or None (the header then says so).

    `services`: each member's service, by member SLO id. `at`: when the alerts are read.
    """
    if slo.slices is not None:
        return None
    members = [(member, _member(services, member.slo_id)) for member in indicator(slo).members]
    # The cases know nothing of maintenance: a window that reaches them (in the rules' 1970, an evening's daily
    # window in Tokyo runs at time 0) would silence the composite, or the member whose outage they feed. Another
    # member's window only leaves that member out, which its zero errors already add.
    def resting(each: Slo) -> bool:
        return first_window(each, at + CURRENT_BURN_WINDOW + step) is not None

    if resting(slo):
        return None
    plans: list[Plan] = []
    for _, target in members:
        inputs = plan(target.indicator, target.group_by) if not target.is_composite else None
        if not isinstance(inputs, Plan):
            return None
        plans.append(inputs)
    own = page_threshold(slo)
    if own is None:
        return None
    cases = []
    # A member in maintenance at the cases' time is not fed an outage. A member that counts slices reads a constant error ratio as every slice bad or none (its window ratio 1 or
    # 0), not as that ratio: no outage of it is partial, so the cases take their outage from another member.
    members_fed = [(member, target) for member, target in members if target.slices is None and not resting(target)]
    for member, target in members_fed:
        limit = page_threshold(target)
        budget = target.error_budget
        lowest = _ratio_for(slo, member, budget, own)  # from here on the composite pages
        # Below the composite's own threshold too where it can: only the weight (or the budgets) then make it page.
        highest = min(limit or 1, Decimal(1))
        if lowest * MARGIN < min(highest, own) / MARGIN:
            highest = min(highest, own)
        if lowest * MARGIN < highest / MARGIN:
            ratio = exact_ratio((lowest * MARGIN + highest / MARGIN) / 2)
            if composite_ratio(slo, member, budget, ratio) > own * MARGIN and (limit is None or ratio * MARGIN < limit):
                cases.append(_case(services, slo, members, plans, member, ratio, (True, False), step, at))
                break  # one member is enough
    for member, target in members_fed:
        limit = page_threshold(target)
        lowest = _ratio_for(slo, member, target.error_budget, own)
        if limit is not None and limit * MARGIN < min(lowest, Decimal(1)) / MARGIN:
            ratio = exact_ratio((limit * MARGIN + min(lowest, Decimal(1)) / MARGIN) / 2)
            if ratio > limit * MARGIN and composite_ratio(slo, member, target.error_budget, ratio) * MARGIN < own:
                cases.append(_case(services, slo, members, plans, member, ratio, (False, True), step, at))
                break
    return [case for case in cases if case is not None]


def _member(services: Mapping[str, Service], slo_id: str) -> Slo:
    return next(s for s in services[slo_id].slos if s.id == slo_id)


def _case(services: Mapping[str, Service], slo: Slo, members: list[tuple[Member, Slo]], plans: list[Plan],
          outage: Member, ratio: Decimal, pages: tuple[bool, bool], step: int, at: int) -> dict | None:
    series: dict[str, str] = {}
    for (member, _), inputs in zip(members, plans):
        for made in input_series(inputs, [(ratio if member is outage else Decimal(0), at)], step):
            if series.setdefault(made["series"], made["values"]) != made["values"]:
                return None  # two members count the same series differently: no inputs fit both
    target = _member(services, outage.slo_id)
    checks = []
    for page, who in ((pages[0], slo), (pages[1], target)):
        check = _pages(who, at)
        check["exp_samples"] = [{"labels": "{}", "value": 1}] if page else []
        checks.append(check)
    what = "pages the composite, not the member alone" if pages[0] else "pages the member, not the composite"
    return {
        "name": f"{slo.id}: {outage.slo_id} at error ratio {decimal_text(ratio)} (weight {decimal_text(outage.weight)}):"
                f" {what}",
        "interval": prom_window(step),
        "input_series": [{"series": text, "values": values} for text, values in series.items()],
        "alert_rule_test": [],
        "promql_expr_test": checks,
    }

