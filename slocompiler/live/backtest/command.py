"""The `slo backtest` command: options, loading both spec versions, printing. `cli.py` hands it its arguments."""

from __future__ import annotations

import re

import click

from ...core.units import parse_duration_ms
from ...workflow.reporting import paths_argument
from ..options import (
    TIME,
    cluster_label_of,
    cluster_option,
    connection_options,
    exit_on_live_error,
    format_option,
    load_specs,
    open_client,
)

FORMATS = ("text", "json", "markdown")
# A year at 1m is 525,600; each SLO holds a few lists of this length per window.
MAX_EVALUATIONS = 1_000_000
DURATION = re.compile(r"(?:[0-9]+(?:ms|s|m|h|d|w))+")


def parse_step(text: str) -> int:
    """`1m` -> 60; a usage error for anything but a duration of whole seconds > 0."""
    value = text.strip()
    ms, _ = parse_duration_ms(value)
    if not DURATION.fullmatch(value) or ms <= 0 or ms % 1000:
        raise click.BadParameter(f"{text!r} is not a duration of whole seconds such as 1m or 30s", param_hint="--step")
    return ms // 1000


@click.command(name="backtest", context_settings={"help_option_names": ["-h", "--help"]})
@paths_argument
@connection_options
@click.option("--from", "start", type=TIME, required=True, help="Start of the replay (RFC 3339 or Unix seconds).")
@click.option("--to", "end", type=TIME, required=True, help="End of the replay (RFC 3339 or Unix seconds).")
@click.option("--step", default="1m", show_default=True, help="Time between evaluations, like the rule group's interval.")
@format_option(*FORMATS)
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False), default=None,
              help="Also write a timeline of the error ratio and each alert's firing intervals to this file.")
@click.option("--against", "against", type=click.Path(exists=True), default=None,
              help="Replay this other version of the specs (a file or directory) too and compare side by side.")
@click.option("--service", "services", multiple=True, help="Only this service's SLOs (repeatable).")
@click.option("--slo", "slo_ids", multiple=True, metavar="ID", help="Only this SLO id (repeatable).")
@click.option("--min-failures", "min_failures", type=click.IntRange(min=0), default=None, metavar="N",
              help="Replay as if every page condition had min_failures = N (0: unguarded), to tune it; "
                   "tickets and expr SLOs keep theirs. Applies to --against's version too.")
@cluster_option
def command(paths, start, end, step, output_format, svg_path, against, services, slo_ids, min_failures,
            cluster_label, **connection) -> None:
    """Replay the alerts the specs generate over history and report what would have happened."""
    step_seconds = parse_step(step)
    if end <= start:
        raise click.BadParameter("--to must be after --from", param_hint="--to")
    if (end - start) / step_seconds > MAX_EVALUATIONS:
        raise click.BadParameter(f"{int((end - start) // step_seconds):,} evaluations is more than {MAX_EVALUATIONS:,}; "
                                 "use a larger --step or a shorter range", param_hint="--step")
    if start != int(start) or end != int(end):
        raise click.BadParameter("--from and --to must be whole seconds", param_hint="--from")
    if svg_path:
        _check_writable(svg_path)
    program = load_specs(paths).program
    other = load_specs([against]).program if against is not None else None
    if min_failures is not None:
        from .model import with_min_failures

        program = with_min_failures(program, min_failures)
        other = with_min_failures(other, min_failures) if other is not None else None
    only = _selected(program, services, slo_ids)
    cluster_label = cluster_label_of(paths, cluster_label)

    def body() -> int:
        from ..clusters import program_per_cluster
        from ..state import fetch_recorded
        from ...core.calendar import DAY
        from ..outside import evaluated_within, reach
        from .budget import Budget
        from .run import Range, check_size, lookback, run, slos_of

        nonlocal program, other
        what = Range(int(start), int(end), step_seconds)
        for version in (program, other):
            if version is not None:  # a replay too large is refused before any query, the clusters' included
                check_size(version, what, lookback(slos_of(version, only)), only)
        # Maintenance tests hold the zone's clock changes of the replayed span (a replay of 2024 is before the
        # rules' table years). The replay's evaluations start its longest `for` before --from, well within reach.
        span = (int(start) - max(reach(v) for v in (program, other) if v is not None), int(end) + DAY)
        with open_client(connection) as client, evaluated_within(*span):
            # Behind a global view: one replay per cluster, or exit 3 naming the label that tells them apart
            # (docs/LIVE.md, "Global views"); the deployed series at --to say whether there are several.
            recorded = fetch_recorded(client, end, only)
            # The SLOs not grouped by the label in the spec itself (its own group_by label is no cluster's).
            added = _unlabelled(program, cluster_label, only) | _unlabelled(other, cluster_label, only)
            program = program_per_cluster(program, recorded, cluster_label, client.shown, only)
            other = program_per_cluster(other, recorded, cluster_label, client.shown, only) if other is not None else None
            # The raw series may carry the label when no deployed series does yet (before the rollout):
            # every SLO is replayed per cluster, and one whose raw series lack it is settled below.
            program = _by_cluster(program, cluster_label, only)
            other = _by_cluster(other, cluster_label, only) if other is not None else None
            cache: dict = {}
            budget = Budget()  # both versions' values are held at once
            back = max(lookback(slos_of(p, only)) for p in (program, other) if p is not None)
            replays = run(program, client, what, cache, back, budget, only)
            previous = run(other, client, what, cache, back, budget, only) if other is not None else None
            if cluster_label:
                labelled = _deployed_values(recorded, cluster_label)
                replays = _settle(replays, cluster_label, added, labelled, program, client.shown)
                previous = _settle(previous, cluster_label, added, labelled, other, client.shown) if previous else None
        if svg_path:
            from .svg import timeline

            drawing = timeline(replays, " ".join(paths) or "specs")
            try:
                with open(svg_path, "w", encoding="utf-8") as handle:
                    handle.write(drawing)
            except OSError as error:
                click.echo(f"error: cannot write --svg {svg_path}: {error.strerror}", err=True)
                return 2
        click.echo(render(replays, previous, output_format, against or ""), nl=False)
        return 0

    exit_on_live_error(body)


def _unlabelled(program, label: str | None, only: frozenset[str] | None) -> set[str]:
    """The SLO ids (of `only`) not grouped by `label` yet: the ones `_by_cluster` groups by it."""
    from .run import slos_of

    return {slo.id for slo in slos_of(program, only) if label and label not in slo.group_by} if program else set()


def _by_cluster(program, label: str | None, only: frozenset[str] | None):
    """The program with every SLO (of `only`) grouped by the cluster label too.

    Grouping by a label no series carries gives the same figures, as one group with the label empty
    (`_settle` drops it again); a label the raw series carry gives one replay per cluster, never their sum.
    """
    import dataclasses

    if not label:
        return program
    return dataclasses.replace(program, services=tuple(
        dataclasses.replace(service, slos=tuple(
            dataclasses.replace(slo, group_by=(*slo.group_by, label))
            if label not in slo.group_by and (only is None or slo.id in only) else slo
            for slo in service.slos))
        for service in program.services))


def _deployed_values(recorded: dict[str, dict[str, list]], label: str) -> dict[str, set[str]]:
    """{slo_id: the cluster label's values on its deployed series at --to}."""
    found: dict[str, set[str]] = {}
    for by_slo in recorded.values():
        for slo_id, samples in by_slo.items():
            found.setdefault(slo_id, set()).update(s.labels[label] for s in samples if s.labels.get(label))
    return found


def _settle(replays, label: str, added: set[str], labelled: dict[str, set[str]], program, shown):
    """The replays of an SLO whose replay found no value of the cluster label: the label dropped again (a single
    Prometheus, no `cluster=` column), or a LiveError when its deployed series carry it (a fleet sum is no
    cluster's replay)."""
    import dataclasses

    from ..connection import LiveError

    unlabelled = {r.slo_id for r in replays} - {r.slo_id for r in replays if r.group.get(label, "")}
    out = []
    for replay in replays:
        if replay.slo_id in added and replay.slo_id in unlabelled:
            values = sorted(labelled.get(replay.slo_id, ()))
            if values:
                composite = next((slo.is_composite for service in program.services for slo in service.slos
                                  if slo.id == replay.slo_id), False)
                why = (", a composite's ratio being its members' over all their groups" if composite else
                       f": no series it is replayed from carries {shown(label)}")
                raise LiveError(
                    f"{replay.slo_id}: its deployed series carry {shown(label)} "
                    f"({', '.join(shown(v) for v in values[:5])}{', ...' if len(values) > 5 else ''}), but its "
                    f"replay cannot tell the clusters apart{why}; label the raw series with {shown(label)} in "
                    "the view (the agents' external labels), or backtest each cluster against its own Prometheus")
            replay = dataclasses.replace(replay, group={k: v for k, v in replay.group.items() if k != label})
        out.append(replay)
    return out


def _selected(program, services: tuple[str, ...], slo_ids: tuple[str, ...]) -> frozenset[str] | None:
    """The SLO ids `--service` and `--slo` pick in the specs (None: all); a usage error for a name they lack.

    The same ids are replayed from `--against`, where an SLO may not exist yet.
    """
    if not services and not slo_ids:
        return None
    from ..status import SelectionError, select

    try:
        return frozenset(slo.id for _, slo in select(program, services, slo_ids))
    except SelectionError as error:
        raise click.UsageError(str(error)) from None


def _check_writable(path: str) -> None:
    """A usage error before any query when the SVG's folder is missing or read-only."""
    import os

    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise click.BadParameter(f"the folder {folder} does not exist", param_hint="--svg")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder {folder} is not writable", param_hint="--svg")


def render(replays, previous, output_format: str, against: str) -> str:
    """The report in the chosen format; side by side when there is a previous version."""
    from . import compare, report

    if previous is None:
        return {"json": report.to_json, "markdown": report.to_markdown, "text": report.to_text}[output_format](replays)
    if output_format == "json":
        return compare.to_json_pair(replays, previous)
    if output_format == "markdown":
        return compare.to_markdown(replays, previous, against)
    return compare.to_text(replays, previous, against)
