"""Windows derived from recorded 5m rates against the same windows read from raw series, through promtool.

A day and a half of uneven traffic (a daily swing, noise, bursts) with a slow
degradation and a hard outage. Three claims of docs/PROMETHEUS.md ("Long
windows from recorded rates"): the tiled windows (30m, 1h) equal the
raw-series ratios, the derived ones (2h on) stay within a stated tolerance of
them, and each alert fires no later than one evaluation after the same alert
written on raw series.

The rule evaluation over the 36 hours is what costs (~28 s of promtool's CPU,
the checks a few), so every check of the generated rules, including the
deliberately too tight ratio bound that must fail, runs in one promtool test
group, and each test reads its own checks' failures from promtool's report.
"""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from behaviour import slos
from promtool_report import failed_exprs, run_side_by_side, seconds

from slocompiler.core import conventions as c
from slocompiler.core import queries, sremath
from slocompiler.core.ir import Condition
from slocompiler.core.units import decimal_text, prom_window
from slocompiler.emit.rules import recorded_windows, rules_yaml

# On one worker: its module fixture runs every check in one promtool run (split across two, both would).
pytestmark = pytest.mark.xdist_group("promtool-derived")

STEP = 60
MINUTES = 36 * 60
# The SRE Workbook's four window pairs: 2h, 6h, 1d and 3d are derived.
PAIRS = (("page", "14.4", 3600, 300), ("page", "6", 6 * 3600, 1800),
         ("ticket", "3", 86400, 7200), ("ticket", "1", 3 * 86400, 6 * 3600))
SLO = slos.slo(
    group_by=("route",),
    indicator=slos.ratio('http_requests_total{job="demo", code=~"5.."}', 'http_requests_total{job="demo"}'),
    conditions=tuple(Condition(sev, Decimal(burn), None, long, short, None, (), (), slos.SPAN)
                     for sev, burn, long, short in PAIRS),
)
SERVICE = slos.program(SLO, runbook=None).services[0]
# A degradation that burns ~10x (the 6h/30m page and the tickets, not the 1h/5m
# page), then a hard outage.
DEGRADED = (20 * 60, 23 * 60, 0.01)
OUTAGE = (30 * 60, 30 * 60 + 15, 0.3)
DERIVED = sorted(w for w in recorded_windows(SERVICE, SLO) if w >= c.DERIVED_WINDOW_FROM)
TILED = sorted(w for w in recorded_windows(SERVICE, SLO) if queries.tiles(w))
# |derived - raw| <= RELATIVE x raw + EDGE x (2.5m / W): see test_derived_ratios_stay_near_raw.
RELATIVE = 0.01
EDGE = 0.15


def traffic(route: str) -> list[tuple[float, float]]:
    """(bad, total) requests in each minute of one route: uneven, with bursts, the degradation and the outage."""
    rng = random.Random(f"derived-{route}")
    scale = {"a": 1000.0, "b": 150.0}[route]
    minutes = []
    for m in range(MINUTES):
        total = scale * (1 + 0.8 * math.sin(2 * math.pi * m / 1440)) * rng.uniform(0.7, 1.3)
        if m % 240 < 10:
            total *= 6  # a burst every 4 hours
        ratio = 0.0005
        for start, end, worse in (DEGRADED, OUTAGE):
            if start <= m < end:
                ratio = worse
        minutes.append((round(total * ratio), round(total)))
    return minutes


def input_series() -> list[dict]:
    series = []
    for route in ("a", "b"):
        bad = good = 0
        bads, goods = ["0"], ["0"]
        for b, t in traffic(route):
            bad += b
            good += t - b
            bads.append(str(bad))
            goods.append(str(good))
        labels = f'job="demo", route="{route}"'
        series.append({"series": f'http_requests_total{{{labels}, code="500"}}', "values": " ".join(bads)})
        series.append({"series": f'http_requests_total{{{labels}, code="200"}}', "values": " ".join(goods)})
    return series


def raw_alert_rules() -> list[dict]:
    """The SLO's alerts written on raw-series ratios (`rate` over each window), renamed `Raw...`."""
    rules = []
    for severity in ("page", "ticket"):
        pairs = []
        for condition in SLO.alerting.conditions:
            if condition.severity != severity:
                continue
            threshold = decimal_text(sremath.threshold(condition.burn, SLO.objective))
            long, short = (queries.error_ratio(SLO.indicator, w, SLO.group_by) for w in (condition.long, condition.short))
            pairs.append(f"(({long}) > {threshold} and ({short}) > {threshold})")
        rules.append({"alert": "RawBurn", "expr": "\nor\n".join(pairs), "labels": {"severity": severity}})
    return rules


def _evaluations(start: int, end: int, every: int) -> range:
    return range(start * STEP, end * STEP + 1, every)


def write_test(directory: Path, rules: str, checks: list[dict]) -> Path:
    """Write the rules, the raw alerts and a test file of `checks` on the scenario's series into `directory`."""
    (directory / "rules.yml").write_text(rules, encoding="utf-8")
    raw = {"groups": [{"name": "raw", "rules": raw_alert_rules()}]}
    (directory / "raw.yml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    test = {
        "rule_files": ["rules.yml", "raw.yml"],
        "evaluation_interval": prom_window(STEP),
        "tests": [{"interval": prom_window(STEP), "input_series": input_series(), "promql_expr_test": checks}],
    }
    (directory / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False, width=1 << 20), encoding="utf-8")
    return directory


def ratio_checks(relative: float = RELATIVE, edge: float = EDGE, windows: list[int] = DERIVED,
                 full: bool = False) -> list[dict]:
    """At every 5 minutes, every window given: the samples where recorded and raw differ by more than allowed.

    From the 10th minute of history on, or with `full` once the window is full of recorded rates.
    """
    checks = []
    for window in windows:
        first = window // STEP + 5 if full else 10
        derived = queries.recorded(c.error_ratio_rule(window), SLO.id)
        raw = queries.error_ratio(SLO.indicator, window, SLO.group_by)
        allowed = f"{relative} * raw + {edge * queries.DERIVED_EDGE / window:.6g}"
        expr = (f"abs({derived} - on (route) ({raw})) > on (route) "
                f"({allowed.replace('raw', f'({raw})')})")
        for t in _evaluations(first, MINUTES, 300):
            checks.append({"expr": expr, "eval_time": prom_window(t), "exp_samples": []})
    return checks


def timing_checks() -> list[dict]:
    """At every evaluation from the degradation on: an alert the raw rules began to fire a minute ago fires derived.

    "Began": firing then, not the minute before. Derived fires then or now, no
    later than one evaluation after the raw alert.
    """
    raw = 'ALERTS{alertname="RawBurn", alertstate="firing"}'
    derived = f'ALERTS{{alertname="{SLO.alerting.name}", alertstate="firing"}}'
    late = (f"(({raw} offset 1m) unless on (route, severity) ({raw} offset 2m)) "
            f"unless on (route, severity) ({derived} or {derived} offset 1m)")
    checks = [{"expr": late, "eval_time": prom_window(t), "exp_samples": []}
              for t in _evaluations(DEGRADED[0] - 5, OUTAGE[1] + 30, STEP)]
    # Not vacuous: the raw alerts do fire, page and ticket, on both routes.
    for minute, severity in ((DEGRADED[1] - 1, "page"), (OUTAGE[0] + 10, "ticket"), (OUTAGE[0] + 10, "page")):
        checks.append({
            "expr": f'count by (severity) (ALERTS{{alertname="RawBurn", alertstate="firing", severity="{severity}"}})',
            "eval_time": prom_window(minute * STEP),
            "exp_samples": [{"labels": f'{{severity="{severity}"}}', "value": 2}],
        })
    return checks


def tiled_checks() -> list[dict]:
    """Tiled windows equal raw (to 1e-9) once full; before, derived stand in, held to their tolerance; never missing."""
    checks = ratio_checks(1e-9, 0.0, TILED, full=True) + ratio_checks(windows=TILED)
    # The comparisons pass on a missing ratio: check the ratios exist from the 10th minute.
    return checks + [{"expr": f"absent({queries.recorded(c.error_ratio_rule(window), SLO.id)})",
                      "eval_time": prom_window(t), "exp_samples": []}
                     for window in TILED for t in _evaluations(10, window // STEP + 5, 300)]


def key(check: dict) -> tuple[str, float]:
    return check["expr"], seconds(check["eval_time"])


def tile_missing(text: str) -> str:
    """The rules with the 30m and 1h windows one 5m tile short."""
    broken = "".join(line for line in text.splitlines(keepends=True) if not line.rstrip().endswith(" offset 25m"))
    assert broken != text
    return broken


def plain_sum(text: str) -> str:
    """The rules with derived windows as a plain sum of 5m rates (no latest-rate term), which lags 2.5 minutes."""
    broken = text.replace(" - 1, 0) or ", " * 0, 0) or ")
    assert broken != text
    return broken


@pytest.fixture(scope="module")
def generated_rules_checked(tmp_path_factory, promtool) -> dict[str, dict]:
    """The failures of each kind of check on the generated rules (ratio, tiled, timing, too-tight ratio) and on two mutants.

    The generated rules' checks share one promtool run; the mutants (other rules) run beside it.
    """
    kinds = {"ratio": ratio_checks(), "tiled": tiled_checks(), "timing": timing_checks(),
             "tight": ratio_checks(relative=0.02, edge=0.0)}
    keys = {kind: {key(check) for check in checks} for kind, checks in kinds.items()}
    # A failure is told apart by its expression and time: no check may be of two kinds.
    assert sum(map(len, keys.values())) == len(set().union(*keys.values()))
    text = rules_yaml(SERVICE)
    generated = write_test(tmp_path_factory.mktemp("derived"), text, [check for kind in kinds.values() for check in kind])
    # A mutant need only fail, and promtool replays the rules up to its last check: the plain sum's lag shows at
    # the degradation's alerts, a missing tile as soon as the 30m window is full (the burst at 4h is in reach).
    lagging = [check for check in kinds["timing"] if seconds(check["eval_time"]) <= (DEGRADED[1] + 30) * STEP]
    mutant = write_test(tmp_path_factory.mktemp("plain-sum"), plain_sum(text), lagging)
    early = [check for check in ratio_checks(1e-9, 0.0, TILED, True) if seconds(check["eval_time"]) <= 5 * 3600]
    short = write_test(tmp_path_factory.mktemp("tile-missing"), tile_missing(text), early)
    runs = [([promtool, "test", "rules", "test.yml"], directory) for directory in (generated, mutant, short)]
    results = run_side_by_side(runs)
    failed = failed_exprs(results[0], "test.yml")
    return {**{kind: {k: report for k, report in failed.items() if k in keys[kind]} for kind in kinds},
            "plain sum": failed_exprs(results[1], "test.yml"), "tile missing": failed_exprs(results[2], "test.yml")}


def _report(failed: dict) -> str:
    return f"{len(failed)} failing checks, the first ones:\n" + "\n".join(list(failed.values())[:5])[-6000:]


def test_the_scenario_uses_derived_and_tiled_windows():
    assert [prom_window(w) for w in DERIVED] == ["2h", "6h", "1d", "3d"]
    assert [prom_window(w) for w in TILED] == ["30m", "1h"]
    text = rules_yaml(SERVICE)
    assert "[21450s]" in text and " offset 55m\n" in text
    # Raw series are read over 5m only; nothing is read over a window's own length (the page's hold reads the 1h
    # ratio at the instant: it keeps what was recorded within the hour).
    assert not re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\{[^}]*\}\[(30m|1h|3d)\]", text)


def test_tiled_ratios_equal_raw(generated_rules_checked):
    """The 30m and 1h windows, sums of the 5m rates at 5-minute steps, equal the raw ratios (to 1e-9).

    On samples a whole number of minutes apart, as here, each 5m rate counts
    the increase between two samples 5 minutes apart (Prometheus 2.x ranges
    include both ends), so the sum telescopes to the window's increase: the
    same figure as `rate` over the window. Once the window is full of
    recorded rates; before, the derived sum stands in, held to the derived
    windows' tolerance from the 10th minute on, and the ratios exist.
    """
    assert not generated_rules_checked["tiled"], _report(generated_rules_checked["tiled"])


def test_the_tiled_check_catches_a_missing_tile(generated_rules_checked):
    assert generated_rules_checked["tile missing"]


def test_derived_ratios_stay_near_raw(generated_rules_checked):
    """Derived and raw window ratios agree within 1% of the ratio plus 0.15 x 2.5m/W.

    A derived window weighs the events of its newest 5 minutes by 0.5 to 1.5
    and those of the 5 minutes around its far end by 1 to 0 (the raw window by
    1 and 0): at most the events of 2.5 minutes are weighed differently. So
    the error ratio can move by about (error ratio in those minutes) x (their
    share of the window's traffic), which for an outage edge (30% errors,
    bursts of 6x) in a 2h window is a few thousandths. The stated bound,
    0.15 x 2.5m/W (0.003 for 2h, 0.00026 for 1d) plus 1% of the ratio (raw
    `rate` extrapolates at its window's edges, derived windows do not), holds
    at every 5 minutes of this history, outage edges included; the tightest
    bound it passed was 0.1 x 2.5m/W + 0.5%, and with no allowance for the
    edges (2% of the ratio alone) it fails.
    """
    assert not generated_rules_checked["ratio"], _report(generated_rules_checked["ratio"])


def test_derived_alerts_fire_no_later_than_one_evaluation_after_raw(generated_rules_checked):
    assert not generated_rules_checked["timing"], _report(generated_rules_checked["timing"])


def test_the_timing_check_catches_a_plain_sum(generated_rules_checked):
    """A plain sum of 5m rates (no latest-rate term) lags 2.5 minutes: the timing check catches it."""
    assert generated_rules_checked["plain sum"]


def test_the_ratio_check_catches_a_bound_with_no_allowance_for_the_edges(generated_rules_checked):
    """Derived windows held to 2% of the ratio, with no allowance for their edges, fail the ratio check."""
    assert generated_rules_checked["tight"]
