"""Diagnostics: places in a spec, the one error type, and how it is shown to people and tools.

A leaf: it imports nothing from the package, so every layer may use it."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """An error or warning at a place in a spec. Sorts by file, then position."""

    span: Span
    message: str
    severity: str = "error"
    hint: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass
class Diagnostics:
    """Collects diagnostics; passes never stop at the first."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, span: Span, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(span, message, "error", hint))

    def error_count(self) -> int:
        return sum(d.is_error for d in self.items)

    def warning(self, span: Span, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic(span, message, "warning", hint))


class SloError(Exception):
    """Raised with every diagnostic a pass found; the CLI prints them all."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(f"{d.span}: {d.severity}: {d.message}" for d in self.diagnostics))


class UsageError(Exception):
    """A problem with how the compiler was called, not with a spec (exit 2)."""


class InputError(Exception):
    """Inputs that hold nothing to compile, such as a directory with no `.slo` file (exit 1)."""


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The nearest valid name for a typo, or None."""
    import difflib  # rarely needed: not on every run's start-up

    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean "x"?` or nothing."""
    best = suggest(word, choices)
    return f'; did you mean "{best}"?' if best else ""


def render_text(diagnostic: Diagnostic, sources: dict[str, str]) -> str:
    """gcc style: `file:line:col: error: message`, then the line and a caret."""
    span = diagnostic.span
    out = [f"{span}: {diagnostic.severity}: {diagnostic.message}"]
    lines = _lines(sources.get(span.file, ""))
    if span.line >= 1 and span.line <= len(lines) and (span.line < len(lines) or lines[-1]):
        line, caret = _excerpt(lines[span.line - 1].removesuffix("\r").expandtabs(1), span.column - 1)
        out.append(f"  {line}")
        out.append("  " + " " * caret + "^")
    if diagnostic.hint:
        out.append(f"  hint: {diagnostic.hint}")
    return "\n".join(out)


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> list[str]:
    # Split once per file, not once per diagnostic (a 3 MB line with 100 errors);
    # at "\n" only, as the parser counts lines (not at \f or \u2028 as splitlines would).
    return text.split("\n")


EXCERPT_WIDTH = 120  # a source line longer than this is shown around the column, not whole


def _excerpt(line: str, column: int) -> tuple[str, int]:
    """The part of a long line around `column` (0-based), marked with `...`; and the caret's offset in it."""
    if len(line) <= EXCERPT_WIDTH:
        return line, column
    start = min(max(0, column - EXCERPT_WIDTH // 2), max(0, len(line) - EXCERPT_WIDTH))
    shown = line[start:start + EXCERPT_WIDTH]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + EXCERPT_WIDTH < len(line) else ""
    return prefix + shown + suffix, len(prefix) + column - start


def to_dict(d: Diagnostic) -> dict:
    """file, line, column, severity, message (and hint): the `--format json` object."""
    return {
        "file": d.span.file,
        "line": d.span.line,
        "column": d.span.column,
        "severity": d.severity,
        "message": d.message,
        **({"hint": d.hint} if d.hint else {}),
    }


def from_dict(data: dict) -> Diagnostic:
    """The diagnostic `to_dict` described."""
    return Diagnostic(Span(data["file"], data["line"], data["column"]), data["message"], data["severity"], data.get("hint"))


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    """A list of `to_dict` objects."""
    return json.dumps([to_dict(d) for d in diagnostics], indent=2, ensure_ascii=False, allow_nan=False)


def render_github(diagnostic: Diagnostic, title: str | None = None) -> str:
    """A GitHub Actions workflow annotation line (with a title, when given)."""
    span = diagnostic.span
    kind = "error" if diagnostic.is_error else "warning"
    message = diagnostic.message + (f" ({diagnostic.hint})" if diagnostic.hint else "")
    named = f",title={_gh_property(title)}" if title else ""
    return f"::{kind} file={_gh_property(span.file)},line={span.line},col={span.column}{named}::{_gh_data(message)}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")
