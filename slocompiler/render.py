"""The one Jinja2 environment the backends share, and its escaping filters.

Templates hold layout only. Every value from a spec passes through a filter
that quotes it for the format it lands in, so it stays text, never structure.
"""

from __future__ import annotations

import functools
import json
import re

import jinja2
import yaml

from . import conventions


# Characters YAML readers fold or refuse inside a quoted scalar: written as escapes.
_YAML_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029\ufeff]")


def yaml_str(value: object) -> str:
    """A YAML scalar on one line: strings double-quoted, with JSON's escapes (YAML accepts them)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    quoted = json.dumps(str(value), ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def json_value(value: object) -> str:
    """A JSON value; unlike Jinja's `tojson`, `<` and `>` stay as they are."""
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _multiline_as_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PromQL spanning lines reads best as a literal block; PyYAML falls back to
    # quoting by itself when a string cannot be a block (trailing spaces...).
    # Characters YAML folds (U+0085, U+2028...) are escaped inside double quotes
    # by both of PyYAML's emitters; elsewhere they would differ, or not round-trip.
    style = '"' if _YAML_UNSAFE.search(text) else "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


@functools.cache
def _dumper() -> type:
    # libyaml's emitter is several times faster; both give the same bytes.
    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    dumper = type("SloDumper", (base,), {})
    dumper.add_representer(str, _multiline_as_block)
    return dumper


def yaml_dump(value: object) -> str:
    """A YAML document from plain data, in block style, keys in the given order."""
    return yaml.dump(value, Dumper=_dumper(), sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=1_000_000)


@functools.cache
def environment() -> jinja2.Environment:
    """Built once: StrictUndefined, so a template slip fails loudly."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("slocompiler", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["yaml_str"] = yaml_str
    env.filters["json"] = json_value
    env.globals["conventions"] = conventions
    return env


def render(template: str, **context: object) -> str:
    """Render one template of `slocompiler/templates/`."""
    return environment().get_template(template).render(**context)
