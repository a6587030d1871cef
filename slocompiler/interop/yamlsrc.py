"""YAML with line numbers: every value knows where it was written, so warnings can say `file:line`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

import yaml

from ..core.errors import Diagnostic, SloError, Span

REPR_LIMIT = 200


@dataclass(frozen=True, repr=False)
class Node:
    """One YAML value: a scalar's text as written, a list of Nodes, or a dict of key -> Node."""

    value: object
    span: Span
    tag: str = ""
    keys: dict = field(default_factory=dict)  # key -> the Span of the key itself

    def __repr__(self) -> str:
        # As written in flow style: a message quoting a list or a mapping shows it, not Python's repr;
        # cut short, so a message never quotes a whole file.
        text = "".join(self._flow(REPR_LIMIT + 1))
        return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 3] + "..."

    def _flow(self, budget: int) -> Iterator[str]:
        """The flow-style text in pieces, stopping once about `budget` characters are out."""
        if not isinstance(self.value, (list, dict)):
            yield str(self.value)[:budget]
            return
        is_list = isinstance(self.value, list)
        yield "[" if is_list else "{"
        spent = 1
        pairs = ((None, v) for v in self.value) if is_list else self.value.items()  # type: ignore[union-attr]
        for number, (key, value) in enumerate(pairs):
            if spent > budget:
                return
            for piece in ([", "] if number else []) + ([f"{key}: "] if key is not None else []):
                yield piece
                spent += len(piece)
            for piece in value._flow(budget - spent):
                yield piece
                spent += len(piece)
        yield "]" if is_list else "}"

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


# Bounds on what one `slo import` run reads (docs/MIGRATING.md, "Hostile input").
# Real specs are far below them: a 1000-SLO Sloth file is about 40,000 values,
# nested about 10 deep. Without them, a 342-byte file of nested aliases (a
# "billion laughs") would expand to a billion values and take every byte of memory.
MAX_VALUES = 250_000  # every value of every input, an alias counting as all it stands for
MAX_DEPTH = 64
MAX_INPUT_BYTES = 32 * 1024 * 1024  # all inputs together; one file may hold at most lang.sources.MAX_BYTES
MERGE_TAG = "tag:yaml.org,2002:merge"
NULL_TAG = "tag:yaml.org,2002:null"
UNWRITABLE = re.compile("[\0\ud800-\udfff]")


@dataclass
class Budget:
    """What is left of one run's bounds, shared by every input file."""

    values: int = field(default_factory=lambda: MAX_VALUES)
    bytes: int = field(default_factory=lambda: MAX_INPUT_BYTES)


def load_documents(text: str, path: str, budget: Budget | None = None) -> list[Node]:
    """Every document of a (multi-document) YAML text.

    Raises SloError (located) for what the bounds refuse, a recursive alias or
    a duplicate key, and yaml.YAMLError for text that is not YAML.
    """
    loader = _Loader(text, path, budget or Budget())
    try:
        roots = []
        while loader.check_node():
            roots.append(loader.get_node())
    finally:
        loader.dispose()
    converted: dict[int, Node] = {}
    return [_convert(root, path, converted) for root in roots if root is not None]


def _refuse(path: str, mark, message: str) -> SloError:
    return SloError([Diagnostic(Span(path, mark.line + 1, mark.column + 1), message)])


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing nodes within the bounds; its constructor is never used.

    Composition does not expand aliases (an alias is the anchored node
    again), so every bound is checked here, before anything walks the graph:
    each node adds what it would expand to (`_sizes` by anchor).
    """

    def __init__(self, text: str, path: str, budget: Budget):
        super().__init__(text)
        self.path = path
        self.budget = budget
        self.depth = 0
        self.open_anchors: set[str] = set()  # anchors whose node is still being composed
        self.sizes: dict[str, int] = {}  # anchor -> the number of values its node stands for
        self.used = 0  # values of this file so far

    def compose_document(self):
        self.sizes = {}  # anchors are per document, as PyYAML's own
        return super().compose_document()

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open_anchors:
                raise _refuse(self.path, event.start_mark, f"alias *{event.anchor} stands for a node that holds "
                                                           "it (a recursive alias), which has no end")
            size = self.sizes.get(event.anchor)
            if size is not None:  # else PyYAML's own "undefined alias" error follows
                self._spend(size, event.start_mark, f"alias *{event.anchor} ({size} values)")
            return super().compose_node(parent, index)
        if self.depth >= MAX_DEPTH:
            raise _refuse(self.path, event.start_mark, f"values are nested more than {MAX_DEPTH} deep; "
                                                       "slo import reads no deeper")
        before = self.used
        self._spend(1, event.start_mark, None)
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
            self.open_anchors.discard(anchor)
        if anchor is not None:
            self.sizes[anchor] = self.used - before
        return node

    def compose_scalar_node(self, anchor):
        node = super().compose_scalar_node(anchor)
        found = UNWRITABLE.search(node.value)
        if found:  # YAML's "\0" and "\ud800" escapes make them; no .slo file (UTF-8 text without NUL) holds them
            what = "a NUL character" if found.group() == "\0" else f"\\u{ord(found.group()):04x}, half a UTF-16 surrogate pair"
            raise _refuse(self.path, node.start_mark, f"this value holds {what}, which is no character .slo text can hold")
        return node

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        first: dict[str, int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise _refuse(self.path, key.start_mark, "a key here is a list or a mapping; "
                                                         "slo import reads plain keys only")
            if key.tag != MERGE_TAG and key.value in first:
                raise _refuse(self.path, key.start_mark, f'duplicate key "{key.value}" (first at line {first[key.value]})')
            first.setdefault(key.value, key.start_mark.line + 1)
        # `<<: *defaults` (YAML's merge key, which Sloth's and Kubernetes' YAML readers
        # also honour): the merged pairs first, so the mapping's own keys win.
        self.flatten_mapping(node)
        return node

    def _spend(self, values: int, mark, alias: str | None) -> None:
        self.used += values
        self.budget.values -= values
        if self.budget.values < 0:
            what = f"{alias} takes the inputs past" if alias else "the inputs hold more than"
            raise _refuse(self.path, mark, f"{what} {MAX_VALUES} YAML values, the most slo import reads in one run "
                                           "(an alias expands to every value it stands for); "
                                           "import the files in smaller batches")


def _convert(node: yaml.Node, path: str, converted: dict[int, Node]) -> Node:
    # An alias is the same yaml node again: converted once, shared like in the input.
    done = converted.get(id(node))
    if done is not None:
        return done
    span = Span(path, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[str, Node] = {}
        keys: dict[str, Span] = {}
        for key, value in node.value:
            if value.tag == NULL_TAG:
                continue  # `name:` or `name: null` is no name, as in the Go and Kubernetes readers of these specs
            name = str(key.value)
            mapping[name] = _convert(value, path, converted)
            keys[name] = Span(path, key.start_mark.line + 1, key.start_mark.column + 1)
        result = Node(mapping, span, node.tag, keys)
    elif isinstance(node, yaml.SequenceNode):
        result = Node([_convert(item, path, converted) for item in node.value], span, node.tag)
    else:
        result = Node(str(node.value), span, node.tag)
    converted[id(node)] = result
    return result
