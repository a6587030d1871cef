"""Loading specs for a command and printing their diagnostics: shared by `cli.py` and the live commands."""

from __future__ import annotations

import click


def paths_argument(function):
    """The `PATH...` argument of every command that reads specs."""
    return click.argument("paths", nargs=-1, type=click.Path())(function)


def find_project(paths: tuple[str, ...]):
    """The project of these inputs (lang/project.py); a bad `[tool.slocompiler]` table is a usage error."""
    from ..core.errors import UsageError
    from ..lang import project

    try:
        return project.find(paths)
    except UsageError as error:
        raise click.UsageError(str(error)) from None


def load_reported(paths: tuple[str, ...], output_format: str, report: bool = True):
    """Load and check specs and print their diagnostics (unless `report` is false); None when the inputs hold nothing.

    No PATH: the project's `specs` setting, else specs/.
    """
    from ..core.errors import InputError, UsageError
    from .compile import load

    try:
        loaded = load(list(paths) or find_project(()).default_specs())
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        return None
    if report:
        print_diagnostics(loaded.diagnostics, loaded.sources, output_format)
    return loaded


def print_diagnostics(diagnostics, sources, output_format: str) -> None:
    """Text to stderr; json and github annotations to stdout, where tools read them."""
    from ..core import errors

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


def load_or_report(paths: tuple[str, ...], output_format: str, strict: bool):
    """Load and check specs, print diagnostics; returns the Program, or None on errors (or warnings, with `strict`)."""
    loaded = load_reported(paths, output_format)
    if loaded is None or any(d.is_error or strict for d in loaded.diagnostics):
        return None
    return loaded.program
