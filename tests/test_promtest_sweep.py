"""The compiler's own promtool cases pass on specs that mix calendar windows, slices, composites and maintenance.

Each file of tests/promtest_sweep/ is built, and one `promtool test rules`
runs the generated cases where these meet (maintenance, composites, calendar
periods; the plain burn-rate cases are proven by tests/test_prometheus_promtool.py
and take most of promtool's time): a prediction that ignores a period start,
a slice member or a window at promtool's time 0 fails here (review of issue 25).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from slocompiler.workflow.compile import load
from slocompiler.emit.prometheus import emit

SWEEP = Path(__file__).resolve().parent / "promtest_sweep"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    for spec in sorted(SWEEP.glob("*.slo")):
        loaded = load([str(spec)])
        assert loaded.program is not None, loaded.diagnostics
        for path, text in emit(loaded.program).items():
            target = folder / spec.stem / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return folder


# The cases where maintenance, composites and calendar periods meet, by their generated names.
WHERE_THEY_MEET = ("maintenance", "pages the composite", "pages the member", "the calendar", "the period ratio")


def meeting_cases(path: Path) -> Path:
    """A copy of one generated test file beside it, with only the cases where the features meet."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["tests"] = [case for case in document["tests"] if any(word in case["name"] for word in WHERE_THEY_MEET)]
    kept = path.with_name(path.name.replace(".test.yml", ".meet.test.yml"))
    kept.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return kept


def test_every_generated_case_passes_promtool(built, promtool) -> None:
    tests = [meeting_cases(path) for path in sorted(built.glob("*/prometheus/*.test.yml"))]
    assert len(tests) == 5
    names = [case["name"] for path in tests for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]]
    assert len(names) >= 10, names
    result = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_sweep_has_cases_of_each_kind(built) -> None:
    """Not all left out: the period start case, a slice SLO's and the mix's calendar SLOs are there."""
    period = (built / "period_start" / "prometheus" / "cal.test.yml").read_text(encoding="utf-8")
    assert "cal-day: a full outage pages and spends budget; inside the maintenance window" in period
    assert 'count(slo:period_error_budget_remaining:ratio{slo_id="cal-day"} < 1)' in period
    ny = (built / "mix" / "prometheus" / "ny.test.yml").read_text(encoding="utf-8")
    assert "- name: ny-week" in ny or "name: 'ny-week" in ny or "ny-week:" in ny
