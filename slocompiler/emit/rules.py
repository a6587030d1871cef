"""The rules files: recording rules and, from alerts.py, the alerting rules, in groups per service.

Rules are built as plain data (rule_groups) and written through the templates
prometheus.rules.yml.j2 and prometheus_groups.yml.j2, whose filters quote every
value, so a spec's strings stay strings. docs/PROMETHEUS.md explains the rule layout.
"""

from __future__ import annotations

from decimal import Decimal

from ..core import conventions as c
from ..core import composites, maintenance, queries, slices
from ..core.ir import ExprIndicator, Program, Service, Slo, ThresholdIndicator
from ..core.units import decimal_text, prom_window
from . import calendar_rules, composite_rules
from .alerts import alert_rules
from .render import one_line, render


def rules_files(program: Program) -> dict[str, str]:
    """Only the rules files, `{path: text}`: what the benchmark times against `promtool check rules`."""
    known = composites_of(program)
    return {c.prometheus_rules_path(s.name): rules_yaml(s, known) for s in program.services}


def rules_yaml(service: Service, known: composite_rules.Composites | None = None) -> str:
    """The text of one service's rules file; `known`: the program's composites and members (`composite_rules.of`)."""
    return render("prometheus.rules.yml.j2", source=source_comment(service), groups=rule_groups(service, known))


def source_comment(service: Service) -> str:
    """The spec's path as it may stand in a one-line comment."""
    return one_line(service.source)


def rule_groups(service: Service, known: composite_rules.Composites | None = None) -> list[dict]:
    """Two groups per service (per SLOS_PER_GROUP SLOs), SLOs in spec order: SLIs then alerts; the period ratio and metadata.

    `known`: the program's composites and the windows their members record for them (without it, this service's own).
    """
    if known is None:
        known = composites_of(Program((service,)))
    groups: list[dict] = []
    for part, start in enumerate(range(0, len(service.slos), c.SLOS_PER_GROUP), start=1):
        slos = service.slos[start:start + c.SLOS_PER_GROUP]
        rules = [rule for slo in slos for rule in sli_rules(service, slo, known) + alert_rules(service, slo, known.slos)]
        groups.append({"name": c.group_name(c.GROUP_SLI, service.name, part), "rules": rules})
        computed: calendar_rules.Computed = {}
        period = [rule for slo in slos for rule in period_rules(service, slo, computed, known)]
        groups.append({"name": c.group_name(c.GROUP_PERIOD, service.name, part),
                       "interval": c.GROUP_PERIOD_INTERVAL, "rules": period})
    return groups


def composites_of(program: Program) -> composite_rules.Composites:
    """Every SLO by id and the windows members record for their composites (`rule_groups` reads it)."""
    return composite_rules.of(program, recorded_windows)


def alert_windows(slo: Slo) -> list[int]:
    """Every window a condition reads (even with alerting disabled: dashboards show them), plus 5m; not the SLO window.

    A slice SLO's current window holds a whole slice: 5m, or its slice length when longer.
    """
    windows = {c.CURRENT_BURN_WINDOW if slo.slices is None else slices.current_window(slo)}
    for condition in slo.alerting.conditions:
        windows.update((condition.long, condition.short))
    if slo.calendar is None:  # a calendar period's ratio is not a rolling window of its nominal length
        windows.discard(slo.window)
    return sorted(windows)


def recorded_windows(service: Service, slo: Slo) -> list[int]:
    """The alert windows, and the `over` windows of the service's policy (a gate reads their ratios)."""
    from .policy import policy_windows

    return sorted(set(alert_windows(slo)) | policy_windows(service, slo))


def _record(name: str, expr: str, labels: dict[str, str]) -> dict:
    return {"record": name, "expr": expr, "labels": dict(labels)}


def sli_rules(service: Service, slo: Slo, known: composite_rules.Composites | None = None) -> list[dict]:
    """Event rates over 5m and the error ratio for every alert window (and every window a composite reads from it)."""
    labels = c.slo_labels(slo, service)
    known = known or composite_rules.Composites()
    windows = known.windows(slo, recorded_windows(service, slo))
    if slo.is_composite:
        return composite_sli_rules(slo, windows, labels, known)
    short = c.CURRENT_BURN_WINDOW
    rules = []
    counted = not isinstance(slo.indicator, ExprIndicator)
    if slo.maintenance:
        # First: every base series below is recorded `unless` it (maintenance.outside).
        rules.append(_maintenance_rule(slo, labels))
    if isinstance(slo.indicator, ThresholdIndicator):
        # Each series' sample judged once per evaluation; the 5m rates count those (no raw range read).
        rules.append(_record(c.SAMPLE_GOOD, queries.judged(slo.indicator), labels))
        judged = queries.recorded_samples(slo.id, short)
        for prefix, kind in ((c.EVENTS_TOTAL_PREFIX, "total"), (c.EVENTS_BAD_PREFIX, "bad")):
            counts = queries.sample_counts(judged, short, slo.group_by, kind)
            rules.append(_record(prefix + prom_window(short), maintenance.outside(slo, counts), labels))
    elif counted:
        # The total first: the bad-events fallback and the short windows read it recorded.
        total_now = queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(short), slo.id)
        total = queries.total_events(slo.indicator, short, slo.group_by) or ""
        bad = queries.bad_events(slo.indicator, short, slo.group_by, total_now) or ""
        rules.append(_record(c.EVENTS_TOTAL_PREFIX + prom_window(short), maintenance.outside(slo, total), labels))
        rules.append(_record(c.EVENTS_BAD_PREFIX + prom_window(short), maintenance.outside(slo, bad), labels))
    if slo.slices is not None:
        rules += slice_rules(slo, windows, labels)
    else:
        for window in windows:
            rules.append(_record(c.error_ratio_rule(window), window_ratio(slo, window), labels))
            if window == short and not counted:
                # Right after the 5m ratio: the derived windows after it read this evaluation's.
                rules.append(known_ratio_rule(slo, labels))
        if short not in windows and not counted:
            rules.append(known_ratio_rule(slo, labels))
        rules.append(current_burn_rule(slo, labels))
    if slo.calendar is not None:
        rules.extend(calendar_rules.sli_rules(slo, labels))
    return rules


def _maintenance_rule(slo: Slo, labels: dict[str, str]) -> dict:
    return _record(c.MAINTENANCE_ACTIVE, maintenance.active_promql(slo.maintenance, slices.current_window(slo)), labels)


def composite_sli_rules(slo: Slo, windows: list[int], labels: dict[str, str],
                        known: composite_rules.Composites) -> list[dict]:
    """A composite's SLI rules, from its members' recorded series: its ratios, or its last slice and the slice rules."""
    rules = [_maintenance_rule(slo, labels)] if slo.maintenance else []
    if slo.slices is not None:
        rules += slice_rules(slo, windows, labels, composites.slice_value(slo, known.slos))
    else:
        rules += composite_rules.ratio_rules(slo, windows, labels, known)
    if slo.calendar is not None:
        rules.extend(calendar_rules.sli_rules(slo, labels))
    return rules


def slice_rules(slo: Slo, windows: list[int], labels: dict[str, str], value: str | None = None) -> list[dict]:
    """A slice SLO's SLI rules after its event rates: the last slice's error ratio (or a composite's `value`), bad-slice
    ratios, the current burn."""
    assert slo.slices is not None
    if value is None:
        value = slices.slice_value(window_ratio(slo, slo.slices.length), slo.slices, slo.group_by)
    # After `no_data`: a slice in maintenance is skipped, even one that `no_data = bad` would count.
    value = maintenance.outside(slo, value)
    rules = [_record(c.SLICE_ERROR, value, labels)]
    bad, counted = slices.hour_counts(slo)
    rules += [_record(c.SLICES_BAD_HOUR, bad, labels), _record(c.SLICES_COUNTED_HOUR, counted, labels)]
    rules += [_record(c.error_ratio_rule(window), slices.bad_ratio(slo, window), labels) for window in windows]
    current = queries.recorded(c.error_ratio_rule(slices.current_window(slo)), slo.id)
    return rules + [_record(c.CURRENT_BURN_RATE, f"{current} / {decimal_text(slo.error_budget)}", labels)]


def current_burn_rule(slo: Slo, labels: dict[str, str]) -> dict:
    """The 5m burn rate, in the SLI group with the 5m ratio it divides.

    Not in the period group: dashboards read it as the worst sample of each
    step (`[$__rate_interval]`, from 1m), which a 2m period interval leaves
    empty every other step, and gates would read it up to 2 minutes late.
    """
    current = queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    return _record(c.CURRENT_BURN_RATE, f"{current} / {decimal_text(slo.error_budget)}", labels)


def window_ratio(slo: Slo, window: int) -> str:
    """One recorded window's error ratio: from the recorded 5m rates (tiled below 2h, summed from 2h on), else raw."""
    short = c.CURRENT_BURN_WINDOW
    # With maintenance every window but 5m comes from the recorded base series, which leave it out, never
    # from raw series; a slice SLO's ratios read its slices, so its slice's own ratio may read raw ones.
    raw = not slo.maintenance or slo.slices is not None or window == short
    if isinstance(slo.indicator, ExprIndicator):
        if window == short and slo.slices is None:  # an expr SLO's base series
            return maintenance.outside(slo, queries.error_ratio(slo.indicator, window, slo.group_by))
        if window < c.DERIVED_WINDOW_FROM and raw:
            return queries.error_ratio(slo.indicator, window, slo.group_by)
        # No event counts to weigh by: the time average of the 5m ratios that exist, as for the period.
        return f"avg_over_time({queries.recorded(c.known_ratio_rule(short), slo.id, window)})"
    bad = c.EVENTS_BAD_PREFIX + prom_window(short)
    total = c.EVENTS_TOTAL_PREFIX + prom_window(short)
    if window == short:
        # Reuse the two rates just recorded.
        return f"{queries.recorded(bad, slo.id)}\n/\n{queries.recorded(total, slo.id)}"
    if window < c.DERIVED_WINDOW_FROM and not queries.tiles(window) and raw:
        if isinstance(slo.indicator, ThresholdIndicator):
            return queries.sample_ratio(queries.recorded_samples(slo.id, window), slo.group_by)
        return queries.error_ratio(slo.indicator, window, slo.group_by, queries.recorded(total, slo.id))
    bad_rate, total_rate = (lambda span, name=name: queries.recorded(name, slo.id, span) for name in (bad, total))
    combine = queries.tiled_ratio if queries.tiles(window) else queries.derived_ratio
    return combine(bad_rate, total_rate, window)


def known_ratio_rule(slo: Slo, labels: dict[str, str]) -> dict:
    """An `expr` SLO's 5m ratio without the NaN of an idle interval (0/0), which would poison the window's average."""
    ratio = queries.recorded(c.error_ratio_rule(c.CURRENT_BURN_WINDOW), slo.id)
    # NaN >= 0 is false, so the comparison drops exactly the intervals with no ratio.
    return _record(c.known_ratio_rule(c.CURRENT_BURN_WINDOW), f"{ratio} >= 0", labels)


def period_ratio(slo: Slo, known: composite_rules.Composites | None = None) -> str:
    """The SLO-window error ratio: recorded 5m event rates summed over the window (traffic-weighted); a slice SLO's
    bad slices; a calendar SLO's since its period start."""
    if slo.calendar is not None:
        return calendar_rules.period_ratio(slo)
    short = c.CURRENT_BURN_WINDOW
    if slo.slices is not None:
        return slices.bad_ratio(slo, slo.window)
    if slo.is_composite:

        return composites.window_ratio(slo, (known or composite_rules.Composites()).slos, slo.window)
    if isinstance(slo.indicator, ExprIndicator):
        # No event counts to weigh by: the time average of the 5m ratios that exist.
        return f"avg_over_time({queries.recorded(c.known_ratio_rule(short), slo.id, slo.window)})"
    bad = queries.recorded(c.EVENTS_BAD_PREFIX + prom_window(short), slo.id, slo.window)
    total = queries.recorded(c.EVENTS_TOTAL_PREFIX + prom_window(short), slo.id, slo.window)
    return f"sum_over_time({bad})\n/\nsum_over_time({total})"


def member_period_rules(slo: Slo, labels: dict[str, str], known: composite_rules.Composites | None) -> list[dict]:
    """A member's ratios over the windows only its composites' period ratios read (none for other SLOs)."""
    windows = sorted(known.extra_period.get(slo.id, ())) if known else []
    if not windows:
        return []

    def ratio(window: int) -> str:
        if slo.slices is not None:  # a slice composite's too: its bad slices, as for its own windows
            return slices.bad_ratio(slo, window)
        return composites.window_ratio(slo, known.slos, window) if slo.is_composite else window_ratio(slo, window)

    return [_record(c.error_ratio_rule(window), ratio(window), labels) for window in windows]


def period_rules(service: Service, slo: Slo, computed: calendar_rules.Computed | None = None,
                 known: composite_rules.Composites | None = None) -> list[dict]:
    """The SLO-window error ratio and OUTPUTS.md's metadata rules but the current burn rate (`current_burn_rule`).

    A calendar SLO's start and end come first; `computed` holds the SLO
    whose rules compute them for each (unit, zone) of the group.
    """
    labels = c.slo_labels(slo, service)
    budget = decimal_text(slo.error_budget)
    # A calendar period's nominal length, which its burn-rate thresholds use too.
    days = decimal_text(Decimal(slo.window) / 86400)
    period = queries.recorded(c.window_ratio_rule(slo), slo.id)
    bounds = [] if slo.calendar is None else calendar_rules.bound_rules(slo, labels, {} if computed is None else computed)
    return [
        *bounds,
        *member_period_rules(slo, labels, known),
        _record(c.window_ratio_rule(slo), period_ratio(slo, known), labels),
        _record(c.OBJECTIVE, f"vector({decimal_text(slo.objective)})", labels),
        _record(c.ERROR_BUDGET, f"vector({budget})", labels),
        _record(c.TIME_PERIOD_DAYS, f"vector({days})", labels),
        _record(c.PERIOD_BURN_RATE, f"{period} / {budget}", labels),
        _record(c.BUDGET_REMAINING, f"1 - {queries.recorded(c.PERIOD_BURN_RATE, slo.id)}", labels),
    ]
