"""One file's text in the canonical layout (docs/FORMAT.md), refused when it does not parse or would change meaning.

The layout rules live in `layout.py`; `command.py` finds the files and writes them.
"""

from __future__ import annotations

import dataclasses

from ..core.errors import SloError
from ..lang import syntax as st
from ..lang.parse import parse
from .layout import layout


class UnsafeFormat(Exception):
    """The layout would change what a file means: a bug in fmt, and the file is left alone."""


def format_text(text: str, path: str) -> str:
    """The canonical layout of one file's text; raises SloError if it does not parse.

    Line ends follow the file's first line (LF or CRLF), as written.
    """
    first_end = text.find("\n")
    crlf = first_end > 0 and text[first_end - 1] == "\r"
    text = text.replace("\r\n", "\n")
    tree, diagnostics = parse(text, path)
    if tree is None:
        raise SloError(diagnostics)
    formatted = layout(text)
    # As black does: check the result means the same before anyone sees it.
    again, _ = parse(formatted, path)
    if again is None or shape(again) != shape(tree):
        raise UnsafeFormat(f"slo fmt would change the meaning of {path}; the file is left alone (please report this bug)")
    return formatted.replace("\n", "\r\n") if crlf else formatted


def shape(node: object, verbatim: bool = False) -> object:
    """A syntax tree without positions, and without the spelling of numbers and durations
    (`99.90%` is `99.9%`), except in template arguments and defaults, which are substituted as written."""
    if isinstance(node, tuple):
        return tuple(shape(item, verbatim) for item in node)
    if not dataclasses.is_dataclass(node):
        return node
    out: list[object] = [type(node).__name__]
    for field in dataclasses.fields(node):
        if field.name.endswith("span") or (field.name == "path" and isinstance(node, st.SourceFile)):
            continue
        if field.name == "text" and isinstance(node, st.Value) and node.kind in ("number", "percent", "duration", "calendar"):
            if not verbatim or node.kind in ("duration", "calendar"):
                continue
        inner = verbatim or (isinstance(node, st.SloCall) and field.name == "args") or isinstance(node, st.Param)
        out.append(shape(getattr(node, field.name), inner))
    return tuple(out)
