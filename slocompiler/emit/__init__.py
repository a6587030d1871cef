"""Backends: plain functions from the IR to `{relative path: text}`, in one dict."""

from __future__ import annotations

from typing import Callable

from ..core.ir import Program

Emitter = Callable[[Program], dict[str, str]]


def _lazy(module: str) -> Emitter:
    # Backends import jinja2 and friends; `slo check` must not pay for that.
    def emit(program: Program) -> dict[str, str]:
        from importlib import import_module

        return import_module(f"{__name__}.{module}").emit(program)

    emit.__name__ = f"emit_{module}"
    return emit


TARGETS: dict[str, Emitter] = {
    "prometheus": _lazy("prometheus"),
    "grafana": _lazy("grafana"),
    "policy": _lazy("policy"),
    "docs": _lazy("docs"),
    "kubernetes": _lazy("kubernetes"),
    "openslo": _lazy("openslo"),
    "alertmanager": _lazy("alertmanager"),
}
# Opt-in targets are built only when `--target` names them.
DEFAULT_TARGETS = ("prometheus", "grafana", "policy", "docs", "alertmanager")
