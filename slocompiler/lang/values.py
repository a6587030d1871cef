"""Reading the attributes of a block: allowed names, value kinds, template parameters.

Used by `lower.py`. A `Reader` checks one block's attributes against a table
(unknown names get a suggestion, repeats are errors) and resolves `$param`
and `${param}` against the template arguments in scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import Diagnostics, Span, did_you_mean
from ..core.promql import WINDOW_PLACEHOLDER, substitute
from ..core.units import format_duration_ms
from . import syntax as st

KIND_WORDS = {
    "string": "a string",
    "raw": "a string",
    "number": "a number",
    "percent": "a percentage (like 99.9%)",
    "duration": "a duration (like 30d)",
    "calendar": "a calendar period (like calendar month)",
    "bool": "true or false",
    "name": "a name",
    "list": "a list",
    "param": "a parameter",
}
STRING_KINDS = ("string", "raw")


@dataclass
class Scope:
    """Template parameters in force: None outside a template."""

    params: dict[str, st.Value] | None = None
    template: str | None = None


@dataclass(frozen=True)
class Text:
    """A string value after `${param}` and `$$`, with a map back to the source characters."""

    text: str
    index_map: list[int] | None
    origin: st.Value


def content_position(value: st.Value, index: int) -> Span:
    """Where character `index` of a string's content stands in the file (escapes aside)."""
    content = value.text[1:-1] if value.kind in STRING_KINDS else value.text
    before = content[:index]
    newlines = before.count("\n")
    if newlines:
        return Span(value.span.file, value.span.line + newlines, index - before.rfind("\n"))
    return Span(value.span.file, value.span.line, value.span.column + 1 + index)


def describe(value: st.Value) -> str:
    """How a value is named in a message: `a string`, `a duration`..."""
    return KIND_WORDS.get(value.kind, value.kind)


def value_as_text(value: st.Value) -> str:
    """The text a parameter stands for inside `${...}`."""
    if value.kind in STRING_KINDS:
        return str(value.value)
    if value.kind == "duration":
        return format_duration_ms(int(value.value))  # type: ignore[arg-type]
    if value.kind == "calendar":
        return f"calendar {value.value}"
    return value.text


class Reader:
    """The attributes of one block, checked against `allowed` ({name: kinds})."""

    def __init__(self, what: str, items: tuple, allowed: dict[str, tuple[str, ...]], scope: Scope, diags: Diagnostics):
        self.what = what
        self.scope = scope
        self.diags = diags
        self.allowed = allowed
        self.attributes: dict[str, st.Attribute] = {}
        for item in items:
            if not isinstance(item, st.Attribute):
                continue
            if item.name not in allowed:
                diags.error(item.span, f'unknown attribute "{item.name}" in {what}{did_you_mean(item.name, allowed)}',
                            hint="attributes here: " + ", ".join(sorted(allowed)))
            elif item.name in self.attributes:
                first = self.attributes[item.name].span
                diags.error(item.span, f'"{item.name}" is set twice in {what} (first at line {first.line})')
            else:
                self.attributes[item.name] = item

    def has(self, name: str) -> bool:
        return name in self.attributes

    def span(self, name: str, default: Span) -> Span:
        attribute = self.attributes.get(name)
        return attribute.value.span if attribute else default

    def fields(self) -> tuple[tuple[str, Span], ...]:
        """Where each attribute's value was written, for the IR's field spans."""
        return tuple((name, attribute.value.span) for name, attribute in self.attributes.items())

    def value(self, name: str) -> st.Value | None:
        """The value, parameters resolved and kind checked; None if absent or wrong."""
        attribute = self.attributes.get(name)
        if attribute is None:
            return None
        value = resolve(attribute.value, self.scope, self.diags)
        if value is None:
            return None
        if not value.ordered:
            return None  # already reported by the parser; guessing would add noise
        kinds = self.allowed[name]
        if value.kind not in kinds:
            words = sorted({KIND_WORDS[k] for k in kinds})
            self.diags.error(value.span, f'"{name}" must be {" or ".join(words)}, not {describe(value)}')
            return None
        return value

    def text(self, name: str) -> Text | None:
        """A string attribute, `${param}` and `$$` substituted."""
        value = self.value(name)
        if value is None:
            return None
        return expand(value, self.scope, self.diags)

    def string(self, name: str) -> str | None:
        text = self.text(name)
        return text.text if text else None


def resolve(value: st.Value, scope: Scope, diags: Diagnostics) -> st.Value | None:
    """`$param` -> the template argument's value (with the argument's own span)."""
    if value.kind != "param":
        return value
    name = str(value.value)
    if scope.params is None:
        diags.error(value.span, f"${name} is a template parameter, and this is not inside a template")
        return None
    if name not in scope.params:
        diags.error(value.span, f'unknown parameter "${name}" in template {scope.template}{did_you_mean(name, scope.params)}')
        return None
    return scope.params[name]


def expand(value: st.Value, scope: Scope, diags: Diagnostics) -> Text:
    """Substitute `${param}` and `$$` in a string value."""
    text = str(value.value)
    if "$" not in text:
        return Text(text, None, value)
    out: list[str] = []
    mapping: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("$$", index):
            out.append("$")
            mapping.append(index)
            index += 2
        elif text.startswith("${", index) and (close := text.find("}", index)) > 0:
            name = text[index + 2 : close]
            replacement = _param_text(name, value, index, scope, diags)
            out.append(replacement)
            mapping.extend([index] * len(replacement))
            index = close + 1
        else:
            out.append(char)
            mapping.append(index)
            index += 1
    return Text("".join(out), mapping, value)


def _param_text(name: str, value: st.Value, index: int, scope: Scope, diags: Diagnostics) -> str:
    span = content_position(value, index)
    if scope.params is None:
        diags.error(span, f"${{{name}}} is a template parameter, and this is not inside a template",
                    hint="write $$ for a literal $")
        return "${" + name + "}"
    if name not in scope.params:
        diags.error(span, f'unknown parameter "${{{name}}}" in template {scope.template}{did_you_mean(name, scope.params)}')
        return "${" + name + "}"
    return value_as_text(scope.params[name])


def with_window(text: Text, window: str) -> tuple[str, list[int] | None]:
    """The text with `$window` replaced, and its map to source characters."""
    return substitute(text.text, text.index_map, WINDOW_PLACEHOLDER, window)


def lower_labels(items: tuple, scope: Scope, diags: Diagnostics, kind: str = "labels") -> tuple[dict[str, str], tuple]:
    """The `labels {}` (or `annotations {}`) pairs of a block, and where each was set."""
    pairs: dict[str, str] = {}
    fields = []
    for block in items:
        if not (isinstance(block, st.Block) and block.kind == kind):
            continue
        for pair in block.items:
            if not isinstance(pair, st.Attribute):
                continue
            value = resolve(pair.value, scope, diags)
            if value is None:
                continue
            if value.kind not in STRING_KINDS:
                diags.error(value.span, f'{kind[:-1]} "{pair.name}" must be a string, not {value.kind}')
                continue
            if pair.name in pairs:
                diags.error(pair.span, f'{kind[:-1]} "{pair.name}" is set twice')
                continue
            pairs[pair.name] = expand(value, scope, diags).text
            fields.append((f"{kind}.{pair.name}", pair.span))
    return pairs, tuple(fields)


def unknown_block(block: st.Block, what: str, allowed: tuple[str, ...], diags: Diagnostics) -> None:
    word = block.name if block.kind == "stray" else block.word if block.kind == "named" else block.kind
    diags.error(block.span, f'unknown block "{word}" in {what}{did_you_mean(word or "", allowed)}',
                hint="blocks here: " + ", ".join(allowed))
