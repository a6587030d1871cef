"""Property tests: any input ends in an IR or in diagnostics, never in an exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from test_keyword_labels import PLACES, labels_at, spec

from slocompiler.fmt.format import format_text
from slocompiler.lang.parse import grammar_text
from slocompiler.lang.syntax import KEYWORDS
from slocompiler.workflow.compile import load

WORKDIR = Path(tempfile.mkdtemp(prefix="slo-props-"))
SETTINGS = settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
# Texts from the grammar cost a full compile each (about 17 ms): 500 of them cover its productions many times over.
GRAMMAR_SETTINGS = settings(SETTINGS, max_examples=500)


def outcome(data: bytes) -> None:
    """Compile one file's bytes; an IR or located diagnostics are the only outcomes."""
    path = WORKDIR / "input.slo"
    path.write_bytes(data)
    loaded = load([str(path)])
    assert (loaded.program is None) == any(d.is_error for d in loaded.diagnostics)
    for diagnostic in loaded.diagnostics:
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
        assert diagnostic.message and "Token(" not in diagnostic.message


@GRAMMAR_SETTINGS
@given(from_lark(Lark(grammar_text(), parser="lalr", lexer="contextual"), start="start"))
def test_inputs_from_the_grammar(text: str) -> None:
    outcome(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    outcome(data)


# A generator of near-valid specs reaches the checker's rules, not just the parser.
VALUES = st.sampled_from(
    ["99.9%", "0%", "100%", "150%", "30d", "28d", "0s", "1h30m", "5m1h", "3", "14.4", "0", "true", "false",
     '"text"', '"${job}"', "`up`", "`sum(rate(x[$window]))`", "`rate(x[5m])`", "`x{`", "critical", "$job", "[]",
     '["route"]', '["bad-label"]', "standard", "nope", "calendar month", "calendar fortnight", "calendar 30d",
     "calendar", '"Europe/Berlin"', '"Mars/Olympus"', '">= 1"', '"~ 3"', "1m", "7m", "2h", "95%", "skip", "god",
     "`probe_success{job=\"x\"}`", "worst", "sunday", '"02:00"', '"2026-12-05T02:00:00Z"', "bad"]
)
ATTRIBUTES = st.sampled_from(
    ["objective", "window", "sla", "group_by", "description", "owner", "tier", "policy", "name", "enabled",
     "no_data", "long", "short", "for", "burn", "budget", "errors", "good", "total", "histogram", "threshold",
     "le", "error_ratio", "job", "bogus", "timezone", "length", "target", "ratio", "metric", "weight",
     "when_no_data", "aggregate", "every", "at", "from"]
)


@st.composite
def near_valid_specs(draw) -> str:
    def attrs(indent: str) -> str:
        pairs = draw(st.lists(st.tuples(ATTRIBUTES, VALUES), max_size=4))
        return "".join(f"{indent}{name} = {value}\n" for name, value in pairs)

    indicator = draw(st.sampled_from(["ratio", "latency", "expr", "threshold", "ratioo"]))
    slices = draw(st.sampled_from(["", "slices", "slice"]))
    slices_block = f"    {slices} {{\n{attrs('      ')}    }}\n" if slices else ""
    conditions = "".join(
        f"      {severity} {{\n{attrs('        ')}      }}\n"
        for severity in draw(st.lists(st.sampled_from(["page", "ticket"]), max_size=2))
    )
    # A composite (members are SLO ids, `shop-api` itself makes a cycle) or a maintenance window instead of nothing.
    members = "".join(f"      {m} {{\n{attrs('        ')}      }}\n"
                      for m in draw(st.lists(st.sampled_from(["shop-api", "shop-t", "shop-nope"]), max_size=2)))
    extra = draw(st.sampled_from(["", f"  slo journey {{\n{attrs('    ')}    composite {{\n{attrs('      ')}{members}    }}\n  }}\n",
                                  f"    maintenance w {{\n{attrs('      ')}    }}\n"]))
    slo = (
        f"  slo api {{\n{attrs('    ')}{slices_block}{extra if extra.startswith('    ') else ''}"
        f"    indicator {indicator} {{\n{attrs('      ')}    }}\n"
        f"    alerting {{\n{attrs('      ')}{conditions}    }}\n  }}\n"
    )
    call = draw(st.sampled_from(["", '  slo t = tpl(job = "x")\n', "  slo t = tpl()\n", '  slo t = tpl(job = "x", extra = 1)\n']))
    template = f"template tpl(job) {{\n{attrs('  ')}  indicator {indicator} {{\n{attrs('    ')}  }}\n}}\n"
    policy = f"policy standard {{\n  when budget_remaining < 50% {{\n{attrs('    ')}  }}\n}}\n"
    journey = extra if extra.startswith("  slo") else ""
    return f"service shop {{\n{attrs('  ')}{slo}{journey}{call}}}\n{template}{policy}"


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(near_valid_specs())
def test_near_valid_specs(text: str) -> None:
    outcome(text.encode())


# Any keyword is a label name, at any position of any block that holds labels
# (tests/test_keyword_labels.py has the blocks); few examples: each compiles twice.
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(sorted(KEYWORDS | {"team", "env"})), unique=True, min_size=1, max_size=5),
       st.sampled_from(PLACES))
def test_any_keyword_is_a_label_name_at_any_position(names: list[str], place: str) -> None:
    text = spec(place, " ".join(f'{name} = "v{i}"' for i, name in enumerate(names)))
    for version in (text, format_text(text, "input.slo")):  # and `slo fmt` keeps them
        path = WORKDIR / "input.slo"
        path.write_text(version)
        loaded = load([str(path)])
        assert loaded.program is not None, [str(d) for d in loaded.diagnostics]
        labels = labels_at(loaded.program, place)
        assert {k: v for k, v in labels.items() if k in names} == {name: f"v{i}" for i, name in enumerate(names)}
