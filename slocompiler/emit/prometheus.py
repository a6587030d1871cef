"""Prometheus backend: each service's rules file (rules.py, alerts.py) and its promtool tests (promtest.py)."""

from __future__ import annotations

from ..core import conventions as c
from ..core.ir import Program
from .promtest import tests_yaml
from .rules import rules_files


def emit(program: Program) -> dict[str, str]:
    """`prometheus/<service>.rules.yml` and `prometheus/<service>.test.yml` for every service."""
    files = rules_files(program)
    for service in program.services:
        files[c.prometheus_tests_path(service.name)] = tests_yaml(service, program)
    return files
