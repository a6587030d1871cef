"""Pass 3: the IR against its JSON Schema, then the semantic rules of LANGUAGE.md.

Every rule adds diagnostics and goes on, so one run reports everything; only
within one SLO does a value so wrong that later rules would merely echo it
(an objective out of range, a window out of range) end that SLO's checks.
"""

from __future__ import annotations

import time
from decimal import Decimal

from ..core import calendar, conventions, ir
from ..core.errors import Diagnostics
from ..core.ir import at
from ..core.sremath import MAX_WINDOW, MIN_SLICES_PER_WINDOW, MIN_WINDOW, budget_slices
from ..core.units import SIGNIFICANT_DIGITS, decimal_text, format_duration, percent_text, round_decimal

RESERVED_LABELS = (conventions.LABEL_SLO_ID, conventions.LABEL_SERVICE, conventions.LABEL_SLO)
# Every label starting with this is the compiler's to set (slo_id, slo_name, ...).
RESERVED_PREFIX = "slo_"
# Labels Prometheus or the alert rules put on every alert, whatever the spec says.
ALERT_LABELS = (conventions.LABEL_SEVERITY, conventions.LABEL_ALERT_NAME, conventions.LABEL_ALERT_STATE)
POLICY_OPS = {"budget_remaining": ("<", "<="), "burn_rate": (">", ">=")}


def check(program: ir.Program, diags: Diagnostics, find_schema_errors=None) -> None:
    """Run the schema, then every semantic rule, collecting all diagnostics.

    `find_schema_errors`: see `schema.validate`.
    """
    from .filenames import check_file_names
    from .schema import validate

    diags.items.extend(validate(program, find_schema_errors))
    check_unique_names(program, diags)
    check_file_names(program, diags)
    policies = {}
    for service in program.services:
        check_service(service, diags)
        for slo in service.slos:
            check_slo(service, slo, diags)
        if service.policy is not None:
            policies[id(service.policy)] = service.policy
    for policy in policies.values():
        check_policy(policy, diags)


def check_unique_names(program: ir.Program, diags: Diagnostics) -> None:
    """Service names are unique across files, even with - and _ taken as one; SLO ids (`<service>-<slo>`) never collide, nor differ only in - and _."""
    services: dict[str, ir.Service] = {}
    for service in sorted(program.services, key=lambda s: s.span):
        key = service.name.replace("_", "-")  # Kubernetes object names and alert names do not tell - from _
        first = services.get(key)
        if first is None:
            services[key] = service
        elif first.name == service.name:
            diags.error(service.span, f'service "{service.name}" is already defined at {first.span}')
        else:
            diags.error(service.span, f'service "{service.name}" differs from service "{first.name}" at {first.span} '
                                      f'only in "-" and "_", which Kubernetes object names and alert names do not tell apart')
    ids: dict[str, tuple[ir.Service, ir.Slo]] = {}
    for service in sorted(program.services, key=lambda s: s.span):
        for slo in sorted(service.slos, key=lambda s: s.span):
            key = slo.id.replace("_", "-")  # alert and recording rule names do not tell - from _ either
            first = ids.get(key)
            if first is None:
                ids[key] = (service, slo)
            elif first[0].name == service.name and first[1].name == slo.name:
                if first[0] is service:
                    diags.error(slo.span, f'slo "{slo.name}" is defined twice in service {service.name} (first at line {first[1].span.line})')
            elif first[0] is service:
                diags.error(slo.span, f'slo "{slo.name}" differs from slo "{first[1].name}" at {first[1].span} only in '
                                      f'"-" and "_", which alert names do not tell apart')
            else:
                diags.error(slo.span, f'SLO id "{slo.id}" collides with slo "{first[1].name}" of service '
                                      f'"{first[0].name}" at {first[1].span}')


def check_service(service: ir.Service, diags: Diagnostics) -> None:
    check_labels(service, service.labels, "labels", diags)


def check_labels(node: object, labels: ir.Labels, kind: str, diags: Diagnostics) -> None:
    for name, _ in labels:
        if name.startswith("__"):
            diags.error(at(node, f"{kind}.{name}"), f'label "{name}" is reserved: names starting with __ are Prometheus\'s own')
        elif name in RESERVED_LABELS:
            diags.error(at(node, f"{kind}.{name}"), f'label "{name}" is set by the compiler and cannot be given in a spec')


def check_slo(service: ir.Service, slo: ir.Slo, diags: Diagnostics) -> None:
    """Objective, SLA, window, group_by and every alert condition of one SLO."""
    if not 0 < slo.objective < 1:
        diags.error(at(slo, "objective"), f"objective must be strictly between 0% and 100%, not {percent_text(slo.objective)}")
        return
    for name in ("objective", "sla"):
        value = getattr(slo, name)
        if value is not None and round_decimal(value) != value:
            diags.error(at(slo, name), f"{name} has more digits than the outputs carry "
                                       f"({SIGNIFICANT_DIGITS} significant digits as a ratio)")
            return
    if slo.sla is not None:
        if not 0 < slo.sla < 1:
            diags.error(at(slo, "sla"), f"sla must be strictly between 0% and 100%, not {percent_text(slo.sla)}")
        elif slo.sla >= slo.objective:
            diags.error(at(slo, "sla"), f"sla ({percent_text(slo.sla)}) must be below the objective "
                                        f"({percent_text(slo.objective)}): the SLO is the stricter promise")
    if not MIN_WINDOW <= slo.window <= MAX_WINDOW:
        diags.error(at(slo, "window"), f"window must be from 1d to 365d, not {format_duration(slo.window)}")
        return
    if slo.window % 60:
        diags.error(at(slo, "window"), "window must be a whole number of minutes")
        return
    check_time_base(slo, diags)
    check_group_by(slo, diags)
    check_labels(slo, slo.labels, "labels", diags)
    check_labels(slo.alerting, slo.alerting.labels, "labels", diags)
    for condition in slo.alerting.conditions:
        check_condition(slo, condition, diags)
    unweighed = slo.indicator.kind in ("expr", "composite")
    if slo.alerting.no_data is not None and slo.alerting.no_data_watch != "ratio" and unweighed:
        what = "an expr indicator" if slo.indicator.kind == "expr" else "a composite"
        diags.error(at(slo.alerting, "no_data.watch"), f"{what} has no total series to watch; "
                                                       "use watch = ratio, or a ratio or latency indicator")
    if unweighed:
        check_expr_min_failures(slo, diags)
    check_one_rule_per_severity(slo, diags)


# When `slo check` runs: only the warning that the calendar table runs out reads it (tests set it).
clock = time.time


def check_time_base(slo: ir.Slo, diags: Diagnostics) -> None:
    """A timezone only moves calendar periods and maintenance windows; a slice budget of less than one slice fails at the first bad slice."""
    if slo.calendar is None and not slo.maintenance and any(name == "timezone" for name, _ in slo.fields):
        diags.warning(at(slo, "timezone"), f"timezone has no effect on {slo.id}: its window is rolling; "
                                           "calendar periods start at midnight in it (window = calendar month)")
    if slo.calendar is not None and calendar.table_runs_out(clock()):
        diags.warning(at(slo, "window"), f"the rules find {slo.id}'s calendar periods from a table of "
                                         f"{slo.timezone}'s UTC offsets that ends with {calendar.TABLE_LAST_YEAR}, "
                                         "within a year: after it each period keeps the table's last offset",
                      hint="rebuild with a slocompiler release whose table reaches further "
                           "(docs/PROMETHEUS.md, \"Calendar periods\")")
    if slo.slices is None:
        return
    if slo.calendar is not None and not calendar.starts_on_whole_hours(slo.calendar, slo.timezone):
        diags.warning(at(slo, "window"), f"{slo.id} counts its slices by the hour, and its calendar {slo.calendar} "
                                         f"in {slo.timezone} starts off the whole hour: the slices of the hour "
                                         "across each period start count in the new period",
                      hint="docs/PROMETHEUS.md, \"Calendar periods\"; a zone on whole hours (UTC) counts exactly")
    length = slo.slices.length
    if length == 60 and not isinstance(slo.indicator, ir.ThresholdIndicator):
        diags.warning(at(slo.slices, "length"),
                      f"each 1m slice of {slo.id} is a rate over its own minute, which needs two scrapes in it: "
                      "with a 1m scrape interval most slices hold one sample and have no data",
                      hint="scrape every 30s or faster, or use slices of 2m or more")
    for condition in slo.alerting.conditions:
        if condition.short < MIN_SLICES_PER_WINDOW * length:
            diags.warning(at(condition, "short"),
                          f"the {format_duration(condition.short)} window of {slo.id} holds fewer than"
                          f" {MIN_SLICES_PER_WINDOW} slices of {format_duration(length)}: its bad-slice ratio jumps"
                          " between 0 and 1", hint=f"a short window of at least {format_duration(2 * length)}")
            break
    allowed = budget_slices(slo.objective, slo.window, length)
    if allowed < 1:
        period = f"calendar {slo.calendar}" if slo.calendar else format_duration(slo.window)
        count = decimal_text(Decimal(slo.window) / length)
        diags.warning(at(slo.slices, "length"),
                      f"the error budget of {slo.id} is {decimal_text(round_decimal(allowed))} of a slice: "
                      f"{count} slices of {format_duration(length)} in {period} x error budget "
                      f"{decimal_text(slo.error_budget)}, so the first bad slice breaks the objective",
                      hint="shorter slices, a longer window or a lower objective leave a whole slice of budget")


def check_expr_min_failures(slo: ir.Slo, diags: Diagnostics) -> None:
    """A written `min_failures` cannot guard an expr SLO or a composite: a ratio but no event counts (a slice SLO counts slices)."""
    if slo.slices is not None:
        return
    for node in (slo.alerting, *slo.alerting.conditions):
        if any(name == "min_failures" for name, _ in node.fields):
            diags.warning(at(node, "min_failures"),
                          f"min_failures does not apply to {slo.id}: "
                          + ("an expr indicator gives" if slo.indicator.kind == "expr" else "a composite has its "
                             "members'") + " error ratio, not events to count, so its alerts fire on the ratio alone",
                          hint="a ratio or latency indicator of the same series can be guarded; "
                               "or lengthen the page's `for` to ride out a blip")
            return


def fixed_labels(slo: ir.Slo) -> dict[str, str]:
    """Labels the alert rules of an SLO set to one value, and where a spec set them."""
    fixed = {name: "a fixed label of this SLO" for name, _ in slo.labels}
    for name, _ in slo.alerting.labels:
        fixed.setdefault(name, "set by this SLO's alerting labels")
    for condition in slo.alerting.conditions:
        for name, _ in condition.labels:
            fixed.setdefault(name, f"set by the labels of a {condition.severity} condition")
    return fixed


def check_group_by(slo: ir.Slo, diags: Diagnostics) -> None:
    """Each group_by label once, and none the rules set themselves.

    A label the alert rules set overwrites the group's value, so every group's
    alert gets the same labels and Prometheus refuses the whole rule.
    """
    seen = set()
    fixed = fixed_labels(slo)
    for name in slo.group_by:
        where = at(slo, f"group_by.{name}") if any(f == f"group_by.{name}" for f, _ in slo.fields) else at(slo, "group_by")
        if name in seen:
            diags.error(where, f'group_by names "{name}" twice')
        elif name in RESERVED_LABELS or name.startswith(("__", RESERVED_PREFIX)):
            diags.error(where, f'group_by cannot use "{name}": the compiler sets that label')
        elif name in ALERT_LABELS:
            diags.error(where, f'group_by cannot use "{name}": every alert rule sets it, so the groups\' alerts '
                               "would collide and Prometheus would reject the rule")
        elif name == "le" and isinstance(slo.indicator, ir.LatencyIndicator):
            diags.error(where, 'group_by cannot use "le" in a latency SLO: good events are one bucket and all events '
                               "another, so per-le groups never match and the SLO would have no data")
        elif name in fixed:
            diags.error(where, f'group_by "{name}" is also {fixed[name]}; every group would get the same value')
        seen.add(name)


def check_condition(slo: ir.Slo, condition: ir.Condition, diags: Diagnostics) -> None:
    """`short < long <= window`, and a threshold an error ratio can reach."""
    where = f"in slo {slo.name}" if condition.span.file != slo.span.file or condition.span.line < slo.span.line else ""
    suffix = f" ({where})" if where else ""
    if condition.short >= condition.long:
        diags.error(at(condition, "short"), f"short ({format_duration(condition.short)}) must be shorter than long "
                                            f"({format_duration(condition.long)}){suffix}")
    if condition.long > slo.window:  # never a default: those shrink to fit the window
        diags.error(at(condition, "long"), f"long ({format_duration(condition.long)}) must not be longer than the "
                                           f"SLO window ({format_duration(slo.window)}){suffix}")
    threshold = condition.burn * slo.error_budget
    field = at(condition, "budget" if condition.budget is not None else "burn")
    product = (f"burn rate {decimal_text(condition.burn)} x error budget {decimal_text(slo.error_budget)} "
               f"= {decimal_text(threshold)}")
    if threshold > 1:
        diags.error(field, f"this {condition.severity} condition can never fire: {product}, more than 100% errors{suffix}")
    elif threshold == 1:
        diags.error(field, f"this {condition.severity} condition can never fire: {product}, and the error ratio "
                           f"cannot exceed 100%{suffix}")
    elif condition.severity == "page" and condition.burn <= 1:
        diags.error(field, f"a page must burn faster than 1x, not {decimal_text(condition.burn)}x: at that rate the "
                           f"budget lasts the whole window, so it would wake someone while the SLO is met; "
                           f"make it a ticket{suffix}")
    elif condition.severity == "ticket" and condition.burn < 1 and condition.span != slo.span:  # not a default
        diags.warning(field, f"this ticket fires at {decimal_text(condition.burn)}x, below 1x: at that rate the "
                             f"budget outlasts the window, so it can fire while the SLO is met{suffix}")
    if condition.for_ is not None and condition.for_ > condition.long:
        diags.warning(at(condition, "for"), f"for ({format_duration(condition.for_)}) is longer than long; "
                                            f"the alert would fire after the window has moved on{suffix}")
    check_labels(condition, condition.labels, "labels", diags)


def check_one_rule_per_severity(slo: ir.Slo, diags: Diagnostics) -> None:
    """An SLO's conditions of one severity are one alert rule: no two alike; the same `for`, labels and annotations."""
    seen: dict[tuple, ir.Condition] = {}
    first_of: dict[str, ir.Condition] = {}
    for condition in slo.alerting.conditions:
        key = (condition.severity, condition.long, condition.short, condition.burn)
        if key in seen:
            diags.error(condition.span, f"this {condition.severity} condition repeats the one at line "
                                        f"{seen[key].span.line} (same windows and burn rate)")
            continue
        seen[key] = condition
        first = first_of.setdefault(condition.severity, condition)
        for field, attribute in (("for", "for_"), ("labels", "labels"), ("annotations", "annotations")):
            if getattr(condition, attribute) != getattr(first, attribute):
                diags.error(at(condition, field), f"the {condition.severity} conditions of an SLO are one alert "
                                                  f"rule: {field} must be the same as at line {first.span.line}")


def check_policy(policy: ir.Policy, diags: Diagnostics) -> None:
    for rule in policy.rules:
        allowed = POLICY_OPS.get(rule.metric, ())
        if rule.op not in allowed:
            diags.error(at(rule, "op"), f"{rule.metric} is compared with {' or '.join(allowed)}, not {rule.op}")
        if rule.metric == "budget_remaining" and rule.over is not None:
            diags.error(at(rule, "over"), "over applies to burn_rate; budget_remaining is always over the SLO window")
        if rule.metric == "burn_rate" and rule.value <= Decimal(0):
            diags.error(at(rule, "value"), "a burn_rate threshold must be greater than 0")
