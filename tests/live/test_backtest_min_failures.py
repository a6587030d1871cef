"""`min_failures` in the backtest agrees with Prometheus: blips of a quiet service page nobody, an outage pages.

A server of its own on tests/live/blips.py's day (one request a minute):
the backtest of the default alerts, guarded and with `--min-failures 0`,
each checked by the real promtool against the rules `slo build` writes for
that version, at every firing and every withheld stretch.
"""

from __future__ import annotations

from pathlib import Path

import blips
import pytest

from slocompiler.live.backtest.model import with_min_failures
from slocompiler.live.backtest.run import Range, run
from slocompiler.live.client import Connection, Prometheus
from slocompiler.workflow.compile import load

from . import server
from .backtest_checks import STEP, promtool_checks, run_promtool

SPEC = Path(__file__).parent / "backtest" / "quiet"
MINUTES, FAILED, OUTAGE = blips.day()
START, END = blips.ORIGIN + 10 * STEP, blips.ORIGIN + MINUTES * STEP


def at(minute: int) -> int:
    return blips.ORIGIN + minute * STEP


@pytest.fixture(scope="module")
def quiet_url(tmp_path_factory, prometheus_url):
    """A second server on the quiet day alone (it needs the first only for its CI-or-skip rule)."""
    binary, promtool = server.find_binaries()
    directory = tmp_path_factory.mktemp("quiet")
    lines = blips.openmetrics(blips.counters(MINUTES, FAILED, OUTAGE))
    running = server.Server(binary, server.build_tsdb(directory, promtool, lines), directory)
    yield running.url
    running.stop()


@pytest.fixture(scope="module")
def replays(quiet_url):
    """{"guarded": (program, replay), "unguarded": (program with min_failures 0 on pages, replay)}."""
    guarded = load([str(SPEC)]).program
    assert guarded is not None
    out = {}
    with Prometheus(Connection(quiet_url)) as client:
        for name, program in (("guarded", guarded), ("unguarded", with_min_failures(guarded, 0))):
            (found,) = run(program, client, Range(START, END, STEP))
            out[name] = program, found
    return out


def test_blips_page_nobody_and_the_outage_pages(replays):
    _, guarded = replays["guarded"]
    _, unguarded = replays["unguarded"]
    (page,) = guarded.pages
    assert at(OUTAGE[0]) < page[0] <= at(OUTAGE[-1]), "the outage pages, once it has counted 10 failures"
    # Unguarded, each blip (the single failures, and the two 2 minutes apart) pages within a minute or two.
    blip_pages = [p for p in unguarded.pages if p[1] < at(OUTAGE[0])]
    assert [p[0] for p in blip_pages] == [at(3 * 60 + 1), at(6 * 60 + 1), at(10 * 60 + 1)]
    # The guarded replay shows exactly those as saved, each with the failures it stood for.
    assert [(w.start, w.end) for w in guarded.saved] == blip_pages
    # The 1h pair counts the one failure (5 rates of 1/300 x 300 / the 5 samples in 299s); at the second and the
    # third blip the 6h pair holds too, over the three failures in its 6 hours.
    assert [round(w.failures, 2) for w in guarded.saved] == [1.0, 3.0, 3.0]
    # The outage page came later than unguarded (withheld while fewer than 10 failures were counted).
    (outage_page,) = [p for p in unguarded.pages if p[1] >= at(OUTAGE[0])]
    late = [w for w in guarded.rules[0].withheld if w.start == outage_page[0]]
    assert late and late[0].end + STEP == page[0] and late[0].failures < 10


@pytest.mark.parametrize("version", ["guarded", "unguarded"])
def test_the_rules_agree_with_the_backtest(replays, version, promtool, tmp_path):
    program, found = replays[version]
    text, checks, firing = promtool_checks(program.services[0], [found], START, END, blips.ORIGIN)
    name = program.services[0].slos[0].alerting.name
    asked = [(int(k["eval_time"][:-1]) + blips.ORIGIN, k["exp_alerts"]) for k in checks if k["alertname"] == name]
    quiet = {t for t, alerts in asked if not any(a["exp_labels"]["severity"] == "page" for a in alerts)}
    if version == "guarded":
        # The checks ask "nothing pages" inside every blip the unguarded rules page at: this test can fail.
        _, unguarded = replays["unguarded"]
        for first, last in unguarded.pages[:3]:
            assert {first, last} <= quiet
    assert firing >= 3
    inputs = [{"series": series, "values": " ".join(repr(v) for v in samples)}
              for series, samples in blips.counters(MINUTES, FAILED, OUTAGE).items()]
    result = run_promtool(promtool, tmp_path, text, inputs, checks)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
