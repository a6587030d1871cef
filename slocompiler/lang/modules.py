"""Files and imports: which files are read, and which names each file can see.

`import` makes the templates, policies, named alerting blocks and the
top-level `kubernetes { }` defaults defined in the imported file visible (not those it imports itself: no transitive imports). Paths are
relative to the importing file and must stay inside the input directories.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable

from ..core.errors import Diagnostics, did_you_mean
from . import syntax as st

Reader = Callable[[str], "st.SourceFile | None"]
_NAME = re.compile("[a-z][a-z0-9_-]*")
KUBERNETES = "kubernetes"
TOP_BLOCKS = ("service", "template", "policy", "alerting", KUBERNETES)


@dataclass(frozen=True)
class Definition:
    """A template or policy and the file it is defined in."""

    node: object
    path: str


@dataclass
class Module:
    """One `.slo` file: its syntax tree and what it can see."""

    path: str
    source: st.SourceFile | None
    imports: list[tuple[st.Import, str]] = field(default_factory=list)
    templates: dict[str, Definition] = field(default_factory=dict)
    policies: dict[str, Definition] = field(default_factory=dict)
    alertings: dict[str, Definition] = field(default_factory=dict)  # `alerting NAME { }` blocks
    kubernetes: Definition | None = None  # the top-level `kubernetes { }` default, own or imported


def load_modules(inputs: list[str], roots: list[str], read: Reader, diags: Diagnostics) -> dict[str, Module]:
    """Read the inputs and everything they import; resolve each file's visible names."""
    modules: dict[str, Module] = {}
    queue = list(inputs)
    real_roots = [os.path.realpath(root) for root in roots]
    while queue:
        path = queue.pop(0)
        if path in modules:
            continue
        module = modules[path] = Module(path, read(path))
        if module.source is None:
            continue
        for item in module.source.items:
            if isinstance(item, st.Import):
                target = _resolve_import(path, item, real_roots, diags)
                if target:
                    module.imports.append((item, target))
                    queue.append(target)
    _report_cycles(modules, diags)
    for module in modules.values():
        _own_definitions(module, diags)
    for module in modules.values():
        _imported_definitions(module, modules, diags)
    return modules


def _resolve_import(path: str, item: st.Import, real_roots: list[str], diags: Diagnostics) -> str | None:
    target = os.path.normpath(os.path.join(os.path.dirname(path), item.path))
    real = os.path.realpath(target)
    if not any(real == root or real.startswith(root + os.sep) for root in real_roots):
        diags.error(item.span, f'import "{item.path}" leaves the directory tree of the inputs')
        return None
    if os.path.isdir(target):
        diags.error(item.span, f'cannot import "{item.path}": it is a directory; import a .slo file')
        return None
    if not os.path.lexists(target):
        diags.error(item.span, f'cannot import "{item.path}": no such file ({target})')
        return None
    return target


def _report_cycles(modules: dict[str, Module], diags: Diagnostics) -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(path: str, trail: list[str]) -> None:
        state[path] = 1
        for item, target in modules[path].imports:
            if state.get(target) == 1:
                cycle = trail[trail.index(target):] + [path, target] if target in trail else [path, target]
                diags.error(item.span, "import cycle: " + " -> ".join(dict.fromkeys(cycle[:-1])) + f" -> {target}")
            elif target in modules and state.get(target) is None:
                visit(target, trail + [path])
        state[path] = 2

    for path in sorted(modules):
        if state.get(path) is None:
            visit(path, [])


def _own_definitions(module: Module, diags: Diagnostics) -> None:
    if module.source is None:
        return
    for item in module.source.items:
        if isinstance(item, st.Template):
            table, kind, span = module.templates, "template", item.span
            _check_template(item, diags)
        elif isinstance(item, st.Block) and item.kind == "policy":
            table, kind, span = module.policies, "policy", item.name_span or item.span
        elif isinstance(item, st.Block) and item.kind == "alerting" and item.name:
            table, kind, span = module.alertings, "alerting block", item.name_span or item.span
        elif isinstance(item, st.Block) and item.kind == "stray" and item.name == KUBERNETES:
            if module.kubernetes is not None:
                diags.error(item.span, f"kubernetes is set twice in this file (first at line {_line(module.kubernetes.node)})")
            else:
                module.kubernetes = Definition(item, module.path)
            continue
        elif isinstance(item, st.Block) and item.kind == "stray":
            word = item.name or ""
            diags.error(item.span, f'unknown block "{word}" at the top of a file{did_you_mean(word, TOP_BLOCKS)}',
                        hint="blocks here: " + ", ".join(TOP_BLOCKS))
            continue
        else:
            continue
        if item.name in table:
            first = table[item.name].node
            diags.error(span, f'{kind} "{item.name}" is defined twice in this file (first at line {_line(first)})')
        else:
            table[item.name] = Definition(item, module.path)


def _imported_definitions(module: Module, modules: dict[str, Module], diags: Diagnostics) -> None:
    for item, target in module.imports:
        other = modules.get(target)
        if other is None:
            continue
        if other.kubernetes is not None and other.kubernetes.path == target:
            mine = module.kubernetes
            if mine is None:
                module.kubernetes = other.kubernetes
            elif mine.path != module.path and mine.path != target:
                diags.error(item.span, f'kubernetes defaults from "{item.path}" clash with the ones in {mine.path}')
        pairs = ((module.templates, other.templates, "template"), (module.policies, other.policies, "policy"),
                 (module.alertings, other.alertings, "alerting block"))
        for table, source, kind in pairs:
            for name, definition in source.items():
                if definition.path != target:  # only what that file defines: imports are not transitive
                    continue
                existing = table.get(name)
                if existing is None:
                    table[name] = definition
                elif existing.path != definition.path:
                    diags.error(item.span, f'{kind} "{name}" from "{item.path}" clashes with the one in {existing.path}')


def _check_template(template: st.Template, diags: Diagnostics) -> None:
    for name, span in [(template.name, template.span)] + [(p.name, p.span) for p in template.params]:
        if name in st.KEYWORDS:
            diags.error(span, f'"{name}" is a keyword and cannot be a name')
    if not _NAME.fullmatch(template.name):
        diags.error(template.span, f'template name "{template.name}" is not valid: use lower-case letters, digits, - and _, starting with a letter')
    seen: set[str] = set()
    for param in template.params:
        if not _NAME.fullmatch(param.name):
            diags.error(param.span, f'parameter name "{param.name}" is not valid: use lower-case letters, digits, - and _, starting with a letter')
        if param.name == "window":
            diags.error(param.span, '"window" cannot be a template parameter: it is the SLO window placeholder')
        if param.name in seen:
            diags.error(param.span, f'parameter "{param.name}" is declared twice')
        if param.default is not None and param.default.kind == "param":
            diags.error(param.default.span, "a parameter default cannot refer to another parameter")
        seen.add(param.name)


def _line(node: object) -> int:
    span = getattr(node, "name_span", None) or getattr(node, "span")
    return span.line
