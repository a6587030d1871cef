"""The syntax tree: what the user wrote, with a span on every piece.

Nothing here knows about defaults, units or inheritance; `lower.py` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import Span

# The words of the language (LANGUAGE.md, "Lexical rules"): never a name of a
# service, SLO, template, policy or parameter, always a label name. The grammar
# has one terminal for each; a test holds the two lists together.
KEYWORDS = frozenset("import service slo indicator alerting page ticket labels annotations policy "
                     "when over template true false".split())

# The words of `word name { }` blocks the language has (LANGUAGE.md, "Maintenance windows").
NAMED_BLOCK_WORDS = frozenset({"maintenance"})


@dataclass(frozen=True, slots=True)
class Value:
    """A literal as written.

    `value` by kind: string/raw -> text (escapes resolved), number/percent ->
    Decimal (a percent as written, 99.9), duration -> int milliseconds,
    bool -> bool, name/param -> the name, list -> tuple of Values,
    calendar -> the word after `calendar` (`text` is both words as written).
    `ordered` is False for a duration whose units are not largest first.
    """

    kind: str
    value: object
    text: str
    span: Span
    ordered: bool = True


@dataclass(frozen=True, slots=True)
class Attribute:
    """`name = value`, also a label pair or a template argument."""

    name: str
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Block:
    """`kind name { items }`: service, slo, indicator, alerting, page, ticket,
    labels, annotations, policy, or a block the language does not have
    (kind `stray`, its word in `name`); kind `named`: `word name { }`
    (`maintenance weekly { }`), the word in `word`."""

    kind: str
    name: str | None
    items: tuple
    span: Span
    name_span: Span | None = None
    word: str | None = None


@dataclass(frozen=True, slots=True)
class SloCall:
    """`slo name = template(arg = value, ...)`."""

    name: str
    template: str
    args: tuple[Attribute, ...]
    span: Span
    template_span: Span


@dataclass(frozen=True, slots=True)
class Rule:
    """`when metric op value [over duration] { attributes }`."""

    metric: str
    op: str
    value: Value
    over: Value | None
    items: tuple[Attribute, ...]
    span: Span
    metric_span: Span
    op_span: Span


@dataclass(frozen=True, slots=True)
class Param:
    """A template parameter, with its default if it has one."""

    name: str
    default: Value | None
    span: Span


@dataclass(frozen=True, slots=True)
class Template:
    """`template name(params) { slo body }`."""

    name: str
    params: tuple[Param, ...]
    items: tuple
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    """`import "path"`."""

    path: str
    span: Span


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed `.slo` file."""

    path: str
    items: tuple
