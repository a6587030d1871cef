"""Running live commands in process, and expected figures from history.py and the IR."""

from __future__ import annotations

import json
from pathlib import Path

import history
from click.testing import CliRunner

from slocompiler.cli import cli
from slocompiler.core.conventions import DERIVED_WINDOW_FROM

SPECS = str(Path(__file__).resolve().parent / "specs")


def run(*args: str):
    """`slo <args>` in process; the Result (stdout, stderr, exit_code)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def strict_json(text: str):
    """JSON as a strict reader takes it: NaN and Infinity are not JSON (OUTPUTS.md: numbers are finite)."""
    def refuse(constant: str):
        raise AssertionError(f"{constant} in the JSON output")

    return json.loads(text, parse_constant=refuse)


def status_json(url: str, *extra: str) -> list[dict]:
    """`slo status --format json` of the test specs at history.AT."""
    result = run("status", SPECS, "--prometheus", url, "--at", str(history.AT), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def program():
    """The test specs' IR."""
    from slocompiler.workflow.compile import load

    loaded = load([SPECS])
    assert loaded.program is not None, loaded.diagnostics
    return loaded.program


def expected_ratio(slo_id: str, group: dict[str, str], window: int, period: bool = False) -> float:
    """The error ratio history.py's counts give for an SLO over a window ending at AT (`period`: as the period rule weighs it)."""
    if period:
        return history.period_ratio(lambda m: minute_counts(slo_id, group, m), history.AT, window)
    if window >= DERIVED_WINDOW_FROM:
        # Derived from the 5m rates, as the rules compute it (history.derived_weights).
        return history.period_ratio(lambda m: minute_counts(slo_id, group, m), history.AT, window, history.derived_weights)
    if slo_id == "checkout-latency":
        return history.latency_ratio(history.AT, window, "0.25")
    job, regions = _job(slo_id, group)
    return history.window_ratio(job, regions, history.AT, window)


def _job(slo_id: str, group: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The job and regions an SLO of specs/shop.slo reads."""
    if slo_id == "held-us":
        return "checkout", ("us",)
    job = slo_id.split("-")[0]
    return job, (group["region"],) if group else tuple(r for j, r in history.BASE if j == job)


def minute_counts(slo_id: str, group: dict[str, str], m: int) -> tuple[float, float]:
    """(bad, total) events of an SLO in minute m."""
    if slo_id == "checkout-latency":
        total = sum(history.total_at("checkout", r, m) for r in history.REGIONS)
        return total * (1 - history.bucket_share("0.25", m)), total
    job, regions = _job(slo_id, group)
    return sum(history.bad_at(job, r, m) for r in regions), sum(history.total_at(job, r, m) for r in regions)
