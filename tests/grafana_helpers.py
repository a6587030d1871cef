"""Shared helpers of the Grafana tests: walking dashboards and their PromQL."""

from __future__ import annotations

import contextlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import promql_parser

from slocompiler.core import conventions as c

# Grafana's own interval variables need a duration; our variables sit inside regex matchers.
_INTERVALS = re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}")
_VARIABLES = re.compile(r"\$\{\w+(?::\w+)?\}|\$\w+")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+), (?P<label>\w+)\)$")


def load(text: str) -> dict:
    """A dashboard, numbers as exact Decimals."""
    return json.loads(text, parse_float=Decimal)


def panels(board: dict) -> Iterator[dict]:
    """Every panel, rows and the panels inside collapsed rows included."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def substitute(expr: str) -> str:
    """PromQL with Grafana's variables replaced by values that parse."""
    return _VARIABLES.sub(".*", _INTERVALS.sub("5m", expr))


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every vector selector of a Grafana query, after substituting its variables."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node: object, *_: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(substitute(expr)), visit)
    return found


def matcher_values(selector: promql_parser.VectorSelector) -> dict[str, tuple[str, str]]:
    """label -> (operator, value) of a selector."""
    return {m.name: (str(m.op), m.value) for m in selector.matchers.matchers}


def queries(board: dict) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    for panel in panels(board):
        for target in panel.get("targets", []):
            yield f"panel {panel['id']} {panel['title']!r} {target['refId']}", target["expr"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            match = _LABEL_VALUES.match(variable["query"])
            assert match, f"variable {variable['name']}: not a label_values query: {variable['query']}"
            yield f"variable {variable['name']}", match["selector"]


def recorded(rules_texts: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """From Prometheus rules files: {(record name, slo_id)} and the slo_ids that have alerts."""
    import yaml

    records: set[tuple[str, str]] = set()
    alerting: set[str] = set()
    for text in rules_texts:
        for group in yaml.safe_load(text)["groups"]:
            for rule in group["rules"]:
                slo_id = rule["labels"][c.LABEL_SLO_ID]
                if "record" in rule:
                    records.add((rule["record"], slo_id))
                else:
                    alerting.add(slo_id)
    return records, alerting


ROOT = Path(__file__).resolve().parent.parent


def spec_program():
    """The program of specs/, loaded by the relative path a user types (paths land in outputs)."""
    import pytest

    from slocompiler.workflow import compile as compile_
    if not list((ROOT / "specs").glob("*.slo")):
        pytest.skip("no specs/ yet")
    with contextlib.chdir(ROOT):
        loaded = compile_.load(["specs"])
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return loaded.program
