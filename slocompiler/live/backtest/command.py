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
        from .budget import Budget
        from .run import Range, check_size, lookback, run, slos_of

        nonlocal program, other
        what = Range(int(start), int(end), step_seconds)
        for version in (program, other):
            if version is not None:  # a replay too large is refused before any query, the clusters' included
                check_size(version, what, lookback(slos_of(version, only)), only)
        with open_client(connection) as client:
            # Behind a global view: one replay per cluster, or exit 3 naming the label that tells them apart
            # (docs/LIVE.md, "Global views"); the deployed series at --to say whether there are several.
            recorded = fetch_recorded(client, end, only)
            program = program_per_cluster(program, recorded, cluster_label, client.shown, only)
            other = program_per_cluster(other, recorded, cluster_label, client.shown, only) if other is not None else None
            cache: dict = {}
            budget = Budget()  # both versions' values are held at once
            back = max(lookback(slos_of(p, only)) for p in (program, other) if p is not None)
            replays = run(program, client, what, cache, back, budget, only)
            previous = run(other, client, what, cache, back, budget, only) if other is not None else None
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
