"""The `slo report` command: options, the period, one SLO after another, the chosen format to stdout or `-o FILE`."""

from __future__ import annotations

import sys
import threading
import time

import click

from ...workflow.reporting import paths_argument
from ..options import (
    EXIT_NO_ANSWER,
    TIME,
    connection_options,
    exit_on_live_error,
    format_option,
    load_specs,
    open_client,
)

FORMATS = ("text", "markdown", "json", "html")
EXIT_USAGE = 2
SLO_WORKERS_PER = 2  # --concurrency over this: the SLOs read at once


@click.command(name="report", context_settings={"help_option_names": ["-h", "--help"]})
@paths_argument
@connection_options
@click.option("--period", "period", default=None, metavar="P",
              help="2026-11 (a month), 2026-W47 (an ISO week) or 2026-Q4; default: the last complete month.")
@click.option("--from", "start", type=TIME, default=None, help="Start of a custom period (RFC 3339 or Unix seconds).")
@click.option("--to", "end", type=TIME, default=None, help="End of a custom period (RFC 3339 or Unix seconds).")
@click.option("--timezone", "zone", default="UTC", show_default=True,
              help="IANA zone of the periods and of working hours (08:00-20:00) for out-of-hours pages.")
@click.option("--history", "history", type=click.IntRange(min=0, max=24), default=3, show_default=True,
              help="Previous periods read for the advice.")
@format_option(*FORMATS)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--service", "services", multiple=True, help="Only this service's SLOs (repeatable).")
@click.option("--slo", "slo_ids", multiple=True, metavar="ID", help="Only this SLO id (repeatable).")
def command(paths, period, start, end, zone, history, output_format, output, services, slo_ids, **connection) -> None:
    """The SLO programme's report for a period: SLIs, budgets, incidents, pages per owner, advice."""
    from .period import PeriodError, choose

    try:
        chosen = choose(period, start, end, zone, time.time())
    except PeriodError as error:
        raise click.UsageError(str(error)) from None
    if output:
        _check_writable(output)
    program = load_specs(paths).program
    selected = _selected(program, services, slo_ids)
    earlier = chosen.history(history)

    def body() -> int:
        from . import model, render
        from ..outside import evaluated_within
        from .figures import evaluated, figures
        from .memo import MEMO

        show = sys.stderr.isatty()
        done = []
        lock = threading.Lock()

        def one(pair):
            service, slo = pair
            result = figures(client, program, service, slo, chosen, earlier)
            if show:  # a line per SLO on a terminal; nothing when stderr is piped
                with lock:
                    done.append(slo.id)
                    click.echo(f"[{len(done)}/{len(selected)}] {slo.id}", err=True)
            return result

        # The maintenance tests hold only the clock changes within the times the queries evaluate at.
        with open_client(connection) as client, evaluated_within(*evaluated(program, chosen, earlier)):
            # A few SLOs at once: each one's queries already run concurrently (the replay's windows and chunks).
            MEMO[id(client)] = {}
            try:
                found = client.map(one, selected, workers=max(1, client.connection.concurrency // SLO_WORKERS_PER))
            finally:
                MEMO.pop(id(client), None)
        if not any(item.sli is not None for item in found):
            reasons = sorted({item.reason or "no figure" for item in found})
            click.echo(f"error: no data for {chosen.title} from the server for any selected SLO "
                       f"({'; '.join(reasons)})", err=True)
            return EXIT_NO_ANSWER
        report = model.report(found, chosen)
        if output_format == "html":
            try:
                from .html import render_html
            except ModuleNotFoundError as error:  # a build without the HTML renderer: one line, not a traceback
                if error.name != f"{__package__}.html":
                    raise
                click.echo("error: this build of slo has no HTML renderer (slocompiler/live/report/html.py)", err=True)
                return EXIT_USAGE
            text = render_html(report, model.burndowns(found))
        elif output_format == "json":
            text = render.to_json(report)
        elif output_format == "markdown":
            text = render.to_markdown(report, chosen)
        else:
            text = render.to_text(report, chosen)
        if output is None:
            click.echo(text, nl=False)
            return 0
        return _write(output, text)

    exit_on_live_error(body)


def _selected(program, services: tuple[str, ...], slo_ids: tuple[str, ...]):
    """(service, SLO) pairs `--service` and `--slo` pick (all by default); a usage error for a name the specs lack."""
    from ..status import SelectionError, select

    try:
        return select(program, services, slo_ids)
    except SelectionError as error:
        raise click.UsageError(str(error)) from None


def _check_writable(path: str) -> None:
    """A usage error before any query when the output's folder is missing or read-only."""
    import os

    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise click.BadParameter(f"the folder {folder} does not exist", param_hint="-o")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder {folder} is not writable", param_hint="-o")


def _write(path: str, text: str) -> int:
    """The file written atomically (readers see the old report or the new one); exit 2 when it cannot be."""
    from pathlib import Path

    from ...fmt.command import write_atomically

    try:
        write_atomically(Path(path), text.encode("utf-8"))
    except OSError as error:
        click.echo(f"error: cannot write {path}: {error.strerror}", err=True)
        return EXIT_USAGE
    return 0
