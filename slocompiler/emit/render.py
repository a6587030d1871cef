"""The one Jinja2 environment the backends share, and its escaping filters.

Templates hold layout only. Every value from a spec passes through a filter
that quotes it for the format it lands in, so it stays text, never structure.
"""

from __future__ import annotations

import functools
import json
import re

import jinja2

# Characters YAML readers fold or refuse inside a quoted scalar: written as escapes.
_YAML_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029\ufeff]")


def yaml_str(value: object) -> str:
    """A YAML scalar on one line: strings double-quoted, with JSON's escapes (YAML accepts them)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    # json.dumps(text, ensure_ascii=False) without building an encoder each call.
    quoted = _encode_json_string(str(value))
    if _YAML_UNSAFE.search(quoted) is None:
        return quoted
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


_encode_json_string = json.encoder.encode_basestring
# Filters see the same label values and annotations over and over (every rule
# of an SLO, every test case): remembering them halves the rendering time.
_cached_yaml_str = functools.lru_cache(maxsize=16384, typed=True)(yaml_str)


# What a literal block scalar may hold as it stands: printable characters, no
# tab or carriage return, nothing YAML 1.1 reads as a line break (U+0085,
# U+2028/9) or a byte-order mark.
_BLOCK_UNSAFE = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
# Words YAML 1.1 (PyYAML, Go's yaml.v2) reads as booleans or null when plain.
_RESERVED_KEYS = frozenset("y n yes no on off true false null".split())
_IDENTIFIER = re.compile("[a-zA-Z_][a-zA-Z0-9_]*")


def block_safe(text: str) -> bool:
    """Whether `|-` and the text's lines, indented, read back as exactly this text."""
    return (
        bool(text)
        and text[0] not in " \n"  # a first line's spaces would be taken for indentation
        and not text.endswith(("\n", " "))  # `|-` strips final line breaks
        and " \n" not in text  # trailing spaces: kept by YAML, but invisible to a reader
        and _BLOCK_UNSAFE.search(text) is None
    )


def yaml_block(value: object, indent: int) -> str:
    """A string as a literal block (`|-`, lines at column `indent`) when it has several lines or quotes; else yaml_str.

    PromQL reads best unescaped. Falls back to the quoted form whenever a block
    could not hold the text exactly (leading spaces, tabs, final newline...).
    """
    text = str(value)
    if indent < 1 or not ("\n" in text or '"' in text or "\\" in text) or not block_safe(text):
        return yaml_str(value)
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line if line else line for line in text.split("\n"))


@functools.lru_cache(maxsize=4096)
def yaml_key(name: str) -> str:
    """A mapping key: plain for identifiers (label names), quoted when YAML would read it as anything but that text."""
    if _IDENTIFIER.fullmatch(name) and name.lower() not in _RESERVED_KEYS:
        return name
    return yaml_str(name)


def one_line(text: str) -> str:
    """A value for a one-line comment (`# generated from <spec>`): line breaks become spaces."""
    return " ".join(text.splitlines())


def html_comment_text(text: str) -> str:
    """A value safe inside `<!-- -->` (HTML, Markdown, SVG's XML): one line, no `--`, no `>`, no final `-`."""
    safe = re.sub("-(?=-)", "- ", one_line(text)).replace(">", ")")  # `---` too: "- - -"
    return safe + " " if safe.endswith("-") else safe


@functools.cache
def environment() -> jinja2.Environment:
    """Built once: StrictUndefined, so a template slip fails loudly."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("slocompiler", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # HTML templates (`*.html.j2`) escape every value; the YAML, Markdown and text ones quote through filters.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    )
    env.filters["yaml_str"] = _cached_yaml_str
    env.filters["yaml_block"] = functools.lru_cache(maxsize=16384)(yaml_block)
    env.filters["yaml_key"] = yaml_key
    return env


def render(template: str, **context: object) -> str:
    """Render one template of `slocompiler/templates/`."""
    return environment().get_template(template).render(**context)
