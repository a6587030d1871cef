"""slocompiler: `.slo` specs to Prometheus rules, alerts, dashboards, policies and docs.

Pipeline: parse -> lower -> check -> emit (see `workflow/compile.py` and docs/ARCHITECTURE.md).
"""

__version__ = "0.1.0"
