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
from ..core.ir import Program, Service, Slo
from .connection import LiveError
from .readings import group_key


def contract_labels(service: Service, slo: Slo) -> set[str]:
    """The labels the generated rules put on an SLO's recorded series (and its groups')."""
    return {"__name__", c.LABEL_PERIOD, *c.slo_labels(slo, service), *slo.group_by}


def per_cluster(selected: list[tuple[Service, Slo]], recorded: dict[str, dict[str, list]],
                cluster_label: str | None) -> list[tuple[Service, Slo]]:
    """The selection, each SLO whose recorded series carry `cluster_label` grouped by it too.

    An SLO without such series keeps its groups: a single Prometheus, or a
    view whose servers add no cluster label, shows no empty `cluster=` column.
    """
    if not cluster_label:
        return selected
    result = []
    for service, slo in selected:
        samples = (sample for by_slo in recorded.values() for sample in by_slo.get(slo.id, ()))
        if cluster_label not in slo.group_by and any(cluster_label in sample.labels for sample in samples):
            slo = dataclasses.replace(slo, group_by=(*slo.group_by, cluster_label))
        result.append((service, slo))
    return result


def check_apart(selected: list[tuple[Service, Slo]], recorded: dict[str, dict[str, list]],
                shown: Callable[[str], str]) -> None:
    """LiveError when an SLO's recorded series of one window and group differ in labels outside the contract.

    Even when their values agree today: tomorrow one cluster burns, and a
    figure for "the" SLO would be one cluster's or an average nobody asked for.
    """
    for service, slo in selected:
        known = contract_labels(service, slo)
        for name in sorted(recorded):
            groups: dict[tuple, list] = {}
            for sample in recorded[name].get(slo.id, ()):
                groups.setdefault(group_key(slo, sample.labels), []).append(sample)
            for same in groups.values():
                differ = sorted({label for sample in same for label in sample.labels
                                 if label not in known and len({other.labels.get(label) for other in same}) > 1})
                if differ:
                    raise LiveError(_apart_message(slo, shown(name), [shown(label) for label in differ]))


def _apart_message(slo: Slo, rule: str, labels: list[str]) -> str:
    first = labels[0]
    return (f"the recorded series {rule} of {slo.id} differ in {', '.join(labels)}, a label the generated rules do "
            "not set: several Prometheus servers behind one view? Name the label that tells them apart, "
            f'cluster_label = "{first}" under [tool.slocompiler] in pyproject.toml or --cluster-label {first}, '
            "to see each one's figures")


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
