"""`slo import FORMAT FILE...`: read, convert, warn with `file:line`, write `.slo` text."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..core.errors import Diagnostic, SloError, Span
from . import model
from .common import unique_slo_names
from .write import service_text
from .yamlsrc import Node, Report, load_documents

FORMATS = ("sloth", "pyrra", "openslo")
TOOL_NAMES = {"sloth": "Sloth", "pyrra": "Pyrra", "openslo": "OpenSLO"}


def _reader(fmt: str):
    if fmt == "sloth":
        from .sloth import read
    elif fmt == "pyrra":
        from .pyrra import read  # type: ignore[no-redef]
    else:
        from .openslo import read  # type: ignore[no-redef]
    return read


def convert(fmt: str, paths: list[str], options: dict) -> tuple[dict[str, str], list[Diagnostic], dict[str, str], bool]:
    """({service: .slo text}, diagnostics, the input texts, whether every input could be read)."""
    report = Report()
    sources: dict[str, str] = {}
    documents: list[Node] = []
    readable = True
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            report.error(Span(path, 1, 1), f"cannot read this file: {getattr(error, 'strerror', None) or error}")
            readable = False
            continue
        sources[path] = text
        try:
            documents += load_documents(text, path)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = Span(path, mark.line + 1, mark.column + 1) if mark else Span(path, 1, 1)
            report.error(where, f"not valid YAML: {getattr(error, 'problem', None) or error}")
            readable = False
    read = _reader(fmt)
    services: dict[str, model.Service] = {}
    if fmt == "openslo":
        read(documents, options, report, services)
    else:
        for document in documents:
            if not document.is_map or not read(document, options, report, services):
                report.warn(document, f"this document is not a {TOOL_NAMES[fmt]} spec and is skipped")
    unique_slo_names(services, report)
    texts = {}
    for name, service in sorted(services.items()):
        try:
            texts[name] = service_text(service, TOOL_NAMES[fmt])
        except SloError as error:
            # A value the importers pass through unchecked made text that does not parse:
            # said at the service's input, never an internal error.
            first = error.diagnostics[0].message if error.diagnostics else str(error)
            report.error(Span(service.sources[0] if service.sources else "<input>", 1, 1),
                         f"service {name} could not be written as .slo ({first}); a value in the input "
                         "cannot be written as .slo: fix it there; the service is not imported")
    return texts, sorted(report.diagnostics), sources, readable


def write_outputs(texts: dict[str, str], out_dir: str) -> tuple[list[str], list[str]]:
    """One `<service>.slo` per service in out_dir: (paths written, paths refused).

    A file that exists with other text is never overwritten (a hand-written
    spec of that name would be lost): then nothing is written at all.
    """
    from ..fmt.command import write_atomically as write

    paths = {name: os.path.join(out_dir, f"{name}.slo") for name in texts}
    refused = [path for name, path in paths.items()
               if os.path.exists(path) and Path(path).read_text(encoding="utf-8", errors="replace") != texts[name]]
    if refused:
        return [], refused
    os.makedirs(out_dir, exist_ok=True)
    for name, path in paths.items():
        write(Path(path), texts[name].encode("utf-8"))
    return list(paths.values()), []


def run_import(tool: str, files: list[str], out_dir: str | None, options: dict, output_format: str) -> int:
    """`slo import`: convert, print the warnings, then print the `.slo` text or write it to out_dir; the exit code."""
    import click

    from ..core import errors
    from ..workflow.reporting import print_diagnostics

    if tool != "sloth" and (options["window"] != "30d" or options["keep_defaults"] or options["add_no_data"]):
        raise click.UsageError("--window, --keep-defaults and --add-no-data are for sloth specs: "
                               "Pyrra and OpenSLO specs say their window and alerting themselves")
    texts, diagnostics, sources, readable = convert(tool, files, options)
    if out_dir is None and output_format != "text":
        # stdout carries the .slo text: machine-readable diagnostics go to stderr instead.
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
    return 0 if readable and not any(d.is_error for d in diagnostics) else 1
