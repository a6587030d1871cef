"""The project a command runs in: its root, and the defaults `[tool.slocompiler]` gives.

The project root is the nearest directory at or above the inputs (the
working directory when none are named) whose `pyproject.toml` has a
`[tool.slocompiler]` table; without one, the working directory. Source
paths written into outputs are relative to it, so a build gives the same
bytes however its inputs are spelled and wherever it runs
(../shared/spec/OUTPUTS.md; docs/BUILD.md, "The project root").
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass

from ..core.errors import UsageError

CONFIG = "pyproject.toml"
KEYS = ("specs", "output", "targets", "kubernetes", "cluster_label")
# A Prometheus label name that is not reserved (`__name__`, `__address__`...).
LABEL_NAME = re.compile(r"(?!__)[a-zA-Z_][a-zA-Z0-9_]*")
KUBERNETES_KEYS = ("namespace", "labels")


@dataclass(frozen=True)
class Project:
    """The root (an absolute, resolved path) and the table's settings, as written there."""

    root: str
    config: str | None = None  # the pyproject.toml holding the table, if any
    specs: tuple[str, ...] = ()
    output: str | None = None
    targets: tuple[str, ...] = ()
    # `[tool.slocompiler.kubernetes]`: the project-wide default under a file's
    # top-level `kubernetes { }` and a service's own (apply_defaults).
    kubernetes_namespace: str | None = None
    kubernetes_labels: tuple[tuple[str, str], ...] = ()
    # The label that tells clusters apart behind a global view (live commands; docs/LIVE.md, "Global views").
    cluster_label: str | None = None

    def path(self, setting: str) -> str:
        """A path from the table (relative to the root) as the working directory reaches it."""
        return os.path.relpath(os.path.join(self.root, setting))

    def default_specs(self) -> list[str]:
        """What a command reads when no PATH is given."""
        return [self.path(spec) for spec in self.specs] or ["specs"]

    def default_output(self) -> str:
        """Where `slo build` writes when no -o is given."""
        return self.path(self.output) if self.output else "generated"


def find(paths: list[str] | tuple[str, ...]) -> Project:
    """The project of these inputs (of the working directory when there are none); UsageError on a bad table."""
    here = _common_directory(paths) if paths else os.getcwd()
    directory = os.path.realpath(here)
    while True:
        candidate = os.path.join(directory, CONFIG)
        table = _table(candidate) if os.path.isfile(candidate) else None
        if table is not None:
            return _project(directory, candidate, table)
        parent = os.path.dirname(directory)
        if parent == directory:
            return Project(os.path.realpath(os.getcwd()))
        directory = parent


def _common_directory(paths) -> str:
    folders = [path if os.path.isdir(path) else os.path.dirname(path) or "." for path in paths]
    try:
        return os.path.commonpath([os.path.realpath(folder) for folder in folders])
    except ValueError:  # different drives: no common directory; the working directory decides
        return os.getcwd()


def _table(config: str) -> dict | None:
    try:
        with open(config, "rb") as file:
            data = file.read()
    except OSError as error:
        raise UsageError(f"cannot read {config}: {error.strerror or error}") from None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        if b"tool.slocompiler" in data:
            raise UsageError(f"{config} is not valid TOML: {error}") from None
        return None  # not ours to judge: someone else's broken file
    table = document.get("tool", {}).get("slocompiler") if isinstance(document.get("tool"), dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{config}: tool.slocompiler must be a table")
    return table


def _project(root: str, config: str, table: dict) -> Project:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{config}: [tool.slocompiler] has unknown key(s) {', '.join(unknown)}; valid: {', '.join(KEYS)}")
    specs = _strings(table.get("specs", ()), config, "specs")
    output = table.get("output")
    if output is not None and (not isinstance(output, str) or not output):
        raise UsageError(f"{config}: [tool.slocompiler] output must be a non-empty string")
    for key, path in [*(("specs", spec) for spec in specs), *([("output", output)] if output else [])]:
        _inside(root, config, key, path)
    targets = tuple(name.strip() for item in _strings(table.get("targets", ()), config, "targets") for name in item.split(","))
    namespace, labels = _kubernetes(table.get("kubernetes", {}), config)
    cluster_label = table.get("cluster_label")
    if cluster_label is not None and not (isinstance(cluster_label, str) and LABEL_NAME.fullmatch(cluster_label)):
        raise UsageError(f"{config}: [tool.slocompiler] cluster_label {cluster_label!r} is not a Prometheus label name")
    return Project(root, config, specs, output, targets, namespace, labels, cluster_label)


def _inside(root: str, config: str, key: str, path: str) -> None:
    """Refuse a table path that is absolute or leads out of the project root, `..` and links resolved.

    The table travels with the repository: a changed pyproject.toml must not
    make `slo build` in CI write (or `slo check` read and print) files
    elsewhere on the machine. `-o` and PATH arguments are the caller's own.
    """
    where = f"{config}: [tool.slocompiler] {key}"
    if "\0" in path:
        raise UsageError(f"{where} {path!r} holds a NUL character")
    if os.path.isabs(path):
        raise UsageError(f"{where} {path!r} is an absolute path; give it relative to the project root {root}")
    resolved = os.path.realpath(os.path.join(root, path))
    if os.path.commonpath([root, resolved]) != root:
        raise UsageError(f"{where} {path!r} leads out of the project root {root} (to {resolved}, links followed); "
                         f"{key} must stay inside it")


def _kubernetes(table, config: str) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """`[tool.slocompiler.kubernetes]`: namespace and labels, valid as the IR schema says for a spec's own."""
    import re

    from .schema import ir_schema

    where = f"{config}: [tool.slocompiler.kubernetes]"
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    unknown = sorted(set(table) - set(KUBERNETES_KEYS))
    if unknown:
        raise UsageError(f"{where} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(KUBERNETES_KEYS)}")
    # The same rules as `kubernetes { }` in a spec: one definition, in the schema.
    definitions = ir_schema()["$defs"]
    namespace_rule = definitions["service"]["properties"]["kubernetes_namespace"]["pattern"]
    name_rule = definitions["kubernetes_labels"]["propertyNames"]["pattern"]
    value_rule = definitions["kubernetes_labels"]["additionalProperties"]["pattern"]
    namespace = table.get("namespace")
    if namespace is not None and (not isinstance(namespace, str) or not re.search(namespace_rule, namespace)):
        raise UsageError(f"{where} namespace {namespace!r} is not a valid Kubernetes namespace: "
                         "lower-case letters, digits and -, at most 63")
    labels = table.get("labels", {})
    if not isinstance(labels, dict):
        raise UsageError(f"{where} labels must be a table of strings")
    for name, value in labels.items():
        if not re.search(name_rule, name):
            raise UsageError(f"{where} labels: {name!r} is not a valid Kubernetes label name")
        if not isinstance(value, str) or not re.search(value_rule, value):
            raise UsageError(f"{where} labels: {value!r} is not a valid Kubernetes label value: "
                             "at most 63 letters, digits, -, _ and ., alphanumeric at both ends")
    return namespace, tuple(sorted(labels.items()))


def apply_defaults(program, project: Project):
    """The program with the project's Kubernetes default under each service's own namespace and labels."""
    if project.kubernetes_namespace is None and not project.kubernetes_labels:
        return program
    services = tuple(
        dataclasses.replace(
            service,
            kubernetes_namespace=service.kubernetes_namespace or project.kubernetes_namespace,
            kubernetes_labels=tuple(sorted({**dict(project.kubernetes_labels), **dict(service.kubernetes_labels)}.items())),
        )
        for service in program.services
    )
    return dataclasses.replace(program, services=services)


def _strings(value, config: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) and item for item in items):
        raise UsageError(f"{config}: [tool.slocompiler] {key} must be a string or a list of strings")
    return tuple(items)


def source_name(project: Project, path: str) -> str:
    """A spec's path as outputs show it: relative to the project root, forward slashes."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        relative = os.path.relpath(os.path.join(os.path.realpath(folder), name), project.root)
    except ValueError:  # another drive than the root's: the name alone is all that is not absolute
        relative = name
    return relative.replace(os.sep, "/")


def relocate(program, project: Project):
    """The program with each service's source path relative to the project root."""
    services = tuple(
        dataclasses.replace(service, span=dataclasses.replace(service.span, file=source_name(project, service.span.file)))
        for service in program.services
    )
    return dataclasses.replace(program, services=services)
