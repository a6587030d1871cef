"""slocompiler: `.slo` specs to Prometheus rules, alerts, dashboards, policies and docs.

Pipeline: parse -> lower -> check -> emit (see `compile.py`).
"""

__version__ = "0.1.0"
