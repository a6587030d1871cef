"""The NoData ticket in the backtest agrees with Prometheus: a server of its own, on series with a gap."""

from __future__ import annotations

from pathlib import Path

import pytest

from slocompiler.live.backtest.run import Range, run
from slocompiler.live.client import Connection, Prometheus
from slocompiler.workflow.compile import load

from . import server
from .backtest_checks import STEP, promtool_checks, run_promtool

SPEC = Path(__file__).parent / "backtest" / "gappy.slo"
ORIGIN = 1_701_000_000  # 2023-11-26 12:00 UTC, where the series begin
MINUTES = 9 * 60
OUTAGE = range(120, 150)  # half the requests fail
GAP = range(300, 340)  # no samples at all


def counters() -> dict[str, list[float | None]]:
    """Each series' samples a minute apart from ORIGIN, None in the gap."""
    values: dict[str, list[float | None]] = {}
    for code in ("200", "500"):
        count, samples = 0.0, []
        for m in range(MINUTES + 1):
            samples.append(None if m in GAP else count)
            bad = 50 if m in OUTAGE else 1
            count += bad if code == "500" else 100 - bad
        values[f'http_requests_total{{job="gappy",code="{code}"}}'] = samples
    return values


def openmetrics(values: dict[str, list[float | None]]):
    yield "# TYPE http_requests counter\n"
    for series, samples in values.items():
        for m, value in enumerate(samples):
            if value is not None:
                yield f"{series} {value!r} {ORIGIN + m * STEP}\n"
    yield "# EOF\n"


@pytest.fixture(scope="module")
def gappy_url(tmp_path_factory, prometheus_url):
    """A second server on these series alone (it needs the first only for its CI-or-skip rule)."""
    binary, promtool = server.find_binaries()
    directory = tmp_path_factory.mktemp("gappy")
    running = server.Server(binary, server.build_tsdb(directory, promtool, openmetrics(counters())), directory)
    yield running.url
    running.stop()


def test_no_data_in_the_gap_as_promtool_sees_it(gappy_url, tmp_path, promtool):
    program = load([str(SPEC)]).program
    assert program is not None
    start, end = ORIGIN + 10 * STEP, ORIGIN + MINUTES * STEP
    with Prometheus(Connection(gappy_url)) as client:
        found = run(program, client, Range(start, end, STEP))
    (replay,) = found
    # The 5m ratio ends 5 minutes into the gap (no two samples left); NoData fires 15 minutes later.
    assert replay.no_data == ((ORIGIN + (GAP[0] + 4 + 15) * STEP, ORIGIN + (GAP[-1] + 1) * STEP),)
    assert replay.pages, "the outage pages"
    text, checks, firing = promtool_checks(program.services[0], found, start, end, ORIGIN)
    no_data = [k for k in checks if k["alertname"].endswith("NoData")]
    assert sum(bool(k["exp_alerts"]) for k in no_data) >= 3 and sum(not k["exp_alerts"] for k in no_data) >= 3
    inputs = [{"series": series, "values": " ".join("_" if v is None else repr(v) for v in samples)}
              for series, samples in counters().items()]
    result = run_promtool(promtool, tmp_path, text, inputs, checks)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
