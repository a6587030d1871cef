"""Kubernetes backend (opt-in): the Prometheus rule groups as a PrometheusRule resource per service."""

from __future__ import annotations

import re

from ..core import conventions as c
from ..core.ir import Program, Service
from . import rules
from .render import render


def emit(program: Program) -> dict[str, str]:
    """`kubernetes/<service>.yaml` for every service."""
    known = rules.composites_of(program)
    return {c.kubernetes_path(s.name): resource_yaml(s, known) for s in program.services}


def resource_name(service: str) -> str:
    """A valid object name (RFC 1123 subdomain): `slo-<service>`, `_` turned into `-`."""
    name = re.sub(r"[^a-z0-9.-]", "-", (c.K8S_NAME_PREFIX + service).lower())
    return name[:253].strip("-.")


def resource_labels(service: Service) -> dict[str, str]:
    """The object's labels; values at most 63 characters, alphanumeric at both ends."""
    label, value = c.K8S_MANAGED_BY
    ours = {label: value, c.LABEL_SERVICE: service.name[:63].rstrip("-_")}
    # The spec's labels (what the operator's ruleSelector matches) first; ours win a clash.
    return {**{k: v for k, v in service.kubernetes_labels if k not in ours}, **ours}


def resource_yaml(service: Service, known: rules.composite_rules.Composites | None = None) -> str:
    """The text of one service's PrometheusRule file, through kubernetes.yaml.j2."""
    return render(
        "kubernetes.yaml.j2",
        source=rules.source_comment(service),
        api_version=c.K8S_API_VERSION,
        kind=c.K8S_KIND,
        name=resource_name(service.name),
        namespace=service.kubernetes_namespace,
        labels=resource_labels(service),
        groups=rules.rule_groups(service, known),
    )
