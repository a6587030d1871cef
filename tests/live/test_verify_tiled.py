"""`slo verify` on a tiled window (1h) whose counters are scraped off the rules' evaluation grid, on a real server.

The deployed 1h ratio is what the rule computes: the raw 5m rates at the
rule's time and every 5 minutes back, added up (written here as hand-made
`offset` queries). With 30s scrapes 10s off the grid and sparse errors that
differs from `rate()` over 1h by far more than verify's 1%, so verify must
compare tile for tile, at the deployed sample's time, or it calls correct
rules stale.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import server
from helpers import run

from slocompiler.live.client import Connection, Prometheus

START = 1_699_920_000
WHEN = START + 3 * 3600  # the deployed sample's time, a rule evaluation
SCRAPE, PHASE = 30, 10
ERRORS = 'http_requests_total{job="tiles", code=~"5.."}'
TOTAL = 'http_requests_total{job="tiles"}'
INDICATOR = """    objective = 99.9%
    indicator ratio {
      errors = `http_requests_total{job="tiles", code=~"5.."}`
      total  = `http_requests_total{job="tiles"}`
    }"""
# Two SLOs of one indicator: `availability` deployed as the rule computes, `skewed` 1.5 times that.
SPEC = f"service tiles {{\n  slo availability {{\n{INDICATOR}\n  }}\n  slo skewed {{\n{INDICATOR}\n  }}\n}}\n"


def raw_lines() -> list[str]:
    """Four hours of ~10 requests a second with ~0.2% errors, in bursts, scraped every 30s from 10s past."""
    rng = random.Random(7)
    lines = ["# TYPE http_requests counter\n"]
    bad = good = 0
    samples = []
    for t in range(START + PHASE, START + 4 * 3600, SCRAPE):
        samples.append((t, bad, good))
        errors = rng.choice((0, 0, 0, 0, 0, 1, 3))
        bad += errors
        good += rng.randint(250, 350) - errors
    for code, index in (("500", 1), ("200", 2)):
        lines += [f'http_requests_total{{job="tiles",code="{code}"}} {s[index]} {s[0]}\n' for s in samples]
    return lines


def tiles(selector: str) -> str:
    """The sum of the 5m rates now and every 5 minutes back over 1h, written out with offsets."""
    return " + ".join(f"sum(rate({selector}[5m]{f' offset {5 * k}m' if k else ''}))" for k in range(12))


def start(directory: Path, lines: list[str]) -> server.Server:
    """A server on `lines` of OpenMetrics; fails in CI without prometheus, as the session fixture does."""
    binary, promtool = server.find_binaries()
    if not binary or not promtool:
        if os.environ.get("CI"):
            pytest.fail("prometheus and promtool are required in CI (apt-get install prometheus)")
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    directory.mkdir()
    return server.Server(binary, server.build_tsdb(directory, promtool, lines + ["# EOF\n"]), directory)


def test_verify_compares_a_tiled_window_tile_for_tile(tmp_path):
    first = start(tmp_path / "raw", raw_lines())
    try:
        client = Prometheus(Connection(first.url))
        deployed = client.query(f"({tiles(ERRORS)}) / ({tiles(TOTAL)})", WHEN)[0].value
        plain = client.query(f"sum(rate({ERRORS}[1h])) / sum(rate({TOTAL}[1h]))", WHEN + 20)[0].value
        client.close()
    finally:
        first.stop()
    # The scenario: `rate()` over 1h at --at is more than verify's 1% away from the rule's figure.
    assert abs(plain - deployed) > 0.01 * deployed, (plain, deployed)
    lines = raw_lines() + [
        f'slo:sli_error:ratio_rate1h{{slo_id="tiles-{slo}",slo_service="tiles",slo_name="{slo}"}} {value!r} {t}\n'
        for slo, value in (("availability", deployed), ("skewed", 1.5 * deployed)) for t in (WHEN - 60, WHEN)]
    second = start(tmp_path / "deployed", lines)
    try:
        (tmp_path / "specs").mkdir()
        (tmp_path / "specs" / "tiles.slo").write_text(SPEC, encoding="utf-8")
        result = run("verify", str(tmp_path / "specs"), "--prometheus", second.url, "--at", str(WHEN + 20))
    finally:
        second.stop()
    stale = [line for line in result.stderr.splitlines() if "compute something else" in line]
    assert len(stale) == 1 and "ratio_rate1h of tiles-skewed" in stale[0], result.stderr
