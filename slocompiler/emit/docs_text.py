"""Spec text as Markdown text: escaped so that it shows as typed, never as HTML, a link, emphasis or a table break.

Shared by docs.py and docs_period.py.
"""

from __future__ import annotations

import re

NONE = "—"
# Characters that can start Markdown structure anywhere in a line (GFM
# included: `|` cells, `~` strikethrough); each is escaped with a backslash,
# which CommonMark allows before any ASCII punctuation.
_INLINE_SPECIAL = frozenset("\\`*_[]<>&|~")
# Characters that only mean something at the start of a line (headings,
# block quotes, lists, setext underlines).
_LEADING_SPECIAL = frozenset("#>+-=")
_ORDERED_LIST = re.compile(r"([0-9]{1,9})([.)])")
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def md_text(text: str) -> str:
    """Spec text as literal Markdown on one line: no HTML, links, emphasis or cell breaks."""
    flat = " ".join(text.splitlines()).strip()
    out = ["\\" + char if char in _INLINE_SPECIAL else char for char in flat]
    if out and out[0] in _LEADING_SPECIAL:
        out[0] = "\\" + out[0]
    match = _ORDERED_LIST.match(flat)
    if match:
        # `1.` or `1)` at the start would open an ordered list.
        delimiter = match.end(1)
        out[delimiter] = "\\" + out[delimiter]
    return "".join(out)


def md_or_none(text: str | None) -> str:
    """`md_text`, or a dash for a missing value."""
    return NONE if text is None or not text.strip() else md_text(text)


def md_link_or_text(text: str | None) -> str:
    """An autolink for a plain http(s) URL, escaped text for anything else (no `javascript:`)."""
    if text is None or not text.strip():
        return NONE
    if _SAFE_URL.fullmatch(text):
        return f"<{text}>"
    return md_text(text)


def md_fence(text: str, info: str = "promql") -> str:
    """A fenced code block longer than any backtick run in `text`, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(text.splitlines())
    return f"{fence}{info}\n{body}\n{fence}"
