"""Recorded series from several Prometheus servers behind one view (Thanos, Mimir, a VictoriaMetrics cluster).

The same rules deployed in two clusters record two series per SLO and
window that differ only in a label the view adds (`cluster`, `prometheus`,
`replica`). One of them must never stand for both: the healthy cluster
would hide the one that has spent its budget. With a cluster label
configured (`cluster_label` in `[tool.slocompiler]`, or `--cluster-label`),
the label joins the SLO's groups, so each cluster has its own figures, rows
and gate decision; any other label outside the contract that tells an SLO's
series apart stops the command (exit 3), naming it (docs/LIVE.md, "Global views").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..core import conventions as c
from ..core import queries
from ..core.ir import Program, Service, Slo
from . import composite
from .connection import LiveError
from ..core.units import prom_window
from .readings import group_key


def contract_labels(service: Service, slo: Slo) -> set[str]:
    """The labels the generated rules put on an SLO's recorded series (and its groups')."""
    return {"__name__", c.LABEL_PERIOD, *c.slo_labels(slo, service), *slo.group_by}


def per_cluster(selected: list[tuple[Service, Slo]], recorded: dict[str, dict[str, list]],
                cluster_label: str | None, seen: dict[str, set[str]] | None = None) -> list[tuple[Service, Slo]]:
    """The selection, each SLO whose recorded series carry `cluster_label` (now, or within `LOOKBACK`: `seen`; or
    its own series now: `raw_clusters`, passed as `seen` too) grouped by it too.

    An SLO without such series keeps its groups: a single Prometheus, or a
    view whose servers add no cluster label, shows no empty `cluster=` column.
    """
    if not cluster_label:
        return selected
    result = []
    for service, slo in selected:
        samples = (sample for by_slo in recorded.values() for sample in by_slo.get(slo.id, ()))
        if cluster_label not in slo.group_by and (any(cluster_label in sample.labels for sample in samples)
                                                  or (seen or {}).get(slo.id, set()) - {""}):
            slo = dataclasses.replace(slo, group_by=(*slo.group_by, cluster_label))
        result.append((service, slo))
    return result


# How far back a cluster counts as one of the SLO's: one whose recorded series stopped within it is no data (its
# ruler or remote write died), not a cluster that never was. A day: longer costs every gate run more samples to
# read, and a cluster retired more than a day ago should not fail gates.
LOOKBACK = 86400
SEEN_RULE = c.error_ratio_rule(c.CURRENT_BURN_WINDOW)  # every SLO records it, the cheapest to read over a day


def _recent(ids: frozenset[str], cluster_label: str) -> str:
    return f'{SEEN_RULE}{{{c.LABEL_SLO_ID}=~"{"|".join(sorted(ids))}", {cluster_label}!=""}}'


def seen(client, at: float, ids: frozenset[str], cluster_label: str) -> dict[str, set[str]]:
    """{slo_id: the values of `cluster_label` its 5m ratio had within LOOKBACK before `at`}, in one query
    (SLO ids are names: no regex character to escape)."""
    if not ids:
        return {}
    expr = (f"count by ({cluster_label}, {c.LABEL_SLO_ID}) "
            f"(last_over_time({_recent(ids, cluster_label)}[{prom_window(LOOKBACK)}]))")
    found: dict[str, set[str]] = {}
    for sample in client.query(expr, at):
        found.setdefault(sample.labels.get(c.LABEL_SLO_ID, ""), set()).add(sample.labels.get(cluster_label, ""))
    return found


def last_seen(client, at: float, ids: frozenset[str], cluster_label: str) -> dict[tuple[str, str], float]:
    """{(slo_id, cluster): the time of its last 5m ratio within LOOKBACK}: asked only for clusters gone at `at`
    (a subquery a minute apart: dearer than `seen`)."""
    expr = (f"max by ({cluster_label}, {c.LABEL_SLO_ID}) "
            f"(last_over_time(timestamp({_recent(ids, cluster_label)})[{prom_window(LOOKBACK)}:1m]))")
    return {(sample.labels.get(c.LABEL_SLO_ID, ""), sample.labels.get(cluster_label, "")): sample.value
            for sample in client.query(expr, at)}


def recorded_clusters(slo: Slo, recorded: dict[str, dict[str, list]], cluster_label: str) -> set[str]:
    """The values of `cluster_label` on the SLO's recorded series at `at`, any window."""
    return {sample.labels.get(cluster_label, "") for by_slo in recorded.values() for sample in by_slo.get(slo.id, ())}


def _probe(slo: Slo, cluster_label: str) -> str:
    """The SLO's 5m event rate by `cluster_label` (an `expr` indicator's 5m ratio): where its own series come from."""
    five = c.CURRENT_BURN_WINDOW
    return queries.total_events(slo.indicator, five, (cluster_label,)) or \
        queries.error_ratio(slo.indicator, five, (cluster_label,))


def raw_clusters(client, program: Program | None, selected: list[tuple[Service, Slo]], cluster_label: str,
                 at: float) -> dict[str, set[str]]:
    """{slo_id: the values of `cluster_label` on its own series at `at` (a composite: on its members')}, one cheap
    query per SLO: a cluster whose rules are not deployed (or not recorded at `at`) still has its raw series."""
    plain: dict[str, Slo] = {}
    composites: dict[str, list[str]] = {}

    def collect(slo: Slo) -> list[str]:
        if not slo.is_composite:
            plain[slo.id] = slo
            return [slo.id]
        if slo.id not in composites and program is not None:
            composites[slo.id] = []
            try:
                members = [member for _, member in composite.members(program, slo)]
            except composite.CompositeError:  # reported with its figures (state.raw_window)
                members = []
            composites[slo.id] = [found for member in members for found in collect(member)]
        return composites.get(slo.id, [])

    for _, slo in selected:
        collect(slo)
    ids = list(plain)
    answers = client.map(lambda slo_id: client.query(_probe(plain[slo_id], cluster_label), at), ids)
    found = {slo_id: {s.labels.get(cluster_label, "") for s in answer} - {""} for slo_id, answer in zip(ids, answers)}
    for slo_id, members in composites.items():
        found[slo_id] = set().union(*(found.get(member, set()) for member in members))
    return found


def unread(slo: Slo, cluster_label: str, values: set[str], shown: Callable[[str], str]) -> LiveError:
    """A composite whose members' own series come from clusters its figures cannot be split by (raw figures are the
    fleet's: no per-cluster composite from raw series)."""
    named = ", ".join(f"{shown(cluster_label)}={shown(value)}" for value in sorted(values)[:5])
    return LiveError(f"composite {slo.id}: its members' own series come from {named}{', ...' if len(values) > 5 else ''}"
                     f" without recorded series of {slo.id} there, and a composite's figures from raw series are "
                     "not computed per cluster: deploy its rules there and read them (--source recorded)")


def check_apart(selected: list[tuple[Service, Slo]], recorded: dict[str, dict[str, list]],
                shown: Callable[[str], str]) -> None:
    """LiveError when an SLO's recorded series of one group differ in labels outside the contract, in any window.

    Even when their values agree today: tomorrow one cluster burns, and a
    figure for "the" SLO would be one cluster's or an average nobody asked for.
    All windows together: one cluster's 5m..3d beside another's 7d alone
    would stitch a row from two clusters (each window with one series).
    """
    for service, slo in selected:
        known = contract_labels(service, slo)
        groups: dict[tuple, list] = {}
        for name in sorted(recorded):
            for sample in recorded[name].get(slo.id, ()):
                groups.setdefault(group_key(slo, sample.labels), []).append(sample)
        for same in groups.values():
            differ = sorted({label for sample in same for label in sample.labels
                             if label not in known and len({other.labels.get(label) for other in same}) > 1})
            if differ:
                names = sorted({sample.labels.get("__name__", "") for sample in same})
                raise LiveError(_apart_message(slo, ", ".join(shown(name) for name in names), differ, shown))


# Labels that tell replicas of one server apart: the view deduplicates them, no cluster label can.
REPLICA_LABELS = frozenset({"replica", "prometheus_replica", "__replica__"})
DEDUPLICATE = ("replicas of one server are the view's to deduplicate (Thanos --query.replica-label, Mimir's HA "
               "deduplication, VictoriaMetrics -dedup.minScrapeInterval)")


def _apart_message(slo: Slo, rules: str, labels: list[str], shown: Callable[[str], str]) -> str:
    """Names the labels; suggests the cluster label only for one that is not a replica's (a replica label as the
    cluster label would only move the refusal to the real cluster label, in a loop)."""
    text = (f"the recorded series {rules} of {slo.id} differ in {', '.join(shown(label) for label in labels)}, "
            "a label the generated rules do not set: ")
    others = [label for label in labels if label not in REPLICA_LABELS]
    if not others:
        return text + f"replicas behind the view? {DEDUPLICATE}, so that one series per cluster reaches it"
    first = shown(others[0])
    advice = (f"several Prometheus servers behind one view? Name the label that tells them apart, "
              f'cluster_label = "{first}" under [tool.slocompiler] in pyproject.toml or --cluster-label {first}, '
              "to see each one's figures")
    return text + advice + (f"; {DEDUPLICATE}" if len(others) < len(labels) else "")


def program_per_cluster(program: Program, recorded: dict[str, dict[str, list]], cluster_label: str | None,
                        shown: Callable[[str], str], only: frozenset[str] | None = None) -> Program:
    """The program with every SLO (of `only`) grouped by `cluster_label` where its recorded series carry it
    (`per_cluster`), after `check_apart`: what a command that replays from raw series (backtest) needs behind
    a global view."""
    selected = [(service, slo) for service in program.services for slo in service.slos
                if only is None or slo.id in only]
    apart = per_cluster(selected, recorded, cluster_label)
    check_apart(apart, recorded, shown)
    by_id = {slo.id: slo for _, slo in apart}
    return dataclasses.replace(program, services=tuple(
        dataclasses.replace(service, slos=tuple(by_id.get(slo.id, slo) for slo in service.slos))
        for service in program.services))
