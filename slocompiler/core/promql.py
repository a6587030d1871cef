"""PromQL inside specs: placeholders, parsing, and errors located in the `.slo` file.

Every PromQL text reaches promql-parser through `parse`, which first bounds
its size (`limit_error`). promql-parser reports errors without positions, so
`locate` finds the place the message speaks of; texts carry an index map
back to the source string, through template parameters and `$window`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

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


# promql-parser's memory and time grow with the square of an expression's
# depth: 20 KB of nested parentheses, or 10,000 `+` terms, take it gigabytes
# and then a crash. Texts beyond these bounds never reach it. The largest SLO
# queries seen have a few dozen operators and a nesting of about ten; at
# these bounds it needs some 20 MB and a few milliseconds (docs/LANGUAGE.md).
MAX_LENGTH = 65536  # characters
MAX_NESTING = 64  # brackets ( [ { open at once
MAX_OPERATORS = 256  # operator characters and keywords, outside strings, comments and {}

_OPERATOR_CHARS = frozenset("+-*/%^=!<>")
_OPERATOR_WORDS = frozenset(("and", "or", "unless", "atan2"))
_OPENING = {"(": ")", "[": "]", "{": "}"}
_LINE_BREAK = re.compile("[\r\n]")  # where a `#` comment ends, for Prometheus and promql-parser alike


class ParseError(NamedTuple):
    """Why a PromQL text was refused, and the offset in it that the message is about."""

    message: str
    offset: int
    # True when the text is beyond the bounds above (it may be valid PromQL all the same).
    too_large: bool = False


def parse(text: str) -> tuple[object | None, ParseError | None]:
    """(expression, None), or (None, the error): texts beyond the bounds are refused unparsed."""
    error = limit_error(text)
    if error is not None:
        return None, error
    try:
        expression = promql_parser.parse(text)
    except Exception as error:  # the binding raises ValueError, but any failure is a spec error
        message = str(error) or "invalid PromQL"
        return None, ParseError(message, locate(text, message))
    offset = duration_as_number(text)
    if offset is not None:
        return None, ParseError("a duration stands where a number goes, which Prometheus 2 refuses; "
                                "a duration belongs in a range [...] or after offset", offset)
    return expression, None


# promql-parser reads `5m` outside a range as the number 300, as Prometheus 3
# does; Prometheus 2, which the rules must also load in, refuses it.
_DURATION = re.compile(r"(?<![\w.])\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*(?![\w.])")
_OFFSET_BEFORE = re.compile(r"\boffset\s*-?\s*$", re.IGNORECASE)


def duration_as_number(text: str) -> int | None:
    """The offset of the first duration outside `[...]` and not after `offset`, if any."""
    masked = _masked(text)
    for found in _DURATION.finditer(masked):
        if not _OFFSET_BEFORE.search(masked, 0, found.start()):
            return found.start()
    return None


def _masked(text: str) -> str:
    """`text` with strings, comments and the insides of `[...]` blanked, offsets kept."""
    out = list(text)
    index = depth = 0
    while index < len(text):
        char, start = text[index], index
        index += 1
        if char in "\"'`":
            index = _string_end(text, start)
        elif char == "#":
            index = _comment_end(text, start)
        elif char == "[":
            depth += 1
            continue
        elif char == "]" and depth:
            depth -= 1
            continue
        elif not depth:
            continue
        out[start:index] = " " * (index - start)
    return "".join(out)


def limit_error(text: str) -> ParseError | None:
    """Whether `text` is beyond MAX_LENGTH, MAX_NESTING or MAX_OPERATORS, in one linear pass.

    Strings and comments are skipped as PromQL reads them, and so are the
    matchers inside `{}`, whose `=` and `!=` are no operators. The message
    completes "the PromQL in <attribute> ...".
    """
    if len(text) > MAX_LENGTH:
        return ParseError(f"is longer than {MAX_LENGTH} characters, the most the compiler reads", MAX_LENGTH, True)
    closing: list[str] = []
    operators = braces = index = 0
    while index < len(text):
        char, start = text[index], index
        index += 1
        if char in "\"'`":
            index = _string_end(text, start)
        elif char == "#":
            index = _comment_end(text, start)
        elif char in _OPENING:
            closing.append(_OPENING[char])
            braces += char == "{"
            if len(closing) > MAX_NESTING:
                return ParseError(f"nests brackets more than {MAX_NESTING} deep, the most the compiler reads",
                                  start, True)
        elif closing and char == closing[-1]:
            braces -= closing.pop() == "}"
        elif braces:
            continue
        elif char in _OPERATOR_CHARS:
            operators += 1
        elif char.isalpha() or char == "_":
            while index < len(text) and (text[index].isalnum() or text[index] in "_:"):
                index += 1
            operators += text[start:index].lower() in _OPERATOR_WORDS
        if operators > MAX_OPERATORS:
            return ParseError(f"has more than {MAX_OPERATORS} operators, the most the compiler reads", start, True)
    return None


def _string_end(text: str, start: int) -> int:
    """The offset after the string literal opening at `start` (the end of text if it is unclosed).

    `"` and `'` strings take backslash escapes; a backtick string takes none.
    """
    quote = text[start]
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and quote != "`":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    return len(text)


def _comment_end(text: str, start: int) -> int:
    """The offset of the line break that ends the comment opening at `start` (or the end of text)."""
    found = _LINE_BREAK.search(text, start)
    return found.start() if found else len(text)


def strip_comments(text: str) -> str:
    """`text` without its `#` comments (and the blanks before each), line breaks kept.

    The compiler splices a query into longer expressions (matchers added,
    `rate(...[5m])` around it), where a comment would swallow what follows it
    on its line; a `#` inside a string literal is no comment.
    """
    if "#" not in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "\"'`":
            end = _string_end(text, index)
            out.append(text[index:end])
            index = end
        elif char == "#":
            while out and out[-1] in " \t":
                out.pop()
            index = _comment_end(text, index)
        else:
            out.append(char)
            index += 1
    return "".join(out)


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
