"""The YAML the backends write reads back as the same data, whatever the strings."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slocompiler.render import yaml_dump

TRICKY = [
    "", " ", "a b", "true", "No", "null", "~", "1", "1.5", "0x10", "1:30", "2001-12-14", "5m", "1h30m", ".inf", "-", "- a",
    "#x", "a #b", "a: b", "a:b", "{{ $value }}", "[x]", "&a", "*a", "!x", "%x", "@x", "`x`", "'q'", '"q"', "|", ">",
    "a\nb", "a\n", "\na", " a\nb", "a \nb", "a\n\nb", "a\r\nb", "a\tb", "\x00", "\x7f", "\x85", "\u2028", "\ufeff", "é ü 中",
    "http://x/#a:b", "back\\slash", "A:", "a::", "a:b:",
]


def test_tricky_strings_round_trip():
    data = {"values": TRICKY, "map": {f"k{i}": text for i, text in enumerate(TRICKY)}}
    assert yaml.safe_load(yaml_dump(data)) == data


def test_layout():
    data = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": "a\n/\nb", "labels": {"x": "1"}}]}], "e": [], "f": {}}
    assert yaml_dump(data) == (
        "groups:\n- name: g\n  rules:\n  - record: r\n    expr: |-\n      a\n      /\n      b\n"
        "    labels:\n      x: '1'\ne: []\nf: {}\n"
    )


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
tree = st.recursive(
    st.one_of(text, st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(text, tree, max_size=5))
def test_any_plain_data_round_trips(data):
    assert yaml.safe_load(yaml_dump(data)) == data


def test_c_and_python_emitters_give_the_same_bytes():
    """Machines without libyaml fall back to PyYAML's Python emitter: outputs must not change."""
    from slocompiler.compile import load
    from slocompiler.emit import prometheus
    from slocompiler.render import _multiline_as_block

    python_dumper = type("PythonDumper", (yaml.SafeDumper,), {})
    python_dumper.add_representer(str, _multiline_as_block)
    program = load(["specs"]).program
    documents = [{"values": TRICKY}] + [{"groups": prometheus.rule_groups(service)} for service in program.services]
    for document in documents:
        slow = yaml.dump(document, Dumper=python_dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=1_000_000)
        assert yaml_dump(document) == slow
