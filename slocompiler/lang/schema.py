"""The IR as JSON, validated against `schemas/ir.schema.json`; errors mapped back to spans."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from decimal import Decimal

from ..core import ir
from ..core.errors import Diagnostic, Span, did_you_mean

_RENAMED = {"for_": "for"}
_MAPPINGS = ("labels", "annotations", "kubernetes_labels", "no_data_labels", "no_data_annotations")


def to_json(node: object) -> object:
    """Plain JSON data for an IR node: Decimals as exact strings, spans left out."""
    if dataclasses.is_dataclass(node):
        data = {}
        for item in dataclasses.fields(node):
            if item.name in ("span", "fields"):
                continue
            value = getattr(node, item.name)
            key = _RENAMED.get(item.name, item.name)
            data[key] = dict(value) if item.name in _MAPPINGS else to_json(value)
        return data
    if isinstance(node, tuple):
        return [to_json(item) for item in node]
    if isinstance(node, Decimal):
        return format(node, "f")
    return node


@functools.cache
def ir_schema() -> dict:
    """The JSON Schema of the IR, as shipped in the package."""
    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas", "ir.schema.json"), encoding="utf-8") as file:
        return json.load(file)


def prepare() -> None:
    """Import jsonschema and build the validator now rather than at the first validation."""
    _validator()


@functools.cache
def _validator():
    from jsonschema import Draft202012Validator

    # The shipped schema names its parts in $defs; validating against a copy
    # with those references inlined skips a lookup at every node (40% faster).
    return Draft202012Validator(_inline(ir_schema(), ir_schema()["$defs"]))


def _inline(node: object, definitions: dict) -> object:
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return _inline(definitions[node["$ref"].removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


# One schema violation: (JSON path in the IR document, message, offending label name or None).
RawError = tuple[list, str, "str | None"]


def validate(program: ir.Program, find_errors=None) -> list[Diagnostic]:
    """Every schema violation in the IR, located at the spec text that caused it.

    `find_errors` validates the IR's JSON document; by default `raw_errors`, in
    this process (`schema_worker` offers one that runs in a child process).
    """
    data = to_json(program)
    return [Diagnostic(_locate(program, path, label), message)
            for path, message, label in (find_errors or raw_errors)(data)]


def raw_errors(data: object) -> list[RawError]:
    """Validate an IR document; plain data out, so it can cross a process boundary."""
    out = []
    for error in _validator().iter_errors(data):
        leaf = error
        while leaf.context:  # oneOf: report the branch that came closest
            leaf = max(leaf.context, key=lambda e: len(e.absolute_path))
        label = leaf.instance if "propertyNames" in leaf.absolute_schema_path else None
        out.append((list(leaf.absolute_path), _message(leaf), label))
    return out


def _locate(program: ir.Program, path: list, label: str | None) -> Span:
    """Walk the IR along the JSON path; the last node with a span, at the field if known."""
    node: object = program
    span = None
    for index, step in enumerate(path):
        if isinstance(step, str):
            value = getattr(node, _attribute(step))
            rest = path[index + 1 :]
            if step in _MAPPINGS:
                label = label if label is not None else (rest[0] if rest else "")
                return ir.at(node, f"{step}.{label}") if label else ir.at(node, step)
            if not _has_spans(value):
                return ir.at(node, step)
            node = value
        else:
            node = node[step]  # type: ignore[index]
        span = getattr(node, "span", span)
    return span or Span("<input>", 1, 1)


def _has_spans(value: object) -> bool:
    if isinstance(value, tuple):
        return bool(value) and dataclasses.is_dataclass(value[0])
    return dataclasses.is_dataclass(value)


def _attribute(key: str) -> str:
    return {"for": "for_"}.get(key, key)


def _message(error) -> str:
    template = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    field = next((str(p) for p in reversed(list(error.absolute_path)) if isinstance(p, str)), "value")
    if template:
        return template.format(value=error.instance, field=field)
    if error.validator == "enum":
        return f"{field} must be one of {', '.join(map(str, error.validator_value))}, not \"{error.instance}\"" + did_you_mean(
            str(error.instance), map(str, error.validator_value))
    return f"{field}: {error.message}"
