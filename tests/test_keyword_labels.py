"""Every keyword is a label name wherever a label name goes, in any position; quoted names for Kubernetes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lark.lexer import PatternStr

from slocompiler.fmt.format import format_text
from slocompiler.lang.parse import _parser, parse
from slocompiler.lang.syntax import KEYWORDS
from slocompiler.workflow.compile import load

# The blocks a label name is written in.
PLACES = ("service labels", "kubernetes labels", "slo labels", "alerting labels", "alerting annotations",
          "condition labels", "pages labels")


def spec(place: str, pairs: str) -> str:
    """A valid spec with `pairs` in the block named by `place`."""
    service_part = {"service labels": f"labels {{ {pairs} }}", "kubernetes labels": f"kubernetes {{ labels {{ {pairs} }} }}"}
    slo_part = {"slo labels": f"labels {{ {pairs} }}"}
    alerting_part = {"alerting labels": f"labels {{ {pairs} }}", "alerting annotations": f"annotations {{ {pairs} }}",
                     "pages labels": f"pages {{ labels {{ {pairs} }} }}"}
    condition = f"labels {{ {pairs} }}" if place == "condition labels" else ""
    return (
        f'service shop {{\n  owner = "o"\n  {service_part.get(place, "")}\n'
        f'  slo api {{\n    objective = 99%\n    {slo_part.get(place, "")}\n'
        "    indicator ratio {\n      errors = `e_total`\n      total = `t_total`\n    }\n"
        f'    alerting {{\n      {alerting_part.get(place, "")}\n'
        f"      page {{ burn = 14.4 long = 1h {condition} }}\n    }}\n  }}\n}}\n"
    )


def labels_at(program, place: str) -> dict[str, str]:
    """The labels the IR holds for `place`."""
    service = program.services[0]
    slo = service.slos[0]
    found = {
        "service labels": service.labels,
        "kubernetes labels": service.kubernetes_labels,
        "slo labels": slo.labels,
        "alerting labels": slo.alerting.labels,
        "alerting annotations": slo.alerting.annotations,
        "condition labels": slo.alerting.conditions[0].labels,
        "pages labels": slo.alerting.conditions[0].labels,
    }[place]
    return dict(found)


def compile_spec(tmp_path: Path, text: str):
    path = tmp_path / "x.slo"
    path.write_text(text)
    loaded = load([str(path)])
    assert loaded.program is not None and not [d for d in loaded.diagnostics if d.is_error], \
        [str(d) for d in loaded.diagnostics]
    return loaded.program


def test_the_keywords_are_the_grammars() -> None:
    """`syntax.KEYWORDS` is every literal word of the grammar, and the grammar takes each as a label name.

    A keyword added to the grammar but not to `key` would be a syntax
    error as a label name after another pair: this fails first.
    """
    parser, _ = _parser()
    ident = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
    words = {t.pattern.value: t.name for t in parser.terminals
             if isinstance(t.pattern, PatternStr) and ident.fullmatch(t.pattern.value)}
    assert set(words) == KEYWORDS
    key = {rule.expansion[0].name for rule in parser.rules if rule.origin.name == "key"}
    assert {words[w] for w in KEYWORDS} <= key


@pytest.mark.parametrize("place", list(PLACES))
def test_every_keyword_is_a_label_name_in_any_position(tmp_path, place) -> None:
    # After another pair (where the lexer reads a keyword as a keyword) and first in the block.
    names = ["team", *sorted(KEYWORDS)]
    if place == "kubernetes labels":
        names.append('"app.kubernetes.io/name"')
    for order in (names, names[::-1]):
        pairs = " ".join(f'{name} = "v-{i}"' for i, name in enumerate(order))
        text = spec(place, pairs)
        expected = {name.strip('"'): f"v-{i}" for i, name in enumerate(order)}
        got = labels_at(compile_spec(tmp_path, text), place)
        assert {k: v for k, v in got.items() if k in expected} == expected
        # `slo fmt` keeps it parseable and the same
        formatted = format_text(text, "x.slo")
        assert labels_at(compile_spec(tmp_path, formatted), place) == got
        assert format_text(formatted, "x.slo") == formatted


def test_keywords_in_group_by_are_label_names(tmp_path) -> None:
    text = spec("slo labels", 'team = "x"').replace(
        "objective = 99%", "objective = 99%\n    group_by = [true, false, page, when, alerting]")
    slo = compile_spec(tmp_path, text).services[0].slos[0]
    assert slo.group_by == ("true", "false", "page", "when", "alerting")


def test_a_quoted_name_that_is_no_prometheus_label_is_refused_outside_kubernetes(tmp_path) -> None:
    path = tmp_path / "x.slo"
    path.write_text(spec("service labels", '"app.kubernetes.io/name" = "shop"'))
    loaded = load([str(path)])
    assert loaded.program is None
    assert [d.message for d in loaded.diagnostics if d.is_error] == [
        '"app.kubernetes.io/name" is not a valid label name: use letters, digits and _, not starting with a digit']


@pytest.mark.parametrize(("text", "message", "column"), [
    ("servce shop {\n}\n", 'unknown keyword "servce"; did you mean "service"?', 1),
    ('improt "common.slo"\n', 'unknown keyword "improt"; did you mean "import"?', 1),
    ("polcy standard {\n}\n", 'unknown keyword "polcy"; did you mean "policy"?', 1),
    ('service shop {\n  owner = "o"\n  sloo api {\n  }\n}\n', 'unknown keyword "sloo"; did you mean "slo"?', 3),
])
def test_a_misspelt_keyword_gets_a_suggestion(text, message, column) -> None:
    _, diagnostics = parse(text, "x.slo")
    assert [d.message for d in diagnostics] == [message]
    assert diagnostics[0].span.column == column


def test_a_syntax_error_in_labels_names_what_may_come() -> None:
    """Not the sixteen keywords a label name may also be: "a name" says it."""
    _, diagnostics = parse('service s {\n  labels { = }\n}\n', "x.slo")
    assert [d.message for d in diagnostics] == ['unexpected "="; expected "}", a name or a string ("...")']


def test_the_schema_refuses_the_same_keywords_as_names() -> None:
    from slocompiler.lang.schema import ir_schema

    (_, keyword_rule) = ir_schema()["$defs"]["name"]["allOf"]
    assert set(keyword_rule["not"]["enum"]) == KEYWORDS
