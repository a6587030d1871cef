"""Pass 1: `.slo` text to a syntax tree (`syntax.py`), with positions.

The LALR parser is built once per process and cached on disk by Lark. The
transformer runs inline, at each reduction, so 5,000 nested lists cost no
recursion. Lark's exceptions are translated here: a user never sees a
terminal name.
"""

from __future__ import annotations

import functools
import os
import re
from decimal import Decimal
from dataclasses import replace

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..core.errors import Diagnostic, Span, did_you_mean
from ..core.units import DurationTooLarge, format_duration_ms, parse_duration_ms
from . import syntax as st

# What each terminal is called in an error message.
TERMINAL_WORDS = {
    "IDENT": "a name",
    "STRING": 'a string ("...")',
    "RAW": "a PromQL string (`...`)",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DURATION": "a duration",
    "PARAM": "a parameter ($name)",
    "OP": "a comparison (< <= > >=)",
    "CALENDAR": "calendar",
    "IMPORT": "import",
    "SERVICE": "service",
    "SLO": "slo",
    "INDICATOR": "indicator",
    "POLICY": "policy",
    "TEMPLATE": "template",
    "PAGE": "page",
    "TICKET": "ticket",
    "ALERTING": "alerting",
    "LABELS": "labels",
    "ANNOTATIONS": "annotations",
    "WHEN": "when",
    "OVER": "over",
    "TRUE": "true",
    "FALSE": "false",
    "LBRACE": '"{"',
    "RBRACE": '"}"',
    "LPAR": '"("',
    "RPAR": '")"',
    "LSQB": '"["',
    "RSQB": '"]"',
    "COMMA": '","',
    "EQUAL": '"="',
    "$END": "the end of the file",
}
# The keywords' terminals: IMPORT for `import`... (the grammar names each one).
KEYWORD_TERMINALS = frozenset(word.upper() for word in st.KEYWORDS)
# The keywords that open a block or an import, for a misspelt one (`servce shop {`).
_OPENING_KEYWORDS = ("import", "service", "slo", "indicator", "alerting", "policy", "template")
_LAST_WORD = re.compile(r"(?<![A-Za-z0-9_$-])[A-Za-z_][A-Za-z0-9_-]*$")  # a whole word, not the end of 300ms
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def grammar_text() -> str:
    """The grammar, `grammar/slo.lark` in the source tree, shipped as the package `slocompiler.grammar`."""
    # Not importlib.resources: it costs 10 ms of start-up for one file read.
    try:
        from .. import grammar
    except ImportError:  # a source tree on sys.path ahead of the installed package
        raise RuntimeError("the grammar is not installed: run the installed `slo` (pip install .), "
                           "not a source tree") from None
    with open(os.path.join(os.path.dirname(grammar.__file__), "slo.lark"), encoding="utf-8") as file:
        return file.read()


class _ToSyntax(Transformer):
    """Reductions to syntax nodes: positions in, nodes out, nothing clever."""

    def __init__(self) -> None:
        super().__init__()
        self.file = "<input>"
        self.problems: list[Diagnostic] = []

    def _span(self, token: Token) -> Span:
        return Span(self.file, token.line, token.column)

    # --- values ---
    def string(self, children):
        (token,) = children
        return st.Value("string", self._unescape(token), str(token), self._span(token))

    def raw(self, children):
        (token,) = children
        return st.Value("raw", str(token)[1:-1], str(token), self._span(token))

    def number(self, children):
        (token,) = children
        return st.Value("number", Decimal(str(token)), str(token), self._span(token))

    def percent(self, children):
        (token,) = children
        return st.Value("percent", Decimal(str(token)[:-1]), str(token), self._span(token))

    def duration(self, children):
        (token,) = children
        try:
            ms, ordered = parse_duration_ms(str(token))
        except DurationTooLarge as error:
            # No stand-in value would be honest (0s, or a made-up maximum, would draw
            # more errors about a window nobody wrote): the file stops here.
            raise StopFile(Diagnostic(self._span(token), f"duration is too large: {error}")) from None
        if not ordered:
            self.problems.append(Diagnostic(self._span(token), f"the units of a duration go largest first: "
                                            f"write {format_duration_ms(ms)}, not {token}"))
        return st.Value("duration", ms, str(token), self._span(token), ordered)

    def true(self, children):
        return st.Value("bool", True, "true", self._span(children[0]))

    def false(self, children):
        return st.Value("bool", False, "false", self._span(children[0]))

    def name(self, children):
        (token,) = children
        return st.Value("name", str(token), str(token), self._span(token))

    def param_ref(self, children):
        (token,) = children
        return st.Value("param", str(token)[1:], str(token), self._span(token))

    def calendar(self, children):
        """`calendar month`: the period word; `text` as written, one line, so a message can point at the period."""
        keyword, period = children
        text = f"{keyword}{' ' * (period.column - keyword.column - len(keyword))}{period}"
        word = str(period)
        if period.type == "DURATION":  # `calendar 90m`: an error later; in canonical text, as `slo fmt` writes it
            try:
                ms, ordered = parse_duration_ms(word)
                word = format_duration_ms(ms) if ordered else word
            except DurationTooLarge:
                pass
        return st.Value("calendar", word, text, self._span(keyword))

    def list_(self, children):
        bracket, *rest = children
        items = tuple(child for child in rest if child is not None)
        span = self._span(bracket)
        flat = []
        for item in items:
            if item.kind == "list":
                # Lists of lists mean nothing in the language; flattening here
                # keeps deeply nested input from costing recursion later.
                self.problems.append(Diagnostic(item.span, "lists cannot be nested"))
                continue
            flat.append(item)
        return st.Value("list", tuple(flat), "[...]", span)

    def _unescape(self, token: Token) -> str:
        body = str(token)[1:-1]

        def replace(match: re.Match) -> str:
            escape = match.group(1)
            if escape in _ESCAPES:
                return _ESCAPES[escape]
            column = token.column + 1 + match.start()
            if escape.startswith("u") and len(escape) == 5 and 0xD800 <= int(escape[1:], 16) <= 0xDFFF:
                # Half of a UTF-16 pair is no character: no output format could hold it.
                self.problems.append(Diagnostic(Span(self.file, token.line, column),
                                                f"\\{escape} is a UTF-16 surrogate, not a character; write the character itself"))
                return "\ufffd"
            if escape.startswith("u") and len(escape) == 5 and escape != "u0000":
                return chr(int(escape[1:], 16))
            self.problems.append(
                Diagnostic(
                    Span(self.file, token.line, column),
                    f"unknown escape \\{escape} in a string; the escapes are \\\" \\\\ \\n \\t \\uXXXX (not \\u0000)",
                )
            )
            return escape

        return _ESCAPE.sub(replace, body)

    # --- structure ---
    def start(self, children):
        return tuple(children)

    def import_(self, children):
        (token,) = children
        return st.Import(self._unescape(token), self._span(token))

    def attribute(self, children):
        name, value = children
        return st.Attribute(str(name), value, self._span(name))

    def label_pair(self, children):
        name, value = children
        # A quoted name ("app.kubernetes.io/name") is the name it spells, as a string value is.
        text = self._unescape(name) if name.type == "STRING" else str(name)
        return st.Attribute(text, value, self._span(name))

    arg = attribute

    def param(self, children):
        name, default = children
        return st.Param(str(name), default, self._span(name))

    def _block(self, kind, name_token, items, keyword_token=None):
        span = self._span(keyword_token or name_token)
        return st.Block(kind, str(name_token) if name_token is not None else None, tuple(items), span,
                        self._span(name_token) if name_token is not None else None)

    def service(self, children):
        return self._block("service", children[0], children[1:])

    def slo(self, children):
        return self._block("slo", children[0], children[1:])

    def slo_call(self, children):
        name, template, *args = children
        return st.SloCall(str(name), str(template), tuple(a for a in args if a is not None),
                          self._span(name), self._span(template))

    def indicator(self, children):
        return self._block("indicator", children[0], children[1:])

    def alerting(self, children):
        return self._block("alerting", None, children[1:], children[0])

    def alerting_def(self, children):
        return self._block("alerting", children[1], children[2:], children[0])

    def condition(self, children):
        keyword = children[0]
        return self._block(str(keyword), None, children[1:], keyword)

    def labels(self, children):
        return self._block("labels", None, children[1:], children[0])

    def annotations(self, children):
        return self._block("annotations", None, children[1:], children[0])

    def stray_block(self, children):
        return self._block("stray", children[0], children[1:])

    def named_block(self, children):
        word, name, *items = children
        hint = did_you_mean(str(word), _OPENING_KEYWORDS) if str(word) not in st.NAMED_BLOCK_WORDS else ""
        if hint:  # `sloo api {`: a misspelt keyword, not a block the lowering should name
            raise StopFile(Diagnostic(self._span(word), f'unknown keyword "{word}"{hint}'))
        block = self._block("named", name, items, word)
        return replace(block, word=str(word))

    def policy(self, children):
        return self._block("policy", children[0], children[1:])

    def rule(self, children):
        when, metric, op, value, _over_keyword, over, *items = children
        over_value = self.duration([over]) if over is not None else None
        return st.Rule(str(metric), str(op), value, over_value, tuple(items), self._span(when),
                       self._span(metric), self._span(op))

    def template(self, children):
        name, *rest = children
        params = tuple(p for p in rest if isinstance(p, st.Param))
        items = tuple(i for i in rest if i is not None and not isinstance(i, st.Param))
        return st.Template(str(name), params, items, self._span(name))


@functools.cache
def _parser() -> tuple[Lark, _ToSyntax]:
    transformer = _ToSyntax()
    parser = Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        transformer=transformer,
        maybe_placeholders=True,
        cache=True,
    )
    return parser, transformer


class StopFile(Exception):
    """A problem after which nothing else in the file could be read sensibly, like a syntax error."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def parse(text: str, path: str) -> tuple[st.SourceFile | None, list[Diagnostic]]:
    """Parse one file. A syntax error stops that file: (None, [the error])."""
    parser, transformer = _parser()
    transformer.file = path
    transformer.problems = []
    try:
        items = parser.parse(text)
    except UnexpectedInput as error:
        return None, [_syntax_error(error, text, path, parser)]
    except StopFile as stop:
        return None, [stop.diagnostic]
    except VisitError as error:  # a transformer slip is still a located error
        if isinstance(error.orig_exc, StopFile):
            return None, [error.orig_exc.diagnostic]
        return None, [Diagnostic(Span(path, 1, 1), f"cannot read this file: {error.orig_exc}")]
    problems = list(transformer.problems)
    if not items:
        problems.append(Diagnostic(Span(path, 1, 1), "file is empty: a .slo file defines services, templates or policies"))
    return st.SourceFile(path, items), problems


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    text = str(token)
    if len(text) > 30:
        text = text[:27] + "..."
    if token.type == "STRING":
        return f"string {text}"
    return f'"{text}"'


def _expected_words(expected) -> str:
    expected = set(expected)
    if KEYWORD_TERMINALS <= expected:  # where a label name goes, every keyword is one: not worth listing
        expected -= KEYWORD_TERMINALS
    words = sorted({TERMINAL_WORDS.get(name, f'"{name.lower()}"') for name in expected if not name.startswith("__ANON")})
    if not words:
        return ""
    if len(words) > 6:
        return ""
    return "; expected " + (words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1])


def _syntax_error(error: UnexpectedInput, text: str, path: str, parser: Lark) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        span = Span(path, error.line, error.column)
        if char == '"':
            return Diagnostic(span, "string is not closed before the end of the line")
        if char == "`":
            return Diagnostic(span, "PromQL string (`...`) is not closed")
        if char == "-" and text[error.pos_in_stream + 1:error.pos_in_stream + 2].isdigit():
            return Diagnostic(span, "a negative number is never valid here: numbers in .slo files are 0 or more")
        if char.isdigit():
            return Diagnostic(span, "malformed number, percentage or duration; durations are like 300ms, 5m, 1h30m, 30d")
        return Diagnostic(span, f"unexpected character {char!r}")
    if isinstance(error, (UnexpectedToken, UnexpectedEOF)):
        token = getattr(error, "token", None)
        if token is None or token.type == "$END":
            return _unclosed(text, path, parser)
        span = Span(path, token.line, token.column)
        misspelt = _misspelt_keyword(token, text, path)
        if misspelt is not None:
            return misspelt
        expected = _expected_words(getattr(error, "expected", ()) or getattr(error, "accepts", ()))
        if token.type != "IDENT" and str(token).isalpha():
            return Diagnostic(span, f'unexpected keyword "{token}"{expected}')
        return Diagnostic(span, f"unexpected {_describe(token)}{expected}")
    return Diagnostic(Span(path, getattr(error, "line", 1) or 1, getattr(error, "column", 1) or 1), "syntax error")


def _misspelt_keyword(token: Token, text: str, path: str) -> Diagnostic | None:
    """`servce shop {`: a name, then another name or a string where "{" or "=" was due, so the
    first word was meant as a keyword; said at that word, with the nearest keyword."""
    if token.type not in ("IDENT", "STRING") or token.start_pos is None:
        return None
    before = text[:token.start_pos].rstrip(" \t\r\n\f")
    match = _LAST_WORD.search(before, max(0, len(before) - 64))
    if match is None or match.group() in st.KEYWORDS:
        return None
    word = match.group()
    hint = did_you_mean(word, _OPENING_KEYWORDS)
    if not hint:
        return None
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return Diagnostic(Span(path, line, column), f'unknown keyword "{word}"{hint}')


def _unclosed(text: str, path: str, parser: Lark) -> Diagnostic:
    """At the end of the file: name the block that is still open."""
    stack: list[tuple[Token, str]] = []
    previous: list[Token] = []
    try:
        for token in parser.lex(text):
            if token == "{":
                # The block's words: those before "{" on its own line (`slo api`, `alerting`).
                words = [str(t) for t in previous[-2:] if t.line == token.line]
                stack.append((token, " ".join(words)))
            elif token == "}" and stack:
                stack.pop()
            previous.append(token)
            previous = previous[-3:]
    except UnexpectedInput:
        pass
    # Point just after the last token: the end of the file may be comments.
    end = Span(path, previous[-1].end_line, previous[-1].end_column) if previous else Span(path, 1, 1)
    if stack:
        token, opener = stack[-1]
        block = f"{opener} {{" if opener else "{"
        return Diagnostic(end, f'unexpected end of file: the block "{block}" opened at line {token.line} is not closed')
    return Diagnostic(end, "unexpected end of file")
