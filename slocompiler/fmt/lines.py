"""Output lines of `slo fmt`, and the comments and blank lines of the source they carry.

`layout.py` decides what goes on each line; this module reads the
comments and blank lines of the source, hangs each comment on the line
that holds its neighbouring token, and joins the lines into text.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from lark import Token

INDENT = "  "


@dataclass
class Comment:
    """A `#` or `//` comment: trailing (code before it on its line) or on a line of its own."""

    text: str
    pos: int
    trailing: bool
    blank_before: bool = False


@dataclass
class Line:
    """One output line: code text, where its first token came from, and the comments it carries."""

    indent: int
    start: int  # source offset of its first token
    role: str  # "item" (starts a block item), "close" (`}` `]` `)`) or "inner"
    blank: bool = False  # a blank line goes before it (before its leading comments)
    parts: list[str] = field(default_factory=list)
    leading: list[Comment] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)


class Source:
    """Where the comments and blank lines are in the text being formatted."""

    def __init__(self, text: str, comment_tokens: list[Token], tokens: list[Token]) -> None:
        self.text = text
        self.comments = []
        for token in sorted(comment_tokens, key=lambda t: t.start_pos):
            line_start = text.rfind("\n", 0, token.start_pos) + 1
            trailing = text[line_start : token.start_pos].strip() != ""
            self.comments.append(Comment(str(token).rstrip(), token.start_pos, trailing))
        self.comment_starts = [c.pos for c in self.comments]
        # For each token start: a blank line right before it (token_blank), and a
        # blank line before the first comment line or token after the previous
        # token (group_blank: the blank line before an item and its comments).
        self.token_blank: dict[int, bool] = {}
        self.group_blank: dict[int, bool] = {}
        events: list[tuple[int, int, Token | Comment]] = [(t.start_pos, t.end_pos, t) for t in tokens]
        events += [(c.pos, c.pos + len(c.text), c) for c in self.comments]
        events.sort(key=lambda e: e[0])
        previous_end = 0
        group: bool | None = None
        for start, end, thing in events:
            blank = text.count("\n", previous_end, start) >= 2
            if isinstance(thing, Comment):
                thing.blank_before = blank
                if not thing.trailing and group is None:
                    group = blank
            else:
                self.token_blank[start] = blank
                self.group_blank[start] = blank if group is None else group
                group = None
            previous_end = end

    def has_comment(self, start: int, end: int) -> bool:
        """A comment starts in [start, end)."""
        index = bisect.bisect_left(self.comment_starts, start)
        return index < len(self.comment_starts) and self.comment_starts[index] < end

    def same_line(self, a: Token, b: Token) -> bool:
        """Tokens a and b start on one source line."""
        return "\n" not in self.text[a.start_pos : b.start_pos]


def join(lines: list[Line], source: Source) -> str:
    """Hang the comments on the lines, add the blank lines, align trailing comments."""
    tail = _place_comments(lines, source.comments)
    rows: list[tuple[str, str | None, int]] = []  # (code, trailing comment, indent); code "" is a blank line

    def blank() -> None:
        # Never a blank line at the top, twice, or right after an opening bracket.
        if rows and rows[-1][0] != "" and not rows[-1][0].endswith(("{", "[", "(")):
            rows.append(("", None, -1))

    for line in lines:
        indent = INDENT * line.indent
        comment_indent = INDENT * (line.indent + 1) if line.role == "close" else indent
        if line.blank:
            blank()
        for number, comment in enumerate(line.leading):
            if comment.blank_before and (number or line.role != "item"):
                blank()
            rows.append((comment_indent + comment.text, None, -1))
        if line.leading and line.role == "item" and source.token_blank.get(line.start):
            blank()
        code = indent + "".join(line.parts)
        rows.append((code, "  ".join(line.trailing) if line.trailing else None, line.indent))
    for comment in tail:
        if comment.blank_before:
            blank()
        rows.append((comment.text, None, -1))
    return _align_comments(rows)


def _place_comments(lines: list[Line], comments: list[Comment]) -> list[Comment]:
    """A trailing comment goes after the line of the token before it; a comment line before
    the line of the token after it. Returns the comments after the last token."""
    starts = [line.start for line in lines]
    tail = []
    for comment in comments:
        if comment.trailing:
            index = bisect.bisect_left(starts, comment.pos) - 1
            lines[max(index, 0)].trailing.append(comment.text)
            continue
        index = bisect.bisect_right(starts, comment.pos)
        if index < len(lines):
            lines[index].leading.append(comment)
        else:
            tail.append(comment)
    return tail


def _align_comments(rows: list[tuple[str, str | None, int]]) -> str:
    """Trailing comments on consecutive lines of one indentation share a column, two spaces after the longest code."""
    out: list[str] = []
    index = 0
    while index < len(rows):
        code, comment, indent = rows[index]
        if comment is None:
            out.append(code)
            index += 1
            continue
        end = index
        while end < len(rows) and rows[end][1] is not None and rows[end][2] == indent:
            end += 1
        column = max(len(row[0].rsplit("\n", 1)[-1]) for row in rows[index:end]) + 2
        for code, comment, _ in rows[index:end]:
            out.append(code + " " * (column - len(code.rsplit("\n", 1)[-1])) + str(comment))
        index = end
    return "\n".join(out) + "\n" if out else ""
