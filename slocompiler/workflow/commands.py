"""What `slo check` and `slo build` do, from their options to an exit code; `cli.py` only declares them."""

from __future__ import annotations

import sys

import click

from . import reporting


def run_check(paths: tuple[str, ...], output_format: str, strict: bool) -> int:
    """Parse and validate specs, through the cache of clean results (checkcache.py)."""
    from ..core.errors import InputError, UsageError, from_dict, to_dict
    from ..lang.sources import discover
    from ..lang.sources import read as read_spec
    from . import checkcache

    arguments = list(paths) or reporting.find_project(()).default_specs()
    try:
        inputs, _ = discover(arguments)
    except (UsageError, InputError):
        inputs = None  # the full path below reports it
    cached = checkcache.lookup(arguments, inputs) if inputs else None
    if cached is not None:
        warnings = [from_dict(w) for w in cached.warnings]
        sources = {w.span.file: read_spec(w.span.file)[0] or "" for w in warnings}
        reporting.print_diagnostics(warnings, sources, output_format)
        services, slos = cached.services, cached.slos
        if strict and warnings:
            return 1
    else:
        loaded = reporting.load_reported(tuple(arguments), output_format)
        if loaded is None or any(d.is_error or strict for d in loaded.diagnostics):
            return 1
        services = len(loaded.program.services)
        slos = sum(len(service.slos) for service in loaded.program.services)
        if inputs:
            warnings = [to_dict(d) for d in loaded.diagnostics]
            checkcache.store(arguments, inputs, list(loaded.sources), warnings, services, slos)
    if output_format == "text":
        click.echo(f"ok: {services} service(s), {slos} SLO(s)", err=True)
    return 0


def run_build(paths: tuple[str, ...], out_dir: str | None, targets: tuple[str, ...], check_only: bool,
              output_format: str, strict: bool) -> int:
    """Compile specs into the output directory (docs/BUILD.md), or with `check_only` list what differs."""
    from ..core.errors import UsageError
    from ..lang import project as projects
    from . import build as building

    if out_dir == "":
        raise click.UsageError("-o/--output must name a directory, not an empty string")
    found = reporting.find_project(paths)
    try:
        selected = building.resolve_targets(targets or found.targets)
    except UsageError as error:
        raise click.UsageError(str(error)) from None
    out_dir = out_dir if out_dir is not None else found.default_output()
    program = reporting.load_or_report(tuple(paths) or tuple(found.default_specs()), output_format, strict)
    if program is None:
        return 1
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
        return 1
    except building.BuildError as error:
        click.echo(f"error: {error}", err=True)
        return 1
    return _report_check(outcome, out_dir, output_format) if check_only else _report_build(outcome, out_dir)


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
