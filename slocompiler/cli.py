"""The `slo` command. Heavy modules are imported inside commands: `slo check`
must start fast and needs no Jinja."""

from __future__ import annotations

import os
import sys

import click

from .reporting import find_project, load_reported, paths_argument, print_diagnostics

FORMATS = ("text", "json", "github")


def _diagnostic_options(function):
    function = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(function)
    function = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
        help="How diagnostics are printed (github: workflow annotations).",
    )(function)
    return function


# The live commands: name -> (module under slocompiler/live/, attribute). They
# talk to Prometheus (httpx and its dependencies), so their modules load only
# when one of them runs or `slo --help` lists them: `slo check` imports none.
LIVE_COMMANDS = {
    "status": ("commands", "status"),
    "gate": ("commands", "gate"),
    "verify": ("commands", "verify"),
    "backtest": ("backtest_cli", "command"),
}


class Commands(click.Group):
    """click's group, with the live commands imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LIVE_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LIVE_COMMANDS:
            from importlib import import_module

            module, attribute = LIVE_COMMANDS[cmd_name]
            return getattr(import_module(f"{__package__}.live.{module}"), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slocompiler", prog_name="slo")
def cli() -> None:
    """SLO-as-code: check .slo specs and compile them to rules, alerts, dashboards, policies and docs."""


def load_or_report(paths: tuple[str, ...], output_format: str, strict: bool):
    """Load and check specs, print diagnostics; returns the Program, or None on errors."""
    loaded = load_reported(paths, output_format)
    if loaded is None or any(d.is_error or strict for d in loaded.diagnostics):
        return None
    return loaded.program


@cli.command()
@paths_argument
@_diagnostic_options
def check(paths: tuple[str, ...], output_format: str, strict: bool) -> None:
    """Parse and validate specs (PATH defaults to specs/)."""
    from . import checkcache
    from .errors import InputError, UsageError
    from .sources import discover

    arguments = list(paths) or find_project(()).default_specs()
    try:
        inputs, _ = discover(arguments)
    except (UsageError, InputError):
        inputs = None  # the full path below reports it
    cached = checkcache.lookup(arguments, inputs) if inputs else None
    if cached is not None:
        from .errors import from_dict

        warnings = [from_dict(w) for w in cached.warnings]
        from .sources import read as read_spec

        sources = {w.span.file: read_spec(w.span.file)[0] or "" for w in warnings}
        print_diagnostics(warnings, sources, output_format)
        services, slos = cached.services, cached.slos
        if strict and warnings:
            sys.exit(1)
    else:
        loaded = load_reported(tuple(arguments), output_format)
        if loaded is None or any(d.is_error or strict for d in loaded.diagnostics):
            sys.exit(1)
        services = len(loaded.program.services)
        slos = sum(len(service.slos) for service in loaded.program.services)
        if inputs:
            from .errors import to_dict

            warnings = [to_dict(d) for d in loaded.diagnostics]
            checkcache.store(arguments, inputs, list(loaded.sources), warnings, services, slos)
    if output_format == "text":
        click.echo(f"ok: {services} service(s), {slos} SLO(s)", err=True)


@cli.command()
@paths_argument
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Output directory (default: the project's `output`, else generated/).")
@click.option("--target", "targets", multiple=True, help="Build only these targets (repeatable, or comma-separated).")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; list stale, missing or extra files.")
@_diagnostic_options
def build(paths, out_dir, targets, check_only, output_format, strict) -> None:
    """Compile specs into DIR (PATH defaults to the project's specs, else specs/; see docs/BUILD.md)."""
    from . import build as building
    from . import project as projects
    from .errors import UsageError

    if out_dir == "":
        raise click.UsageError("-o/--output must name a directory, not an empty string")
    found = find_project(paths)
    try:
        selected = building.resolve_targets(targets or found.targets)
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    out_dir = out_dir if out_dir is not None else found.default_output()
    program = load_or_report(tuple(paths) or tuple(found.default_specs()), output_format, strict)
    if program is None:
        sys.exit(1)
    try:
        outcome = building.run_build(
            projects.apply_defaults(projects.relocate(program, found), found), out_dir, selected, check_only,
            progress=_progress if stderr_is_terminal() else None,
            waiting=lambda: click.echo(f"waiting for another build of {building.shown(out_dir)} to finish", err=True),
        )
    except building.Conflicts as error:
        for path, reason in error.conflicts:
            click.echo(f"error: {building.shown(out_dir, path)}: {reason}; move it away or delete it", err=True)
        click.echo(f"nothing was written to {building.shown(out_dir)}", err=True)
        sys.exit(1)
    except building.BuildError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    sys.exit(_report_check(outcome, out_dir, output_format) if check_only else _report_build(outcome, out_dir))


def _report_check(outcome, out_dir: str, output_format: str) -> int:
    """One line per file that differs; 1 when anything does, 0 when DIR is up to date."""
    from .build import shown

    if not outcome.differences:
        click.echo(f"{shown(out_dir)}: up to date ({outcome.files} files)", err=True)
        return 0
    for path, reason in outcome.differences:
        if output_format == "github":
            click.echo(f"::error file={shown(out_dir, path)}::{reason}")
        else:  # json keeps stdout for the diagnostics document
            click.echo(f"{shown(out_dir, path)}: {reason}", err=output_format == "json")
    count = len(outcome.differences)
    click.echo(f"{count} file(s) out of date in {shown(out_dir)}; run `slo build` to update", err=True)
    return 1


def _report_build(outcome, out_dir: str) -> int:
    from .build import shown

    if outcome.swept:
        click.echo(f"removed {outcome.swept} temporary file(s) an interrupted build left in {shown(out_dir)}", err=True)
    for path, action in outcome.edited:
        click.echo(f"warning: {shown(out_dir, path)} was edited by hand since slocompiler wrote it; {action}", err=True)
    click.echo(f"{shown(out_dir)}: {outcome.written} written, {outcome.removed} removed, {outcome.unchanged} unchanged",
               err=True)
    return 0


def stderr_is_terminal() -> bool:
    """Whether a person is watching stderr (tests patch this)."""
    return sys.stderr.isatty()


def _progress(label: str, length: int):
    return click.progressbar(length=length, label=label, file=sys.stderr)


@cli.command()
@paths_argument
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Print what would change as a unified diff; write nothing.")
def fmt(paths, check_only, show_diff) -> None:
    """Rewrite specs in canonical layout, keeping comments (PATH defaults to specs/; see docs/FORMAT.md)."""
    from .fmt import run_fmt

    sys.exit(run_fmt(paths, check_only, show_diff))


@cli.command()
@click.argument("objective")
@click.option("--window", default="30d", show_default=True, help="The SLO window, e.g. 28d.")
def budget(objective: str, window: str) -> None:
    """Print the error budget as time and the default alert table for OBJECTIVE (e.g. 99.9%)."""
    from .budget import run_budget

    sys.exit(run_budget(objective, window))


@cli.command(name="import")
@click.argument("tool", type=click.Choice(("sloth", "pyrra", "openslo")))
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write one <service>.slo per service here instead of printing to stdout.")
@click.option("--window", default="30d", show_default=True, type=click.Choice(("30d", "28d")),
              help="sloth: the SLO window Sloth was run with (its --default-slo-period).")
@click.option("--keep-defaults", is_flag=True, help="sloth: write no alert conditions; use slocompiler's defaults.")
@click.option("--add-no-data", is_flag=True, help="sloth: keep slocompiler's NoData alert (Sloth has none).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How warnings are printed.")
def import_(tool, files, out_dir, window, keep_defaults, add_no_data, output_format) -> None:
    """Convert Sloth, Pyrra or OpenSLO specs to formatted .slo text (see docs/MIGRATING.md)."""
    from .interop.run import convert, write_outputs

    if tool != "sloth" and (window != "30d" or keep_defaults or add_no_data):
        raise click.UsageError("--window, --keep-defaults and --add-no-data are for sloth specs: "
                               "Pyrra and OpenSLO specs say their window and alerting themselves")
    options = {"window": window, "keep_defaults": keep_defaults, "add_no_data": add_no_data}
    texts, diagnostics, sources, readable = convert(tool, list(files), options)
    if out_dir is None and output_format != "text":
        # stdout carries the .slo text: machine-readable diagnostics go to stderr instead.
        from . import errors

        lines = [errors.render_json(diagnostics)] if output_format == "json" else [errors.render_github(d) for d in diagnostics]
        for line in lines:
            click.echo(line, err=True)
    else:
        print_diagnostics(diagnostics, sources, output_format)
    if out_dir is None:
        click.echo("\n".join(texts.values()), nl=False)
    else:
        written, refused = write_outputs(texts, out_dir)
        for path in refused:
            click.echo(f"error: {path} exists with other text; nothing was written (move it, or pick another -o)", err=True)
        for path in written:
            click.echo(f"wrote {path}", err=True)
        readable = readable and not refused
    sys.exit(0 if readable and not any(d.is_error for d in diagnostics) else 1)


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: unwinds like KeyboardInterrupt, so every cleanup runs, but click
    does not turn it into "Aborted!" and exit 1."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.exit_code = 128 + signal_number


def _interrupt(signal_number: int, frame) -> None:
    raise Interrupted(signal_number)


def main() -> None:
    """Entry point: never shows a traceback to a user."""
    import signal

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cli.main(prog_name="slo", standalone_mode=True)
    except Interrupted as interruption:
        click.echo("interrupted", err=True)
        sys.stderr.flush()
        os._exit(interruption.exit_code)
    except SystemExit as done:
        # Every file is written and closed by now; skipping the interpreter's
        # teardown of a few hundred modules saves a tenth of a short run.
        code = done.code
        if isinstance(code, str):
            click.echo(code, err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 0 if code is None else 1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug of ours: one line for the user, the traceback on request
        if os.environ.get("SLO_DEBUG"):
            raise
        click.echo(f"slo: internal error: {type(error).__name__}: {error} (SLO_DEBUG=1 shows the traceback; "
                   "please report it)", err=True)
        sys.exit(1)
