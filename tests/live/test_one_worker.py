"""The live tests share one worker, and so one Prometheus server per run (tests/conftest.py groups them)."""

from __future__ import annotations

import os


def test_the_live_tests_are_one_group(request):
    # Under pytest-xdist's --dist loadgroup a grouped test's id ends with its group. It did not when the group was
    # added after pytest-xdist read the marks (conftest's hook not `tryfirst`), nor where pytest and pytest-xdist
    # disagree on node ids (pytest 9.2 with pytest-xdist 3.8): every worker then started its own servers.
    if os.environ.get("PYTEST_XDIST_WORKER") and request.config.getvalue("loadgroup"):
        assert request.node.nodeid.endswith("@prometheus"), request.node.nodeid
