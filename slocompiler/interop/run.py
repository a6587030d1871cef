"""`slo import FORMAT FILE...`: read, convert, warn with `file:line`, write `.slo` text."""

from __future__ import annotations

import yaml

from ..core.errors import Diagnostic, SloError, Span
from . import model
from .common import group_by_that_groups, refuse_long_names, unique_slo_names
from .files import read_input, write_outputs
from .fit import fit
from .write import service_text
from .yamlsrc import Budget, Node, Report, load_documents

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
    budget = Budget()
    for path in paths:
        try:
            text = read_input(path, budget)
            sources[path] = text
            documents += load_documents(text, path, budget)
        except SloError as error:
            report.diagnostics.extend(error.diagnostics)
            readable = False
        except yaml.YAMLError as error:
            report.error(_yaml_error_span(error, path, sources.get(path, "")), f"not valid YAML: {_yaml_problem(error)}")
            readable = False
        if budget.values < 0 or budget.bytes < 0:
            break  # the run's bounds are spent: the files after this one are not read
    read = _reader(fmt)
    services: dict[str, model.Service] = {}
    if fmt == "openslo":
        read(documents, options, report, services)
    else:
        for document in documents:
            if not document.is_map or not read(document, options, report, services):
                report.warn(document, f"this document is not a {TOOL_NAMES[fmt]} spec and is skipped")
    unique_slo_names(services, report)
    group_by_that_groups(services, report)
    refuse_long_names(services, report)
    shown = {path: shown_path(path) for path in paths}

    def write(service: model.Service) -> str:
        return service_text(service, TOOL_NAMES[fmt], sources=[shown.get(path, path) for path in service.sources])

    texts = fit(dict(sorted(services.items())), write, report)
    return texts, sorted(report.diagnostics), sources, readable


def shown_path(path: str) -> str:
    """An input's path as the header comment shows it: relative to the working directory, as builds show
    theirs (an absolute path would differ between machines, and say where someone's home is)."""
    import os

    from ..lang.project import Project, source_name

    return source_name(Project(os.path.realpath(os.getcwd())), path)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError):  # its str() would add a position the span already gives
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return f"character U+{code:04X} is not allowed in YAML"
    return str(getattr(error, "problem", None) or error)


def _yaml_error_span(error: yaml.YAMLError, path: str, text: str) -> Span:
    """Where PyYAML says the problem is: a mark, or (for a character it refuses) an offset into the text."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return Span(path, mark.line + 1, mark.column + 1)
    position = getattr(error, "position", None)
    if isinstance(position, int) and text:
        before = text[:position]
        return Span(path, before.count("\n") + 1, len(before) - before.rfind("\n"))
    return Span(path, 1, 1)


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
        if not readable:  # a service could be missing what the unread file held
            written, same, problems = [], [], ["an input could not be read; nothing was written"]
        else:
            written, same, problems = write_outputs(texts, out_dir)
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        for path in written:
            click.echo(f"wrote {path}", err=True)
        for path in same:
            click.echo(f"{path} already holds this text", err=True)
        readable = readable and not problems
    return 0 if readable and not any(d.is_error for d in diagnostics) else 1
