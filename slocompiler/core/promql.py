"""PromQL inside specs: placeholders, parsing, and errors located in the `.slo` file.

promql-parser reports errors without positions, so `locate` finds the place
the message speaks of; texts carry an index map back to the source string,
through template parameters and `$window`.
"""

from __future__ import annotations

import re

import promql_parser

# `$window1m` is not the placeholder: checking and output must agree on that.
WINDOW_PLACEHOLDER = re.compile(r"\$window\b")

_QUOTED = re.compile(r"'([^']+)'")
_AFTER_COLON = re.compile(r":\s*(\S+)\s*$")
_FUNCTION = re.compile(r"function (?:with name )?'([^']+)'")


def substitute(text: str, index_map: list[int] | None, pattern: re.Pattern, new: str) -> tuple[str, list[int] | None]:
    """Replace every match of `pattern` by `new`, keeping the map from each output char to the source."""
    matches = list(pattern.finditer(text))
    if not matches:
        return text, index_map
    source = index_map if index_map is not None else list(range(len(text)))
    out: list[str] = []
    mapping: list[int] = []
    start = 0
    for match in matches:
        out.append(text[start : match.start()])
        mapping.extend(source[start : match.start()])
        out.append(new)
        mapping.extend([source[match.start()]] * len(new))
        start = match.end()
    out.append(text[start:])
    mapping.extend(source[start:])
    return "".join(out), mapping


def parse(text: str) -> tuple[object | None, str | None]:
    """(expression, None), or (None, error message)."""
    try:
        return promql_parser.parse(text), None
    except Exception as error:  # the binding raises ValueError, but any failure is a spec error
        return None, str(error) or "invalid PromQL"


def is_plain_selector(expression: object) -> bool:
    """`metric{matchers}` with no range, offset or `@`: the compiler may wrap it in rate()."""
    return (
        isinstance(expression, promql_parser.VectorSelector)
        and expression.offset is None
        and expression.at is None
    )


def locate(text: str, message: str) -> int:
    """The offset in `text` that a promql-parser error message is about (0 if unknown)."""
    lowered = message.lower()
    if "unclosed left parenthesis" in lowered:
        return _unclosed(text, "(", ")")
    if "unexpected end of input" in lowered or "unexpected end" in lowered:
        return max(len(text.rstrip()) - 1, 0)
    for pattern in (_FUNCTION, _QUOTED):
        match = pattern.search(message)
        if match:
            found = text.find(match.group(1))
            if found >= 0:
                return found
    match = _AFTER_COLON.search(message)
    if match:
        found = text.find(match.group(1))
        if found >= 0:
            return found
    if "illegal regex" in lowered:
        fragment = message.split("for", 1)[-1].strip()
        found = text.find(fragment)
        if found >= 0:
            return found
    return 0


def _unclosed(text: str, open_char: str, close_char: str) -> int:
    stack: list[int] = []
    quote = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == open_char:
            stack.append(index)
        elif char == close_char and stack:
            stack.pop()
    return stack[-1] if stack else 0
