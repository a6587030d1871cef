"""The canonical layout of a `.slo` file: a lossless parse tree, with comments, to text.

`command.py` holds the command; this module holds the rules, which
docs/FORMAT.md states for people. The tree comes from a Lark parser of its
own, built from the same grammar file as `lang/parse.py` but keeping every token
(braces, commas) and collecting the comments the grammar ignores.
"""

from __future__ import annotations

import functools

from lark import Lark, Token, Tree

from ..core.units import format_duration_ms, parse_duration_ms
from ..lang.parse import grammar_text
from .lines import INDENT, Line, Source, join

MAX_ONE_LINE = 100  # a block written on one line stays so if it fits in this many columns
# Runs of one-line blocks of these kinds are laid out as a table: `page`/`ticket` conditions, maintenance windows.
TABLE_KINDS = ("condition", "named_block")
OPENERS = ("(", "[")
CLOSERS = (")", "]", ",")


@functools.cache
def _lossless_parser() -> tuple[Lark, list[Token]]:
    """Built once; the comment list is refilled on each parse."""
    comments: list[Token] = []
    grammar = grammar_text()
    parser = Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        keep_all_tokens=True,
        maybe_placeholders=False,
        lexer_callbacks={"COMMENT": comments.append},
    )
    return parser, comments


def canonical_decimal(text: str) -> str:
    """`099.90` -> `99.9`, `1.0` -> `1`: the same exact value, shortest text."""
    whole, _, fraction = text.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def canonical_duration(text: str) -> str:
    """`90m` -> `1h30m`, `4w` -> `28d`; a duration with units out of order is left for the checker."""
    ms, ordered = parse_duration_ms(text)
    return format_duration_ms(ms) if ordered else text


def layout(text: str) -> str:
    """Text that `parse.parse` accepts, in canonical layout (LF line ends)."""
    parser, comment_tokens = _lossless_parser()
    comment_tokens.clear()
    tree = parser.parse(text)
    source = Source(text, list(comment_tokens), _tokens(tree))
    comment_tokens.clear()
    printer = _Printer(source)
    printer.items(tree.children, 0, "start")
    return join(printer.lines, source)


def comments(text: str) -> list[str]:
    """The comments of a file, in order: what formatting must keep."""
    parser, comment_tokens = _lossless_parser()
    comment_tokens.clear()
    parser.parse(text)
    found = [str(token).rstrip() for token in comment_tokens]
    comment_tokens.clear()
    return found


def _tokens(node) -> list[Token]:
    if isinstance(node, Token):
        return [node]
    return [token for token in node.scan_values(lambda v: isinstance(v, Token))]


def _first(node) -> Token:
    while isinstance(node, Tree):  # every tree holds a token: all tokens are kept
        node = node.children[0]
    return node


def _header_text(node) -> str:
    """A block's words before its `{` (`page`, `maintenance weekly`), as one line writes them."""
    children = node.children
    return " ".join(str(c) for c in children[: next(i for i, c in enumerate(children) if _kind(c) == "LBRACE")])


def _block_items(node) -> list:
    children = node.children
    return children[next(i for i, c in enumerate(children) if _kind(c) == "LBRACE") + 1 : -1]


def _shared_columns(rows: list[list]) -> int:
    """How many leading cells name the same attribute in every row."""
    names = [[str(cell.children[0]) if isinstance(cell, Tree) else None for cell in row] for row in rows]
    shared = 0
    while all(len(row) > shared for row in names) and len({row[shared] for row in names}) == 1:
        shared += 1
    return shared


def _kind(node) -> str:
    return node.data if isinstance(node, Tree) else node.type


class _Printer:
    """Walks the tree once, producing `Line`s."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.lines: list[Line] = []
        self.current: Line | None = None
        self.verbatim_numbers = 0  # >0 inside template arguments and parameter defaults

    # --- building lines ---
    def _open(self, indent: int, start: int, role: str, blank: bool = False) -> None:
        self.current = Line(indent, start, role, blank)
        self.lines.append(self.current)

    def _put(self, token: Token, text: str | None = None) -> None:
        text = self._token_text(token) if text is None else text
        line = self.current
        assert line is not None
        if text == "}" and line.parts and line.parts[-1] == "{":
            line.parts[-1] = "{}"  # an empty block on one line
            return
        if line.parts:
            before = line.parts[-1]
            if not (before.endswith(OPENERS) or text in CLOSERS or text == "("):
                line.parts.append(" ")
        line.parts.append(text)

    def _token_text(self, token: Token) -> str:
        if token.type == "DURATION":
            return canonical_duration(str(token))
        if token.type in ("PERCENT", "NUMBER") and not self.verbatim_numbers:
            # Template arguments are substituted into `${...}` as written, so
            # their numbers keep their text there.
            suffix = "%" if token.type == "PERCENT" else ""
            return canonical_decimal(str(token).rstrip("%")) + suffix
        return str(token)

    def _node(self, node, indent: int) -> None:
        """Put a token or an inline construct (value, list, argument list) on the current line."""
        if isinstance(node, Token):
            self._put(node)
            return
        kind = node.data
        if kind in ("arg", "param"):
            name, *rest = node.children
            self._put(name)
            self.verbatim_numbers += 1
            for child in rest:
                self._node(child, indent)
            self.verbatim_numbers -= 1
        elif kind == "list_":
            self._sequence(node.children, indent)
        else:
            for child in node.children:
                self._node(child, indent)

    def _sequence(self, children: list, indent: int) -> None:
        """`(a, b)` or `[a, b]`: on one line, or one element a line when written so or holding comments."""
        opener, closer = children[0], children[-1]
        elements = [c for c in children[1:-1] if not (isinstance(c, Token) and c == ",")]
        exploded = elements and (
            not self.source.same_line(opener, closer) or self.source.has_comment(opener.start_pos, closer.start_pos)
        )
        self._put(opener)
        if not exploded:
            for index, element in enumerate(elements):
                if index:
                    self._put(Token("COMMA", ","))
                self._node(element, indent)
            self._put(closer)
            return
        for element in elements:
            self._open(indent + 1, _first(element).start_pos, "inner")
            self._node(element, indent + 1)
            self._put(Token("COMMA", ","))
        self._open(indent, closer.start_pos, "close")
        self._put(closer)

    def _header(self, children: list, indent: int) -> None:
        """Everything before a block's `{`, or a whole `slo x = t(...)` line."""
        index = 0
        while index < len(children):
            child = children[index]
            if isinstance(child, Token) and child == "(":
                close = next(i for i in range(index, len(children)) if isinstance(children[i], Token) and children[i] == ")")
                self._sequence(children[index : close + 1], indent)
                index = close + 1
                continue
            self._node(child, indent)
            index += 1

    # --- blocks ---
    def _is_block(self, node) -> bool:
        return isinstance(node, Tree) and any(isinstance(c, Token) and c == "{" for c in node.children)

    def _flat(self, node) -> bool:
        """A block holding only attributes and blocks like itself: one that may sit on one line."""
        items = node.children[[_kind(c) for c in node.children].index("LBRACE") + 1 : -1]
        return all(_kind(item) in ("attribute", "label_pair") or (self._is_block(item) and self._flat(item)) for item in items)

    def _one_line(self, node, indent: int) -> str | None:
        """The block as one line, if it is not top-level, the author wrote it on one line, it holds
        no comment, and it fits in MAX_ONE_LINE columns."""
        children = node.children
        brace = next(i for i, c in enumerate(children) if isinstance(c, Token) and c == "{")
        opener, closer = children[brace], children[-1]
        items = children[brace + 1 : -1]
        if indent == 0 or not self.source.same_line(opener, closer):
            return None  # top-level items always open up
        if self.source.has_comment(opener.start_pos, closer.end_pos):
            return None
        if not self._flat(node):
            return None
        saved = self.lines, self.current
        self.lines = []
        self._open(indent, 0, "item")
        self._header(children[:brace], indent)
        text = self._cells_line(items, [], opener, closer)
        self.lines, self.current = saved
        return text if len(INDENT * indent) + len(text) <= MAX_ONE_LINE else None

    def _cells_line(self, items: list, widths: list[int], opener: Token, closer: Token, pad_header: int = 0) -> str:
        """Fill the current line with `{ a = 1 b = 2 }`, padding cells to `widths` (a table)."""
        line = self.current
        assert line is not None
        if pad_header:
            line.parts.append(" " * pad_header)
        self._put(opener)
        for index, item in enumerate(items):
            before = len("".join(line.parts))
            self._node(item, line.indent)
            width = len("".join(line.parts)) - before - 1
            if index + 1 < len(items) and index < len(widths) and width < widths[index]:
                line.parts.append(" " * (widths[index] - width))
        self._put(closer)
        return "".join(line.parts)

    def _block(self, node, indent: int, blank: bool, table: tuple[int, list[int]] | None = None) -> None:
        children = node.children
        brace = next(i for i, c in enumerate(children) if isinstance(c, Token) and c == "{")
        opener, closer = children[brace], children[-1]
        items = children[brace + 1 : -1]
        self._open(indent, _first(node).start_pos, "item", blank)
        self._header(children[:brace], indent)
        if not items and not self.source.has_comment(opener.start_pos, closer.start_pos):
            self._put(opener, "{}")  # an empty block is `name {}`
            return
        if table is not None or self._one_line(node, indent) is not None:
            header_width, widths = table if table is not None else (0, [])
            pad = header_width - len("".join(self.current.parts)) if header_width else 0
            self._cells_line(items, widths, opener, closer, max(pad, 0))
            return
        self._put(opener)
        self.items(items, indent + 1, _kind(node))
        self._open(indent, closer.start_pos, "close")
        self._put(closer)

    def _item_blank(self, parent: str, previous, item) -> bool:
        """Blank lines: one between top-level items and around SLOs in a service; else as written (at most one)."""
        if previous is None:
            return False
        kinds = (_kind(previous), _kind(item))
        if parent == "start" and kinds != ("import_", "import_"):
            return True
        if parent == "service" and kinds != ("slo_call", "slo_call") and ({"slo", "slo_call"} & set(kinds)):
            return True
        return self.source.group_blank[_first(item).start_pos]

    def items(self, items: list, indent: int, parent: str) -> None:
        """The items of a block (or of the file, parent `start`), one or more lines each."""
        previous = None
        index = 0
        while index < len(items):
            # A run: consecutive attributes or SLO calls (aligned `=`), or one-line blocks of one kind (a table):
            # page/ticket conditions, maintenance windows, composite members.
            run = [items[index]]
            kind = _kind(items[index])
            table = kind in TABLE_KINDS or (kind == "stray_block" and parent == "stray_block")
            while index + len(run) < len(items):
                following = items[index + len(run)]
                if self._item_blank(parent, run[-1], following) or _kind(following) != kind:
                    break
                if table and not self._tabular(following, indent, run[0]):
                    break
                run.append(following)
            if table and not self._tabular(run[0], indent, None):
                run = run[:1]
            blank = self._item_blank(parent, previous, run[0])
            self._run(run, "table" if table else kind, indent, blank)
            previous = run[-1]
            index += len(run)

    def _tabular(self, node, indent: int, first) -> bool:
        return self._one_line(node, indent) is not None and (first is None or self._one_line(first, indent) is not None)

    def _run(self, run: list, kind: str, indent: int, blank: bool) -> None:
        if kind in ("attribute", "label_pair"):
            width = max(len(str(item.children[0])) for item in run)
            for number, item in enumerate(run):
                name, *rest = item.children
                self._open(indent, name.start_pos, "item", blank and number == 0)
                self._put(name, str(name).ljust(width))
                for child in rest:
                    self._node(child, indent)
            return
        if kind == "table" and len(run) > 1:
            header = max(len(_header_text(item)) for item in run)
            cells: list[int] = []
            for item in run:
                for position, attribute in enumerate(_block_items(item)):
                    width = len(self._inline(attribute, indent))
                    if position == len(cells):
                        cells.append(width)
                    else:
                        cells[position] = max(cells[position], width)
            if _kind(run[0]) != "condition":
                # Columns only as far as every row has the same attribute there: a one-off window
                # (`from`) padded to a recurring one's `every` would line up unlike things.
                cells = cells[: _shared_columns([_block_items(item) for item in run])]
            for number, item in enumerate(run):
                self._block(item, indent, blank and number == 0, (header, cells))
            return
        if kind == "slo_call":
            width = max(len(str(item.children[1])) for item in run)
            for number, item in enumerate(run):
                keyword, name, *rest = item.children
                self._open(indent, keyword.start_pos, "item", blank and number == 0)
                self._put(keyword)
                self._put(name, str(name).ljust(width))
                self._header(rest, indent)
            return
        for number, item in enumerate(run):
            if self._is_block(item):
                self._block(item, indent, blank and number == 0)
            else:  # an import
                self._open(indent, _first(item).start_pos, "item", blank and number == 0)
                self._header(item.children, indent)

    def _inline(self, node, indent: int) -> str:
        """The text of a small construct on its own, for measuring."""
        saved = self.lines, self.current
        self.lines = []
        self._open(indent, 0, "item")
        self._node(node, indent)
        parts = "".join(self.current.parts)
        self.lines, self.current = saved
        return parts
