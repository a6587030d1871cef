"""One real Prometheus server per test session, on the history of history.py and calendar_history.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import server  # noqa: E402


@pytest.fixture(scope="session")
def prometheus_url(tmp_path_factory) -> str:
    """The URL of a running Prometheus holding history.py's series; fails in CI when it is missing."""
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        if os.environ.get("CI"):
            pytest.fail("prometheus and promtool are required in CI (apt-get install prometheus)")
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    directory = tmp_path_factory.mktemp("prometheus")
    data = server.build_tsdb(directory, promtool, shared_history())
    running = server.Server(binary, data, directory)
    yield running.url
    running.stop()


def shared_history():
    """calendar_history.py's series (history.py's with them), then report_history.py's months, ending with `# EOF`."""
    import calendar_history
    import report_history

    for line in calendar_history.openmetrics():
        if line != "# EOF\n":
            yield line
    yield from report_history.openmetrics()
    yield "# EOF\n"


@pytest.fixture(scope="session")
def calendar_url(prometheus_url) -> str:
    """The shared server: it holds calendar_history.py's deployed period ratios and DST counters too."""
    return prometheus_url


@pytest.fixture(scope="session")
def victoria_url(tmp_path_factory) -> str:
    """The URL of a running VictoriaMetrics holding the same history as `prometheus_url`; fails in CI when missing."""
    import victoria

    binary, _ = victoria.find_binaries()
    if not binary:
        if os.environ.get("CI"):
            pytest.fail("victoria-metrics is required in CI (apt-get install victoria-metrics)")
        pytest.skip("victoria-metrics not installed (apt-get install victoria-metrics)")
    import calendar_history

    running = victoria.VictoriaMetrics(binary, tmp_path_factory.mktemp("victoria-metrics"))
    try:
        running.import_openmetrics(calendar_history.openmetrics())
    except BaseException:
        running.stop()
        raise
    yield running.url
    running.stop()
