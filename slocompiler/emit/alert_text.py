"""The summary and description of a burn-rate alert: Go templates whose queries read the recorded series.

Text is a tuple of parts: plain text, a group label, or a `Read` (a template
query, with what to print when it returns a sample and when it does not).
One definition, two renderings: `template` writes the parts as a Prometheus
annotation template, `expand` prints them from predicted readings (what the
generated promtool tests expect), so the rules and their tests cannot drift.

The alert stays one instance per incident: which window pair fired is not a
label but a chain of template queries, the pairs in the expression's order,
each restricted to the alert's own `group_by` values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from ..core import conventions as c
from ..core import pairs, queries, silence, sremath, timebase
from ..core.ir import Condition, Slo
from ..core.units import decimal_text, format_duration, human_duration, percent_text, prom_window, significant_text

# How a reading is printed: a burn rate (`167`), a share (`humanizePercentage`), seconds (`humanizeDuration`).
BURN, PERCENT, DURATION = "burn", "percent", "duration"
# Burn rates print with three significant digits, whole numbers from here on (not `1e+03`).
WHOLE_FROM = Decimal("999.5")
# A printed figure this close (relative) to a rounding edge could go either way in floating point.
PRINT_TIE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Value:
    """The reading of the innermost `Read`, printed as `form`; `alert=True`: the alert's own `$value`."""

    form: str
    alert: bool = False


@dataclass(frozen=True, slots=True)
class Label:
    """The alert's value of one label (a `group_by` label)."""

    name: str


@dataclass(frozen=True, slots=True)
class Read:
    """A template query: `then` when it returns a sample (`Value` prints it), else `otherwise`.

    `key` names the reading for a prediction; `promql` is the query, its
    selectors of the SLO's recorded series not yet restricted to the group.
    """

    key: tuple
    promql: str
    then: tuple
    otherwise: tuple = ()


class Unprintable(Exception):
    """A predicted figure sits on a rounding edge: what Prometheus prints cannot be known."""


# --- the text of a rule ---------------------------------------------------------------------------------


def _budget(slo: Slo) -> str:
    return decimal_text(slo.error_budget)


def _one_line(promql: str) -> str:
    return " ".join(line.strip() for line in promql.splitlines())


def pair_query(slo: Slo, condition: Condition) -> str:
    """The condition's window pair as the expression has it, over the budget: its long-window burn, when it holds."""
    return f"({_one_line(pairs.window_pair(slo, condition))}) / {_budget(slo)}"


def burn_query(slo: Slo, window: int) -> str:
    """The burn rate over `window`: the recorded error ratio over the budget (`>= 0`: NaN, no traffic, is no data)."""
    return f"{queries.recorded(c.error_ratio_rule(window), slo.id)} / {_budget(slo)} >= 0"


def remaining_query(slo: Slo) -> str:
    """The budget remaining over the SLO window, as recorded."""
    return queries.recorded(c.BUDGET_REMAINING, slo.id)


def exhaustion_query(slo: Slo, condition: Condition, window: int | None = None) -> str:
    """Seconds until the budget left is spent at the condition's long-window burn (or over `window`, its short
    one), when the pair holds and budget is left.

    Rounded to the second: `humanizeDuration` cuts the fraction, and would
    print 59s for a float a hair under a whole minute.
    """
    matching = queries.on((c.LABEL_SLO_ID, *slo.group_by))
    burn = pair_query(slo, condition)
    if window is not None:
        burn = f"{queries.recorded(c.error_ratio_rule(window), slo.id)} / {_budget(slo)} and {matching} {burn}"
    return f"round(({remaining_query(slo)} > 0) * {slo.window} / {matching} ({burn}))"


def holds(conditions: tuple[Condition, ...]) -> bool:
    """Whether the rule holds its firing alert while the SLO has no data (`pairs.held`): pages, not tickets.

    A page resolving while the service is dead tells the on-call it is fixed.
    A ticket's pairs hold by themselves for most of their long windows (they keep the rates recorded within),
    and a ticket wakes nobody.
    """
    return conditions[0].severity == "page"


def held_query(slo: Slo, condition: Condition) -> str:
    """The burn of the hold (`pairs.held_ratio`): the long window's burn, while there is no 5m ratio."""
    return f"({_one_line(pairs.held_ratio(slo, condition))}) / {_budget(slo)}"


def _held_parts(slo: Slo, conditions: tuple[Condition, ...], then: tuple, otherwise: tuple) -> tuple:
    """`then` (`Value` the held burn) when the rule holds and its hold does, else `otherwise`."""
    if not holds(conditions):
        return otherwise
    return (Read(("held", 0), held_query(slo, conditions[0]), then, otherwise),)


def _down(slo: Slo) -> str:
    """Why an SLO may have no current ratio: a composite's come from its members' services."""
    return "its members' services may be down" if slo.is_composite else "the service may be down"


def _sees(condition: Condition) -> str:
    return f"{condition.severity}s above {significant_text(condition.burn)}x"


def group_parts(slo: Slo) -> tuple:
    """` (route=/pay)`: the alert's `group_by` values; nothing without `group_by`."""
    if not slo.group_by:
        return ()
    parts: list = [" ("]
    for number, name in enumerate(slo.group_by):
        parts += [", " if number else "", f"{name}=", Label(name)]
    return (*parts, ")")


def summary_parts(slo: Slo, conditions: tuple[Condition, ...]) -> tuple:
    """`SLO x is burning its error budget 167x over 1h (pages above 14.4x)`: the first pair that holds."""
    lowest = significant_text(min(k.burn for k in conditions))
    # Only when the data changed between the rule's evaluation and its template's queries.
    chosen: tuple = (f"at {lowest}x or faster: error ratio ", Value(PERCENT, alert=True))
    first = conditions[0]
    held = f"x over {format_duration(first.long)} at its last reading ({_sees(first)}); no data since: {_down(slo)}"
    chosen = _held_parts(slo, conditions, (Value(BURN), held), chosen)
    for number in reversed(range(len(conditions))):
        condition = conditions[number]
        fired = (Value(BURN), f"x over {format_duration(condition.long)} ({_sees(condition)})")
        chosen = (Read(("pair", number), pair_query(slo, condition), fired, chosen),)
    return (f"SLO {slo.id}", *group_parts(slo), " is burning its error budget ", *chosen)


def _burn_now(slo: Slo, key: tuple, window: int) -> Read:
    over = format_duration(window)
    return Read(key, burn_query(slo, window), (Value(BURN), f"x over {over}"), (f"no data over {over}",))


def _to_the_second(seconds: Decimal) -> Decimal:
    """Whole seconds above a minute: a reader of `1d1h42m51.429s` wants `1d1h42m51s`."""
    return seconds if seconds < 60 else seconds.to_integral_value(rounding=ROUND_HALF_EVEN)


def condition_parts(slo: Slo, number: int, condition: Condition) -> tuple:
    """One line per condition: its pair and threshold, what that burn means, and the current burn over both windows."""
    threshold = significant_text(sremath.threshold(condition.burn, slo.objective))
    lasts = human_duration(_to_the_second(sremath.exhaustion_seconds(condition.burn, slo.window)))
    # A condition given as `budget` states the share exactly; the rounded burn would give 9.99999999999%
    # (printed to 3 digits either way, but then rounded once, from the exact share).
    share = condition.budget if condition.budget is not None else sremath.budget_spent_when_firing(
        condition.burn, condition.long, slo.window
    )
    head = (f"\n{pair_text(condition)} {_sees(condition)} (error ratio {threshold}; at that burn the budget lasts"
            f" {lasts}, {significant_text(share * 100)}% of it spent when this fires): now ")
    return (head, _burn_now(slo, ("long", number), condition.long), ", ",
            _burn_now(slo, ("short", number), condition.short), ".")


def remaining_parts(slo: Slo, conditions: tuple[Condition, ...]) -> tuple:
    """The budget left over the SLO window (a calendar SLO's: this period's) and when it is spent, at the firing pair's short-window burn (the
    current one) and at its long-window burn."""
    # NaN (no traffic over the window) is neither above 0 nor at most 0: no data.
    spent = Read(("remaining", "spent"), f"{remaining_query(slo)} <= 0", ("none, already spent",), ("no data",))
    left = Read(("remaining", "left"), f"{remaining_query(slo)} > 0", (Value(PERCENT),), (spent,))
    when: tuple = ()
    for number in reversed(range(len(conditions))):
        condition = conditions[number]
        short, long = format_duration(condition.short), format_duration(condition.long)
        # Three minutes into an outage the long burn is a fraction of the current one: both, the current first.
        now = Read(("exhaustion-short", number), exhaustion_query(slo, condition, condition.short),
                   (f"; at the {short} burn it is spent in ", Value(DURATION), f", at the {long} burn in "),
                   (f"; at the {long} burn it is spent in ",))
        when = (Read(("exhaustion", number), exhaustion_query(slo, condition), (now, Value(DURATION)), when),)
    # A calendar SLO's budget is its current period's, since the period start: "this month", not "over 30d".
    return (f"\nBudget remaining {timebase.current_window(slo)}: ", left, *when, ".")


def silent_parts(slo: Slo) -> tuple:
    """A line for each `when_no_data = bad` member of a composite that has no 5m ratio now: the page may be its
    silence, which no member's own burn rate shows."""
    if not slo.is_composite:
        return ()
    return tuple(Read(("silent", member.slo_id),
                      f"time() - max({silence.selector(c.MEMBER_MISSING_SINCE, slo.id, member.slo_id)})",
                      (f"\nMember {member.slo_id} has had no 5m error ratio for ", Value(DURATION),
                       f"; its silence counts as bad once it lasts {format_duration(silence.GRACE)}."))
                 for member in silence.members(slo))


def description_parts(slo: Slo, conditions: tuple[Condition, ...]) -> tuple:
    """The SLO and its budget, each condition now, the budget left and when it runs out, then the SLO's description."""
    budget_time = human_duration(sremath.budget_seconds(slo.objective, slo.window))
    # A calendar SLO's budget as time is that of its nominal length, which the thresholds use too.
    of = f"the {format_duration(slo.window)}" if slo.calendar is None else timebase.nominal_text(slo.calendar)
    parts: list = [f"SLO {slo.id} ({percent_text(slo.objective)} {timebase.over_window(slo)}; error budget"
                   f" {decimal_text(slo.error_budget)}, {budget_time} of {of})."]
    for number, condition in enumerate(conditions):
        parts += condition_parts(slo, number, condition)
    parts += silent_parts(slo)
    parts += remaining_parts(slo, conditions)
    first = conditions[0]
    long, threshold = format_duration(first.long), significant_text(sremath.threshold(first.burn, slo.objective))
    held = (f"\nNo 5m error ratio: {_down(slo)} or no longer scraped. This page holds while the"
            f" {long} error ratio of what was recorded within {long} is above {threshold}.")
    parts += _held_parts(slo, conditions, (held,), ())
    if slo.group_by:
        parts.append(f" One alert per {', '.join(slo.group_by)}.")
    if slo.description:
        parts.append(f"\n{slo.description}")
    return tuple(parts)


def pair_text(condition: Condition) -> str:
    """`1h/5m`: a condition's long and short window."""
    return f"{prom_window(condition.long)}/{prom_window(condition.short)}"


# --- rendering as a Go template -------------------------------------------------------------------------


def go_template_text(text: str) -> str:
    """Text that Prometheus's Go templating expands back to itself: `{{` becomes `{{ "{{" }}`."""
    return text.replace("{{", '{{ "{{" }}')


def go_string(text: str) -> str:
    """A Go string literal holding `text` exactly: a raw one, readable, unless `text` holds a backquote.

    (Then a quoted one: JSON's escapes are a subset of Go's.)
    """
    return f"`{text}`" if "`" not in text else json.dumps(text, ensure_ascii=False)


def query_argument(slo: Slo, promql: str) -> str:
    """The argument of `query`: the PromQL, its selectors restricted to the alert's `group_by` values.

    The values are formatted with `%q` (a Go-quoted string, whose escapes
    PromQL reads the same), so a quote or backslash in a label value stays
    inside the string literal instead of ending it.
    """
    if not slo.group_by:
        return go_string(promql)
    own = f"{c.LABEL_SLO_ID}={queries.promql_string(slo.id)}".replace("%", "%%")
    matchers = ", ".join(f"{name}=%[{number}]q" for number, name in enumerate(slo.group_by, start=1))
    pattern = promql.replace("%", "%%").replace("{" + own + "}", "{" + own + ", " + matchers + "}")
    labels = " ".join(f"$labels.{name}" for name in slo.group_by)
    return f"(printf {go_string(pattern)} {labels})"


_FORMS = {
    # Three significant digits, a whole number once that would print `1e+03`.
    BURN: '{{ $v := %s }}{{ if lt $v 999.5 }}{{ printf "%%.3g" $v }}{{ else }}{{ printf "%%.0f" $v }}{{ end }}',
    PERCENT: "{{ %s | humanizePercentage }}",
    DURATION: "{{ %s | humanizeDuration }}",
}


def template(slo: Slo, parts: tuple) -> str:
    """The parts as one Prometheus annotation template."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(go_template_text(part))
        elif isinstance(part, Label):
            out.append(f"{{{{ $labels.{part.name} }}}}")
        elif isinstance(part, Value):
            out.append(_FORMS[part.form] % ("$value" if part.alert else ". | first | value"))
        else:
            out.append(f"{{{{ with query {query_argument(slo, part.promql)} }}}}{template(slo, part.then)}")
            if part.otherwise:
                out.append(f"{{{{ else }}}}{template(slo, part.otherwise)}")
            out.append("{{ end }}")
    return "".join(out)


# --- what Prometheus prints -----------------------------------------------------------------------------


def expand(parts: tuple, readings: dict, labels: dict[str, str], value: Decimal | None = None) -> str:
    """The parts as Prometheus expands them, `readings[key]` answering each query (None: no sample)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Label):
            out.append(labels.get(part.name, ""))
        elif isinstance(part, Value):
            if value is None:
                raise Unprintable()
            out.append(printed(part.form, value))
        else:
            reading = readings[part.key]
            branch = part.then if reading is not None else part.otherwise
            out.append(expand(branch, readings, labels, reading))
    return "".join(out)


def _near_half(value: Decimal, unit: Decimal) -> bool:
    return abs((value / unit) % 1 - Decimal("0.5")) <= PRINT_TIE


def burn_text(burn: Decimal) -> str:
    """A burn rate as the template prints it: `%.3g`, or `%.0f` from 999.5 on."""
    if abs(burn - WHOLE_FROM) <= WHOLE_FROM * PRINT_TIE:
        raise Unprintable()
    if burn >= WHOLE_FROM:
        if _near_half(burn, Decimal(1)):
            raise Unprintable()
        return "%.0f" % float(burn)
    if burn and _near_half(abs(burn), Decimal(1).scaleb(abs(burn).adjusted() - 2)):
        raise Unprintable()
    return "%.3g" % float(burn)


def percent_printed(ratio: Decimal) -> str:
    """Prometheus's `humanizePercentage`: Go's `%.4g` of ratio * 100, then `%`."""
    scaled = ratio * 100
    if scaled and _near_half(abs(scaled), Decimal(1).scaleb(abs(scaled).adjusted() - 3)):
        raise Unprintable()
    return "%.4g%%" % float(scaled)


def duration_printed(seconds: Decimal) -> str:
    """Prometheus's `humanizeDuration` of a whole number of seconds ≥ 0: `1d 2h 3m 4s`, `5m 0s`, `42s`."""
    whole = int(seconds)
    days, hours, minutes, rest = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
    if days:
        return f"{days}d {hours}h {minutes}m {rest}s"
    if hours:
        return f"{hours}h {minutes}m {rest}s"
    if minutes:
        return f"{minutes}m {rest}s"
    return f"{rest}s"


def round_seconds(seconds: Decimal) -> Decimal:
    """PromQL's `round`: half up, to a whole second; Unprintable when the float could land either side."""
    if _near_half(seconds, Decimal(1)):
        raise Unprintable()
    return (seconds + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)


def printed(form: str, value: Decimal) -> str:
    """A reading as the template prints it."""
    if form == BURN:
        return burn_text(value)
    if form == PERCENT:
        return percent_printed(value)
    return duration_printed(value)
