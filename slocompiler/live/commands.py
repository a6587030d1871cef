"""The `slo status`, `slo gate` and `slo verify` commands: options, loading, printing. `cli.py` loads this module
only when one of them runs."""

from __future__ import annotations

import click

from ..workflow.reporting import paths_argument
from . import options as live_options
from .options import EXIT_SPEC_ERRORS, load_specs


def _select_options(function):
    function = click.option("--slo", "slo_ids", multiple=True, metavar="ID", help="Only this SLO id (repeatable).")(function)
    return click.option("--service", "services", multiple=True, help="Only this service (repeatable).")(function)


def _selection(program, services, slo_ids):
    from .status import SelectionError, select

    try:
        return select(program, services, slo_ids)
    except SelectionError as error:
        raise click.UsageError(str(error)) from None


def _with_states(program, services, slo_ids, at, source, connection, then, check=None, cluster_label=None,
                 widen=None) -> None:
    """Evaluate the selected SLOs at `--at`, and exit with what `then(states, at, partial)` returns.

    `partial`: the warnings of the server's partial answers (live/partial.py).

    `check(selected)` may name a usage error before any query is sent;
    `widen(selected)` may add SLOs to evaluate (the gate: the composites the selected SLOs belong to).
    """
    from . import state as live_state

    selected = _selection(program, services, slo_ids)
    if widen:
        selected = widen(selected)
    problem = check(selected) if check else None
    if problem:
        raise click.UsageError(problem)

    def run() -> int:
        moment = live_options.now_or(at)
        with live_options.open_client(connection) as client, _clock_of(program, moment):
            states = live_state.evaluate(client, selected, moment, source, cluster_label, program)
        _redact_groups(states, client.secrets)
        return then(states, moment, client.partial.texts())

    live_options.exit_on_live_error(run)


def _clock_of(program, moment: float):
    """Maintenance tests with the zone's clock changes around `moment` (`--at` in 2024 is before the rules' table)."""
    from ..core.calendar import DAY
    from .outside import evaluated_within, reach

    return evaluated_within(int(moment) - reach(program), int(moment) + DAY)


def _redact_groups(states, secrets) -> None:
    """A credential a server echoed in a label value is never printed by status or gate (text.py's Secrets)."""
    if not secrets:
        return
    for state in states:
        for group in state.groups:
            group.group = {name: secrets.redact(value) for name, value in group.group.items()}


@click.command()
@paths_argument
@live_options.connection_options
@live_options.at_option
@live_options.format_option("text", "json", "markdown")
@live_options.source_option
@live_options.cluster_option
@_select_options
def status(paths, at, output_format, source, cluster_label, services, slo_ids, **connection) -> None:
    """Each SLO's SLI, budget left, burn rates, alerts and policy at a time, from a live Prometheus."""
    from . import status as live_status

    program = load_specs(paths).program

    def show(states, moment, _partial) -> int:  # the warnings are on stderr (options.open_client)
        if output_format == "json":
            click.echo(live_status.render_json(states), nl=False)
            click.echo(f"source: {', '.join(sorted({s.source for s in states}))}", err=True)
        elif output_format == "markdown":
            click.echo(live_status.render_markdown(states, moment), nl=False)
        else:
            click.echo(live_status.render_text(states, moment), nl=False)
        return 0

    _with_states(program, services, slo_ids, at, source, connection, show,
                 cluster_label=live_options.cluster_label_of(paths, cluster_label))


@click.command()
@paths_argument
@live_options.connection_options
@live_options.at_option
@live_options.format_option("text", "json", "markdown", "github")
@live_options.source_option
@live_options.cluster_option
@_select_options
@click.option("--action", default="release", show_default=True, help="What is being gated: rules whose blocks hold it.")
@click.option("--no-data", "no_data", type=click.Choice(("fail", "pass")), default="fail", show_default=True,
              help="An SLO without data fails the gate (exit 3) or passes it.")
@click.option("--allow-partial", is_flag=True,
              help="Pass on a partial answer (one with warnings: a Thanos store down, a Mimir limit); else exit 3.")
def gate(paths, at, output_format, source, cluster_label, services, slo_ids, action, no_data, allow_partial,
         **connection) -> None:
    """Exit 1 while a policy rule that blocks ACTION applies to a selected SLO (0 pass, 3 no answer, no data or internal error)."""
    from . import gate as live_gate

    # Exit 1 means "blocked": a spec the gate cannot read is not an answer (docs/LIVE.md).
    program = load_specs(paths, error_exit=live_gate.SPEC_ERRORS).program

    def decide(states, moment, partial) -> int:
        from .partial_gate import gate_result

        code, text = live_gate.run_gate(states, moment, action, no_data == "pass", output_format, program)
        code, text = gate_result(code, text, partial, allow_partial, action, output_format)
        click.echo(text, nl=False)
        raise live_gate.Decision(code)

    def check(selected) -> str | None:
        problem = live_gate.nothing_selected(selected) or live_gate.unknown_action(selected, action)
        warning = None if problem else live_gate.action_warning(selected, action)
        if warning:
            click.echo(warning, err=True)
        return problem

    def widen(selected):
        return live_gate.with_composites(program, selected)

    _with_states(program, services, slo_ids, at, source, connection, decide, check,
                 live_options.cluster_label_of(paths, cluster_label), widen)


@click.command()
@paths_argument
@live_options.connection_options
@live_options.at_option
@live_options.format_option("text", "json", "github", "markdown")
@live_options.cluster_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@_select_options
def verify(paths, at, output_format, cluster_label, strict, services, slo_ids, **connection) -> None:
    """Check the specs against live series: selectors, buckets, labels, metric types, traffic, deployed rules."""
    from ..workflow.reporting import print_diagnostics
    from . import verify as live_verify

    diagnostics_format = "text" if output_format == "markdown" else output_format
    loaded = load_specs(paths, diagnostics_format, EXIT_SPEC_ERRORS)
    selected = _selection(loaded.program, services, slo_ids)
    cluster_label = live_options.cluster_label_of(paths, cluster_label)

    def run() -> int:
        moment = live_options.now_or(at)
        with live_options.open_client(connection) as client, _clock_of(loaded.program, moment):
            found, tally = live_verify.verify(client, selected, moment, loaded.program, cluster_label)
            diagnostics = sorted([*loaded.diagnostics, *found])
        if output_format == "markdown":
            click.echo(live_verify.render_markdown(diagnostics, len(selected), tally), nl=False)
        else:
            print_diagnostics(diagnostics, loaded.sources, output_format)
        if output_format == "text":  # after the findings, whatever they are: what was compared, in numbers
            click.echo(live_verify.summary(len(selected), diagnostics, tally), err=True)
        if any(d.is_error or strict for d in diagnostics):
            return 1
        return 0

    live_options.exit_on_live_error(run)
