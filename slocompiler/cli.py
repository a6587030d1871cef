"""The `slo` command. Heavy modules are imported inside commands: `slo check`
must start fast and needs no Jinja."""

from __future__ import annotations

import os
import sys

import click

FORMATS = ("text", "json", "github")


def _paths_argument(function):
    return click.argument("paths", nargs=-1, type=click.Path())(function)


def _diagnostic_options(function):
    function = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(function)
    function = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
        help="How diagnostics are printed (github: workflow annotations).",
    )(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slocompiler", prog_name="slo")
def cli() -> None:
    """SLO-as-code: check .slo specs and compile them to rules, alerts, dashboards, policies and docs."""


def load_reported(paths: tuple[str, ...], output_format: str):
    """Load and check specs and print their diagnostics; None when the inputs hold nothing."""
    from .compile import load
    from .errors import InputError, UsageError

    try:
        loaded = load(list(paths) or ["specs"])
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        return None
    print_diagnostics(loaded.diagnostics, loaded.sources, output_format)
    return loaded


def load_or_report(paths: tuple[str, ...], output_format: str, strict: bool):
    """Load and check specs, print diagnostics; returns the Program, or None on errors."""
    loaded = load_reported(paths, output_format)
    if loaded is None or any(d.is_error or strict for d in loaded.diagnostics):
        return None
    return loaded.program



def print_diagnostics(diagnostics, sources, output_format: str) -> None:
    """Text to stderr; json and github annotations to stdout, where tools read them."""
    from . import errors

    if output_format == "json":
        click.echo(errors.render_json(diagnostics))
        return
    for diagnostic in diagnostics:
        if output_format == "github":
            click.echo(errors.render_github(diagnostic))
        else:
            click.echo(errors.render_text(diagnostic, sources), err=True)
    if output_format == "text" and diagnostics:
        count = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - count
        click.echo(f"{count} error(s), {warnings} warning(s)", err=True)


@cli.command()
@_paths_argument
@_diagnostic_options
def check(paths: tuple[str, ...], output_format: str, strict: bool) -> None:
    """Parse and validate specs (PATH defaults to specs/)."""
    from . import checkcache
    from .errors import InputError, UsageError
    from .sources import discover

    arguments = list(paths) or ["specs"]
    try:
        inputs, _ = discover(arguments)
    except (UsageError, InputError):
        inputs = None  # the full path below reports it
    cached = checkcache.lookup(arguments, inputs) if inputs else None
    if cached is not None:
        from .errors import from_dict

        warnings = [from_dict(w) for w in cached.warnings]
        sources = {w.span.file: open(w.span.file, encoding="utf-8").read() for w in warnings}
        print_diagnostics(warnings, sources, output_format)
        services, slos = cached.services, cached.slos
        if strict and warnings:
            sys.exit(1)
    else:
        loaded = load_reported(paths, output_format)
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
@_paths_argument
@click.option("-o", "--output", "out_dir", default="generated", show_default=True, type=click.Path(file_okay=False))
@click.option("--target", "targets", multiple=True, help="Build only these targets (repeatable, or comma-separated).")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; list stale, missing or extra files.")
@_diagnostic_options
def build(paths, out_dir, targets, check_only, output_format, strict) -> None:
    """Compile specs into DIR (default generated/)."""
    from .build import run_build

    sys.exit(run_build(paths, out_dir, targets, check_only, output_format, strict))


@cli.command()
@_paths_argument
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


def main() -> None:
    """Entry point: never shows a traceback to a user."""
    try:
        cli.main(prog_name="slo", standalone_mode=True)
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
