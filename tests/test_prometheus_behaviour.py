"""Behaviour of the generated rules, proven by hand-written promtool unit tests in tests/behaviour/."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from behaviour import slos
from promtool_report import run_side_by_side

from slocompiler.core.ir import Program
from slocompiler.emit.rules import rules_yaml

# On one worker: its module fixture runs every behaviour file and mutant in one go (split across two, both would).
pytestmark = pytest.mark.xdist_group("promtool-behaviour")

HERE = Path(__file__).resolve().parent / "behaviour"
# Alert annotations fixed by the spec, so the hand-written tests need not
# repeat the generated prose (test_prometheus.py checks that separately).
NOTES = (("summary", "SLO burn"), ("description", "see the dashboard"))
# The same, and the window pairs too: for the files that are not about them.
ALL_NOTES = NOTES + (("windows", "see the rules"),)


def _availability(**kwargs) -> slos.Slo:
    return slos.slo(alerting_annotations=ALL_NOTES, **kwargs)


PROGRAMS: dict[str, Program] = {
    "outage": slos.program(slos.slo(alerting_annotations=NOTES), runbook=None),
    "budget": slos.program(_availability(), runbook=None),
    "scaling": slos.program(_availability(name="monthly", window=28 * slos.DAY), runbook=None),
    "traffic": slos.program(_availability(), runbook=None),
    "gate": slos.program(
        _availability(),
        _availability(name="by-route", group_by=("route",),
                      indicator=slos.ratio('api_requests_total{job="demo", code=~"5.."}', 'api_requests_total{job="demo"}')),
        runbook=None,
        policy=slos.policy(("burn_rate", ">", "2", 2 * slos.DAY), ("burn_rate", ">=", "1", 12 * 3600),
                           ("budget_remaining", "<", "0.5", None)),
    ),
    "windows": slos.program(
        _availability(name="weekly", window=7 * slos.DAY),
        _availability(name="daily", window=slos.DAY),
        runbook=None,
    ),
    "noerrors": slos.program(
        _availability(),
        _availability(
            name="by-route",
            group_by=("route",),
            indicator=slos.ratio('api_requests_total{job="demo", code=~"5.."}', 'api_requests_total{job="demo"}'),
        ),
        runbook=None,
    ),
    "idle": slos.program(
        _availability(name="jobs", objective="0.99", window=slos.DAY, indicator=slos.expr(
            'sum(rate(jobs_failed_total{job="demo"}[$window])) / sum(rate(jobs_total{job="demo"}[$window]))'
        )),
        runbook=None,
    ),
    "summary": slos.program(
        slos.slo(
            name="by-route", group_by=("route",), alerting_annotations=ALL_NOTES[1:],
            indicator=slos.ratio('api_requests_total{job="demo", code=~"5.."}', 'api_requests_total{job="demo"}'),
        ),
        runbook=None,
    ),
    "latency": slos.program(
        _availability(name="fast", objective="0.99", indicator=slos.latency(le="1")),
        _availability(name="half", objective="0.99", indicator=slos.latency(le="0.5")),
        runbook=None,
    ),
}


def write_case(name: str, directory: Path, mutate=lambda text: text) -> Path:
    """Write the rules of PROGRAMS[name] (through `mutate`) next to a copy of its test file, `test.yml`."""
    service = PROGRAMS[name].services[0]
    (directory / "rules.yml").write_text(mutate(rules_yaml(service)), encoding="utf-8")
    shutil.copy(HERE / f"{name}.test.yml", directory / "test.yml")
    return directory


@pytest.fixture(scope="module")
def results(tmp_path_factory, promtool) -> dict[str, subprocess.CompletedProcess]:
    """promtool's result on each behaviour file (by name) and each mutant (by mutant), all run side by side."""
    runs = {name: write_case(name, tmp_path_factory.mktemp(name)) for name in sorted(PROGRAMS)}
    for mutant, (name, mutate, _) in sorted(MUTANTS.items()):
        original = rules_yaml(PROGRAMS[name].services[0])
        assert mutate(original) != original, f"the mutation {mutant} did not apply"
        assert mutant not in runs
        runs[mutant] = write_case(name, tmp_path_factory.mktemp("mutant"), mutate)
    done = run_side_by_side([([promtool, "test", "rules", "test.yml"], directory) for directory in runs.values()], timeout=300)
    return dict(zip(runs, done, strict=True))


def test_every_behaviour_file_has_a_program():
    assert sorted(p.name.removesuffix(".test.yml") for p in HERE.glob("*.test.yml")) == sorted(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_behaviour(name, results):
    result = results[name]
    assert result.returncode == 0, result.stdout + result.stderr


def _time_weighted(text: str) -> str:
    # The naive period ratio: an average of 5m ratios instead of bad / all events.
    return re.sub(
        r"sum_over_time\(slo:sli_events_bad:rate5m(\{[^}]*\})\[30d\]\)\n\s*/\n\s*sum_over_time\([^\n]*\)",
        r"avg_over_time(slo:sli_error:ratio_rate5m\1[30d])",
        text,
    )


MUTANTS = {
    # Loosen the 1h page: 1m into the outage the 1h ratio is 0.0167, under 0.017.
    "looser page": ("outage", lambda text: text.replace("> 0.0144", "> 0.017"), "6h1m"),
    "time-weighted period ratio": ("traffic", _time_weighted, "slo:period_burn_rate:ratio"),
    # A group value spliced into the template query with plain quotes: the route named with a quote breaks it.
    "group value quoted naively": ("summary", lambda text: text.replace("%[1]q", '"%[1]s"'), "error calling query"),
    # Template queries not restricted to the alert's group: each route's summary may read another's series.
    "summary reads every group": ("summary", lambda text: text.replace(", route=%[1]q", ""), "summary"),
    "missing error series give no data": ("noerrors", lambda text: re.sub(r" or on \([^)]*\) 0 \* slo:sli_events_total:rate5m\{[^}]*\}", "", text), "ratio_rate5m"),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_behaviour_tests_catch(mutant, results):
    """Each behaviour file fails on rules with the bug it guards against: the tests are not vacuous."""
    _, _, where = MUTANTS[mutant]
    result = results[mutant]
    assert result.returncode != 0
    assert where in result.stdout + result.stderr
