"""`slo backtest` end to end against the real server: the contract's JSON, reports, --against, --svg, errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import history
from click.testing import CliRunner

from slocompiler.cli import cli

SPECS = Path(__file__).parent / "backtest"
FROM = history.START + 7 * 86400
TO = history.START + 9 * 86400 + 18 * 3600
# checkout-availability's default page: 14.4x a 0.001 budget.
PAGE_LIMIT = 0.0144


def backtest(*args: str):
    return CliRunner().invoke(cli, ["backtest", *args], catch_exceptions=False)


def replay(url: str, spec: str, *extra: str):
    return backtest(str(SPECS / spec), "--prometheus", url, "--from", str(FROM), "--to", str(TO), *extra)


def test_json_is_the_contract_shape(prometheus_url):
    result = replay(prometheus_url, "shop.slo", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    plain = next(r for r in report if r["slo_id"] == "checkout-availability")
    assert list(plain) == ["slo_id", "from", "to", "step", "alerts", "error_budget_remaining_at_end"]
    assert (plain["from"], plain["to"], plain["step"]) == (FROM, TO, 60)
    assert [(a["severity"], a["long"], a["short"]) for a in plain["alerts"]] == [
        ("page", "1h", "5m"), ("page", "6h", "30m"), ("ticket", "3d", "6h")]
    assert all(a["alert"] == "CheckoutAvailabilityErrorBudgetBurn" for a in plain["alerts"])
    page = plain["alerts"][0]["fired"]
    assert page and all(FROM <= start <= end <= TO for start, end in page)
    grouped = [r for r in report if r["slo_id"] == "checkout-regional"]
    assert [r["group"] for r in grouped] == [{"region": "eu"}, {"region": "us"}]
    assert isinstance(plain["error_budget_remaining_at_end"], float)


def test_incidents_start_where_the_5m_burn_crosses_the_fastest_page(prometheus_url):
    result = replay(prometheus_url, "default", "--format", "markdown")
    assert result.exit_code == 0, result.output
    # Independently: the first minute of day 8's outage at which the 5m ratio exceeds 14.4x.
    outage = history.START + 8 * 86400 + 14 * 3600
    crossing = next(t for t in range(outage, outage + 3600, 60)
                    if history.window_ratio("checkout", history.REGIONS, t, 300) > PAGE_LIMIT)
    from slocompiler.live.backtest.report import when

    assert f"| {when(crossing)} |" in result.output
    assert "## `checkout-availability`" in result.output


def test_text_report(prometheus_url):
    result = replay(prometheus_url, "default")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "checkout-availability"
    assert lines[2].startswith("  pages 2 (")
    assert "incidents 2 (burn above 14.4x over 5m), missed 0; noise pages 0" in result.output


def test_against_puts_two_versions_side_by_side(prometheus_url):
    result = replay(prometheus_url, "looser", "--against", str(SPECS / "default"))
    assert result.exit_code == 0, result.output
    assert "changed: pages 2 → 1" in result.output
    assert "missed" in result.output  # the looser page sleeps through day 9's 36x burn


def test_svg_timeline(prometheus_url, tmp_path):
    target = tmp_path / "timeline.svg"
    result = replay(prometheus_url, "shop.slo", "--svg", str(target))
    assert result.exit_code == 0, result.output
    root = ElementTree.parse(target).getroot()
    rects = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(rects) > 10  # background, frames, incidents and firing intervals
    assert "checkout-regional {region=&quot;eu&quot;}" in target.read_text() or 'region="eu"' in target.read_text()


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    return lines[-1]


def test_to_before_from_is_a_usage_error(prometheus_url):
    result = backtest(str(SPECS / "default"), "--prometheus", prometheus_url, "--from", str(TO), "--to", str(FROM))
    assert "--to must be after --from" in one_line_error(result, 2)


def test_unparseable_time_is_a_usage_error(prometheus_url):
    result = backtest(str(SPECS / "default"), "--prometheus", prometheus_url, "--from", "yesterday", "--to", str(TO))
    assert "neither RFC 3339" in one_line_error(result, 2)


def test_bad_step_is_a_usage_error(prometheus_url):
    result = replay(prometheus_url, "default", "--step", "1.5m")
    assert "whole seconds" in one_line_error(result, 2)


def test_too_many_evaluations_is_a_usage_error():
    result = backtest(str(SPECS / "default"), "--prometheus", "http://127.0.0.1:1", "--from", "0", "--to", str(400 * 86400),
                      "--step", "30s")
    assert "more than 1,000,000; use a larger --step" in one_line_error(result, 2)


def test_range_before_the_data_says_what_is_missing(prometheus_url):
    early = history.START - 2 * 86400
    result = backtest(str(SPECS / "default"), "--prometheus", prometheus_url, "--from", str(early), "--to", str(TO))
    line = one_line_error(result, 3)
    assert line.startswith("error: checkout-availability: the server has no data before 2023-11-14 00:0")
    assert "earlier" in line


def test_range_after_the_data(prometheus_url):
    late = history.START + (history.DAYS + 2) * 86400
    result = backtest(str(SPECS / "default"), "--prometheus", prometheus_url, "--from", str(FROM), "--to", str(late))
    assert "no data after 2023-11-24 00:0" in one_line_error(result, 3)


def test_unreachable_server():
    result = backtest(str(SPECS / "default"), "--prometheus", "http://127.0.0.1:1", "--from", str(FROM), "--to", str(TO))
    assert one_line_error(result, 3).startswith("error: cannot reach Prometheus at http://127.0.0.1:1")


def test_the_readme_example_is_what_the_command_prints(prometheus_url):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    command = "$ slo backtest tests/live/backtest/default --prometheus $URL --from 2023-11-17T00:00:00Z --to 2023-11-24T00:00:00Z\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    result = backtest(str(SPECS / "default"), "--prometheus", prometheus_url,
                      "--from", "2023-11-17T00:00:00Z", "--to", "2023-11-24T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert result.output == shown


def test_svg_where_it_cannot_be_written_is_one_line(prometheus_url, tmp_path):
    result = replay(prometheus_url, "shop.slo", "--svg", str(tmp_path / "missing" / "timeline.svg"))
    assert result.exit_code == 2 and "--svg" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_no_path_reads_the_projects_specs(tmp_path, monkeypatch):
    """Like check and build: with no PATH, the `specs` of `[tool.slocompiler]`, not ./specs."""
    (tmp_path / "pyproject.toml").write_text('[tool.slocompiler]\nspecs = ["slos"]\n', encoding="utf-8")
    (tmp_path / "slos").mkdir()
    (tmp_path / "slos" / "broken.slo").write_text("service shop {\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = backtest("--prometheus", "http://127.0.0.1:1", "--from", str(FROM), "--to", str(TO))
    assert result.exit_code == 1
    assert "slos/broken.slo:" in result.stderr
