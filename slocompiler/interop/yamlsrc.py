"""YAML with line numbers: every value knows where it was written, so warnings can say `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import yaml

from ..core.errors import Diagnostic, Span


@dataclass(frozen=True, repr=False)
class Node:
    """One YAML value: a scalar's text as written, a list of Nodes, or a dict of key -> Node."""

    value: object
    span: Span
    tag: str = ""
    keys: dict = field(default_factory=dict)  # key -> the Span of the key itself

    def __repr__(self) -> str:
        # As written in flow style: a message quoting a list or a mapping shows it, not Python's repr.
        if isinstance(self.value, list):
            return "[" + ", ".join(map(repr, self.value)) + "]"
        if isinstance(self.value, dict):
            return "{" + ", ".join(f"{key}: {value!r}" for key, value in self.value.items()) + "}"
        return str(self.value)

    def key_span(self, key: str) -> Span:
        """Where `key` is written in this mapping (the mapping itself if it is not)."""
        return self.keys.get(key, self.span)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.value, str)

    def get(self, key: str) -> Node | None:
        """The value under `key` of a mapping; None when absent or when this is no mapping."""
        return self.value.get(key) if isinstance(self.value, dict) else None

    def first(self, *keys: str) -> Node | None:
        """The value under the first of `keys` present (Sloth spells fields both snake_ and camelCase)."""
        for key in keys:
            found = self.get(key)
            if found is not None:
                return found
        return None

    def text(self, key: str, *more: str) -> str | None:
        """A scalar under one of the keys, as text; None when absent or not a scalar."""
        found = self.first(key, *more)
        return found.value if found is not None and isinstance(found.value, str) else None

    def items(self) -> Iterator[tuple[str, Node]]:
        return iter(self.value.items()) if isinstance(self.value, dict) else iter(())

    def entries(self) -> list[Node]:
        return list(self.value) if isinstance(self.value, list) else []


@dataclass
class Report:
    """The warnings of one import run, each at the place in the input it speaks of."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def warn(self, at: Node | Span, message: str) -> None:
        span = at.span if isinstance(at, Node) else at
        self.diagnostics.append(Diagnostic(span, message, "warning"))

    def error(self, at: Node | Span, message: str) -> None:
        span = at.span if isinstance(at, Node) else at
        self.diagnostics.append(Diagnostic(span, message, "error"))

    def unknown_fields(self, node: Node | None, known: tuple[str, ...], where: str) -> None:
        """A warning for each key of a mapping that the importer does not read."""
        for key, value in node.items() if node is not None else ():
            if key not in known:
                self.warn(node.key_span(key), f'{where}.{key} has no counterpart in .slo and is dropped')


def load_documents(text: str, path: str) -> list[Node]:
    """Every document of a (multi-document) YAML text; raises yaml.YAMLError on bad YAML."""
    return [_convert(root, path) for root in yaml.compose_all(text, Loader=yaml.SafeLoader) if root is not None]


def _convert(node: yaml.Node, path: str) -> Node:
    span = Span(path, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Node] = {}
        keys: dict[str, Span] = {}
        for key, value in node.value:
            name = str(key.value)
            mapping[name] = _convert(value, path)
            keys[name] = Span(path, key.start_mark.line + 1, key.start_mark.column + 1)
        return Node(mapping, span, node.tag, keys)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item, path) for item in node.value], span, node.tag)
    return Node(str(node.value), span, node.tag)
