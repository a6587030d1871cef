"""`slo verify`: the specs against live series, reported as located diagnostics like `slo check`.

What it finds: selectors that match nothing (with the nearest metric names or
label values), histograms without a bucket at the threshold, `group_by`
labels the series lack, counters the metadata calls gauges, services too
quiet for their fastest page, and deployed `slo:*` rules that disagree with
the spec.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..core import conventions as c
from ..core import queries, sremath
from ..core.errors import Diagnostic, Span, suggest
from ..core.ir import (
    ExprIndicator,
    LatencyIndicator,
    Program,
    Query,
    RatioIndicator,
    Service,
    Slo,
    ThresholdIndicator,
    at,
)
from ..core.silence import counts_over
from ..core.units import decimal_text, format_duration, prom_window
from . import clusters, composite, periods
from . import silence as member_silence
from .client import LiveError, Prometheus, finite
from .outside import outside_maintenance
from .state import alert_conditions, group_key, raw_ratio
from .text import markdown, printable

# A deployed error ratio this far from the spec's own computation is stale.
STALE_RELATIVE = 0.01
STALE_ABSOLUTE = 1e-6
# Just after a period starts the deployed ratio may still be the last one of the period before (the period group
# runs every 2m, and its rates reach the new period a rule evaluation late): no comparison until this has passed.
PERIOD_SETTLING = 600


@dataclass(frozen=True)
class Selector:
    """One plain selector of an indicator: its role (total, errors...), text and place."""

    role: str
    query: Query
    name: str | None
    matchers: tuple[tuple[str, str, str], ...]


def roles(slo: Slo) -> list[tuple[str, Query]]:
    """The indicator's queries and what each one counts."""
    indicator = slo.indicator
    found: list[tuple[str, Query | None]] = [("error_ratio", getattr(indicator, "error_ratio", None))]
    if isinstance(indicator, RatioIndicator):
        found = [("total", indicator.total), ("errors", indicator.errors), ("good", indicator.good)]
    elif isinstance(indicator, LatencyIndicator):
        found = [("histogram", indicator.histogram)]
    elif isinstance(indicator, ThresholdIndicator):
        found = [("metric", indicator.metric)]
    return [(role, query) for role, query in found if query is not None]


def selectors(slo: Slo) -> list[Selector]:
    """The indicator's plain vector selectors, parsed."""
    from ..core.promql import parse

    found = []
    for role, query in roles(slo):
        if query is None or not query.is_selector:
            continue
        parsed, _ = parse(query.text.strip())
        if parsed is None:  # the checker parsed it; a program made otherwise may hold anything
            continue
        matchers = tuple((m.name, str(m.op).rsplit(".", 1)[-1], m.value) for m in parsed.matchers.matchers)
        found.append(Selector(role, query, parsed.name, matchers))
    return found


@dataclass
class Tally:
    """Deployed error ratios (one per SLO, group and window) against the spec's own figure: what was compared.

    The summary says these counts, never "match" alone: a run that compared
    nothing (no raw series with a cluster's label value) is no agreement.
    """

    matched: int = 0
    differed: int = 0
    uncompared: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, kind: str, count: int = 1) -> None:
        with self._lock:  # SLOs are checked in a pool
            setattr(self, kind, getattr(self, kind) + count)

    @property
    def compared(self) -> int:
        return self.matched + self.differed

    def text(self) -> str:
        if not self.compared and not self.uncompared:
            return "no deployed error ratio to compare"
        return (f"deployed error ratios (per SLO, group and window): {self.compared} compared, {self.matched} matched, "
                f"{self.differed} differed, {self.uncompared} could not be compared")


class Verifier:
    """Collects diagnostics for a set of SLOs; the server is asked as little as it can be."""

    def __init__(self, client: Prometheus, at: float) -> None:
        self.client = client
        self.at = at
        self.diagnostics: list[Diagnostic] = []
        self._names: list[str] | None = None
        self._metadata: dict[str, str] | None = None
        self.program: Program | None = None
        self.cluster_label: str | None = None
        self.tally = Tally()

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(span, message, "error", hint))

    def warning(self, span: Span, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(span, message, "warning", hint))

    def shown(self, text: str) -> str:
        """A name or label value from the server, for a message: secrets redacted, escaped (text.py)."""
        return self.client.secrets.shown(text)

    def nearest(self, word: str, choices: list[str]) -> str:
        """`; did you mean "x"?` with x from the server, shown safely; chosen among the values as they are."""
        best = suggest(word, choices)
        return f'; did you mean "{self.shown(best)}"?' if best else ""

    def metric_names(self) -> list[str]:
        if self._names is None:
            self._names = self.client.label_values("__name__")
        return self._names

    def metadata(self) -> dict[str, str]:
        if self._metadata is None:
            self._metadata = self.client.metadata()
        return self._metadata

    # -- the checks --------------------------------------------------------
    def check_slo(self, service: Service, slo: Slo, deployed: dict[str, dict[str, list]],
                  per_cluster: Slo | None = None) -> None:
        """Every check of one SLO (`per_cluster`: the same grouped by the cluster label too, for its deployed series)."""
        start = self.at - slo.window
        for selector in selectors(slo):
            series = self.client.series([selector.query.text.strip()], start, self.at)
            if not series:
                self._no_match(slo, selector, start)
                continue
            self._metric_type(selector)
            if selector.role in ("total", "histogram", "metric"):
                self._group_labels(slo, selector, series)
            if isinstance(slo.indicator, LatencyIndicator):
                self._buckets(slo.indicator, selector, series)
        for role, query in roles(slo):
            if not query.is_selector:
                self._expression(slo, role, query)
        self._low_traffic(slo)
        self._deployed(service, per_cluster or slo, deployed.get(slo.id, {}))

    def _expression(self, slo: Slo, role: str, query: Query) -> None:
        """An expression (with `$window`) that yields nothing over the SLO window."""
        if self.client.query(queries.events(query, slo.window, slo.group_by), self.at):
            return
        message = f"the {role} expression yields no series over the last {format_duration(slo.window)}"
        if role == "errors":
            self.warning(query.span, message + " (fine if it has not failed in that time; the rules count 0)")
        else:
            self.error(query.span, message, hint="run it in the Prometheus UI at this time to see which part is empty")

    def _no_match(self, slo: Slo, selector: Selector, start: float) -> None:
        where = f"in the last {format_duration(slo.window)}"
        name = selector.name
        text = selector.query.text.strip()
        if name and name not in self.metric_names():
            message = f'{selector.role} selector matches no series {where}: no metric "{name}"' \
                      f"{self.nearest(name, self.metric_names())}"
        else:
            message = f"{selector.role} selector `{text}` matches no series {where}" + self._label_hint(name, selector, start)
        if selector.role in ("errors",) and name in self.metric_names():
            # A service that never failed has no error series; the rules count that as 0.
            self.warning(selector.query.span, message + " (fine if it has not failed in that time; the rules count 0)")
        else:
            self.error(selector.query.span, message)

    def _label_hint(self, name: str | None, selector: Selector, start: float) -> str:
        """Which equality matcher names a value the metric never has, and the nearest one it does."""
        if not name:
            return ""
        series = self.client.series([name], start, self.at)
        for label, op, value in selector.matchers:
            if op != "Equal" or label == "__name__":
                continue
            values = sorted({s.get(label, "") for s in series} - {""})
            if value not in values:
                if not values:
                    return f'; {name} has no label "{label}"'
                return f'; {name} has no {label}="{printable(value)}"{self.nearest(value, values)}'
        return ""

    def _metric_type(self, selector: Selector) -> None:
        if selector.role == "metric":  # a threshold indicator judges samples: a gauge is what it reads
            return
        name = selector.name or ""
        family = name[: -len("_bucket")] if selector.role == "histogram" and name.endswith("_bucket") else name
        kind = self.metadata().get(family) or self.metadata().get(name)
        if kind == "gauge":
            self.error(selector.query.span,
                       f'the metadata says "{name}" is a gauge, but the {selector.role} selector is read with rate(), '
                       "which needs a counter", hint="use a counter, or an expr indicator that reads the gauge")

    def _group_labels(self, slo: Slo, selector: Selector, series: list[dict[str, str]]) -> None:
        have = sorted({label for s in series for label in s} - {"__name__"})
        for label in slo.group_by:
            if label not in have:
                self.error(at(slo, "group_by"),
                           f'group_by label "{label}" is on no series of {selector.role}{self.nearest(label, have)}',
                           hint=f"its labels: {', '.join(map(self.shown, have))}")

    def _buckets(self, indicator: LatencyIndicator, selector: Selector, series: list[dict[str, str]]) -> None:
        les = sorted({s["le"] for s in series if "le" in s}, key=_le_key)
        field = "le" if indicator.threshold_seconds is None else "threshold"
        if indicator.le in les:
            return
        same = [self.shown(le) for le in les if _le_key(le) == _le_key(indicator.le)]
        if same:
            self.error(at(indicator, field),
                       f'the histogram\'s bucket at {indicator.le} is spelled le="{same[0]}", so le="{indicator.le}" '
                       "selects nothing", hint=f'write le = "{same[0]}" in the indicator')
        elif les:
            self.error(at(indicator, field), f'the histogram has no bucket at le="{indicator.le}"; '
                       f"its buckets: {', '.join(map(self.shown, les))}", hint="pick a threshold that is a bucket boundary")
        else:
            self.error(selector.query.span, "the histogram selector's series have no le label: is it the _bucket series?")
        if les and "+Inf" not in les:
            self.error(selector.query.span, 'the histogram has no le="+Inf" bucket, which counts all events')

    def _low_traffic(self, slo: Slo) -> None:
        """SRE Workbook, low-traffic services: one failure in the fastest page's short window fires it."""
        pages = [cond for cond in alert_conditions(slo) if cond.severity == "page"]
        total = queries.total_events(slo.indicator, 3600, slo.group_by)
        if not pages or total is None:
            return
        fastest = max(pages, key=lambda cond: cond.burn)
        threshold = float(sremath.threshold(fastest.burn, slo.objective))
        expr = f"min_over_time(({total})[{prom_window(slo.window)}:1h])"
        for sample in self.client.query(expr, self.at):
            rate = finite(sample.value)
            if rate is None:
                continue
            events = rate * fastest.short
            if events <= 0 or 1 / events > threshold:
                group = ",".join(f"{self.shown(k)}={self.shown(v)}" for k, v in sorted(sample.labels.items()))
                self.warning(
                    fastest.span,
                    f"low traffic{' for ' + group if group else ''}: in the quietest hour of the last "
                    f"{format_duration(slo.window)} ({rate * 3600:.0f} events an hour), the {format_duration(fastest.short)} "
                    f"window of the {format_duration(fastest.long)}/{format_duration(fastest.short)} page holds about {events:.0f} events, so a single failure (ratio "
                    f"{(1 / events) if events > 0 else 1:.3g}) crosses its threshold {decimal_text(sremath.threshold(fastest.burn, slo.objective))}",
                    hint="the SRE Workbook's low-traffic advice: add synthetic traffic, combine this service with "
                         "others in one SLO, lengthen the short window, or make this condition a ticket",
                )

    def _deployed(self, service: Service, slo: Slo, values: dict[str, list]) -> None:
        """Deployed `slo:*` series that say something else than the spec: stale rules."""
        if not values:
            return
        path = c.prometheus_rules_path(service.name)
        expected = {c.OBJECTIVE: float(slo.objective), c.ERROR_BUDGET: float(slo.error_budget),
                    c.TIME_PERIOD_DAYS: slo.window / 86400}
        # Every deployed copy (one per cluster behind a global view): the first that says otherwise, else any.
        found = {name: _differing([finite(s.value) for s in values[name]], expected[name])
                 for name in expected if name in values}
        if found.get(c.OBJECTIVE) is not None and abs(found[c.OBJECTIVE] - expected[c.OBJECTIVE]) > 1e-9:
            del expected[c.ERROR_BUDGET]  # the same news twice
        for name, want in expected.items():
            value = found.get(name)
            if value is not None and abs(value - want) > 1e-9:
                self.error(at(slo, "objective") if name != c.TIME_PERIOD_DAYS else at(slo, "window"),
                           f"the deployed {name} of {slo.id} is {value:g}, the spec says {want:g}: the rules "
                           f"running are stale", hint=f"deploy {path} again")
        if slo.is_composite:
            self._silence_recorded(slo, values, path)
        for name, samples in sorted(values.items()):
            window = periods.PERIOD if name == c.PERIOD_RATIO and slo.calendar is not None else \
                _window_of(name, slo) if name.startswith(c.ERROR_RATIO_PREFIX) else None
            if window is not None:
                self._compare_ratio(slo, name, window, samples, path)

    def _silence_recorded(self, slo: Slo, values: dict[str, list], path: str) -> None:
        """A deployed composite's rules record each `bad` member's silent seconds (core/silence.py): rules from
        before they did count a silent member only once its windows hold no sample of it, an hour late on a 1h
        window. Its ratios can still match (no member silent), so only this says so. Behind a global view
        (`cluster_label`), cluster by cluster: a rollout that reached some clusters only is when it matters."""
        label = self.cluster_label

        def cluster(labels: dict[str, str]) -> str:
            return labels.get(label, "") if label else ""

        clusters = sorted({cluster(sample.labels) for name, samples in values.items()
                           if name.startswith(c.ERROR_RATIO_PREFIX) for sample in samples})
        recorded = {(cluster(s.labels), s.labels.get(c.LABEL_MEMBER)) for s in values.get(c.MEMBER_NO_DATA_SECONDS, [])}
        for member in member_silence.counting(slo):
            lacking = [name for name in clusters if (name, member.slo_id) not in recorded]
            if not lacking:
                continue
            where = f" in {self.shown(label)}={', '.join(map(self.shown, lacking))}" if label and lacking != [""] else ""
            self.warning(member.span, f"the deployed rules of {slo.id}{where} record no {c.MEMBER_NO_DATA_SECONDS} "
                         f"for {member.slo_id}: its silence counts only once its windows hold no sample of it "
                         "(rules from before that series; the rules running are stale)",
                         hint=f"deploy {path} again")

    def _compare_ratio(self, slo: Slo, name: str, window: int, samples: list, path: str) -> None:
        """A deployed error ratio against the spec's indicator at the same time, group by group (tiled: `_tiled`).

        A calendar SLO's `slo:sli_error:ratio_period` against the same since the start of the period in progress.
        """
        if slo.is_composite:
            # A slice is bad when any member's is; a calendar composite's period averages its own 5m ratio: no
            # formula over the members' series of the same name says either.
            if self.program is None or slo.slices is not None or window == periods.PERIOD:
                self.tally.add("uncompared", len(samples))
                return
            # What the members' own deployed series say, by the composite's formula, with the silent shares the
            # composite recorded (live/silence.py).
            counting = {member.slo_id for member in member_silence.counting(slo)} if counts_over(window) else set()
            expr = composite.ratio_promql(
                self.program, slo, lambda member: queries.recorded(name, member.id),
                lambda member: member_silence.deployed(slo, member, window) if member.slo_id in counting else None)
            mine = {group_key(slo, s.labels): finite(s.value) for s in self.client.query(expr, self.at)}
        elif window == periods.PERIOD:
            period = periods.period_at(slo, self.at)
            assert period is not None
            if self.at - period.start < PERIOD_SETTLING:
                self.tally.add("uncompared", len(samples))
                return
            computed = self.client.query(periods.raw_ratio(slo, period, self.at), self.at)
            mine = {group_key(slo, s.labels): finite(s.value) for s in computed}
        elif queries.tiles(window) and not isinstance(slo.indicator, ExprIndicator) and slo.slices is None:
            mine = self._tiled(slo, name, window)
        else:
            computed = self.client.query(raw_ratio(slo, window), self.at)
            mine = {group_key(slo, s.labels): finite(s.value) for s in computed}
        said = "its members' deployed series give" if slo.is_composite else "the spec's indicator gives"
        for sample in samples:
            key = group_key(slo, sample.labels)
            deployed, spec = finite(sample.value), mine.get(key)
            group = ",".join(f"{n}={self.shown(v)}" for n, v in zip(slo.group_by, key))
            where = f"{slo.id}{'{' + group + '}' if group else ''}"
            if deployed is None or spec is None:
                self.tally.add("uncompared")
                if deployed is not None and key not in mine:
                    # No figure of the spec's for this group at all (no traffic is NaN, a key): silence would
                    # read as agreement, and behind a global view it is every cluster whose raw series lack the label.
                    self.warning(slo.indicator.span,
                                 f"the deployed {name} of {where} is {deployed:.6g}, but {said} no figure for "
                                 f"{group or 'it'}: not compared", hint=self._uncomputed_hint(slo, key))
                continue
            if abs(spec - deployed) > max(STALE_ABSOLUTE, STALE_RELATIVE * abs(spec)):
                self.tally.add("differed")
                self.warning(slo.indicator.span,
                             f"the deployed {name} of {where} is {deployed:.6g}, "
                             f"{said} {spec:.6g}: the rules running compute something else (stale?)",
                             hint=f"deploy {path} again")
            else:
                self.tally.add("matched")

    def _uncomputed_hint(self, slo: Slo, key: tuple[str, ...]) -> str:
        label = self.cluster_label
        if slo.is_composite:
            return ("a composite's figure here is its members' deployed ratios over all their groups, "
                    "not one group's or cluster's: compare it against each cluster's own Prometheus")
        if label and label in slo.group_by:
            value = key[slo.group_by.index(label)]
            return (f'no raw series of the indicator carries {self.shown(label)}="{self.shown(value)}": is the label '
                    "added to the recorded series only (rule output's external labels, relabelled raw series)? "
                    "Then this cluster's rules cannot be checked from this view; run verify against its own Prometheus")
        return "the indicator's own series have no such group at --at: are the rules running on other series?"

    def _tiled(self, slo: Slo, name: str, window: int) -> dict[tuple[str, ...], float | None]:
        """A tiled window's ratio as the rule added it up: raw 5m rates at the deployed sample's time and 5m steps back.

        Not `rate()` over the window at `--at`: with scrapes off the rules'
        evaluation times, each tile estimates the scrape interval before it,
        which moves a low-traffic ratio by far more than 1% (docs/PROMETHEUS.md
        "Tiled windows"); at the rule's own times the figure is the rule's.
        """
        stamps = self.client.query(f"timestamp({queries.recorded(name, slo.id)})", self.at)
        if not stamps:
            return {}
        when, five = max(s.value for s in stamps), c.CURRENT_BURN_WINDOW
        # A sample Prometheus returns at --at was written at or before it, within the window; the
        # range query below steps from this time, and a time of +Inf would make its steps endless.
        if not self.at - slo.window <= when <= self.at:
            raise LiveError(f"Prometheus at {self.client.where} answered timestamp({name}) = {when!r} for {slo.id}, "
                            f"not a time in the SLO window before --at")
        sums: dict[tuple[str, ...], list[float | None]] = {}
        # Maintenance: the rates the rules drop leave a tile missing, and the window is skipped below.
        rates = (outside_maintenance(slo, queries.bad_events(slo.indicator, five, slo.group_by) or ""),
                 outside_maintenance(slo, queries.total_events(slo.indicator, five, slo.group_by) or ""))
        for index, expr in enumerate(rates):
            for series in self.client.query_range(expr or "", when - window + five, when, five):
                # A tile missing: the rule took the derived sum instead, which this does not redo (the group
                # kept, with no figure: its series exist, so it is skipped, not reported as missing).
                tiles = sums.setdefault(group_key(slo, series.labels), [None, None])
                if len(series.points) == window // five:
                    tiles[index] = sum(value for _, value in series.points)
        return {key: finite(bad / total) if bad is not None and total else None for key, (bad, total) in sums.items()}


def _differing(values: list[float | None], want: float) -> float | None:
    """The first value that is not `want`, else the first known one."""
    known = [value for value in values if value is not None]
    return next((value for value in known if abs(value - want) > 1e-9), known[0] if known else None)


def _window_of(name: str, slo: Slo) -> int | None:
    """The window of a recorded error ratio name, among those the SLO uses."""
    candidates = {slo.window} | {w for cond in slo.alerting.conditions for w in (cond.long, cond.short)}
    candidates.add(c.CURRENT_BURN_WINDOW)
    for window in candidates:
        if c.error_ratio_rule(window) == name:
            return window
    return None


def _le_key(le: str) -> float:
    try:
        return float(le)
    except ValueError:
        return float("inf")


def deployed_values(client: Prometheus, at_time: float) -> dict[str, dict[str, list]]:
    """{slo_id: {rule name: [samples]}} of every deployed slo:* series, in one query."""
    expr = f'{{__name__=~"slo:.+", {c.LABEL_SLO_ID}!=""}}'
    found: dict[str, dict[str, list]] = {}
    for sample in client.query(expr, at_time):
        # .get: the selector guarantees both labels, a misbehaving proxy does not.
        found.setdefault(sample.labels.get(c.LABEL_SLO_ID, ""), {}).setdefault(
            sample.labels.get("__name__", ""), []).append(sample)
    return found


def verify(client: Prometheus, selected: list[tuple[Service, Slo]], at_time: float,
           program: Program | None = None, cluster_label: str | None = None) -> tuple[list[Diagnostic], Tally]:
    """Every diagnostic for the selected SLOs, sorted by place (`program`: where composites find their members),
    and what the deployed error ratios' comparison compared.

    Behind a global view, the deployed series of each cluster are compared
    with that cluster's own figures (`cluster_label`), never one cluster's
    for all; a label outside the contract that tells them apart without
    being named is a LiveError naming it (clusters.py), as in status and gate.
    """
    verifier = Verifier(client, at_time)
    verifier.program = program
    verifier.cluster_label = cluster_label
    deployed = deployed_values(client, at_time)
    by_rule: dict[str, dict[str, list]] = {}
    for slo_id, names in deployed.items():
        for name, samples in names.items():
            if name.startswith(c.ERROR_RATIO_PREFIX) or name == c.PERIOD_RATIO:  # what status and gate read
                by_rule.setdefault(name, {})[slo_id] = samples
    # The deployed series are compared per cluster; the spec's own checks keep its group_by.
    apart = {slo.id: slo for _, slo in clusters.per_cluster(selected, by_rule, cluster_label)}
    clusters.check_apart([(service, apart[slo.id]) for service, slo in selected], by_rule, client.shown)
    client.map(lambda pair: verifier.check_slo(pair[0], pair[1], deployed, apart[pair[1].id]), selected)
    return sorted(verifier.diagnostics), verifier.tally


def summary(slos: int, diagnostics: list[Diagnostic], tally: Tally) -> str:
    """The last line of a text run: "match" only when deployed ratios were compared, every one agreed, and
    nothing else was found."""
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics and tally.compared and tally.compared == tally.matched and not tally.uncompared:
        return f"ok: {slos} SLO(s) match the live series; {tally.text()}"
    if not diagnostics and not tally.differed and not tally.uncompared:
        return f"ok: {slos} SLO(s) checked against the live series; {tally.text()}"
    return f"checked {slos} SLO(s): {errors} error(s), {warnings} warning(s); {tally.text()}"


def render_markdown(diagnostics: list[Diagnostic], slos: int, tally: Tally | None = None) -> str:
    """The findings as a Markdown list, for a pull-request comment or a job summary."""
    errors = sum(d.is_error for d in diagnostics)
    compared = f"; {markdown(tally.text())}" if tally is not None else ""
    lines = [f"**slo verify**: {slos} SLO(s), {errors} error(s), {len(diagnostics) - errors} warning(s){compared}", ""]
    for d in diagnostics:
        # Messages quote label values and names from the server: shown as text, never as Markdown.
        hint = f" ({markdown(d.hint)})" if d.hint else ""
        lines.append(f"- `{d.span}` **{d.severity}**: {markdown(d.message)}{hint}")
    return "\n".join(lines) + "\n"
