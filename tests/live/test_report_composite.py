"""`slo report` of composites on the real Prometheus: replayed only where their members' hourly maxima allow, with
the same figures as the whole period's replay and as `slo backtest` (report_history.py's months)."""

from __future__ import annotations

import pytest
import report_history as h
from helpers import run, strict_json

from slocompiler.live.report import hot_composite

MIN = 60
# Over api (0.02% errors, three outages in September), search (0.03%) and legacy (0.02%):
# `paced` pages at the outages only; `summed` tickets all month at 0.07% against a 0.065% budget, though no member
# alone (at most 0.03%) reaches even half its threshold: only the sum of the members' maxima finds it; `worst` reads
# api's burn, search's and legacy's over their own budgets.
COMPOSITES = """
service journey {
  owner = "team-j"

  slo paced {
    objective = 99.8%
    window    = 30d
    composite {
      api-availability    { weight = 1 }
      search-availability { weight = 1 }
      legacy-availability { weight = 0.5 }
    }
  }

  slo summed {
    objective = 99.935%
    window    = 30d
    composite {
      api-availability    { weight = 1 }
      search-availability { weight = 1 }
      legacy-availability { weight = 1 }
    }
  }

  slo worst {
    objective = 99%
    window    = 30d
    composite {
      aggregate = worst
      api-availability    { weight = 1 }
      search-availability { weight = 1 }
    }
  }
}
"""
IDS = ("journey-paced", "journey-summed", "journey-worst")


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("composite-report")
    (folder / "review.slo").write_text(h.SPEC, encoding="utf-8")
    (folder / "journey.slo").write_text(COMPOSITES, encoding="utf-8")
    return str(folder)


def _report(specs: str, url: str, *period: str) -> dict:
    selected = [arg for slo_id in IDS for arg in ("--slo", slo_id)]
    result = run("report", specs, "--prometheus", url, "--format", "json", "--history", "0", *selected, *period)
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


@pytest.fixture(scope="module")
def backtested(specs, prometheus_url) -> dict[str, dict[str, list[list[int]]]]:
    """`slo backtest` of every composite over the whole month, once: each one's fired intervals by severity, merged as
    the report merges them."""
    selected = [arg for slo_id in IDS for arg in ("--slo", slo_id)]
    result = run("backtest", specs, "--prometheus", prometheus_url, *selected,
                 "--from", str(h.SEPTEMBER), "--to", str(h.OCTOBER - MIN), "--format", "json")
    assert result.exit_code == 0, result.output
    return {replay["slo_id"]: {severity: h.fired(replay, severity) for severity in ("page", "ticket")}
            for replay in strict_json(result.stdout)}


@pytest.fixture(scope="module")
def replayed(specs, prometheus_url):
    """September's report of the composites, and the stretches each was replayed in."""
    spans: dict[str, list] = {}
    original = hot_composite.composite_spans

    def recorded(client, program, slo, period):
        spans[slo.id] = original(client, program, slo, period)
        return spans[slo.id]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hot_composite, "composite_spans", recorded)
        found = _report(specs, prometheus_url, "--period", "2024-09")
    return {entry["slo_id"]: entry for entry in found["slos"]}, spans


# The whole month is compared with `slo backtest` below (a month's whole replay costs half a minute).
@pytest.mark.parametrize("period", [# Begins before the data: the whole replay's note, not the stretches' silence.
                                    ("--from", "2024-05-30T00:00:00Z", "--to", "2024-06-03T00:00:00Z"),
                                    # Ends past the data.
                                    ("--from", "2024-09-28T00:00:00Z", "--to", "2024-10-03T00:00:00Z")])
def test_the_same_report_as_the_whole_periods_replay(specs, prometheus_url, period, monkeypatch):
    pruned = _report(specs, prometheus_url, *period)
    monkeypatch.setattr(hot_composite, "composite_spans", lambda *_: None)
    assert pruned == _report(specs, prometheus_url, *period)


def test_a_paced_composite_replays_a_few_hours(replayed):
    """Its three outages and the month's first and last hour: under a tenth of the month, only those conditions."""
    entries, spans = replayed
    replayed_seconds = sum(b - a for a, b, _ in spans["journey-paced"])
    assert replayed_seconds < (h.OCTOBER - h.SEPTEMBER) // 10
    assert entries["journey-paced"]["pages"] == 3


@pytest.mark.parametrize("slo_id", IDS)
def test_pages_and_tickets_agree_with_slo_backtest(replayed, backtested, slo_id):
    """If the stretches left out an alert, `slo backtest` over the whole month would still find it."""
    entries, _ = replayed
    pages = backtested[slo_id]["page"]
    assert [[i["start"], i["end"]] for i in entries[slo_id]["incidents"]] == pages
    assert entries[slo_id]["tickets"] == len(backtested[slo_id]["ticket"])
    assert pages or slo_id == "journey-summed"


def test_a_ticket_only_the_members_sum_reaches(replayed):
    """No member's own maxima come near half the summed composite's ticket threshold; their sum does, all month."""
    entries, spans = replayed
    assert entries["journey-summed"]["tickets"] >= 1
    assert [(a, b) for a, b, _ in spans["journey-summed"]] == [(h.SEPTEMBER, h.OCTOBER - MIN)]
